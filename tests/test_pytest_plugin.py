"""The pytest plugin collects a suite's checks as tests: node ids, outcomes, messages, -k/-x/--junitxml/xdist."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "evals" / "demo.yaml"

pytest_plugins = ("pytester",)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested sessions (and xdist workers) load every installed plugin; keep deepeval's telemetry off."""
    monkeypatch.setenv("DEEPEVAL_TELEMETRY_OPT_OUT", "YES")


def _plugin_args() -> list[str]:
    """`-p qaeval.pytest_plugin` until the pytest11 entry point is installed (both would clash)."""
    installed = any(ep.value == "qaeval.pytest_plugin" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "qaeval.pytest_plugin"]


def _args(*extra: str) -> list[str]:
    return [*_plugin_args(), "-p", "no:cacheprovider", "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
            "-o", "addopts=", *extra]


@lru_cache(maxsize=None)
def expected_outcomes(item_id: str) -> dict[str, str]:
    """What the library itself says for every generator × scorer of one item (node id → outcome)."""
    from qaeval.generators import GeneratorContext
    from qaeval.runner import load_all
    from qaeval.scorers import ScoringContext, build_scorers
    from qaeval.scoring import score_answer

    loaded = load_all(DEMO)
    item = next(i for i in loaded.items if i.id == item_id)
    suite = loaded.suite
    gctx = GeneratorContext(base_dir=suite.path.parent, specs={g["id"]: g for g in suite.generators}, use_cache=False)
    scorers = build_scorers(list(suite.scorers))
    ctx = ScoringContext(rubric=loaded.rubric, catalogue=loaded.catalogue)
    out = {}
    for g in suite.generators:
        answer = asyncio.run(gctx.build(g["id"]).generate(item))
        row = score_answer(item, answer, scorers, ctx)
        for name, s in row["scores"].items():
            out[f"evals/demo.yaml::{g['id']}::{item_id}::{name}"] = "passed" if s["passed"] else "failed"
    return out


def _junit_outcomes(path: Path) -> dict[str, tuple[str, str]]:
    """node id → (outcome, failure message) from a JUnit XML file written by --junitxml."""
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        # junitxml writes classname "evals.demo.yaml.<gen>.<item>" and name "<scorer>"
        *_, gen, item = case.get("classname").rsplit(".", 2)
        node = f"evals/demo.yaml::{gen}::{item}::{case.get('name')}"
        fail = case.find("failure")
        out[node] = ("failed", fail.get("message", "") + (fail.text or "")) if fail is not None else ("passed", "")
    return out


def test_collects_demo_suite_with_node_ids_and_ignores_other_yaml(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(*_args("--collect-only", "-q", str(ROOT / "evals")))
    lines = [l for l in result.outlines if "::" in l]
    assert "evals/demo.yaml::reference::cll-001::harmful_advice" in lines
    assert all(l.startswith("evals/demo.yaml::") for l in lines), "only suites are collected (not gate.yaml)"
    # generators × items × scorers
    import yaml
    suite = yaml.safe_load(DEMO.read_text())
    assert len(lines) % (len(suite["generators"]) * len(suite["scorers"])) == 0
    assert len(lines) >= len(suite["generators"]) * len(suite["scorers"]) * 50


def test_k_selection_outcomes_match_the_library_and_junit_carries_findings(pytester: pytest.Pytester, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    result = pytester.runpytest_inprocess(*_args(str(ROOT / "evals"), "-k", "cll-001", f"--junitxml={junit}"))
    expected = expected_outcomes("cll-001")
    n_fail = sum(v == "failed" for v in expected.values())
    result.assert_outcomes(passed=len(expected) - n_fail, failed=n_fail)
    got = _junit_outcomes(junit)
    assert {k: v[0] for k, v in got.items()} == expected
    # the mutators' defects are caught, with the finding as the failure message
    outcome, message = got["evals/demo.yaml::no-disclaimer::cll-001::disclaimer"]
    assert outcome == "failed" and "disclaimer failed for item cll-001" in message and "[" in message
    outcome, message = got["evals/demo.yaml::missing-facts::cll-001::coverage"]
    assert outcome == "failed" and "missing_fact" in message and "cll-001.f" in message
    assert got["evals/demo.yaml::reference::cll-001::disclaimer"][0] == "passed"


def test_x_stops_at_first_failure_and_tests_folder_is_not_collected(pytester: pytest.Pytester) -> None:
    # tests/data holds a malformed suite: the default patterns must not pick it up
    result = pytester.runpytest_inprocess(*_args(str(ROOT / "evals"), str(ROOT / "tests" / "data"), "-x", "-k", "cll-001"))
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1 and "errors" not in outcomes and "error" not in outcomes
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_explicit_bad_suite_is_a_collection_error_with_file_line(pytester: pytest.Pytester) -> None:
    bad = ROOT / "tests" / "data" / "malformed" / "suite_literal_api_key.yaml"
    result = pytester.runpytest_inprocess(*_args("--collect-only", str(bad)))
    assert result.ret == pytest.ExitCode.INTERRUPTED  # collection errors interrupt the session
    assert "suite_literal_api_key.yaml:" in result.stdout.str() and "api_key" in result.stdout.str()


def test_xdist_two_workers_same_outcomes(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    from qaeval.runner import load_all
    first = load_all(DEMO, limit=1).items[0].id  # small collection: each worker collects the suite itself
    junit = tmp_path / "junit.xml"
    result = pytester.runpytest_inprocess(*_args(str(ROOT / "evals"), "-n", "2", "--qaeval-limit", "2",
                                                 "-k", first, f"--junitxml={junit}"))
    expected = expected_outcomes(first)
    n_fail = sum(v == "failed" for v in expected.values())
    result.assert_outcomes(passed=len(expected) - n_fail, failed=n_fail)
    assert {k: v[0] for k, v in _junit_outcomes(junit).items()} == expected
