"""One OpenAI-compatible chat endpoint, called the way a long evaluation run needs.

Shared by the `openai` generator and by anything else that asks a model (LLM judges): a concurrency
limit, requests- and tokens-per-minute buckets, qaeval's own retry loop (the SDK's is switched off
so that Retry-After, jitter and what is retried are decided here), a content-addressed cache, and
results that carry usage, latency and attempts. It never raises for a failed request: the result
carries an `error` string that names the status and the endpoint and never the key.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from .cache import AnswerCache, cache_key
from .ratelimit import TokenBucket
from .records import Usage
from .retry import Failure, classify, retry_delay, scrub

if TYPE_CHECKING:
    import openai

NO_KEY = "no-key"  # local servers (vLLM, Ollama, llama.cpp) ignore the key, the SDK insists on one


def display_url(url: str) -> str:
    """The URL without any user:password part, for messages, manifests and cache keys."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        parts = parts._replace(netloc=host)
    return urlunsplit(parts).rstrip("/")


def estimate_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """A cheap prompt-token estimate (~4 characters a token) for the tokens-per-minute bucket."""
    return sum(len(str(m.get("content", ""))) for m in messages) // 4 + 4 * len(messages)


def cost_usd(usage: Usage | None, prices: Mapping[str, float] | None) -> float | None:
    """Dollars for one call from per-1k (or per-1M) token prices; None when no price is configured."""
    if usage is None or not prices:
        return None
    p = prices.get("prompt_per_1k", (prices.get("prompt_per_1m") or 0) / 1000)
    c = prices.get("completion_per_1k", (prices.get("completion_per_1m") or 0) / 1000)
    return round(usage.prompt_tokens / 1000 * p + usage.completion_tokens / 1000 * c, 8)


@dataclass(frozen=True)
class ChatResult:
    text: str
    error: str | None = None
    usage: Usage | None = None
    latency_s: float = 0.0  # of the answering attempt (for a cached answer: of the call that made it)
    wall_s: float = 0.0  # everything this call took here: queueing, rate limits, retries
    attempts: int = 0  # requests actually sent for this call
    cached: bool = False
    finish_reason: str | None = None
    response_model: str | None = None
    retried: tuple[str, ...] = ()
    cache_key: str | None = None


# httpcore's connection pool rescans every queued request against every connection on each event,
# so its CPU cost grows with the square of the requests in flight in one pool: at 50 in flight on
# 2 cores that scan, not the network, is the ceiling. Spreading requests over several clients (each
# with its own pool, ~8 requests in flight each) cuts the client's CPU per request about 3x.
REQUESTS_PER_POOL = 8
MAX_POOLS = 16
DEFAULT_POOLS = 4


