"""The `callable` generator: a user's own pipeline as `module:function`, sync or async."""

from __future__ import annotations

import textwrap
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from chatkit import build, generate, journal, results, write_suite
from qaeval.errors import InputError
from qaeval.records import Item, Usage
from qaeval.runner import run_suite

PIPELINE = '''
import asyncio, threading, time

def plain(item, prefix="A:"):
    return f"{prefix} {item.question} (thread {threading.current_thread().name})"

async def rich(item, model="m"):
    await asyncio.sleep(0.01)
    return {"answer": "Rich answer. " + item.facts[0].text, "usage": {"prompt_tokens": 7, "completion_tokens": 3},
            "cost_usd": 0.25, "meta": {"model": model, "n_facts": len(item.facts)}}

def broken(item):
    if item.topic == "aml":
        raise RuntimeError("retriever index missing")
    return "fine"

def wrong_type(item):
    return 42

def empty(item):
    return "   "

def slow(item):
    time.sleep(0.2)
    return "slow answer"

async def hang(item):
    await asyncio.sleep(5)
    return "too late"

class Pipeline:
    def answer(self, item):
        return "method answer"

pipe = Pipeline()
'''


@pytest.fixture
def module(tmp_path: Path) -> str:
    """A fresh pipeline module (unique name: sys.modules is shared across tests) in tmp_path/pipes."""
    name = f"pipe_{uuid.uuid4().hex[:10]}"
    (tmp_path / "pipes").mkdir()
    (tmp_path / "pipes" / f"{name}.py").write_text(textwrap.dedent(PIPELINE), "utf-8")
    return name


def spec(module: str, fn: str, **extra: Any) -> dict[str, Any]:
    return {"id": "mine", "type": "callable", "function": f"{module}:{fn}", "path": "pipes", **extra}


def test_sync_function_runs_in_a_thread_with_options(module: str, items: list[Item], tmp_path: Path) -> None:
    gen = build(spec(module, "plain", options={"prefix": "Answer:"}), tmp_path)
    [a] = generate(gen, [items[0]])
    assert a.error is None and a.text.startswith(f"Answer: {items[0].question}")
    assert "qaeval-mine" in a.text and threading.current_thread().name not in a.text
    assert a.answer_id == f"{items[0].id}@mine" and a.latency_s is not None
    assert gen.settings()["async"] is False and gen.settings()["options"] == {"prefix": "Answer:"}


def test_async_function_returning_a_dict(module: str, items: list[Item], tmp_path: Path) -> None:
    gen = build(spec(module, "rich", options={"model": "rag-v2"}), tmp_path)
    [a] = generate(gen, [items[0]])
    assert a.text == "Rich answer. " + items[0].facts[0].text
    assert a.usage == Usage(prompt_tokens=7, completion_tokens=3) and a.cost_usd == 0.25
    assert a.meta == {"model": "rag-v2", "n_facts": len(items[0].facts)} and gen.settings()["async"] is True


def test_methods_of_module_objects_can_be_named(module: str, items: list[Item], tmp_path: Path) -> None:
    [a] = generate(build(spec(module, "pipe.answer"), tmp_path), [items[0]])
    assert a.text == "method answer"


def test_failures_are_recorded_per_item_and_the_rest_go_on(module: str, items: list[Item], tmp_path: Path) -> None:
    some = [it for it in items if it.topic == "aml"][:2] + [it for it in items if it.topic == "cll"][:2]
    answers = generate(build(spec(module, "broken"), tmp_path), some)
    assert [a.error for a in answers[:2]] == [f"{module}:broken raised RuntimeError: retriever index missing"] * 2
    assert [a.text for a in answers[2:]] == ["fine", "fine"] and answers[2].error is None
    [w] = generate(build(spec(module, "wrong_type"), tmp_path), [items[0]])
    assert w.error is not None and "returned int; expected a string or a dict" in w.error
    [e] = generate(build(spec(module, "empty"), tmp_path), [items[0]])
    assert e.error == f"{module}:empty returned an empty answer"


def test_timeout_for_async_functions(module: str, items: list[Item], tmp_path: Path) -> None:
    t0 = time.perf_counter()
    [a] = generate(build(spec(module, "hang", timeout_s=0.2), tmp_path), [items[0]])
    assert a.error == f"{module}:hang did not answer within 0.2s" and time.perf_counter() - t0 < 3


def test_sync_functions_run_concurrently_up_to_the_limit(module: str, items: list[Item], tmp_path: Path) -> None:
    t0 = time.perf_counter()
    answers = generate(build(spec(module, "slow", concurrency=4), tmp_path), items[:8])
    elapsed = time.perf_counter() - t0
    assert [a.text for a in answers] == ["slow answer"] * 8
    assert 0.4 <= elapsed < 1.5, f"8 x 0.2 s with 4 threads took {elapsed:.2f}s"


def test_bad_specs_are_input_errors(module: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="package.module:function"):
        build({"id": "x", "type": "callable"}, tmp_path)
    with pytest.raises(InputError, match="ModuleNotFoundError"):
        build(spec("no_such_module_qaeval", "f"), tmp_path)
    with pytest.raises(InputError, match="AttributeError"):
        build(spec(module, "nope"), tmp_path)
    with pytest.raises(InputError, match="not of the form"):
        build({"id": "x", "type": "callable", "function": "just_a_module"}, tmp_path)
    with pytest.raises(InputError, match="unknown option"):
        build(spec(module, "plain", retries=3), tmp_path)


def test_a_whole_run_with_a_callable_generator(module: str, tmp_path: Path) -> None:
    suite = write_suite(tmp_path, [spec(module, "broken")], topics=["aml", "cll"])
    run_dir = run_suite(suite, formats=("json",))
    rows = results(run_dir)
    assert len(rows) == 12 and len(journal(run_dir)) == 12
    assert sum(1 for r in rows if r["error"]) == 6 and all(r["answer"] == "fine" for r in rows if not r["error"])
