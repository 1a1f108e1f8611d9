"""`recorded`: answers read from a JSONL file (e.g. captured from production, or another tool)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ..loaders import load_answers
from ..records import Answer, Item
from .base import GeneratorContext, answer_id, generators


class RecordedGenerator:
    def __init__(self, spec: Mapping[str, Any], ctx: GeneratorContext):
        self.id = spec["id"]
        self.path = (ctx.base_dir / spec["path"]).resolve()
        self.only = spec.get("generator")  # pick one generator's answers from a multi-generator file
        self._answers: dict[str, Answer] = {}
        for a in load_answers(self.path):
            if self.only and a.generator != self.only:
                continue
            self._answers.setdefault(a.item_id, a)

    def settings(self) -> dict[str, Any]:
        return {"type": "recorded", "path": str(self.path), "generator": self.only,
                "answers": len(self._answers)}

    async def generate(self, item: Item) -> Answer:
        rec = self._answers.get(item.id)
        aid = answer_id(item.id, self.id)
        if rec is None:
            return Answer(item_id=item.id, generator=self.id, text="", answer_id=aid,
                          error=f"no recorded answer for item {item.id!r} in {self.path.name}")
        return Answer(item_id=item.id, generator=self.id, text=rec.text, answer_id=aid,
                      error=rec.error, latency_s=rec.latency_s, cost_usd=rec.cost_usd, meta=rec.meta)


generators.register("recorded")(RecordedGenerator)
