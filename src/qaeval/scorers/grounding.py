"""`grounding`: is each claim of the answer supported by the item's facts, contradicted, or neither?

First version: lexical overlap between a claim and each fact or misconception. A claim that matches
a misconception better than any fact is contradicted. Later versions add embeddings and polarity,
drug-class, number and line-of-therapy checks.
"""

from __future__ import annotations

from ..records import Answer, Finding, Item, ScoreResult
from .base import ScoringContext, scorers
from .claims import content_tokens, extract_claims

SUPPORT = 0.5
CONTRADICT = 0.6


def overlap(a: set[str], b: set[str]) -> float:
    """Share of the reference's content words that the claim carries."""
    return len(a & b) / len(b) if b else 0.0


class GroundingScorer:
    name = "grounding"

    def score(self, item: Item, answer: Answer, ctx: ScoringContext) -> ScoreResult:
        claims = extract_claims(answer.text)
        facts = [(f, content_tokens(f.text)) for f in item.facts]
        miscs = [(m, content_tokens(m.text)) for m in item.misconceptions]
        findings: list[Finding] = []
        supported = contradicted = 0
        for c in claims:
            ct = content_tokens(c.text)
            best_f = max(((overlap(ct, t), f) for f, t in facts), default=(0.0, None), key=lambda x: x[0])
            best_m = max(((overlap(ct, t), m) for m, t in miscs), default=(0.0, None), key=lambda x: x[0])
            if best_m[1] is not None and best_m[0] >= CONTRADICT and best_m[0] > best_f[0]:
                contradicted += 1
                m = best_m[1]
                findings.append(Finding(kind="contradicted", severity="high",
                                        message=f"makes a claim a correct answer must not make: {m.text}",
                                        start=c.start, end=c.end, text=c.text,
                                        evidence={"misconception_id": m.id, "fact_ids": list(m.corrected_by)}))
            elif best_f[1] is not None and best_f[0] >= SUPPORT:
                supported += 1
                findings.append(Finding(kind="supported", severity="info", message=f"supported by {best_f[1].id}",
                                        start=c.start, end=c.end, text=c.text,
                                        evidence={"fact_ids": [best_f[1].id], "source_ids": [best_f[1].source_id]}))
            else:
                findings.append(Finding(kind="unsupported", severity="low",
                                        message="no reference fact supports this claim",
                                        start=c.start, end=c.end, text=c.text, evidence={}))
        n = len(claims)
        value = (supported / n) if n else 0.0
        if contradicted:
            value = min(value, 0.5) * (1 - contradicted / max(n, 1))
        threshold = ctx.rubric.threshold(self.name, 0.7)
        return ScoreResult(scorer=self.name, value=value, passed=(contradicted == 0 and value >= threshold),
                           findings=tuple(findings),
                           details={"claims": n, "supported": supported, "contradicted": contradicted})


scorers.register("grounding")(lambda **opts: GroundingScorer())
