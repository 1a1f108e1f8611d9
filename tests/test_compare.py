"""`qaeval compare`: paired differences with bootstrap CIs, new failures and passes, pairing rules."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from qaeval.cli import main
from qaeval.compare import bootstrap_ci, compare_runs, metric_value
from qaeval.errors import InputError


def row(gen: str, item: str, value: float | None, passed: bool | None, *, scorer: str = "grounding",
        findings: list[dict[str, Any]] | None = None, error: str | None = None) -> dict[str, Any]:
    score: dict[str, Any] = {"value": value, "passed": passed, "findings": findings or []}
    if error:
        score = {"value": None, "passed": None, "findings": [], "error": "no answer: generation failed"}
    return {"item_id": item, "answer_id": f"{item}@{gen}", "generator": gen, "topic": "t", "answer": "a",
            "error": error, "scores": {scorer: score}}


def finding(text: str = "bad claim", severity: str = "high") -> dict[str, Any]:
    return {"kind": "unsupported", "severity": severity, "message": "no reference fact supports this claim",
            "start": 0, "end": len(text), "text": text, "evidence": {}}


def run(gen: str, values: list[float], mark: float = 0.5) -> list[dict[str, Any]]:
    return [row(gen, f"q{i:03d}", v, v >= mark) for i, v in enumerate(values)]


def write_run(folder: Path, rows: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return folder


def test_identical_runs_have_zero_difference_and_no_flips() -> None:
    rows = run("m", [0.2, 0.9, 0.7, 0.4, 0.95])
    cmp = compare_runs(rows, rows)
    s = cmp["pairs"][0]["scorers"]["grounding"]
    assert s["mean"]["diff"] == 0 and s["mean"]["ci"] == [0, 0] and not s["mean"]["ci_excludes_zero"]
    assert s["newly_failing"] == [] and s["newly_passing"] == []


def test_pairing_detects_a_small_consistent_drop_that_unpaired_means_would_miss() -> None:
    rng = random.Random(1)
    base = [rng.uniform(0.1, 0.95) for _ in range(60)]  # items differ a lot in difficulty
    after = [v - 0.03 for v in base]                     # every item a little worse
    cmp = compare_runs(run("m", base), run("m", after))
    m = cmp["pairs"][0]["scorers"]["grounding"]["mean"]
    assert m["diff"] == pytest.approx(-0.03, abs=1e-6)
    assert m["ci_excludes_zero"] and m["ci"][1] < 0
    # the same numbers, unpaired: the two means' own CIs overlap widely
    lo_a, hi_a = bootstrap_ci(base)
    lo_b, hi_b = bootstrap_ci(after)
    assert lo_b - hi_a < 0 < hi_b - lo_a


def test_noise_without_a_shift_is_not_significant() -> None:
    rng = random.Random(7)
    base = [rng.uniform(0.2, 0.9) for _ in range(40)]
    after = [min(1.0, max(0.0, v + rng.choice([-0.1, 0.1]))) for v in base]
    m = compare_runs(run("m", base), run("m", after))["pairs"][0]["scorers"]["grounding"]["mean"]
    assert m["ci"][0] < 0 < m["ci"][1] and not m["ci_excludes_zero"]


def test_newly_failing_and_newly_passing_items_with_findings() -> None:
    a = [row("m", "q1", 0.9, True), row("m", "q2", 0.2, False), row("m", "q3", 0.9, True)]
    b = [row("m", "q1", 0.3, False, findings=[finding("drink bleach"), finding("fine", "info")]),
         row("m", "q2", 0.9, True), row("m", "q3", 0.9, True)]
    s = compare_runs(a, b)["pairs"][0]["scorers"]["grounding"]
    assert [t["item_id"] for t in s["newly_failing"]] == ["q1"]
    assert [f["text"] for f in s["newly_failing"][0]["findings_b"]] == ["drink bleach"]  # info findings dropped
    assert [t["item_id"] for t in s["newly_passing"]] == ["q2"]
    assert s["pass_rate"]["a"] == pytest.approx(2 / 3) and s["pass_rate"]["b"] == pytest.approx(2 / 3)


def test_errors_count_as_failures_unless_ignored() -> None:
    a = [row("m", "q1", 0.9, True), row("m", "q2", 0.8, True)]
    b = [row("m", "q1", None, None, error="TimeoutError: model did not answer"), row("m", "q2", 0.8, True)]
    s = compare_runs(a, b)["pairs"][0]["scorers"]["grounding"]
    assert [(t["item_id"], t["status_b"]) for t in s["newly_failing"]] == [("q1", "error")]
    assert s["mean"]["b"] == pytest.approx(0.4)  # the failed answer counts as 0
    s = compare_runs(a, b, errors_as_failures=False)["pairs"][0]["scorers"]["grounding"]
    assert s["newly_failing"] == [] and s["mean"]["n"] == 1
    assert metric_value(b[0], "grounding", "mean", errors_as_failures=False) is None


def test_matching_by_generator_and_item_and_explicit_generator_pair() -> None:
    a = run("gpt-a", [0.9, 0.8, 0.7]) + run("other", [0.1, 0.1, 0.1])
    b = run("gpt-b", [0.9, 0.8]) + run("other", [0.1, 0.1, 0.1, 0.5])
    cmp = compare_runs(a, b)  # only the shared id is compared
    assert [p["label"] for p in cmp["pairs"]] == ["other"]
    assert cmp["pairs"][0]["only_in_b"] == ["q003"]
    cmp = compare_runs(a, b, generator_a="gpt-a", generator_b="gpt-b")
    p = cmp["pairs"][0]
    assert p["label"] == "gpt-a → gpt-b" and p["n_pairs"] == 2 and p["only_in_a"] == ["q002"]
    with pytest.raises(InputError, match="run B has no generator 'nope'"):
        compare_runs(a, b, generator_a="gpt-a", generator_b="nope")
    with pytest.raises(InputError, match="share no generator"):
        compare_runs(run("x", [0.5]) + run("y", [0.5]), run("z", [0.5]))


def test_bootstrap_is_seeded_and_deterministic() -> None:
    rng = random.Random(3)
    base = [rng.random() for _ in range(50)]
    after = [rng.random() for _ in range(50)]
    one = compare_runs(run("m", base), run("m", after), seed=11)
    assert one == compare_runs(run("m", base), run("m", after), seed=11)
    assert one["pairs"][0]["scorers"]["grounding"]["mean"]["ci"] != \
        compare_runs(run("m", base), run("m", after), seed=12)["pairs"][0]["scorers"]["grounding"]["mean"]["ci"]


def test_cli_compare_writes_json_and_reports_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(tmp_path / "a", run("m", [0.9] * 10 + [0.8] * 10))
    b = write_run(tmp_path / "b", run("m", [0.4] * 10 + [0.8] * 10))
    out = tmp_path / "cmp.json"
    assert main(["compare", str(a), str(b), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "grounding" in text and "newly failing grounding q000" in text
    data = json.loads(out.read_text())
    assert data["pairs"][0]["scorers"]["grounding"]["mean"]["diff"] == pytest.approx(-0.25)
    assert len(data["pairs"][0]["scorers"]["grounding"]["newly_failing"]) == 10
    assert main(["compare", str(a), str(tmp_path / "missing")]) == 2
    assert "missing: run B is not a run folder" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "results.jsonl").write_text('{"item_id": "q1"}\n')
    assert main(["compare", str(a), str(tmp_path / "bad")]) == 2
    assert "results.jsonl:1: $: 'answer_id' is a required property" in capsys.readouterr().err
