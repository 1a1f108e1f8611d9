"""SIGKILL a real `qaeval run` part way, then `--resume`: nothing lost, nothing doubled, nothing
finished asked again, and the results equal those of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from chatkit import journal, results, write_suite
from qaeval.records import Item
from qaeval.runner import run_suite
from qaeval.testing import ChatServer

TOPICS = ["aml", "breast", "cll", "lung", "myeloma", "nausea", "prostate", "fatigue"]


def complete_lines(path: Path) -> list[dict[str, Any]]:
    """The journal as a reader sees it mid-run: whole lines only."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text("utf-8").split("\n")[:-1]:
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


def without_timings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "latency_s"} for r in rows]


def test_sigkill_then_resume_equals_an_uninterrupted_run(items: list[Item], tmp_path: Path) -> None:
    wanted = [it for it in items if it.topic in TOPICS]
    by_question = {it.question: it.id for it in wanted}
    env = {**os.environ, "CI": "1"}
    with ChatServer(latency_s=0.1) as srv:
        gens = [{"id": "gpt", "type": "openai", "base_url": srv.url, "model": "m", "concurrency": 3,
                 "prices": {"prompt_per_1k": 0.001, "completion_per_1k": 0.002}}]
        reference = run_suite(write_suite(tmp_path / "ref", gens, topics=TOPICS, name="k"), formats=("json",))
        srv.reset_log()

        suite = write_suite(tmp_path / "kill", gens, topics=TOPICS, name="k")
        proc = subprocess.Popen([sys.executable, "-m", "qaeval", "run", str(suite), "--format", "json"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        reports = tmp_path / "kill" / "reports"
        deadline = time.monotonic() + 60
        done: list[dict[str, Any]] = []
        while time.monotonic() < deadline and len(done) < 10:
            runs = list(reports.glob("k-*")) if reports.exists() else []
            done = complete_lines(runs[0] / "answers.jsonl") if runs else []
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        [run_dir] = list(reports.glob("k-*"))
        done = complete_lines(run_dir / "answers.jsonl")
        assert 10 <= len(done) < len(wanted), "the kill should land part way"
        assert json.loads((run_dir / "manifest.json").read_text("utf-8"))["status"] == "running"
        with open(run_dir / "answers.jsonl", "ab") as fh:  # as if the kill had torn the line being written
            fh.write(b'{"item_id": "aml-0')
        srv.reset_log()

        resumed = subprocess.run([sys.executable, "-m", "qaeval", "run", str(suite), "--resume", "--format", "json"],
                                 env=env, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        asked_again = [by_question[r.last_user] for r in srv.completions()]

    finished_before = {a["item_id"] for a in done}
    assert not finished_before & set(asked_again), "a finished answer was requested again"
    assert len(asked_again) == len(set(asked_again)), "an item was requested twice in the resumed run"

    lines = journal(run_dir)
    ids = [a["item_id"] for a in lines]
    assert len(ids) == len(set(ids)) == len(wanted), "an answer was lost or journaled twice"
    assert set(ids) == {it.id for it in wanted} and not any(a["error"] for a in lines)
    # what the resumed run did not ask for, it had answered before the kill or had cached
    resumed_without_request = set(ids) - finished_before - set(asked_again)
    assert all(a["cached"] for a in lines if a["item_id"] in resumed_without_request)

    assert without_timings(results(run_dir)) == without_timings(results(reference))
    manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    assert manifest["status"] == "finished" and manifest["answers"] == len(wanted) and manifest["resumed_at"]
