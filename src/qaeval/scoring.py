"""Score answers: the pure core. (item, answer) in, one results row out; no I/O."""

from __future__ import annotations

import traceback
from typing import Any, Iterable, Sequence

from .records import Answer, Item, ScoreResult
from .scorers import Scorer, ScoringContext


def score_answer(item: Item, answer: Answer, scorers: Sequence[Scorer], ctx: ScoringContext) -> dict[str, Any]:
    """One results.jsonl row. A scorer that raises is recorded as an error, never as a pass."""
    scores: dict[str, Any] = {}
    for scorer in scorers:
        if answer.error:
            scores[scorer.name] = {"value": None, "passed": None, "findings": [],
                                   "error": "no answer: generation failed"}
            continue
        try:
            res = scorer.score(item, answer, ctx)
        except Exception as exc:  # a broken scorer must not sink the run
            res = ScoreResult(scorer=scorer.name, value=None, passed=None,
                              error=f"{type(exc).__name__}: {exc}",
                              details={"traceback": traceback.format_exc(limit=3)})
        scores[scorer.name] = res.to_dict()
    row: dict[str, Any] = {
        "item_id": answer.item_id, "answer_id": answer.answer_id or f"{answer.item_id}@{answer.generator}",
        "generator": answer.generator, "topic": item.topic, "answer": answer.text,
        "error": answer.error, "scores": scores,
    }
    if answer.latency_s is not None:
        row["latency_s"] = round(answer.latency_s, 4)
    if answer.usage is not None:
        row["usage"] = {"prompt_tokens": answer.usage.prompt_tokens, "completion_tokens": answer.usage.completion_tokens}
    if answer.cost_usd is not None:
        row["cost_usd"] = answer.cost_usd
    if answer.meta.get("mutation"):
        row["mutation"] = answer.meta["mutation"]
    return row


def score_all(items: Iterable[Item], answers: Iterable[Answer], scorers: Sequence[Scorer],
              ctx: ScoringContext, generator_order: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Rows in a canonical order (generator order, then dataset order) so reruns are identical."""
    by_id = {it.id: (i, it) for i, it in enumerate(items)}
    order = {g: i for i, g in enumerate(generator_order)}
    ranked = sorted((a for a in answers if a.item_id in by_id),
                    key=lambda a: (order.get(a.generator, len(order)), a.generator, by_id[a.item_id][0], a.answer_id))
    return [score_answer(by_id[a.item_id][1], a, scorers, ctx) for a in ranked]
