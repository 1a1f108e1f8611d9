"""A small OpenAI-compatible Chat Completions server on 127.0.0.1, for tests and benchmarks.

Why it exists: the generator and the LLM judges must be tested over real HTTP, with the faults a
real endpoint produces (429 with Retry-After, 500, slow answers, dropped connections, broken JSON,
empty content), without mocking the HTTP client and without any network beyond the loopback.

It is stdlib only: `asyncio.start_server` with a minimal HTTP/1.1 parser (keep-alive, Content-Length
or chunked bodies). Latency is an `asyncio.sleep`, so 50+ concurrent slow requests overlap instead
of queueing behind a thread pool. Faults are chosen per request from a seeded hash of the request's
messages and how many times that same request was seen, so a fault pattern does not depend on the
order in which concurrent requests happen to arrive.

Use it in a thread of the test process (`with ChatServer(...) as srv:`), or in its own process
(`ChatServerProcess`, or `python -m qaeval.testing`) when the client must not share
the interpreter with it (benchmarks). `/_qaeval/*` admin endpoints (stats, log, reset, config) let
a test or benchmark observe and steer a server in another process; they are never counted.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Sequence

FAULTS = ("rate_limit", "server_error", "slow", "drop", "malformed", "empty")
_ALIASES = {"429": "rate_limit", "500": "server_error", "timeout": "slow", "malformed_json": "malformed"}
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
            411: "Length Required", 429: "Too Many Requests", 500: "Internal Server Error"}

Responder = Callable[[dict[str, Any]], "str | Mapping[str, Any] | None"]


def fault_kind(name: str) -> str:
    """Canonical fault name ('429' -> 'rate_limit'); ValueError for an unknown one."""
    kind = _ALIASES.get(str(name), str(name))
    if kind not in FAULTS:
        raise ValueError(f"unknown fault {name!r} (known: {', '.join(FAULTS)}; aliases: {', '.join(_ALIASES)})")
    return kind


@dataclass
class Rule:
    """A scripted reply for requests whose last user message contains `contains` (None: any request).

    `content` is the answer; `fault` injects one fault kind instead; `status` answers with that HTTP
    error status (e.g. 400, with `content` as the error message); `times` limits the rule to the
    first N matching requests (e.g. "429 twice, then answer"); `latency_s` overrides the server's.
    """

    contains: str | None = None
    content: str | None = None
    fault: str | None = None
    times: int | None = None
    latency_s: float | None = None
    status: int | None = None
    used: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.fault is not None:
            self.fault = fault_kind(self.fault)

    def matches(self, last_user: str) -> bool:
        if self.times is not None and self.used >= self.times:
            return False
        return self.contains is None or self.contains.lower() in last_user.lower()


@dataclass(frozen=True)
class RequestRecord:
    """One request that reached the server (admin requests are not recorded)."""

    n: int
    t: float
    method: str
    path: str
    model: str | None
    last_user: str | None
    authorized: bool
    fault: str | None
    status: int  # 0 when the connection was dropped without a response

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def last_user_text(messages: Any) -> str:
    """The text of the last user message (content may be a string or a list of text parts)."""
    if not isinstance(messages, list):
        return ""
    for m in reversed(messages):
        if isinstance(m, dict) and m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            if isinstance(c, list):
                return " ".join(p.get("text", "") for p in c if isinstance(p, dict))
    return ""


_FACT_LINE = re.compile(r"^\s*[-*]\s+(.+?)\s*$")


def default_answer(body: Mapping[str, Any]) -> str:
    """A plausible, deterministic patient-facing answer built from the request.

    If the prompt carries reference facts as `- ` bullet lines (qaeval's grounded mode), they are
    restated, so a grounded run produces grounded answers; otherwise a cautious general answer that
    quotes the question.
    """
    messages = body.get("messages") or []
    user = last_user_text(messages)
    question = user.strip().splitlines()[0] if user.strip() else "your question"
    bullets = []
    in_facts = False
    for line in user.splitlines():
        low = line.lower()
        if "reference" in low or "facts" in low:
            in_facts = True
            continue
        if low.startswith("sources"):
            in_facts = False
            continue
        m = _FACT_LINE.match(line)
        if in_facts and m:
            bullets.append(m.group(1).rstrip("."))
    lines = [f"Thank you for asking: {question[:300]}"]
    if bullets:
        lines += [f"{b}." for b in bullets]
    else:
        lines.append("The right answer depends on your diagnosis, your treatment and how you are feeling, "
                     "so your oncology team is the best placed to say what applies to you.")
    lines.append("This is general information, not medical advice. Please talk to your oncologist or care "
                 "team about your own situation before changing anything.")
    return "\n".join(lines)


def _tokens(n_chars: int) -> int:
    return max(1, math.ceil(n_chars / 4))


class _Request:
    __slots__ = ("method", "path", "headers", "body", "keep_alive")

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes, keep_alive: bool):
        self.method, self.path, self.headers, self.body, self.keep_alive = method, path, headers, body, keep_alive


class ChatServer:
    """The server, run on its own event loop in a daemon thread (or inside a running loop)."""

    def __init__(self, *, responder: Responder | None = None, rules: Sequence[Rule] = (),
                 latency_s: float = 0.0, jitter_s: float = 0.0, faults: Mapping[str, float] | None = None,
                 seed: int = 0, api_key: str | None = None, retry_after_s: float = 1.0, slow_s: float = 30.0,
                 models: Sequence[str] | None = None, echo_key_in_errors: bool = False,
                 host: str = "127.0.0.1", port: int = 0):
        if host not in _LOOPBACK:
            raise ValueError(f"the test server only listens on the loopback interface, not {host!r}")
        self.host, self.port = host, port
        self.responder = responder
        self.rules: list[Rule] = list(rules)
        self.latency_s, self.jitter_s = float(latency_s), float(jitter_s)
        self.faults: dict[str, float] = {}
        self.seed = seed
        self.api_key = api_key
        self.retry_after_s, self.slow_s = float(retry_after_s), float(slow_s)
        self.models = list(models) if models else None
        self.echo_key_in_errors = echo_key_in_errors
        self.configure(faults=faults or {})
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []
        self._seen: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._n = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._conns: set[asyncio.Task[Any]] = set()
        self._t0 = time.monotonic()
        self.inflight = 0  # completion requests being answered right now
        self.max_inflight = 0  # the most at once since the last reset_log()

    # ---------- configuration and observation (thread-safe) ----------

    def configure(self, **settings: Any) -> None:
        """Change latency_s, jitter_s, faults, seed, rules, retry_after_s, slow_s or api_key while running."""
        for k, v in settings.items():
            if k == "faults":
                faults = {fault_kind(kind): float(rate) for kind, rate in (v or {}).items()}
                if any(r < 0 for r in faults.values()) or sum(faults.values()) > 1.0 + 1e-9:
                    raise ValueError(f"fault rates must be >= 0 and sum to at most 1: {faults}")
                self.faults = faults
            elif k == "rules":
                self.rules = [r if isinstance(r, Rule) else Rule(**r) for r in v]
            elif k in ("latency_s", "jitter_s", "retry_after_s", "slow_s"):
                setattr(self, k, float(v))
            elif k in ("seed", "api_key", "responder", "echo_key_in_errors"):
                setattr(self, k, v)
                if k == "seed" and hasattr(self, "_rng"):
                    self._rng = random.Random(v)
            else:
                raise TypeError(f"unknown server setting {k!r}")

    @property
    def url(self) -> str:
        """The base URL a client uses (`.../v1`)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    @property
    def requests(self) -> list[RequestRecord]:
        """Every API request that reached the server, in arrival order."""
        with self._lock:
            return list(self._log)

    def completions(self) -> list[RequestRecord]:
        """The chat-completion requests only."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def reset_log(self) -> None:
        """Forget the request log and the in-flight high-water mark."""
        with self._lock:
            self._log.clear()
            self.max_inflight = self.inflight

    def stats(self) -> dict[str, Any]:
        log = self.requests
        return {"requests": len(log), "completions": sum(1 for r in log if r.path.endswith("/chat/completions")),
                "max_inflight": self.max_inflight,
                "faults": dict(Counter(r.fault for r in log if r.fault)),
                "status": {str(k): v for k, v in sorted(Counter(r.status for r in log).items())}}

    # ---------- lifecycle ----------

    async def start_async(self) -> "ChatServer":
        """Start listening inside the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._handle_conn, self.host, self.port,
                                                  limit=4 * 1024 * 1024, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop_async(self) -> None:
        if self._server is not None:
            self._server.close()
        for t in list(self._conns):
            t.cancel()
        if self._conns:
            await asyncio.gather(*self._conns, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def start(self) -> "ChatServer":
        """Start on a free port in a daemon thread; returns when it accepts connections."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start_async())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop_async())
            loop.close()

        self._thread = threading.Thread(target=run, name="qaeval-chat-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("chat server did not start")
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    def __enter__(self) -> "ChatServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ---------- HTTP ----------

    async def _handle_conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            while True:
                req = await self._read_request(reader)
                if req is None:
                    break
                if not await self._dispatch(req, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, OSError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._conns.discard(task)
            try:
                writer.close()
            except Exception:
                pass

    async def _read_request(self, reader: asyncio.StreamReader) -> _Request | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(chunks)
        else:
            body = b""
        conn = headers.get("connection", "").lower()
        keep = conn != "close" if version.strip() == "HTTP/1.1" else conn == "keep-alive"
        return _Request(method.upper(), target.split("?", 1)[0], headers, body, keep)

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, status: int, body: Any,
                    keep_alive: bool, headers: Mapping[str, str] | None = None) -> None:
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        data = body.encode("utf-8") if isinstance(body, str) else body
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", "Content-Type: application/json",
                f"Content-Length: {len(data)}", f"Connection: {'keep-alive' if keep_alive else 'close'}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
        await writer.drain()

    def _record(self, req: _Request, model: str | None, last_user: str | None, authorized: bool,
                fault: str | None, status: int) -> int:
        with self._lock:
            self._n += 1
            self._log.append(RequestRecord(self._n, round(time.monotonic() - self._t0, 4), req.method, req.path,
                                           model, last_user, authorized, fault, status))
            return self._n

    async def _dispatch(self, req: _Request, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False closes the connection."""
        if req.path.startswith("/_qaeval/"):
            status, body = self._admin(req)
            await self._send(writer, status, body, req.keep_alive)
            return req.keep_alive
        if req.path in ("/v1/models", "/models"):
            return await self._models(req, writer)
        if req.path in ("/v1/chat/completions", "/chat/completions"):
            if req.method != "POST":
                return await self._error(req, writer, 405, "use POST", None, None)
            return await self._completion(req, writer)
        return await self._error(req, writer, 404, f"no route {req.method} {req.path}", None, None)

    def _authorized(self, req: _Request) -> bool:
        return self.api_key is None or req.headers.get("authorization") == f"Bearer {self.api_key}"

    async def _error(self, req: _Request, writer: asyncio.StreamWriter, status: int, message: str,
                     model: str | None, last_user: str | None, code: str | None = None,
                     authorized: bool = True, fault: str | None = None,
                     headers: Mapping[str, str] | None = None, record: bool = True) -> bool:
        if record:
            self._record(req, model, last_user, authorized, fault, status)
        err = {"error": {"message": message, "type": "invalid_request_error" if status < 500 else "server_error",
                         "param": None, "code": code}}
        await self._send(writer, status, err, req.keep_alive, headers)
        return req.keep_alive

    async def _models(self, req: _Request, writer: asyncio.StreamWriter) -> bool:
        if not self._authorized(req):
            return await self._error(req, writer, 401, self._bad_key_message(req), None, None,
                                     "invalid_api_key", authorized=False)
        self._record(req, None, None, True, None, 200)
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "qaeval-test"}
                for m in (self.models or ["test-model"])]
        await self._send(writer, 200, {"object": "list", "data": data}, req.keep_alive)
        return req.keep_alive

    def _bad_key_message(self, req: _Request) -> str:
        msg = "Incorrect API key provided"
        if self.echo_key_in_errors:  # like a careless gateway: proves the client scrubs it
            given = req.headers.get("authorization", "").removeprefix("Bearer ")
            msg += f": {given}"
        return msg + "."

    def _pick_fault(self, body: Mapping[str, Any]) -> str | None:
        if not self.faults:
            return None
        key = hashlib.sha256(json.dumps([body.get("model"), body.get("messages")], sort_keys=True,
                                        default=str).encode()).hexdigest()
        with self._lock:
            k = self._seen[key]
            self._seen[key] += 1
        u = int(hashlib.sha256(f"{self.seed}:{key}:{k}".encode()).hexdigest()[:13], 16) / 16 ** 13
        acc = 0.0
        for kind, rate in self.faults.items():
            acc += rate
            if u < acc:
                return kind
        return None

    def _pick_rule(self, last_user: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(last_user):
                    rule.used += 1
                    return rule
        return None

    async def _completion(self, req: _Request, writer: asyncio.StreamWriter) -> bool:
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            return await self._answer(req, writer)
        finally:
            self.inflight -= 1

    async def _answer(self, req: _Request, writer: asyncio.StreamWriter) -> bool:
        if not self._authorized(req):
            return await self._error(req, writer, 401, self._bad_key_message(req), None, None,
                                     "invalid_api_key", authorized=False)
        try:
            body = json.loads(req.body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return await self._error(req, writer, 400, "request body is not valid JSON", None, None)
        if not isinstance(body, dict) or not isinstance(body.get("model"), str) \
                or not isinstance(body.get("messages"), list) or not body["messages"]:
            return await self._error(req, writer, 400, "'model' (string) and 'messages' (non-empty list) are required",
                                     None, None)
        model, last_user = body["model"], last_user_text(body["messages"])
        if body.get("stream"):
            return await self._error(req, writer, 400, "stream=true is not supported by this test server",
                                     model, last_user)
        if self.models is not None and model not in self.models:
            return await self._error(req, writer, 404, f"The model `{model}` does not exist", model, last_user,
                                     "model_not_found")
        rule = self._pick_rule(last_user)
        fault = rule.fault if rule and rule.fault else (None if rule else self._pick_fault(body))
        latency = rule.latency_s if rule and rule.latency_s is not None else \
            self.latency_s + (self._rng.uniform(0, self.jitter_s) if self.jitter_s else 0.0)
        if rule is not None and rule.status is not None and rule.status != 200:
            return await self._error(req, writer, rule.status, rule.content or f"scripted HTTP {rule.status}",
                                     model, last_user)
        if fault == "rate_limit":
            headers = {"retry-after-ms": str(int(self.retry_after_s * 1000)),
                       "retry-after": str(max(1, math.ceil(self.retry_after_s)))}
            return await self._error(req, writer, 429, "Rate limit reached; please retry after the given time.",
                                     model, last_user, "rate_limit_exceeded", fault=fault, headers=headers)
        # Recorded on arrival (with the status it will get), so a request whose client gives up
        # before the answer, or that is still sleeping when a test looks, is counted all the same.
        n = self._record(req, model, last_user, True, fault, {"drop": 0, "server_error": 500}.get(fault or "", 200))
        await asyncio.sleep(self.slow_s if fault == "slow" else latency)
        if fault == "drop":
            writer.transport.abort()
            return False
        if fault == "server_error":
            return await self._error(req, writer, 500, "The server had an error while processing your request.",
                                     model, last_user, fault=fault, record=False)
        if fault == "malformed":
            await self._send(writer, 200, '{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"ind',
                             req.keep_alive)
            return req.keep_alive
        content: Any = "" if fault == "empty" else None
        if content is None and rule is not None and rule.content is not None:
            content = rule.content
        if content is None and self.responder is not None:
            content = self.responder(body)
        if content is None:
            content = default_answer(body)
        if not isinstance(content, str):
            content = json.dumps(content)
        prompt_chars = sum(len(json.dumps(m.get("content", ""))) for m in body["messages"] if isinstance(m, dict))
        p, c = _tokens(prompt_chars), (_tokens(len(content)) if content else 0)
        resp = {"id": f"chatcmpl-{n}", "object": "chat.completion", "created": int(time.time()), "model": model,
                "system_fingerprint": "qaeval-test",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop", "logprobs": None}],
                "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}}
        await self._send(writer, 200, resp, req.keep_alive)
        return req.keep_alive

    # ---------- admin (for a server in another process) ----------

    def _admin(self, req: _Request) -> tuple[int, Any]:
        name = req.path.removeprefix("/_qaeval/")
        if name == "stats":
            return 200, self.stats()
        if name == "log":
            return 200, [r.to_dict() for r in self.requests]
        if name == "reset" and req.method == "POST":
            self.reset_log()
            return 200, {"ok": True}
        if name == "config" and req.method == "POST":
            try:
                settings = json.loads(req.body or b"{}")
                if "responder" in settings:
                    raise TypeError("a responder cannot be set over HTTP")
                self.configure(**settings)
            except (ValueError, TypeError) as exc:
                return 400, {"error": {"message": str(exc)}}
            return 200, {"ok": True}
        return 404, {"error": {"message": f"no admin route {req.method} {req.path}"}}


class ChatServerProcess:
    """The same server in a child process, steered through its `/_qaeval/*` admin endpoints.

    Benchmarks use it so the client under test has the interpreter (and a core) to itself.
    """

    def __init__(self, latency_s: float = 0.0, faults: Mapping[str, float] | None = None, seed: int = 0,
                 api_key_env: str | None = None, retry_after_s: float = 1.0, slow_s: float = 30.0):
        self.args = [sys.executable, "-m", "qaeval.testing", "--latency", str(latency_s),
                     "--seed", str(seed), "--retry-after", str(retry_after_s), "--slow", str(slow_s),
                     "--faults", json.dumps(dict(faults or {}))]
        if api_key_env:
            self.args += ["--api-key-env", api_key_env]
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def start(self) -> "ChatServerProcess":
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("chat server process did not start")
        self.url = json.loads(line)["url"]
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def __enter__(self) -> "ChatServerProcess":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _admin(self, name: str, payload: Any = None) -> Any:
        root = self.url.rsplit("/v1", 1)[0]
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(f"{root}/_qaeval/{name}", data=data, method="POST" if data else "GET")
        with self._opener.open(req, timeout=10) as resp:
            return json.loads(resp.read())

    def stats(self) -> dict[str, Any]:
        return self._admin("stats")

    def log(self) -> list[dict[str, Any]]:
        return self._admin("log")

    def reset_log(self) -> None:
        self._admin("reset", {})

    def configure(self, **settings: Any) -> None:
        self._admin("config", settings)


def main(argv: list[str] | None = None) -> int:
    """`python -m qaeval.testing`: serve until SIGTERM/SIGINT; print the URL as JSON first."""
    p = argparse.ArgumentParser(prog="python -m qaeval.testing", description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    p.add_argument("--jitter", type=float, default=0.0, help="extra uniform random latency, seconds")
    p.add_argument("--faults", default="{}", help='JSON rates by kind, e.g. {"rate_limit": 0.1, "drop": 0.05}')
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--retry-after", type=float, default=1.0, help="Retry-After of 429 answers, seconds")
    p.add_argument("--slow", type=float, default=30.0, help="delay of a 'slow' fault, seconds")
    p.add_argument("--api-key-env", help="require the key held by this environment variable")
    a = p.parse_args(argv)
    key = os.environ.get(a.api_key_env) if a.api_key_env else None
    if a.api_key_env and not key:
        p.error(f"environment variable {a.api_key_env} is not set")
    server = ChatServer(latency_s=a.latency, jitter_s=a.jitter, faults=json.loads(a.faults), seed=a.seed,
                        api_key=key, retry_after_s=a.retry_after, slow_s=a.slow, port=a.port)

    async def serve() -> None:
        await server.start_async()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(json.dumps({"url": server.url, "port": server.port, "pid": os.getpid()}), flush=True)
        await stop.wait()
        await server.stop_async()

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
