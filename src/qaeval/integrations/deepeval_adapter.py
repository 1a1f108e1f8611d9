"""deepeval's FaithfulnessMetric as a qaeval scorer: `deepeval_faithfulness`.

(The reverse direction, qaeval scorers as deepeval metrics, is `qaeval.integrations.deepeval`.)

Turned on by listing it in a suite with a judge endpoint (see docs/judges.md):

    scorers:
      - name: deepeval_faithfulness
        options: {base_url: "http://127.0.0.1:8000/v1", model: my-judge, api_key_env: JUDGE_API_KEY}

The metric's model is `OpenAICompatibleModel`, a `DeepEvalBaseLLM` that sends each of deepeval's
prompts through qaeval's judge client (`qaeval.judges.client`): the user's endpoint, temperature 0,
JSON mode, the reply validated against the pydantic schema deepeval asks for and retried when
malformed, the key read from `api_key_env`. No deepeval settings file or global model is touched.
The retrieval context is the item's facts. An exception, deepeval's own error, or a score with
nothing behind it (no claims extracted, or not one verdict per claim: deepeval would call that 1.0)
is the scorer's recorded error.

Needs the `ecosystems` extra: pip install deepeval.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from typing import Any, Mapping

os.environ.setdefault("DEEPEVAL_TELEMETRY_OPT_OUT", "YES")  # deepeval reports usage unless told not to

try:
    import deepeval
    from deepeval.metrics import FaithfulnessMetric
    from deepeval.models import DeepEvalBaseLLM
    from deepeval.test_case import LLMTestCase
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("the deepeval_faithfulness scorer needs deepeval: pip install 'qaeval[ecosystems]' "
                      "(or pip install 'deepeval>=3')") from exc

from pydantic import BaseModel, ValidationError

from ..judges.client import Check, JudgeClient, JudgeSettings
from ..judges.ecosystems import EcosystemScorer, Measurement


def pydantic_check(schema: type[BaseModel] | None) -> Check | None:
    """The schema deepeval asks for, as a judge-client check (a mismatch is a malformed reply)."""
    if schema is None:
        return None

    def check(data: Any) -> list[str]:
        try:
            schema.model_validate(data)
        except ValidationError as exc:
            return [f"$.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return []
    return check


class OpenAICompatibleModel(DeepEvalBaseLLM):
    """deepeval's judge model, answered by any OpenAI-compatible endpoint through qaeval's judge client."""

    def __init__(self, settings: JudgeSettings):
        self.settings = settings
        # The scorer caches whole results; per-prompt caching here would only duplicate them.
        self.client = JudgeClient(replace(settings, cache=False))
        super().__init__(settings.model)

    def load_model(self) -> JudgeClient:
        return self.client

    def generate(self, prompt: str, schema: type[BaseModel] | None = None) -> Any:
        """A schema instance when deepeval passes a schema, else the JSON text (deepeval parses it)."""
        reply = self.client.judge([{"role": "user", "content": prompt}], schema=None,
                                  purpose=f"deepeval:{schema.__name__ if schema else 'json'}",
                                  check=pydantic_check(schema))
        return schema.model_validate(reply.data) if schema is not None else reply.text

    async def a_generate(self, prompt: str, schema: type[BaseModel] | None = None) -> Any:
        return await asyncio.to_thread(self.generate, prompt, schema)

    def get_model_name(self) -> str:
        return self.settings.model


class DeepevalFaithfulness(EcosystemScorer):
    """Share of the answer's claims that do not contradict the item's facts (deepeval FaithfulnessMetric)."""

    name = "deepeval_faithfulness"
    metric = "deepeval.FaithfulnessMetric"
    metric_version = f"deepeval-{getattr(deepeval, '__version__', '?')}"

    def __init__(self, penalize_ambiguous_claims: bool = False, include_reason: bool = True, **options: Any) -> None:
        self.penalize_ambiguous_claims = bool(penalize_ambiguous_claims)
        self.include_reason = bool(include_reason)
        super().__init__(**options)

    def metric_options(self) -> dict[str, Any]:
        return {"penalize_ambiguous_claims": self.penalize_ambiguous_claims, "include_reason": self.include_reason}

    def measure(self, inputs: Mapping[str, Any], key: str) -> Measurement:
        metric = FaithfulnessMetric(model=OpenAICompatibleModel(self.settings), async_mode=False,
                                    include_reason=self.include_reason,
                                    penalize_ambiguous_claims=self.penalize_ambiguous_claims)
        case = LLMTestCase(input=inputs["question"], actual_output=inputs["response"],
                           retrieval_context=list(inputs["contexts"]))
        score = metric.measure(case, _show_indicator=False)
        claims = list(getattr(metric, "claims", None) or [])
        verdicts = list(getattr(metric, "verdicts", None) or [])
        details: dict[str, Any] = {
            "claims": [{"claim": c, "verdict": str(getattr(v.verdict, "value", v.verdict)),
                        **({"reason": v.reason} if v.reason else {})} for c, v in zip(claims, verdicts)]}
        if getattr(metric, "reason", None):
            details["reason"] = str(metric.reason)
        if getattr(metric, "error", None):
            return Measurement(None, details, f"{self.metric} failed: {metric.error}")
        if not claims:
            return Measurement(None, details, f"{self.metric} extracted no claims from the answer "
                                              "(deepeval scores that 1.0; qaeval records it as no value)")
        if len(verdicts) != len(claims):
            return Measurement(None, details, f"{self.metric} got {len(verdicts)} verdicts for {len(claims)} "
                                              "claims (a verdict the judge left out would count as a pass)")
        return Measurement(None if score is None else float(score), details)


__all__ = ["DeepevalFaithfulness", "OpenAICompatibleModel", "pydantic_check"]
