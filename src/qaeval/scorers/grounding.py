"""`grounding`: is each claim of the answer supported by the item's facts, contradicted, or neither?

Claims come from `claims.extract_claims`; each is compared with every fact and misconception of the
item by MiniLM cosine blended with word overlap (`analysis.py`), and conflicts a similarity score
cannot see (negation, drug class, numbers, line of therapy, transplant type, a close match to a
misconception) are found by `checks.py`. The value is the share of claims supported, cut down by
contradictions; an answer with any contradiction does not pass.
"""

from __future__ import annotations

from typing import Any

from ..records import Answer, Finding, Item, ScoreResult
from .analysis import analyse
from .base import ScoringContext, scorers


def grounding_value(n_claims: int, supported: int, contradicted: int) -> float:
    """Share of claims supported; a contradiction caps the value at 0.5 and scales it down further."""
    if not n_claims:
        return 0.0
    value = supported / n_claims
    if contradicted:
        value = min(value, 0.5) * (1 - contradicted / n_claims)
    return value


class GroundingScorer:
    name = "grounding"
    offline = True  # pure CPU work, no clients: safe to run in worker processes

    def __init__(self, embeddings: bool = True) -> None:
        self.embeddings = embeddings

    def score(self, item: Item, answer: Answer, ctx: ScoringContext) -> ScoreResult:
        a = analyse(item, answer.text, use_model=self.embeddings)
        findings: list[Finding] = []
        counts = {"supported": 0, "unsupported": 0, "contradicted": 0}
        checks_fired: dict[str, int] = {}
        for v in a.verdicts:
            counts[v.label] += 1
            ev: dict[str, Any] = {"fact_ids": list(v.fact_ids)}
            srcs = [f.source_id for fid in v.fact_ids if (f := item.fact(fid)) is not None]
            ev["source_ids"] = list(dict.fromkeys(srcs))
            if v.misconception_id:
                ev["misconception_id"] = v.misconception_id
            if v.check:
                ev["check"] = v.check
            if len(v.checks) > 1:
                ev["checks"] = list(v.checks)
            ev["similarity"] = v.similarity
            if v.label == "contradicted":
                checks_fired[v.check or ""] = checks_fired.get(v.check or "", 0) + 1
            severity = {"supported": "info", "unsupported": "low", "contradicted": "high"}[v.label]
            findings.append(Finding(kind=v.label, severity=severity, message=v.message, start=v.claim.start,
                                    end=v.claim.end, text=v.claim.text, evidence=ev))
        n = len(a.verdicts)
        value = grounding_value(n, counts["supported"], counts["contradicted"])
        threshold = ctx.rubric.threshold(self.name, 0.7)
        details = {"claims": n, **counts, "embedder": a.embedder}
        if checks_fired:
            details["contradiction_checks"] = checks_fired
        return ScoreResult(scorer=self.name, value=value, passed=(counts["contradicted"] == 0 and value >= threshold),
                           findings=tuple(findings), details=details)


scorers.register("grounding")(lambda **opts: GroundingScorer(**opts))
