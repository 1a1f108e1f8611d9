"""Score answers: the pure core. (item, answer) in, one results row out; no I/O."""

from __future__ import annotations

import multiprocessing
import os
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


# What a forked worker scores with: set in the parent just before the fork, so nothing (compiled
# regexes, the embedding session, the catalogue index) has to be pickled across.
_WORKER_STATE: tuple[dict[str, Item], Sequence[Scorer], ScoringContext] | None = None
MIN_ANSWERS_PER_WORKER = 300  # below this, starting a process costs more than it saves


def _score_chunk(answers: list[Answer]) -> list[dict[str, Any]]:
    assert _WORKER_STATE is not None
    items, scorers, ctx = _WORKER_STATE
    return [score_answer(items[a.item_id], a, scorers, ctx) for a in answers]


def resolve_workers(workers: int | str | None, n_answers: int, scorers: Sequence[Scorer]) -> int:
    """How many processes to score with. `auto`: one per core, but only for offline scorers (LLM
    judges hold network clients and rate limits that must not be forked) and only when every worker
    gets enough answers to pay for its start-up."""
    if any(not getattr(s, "offline", False) for s in scorers):
        return 1
    if workers in (None, "auto"):
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, min(cores, n_answers // MIN_ANSWERS_PER_WORKER))
    return max(1, int(workers))


def score_all(items: Iterable[Item], answers: Iterable[Answer], scorers: Sequence[Scorer],
              ctx: ScoringContext, generator_order: Sequence[str] = (),
              workers: int | str | None = 1) -> list[dict[str, Any]]:
    """Rows in a canonical order (generator order, then dataset order) so reruns are identical.

    With `workers` > 1 (or "auto") the answers are scored in forked processes; the rows are the
    same, in the same order, as with one worker (scorers are pure).
    """
    global _WORKER_STATE
    by_id = {it.id: (i, it) for i, it in enumerate(items)}
    order = {g: i for i, g in enumerate(generator_order)}
    ranked = sorted((a for a in answers if a.item_id in by_id),
                    key=lambda a: (order.get(a.generator, len(order)), a.generator, by_id[a.item_id][0], a.answer_id))
    n = resolve_workers(workers, len(ranked), scorers)
    if n <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [score_answer(by_id[a.item_id][1], a, scorers, ctx) for a in ranked]
    # Scorers memoise per question (fact embeddings, sentence checks) and answers to one question
    # share many sentences, so each chunk holds whole questions; many chunks per worker so the
    # workers finish together. Rows go back to the canonical order afterwards.
    by_item: dict[str, list[int]] = {}
    for i, a in enumerate(ranked):
        by_item.setdefault(a.item_id, []).append(i)
    target = max(16, len(ranked) // (n * 8))
    chunks: list[list[int]] = [[]]
    for idxs in by_item.values():
        if len(chunks[-1]) >= target:
            chunks.append([])
        chunks[-1].extend(idxs)
    # Warm up once here (embedding model, syllable dictionary, lexicon indexes) so that every
    # worker inherits it through fork instead of loading it again. The row itself is discarded.
    first = next((a for a in ranked if not a.error), None)
    if first is not None:
        score_answer(by_id[first.item_id][1], first, scorers, ctx)
    _WORKER_STATE = ({k: it for k, (_, it) in by_id.items()}, scorers, ctx)
    try:
        with multiprocessing.get_context("fork").Pool(n) as pool:
            parts = pool.map(_score_chunk, [[ranked[i] for i in c] for c in chunks], chunksize=1)
    finally:
        _WORKER_STATE = None
    rows: list[dict[str, Any]] = [{}] * len(ranked)
    for c, part in zip(chunks, parts):
        for i, row in zip(c, part):
            rows[i] = row
    return rows
