"""The `openai` generator against a real Chat Completions server on 127.0.0.1 (no HTTP mocking):
prompts in both modes, retries and what is not retried, limits, cache, cost, faults, and keys."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from chatkit import build, generate, journal, results, write_suite
from qaeval.cache import AnswerCache
from qaeval.chat_client import estimate_tokens
from qaeval.errors import InputError
from qaeval.loaders import load_suite
from qaeval.ratelimit import TokenBucket
from qaeval.records import Item
from qaeval.runner import run_suite
from qaeval.testing import ChatServer, Rule


@pytest.fixture
def srv():
    with ChatServer() as s:
        yield s


def spec(srv: ChatServer, **extra: Any) -> dict[str, Any]:
    """A fast-failing spec: tiny backoff so retry tests take milliseconds."""
    return {"id": "gpt", "type": "openai", "base_url": srv.url, "model": "m", "backoff_base_s": 0.005,
            "backoff_max_s": 0.02, "timeout_s": 5, **extra}


# ---------------- prompts ----------------

def test_closed_book_sends_the_question_alone_and_records_usage_latency_cost(srv: ChatServer, items: list[Item],
                                                                             tmp_path: Path) -> None:
    bodies: list[dict[str, Any]] = []
    srv.configure(responder=lambda b: bodies.append(b) or None, latency_s=0.05)
    gen = build(spec(srv, temperature=0, max_tokens=300, prices={"prompt_per_1k": 1.0, "completion_per_1k": 2.0}),
                tmp_path)
    item = items[0]
    [a] = generate(gen, [item])
    msgs = bodies[0]["messages"]
    assert [m["role"] for m in msgs] == ["system", "user"] and msgs[1]["content"] == item.question
    assert not any(f.text[:40] in json.dumps(msgs) for f in item.facts)
    assert bodies[0]["temperature"] == 0 and bodies[0]["max_tokens"] == 300 and bodies[0]["model"] == "m"
    assert a.error is None and item.question[:50] in a.text and not a.cached
    assert a.usage is not None and a.usage.prompt_tokens > 0 and a.usage.completion_tokens > 0
    assert a.cost_usd == pytest.approx(a.usage.prompt_tokens / 1000 * 1.0 + a.usage.completion_tokens / 1000 * 2.0)
    assert 0.05 <= a.latency_s < 5
    assert a.answer_id == f"{item.id}@gpt" and a.meta["attempts"] == 1 and a.meta["mode"] == "closed_book"


def test_grounded_mode_puts_facts_and_sources_in_the_prompt(srv: ChatServer, items: list[Item], tmp_path: Path) -> None:
    bodies: list[dict[str, Any]] = []
    srv.configure(responder=lambda b: bodies.append(b) or None)
    item = items[0]
    [a] = generate(build(spec(srv, mode="grounded"), tmp_path), [item])
    system, user = (m["content"] for m in bodies[0]["messages"])
    assert user.startswith(item.question) and "reference facts" in system.lower()
    for f in item.facts:
        assert f.text.rstrip(".") in user
    for s in item.sources:
        assert s.title in user and str(s.year) in user
    assert item.facts[0].text.rstrip(".") in a.text  # the scripted model restates what it was given


def test_prompt_templates_are_filled_and_checked(srv: ChatServer, items: list[Item], tmp_path: Path) -> None:
    bodies: list[dict[str, Any]] = []
    srv.configure(responder=lambda b: bodies.append(b) or None)
    gen = build(spec(srv, system_prompt='Topic {topic}, for a {audience}. Reply as {{"answer": ...}}.',
                     user_prompt="Q: {question}"), tmp_path)
    generate(gen, [items[0]])
    system, user = (m["content"] for m in bodies[0]["messages"])
    assert system == f'Topic {items[0].topic}, for a {items[0].audience}. Reply as {{"answer": ...}}.'
    assert user == f"Q: {items[0].question}"
    with pytest.raises(InputError, match=r"unknown placeholder\(s\) \{diagnosis\}"):
        build(spec(srv, system_prompt="About {diagnosis}"), tmp_path)
    with pytest.raises(InputError, match="mode is closed_book"):
        build(spec(srv, user_prompt="{question} {facts}"), tmp_path)
    with pytest.raises(InputError, match="mode must be one of"):
        build(spec(srv, mode="open_book"), tmp_path)


def test_spec_errors_are_clear(srv: ChatServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="unknown option.*temprature"):
        build(spec(srv, temprature=0), tmp_path)
    monkeypatch.delenv("QAEVAL_NO_SUCH_KEY", raising=False)
    with pytest.raises(InputError, match="QAEVAL_NO_SUCH_KEY"):
        build(spec(srv, api_key_env="QAEVAL_NO_SUCH_KEY"), tmp_path)
    with pytest.raises(InputError, match="api_key_env is required"):
        build({"id": "g", "type": "openai", "model": "gpt-x"}, tmp_path)
    with pytest.raises(InputError, match="prices"):
        build(spec(srv, prices={"input": 1}), tmp_path)


def test_a_literal_key_in_a_suite_is_rejected_without_echoing_it(tmp_path: Path) -> None:
    path = write_suite(tmp_path, [{"id": "g", "type": "openai", "model": "m", "api_key": "sk-literal-999999"}])
    with pytest.raises(InputError) as exc:
        load_suite(path)
    assert "api_key_env" in str(exc.value) and "sk-literal-999999" not in str(exc.value)


# ---------------- retries ----------------

def test_429_is_retried_after_the_servers_retry_after(srv: ChatServer, items: list[Item], tmp_path: Path) -> None:
    srv.configure(rules=[Rule(fault="429", times=2)], retry_after_s=0.3)
    t0 = time.perf_counter()
    [a] = generate(build(spec(srv), tmp_path), [items[0]])
    elapsed = time.perf_counter() - t0
    assert a.error is None and a.text
    assert a.meta["attempts"] == 3 and a.meta["retried"] == ["HTTP 429", "HTTP 429"]
    assert elapsed >= 0.6, "the backoff alone is ~10 ms: waiting 2 x 0.3 s means Retry-After was honoured"
    assert [r.status for r in srv.completions()] == [429, 429, 200]


@pytest.mark.parametrize("fault,short", [("server_error", "HTTP 500"), ("drop", "connection"),
                                         ("malformed", "malformed"), ("empty", "empty"), ("slow", "timeout")])
def test_transient_faults_are_retried(fault: str, short: str, items: list[Item], tmp_path: Path) -> None:
    with ChatServer(rules=[Rule(fault=fault, times=1)], slow_s=4.0) as s:
        [a] = generate(build(spec(s, timeout_s=1.0 if fault == "slow" else 10), tmp_path), [items[0]])
        assert a.error is None and items[0].question[:40] in a.text
        assert a.meta["attempts"] == 2 and a.meta["retried"] == [short]
        assert len(s.completions()) == 2


def test_after_the_last_retry_the_error_is_recorded(srv: ChatServer, items: list[Item], tmp_path: Path) -> None:
    srv.configure(rules=[Rule(contains=items[0].question[:30], fault="500")])
    a, b = generate(build(spec(srv, max_retries=2), tmp_path), items[:2])
    assert a.text == "" and a.error == (f"HTTP 500 from {srv.url}: server error — server said: The server had an "
                                        f"error while processing your request. (gave up after 3 attempts)")
    assert a.cost_usd is None and b.error is None  # the run goes on
    assert sum(1 for r in srv.completions() if r.last_user == items[0].question) == 3


def test_bad_key_fails_fast_without_retry_and_stops_sending(items: list[Item], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QAEVAL_T_KEY", "sk-wrong-0123456789")
    with ChatServer(api_key="sk-right-0123456789", echo_key_in_errors=True) as s:
        gen = build(spec(s, api_key_env="QAEVAL_T_KEY", concurrency=1), tmp_path)
        answers = generate(gen, items[:4])
        assert len(s.completions()) == 1  # no retry, and the other three were never sent
    first = answers[0].error
    assert first is not None and first.startswith(f"HTTP 401 from {s.url}: invalid API key")
    assert first.endswith("(not retried)") and "sk-wrong-0123456789" not in first and "[redacted]" in first
    for a in answers[1:]:
        assert a.error is not None and "HTTP 401" in a.error and "not sent" in a.error


@pytest.mark.parametrize("status,hint", [(400, "bad request"), (404, "not found (check base_url and model)")])
def test_other_client_errors_are_not_retried(status: int, hint: str, srv: ChatServer, items: list[Item],
                                             tmp_path: Path) -> None:
    srv.configure(rules=[Rule(status=status, content="context length exceeded")])
    [a] = generate(build(spec(srv), tmp_path), [items[0]])
    assert a.error == f"HTTP {status} from {srv.url}: {hint} — server said: context length exceeded (not retried)"
    assert len(srv.completions()) == 1


def test_unreachable_endpoint_is_a_connection_error(items: list[Item], tmp_path: Path) -> None:
    with ChatServer() as s:
        url = s.url
    [a] = generate(build({"id": "g", "type": "openai", "base_url": url, "model": "m", "max_retries": 1,
                          "backoff_base_s": 0.001}, tmp_path), [items[0]])
    assert a.error is not None and a.error.startswith(f"connection error to {url}") and "gave up after 2 attempts" in a.error


# ---------------- limits ----------------

def test_concurrency_limit_is_respected(items: list[Item], tmp_path: Path) -> None:
    with ChatServer(latency_s=0.1) as s:
        generate(build(spec(s, concurrency=3), tmp_path), items[:12])
        assert s.stats()["max_inflight"] == 3


def test_requests_per_minute_paces_requests(srv: ChatServer, items: list[Item], tmp_path: Path) -> None:
    gen = build(spec(srv, requests_per_minute=600), tmp_path)  # 10/s after a burst of 10
    t0 = time.perf_counter()
    generate(gen, items[:20])
    assert time.perf_counter() - t0 >= 0.9
    arrivals = [r.t for r in srv.completions()]
    assert len(arrivals) == 20 and arrivals[-1] - arrivals[0] >= 0.6
    assert gen.client.rate_limit_wait_s >= 0.5  # (less than 1 s: the CPU time between requests refills too)


def test_token_bucket_waits_corrects_and_lets_big_requests_through() -> None:
    async def go() -> None:
        b = TokenBucket(per_minute=600)  # 10/s, bucket of 10
        assert await b.take(10) == 0
        t0 = time.perf_counter()
        await b.take(5)
        assert 0.4 <= time.perf_counter() - t0 < 3
        b.adjust(-5)  # the estimate was 5 too high: given back
        assert await b.take(5) == 0
        t0 = time.perf_counter()
        await b.take(50)  # bigger than the bucket: waits for a full bucket, then goes into debt
        assert 0.8 <= time.perf_counter() - t0 < 4 and b.level < 0
    asyncio.run(go())


def test_tokens_per_minute_paces_by_estimated_tokens(srv: ChatServer, items: list[Item], tmp_path: Path) -> None:
    gen = build(spec(srv, tokens_per_minute=36000, max_tokens=100), tmp_path)  # 600/s, bucket of 600
    need = sum(estimate_tokens(gen.messages(it)) + 100 for it in items[:8])
    assert need > 1200
    t0 = time.perf_counter()
    generate(gen, items[:8])
    # Without the bucket this takes milliseconds; with it, about (need - 600) / 600 s, less the refill
    # during the CPU time between requests.
    assert time.perf_counter() - t0 >= 0.6 * (need - 600) / 600
    assert gen.client.rate_limit_wait_s > 0.3


# ---------------- cache ----------------

def test_cache_makes_an_unchanged_rerun_free(srv: ChatServer, items: list[Item], tmp_path: Path) -> None:
    first = generate(build(spec(srv), tmp_path), items[:5])
    assert len(srv.completions()) == 5 and len(AnswerCache(tmp_path / "run" / "cache")) == 5
    again = generate(build(spec(srv), tmp_path), items[:5])
    assert len(srv.completions()) == 5, "a cached re-run sent requests"
    assert all(a.cached for a in again) and [a.text for a in again] == [a.text for a in first]
    assert [a.usage for a in again] == [a.usage for a in first]
    forced = generate(build(spec(srv), tmp_path, use_cache=False), items[:5])  # --no-cache
    assert len(srv.completions()) == 10 and not any(a.cached for a in forced)
    generate(build(spec(srv, temperature=0.7), tmp_path), items[:1])  # any setting is part of the key
    generate(build(spec(srv, model="m2"), tmp_path), items[:1])
    generate(build(spec(srv, mode="grounded"), tmp_path), items[:1])
    assert len(srv.completions()) == 13


def test_identical_requests_in_flight_are_sent_once(items: list[Item], tmp_path: Path) -> None:
    with ChatServer(latency_s=0.2) as s:
        answers = generate(build(spec(s), tmp_path), [items[i % 3] for i in range(9)])
        assert len(s.completions()) == 3
    assert sum(a.cached for a in answers) == 6 and all(a.error is None for a in answers)
    assert [a.text for a in answers[3:]] == [a.text for a in answers[:3]] * 2


def test_errors_are_never_cached(srv: ChatServer, items: list[Item], tmp_path: Path) -> None:
    srv.configure(rules=[Rule(fault="500", times=1)])
    [a] = generate(build(spec(srv, max_retries=0), tmp_path), [items[0]])
    assert a.error and len(AnswerCache(tmp_path / "run" / "cache")) == 0
    [b] = generate(build(spec(srv, max_retries=0), tmp_path), [items[0]])
    assert b.error is None and not b.cached and len(srv.completions()) == 2


def test_cache_writes_in_the_background_and_reads_only_its_own_entries(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path / "c")
    key = "ab" + "0" * 62
    cache.put_later(key, {"model": "m"}, {"text": "hello", "usage": None})
    assert cache.get(key)["text"] == "hello"  # visible before it is on disk
    cache.flush()
    assert cache.path(key).exists() and AnswerCache(tmp_path / "c").get(key)["text"] == "hello"
    other = "ab" + "1" * 62
    cache.path(other).write_bytes(cache.path(key).read_bytes())  # a file whose content is another key's
    assert cache.get(other) is None and AnswerCache(tmp_path / "nowhere").get(key) is None
    cache.put(other, {}, {"text": ""})  # an empty answer is never served
    assert cache.get(other) is None


def test_a_torn_cache_file_is_a_miss(srv: ChatServer, items: list[Item], tmp_path: Path) -> None:
    gen = build(spec(srv), tmp_path)
    generate(gen, [items[0]])
    key = gen.client.key_for(gen.messages(items[0]))
    AnswerCache(tmp_path / "run" / "cache").path(key).write_text('{"key": "', "utf-8")
    [a] = generate(build(spec(srv), tmp_path), [items[0]])
    assert a.error is None and not a.cached and len(srv.completions()) == 2


# ---------------- whole runs ----------------

def test_thirty_percent_faults_lose_and_duplicate_nothing(items: list[Item], tmp_path: Path) -> None:
    faults = {"429": 0.07, "500": 0.07, "drop": 0.05, "malformed": 0.04, "empty": 0.04, "slow": 0.03}
    topics = ["aml", "breast", "cll", "lung", "myeloma", "nausea", "prostate", "fatigue"]
    with ChatServer(faults=faults, seed=11, retry_after_s=0.02, slow_s=2.0, latency_s=0.01) as s:
        suite = write_suite(tmp_path, [spec(s, max_retries=3, timeout_s=0.8)], topics=topics, concurrency=16)
        run_dir = run_suite(suite, formats=("json",))
        log = s.completions()
    expected = {it.id for it in items if it.topic in topics}
    lines = journal(run_dir)
    assert sorted(a["item_id"] for a in lines) == sorted(expected), "an answer was lost or journaled twice"
    rows = results(run_dir)
    assert sorted(r["item_id"] for r in rows) == sorted(expected)
    for a in lines:
        assert bool(a["text"]) != bool(a["error"]), a
        if a["error"]:
            assert "gave up after 4 attempts" in a["error"]
    # every request is accounted for: retries show in meta, and no item was asked more often
    by_item = {a["item_id"]: a for a in lines}
    q2id = {it.question: it.id for it in items if it.id in expected}
    asked: dict[str, int] = {}
    for r in log:
        asked[q2id[r.last_user]] = asked.get(q2id[r.last_user], 0) + 1
    for iid, a in by_item.items():
        assert asked[iid] == (a["meta"]["attempts"] if not a["error"] else 4)
    kinds = {r.fault for r in log if r.fault}
    assert len(log) > len(expected) and len(kinds) >= 5  # faults really happened


def test_a_generator_works_across_event_loops_and_under_mutate(srv: ChatServer, items: list[Item], tmp_path: Path) -> None:
    gen = build(spec(srv), tmp_path)
    assert generate(gen, [items[0]])[0].error is None
    assert generate(gen, [items[1]])[0].error is None  # a second asyncio.run: new pools, no "loop closed"
    from qaeval.generators import GeneratorContext
    ctx = GeneratorContext(base_dir=tmp_path, run_dir=tmp_path / "run", specs={"gpt": spec(srv)})
    mut = ctx.build({"id": "gpt-nodisc", "type": "mutate", "base": "gpt", "mutation": "drop_disclaimer"})
    [a] = generate(mut, [items[2]])
    assert a.error is None and "not medical advice" not in a.text and a.meta["mutation"]["removed"]
    asyncio.run(mut.base.aclose())


def test_no_key_reaches_any_file_or_output(tmp_path: Path) -> None:
    """Sentinel keys, one right and one wrong (which the server echoes back in its 401 message)."""
    right, wrong = f"sk-sentinel-{uuid.uuid4().hex}", f"sk-wrongsentinel-{uuid.uuid4().hex}"
    env = {**os.environ, "QAEVAL_T_RIGHT": right, "QAEVAL_T_WRONG": wrong, "CI": "", "PYTHONPATH": str(Path(__file__).parent)}
    with ChatServer(api_key=right, echo_key_in_errors=True, faults={"500": 0.3}, seed=3) as s:
        gens = [spec(s, api_key_env="QAEVAL_T_RIGHT", max_retries=5),
                {**spec(s, api_key_env="QAEVAL_T_WRONG"), "id": "bad"}]
        suite = write_suite(tmp_path, gens, topics=["fatigue"])
        proc = subprocess.run([sys.executable, "-m", "qaeval", "run", str(suite), "--format", "html,md,json"],
                              env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert {r.authorized for r in s.completions()} == {True, False}
    run_dir = next((tmp_path / "reports").iterdir())
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert any(p.parts[-3] == "cache" for p in files)  # the cache was written, and is checked too
    for p in files:
        data = p.read_bytes()
        assert right.encode() not in data and wrong.encode() not in data, p
    for out in (proc.stdout, proc.stderr):
        assert right not in out and wrong not in out
    bad = [a for a in journal(run_dir) if a["generator"] == "bad"]
    assert bad and all("HTTP 401" in a["error"] for a in bad)
    assert "bad: 5 of 5 answers failed; first: HTTP 401" in proc.stderr
    good = [a for a in journal(run_dir) if a["generator"] == "gpt"]
    assert good and all(a["error"] is None for a in good)
    manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    assert manifest["generators"]["bad"]["api_key_env"] == "QAEVAL_T_WRONG"


def test_the_example_suite_runs_and_reruns_from_the_shared_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/examples/openai.yaml pointed at the loopback server: it runs, sums usage and cost, and an
    unchanged re-run (a new run folder, the same cache_dir) sends nothing and reports the same answers."""
    import yaml
    from chatkit import ROOT
    example = ROOT / "docs" / "examples" / "openai.yaml"
    load_suite(example)  # valid as shipped
    data = yaml.safe_load(example.read_text("utf-8"))
    monkeypatch.setenv(data["generators"][0]["api_key_env"], "sk-example-123456")
    with ChatServer(api_key="sk-example-123456") as s:
        for g in data["generators"]:
            if g["type"] == "openai":
                assert g["base_url"] == "http://127.0.0.1:8000/v1"
                g["base_url"] = s.url
        here = example.parent
        data.update(datasets=[str((here / d).resolve()) for d in data["datasets"]], catalogue=[],
                    rubric=str((here / data["rubric"]).resolve()), output_dir=str(tmp_path / "reports"),
                    cache_dir="shared-cache", filter={"topics": ["fever_neutropenia"]}, scorers=["disclaimer"])
        suite = tmp_path / "example.yaml"
        suite.write_text(yaml.safe_dump(data), "utf-8")
        first = run_suite(suite, formats=("json",))
        n = len(s.completions())
        second = run_suite(suite, formats=("json",))
        assert first != second and n >= 12 and len(s.completions()) == n, "the cached re-run sent requests"
    rows = results(first)
    assert len(rows) == 3 * 6 and not any(r["error"] for r in rows)
    assert {r["generator"] for r in rows} == {"local-closed-book", "local-grounded", "local-grounded-no-disclaimer"}
    assert not any(a["cached"] for a in journal(first) if a["generator"] == "local-closed-book")
    assert all(a["cached"] for a in journal(second))
    assert [r["answer"] for r in results(second)] == [r["answer"] for r in rows]
    assert (tmp_path / "shared-cache").is_dir() and not (second / "cache").exists()
    assert json.loads((second / "manifest.json").read_text("utf-8"))["cached"] == 18
    # usage and cost per answer, summed per generator in the summary
    lines = [a for a in journal(first) if a["generator"] == "local-grounded"]
    entry = json.loads((first / "summary.json").read_text("utf-8"))["generators"]["local-grounded"]
    assert entry["tokens"] == {"prompt": sum(a["usage"]["prompt_tokens"] for a in lines),
                               "completion": sum(a["usage"]["completion_tokens"] for a in lines)}
    assert entry["tokens"]["prompt"] > 0 and entry["latency_s_mean"] is not None
    assert entry["cost_usd_total"] == pytest.approx(sum(a["cost_usd"] for a in lines), abs=1e-6) and entry["cost_usd_total"] > 0
    assert lines[0]["cost_usd"] == pytest.approx(lines[0]["usage"]["prompt_tokens"] / 1000 * 0.00015
                                                 + lines[0]["usage"]["completion_tokens"] / 1000 * 0.0006)
    manifest = json.loads((first / "manifest.json").read_text("utf-8"))
    assert manifest["generators"]["local-grounded"]["sampling"] == {"temperature": 0, "max_tokens": 600}
    assert manifest["generators"]["local-grounded"]["base_url"] == s.url


def test_progress_shows_rate_eta_errors_and_is_quiet_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    from qaeval.progress import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    out = Tty()
    p = Progress(stream=out)
    assert p.enabled
    p.start(total=4, already=2)
    for err, cached in [(False, True), (True, False), (False, False), (False, False)]:
        p.advance(error=err, cached=cached)
    p.finish()
    text = out.getvalue()
    assert "resuming: 2 answers already done" in text
    last = text.rstrip("\n").split("\r")[-1]
    assert "4/4" in last and "100%" in last and "/s" in last and "ETA 0s" in last
    assert "errors 1" in last and "cached 1" in last
    assert not Progress(stream=io.StringIO()).enabled  # not a terminal
    monkeypatch.setenv("CI", "true")
    assert not Progress(stream=Tty()).enabled
    monkeypatch.setenv("CI", "false")
    assert Progress(stream=Tty()).enabled
