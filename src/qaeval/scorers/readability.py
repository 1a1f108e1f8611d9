"""`readability`: US school grade of the answer; patient materials aim at grade 6–8.

textstat is pinned to 0.7.8: later releases download NLTK data at run time. The grade is textstat's
own Flesch-Kincaid formula over textstat's own word, sentence and syllable counts; only the
per-word syllable lookup (CMUdict, else Pyphen) is memoised, because answers reuse the same
words thousands of times and that lookup was most of the scorer's time (same numbers, ~10x faster).
"""

from __future__ import annotations

from functools import lru_cache

from textstat.backend.counts import count_sentences, count_words
from textstat.backend.selections import list_words
from textstat.backend.utils import get_cmudict, get_pyphen

_LANG = "en_US"


@lru_cache(maxsize=200_000)
def _word_syllables(word: str) -> int:
    """Syllables of one lower-cased word, exactly as textstat.backend.counts.count_syllables counts them."""
    try:
        phones = get_cmudict(_LANG)[word][0]
        return sum(1 for p in phones if p[-1].isdigit())
    except (TypeError, IndexError, KeyError):
        return len(get_pyphen(_LANG).positions(word)) + 1


def flesch_kincaid_grade(text: str) -> float:
    """textstat.flesch_kincaid_grade(text) (en_US, unrounded), with memoised syllable counts."""
    if not text:
        return 0.0
    words = count_words(text)
    try:
        sentence_length = words / count_sentences(text)
    except ZeroDivisionError:
        sentence_length = 0.0
    try:
        syllables = sum(_word_syllables(w) for w in list_words(text, lowercase=True)) / words
    except ZeroDivisionError:
        syllables = 0.0
    if sentence_length == 0 or syllables == 0:
        return 0.0
    return (0.39 * sentence_length) + (11.8 * syllables) - 15.59

from ..records import Answer, Finding, Item, ScoreResult
from .base import ScoringContext, scorers


class ReadabilityScorer:
    name = "readability"
    offline = True  # pure CPU work, no clients: safe to run in worker processes

    def score(self, item: Item, answer: Answer, ctx: ScoringContext) -> ScoreResult:
        text = answer.text
        if not text.strip():
            return ScoreResult(scorer=self.name, value=0.0, passed=False, details={"grade": None})
        grade = float(flesch_kincaid_grade(text))
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
