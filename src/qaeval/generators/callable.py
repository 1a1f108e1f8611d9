"""`callable`: answers from the user's own pipeline, a Python function named `package.module:function`.

The function gets the `Item` (its `.question`, and `.facts`/`.sources` for a grounded pipeline) and
the suite's `options:` as keyword arguments, and returns the answer text, or a dict
`{"answer": str, "usage"?: {"prompt_tokens", "completion_tokens"}, "cost_usd"?: float, "meta"?: dict}`.
It may be `async def` (awaited on the run's event loop) or a plain function (run in a thread pool
of `concurrency` threads, so a blocking pipeline does not stall the others). An exception is a
recorded error for that item; the run goes on.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Mapping

from ..errors import InputError
from ..records import Answer, Item, Usage
from .base import GeneratorContext, answer_id, generators

OPTIONS = frozenset({"id", "type", "description", "function", "path", "options", "concurrency", "timeout_s"})


def load_function(ref: str) -> Callable[..., Any]:
    """Import `package.module:function` (the part after ':' may be dotted: `mod:Class.method`)."""
    mod_name, sep, attr = ref.partition(":")
    if not sep or not mod_name or not attr:
        raise ValueError(f"{ref!r} is not of the form package.module:function")
    obj: Any = importlib.import_module(mod_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"{ref!r} is not callable")
    return obj


def _is_async(fn: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


def to_answer_parts(result: Any) -> tuple[str, Usage | None, float | None, dict[str, Any]]:
    """(text, usage, cost, meta) from what a pipeline returned; TypeError if it is neither str nor dict."""
    if isinstance(result, str):
        return result, None, None, {}
    if isinstance(result, Mapping):
        text = result.get("answer", result.get("text"))
        if not isinstance(text, str):
            raise TypeError(f"the returned dict needs an 'answer' string (got keys {sorted(result)})")
        u = result.get("usage")
        usage = Usage(prompt_tokens=int(u.get("prompt_tokens", 0)), completion_tokens=int(u.get("completion_tokens", 0))) \
            if isinstance(u, Mapping) else None
        cost = result.get("cost_usd")
        meta = result.get("meta")
        return text, usage, float(cost) if cost is not None else None, dict(meta) if isinstance(meta, Mapping) else {}
    raise TypeError(f"returned {type(result).__name__}; expected a string or a dict with 'answer'")


class CallableGenerator:
    def __init__(self, spec: Mapping[str, Any], ctx: GeneratorContext):
        gid = self.id = spec["id"]
        unknown = sorted(set(spec) - OPTIONS)
        if unknown:
            raise InputError(f"generator {gid!r} (type callable): unknown option(s) {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(OPTIONS - {'id', 'type'}))})")
        self.ref = spec.get("function")
        if not isinstance(self.ref, str):
            raise InputError(f"generator {gid!r} (type callable): `function: package.module:function` is required")
        self.path = str((ctx.base_dir / spec["path"]).resolve()) if spec.get("path") else None
        if self.path and self.path not in sys.path:
            sys.path.insert(0, self.path)
        try:
            self.fn = load_function(self.ref)
        except (ImportError, AttributeError, ValueError) as exc:
            where = f" (with {self.path} on sys.path)" if self.path else ""
            raise InputError(f"generator {gid!r}: cannot load function {self.ref!r}{where}: "
                             f"{type(exc).__name__}: {exc}") from None
        self.options = dict(spec.get("options") or {})
        self.concurrency = int(spec.get("concurrency", 8))
        self.timeout_s = float(spec["timeout_s"]) if spec.get("timeout_s") else None
        self.is_async = _is_async(self.fn)
        self._pool: ThreadPoolExecutor | None = None
        self._sem: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def settings(self) -> dict[str, Any]:
        return {"type": "callable", "function": self.ref, "path": self.path, "options": self.options,
                "async": self.is_async, "concurrency": self.concurrency, "timeout_s": self.timeout_s}

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._sem is None or self._sem[0] is not loop:
            self._sem = (loop, asyncio.Semaphore(self.concurrency))
        return self._sem[1]

    async def _call(self, item: Item) -> Any:
        if self.is_async:
            return await self.fn(item, **self.options)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"qaeval-{self.id}")
        result = await asyncio.get_running_loop().run_in_executor(
            self._pool, functools.partial(self.fn, item, **self.options))
        return await result if inspect.isawaitable(result) else result

    async def generate(self, item: Item) -> Answer:
        aid = answer_id(item.id, self.id)
        t0 = time.perf_counter()
        try:
            async with self._semaphore():
                call = self._call(item)
                result = await (asyncio.wait_for(call, self.timeout_s) if self.timeout_s else call)
            text, usage, cost, meta = to_answer_parts(result)
        except asyncio.TimeoutError:
            return Answer(item_id=item.id, generator=self.id, text="", answer_id=aid, latency_s=time.perf_counter() - t0,
                          error=f"{self.ref} did not answer within {self.timeout_s:g}s")
        except Exception as exc:  # the user's pipeline failing is a recorded error, never a crash
            return Answer(item_id=item.id, generator=self.id, text="", answer_id=aid, latency_s=time.perf_counter() - t0,
                          error=f"{self.ref} raised {type(exc).__name__}: {exc}"[:2000])
        latency = round(time.perf_counter() - t0, 4)
        if not text.strip():
            return Answer(item_id=item.id, generator=self.id, text="", answer_id=aid, latency_s=latency,
                          error=f"{self.ref} returned an empty answer", meta=meta)
        return Answer(item_id=item.id, generator=self.id, text=text, answer_id=aid, latency_s=latency,
                      usage=usage, cost_usd=cost, meta=meta)

    async def aclose(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


generators.register("callable")(CallableGenerator)
