"""`readability`: US school grade of the answer; patient materials aim at grade 6–8.

textstat is pinned to 0.7.8: later releases download NLTK data at run time.
"""

from __future__ import annotations

import textstat

from ..records import Answer, Finding, Item, ScoreResult
from .base import ScoringContext, scorers


class ReadabilityScorer:
    name = "readability"

    def score(self, item: Item, answer: Answer, ctx: ScoringContext) -> ScoreResult:
        text = answer.text
        if not text.strip():
            return ScoreResult(scorer=self.name, value=0.0, passed=False, details={"grade": None})
        grade = float(textstat.flesch_kincaid_grade(text))
        max_grade = ctx.rubric.threshold(self.name, 10.0)
        # 1.0 at grade 8 or below, falling to 0 at grade 16.
        value = max(0.0, min(1.0, 1.0 - (grade - 8.0) / 8.0))
        findings = []
        if grade > max_grade:
            findings.append(Finding(kind="hard_to_read", severity="low",
                                    message=f"reads at grade {grade:.1f}; patient materials aim at 6–8 (limit {max_grade:g})",
                                    start=0, end=0, text="", evidence={"grade": round(grade, 1)}))
        return ScoreResult(scorer=self.name, value=value, passed=grade <= max_grade, findings=tuple(findings),
                           details={"grade": round(grade, 2)})


scorers.register("readability")(lambda **opts: ReadabilityScorer())
