"""ragas and deepeval metrics as qaeval scorers, against a real Chat Completions server on 127.0.0.1.

The server's responder (`qaeval.testing.judge_responders.EcosystemResponder`) answers each stage of
ragas' and deepeval's own prompts (statement extraction, claim decomposition, NLI verdicts...) with
JSON of the shape the installed package's output models expect, so the packages run unmodified over
HTTP. Every socket connection that is not to the loopback is refused and recorded: the adapters must
need no network (telemetry included).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DEEPEVAL_TELEMETRY_OPT_OUT", "YES")
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")

from qaeval.records import Answer, Item  # noqa: E402
from qaeval.scorers import ScoringContext, build_scorers  # noqa: E402
from qaeval.scoring import score_answer  # noqa: E402
from qaeval.testing import ChatServer  # noqa: E402
from qaeval.testing.judge_responders import EcosystemResponder, sentences  # noqa: E402
from qaeval.validation import iter_problems  # noqa: E402

pytestmark = pytest.mark.ecosystems


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


needs_ragas = pytest.mark.skipif(not (_importable("ragas") and _importable("langchain_community")),
                                 reason="ragas is not installed: pip install 'qaeval[ecosystems]' "
                                        "(ragas==0.4.3 'langchain-community<0.4')")
needs_deepeval = pytest.mark.skipif(not _importable("deepeval"),
                                    reason="deepeval is not installed: pip install 'qaeval[ecosystems]'")

KEY_ENV = "QAEVAL_TEST_JUDGE_KEY"
SENTINEL = "sk-qaeval-ECOSYSTEM-SENTINEL-55aa"
SOURCES = [{"id": "s1", "title": "Guide", "publisher": "Publisher", "year": 2024}]
FEVER = Item.from_dict({
    "id": "fever-001", "question": "I'm on chemo and my temperature is 38.6. What should I do?",
    "topic": "fever_neutropenia", "sources": SOURCES,
    "facts": [
        {"id": "fever-001.f1", "text": "A fever during chemotherapy can be a sign of a serious infection.",
         "source_id": "s1", "required": True},
        {"id": "fever-001.f2", "text": "Call your cancer team's 24-hour line or go to the emergency department "
                                       "straight away.", "source_id": "s1", "required": True},
        {"id": "fever-001.f3", "text": "Antibiotics are usually started within an hour of arriving at hospital.",
         "source_id": "s1", "required": False},
    ],
    "expectations": {"urgent_referral": True},
})
ANSWER = ("A fever during chemotherapy can be a sign of a serious infection. Call your cancer team's 24-hour line "
          "straight away. Waiting until the morning is usually fine.")
CONTRADICTIONS = ["until the morning"]


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch):
    """Refuse (and record) any TCP connection that is not to 127.0.0.1 / ::1."""
    attempts: list[Any] = []
    real = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"network disabled in this test: {address!r}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield attempts
    assert attempts == [], f"something tried to reach the network: {attempts}"


@pytest.fixture
def responder() -> EcosystemResponder:
    return EcosystemResponder(contradictions=CONTRADICTIONS)


@pytest.fixture
def srv(responder: EcosystemResponder, monkeypatch: pytest.MonkeyPatch, loopback_only, tmp_path: Path):
    monkeypatch.setenv(KEY_ENV, SENTINEL)
    monkeypatch.chdir(tmp_path)  # anything a package writes to its working folder lands here
    bodies: list[dict[str, Any]] = []

    def record(body: dict[str, Any]) -> Any:
        bodies.append(body)
        return responder(body)

    with ChatServer(responder=record, api_key=SENTINEL, retry_after_s=0.01) as s:
        s.bodies = bodies  # type: ignore[attr-defined]
        yield s


def opts(srv: ChatServer, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {"base_url": srv.url, "model": "judge-1", "api_key_env": KEY_ENV, "cache_dir": str(tmp_path / "cache"),
            "max_retries": 1, **extra}


def score(name: str, options: dict[str, Any], rubric, text: str = ANSWER) -> dict[str, Any]:
    [scorer] = build_scorers([{"name": name, "options": options}])  # lazily imports the adapter
    row = score_answer(FEVER, Answer(item_id=FEVER.id, generator="test", text=text), [scorer],
                       ScoringContext(rubric=rubric))
    assert list(iter_problems(row, "result_line")) == []
    return row["scores"][name]


def no_secrets(tmp_path: Path, *results: Any) -> None:
    stored = "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())
    assert SENTINEL not in stored and SENTINEL not in json.dumps(results)


# ---------- ragas ----------

@needs_ragas
def test_ragas_faithfulness_scores_over_http_and_is_cached(srv, responder, rubric, tmp_path) -> None:
    res = score("ragas_faithfulness", opts(srv, tmp_path), rubric)
    assert res.get("error") is None
    assert res["value"] == pytest.approx(2 / 3, abs=1e-6) and res["passed"] is False  # threshold 0.7
    assert res["details"]["judge"]["metric"] == "ragas.Faithfulness"
    assert responder.stages == {"ragas.statements": 1, "ragas.nli": 1}
    for body in srv.bodies:
        assert body["model"] == "judge-1" and body["temperature"] == 0
        assert body["response_format"] == {"type": "json_object"}
    assert all(r.authorized for r in srv.completions())
    # The item's facts were the retrieved context.
    nli = next(b for b in srv.bodies if "judge the faithfulness" in b["messages"][-1]["content"])
    assert all(json.dumps(f.text)[1:-1] in nli["messages"][-1]["content"] for f in FEVER.facts)
    n = len(srv.completions())
    again = score("ragas_faithfulness", opts(srv, tmp_path), rubric)
    assert len(srv.completions()) == n and again["details"]["judge"]["cached"] is True
    assert again["value"] == res["value"]
    no_secrets(tmp_path, res, again)


@needs_ragas
def test_ragas_nan_is_a_recorded_error_not_a_value(srv, responder, rubric, tmp_path) -> None:
    responder.empty = {"ragas.statements"}  # no statements: ragas returns NaN
    res = score("ragas_faithfulness", opts(srv, tmp_path), rubric)
    assert res["value"] is None and res["passed"] is None
    assert "returned nan" in res["error"] and "no statements" in res["error"]
    # A NaN is never cached: the next run asks again.
    n = len(srv.completions())
    score("ragas_faithfulness", opts(srv, tmp_path), rubric)
    assert len(srv.completions()) > n


@needs_ragas
def test_ragas_factual_correctness_compares_with_the_required_facts(srv, responder, rubric, tmp_path) -> None:
    res = score("ragas_factual_correctness", opts(srv, tmp_path, mode="f1"), rubric)
    assert res.get("error") is None
    # The oracle's own verdicts, both ways: answer claims vs the reference, reference claims vs the answer.
    reference = " ".join(f.text for f in FEVER.facts if f.required)
    tp = sum(responder.verdict(s, reference) == "supported" for s in sentences(ANSWER))
    fp = len(sentences(ANSWER)) - tp
    fn = sum(responder.verdict(s, ANSWER) != "supported" for s in sentences(reference))
    p, r = tp / (tp + fp), tp / (tp + fn)
    assert (tp, fp, fn) == (2, 1, 0)
    assert res["value"] == pytest.approx(round(2 * p * r / (p + r), 2), abs=1e-6) and res["passed"] is True
    assert responder.stages == {"ragas.claims": 2, "ragas.nli": 2}


@needs_ragas
def test_ragas_malformed_json_is_retried_then_recorded_as_an_error(srv, responder, rubric, tmp_path) -> None:
    responder.malformed = Counter({"ragas.statements": 1})
    ok = score("ragas_faithfulness", opts(srv, tmp_path), rubric)
    assert ok.get("error") is None and ok["value"] == pytest.approx(2 / 3, abs=1e-6)
    assert responder.stages["ragas.statements"] == 2  # instructor asked again
    responder.malformed = Counter({"*": 100})
    bad = score("ragas_faithfulness", opts(srv, tmp_path, cache=False), rubric)
    assert bad["value"] is None and bad["passed"] is None and "ragas.Faithfulness failed" in bad["error"]


# ---------- deepeval ----------

@needs_deepeval
def test_deepeval_faithfulness_scores_over_http_with_per_claim_verdicts(srv, responder, rubric, tmp_path) -> None:
    res = score("deepeval_faithfulness", opts(srv, tmp_path), rubric)
    assert res.get("error") is None
    assert res["value"] == pytest.approx(2 / 3, abs=1e-6) and res["passed"] is False
    verdicts = [(c["claim"], c["verdict"]) for c in res["details"]["claims"]]
    assert verdicts == [(s, "no" if "until the morning" in s else "yes") for s in sentences(ANSWER)]
    assert "0.67" in res["details"]["reason"]
    assert responder.stages == {"deepeval.truths": 1, "deepeval.claims": 1, "deepeval.verdicts": 1,
                                "deepeval.reason": 1}
    assert all(b["temperature"] == 0 and b["model"] == "judge-1" for b in srv.bodies)
    n = len(srv.completions())
    again = score("deepeval_faithfulness", opts(srv, tmp_path), rubric)
    assert len(srv.completions()) == n and again["details"]["judge"]["cached"] is True
    no_secrets(tmp_path, res, again)


@needs_deepeval
def test_deepeval_vacuous_score_is_a_recorded_error(srv, responder, rubric, tmp_path) -> None:
    responder.empty = {"deepeval.claims"}  # deepeval would score "no claims" as 1.0
    res = score("deepeval_faithfulness", opts(srv, tmp_path), rubric)
    assert res["value"] is None and res["passed"] is None and "no claims" in res["error"]


@needs_deepeval
def test_deepeval_missing_verdicts_are_an_error_not_a_pass(srv, responder, rubric, tmp_path) -> None:
    responder.empty = {"deepeval.verdicts"}
    res = score("deepeval_faithfulness", opts(srv, tmp_path), rubric)
    assert res["value"] is None and res["passed"] is None and "0 verdicts for 3 claims" in res["error"]


@needs_deepeval
def test_deepeval_malformed_json_is_retried_then_recorded_as_an_error(srv, responder, rubric, tmp_path) -> None:
    responder.malformed = Counter({"deepeval.verdicts": 1})
    ok = score("deepeval_faithfulness", opts(srv, tmp_path), rubric)
    assert ok.get("error") is None and responder.stages["deepeval.verdicts"] == 2
    responder.malformed = Counter({"*": 100})
    bad = score("deepeval_faithfulness", opts(srv, tmp_path, cache=False), rubric)
    assert bad["value"] is None and bad["passed"] is None
    assert "malformed verdict" in bad["error"] and "gave up after 2 attempts" in bad["error"]


@needs_deepeval
@needs_ragas
def test_a_missing_key_is_an_error_and_nothing_is_sent(srv, rubric, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(KEY_ENV)
    for name in ("ragas_faithfulness", "deepeval_faithfulness"):
        res = score(name, opts(srv, tmp_path), rubric)
        assert res["passed"] is None and KEY_ENV in res["error"]
    assert srv.completions() == []


def test_nan_is_never_a_value(rubric, tmp_path) -> None:
    """The shared rule, without any ecosystem: a metric that says NaN is recorded as an error."""
    from qaeval.judges.ecosystems import EcosystemScorer, Measurement

    class Nan(EcosystemScorer):
        name, metric = "nan_metric", "test.Nan"

        def measure(self, inputs: Any, key: str) -> Measurement:
            return Measurement(math.nan, {"why": "nothing to score"})

    s = Nan(base_url="http://127.0.0.1:9/v1", model="m", cache_dir=str(tmp_path))
    row = score_answer(FEVER, Answer(item_id=FEVER.id, generator="t", text=ANSWER), [s], ScoringContext(rubric=rubric))
    res = row["scores"]["nan_metric"]
    assert res["value"] is None and res["passed"] is None and "nan" in res["error"]
    assert list(tmp_path.rglob("*.json")) == []  # not cached
