"""Ask an OpenAI-compatible endpoint for a JSON verdict, validated, retried and cached.

LLM judges are the one place where a scorer talks to a model, so everything that could make a
verdict silently wrong is handled here, once:

- the request is deterministic: temperature 0 and, unless `json_mode: false`, the endpoint's JSON
  mode (`response_format={"type": "json_object"}`);
- the reply must parse as JSON, match a packaged JSON Schema and pass the caller's own checks
  (every criterion answered, only known fact ids...); a reply that does not is *malformed* and is
  asked again, with the problem stated, like a 429, a 5xx, a timeout or a dropped connection;
- after `max_retries` retries the call raises `JudgeError`, which a scorer records as an error
  (never a pass); a 401/403/404 stops every later call to that endpoint at once;
- validated verdicts are cached on disk by content hash (model, endpoint, settings, messages), so
  an unchanged question is never paid for twice; a cached verdict is validated again on read;
- the API key is read from the environment variable named by `api_key_env` when a request is sent
  and is never stored: not in the settings, the cache, the results or an error message.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from ..cache import AnswerCache, cache_key
from ..chat_client import NO_KEY, display_url
from ..records import Usage
from ..retry import Failure, classify, retry_delay, scrub
from ..validation import iter_problems, json_path

if TYPE_CHECKING:
    import openai

DEFAULT_CACHE_DIR = Path(".qaeval-cache") / "judges"
"""Relative to the working directory (git-ignored); a suite can point `cache_dir` elsewhere."""

Check = Callable[[Any], list[str]]
"""Semantic checks beyond the schema: the problems found in a parsed verdict (empty: valid)."""


class JudgeError(RuntimeError):
    """A judge call that failed for good; the scorer turns it into a recorded error, never a pass."""


@dataclass(frozen=True)
class JudgeSettings:
    """A judge's endpoint and policies, from a suite's scorer `options` (never a key itself)."""

    base_url: str
    model: str
    api_key_env: str | None = None
    cache_dir: str | None = None
    cache: bool = True
    max_retries: int = 2
    timeout_s: float = 60.0
    json_mode: bool = True
    max_tokens: int | None = None
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    max_retry_after_s: float = 60.0

    @classmethod
    def from_options(cls, scorer: str, options: Mapping[str, Any]) -> "JudgeSettings":
        """Settings from scorer options; a key written in the suite or an unknown option is refused."""
        opts = dict(options)
        if "api_key" in opts:
            raise ValueError(f"{scorer}: never put an API key in a suite: name an environment variable "
                             f"with api_key_env")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(opts) - set(known))
        if unknown:
            raise TypeError(f"{scorer}: unknown option(s) {', '.join(unknown)} (known: {', '.join(known)})")
        missing = [k for k in ("base_url", "model") if not opts.get(k)]
        if missing:
            raise ValueError(f"{scorer}: option(s) {', '.join(missing)} required: the judge's OpenAI-compatible "
                             f"endpoint and model")
        if int(opts.get("max_retries", 2)) < 0:
            raise ValueError(f"{scorer}: max_retries must be >= 0")
        for k in ("max_retries", "max_tokens"):
            if opts.get(k) is not None:
                opts[k] = int(opts[k])
        for k in ("timeout_s", "backoff_base_s", "backoff_max_s", "max_retry_after_s"):
            if k in opts:
                opts[k] = float(opts[k])
        for k in ("cache", "json_mode"):
            if k in opts:
                opts[k] = bool(opts[k])
        return cls(**opts)

    @property
    def url(self) -> str:
        """The endpoint without credentials, for messages, details and cache keys."""
        return display_url(self.base_url)

    def cache_root(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else DEFAULT_CACHE_DIR


@dataclass(frozen=True)
class JudgeReply:
    """A validated verdict and how it was obtained."""

    data: Any
    text: str
    cached: bool
    attempts: int
    retried: tuple[str, ...] = ()
    usage: Usage | None = None
    latency_s: float = 0.0

    def summary(self, settings: JudgeSettings) -> dict[str, Any]:
        """What a result's `details.judge` records (no key, no credentials in the URL)."""
        d: dict[str, Any] = {"model": settings.model, "base_url": settings.url, "cached": self.cached,
                             "attempts": self.attempts}
        if self.retried:
            d["retried"] = list(self.retried)
        if self.usage is not None:
            d["usage"] = {"prompt_tokens": self.usage.prompt_tokens, "completion_tokens": self.usage.completion_tokens}
        return d


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S | re.I)


def parse_json(text: str) -> Any:
    """The JSON in a reply; a ```json fence around it is tolerated, anything else is malformed."""
    m = _FENCE.match(text)
    return json.loads(m.group(1) if m else text)


def schema_problems(schema_name: str, data: Any) -> list[str]:
    """`$.path: problem` for each way `data` breaks the packaged schema `schema_name`."""
    return [f"{json_path(p)}: {msg}" for p, msg in iter_problems(data, schema_name)]


