"""`reference`: an offline baseline that composes a patient-facing answer from an item's facts.

It is the upper bound the other generators are compared with, and the base the mutators corrupt:
one sentence per fact, each with a parenthetical citation of its source, and a disclaimer.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..records import Answer, Item
from .base import GeneratorContext, answer_id, generators

URGENT_LINE = ("If this is happening now, call your oncology team's 24-hour line or go to the "
               "nearest emergency department right away.")
DISCLAIMER = ("This is general information, not medical advice. Please talk to your oncologist "
              "or care team about your own situation before changing anything.")


def cite(source_title: str, year: int) -> str:
    return f"({source_title}, {year})"


def compose(item: Item, include_optional: bool = True) -> str:
    lines: list[str] = []
    if item.expectations.urgent_referral:
        lines.append(URGENT_LINE)
    for fact in item.facts:
        if not fact.required and not include_optional:
            continue
        src = item.source(fact.source_id)
        text = fact.text.rstrip().rstrip(".")
        lines.append(f"{text} {cite(src.title, src.year)}." if src else f"{text}.")
    lines.append(DISCLAIMER)
    return "\n".join(lines)


class ReferenceGenerator:
    def __init__(self, spec: Mapping[str, Any], ctx: GeneratorContext):
        self.id = spec["id"]
        self.include_optional = bool(spec.get("include_optional", True))

    def settings(self) -> dict[str, Any]:
        return {"type": "reference", "include_optional": self.include_optional}

    async def generate(self, item: Item) -> Answer:
        return Answer(item_id=item.id, generator=self.id, text=compose(item, self.include_optional),
                      answer_id=answer_id(item.id, self.id), latency_s=0.0)


generators.register("reference")(ReferenceGenerator)
