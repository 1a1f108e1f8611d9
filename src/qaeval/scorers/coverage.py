"""`coverage`: which required facts the answer conveys, with the span that conveys each.

A required fact is conveyed by the claim closest to it (MiniLM cosine blended with word overlap)
when that claim carries enough of the fact's content and does not contradict it: a claim with the
wrong number, the opposite polarity or the other transplant type does not count as conveying it.
Shares its analysis with `grounding` (one pass per answer).
"""

from __future__ import annotations

from ..records import Answer, Finding, Item, ScoreResult
from .analysis import analyse
from .base import ScoringContext, scorers


class CoverageScorer:
    name = "coverage"
    offline = True  # pure CPU work, no clients: safe to run in worker processes

    def __init__(self, embeddings: bool = True) -> None:
        self.embeddings = embeddings

    def score(self, item: Item, answer: Answer, ctx: ScoringContext) -> ScoreResult:
        a = analyse(item, answer.text, use_model=self.embeddings)
        findings: list[Finding] = []
        covered = 0
        end = len(answer.text)
        for cov in a.coverage:
            f = cov.fact
            if cov.claim is not None:
                covered += 1
                c = cov.claim
                findings.append(Finding(kind="covered", severity="info", message=f"conveys {f.id}",
                                        start=c.start, end=c.end, text=c.text,
                                        evidence={"fact_ids": [f.id], "source_ids": [f.source_id],
                                                  "similarity": cov.similarity}))
            else:
                findings.append(Finding(kind="missing_fact", severity="medium",
                                        message=f"does not convey required fact {f.id}: {f.text}",
                                        start=end, end=end, text="",
                                        evidence={"fact_ids": [f.id], "source_ids": [f.source_id]}))
        required = len(a.coverage)
        value = covered / required if required else 1.0
        return ScoreResult(scorer=self.name, value=value, passed=value >= ctx.rubric.threshold(self.name, 0.5),
                           findings=tuple(findings),
                           details={"required": required, "covered": covered, "missing": required - covered})


scorers.register("coverage")(lambda **opts: CoverageScorer(**opts))