@dataclass
class JudgeClient:
    """One judge endpoint, called synchronously from a scorer (the openai SDK's own retries are off)."""

    settings: JudgeSettings
    seed: int | None = None  # of the backoff jitter
    requests_sent: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.cache = AnswerCache(self.settings.cache_root()) if self.settings.cache else None
        self._client: openai.OpenAI | None = None
        self._client_key: str | None = None
        self._fatal: Failure | None = None
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)

    # ---------- plumbing ----------

    def _api_key(self) -> str:
        env = self.settings.api_key_env
        if not env:
            return NO_KEY
        key = os.environ.get(env)
        if not key:
            raise JudgeError(f"judge {self.settings.model} at {self.settings.url}: environment variable {env} "
                             f"(api_key_env) is not set")
        return key

    def _openai(self, key: str) -> openai.OpenAI:
        with self._lock:
            if self._client is None or self._client_key != key:
                import openai  # imported on first use: most runs never call a judge
                self._client = openai.OpenAI(base_url=self.settings.base_url, api_key=key, max_retries=0,
                                             timeout=self.settings.timeout_s)
                self._client_key = key
            return self._client

    def request_settings(self) -> dict[str, Any]:
        """Sampling settings sent with every request (and part of the cache key)."""
        s: dict[str, Any] = {"temperature": 0}
        if self.settings.json_mode:
            s["response_format"] = {"type": "json_object"}
        if self.settings.max_tokens:
            s["max_tokens"] = self.settings.max_tokens
        return s

    def key_for(self, messages: Sequence[Mapping[str, Any]], purpose: str) -> str:
        return cache_key(self.settings.model, self.settings.url, {**self.request_settings(), "purpose": purpose},
                         messages)

    @staticmethod
    def _validate(text: str, schema_name: str | None, check: Check | None) -> tuple[Any, list[str]]:
        if not text.strip():
            return None, ["empty reply"]
        try:
            data = parse_json(text)
        except ValueError as exc:
            return None, [f"not JSON ({exc})"]
        problems = schema_problems(schema_name, data) if schema_name else []
        if not problems and check is not None:
            problems = check(data)
        return data, problems

    # ---------- the call ----------

    def judge(self, messages: Sequence[Mapping[str, Any]], *, schema: str | None, purpose: str,
              check: Check | None = None) -> JudgeReply:
        """A validated verdict for `messages`, from the cache or the endpoint; JudgeError when none.

        `schema` names a packaged JSON Schema (None: any JSON); `check` adds the caller's own rules;
        `purpose` (a prompt version) is part of the cache key.
        """
        key = self.key_for(messages, purpose)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                data, problems = self._validate(hit["text"], schema, check)
                if not problems:
                    u = hit.get("usage")
                    return JudgeReply(data=data, text=hit["text"], cached=True, attempts=0,
                                      usage=Usage(**u) if u else None, latency_s=float(hit.get("latency_s") or 0))
        key_value = self._api_key()
        if self._fatal is not None:
            raise JudgeError(scrub(f"judge {self.settings.model}: {self._fatal.message} (not sent: an earlier "
                                   f"request got the same answer)", [key_value]))
        client = self._openai(key_value)
        convo = list(messages)
        retried: list[str] = []
        attempts = 0
        while True:
            attempts += 1
            failure, reply, text = self._attempt(client, convo, schema, check)
            if reply is not None:
                reply = JudgeReply(data=reply.data, text=reply.text, cached=False, attempts=attempts,
                                   retried=tuple(retried), usage=reply.usage, latency_s=reply.latency_s)
                if self.cache is not None:
                    usage = None if reply.usage is None else {"prompt_tokens": reply.usage.prompt_tokens,
                                                              "completion_tokens": reply.usage.completion_tokens}
                    self.cache.put(key, {"model": self.settings.model, "base_url": self.settings.url,
                                         "settings": {**self.request_settings(), "purpose": purpose},
                                         "messages": list(messages)},
                                   {"text": reply.text, "usage": usage, "latency_s": round(reply.latency_s, 4)})
                return reply
            assert failure is not None
            if failure.fatal:
                self._fatal = failure
            if not failure.retryable or attempts > self.settings.max_retries:
                suffix = "(not retried)" if not failure.retryable else \
                    f"(gave up after {attempts} attempt{'s' if attempts > 1 else ''}" + \
                    (f"; retried after: {', '.join(retried)})" if retried else ")")
                raise JudgeError(scrub(f"judge {self.settings.model}: {failure.message} {suffix}", [key_value]))
            retried.append(failure.short)
            if failure.kind == "invalid_verdict":
                # Ask again in the same conversation, saying what was wrong: a deterministic model
                # sent the same messages would send the same broken reply.
                convo = list(messages) + [
                    {"role": "assistant", "content": text[:4000]},
                    {"role": "user", "content": f"That reply was not valid ({failure.message.split(': ', 1)[-1][:600]}). "
                                                "Reply again with only the corrected JSON object, as specified."}]
            else:
                time.sleep(retry_delay(failure, attempts - 1, self.settings.backoff_base_s,
                                       self.settings.backoff_max_s, self.settings.max_retry_after_s, self._rng))

    def _attempt(self, client: openai.OpenAI, messages: Sequence[Mapping[str, Any]], schema: str | None,
                 check: Check | None) -> tuple[Failure | None, JudgeReply | None, str]:
        """One request: a validated reply, or the failure that says whether to retry (and the raw text)."""
        t0 = time.perf_counter()
        with self._lock:
            self.requests_sent += 1
        try:
            resp = client.chat.completions.create(model=self.settings.model, messages=list(messages),
                                                  **self.request_settings())
        except Exception as exc:  # classified: nothing the SDK raises may escape unrecorded
            return classify(exc, self.settings.url, self.settings.timeout_s), None, ""
        latency = time.perf_counter() - t0
        choices = getattr(resp, "choices", None) or []
        text = (getattr(choices[0].message, "content", None) or "") if choices else ""
        data, problems = self._validate(text, schema, check)
        if problems:
            shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            return Failure("invalid_verdict", f"malformed verdict from {self.settings.url}: {shown}", True), None, text
        usage = None
        if getattr(resp, "usage", None) is not None:
            usage = Usage(prompt_tokens=int(resp.usage.prompt_tokens or 0),
                          completion_tokens=int(resp.usage.completion_tokens or 0))
        return None, JudgeReply(data=data, text=text, cached=False, attempts=1, usage=usage, latency_s=latency), text
