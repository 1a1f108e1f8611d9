"""ragas and deepeval metrics as qaeval scorers: the part that needs neither package installed.

The scorer names (`ragas_faithfulness`, `ragas_factual_correctness`, `deepeval_faithfulness`) are
registered here with factories that import `qaeval.integrations.ragas_adapter` or
`...deepeval_adapter` only when a suite builds one, so `import qaeval` never imports ragas or
deepeval, and a suite that names an adapter without the package installed fails before anything
runs, with the pip command to fix it.

`EcosystemScorer` is what the adapters share: options parsed like a judge's (endpoint, model,
`api_key_env`, cache), what the metric is shown (the item's facts as retrieved context, the required
facts joined as the reference), a result cache by content hash, and the rule that a NaN, a missing
value or an exception is a recorded error, never a value that gets averaged in.
"""

from __future__ import annotations

import asyncio
import importlib
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, TypeVar

from ..cache import AnswerCache, cache_key
from ..chat_client import NO_KEY
from ..records import Answer, Item, ScoreResult
from ..retry import scrub
from ..scorers.base import ScoringContext, scorers
from .client import JudgeError, JudgeSettings

T = TypeVar("T")

ADAPTERS: dict[str, tuple[str, str]] = {
    "ragas_faithfulness": ("qaeval.integrations.ragas_adapter", "RagasFaithfulness"),
    "ragas_factual_correctness": ("qaeval.integrations.ragas_adapter", "RagasFactualCorrectness"),
    "deepeval_faithfulness": ("qaeval.integrations.deepeval_adapter", "DeepevalFaithfulness"),
}
"""Scorer name -> (module, class), imported when a suite first builds that scorer."""


def _lazy_factory(module: str, attr: str) -> Callable[..., Any]:
    def factory(**options: Any) -> Any:
        return getattr(importlib.import_module(module), attr)(**options)
    factory.__name__ = f"lazy_{attr}"
    return factory


for _name, (_module, _attr) in ADAPTERS.items():
    scorers.register(_name)(_lazy_factory(_module, _attr))


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, even when this thread already runs a loop.

    Scorers are synchronous; the ecosystems' metrics are async. Inside a running loop (deepeval's
    own runner, a notebook) the coroutine gets a fresh loop in a worker thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())  # type: ignore[arg-type]
    with ThreadPoolExecutor(1, thread_name_prefix="qaeval-judge") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()  # type: ignore[arg-type]


def api_key(settings: JudgeSettings) -> str:
    """The key from the environment variable the suite names (a placeholder when none is named)."""
    if not settings.api_key_env:
        return NO_KEY
    key = os.environ.get(settings.api_key_env)
    if not key:
        raise JudgeError(f"environment variable {settings.api_key_env} (api_key_env) is not set")
    return key


@dataclass(frozen=True)
class Measurement:
    """What an ecosystem metric said: a value (None or NaN: no value) and what to keep of its reasons."""

    value: float | None
    details: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


class EcosystemScorer:
    """Base of the adapters: subclasses set `name`, `metric`, `default_threshold` and `measure`."""

    name = "ecosystem"
    metric = ""  # e.g. "ragas.Faithfulness": part of the cache key
    metric_version = ""  # the ecosystem's version: a new release is a new cache key
    default_threshold = 0.7

    def __init__(self, threshold: float | None = None, **options: Any) -> None:
        self.threshold = threshold
        self.settings = JudgeSettings.from_options(self.name, options)
        self.cache = AnswerCache(self.settings.cache_root()) if self.settings.cache else None
        self.requests_made = 0

    def inputs(self, item: Item, answer: Answer) -> dict[str, Any]:
        """What the metric is shown: the question, the answer, the facts, the required facts."""
        return {"question": item.question, "response": answer.text,
                "contexts": [f.text for f in item.facts],
                "reference": " ".join(f.text for f in item.facts if f.required)}

    def measure(self, inputs: Mapping[str, Any], key: str) -> Measurement:  # pragma: no cover - abstract
        raise NotImplementedError

    def _cache_key(self, inputs: Mapping[str, Any]) -> str:
        settings = {"metric": self.metric, "version": self.metric_version, "temperature": 0,
                    "options": self.metric_options()}
        return cache_key(self.settings.model, self.settings.url, settings, [dict(inputs)])

    def metric_options(self) -> dict[str, Any]:
        """Metric settings that change its value (part of the cache key)."""
        return {}

    def score(self, item: Item, answer: Answer, ctx: ScoringContext) -> ScoreResult:
        inputs = self.inputs(item, answer)
        ckey = self._cache_key(inputs)
        judge = {"metric": self.metric, "model": self.settings.model, "base_url": self.settings.url}
        hit = self.cache.get(ckey) if self.cache is not None else None
        if hit is not None and isinstance(hit.get("value"), (int, float)) and math.isfinite(hit["value"]):
            m = Measurement(float(hit["value"]), hit.get("details") or {})
            judge["cached"] = True
        else:
            secret = ""
            try:
                secret = api_key(self.settings)
                m = self.measure(inputs, secret)
            except Exception as exc:  # an ecosystem's failure is this scorer's recorded error
                msg = f"{self.metric} failed: {type(exc).__name__}: {exc}"
                return ScoreResult(scorer=self.name, value=None, passed=None, error=scrub(msg, [secret])[:2000],
                                   details={"judge": judge})
            judge["cached"] = False
            if m.error is None and (m.value is None or not math.isfinite(m.value)):
                m = Measurement(None, m.details, f"{self.metric} returned {m.value!r} (no value): "
                                                 f"{m.details.get('why', 'nothing to score')}")
            if m.error is None and self.cache is not None:
                self.cache.put(ckey, {"model": self.settings.model, "base_url": self.settings.url,
                                      "metric": self.metric, "inputs": inputs},
                               {"text": "ok", "value": m.value, "details": dict(m.details)})
        if m.error is not None:
            return ScoreResult(scorer=self.name, value=None, passed=None, error=m.error,
                               details={"judge": judge, **m.details})
        assert m.value is not None
        threshold = self.threshold if self.threshold is not None else \
            ctx.rubric.threshold(self.name, self.default_threshold)
        return ScoreResult(scorer=self.name, value=min(1.0, max(0.0, m.value)), passed=m.value >= threshold,
                           details={"judge": judge, **m.details})


__all__ = ["ADAPTERS", "EcosystemScorer", "Measurement", "api_key", "run_sync"]
