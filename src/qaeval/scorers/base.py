"""The scorer contract: pure `(item, answer, context) -> ScoreResult`.

`ScoringContext` carries what a scorer may consult besides the item: the rubric and the source
catalogue. No scorer does I/O or networking unless it is an explicitly judge-backed scorer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from ..loaders import Catalogue
from ..records import Answer, Item, ScoreResult
from ..registry import Registry
from ..rubric import Rubric


@dataclass(frozen=True)
class ScoringContext:
    rubric: Rubric
    catalogue: Catalogue = Catalogue()
    options: Mapping[str, Any] = field(default_factory=dict)


class Scorer(Protocol):
    name: str

    def score(self, item: Item, answer: Answer, ctx: ScoringContext) -> ScoreResult: ...


class ScorerFactory(Protocol):
    def __call__(self, **options: Any) -> Scorer: ...


scorers: Registry[ScorerFactory] = Registry("scorer")
