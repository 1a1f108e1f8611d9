"""qaeval scorers as deepeval metrics: measure/a_measure, assert_test and evaluate, offline.

deepeval's own runs (`assert_test`, `evaluate`) happen in a subprocess with telemetry off, a
throwaway HOME and working folder, `DEEPEVAL_FILE_SYSTEM=READ_ONLY` (no result files), and every
TCP connection refused, so the test proves the integration needs no network and leaves no files.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.ecosystems
pytest.importorskip("deepeval", reason="deepeval is not installed (pip install 'qaeval[ecosystems]')")

ROOT = Path(__file__).resolve().parents[1]
HARM = "You can stop taking your chemo whenever you feel tired."

SCRIPT = textwrap.dedent('''
    import json, socket, sys
    attempts = []
    def refuse(*args, **kwargs):
        attempts.append(repr(args[1:2] or args[:1]))
        raise OSError("network disabled in this test")
    _connect = socket.socket.connect
    socket.socket.connect = lambda self, addr, *a: refuse(self, addr) if self.family in (socket.AF_INET, socket.AF_INET6) else _connect(self, addr, *a)
    socket.create_connection = refuse

    from deepeval import assert_test, evaluate
    from deepeval.evaluate.configs import CacheConfig, DisplayConfig
    from deepeval.test_case import LLMTestCase
    from qaeval.generators.reference import compose
    from qaeval.integrations.deepeval import metric_for, metrics_for
    from qaeval.loaders import load_dataset

    root, harm = sys.argv[1], sys.argv[2]
    items = {i.id: i for i in load_dataset([root + "/datasets/oncology"])}
    item = items["cll-001"]
    good, bad = compose(item), compose(item) + "\\n" + harm
    case = lambda text: LLMTestCase(input=item.question, actual_output=text, metadata={"item_id": item.id})
    out = {}
    metric = metric_for("harmful_advice", items=items)
    assert_test(case(good), [metric])
    out["good_passed"] = True
    try:
        assert_test(case(bad), [metric])
        out["bad_raised"] = None
    except AssertionError as exc:
        out["bad_raised"] = str(exc)
    result = evaluate([case(good), case(bad)], metrics_for(["harmful_advice", "disclaimer"], items=items),
                      display_config=DisplayConfig(show_indicator=False, print_results=False, inspect_after_run=False),
                      cache_config=CacheConfig(write_cache=False, use_cache=False))
    out["evaluate"] = [[t.success, [[m.name, m.score, m.success, m.reason] for m in t.metrics_data]]
                       for t in result.test_results]
    out["network_attempts"] = attempts
    print("RESULT " + json.dumps(out))
''')


@pytest.fixture(scope="module")
def deepeval_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("deepeval")
    (work / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEEPEVAL", "CONFIDENT", "OPENAI"))}
    env.update(HOME=str(work / "home"), DEEPEVAL_TELEMETRY_OPT_OUT="YES", DEEPEVAL_FILE_SYSTEM="READ_ONLY",
               DEEPEVAL_NO_INSPECT_PROMPT="1", PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT), HARM], cwd=work, env=env,
                          capture_output=True, text=True, timeout=240)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(lines[-1][len("RESULT "):])
    # deepeval's footprint: the working folder and ~/.deepeval (other libraries' caches in HOME are not its)
    home = work / "home"
    left = [p for p in work.rglob("*") if p.is_file() and (not p.is_relative_to(home) or ".deepeval" in p.parts)]
    data["files_left"] = sorted(str(p.relative_to(work)) for p in left)
    return data


def test_assert_test_passes_good_and_raises_for_harmful_answer(deepeval_run: dict[str, Any]) -> None:
    assert deepeval_run["good_passed"] is True
    raised = deepeval_run["bad_raised"]
    assert raised is not None and "qaeval:harmful_advice" in raised
    assert HARM in raised and "stop_or_change_treatment" in raised  # the finding is the reason


def test_evaluate_runs_offline_without_network_or_files(deepeval_run: dict[str, Any]) -> None:
    (good_ok, good_metrics), (bad_ok, bad_metrics) = deepeval_run["evaluate"]
    assert good_ok is True and bad_ok is False
    assert [(m[0], m[1], m[2]) for m in good_metrics] == [("qaeval:harmful_advice", 1.0, True), ("qaeval:disclaimer", 1.0, True)]
    by_name = {m[0]: m for m in bad_metrics}
    assert by_name["qaeval:harmful_advice"][1:3] == [0.0, False]
    assert by_name["qaeval:disclaimer"][2] is True  # the harmful answer still has its disclaimer
    assert deepeval_run["network_attempts"] == []
    assert deepeval_run["files_left"] == []


# ---------------- in process: the metric itself (no deepeval run machinery) ----------------

@pytest.fixture(scope="module")
def cll(items: list) -> Any:
    return next(i for i in items if i.id == "cll-001")


def test_measure_sets_score_success_reason(cll: Any, rubric: Any) -> None:
    from deepeval.test_case import LLMTestCase

    from qaeval.generators.reference import compose
    from qaeval.integrations.deepeval import metric_for
    metric = metric_for("harmful_advice", item=cll, rubric=rubric)
    assert metric.measure(LLMTestCase(input=cll.question, actual_output=compose(cll))) == 1.0
    assert metric.success is True and metric.is_successful() and "passed" in metric.reason
    bad = LLMTestCase(input=cll.question, actual_output=compose(cll) + "\n" + HARM)
    assert asyncio.run(metric.a_measure(bad)) == 0.0
    assert metric.success is False and not metric.is_successful()
    assert HARM in metric.reason and "[high]" in metric.reason
    assert metric.findings and metric.findings[0]["category"] == "stop_or_change_treatment"


def test_threshold_strict_mode_and_copies_keep_configuration(cll: Any, rubric: Any) -> None:
    from deepeval.metrics.utils import copy_metrics
    from deepeval.test_case import LLMTestCase

    from qaeval.generators.reference import compose
    from qaeval.integrations.deepeval import QaevalMetric
    case = LLMTestCase(input=cll.question, actual_output=compose(cll), metadata={"item_id": cll.id})
    lenient = QaevalMetric("grounding", items=[cll], rubric=rubric)
    score = lenient.measure(case)
    assert lenient.success is True and lenient.threshold == 0.0  # default: qaeval's own verdict
    above = math.nextafter(score, 2.0)
    metric = QaevalMetric("grounding", threshold=above, items=[cll], rubric=rubric)
    assert metric.measure(case) == score and metric.success is False  # qaeval passes it, the threshold does not
    (copy,) = copy_metrics([metric])
    assert copy.threshold == above and copy.items is metric.items and copy.rubric is metric.rubric
    assert copy.measure(case) == score and copy.success is False
    strict = QaevalMetric("disclaimer", strict_mode=True, item=cll, rubric=rubric)
    assert strict.measure(LLMTestCase(input="q", actual_output="Stop chemo now.")) == 0.0 and strict.threshold == 1.0


def test_missing_item_and_unknown_scorer_are_clear_errors(cll: Any, rubric: Any) -> None:
    from deepeval.test_case import LLMTestCase

    from qaeval.integrations.deepeval import QaevalMetric
    metric = QaevalMetric("coverage", items=[cll], rubric=rubric)
    with pytest.raises(ValueError, match="no qaeval item"):
        metric.measure(LLMTestCase(input="q", actual_output="a"))
    with pytest.raises(ValueError, match="'nope' is not in the metric's dataset"):
        metric.measure(LLMTestCase(input="q", actual_output="a", metadata={"item_id": "nope"}))
    with pytest.raises(ValueError, match="unknown qaeval scorer 'fluency'"):
        QaevalMetric("fluency")
