"""`openai`: answers from any OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, Ollama,
llama.cpp server, a gateway), in closed-book mode (the question alone) or grounded mode (the item's
reference facts and sources in the prompt, to evaluate retrieval-augmented systems).

The key is read from the environment variable named by `api_key_env`, never from the suite. The
calling machinery (limits, retries, cache) is `qaeval.chat_client`; this module turns an Item into
messages and a ChatResult into an Answer.
"""

from __future__ import annotations

import os
import string
from pathlib import Path
from typing import Any, Mapping

from ..cache import AnswerCache
from ..chat_client import ChatClient, cost_usd, display_url
from ..errors import InputError
from ..records import Answer, Item
from .base import GeneratorContext, answer_id, generators

MODES = ("closed_book", "grounded")
FIELDS = ("question", "facts", "sources", "topic", "audience")
SAMPLING = ("temperature", "top_p", "max_tokens", "seed", "stop", "presence_penalty", "frequency_penalty",
            "extra_body")
OPTIONS = frozenset({"id", "type", "description", "base_url", "model", "api_key_env", "mode", "system_prompt",
                     "user_prompt", "timeout_s", "max_retries", "backoff_base_s", "backoff_max_s",
                     "max_retry_after_s", "requests_per_minute", "tokens_per_minute", "concurrency", "prices",
                     "cache", "cache_dir", *SAMPLING})
PRICE_KEYS = frozenset({"prompt_per_1k", "completion_per_1k", "prompt_per_1m", "completion_per_1m"})

SYSTEM_CLOSED_BOOK = (
    "You answer questions from people affected by cancer and from the people caring for them. Be accurate, "
    "kind and clear, and use plain language. Say when something is for their care team to decide, and when a "
    "symptom needs urgent care now. Never give a dose, and never tell anyone to stop or change a treatment.")
SYSTEM_GROUNDED = SYSTEM_CLOSED_BOOK + (
    " Base your answer only on the reference facts given with the question, and cite the source of each "
    "point in parentheses as (title, year).")
USER_CLOSED_BOOK = "{question}"
USER_GROUNDED = "{question}\n\nReference facts:\n{facts}\n\nSources:\n{sources}"


def prompt_fields(item: Item) -> dict[str, str]:
    """The values a prompt template may use."""
    facts = []
    for f in item.facts:
        src = item.source(f.source_id)
        cite = f" ({src.title}, {src.year})" if src else ""
        facts.append(f"- {f.text.rstrip().rstrip('.')}{cite}.")
    sources = [f"- {s.title} ({s.publisher}, {s.year})" + (f" {s.url}" if s.url else "") for s in item.sources]
    return {"question": item.question, "facts": "\n".join(facts), "sources": "\n".join(sources),
            "topic": item.topic, "audience": item.audience}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _check_template(gid: str, name: str, template: Any, mode: str) -> str:
    if not isinstance(template, str):
        raise InputError(f"generator {gid!r}: {name} must be a string")
    try:
        used = _placeholders(template)
    except ValueError as exc:
        raise InputError(f"generator {gid!r}: {name}: {exc} (write literal braces as {{{{ and }}}})") from None
    unknown = sorted(u for u in used if u not in FIELDS)
    if unknown:
        raise InputError(f"generator {gid!r}: {name}: unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)} "
                         f"(known: {', '.join('{' + f + '}' for f in FIELDS)})")
    if mode == "closed_book" and used & {"facts", "sources"}:
        raise InputError(f"generator {gid!r}: {name} uses {{facts}} or {{sources}} but mode is closed_book "
                         f"(set mode: grounded to give the model the reference material)")
    return template


def _number(gid: str, spec: Mapping[str, Any], name: str, default: float | None, minimum: float = 0) -> Any:
    v = spec.get(name, default)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < minimum:
        raise InputError(f"generator {gid!r}: {name} must be a number >= {minimum:g}, not {v!r}")
    return v


