"""`coverage`: which required facts the answer conveys, with the span that conveys each."""

from __future__ import annotations

from ..records import Answer, Finding, Item, ScoreResult
from ..textspans import split_sentences
from .base import ScoringContext, scorers
from .claims import content_tokens
from .grounding import overlap

CONVEYS = 0.6


class CoverageScorer:
    name = "coverage"

    def score(self, item: Item, answer: Answer, ctx: ScoringContext) -> ScoreResult:
        sents = [(s, content_tokens(s.text)) for s in split_sentences(answer.text)]
        required = [f for f in item.facts if f.required]
        findings: list[Finding] = []
        covered = 0
        for f in required:
            ft = content_tokens(f.text)
            best = max(((overlap(st, ft), s) for s, st in sents), default=(0.0, None), key=lambda x: x[0])
            if best[1] is not None and best[0] >= CONVEYS:
                covered += 1
                s = best[1]
                findings.append(Finding(kind="covered", severity="info", message=f"conveys {f.id}",
                                        start=s.start, end=s.end, text=s.text, evidence={"fact_ids": [f.id]}))
            else:
                findings.append(Finding(kind="missing_fact", severity="medium",
                                        message=f"does not convey required fact {f.id}: {f.text}",
                                        start=len(answer.text), end=len(answer.text), text="",
                                        evidence={"fact_ids": [f.id], "source_ids": [f.source_id]}))
        value = covered / len(required) if required else 1.0
        return ScoreResult(scorer=self.name, value=value, passed=value >= ctx.rubric.threshold(self.name, 0.5),
                           findings=tuple(findings), details={"required": len(required), "covered": covered})


scorers.register("coverage")(lambda **opts: CoverageScorer())