def pool_count(concurrency: int | None) -> int:
    """How many HTTP clients to spread requests over."""
    if not concurrency:
        return DEFAULT_POOLS
    return max(1, min(MAX_POOLS, -(-concurrency // REQUESTS_PER_POOL)))


_TLS: Any = None


def shared_tls_context() -> Any:
    """One TLS context for every pool and event loop, built exactly as the `openai` client's HTTP library
    builds its default (`create_ssl_context()`: same CA store, same SSL_CERT_* handling), because loading
    the CA store costs ~50 ms per client. None (each client builds its own) if that library has no such function."""
    global _TLS
    if _TLS is None:
        import importlib

        import openai
        try:
            http_lib = importlib.import_module(openai.DefaultAsyncHttpxClient.__mro__[1].__module__.split(".")[0])
            _TLS = http_lib.create_ssl_context()
        except Exception:  # an HTTP library without it: fall back to the per-client default
            _TLS = False
    return _TLS or None


@dataclass
class _LoopState:
    """Things bound to one event loop (the HTTP clients and their pools, the semaphore)."""

    loop: asyncio.AbstractEventLoop
    clients: list[openai.AsyncOpenAI]
    inflight: list[int]
    sem: asyncio.Semaphore | None
    pending: dict[str, asyncio.Future[ChatResult]] = field(default_factory=dict)  # cache key -> call in flight

    def pick(self) -> int:
        """The least busy client."""
        i = min(range(len(self.inflight)), key=self.inflight.__getitem__)
        self.inflight[i] += 1
        return i


@dataclass
class ChatClient:
    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    sampling: Mapping[str, Any] = field(default_factory=dict)
    timeout_s: float = 60.0
    max_retries: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    max_retry_after_s: float = 120.0
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    concurrency: int | None = None
    cache: AnswerCache | None = None
    seed: int | None = None  # of the jitter; None: random

    def __post_init__(self) -> None:
        self.url = display_url(self.base_url)
        self._rpm = TokenBucket(self.requests_per_minute) if self.requests_per_minute else None
        self._tpm = TokenBucket(self.tokens_per_minute) if self.tokens_per_minute else None
        self._rng = random.Random(self.seed)
        self._state: _LoopState | None = None
        self._fatal: Failure | None = None
        self.requests_sent = 0

    # ---------- plumbing ----------

    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._state is None or self._state.loop is not loop:
            import openai  # imported on first use: it takes most of a second
            n = pool_count(self.concurrency)
            tls = shared_tls_context()
            clients = [openai.AsyncOpenAI(base_url=self.base_url, api_key=self.api_key or NO_KEY,
                                          max_retries=0, timeout=self.timeout_s,
                                          http_client=openai.DefaultAsyncHttpxClient(verify=tls, timeout=self.timeout_s)
                                          if tls is not None else None)
                       for _ in range(n)]
            for client in clients:
                client.chat.completions  # noqa: B018 - loads the SDK's lazy modules now, not inside a timed request
            sem = asyncio.Semaphore(self.concurrency) if self.concurrency else None
            self._state = _LoopState(loop, clients, [0] * n, sem)
        return self._state

    async def aclose(self) -> None:
        """Close the connection pools of the current event loop and finish writing the cache
        (call before the loop ends)."""
        st, self._state = self._state, None
        if st is not None and st.loop is asyncio.get_running_loop():
            for client in st.clients:
                await client.close()
        if self.cache is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.cache.flush)

    def _scrub(self, text: str) -> str:
        return scrub(text, [self.api_key] if self.api_key else [])

    @property
    def rate_limit_wait_s(self) -> float:
        """Seconds spent waiting for the requests- and tokens-per-minute buckets."""
        return sum(b.waited_s for b in (self._rpm, self._tpm) if b is not None)

    def key_for(self, messages: Sequence[Mapping[str, Any]]) -> str:
        return cache_key(self.model, self.url, dict(self.sampling), messages)

    # ---------- the call ----------

    async def complete(self, messages: Sequence[Mapping[str, Any]], use_cache: bool = True) -> ChatResult:
        """Answer `messages`: from the cache, or by calling the endpoint with retries. Never raises."""
        t_start = time.perf_counter()
        key = self.key_for(messages) if self.cache is not None else None
        if key is not None and use_cache:
            hit = self.cache.get(key)  # type: ignore[union-attr]
            if hit is not None:
                u = hit.get("usage")
                return ChatResult(text=hit["text"], usage=Usage(**u) if u else None,
                                  latency_s=float(hit.get("latency_s") or 0.0), wall_s=time.perf_counter() - t_start,
                                  cached=True, finish_reason=hit.get("finish_reason"),
                                  response_model=hit.get("response_model"), cache_key=key)
        if self._fatal is not None:
            return ChatResult(text="", error=self._scrub(f"{self._fatal.message} (not sent: an earlier request got "
                                                         f"the same answer)"),
                              wall_s=time.perf_counter() - t_start, cache_key=key)
        st = self._loop_state()
        if key is None or not use_cache:
            return await self._call(st, messages, key, t_start)
        # Single flight: an identical request already in flight (a `mutate` generator asking for the same
        # answer as its base, say) is waited for, not sent twice.
        shared = st.pending.get(key)
        if shared is not None:
            try:
                res = await asyncio.shield(shared)
            except asyncio.CancelledError:
                if not shared.cancelled():
                    raise  # this call was cancelled, not the one it waited for
            else:
                return replace(res, cached=res.error is None, attempts=0, retried=(),
                               wall_s=time.perf_counter() - t_start)
        fut: asyncio.Future[ChatResult] = st.loop.create_future()
        st.pending[key] = fut
        try:
            res = await self._call(st, messages, key, t_start)
        except BaseException:
            fut.cancel()
            raise
        finally:
            st.pending.pop(key, None)
        fut.set_result(res)
        return res

    async def _call(self, st: _LoopState, messages: Sequence[Mapping[str, Any]], key: str | None,
                    t_start: float) -> ChatResult:
        """The retry loop around single attempts; stores a success in the cache."""
        retried: list[str] = []
        attempts = 0
        while True:
            failure, result = await self._attempt(st, messages, key)
            attempts += 1
            if result is not None:
                if key is not None:
                    self._store(key, messages, result)
                return ChatResult(text=result.text, usage=result.usage, latency_s=result.latency_s,
                                  wall_s=time.perf_counter() - t_start, attempts=attempts,
                                  finish_reason=result.finish_reason, response_model=result.response_model,
                                  retried=tuple(retried), cache_key=key)
            assert failure is not None
            if failure.fatal:
                self._fatal = failure
            if not failure.retryable or attempts > self.max_retries:
                suffix = "" if "(not sent:" in failure.message else "(not retried)" if not failure.retryable else \
                    f"(gave up after {attempts} attempt{'s' if attempts > 1 else ''})"
                return ChatResult(text="", error=self._scrub(f"{failure.message} {suffix}".rstrip()),
                                  wall_s=time.perf_counter() - t_start, latency_s=time.perf_counter() - t_start,
                                  attempts=attempts, retried=tuple(retried), cache_key=key)
            retried.append(failure.short)
            await asyncio.sleep(retry_delay(failure, attempts - 1, self.backoff_base_s, self.backoff_max_s,
                                            self.max_retry_after_s, self._rng))

    def _store(self, key: str, messages: Sequence[Mapping[str, Any]], result: ChatResult) -> None:
        assert self.cache is not None
        self.cache.put_later(key, {"model": self.model, "base_url": self.url, "settings": dict(self.sampling),
                             "messages": list(messages)},
                       {"text": result.text, "latency_s": round(result.latency_s, 4),
                        "usage": None if result.usage is None else {"prompt_tokens": result.usage.prompt_tokens,
                                                                    "completion_tokens": result.usage.completion_tokens},
                        "finish_reason": result.finish_reason, "response_model": result.response_model})

    async def _attempt(self, st: _LoopState, messages: Sequence[Mapping[str, Any]],
                       key: str | None) -> tuple[Failure | None, ChatResult | None]:
        """One request, inside the concurrency limit and the rate limits."""
        if st.sem is not None:
            await st.sem.acquire()
        try:
            if self._fatal is not None:  # learnt while this call waited for a slot
                return Failure(self._fatal.kind, f"{self._fatal.message} (not sent: an earlier request got the same "
                               f"answer)", False, self._fatal.status), None
            estimate = 0
            if self._rpm is not None:
                await self._rpm.take(1)
            if self._tpm is not None:
                estimate = estimate_tokens(messages) + int(self.sampling.get("max_tokens") or 256)
                await self._tpm.take(estimate)
            t0 = time.perf_counter()
            self.requests_sent += 1
            i = st.pick()
            try:
                resp = await st.clients[i].chat.completions.create(model=self.model, messages=list(messages),
                                                                   **self.sampling)
            except Exception as exc:  # classified below; nothing the SDK raises may sink a run
                return classify(exc, self.url, self.timeout_s), None
            finally:
                st.inflight[i] -= 1
            latency = time.perf_counter() - t0
        finally:
            if st.sem is not None:
                st.sem.release()
        usage = None
        if getattr(resp, "usage", None) is not None:
            usage = Usage(prompt_tokens=int(resp.usage.prompt_tokens or 0),
                          completion_tokens=int(resp.usage.completion_tokens or 0))
            if self._tpm is not None:
                self._tpm.adjust(usage.prompt_tokens + usage.completion_tokens - estimate)
        choices = getattr(resp, "choices", None) or []
        if not choices:
            return Failure("malformed", f"malformed response from {self.url}: no choices", True), None
        choice = choices[0]
        text = (getattr(choice.message, "content", None) or "") if getattr(choice, "message", None) else ""
        if not text.strip():
            reason = getattr(choice, "finish_reason", None)
            return Failure("empty", f"empty answer from {self.url} (finish_reason={reason})", True), None
        return None, ChatResult(text=text, usage=usage, latency_s=latency, finish_reason=choice.finish_reason,
                                response_model=getattr(resp, "model", None), cache_key=key)
