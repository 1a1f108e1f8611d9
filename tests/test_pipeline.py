"""End to end, offline: run store, determinism, resume, the `score` contract and the DataFrame."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qaeval import load_results
from qaeval.cli import main
from qaeval.validation import iter_problems

FIELDS_RESULT = {"item_id", "answer_id", "generator", "answer", "scores"}
SCORERS = {"grounding", "coverage", "citations", "disclaimer", "harmful_advice", "readability"}


def _suite(tmp_path: Path, root: Path, generators: str, name: str = "t") -> Path:
    suite = tmp_path / f"{name}.yaml"
    suite.write_text(
        f"name: {name}\ndatasets: [{root / 'datasets/oncology'}]\ncatalogue: [{root / 'datasets/sources'}]\n"
        f"rubric: {root / 'rubrics/default.yaml'}\noutput_dir: {tmp_path / 'runs'}\n"
        f"generators:\n{generators}")
    return suite


GENS = """  - {id: reference, type: reference}
  - {id: harmful, type: mutate, base: reference, mutation: inject_harm, seed: 1}
"""


def _strip_times(path: Path) -> list[dict]:
    rows = [json.loads(l) for l in path.read_text().splitlines()]
    for r in rows:
        r.pop("latency_s", None)
    return rows


def test_run_writes_a_complete_run_folder(tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = _suite(tmp_path, root, GENS)
    assert main(["run", str(suite), "--limit", "6", "--quiet"]) == 0
    out = capsys.readouterr().out
    run = next((tmp_path / "runs").iterdir())
    assert f"report: {run / 'report.html'}" in out
    for name in ("manifest.json", "answers.jsonl", "results.jsonl", "summary.json", "report.md", "report.html"):
        assert (run / name).stat().st_size > 0, name
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["items"] == 6
    assert len(manifest["dataset_sha256"]) == 64 and len(manifest["rubric_sha256"]) == 64
    rows = [json.loads(l) for l in (run / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 12
    for r in rows:
        assert FIELDS_RESULT <= set(r) and set(r["scores"]) == SCORERS
        assert not list(iter_problems(r, "result_line"))
        for s in r["scores"].values():
            for f in s["findings"]:
                assert r["answer"][f["start"]:f["end"]] == f["text"]
    harmful = [r for r in rows if r["generator"] == "harmful"]
    assert all(r["scores"]["harmful_advice"]["passed"] is False for r in harmful)


def test_same_inputs_give_identical_results(tmp_path: Path, root: Path) -> None:
    suite = _suite(tmp_path, root, GENS)
    assert main(["run", str(suite), "--limit", "8", "--quiet"]) == 0
    assert main(["run", str(suite), "--limit", "8", "--quiet"]) == 0
    a, b = sorted((tmp_path / "runs").iterdir())
    assert _strip_times(a / "results.jsonl") == _strip_times(b / "results.jsonl")
    assert json.loads((a / "summary.json").read_text()) == json.loads((b / "summary.json").read_text())


def test_resume_finishes_an_interrupted_run_without_redoing_answers(tmp_path: Path, root: Path) -> None:
    suite = _suite(tmp_path, root, GENS)
    assert main(["run", str(suite), "--limit", "10", "--quiet"]) == 0
    run = next((tmp_path / "runs").iterdir())
    full = _strip_times(run / "results.jsonl")
    journal = (run / "answers.jsonl").read_text().splitlines(keepends=True)
    # Simulate a crash: 7 answers journaled, the 8th torn mid-write, no results yet.
    (run / "answers.jsonl").write_text("".join(journal[:7]) + journal[7][:25])
    (run / "results.jsonl").unlink()
    kept = {json.loads(l)["answer_id"] for l in journal[:7]}
    assert main(["run", str(suite), "--limit", "10", "--resume", str(run), "--quiet"]) == 0
    lines = [json.loads(l) for l in (run / "answers.jsonl").read_text().splitlines()]
    ids = [l["answer_id"] for l in lines]
    assert len(ids) == len(set(ids)) == 20, "no duplicate and none lost"
    assert ids[:7] == [json.loads(l)["answer_id"] for l in journal[:7]], "finished answers kept, not redone"
    assert kept <= set(ids)
    assert _strip_times(run / "results.jsonl") == full


def test_resume_without_a_previous_run_is_bad_input(tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = _suite(tmp_path, root, GENS, name="fresh")
    assert main(["run", str(suite), "--resume", "--quiet"]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_a_failed_generation_is_a_recorded_error_not_a_missing_row(tmp_path: Path, root: Path, items: list) -> None:
    answers = tmp_path / "recorded.jsonl"
    answers.write_text(json.dumps({"item_id": items[0].id, "answer": "Please talk to your care team."}) + "\n")
    suite = _suite(tmp_path, root, f"  - {{id: rec, type: recorded, path: {answers}}}\n")
    assert main(["run", str(suite), "--limit", "3", "--quiet"]) == 0
    run = next((tmp_path / "runs").iterdir())
    rows = [json.loads(l) for l in (run / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 3
    errors = [r for r in rows if r["error"]]
    assert len(errors) == 2 and all("no recorded answer" in r["error"] for r in errors)
    assert all(s["passed"] is None and s["error"] for r in errors for s in r["scores"].values())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["generators"]["rec"]["errors"] == 2


def test_score_contract_and_dataframe(tmp_path: Path, root: Path, items_by_id: dict) -> None:
    item = items_by_id["fever_neutropenia-001"]
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(json.dumps(a) for a in [
        {"item_id": item.id, "answer": "A fever over 38 °C during chemotherapy is an emergency: call your team's "
                                       "24-hour line now. This is general information, not medical advice.",
         "generator": "good"},
        {"item_id": item.id, "answer": "A fever during chemo is usually nothing to worry about; take paracetamol "
                                       "and sleep it off.", "generator": "bad", "answer_id": "x1"},
    ]) + "\n")
    out = tmp_path / "scored"
    assert main(["score", "--dataset", str(root / "datasets/oncology"), "--answers", str(answers),
                 "--out", str(out)]) == 0
    rows = [json.loads(l) for l in (out / "results.jsonl").read_text().splitlines()]
    assert [r["generator"] for r in rows] == ["good", "bad"]
    assert rows[1]["answer_id"] == "x1" and rows[0]["answer_id"] == f"{item.id}@good"
    assert rows[0]["scores"]["harmful_advice"]["passed"] is True
    assert rows[1]["scores"]["harmful_advice"]["passed"] is False
    assert {f["category"] for f in rows[1]["scores"]["harmful_advice"]["findings"]} == {"dismiss_urgent_symptom"}
    assert rows[1]["scores"]["disclaimer"]["passed"] is False
    for name in ("summary.json", "report.md", "report.html"):
        assert (out / name).exists()
    df = load_results(out)
    assert len(df) == 2 * len(SCORERS)
    assert set(df["scorer"]) == SCORERS
    bad = df[(df.generator == "bad") & (df.scorer == "harmful_advice")].iloc[0]
    assert bad["passed"] == False and bad["value"] == 0.0 and "dismiss_urgent_symptom" in bad["categories"]  # noqa: E712


def test_help_of_every_command_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    from qaeval.cli import commands
    for name in commands.names():
        with pytest.raises(SystemExit):
            main([name, "--help"])
        assert "example: qaeval" in capsys.readouterr().out, name