class OpenAIGenerator:
    def __init__(self, spec: Mapping[str, Any], ctx: GeneratorContext):
        gid = self.id = spec["id"]
        unknown = sorted(set(spec) - OPTIONS)
        if unknown:
            raise InputError(f"generator {gid!r} (type openai): unknown option(s) {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(OPTIONS - {'id', 'type'}))})")
        if not isinstance(spec.get("model"), str) or not spec["model"]:
            raise InputError(f"generator {gid!r} (type openai): `model` is required")
        self.model: str = spec["model"]
        self.base_url: str = str(spec.get("base_url", "https://api.openai.com/v1"))
        self.mode = spec.get("mode", "closed_book")
        if self.mode not in MODES:
            raise InputError(f"generator {gid!r}: mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        grounded = self.mode == "grounded"
        self.system_prompt = _check_template(gid, "system_prompt", spec.get(
            "system_prompt", SYSTEM_GROUNDED if grounded else SYSTEM_CLOSED_BOOK), self.mode)
        self.user_prompt = _check_template(gid, "user_prompt", spec.get(
            "user_prompt", USER_GROUNDED if grounded else USER_CLOSED_BOOK), self.mode)
        self.api_key_env = spec.get("api_key_env")
        api_key = None
        if self.api_key_env is not None:
            api_key = os.environ.get(str(self.api_key_env))
            if not api_key:
                raise InputError(f"generator {gid!r}: environment variable {self.api_key_env} (api_key_env) "
                                 f"is not set or empty")
        elif display_url(self.base_url).startswith("https://api.openai.com"):
            raise InputError(f"generator {gid!r}: api_key_env is required for {self.base_url} "
                             f"(name the environment variable that holds the key)")
        self.sampling = {k: spec[k] for k in SAMPLING if spec.get(k) is not None}
        prices = spec.get("prices")
        if prices is not None and (not isinstance(prices, Mapping) or set(prices) - PRICE_KEYS
                                   or not all(isinstance(v, (int, float)) for v in prices.values())):
            raise InputError(f"generator {gid!r}: prices must map {', '.join(sorted(PRICE_KEYS))} to numbers")
        self.prices = dict(prices) if prices else None
        self.use_cache = bool(spec.get("cache", True)) and ctx.use_cache
        cache_dir = spec.get("cache_dir")
        root = (ctx.base_dir / cache_dir).resolve() if cache_dir else ctx.cache_dir or (
            ctx.run_dir / "cache" if ctx.run_dir is not None else None)
        self.cache_root: Path | None = root if spec.get("cache", True) else None
        concurrency = _number(gid, spec, "concurrency", None, 1)
        self.client = ChatClient(
            base_url=self.base_url, model=self.model, api_key=api_key, sampling=self.sampling,
            timeout_s=float(_number(gid, spec, "timeout_s", 60.0, 0.001)),
            max_retries=int(_number(gid, spec, "max_retries", 4)),
            backoff_base_s=float(_number(gid, spec, "backoff_base_s", 0.5)),
            backoff_max_s=float(_number(gid, spec, "backoff_max_s", 20.0)),
            max_retry_after_s=float(_number(gid, spec, "max_retry_after_s", 120.0)),
            requests_per_minute=_number(gid, spec, "requests_per_minute", None, 0.001),
            tokens_per_minute=_number(gid, spec, "tokens_per_minute", None, 1),
            concurrency=int(concurrency) if concurrency else None,
            cache=AnswerCache(root) if root is not None and spec.get("cache", True) else None)

    def settings(self) -> dict[str, Any]:
        c = self.client
        return {"type": "openai", "base_url": c.url, "model": self.model, "mode": self.mode,
                "api_key_env": self.api_key_env, "system_prompt": self.system_prompt, "user_prompt": self.user_prompt,
                "sampling": dict(self.sampling), "timeout_s": c.timeout_s, "max_retries": c.max_retries,
                "requests_per_minute": c.requests_per_minute, "tokens_per_minute": c.tokens_per_minute,
                "concurrency": c.concurrency, "prices": self.prices, "cache": self.use_cache,
                "cache_dir": str(self.cache_root) if self.cache_root else None}

    def messages(self, item: Item) -> list[dict[str, str]]:
        """The chat messages sent for an item (what the cache key is made of)."""
        fields = prompt_fields(item)
        out = []
        if self.system_prompt.strip():
            out.append({"role": "system", "content": self.system_prompt.format_map(fields)})
        out.append({"role": "user", "content": self.user_prompt.format_map(fields)})
        return out

    async def generate(self, item: Item) -> Answer:
        res = await self.client.complete(self.messages(item), use_cache=self.use_cache)
        meta: dict[str, Any] = {"mode": self.mode, "attempts": res.attempts}
        if res.retried:
            meta["retried"] = list(res.retried)
        if res.finish_reason:
            meta["finish_reason"] = res.finish_reason
        if res.response_model:
            meta["response_model"] = res.response_model
        if res.cached:
            meta["cache_key"] = res.cache_key
        return Answer(item_id=item.id, generator=self.id, text=res.text, answer_id=answer_id(item.id, self.id),
                      error=res.error, latency_s=round(res.latency_s, 4), usage=res.usage,
                      cost_usd=cost_usd(res.usage, self.prices) if not res.error else None,
                      cached=res.cached, meta=meta)

    async def aclose(self) -> None:
        await self.client.aclose()


generators.register("openai")(OpenAIGenerator)
