"""What to do when a request to a model endpoint fails: retry (and after how long) or give up.

Retried: 408, 409, 425, 429 and 5xx answers, timeouts, dropped connections, malformed or empty
answers — all things that a second try can fix. Not retried: other 4xx (bad request, bad key,
unknown model), which will fail the same way every time, so they fail fast with a message that
says what to fix. 401, 403 and 404 are also *fatal*: every later request to that endpoint would
fail the same way, so the caller stops sending.

Messages name the status, the endpoint and the server's own words, and never the API key.
"""

from __future__ import annotations

import email.utils
import json
import random
import re
import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

RETRY_STATUSES = frozenset({408, 409, 425, 429})
FATAL_STATUSES = frozenset({401, 403, 404})
HINTS = {400: "bad request", 401: "invalid API key", 403: "permission denied",
         404: "not found (check base_url and model)", 408: "request timeout", 409: "conflict",
         413: "request too large", 422: "unprocessable request", 425: "too early", 429: "rate limited",
         500: "server error", 502: "bad gateway", 503: "service unavailable", 504: "gateway timeout"}
_KEYLIKE = re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_\-*.]{6,}")


@dataclass(frozen=True)
class Failure:
    """One failed attempt, classified."""

    kind: str  # http | timeout | connection | malformed | empty | other
    message: str
    retryable: bool
    status: int | None = None
    retry_after_s: float | None = None
    fatal: bool = False

    @property
    def short(self) -> str:
        """A few words for the list of retried attempts (`HTTP 429`, `timeout`...)."""
        return f"HTTP {self.status}" if self.status else self.kind


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove known secrets and anything shaped like a provider key (`sk-...`) from a message."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "[redacted]")
    return _KEYLIKE.sub(lambda m: f"{m.group(1)}-[redacted]", text)


def parse_retry_after(headers: Mapping[str, str] | Any) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `retry-after` as seconds or an HTTP date."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
        ra = headers.get("retry-after")
    except (TypeError, ValueError, AttributeError):
        return None
    if ra is None:
        return None
    try:
        return max(0.0, float(ra))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(ra)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time()) if when else None


def backoff_delay(attempt: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: between half and all of min(max, base * 2^attempt)."""
    d = min(max_s, base_s * (2 ** attempt))
    return rng.uniform(d / 2, d)


def retry_delay(failure: Failure, attempt: int, base_s: float, max_s: float, max_retry_after_s: float,
                rng: random.Random) -> float:
    """Honour the server's Retry-After (plus up to 10% jitter so clients don't retry in lockstep)."""
    if failure.retry_after_s is not None:
        ra = min(failure.retry_after_s, max_retry_after_s)
        return ra + rng.uniform(0, 0.1 * ra + 0.01)
    return backoff_delay(attempt, base_s, max_s, rng)


def _server_message(body: Any) -> str:
    if isinstance(body, Mapping):
        err = body.get("error")
        msg = body.get("message") or (err.get("message") if isinstance(err, Mapping) else err)
        if msg:
            return str(msg)
        return json.dumps(body)[:300]
    if isinstance(body, (str, bytes)):
        return (body.decode("utf-8", "replace") if isinstance(body, bytes) else body).strip()[:300]
    return ""


def classify(exc: BaseException, url: str, timeout_s: float) -> Failure:
    """Turn an exception raised by the `openai` client into a Failure."""
    import openai  # imported on first use: it takes most of a second, and most runs never call a model

    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        said = _server_message(exc.body)
        hint = HINTS.get(status, "client error" if status < 500 else "server error")
        retryable = status in RETRY_STATUSES or status >= 500
        msg = f"HTTP {status} from {url}: {hint}" + (f" — server said: {said}" if said else "")
        headers = getattr(getattr(exc, "response", None), "headers", None)
        return Failure("http", msg, retryable, status, parse_retry_after(headers) if retryable else None,
                       fatal=status in FATAL_STATUSES)
    if isinstance(exc, openai.APITimeoutError):
        return Failure("timeout", f"timeout: no answer from {url} within {timeout_s:g}s", True)
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = f"{type(cause).__name__}: {cause}" if cause is not None and str(cause) else str(exc.message)
        return Failure("connection", f"connection error to {url}: {detail}", True)
    if isinstance(exc, (openai.APIResponseValidationError, ValueError)):
        return Failure("malformed", f"malformed response from {url}: {type(exc).__name__}: {exc}"[:500], True)
    return Failure("other", f"{type(exc).__name__} calling {url}: {exc}"[:500], False)
