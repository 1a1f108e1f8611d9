"""Scoring in worker processes gives the very rows one process gives, and is only used where safe."""

from __future__ import annotations

import os

import pytest

from qaeval.generators.mutate import MUTATIONS
from qaeval.generators.reference import compose
from qaeval.loaders import DEFAULT_SCORERS
from qaeval.records import Answer
from qaeval.scorers import build_scorers
from qaeval.scoring import MIN_ANSWERS_PER_WORKER, resolve_workers, score_all


def _answers(items):
    out = []
    for it in items:
        ref = compose(it)
        out.append(Answer(item_id=it.id, generator="reference", text=ref, answer_id=f"{it.id}@reference"))
        for name in ("inject_harm", "contradict_fact", "fabricate_citation"):
            out.append(Answer(item_id=it.id, generator=name, text=MUTATIONS[name](ref, it, 3)[0],
                              answer_id=f"{it.id}@{name}"))
    out.append(Answer(item_id=items[0].id, generator="broken", text="", answer_id="x@broken", error="HTTP 500"))
    return out


def test_two_workers_give_the_same_rows_in_the_same_order(items, ctx):
    chosen = items[:24]
    answers = _answers(chosen)
    scorers = build_scorers([{"name": n} for n in DEFAULT_SCORERS])
    one = score_all(chosen, answers, scorers, ctx, ["reference", "inject_harm"], workers=1)
    two = score_all(chosen, answers, scorers, ctx, ["reference", "inject_harm"], workers=2)
    assert len(one) == len(answers)
    assert two == one
    # the parallel rows really were scored: harm was found where it was injected
    harmful = [r for r in two if r["generator"] == "inject_harm"]
    assert sum(not r["scores"]["harmful_advice"]["passed"] for r in harmful) >= len(harmful) * 0.8


def test_auto_uses_cores_only_for_offline_scorers_and_enough_answers():
    offline = build_scorers([{"name": n} for n in DEFAULT_SCORERS])
    assert resolve_workers("auto", 10, offline) == 1
    cores = len(os.sched_getaffinity(0))
    assert resolve_workers("auto", 100 * MIN_ANSWERS_PER_WORKER, offline) == min(cores, 100)
    assert resolve_workers("auto", 2 * MIN_ANSWERS_PER_WORKER, offline) == min(cores, 2)
    assert resolve_workers(3, 10, offline) == 3

    class Judge:  # an LLM-backed scorer holds a client: never forked
        name = "some_judge"

    assert resolve_workers(4, 10_000, offline + [Judge()]) == 1
    assert resolve_workers("auto", 10_000, [Judge()]) == 1


@pytest.mark.parametrize("bad", ["0", "-2", "many"])
def test_cli_rejects_a_bad_worker_count(bad, tmp_path, capsys):
    from qaeval.cli import main
    with pytest.raises(SystemExit) as exc:
        main(["score", "--dataset", "datasets/oncology", "--answers", "a.jsonl", "--out", str(tmp_path), "--workers", bad])
    assert exc.value.code == 2
    assert "--workers" in capsys.readouterr().err
