"""ragas metrics as qaeval scorers: `ragas_faithfulness` and `ragas_factual_correctness`.

Turned on by listing them in a suite with a judge endpoint (see docs/judges.md):

    scorers:
      - name: ragas_faithfulness
        options: {base_url: "http://127.0.0.1:8000/v1", model: my-judge, api_key_env: JUDGE_API_KEY}

The LLM is the user's OpenAI-compatible endpoint, through ragas 0.4's own factory:
`llm_factory(model, client=AsyncOpenAI(base_url=...))` (the collections metrics only call the async
`agenerate`, so the client must be the async one). Faithfulness sees the item's facts as the
retrieved contexts; FactualCorrectness compares the answer with the item's required facts joined as
the reference. Requests are at temperature 0 (ragas' default is 0.01), HTTP failures are retried by
the openai SDK and malformed JSON by instructor, `max_retries` times each. A NaN (Faithfulness
gives one when it finds no statements to check) or an exception is the scorer's recorded error.

Needs the `ecosystems` extra: pip install 'ragas==0.4.3' 'langchain-community<0.4'.
"""

from __future__ import annotations

import os
from typing import Any, Awaitable, Mapping

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # ragas posts usage analytics unless told not to

try:
    import ragas
    from ragas.llms import llm_factory
    from ragas.metrics.collections import FactualCorrectness, Faithfulness
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("the ragas_* scorers need ragas: pip install 'qaeval[ecosystems]' "
                      "(or pip install 'ragas==0.4.3' 'langchain-community<0.4')") from exc

from ..judges.ecosystems import EcosystemScorer, Measurement, run_sync


class _RagasScorer(EcosystemScorer):
    metric_version = f"ragas-{getattr(ragas, '__version__', '?')}"

    def _make_metric(self, llm: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _call(self, metric: Any, inputs: Mapping[str, Any]) -> Awaitable[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def measure(self, inputs: Mapping[str, Any], key: str) -> Measurement:
        """Score with a client made (and closed) inside the coroutine's own event loop."""
        from openai import AsyncOpenAI

        async def go() -> Any:
            client = AsyncOpenAI(base_url=self.settings.base_url, api_key=key,
                                 max_retries=self.settings.max_retries, timeout=self.settings.timeout_s)
            try:
                kwargs: dict[str, Any] = {"temperature": 0, "max_retries": self.settings.max_retries + 1}
                if self.settings.max_tokens:
                    kwargs["max_tokens"] = self.settings.max_tokens
                llm = llm_factory(self.settings.model, client=client, **kwargs)
                return await self._call(self._make_metric(llm), inputs)
            finally:
                await client.close()

        result = run_sync(go)
        value = getattr(result, "value", result)
        details: dict[str, Any] = {}
        reason = getattr(result, "reason", None)
        if reason:
            details["reason"] = str(reason)
        if value is not None and not isinstance(value, (int, float)):
            return Measurement(None, details, f"{self.metric} returned a non-number: {value!r}")
        if value != value:  # NaN
            details["why"] = "ragas found no statements to check in the answer"
        return Measurement(None if value is None else float(value), details)


class RagasFaithfulness(_RagasScorer):
    """Share of the answer's statements that the item's facts support (ragas Faithfulness)."""

    name = "ragas_faithfulness"
    metric = "ragas.Faithfulness"

    def _make_metric(self, llm: Any) -> Any:
        return Faithfulness(llm=llm)

    def _call(self, metric: Any, inputs: Mapping[str, Any]) -> Awaitable[Any]:
        return metric.ascore(user_input=inputs["question"], response=inputs["response"],
                             retrieved_contexts=list(inputs["contexts"]))


class RagasFactualCorrectness(_RagasScorer):
    """Claim-level precision/recall/F1 of the answer against the required facts (ragas FactualCorrectness)."""

    name = "ragas_factual_correctness"
    metric = "ragas.FactualCorrectness"
    default_threshold = 0.5

    def __init__(self, mode: str = "f1", atomicity: str = "low", coverage: str = "low", **options: Any) -> None:
        if mode not in ("precision", "recall", "f1"):
            raise ValueError(f"{self.name}: mode must be precision, recall or f1, not {mode!r}")
        for k, v in (("atomicity", atomicity), ("coverage", coverage)):
            if v not in ("low", "high"):
                raise ValueError(f"{self.name}: {k} must be low or high, not {v!r}")
        self.mode, self.atomicity, self.coverage = mode, atomicity, coverage
        super().__init__(**options)

    def metric_options(self) -> dict[str, Any]:
        return {"mode": self.mode, "atomicity": self.atomicity, "coverage": self.coverage}

    def _make_metric(self, llm: Any) -> Any:
        return FactualCorrectness(llm=llm, mode=self.mode, atomicity=self.atomicity, coverage=self.coverage)

    def _call(self, metric: Any, inputs: Mapping[str, Any]) -> Awaitable[Any]:
        return metric.ascore(response=inputs["response"], reference=inputs["reference"])


__all__ = ["RagasFactualCorrectness", "RagasFaithfulness"]
