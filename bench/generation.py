"""Generation throughput: qaeval's `openai` generator against a loopback Chat Completions server.

What it measures (the numbers in docs/benchmarks-generation.md):
  1. N questions at 1 s server latency and concurrency C: qaeval's generation time against the
     ideal bound N x 1 s / C (target <= 1.15x the bound), with a bare `openai` async client behind a
     semaphore measured in the same run for reference.
  2. The same run again with the answer cache: requests that reach the server (target 0) and the
     time as a share of the first run (target <= 5 %).
  3. N questions at 0.2 s latency, where on 2 cores the CPU rather than the bound is the floor:
     qaeval against the bare client, interleaved, median of --repeats (target <= 1.10x).

The server runs in its own process (qaeval.testing.ChatServerProcess), so the client under test has
the interpreter to itself. Every timing goes through the real runner (`run_suite`): dataset loading,
the fsync'd answers journal, the cache, the report. "generation" is the generation stage alone
(from the first request to the last journaled answer); "whole run" adds loading and reporting.

    .venv/bin/python bench/generation.py                 # prints a table
    .venv/bin/python bench/generation.py --write-doc     # and writes docs/benchmarks-generation.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import openai

from qaeval.generators import GeneratorContext
from qaeval.loaders import load_dataset
from qaeval.progress import Progress
from qaeval.runner import run_suite
from qaeval.testing import ChatServerProcess

ROOT = Path(__file__).resolve().parents[1]
MODEL = "bench-model"


class StageTimer(Progress):
    """A silent progress sink that records when the generation stage starts and ends."""

    def __init__(self) -> None:
        super().__init__(enabled=False)
        self.t_start = self.t_end = 0.0

    def start(self, total: int, already: int = 0) -> None:
        super().start(total, already)
        self.t_start = time.perf_counter()

    def finish(self) -> None:
        self.t_end = time.perf_counter()
        super().finish()

    @property
    def seconds(self) -> float:
        return self.t_end - self.t_start


def make_dataset(n: int, out: Path) -> Path:
    """n distinct questions, cycled from the repository's dataset with unique ids and wording."""
    base = [json.loads(line) for p in sorted((ROOT / "datasets" / "oncology").glob("*.jsonl"))
            for line in p.read_text("utf-8").splitlines() if line.strip()]
    lines = []
    for i in range(n):
        d = json.loads(json.dumps(base[i % len(base)]))
        suffix = f"-v{i:05d}"
        d["id"] += suffix
        d["question"] = f"(variant {i}) {d['question']}"
        for f in d["facts"]:
            f["id"] += suffix
        for m in d.get("misconceptions", []):
            m["id"] += suffix
            m["corrected_by"] = [c + suffix for c in m.get("corrected_by", [])]
        lines.append(json.dumps(d))
    path = out / "bench.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def write_suite(work: Path, dataset: Path, url: str, concurrency: int, name: str) -> Path:
    suite = work / f"{name}.yaml"
    suite.write_text(f"""name: {name}
datasets: [{dataset}]
rubric: {ROOT / 'rubrics' / 'default.yaml'}
output_dir: {work / 'reports'}
cache_dir: {work / ('cache-' + name)}
concurrency: {concurrency}
generators:
  - id: model
    type: openai
    base_url: {url}
    model: {MODEL}
    mode: closed_book
    timeout_s: 60
    concurrency: {concurrency}
scorers: []
""", "utf-8")
    return suite


def run_qaeval(suite: Path) -> tuple[float, float]:
    """(generation stage seconds, whole run seconds) of one `run_suite`."""
    timer = StageTimer()
    t0 = time.perf_counter()
    run_suite(suite, formats=("json",), progress=timer)
    return timer.seconds, time.perf_counter() - t0


def bench_messages(suite: Path, dataset: Path) -> list[list[dict[str, str]]]:
    """Exactly the messages qaeval sends, for the bare client."""
    from qaeval.loaders import load_suite
    s = load_suite(suite)
    gen = GeneratorContext(base_dir=suite.parent, specs={g["id"]: g for g in s.generators}).build("model")
    return [gen.messages(it) for it in load_dataset([dataset])]  # type: ignore[attr-defined]


async def bare_client(url: str, messages: list[list[dict[str, str]]], concurrency: int) -> float:
    """The reference: a bare `openai` async client behind a semaphore, nothing else."""
    client = openai.AsyncOpenAI(base_url=url, api_key="no-key", max_retries=0, timeout=60)
    sem = asyncio.Semaphore(concurrency)

    async def one(m: list[dict[str, str]]) -> str:
        async with sem:
            r = await client.chat.completions.create(model=MODEL, messages=m)  # type: ignore[arg-type]
            return r.choices[0].message.content or ""

    t0 = time.perf_counter()
    await asyncio.gather(*(one(m) for m in messages))
    dt = time.perf_counter() - t0
    await client.close()
    return dt


def fresh_cache(suite: Path) -> None:
    import shutil
    text = suite.read_text("utf-8")
    cache = Path(next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("cache_dir:")))
    shutil.rmtree(cache, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="questions (default 1000)")
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--latency", type=float, default=1.0, help="server latency of part 1, seconds")
    ap.add_argument("--short-latency", type=float, default=0.2, help="server latency of part 3, seconds")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repeats of part 3 (median reported)")
    ap.add_argument("--write-doc", action="store_true", help="write docs/benchmarks-generation.md")
    a = ap.parse_args(argv)
    n, c = a.n, a.concurrency
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="qaeval-bench-") as tmp:
        work = Path(tmp)
        dataset = make_dataset(n, work)
        with ChatServerProcess(latency_s=a.latency) as srv:
            suite = write_suite(work, dataset, srv.url, c, "bench")
            msgs = bench_messages(suite, dataset)
            # warm-up: imports, the first connections (not timed)
            asyncio.run(bare_client(srv.url, msgs[: c], c))
            srv.reset_log()
            bound = n * a.latency / c
            gen1, whole1 = run_qaeval(suite)
            reqs1 = srv.stats()["completions"]
            srv.reset_log()
            bare1 = asyncio.run(bare_client(srv.url, msgs, c))
            srv.reset_log()
            gen2, whole2 = run_qaeval(suite)  # same suite, same cache_dir, new run folder
            reqs2 = srv.stats()["completions"]
            results["long"] = dict(latency=a.latency, bound=bound, gen=gen1, whole=whole1, requests=reqs1,
                                   bare=bare1, cached_gen=gen2, cached_whole=whole2, cached_requests=reqs2)
            srv.configure(latency_s=a.short_latency)
            short_q, short_b = [], []
            for r in range(a.repeats):
                order = ("qaeval", "bare") if r % 2 == 0 else ("bare", "qaeval")
                for who in order:
                    if who == "bare":
                        short_b.append(asyncio.run(bare_client(srv.url, msgs, c)))
                    else:
                        fresh_cache(suite)
                        short_q.append(run_qaeval(suite)[0])
            results["short"] = dict(latency=a.short_latency, bound=n * a.short_latency / c, qaeval=short_q,
                                    bare=short_b)
    lo, sh = results["long"], results["short"]
    q_med, b_med = statistics.median(sh["qaeval"]), statistics.median(sh["bare"])
    rows = [
        ("1 s latency: bound N×latency/C", f"{lo['bound']:.2f} s", ""),
        ("1 s latency: qaeval, generation", f"{lo['gen']:.2f} s", f"{lo['gen'] / lo['bound']:.3f}× bound (target ≤ 1.15×)"),
        ("1 s latency: qaeval, whole run", f"{lo['whole']:.2f} s", f"{lo['whole'] / lo['bound']:.3f}× bound"),
        ("1 s latency: bare openai client", f"{lo['bare']:.2f} s", f"{lo['bare'] / lo['bound']:.3f}× bound"),
        ("1 s latency: requests reaching the server", f"{lo['requests']}", f"of {n}"),
        ("cached re-run: requests reaching the server", f"{lo['cached_requests']}", "target 0"),
        ("cached re-run: generation", f"{lo['cached_gen']:.2f} s", f"{lo['cached_gen'] / lo['gen']:.1%} of first (target ≤ 5 %)"),
        ("cached re-run: whole run", f"{lo['cached_whole']:.2f} s", f"{lo['cached_whole'] / lo['whole']:.1%} of first"),
        (f"{sh['latency']:g} s latency: bound", f"{sh['bound']:.2f} s", ""),
        (f"{sh['latency']:g} s latency: bare openai client (median)", f"{b_med:.2f} s",
         "runs: " + ", ".join(f"{x:.2f}" for x in sh["bare"])),
        (f"{sh['latency']:g} s latency: qaeval, generation (median)", f"{q_med:.2f} s",
         f"{q_med / b_med:.3f}× bare (target ≤ 1.10×); runs: " + ", ".join(f"{x:.2f}" for x in sh["qaeval"])),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\n{n} questions, concurrency {c}, server in its own process on 127.0.0.1\n")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>9}  {note}")
    if a.write_doc:
        write_doc(rows, n, c, argv)
    return 0


def write_doc(rows: list[tuple[str, str, str]], n: int, c: int, argv: list[str] | None) -> None:
    cmd = ".venv/bin/python bench/generation.py " + " ".join(shlex.quote(x) for x in (argv if argv is not None else sys.argv[1:]))
    table = "\n".join(f"| {a} | {b} | {c_} |" for a, b, c_ in rows)
    doc = f"""# Benchmark: generation throughput

Measured {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on this machine: {os.cpu_count()} cores,
{platform.platform()}, Python {platform.python_version()}, openai {openai.__version__}.

Command: `{cmd.strip()}`

{n} distinct questions through qaeval's `openai` generator (closed-book prompts, concurrency {c}),
against the loopback Chat Completions server of `qaeval.testing` running in its own process. qaeval
is timed through the real runner (`run_suite`: fsync'd answers journal, answer cache, reports);
"generation" is the generation stage alone, "whole run" adds loading the 1,000-item dataset and
writing the report. The bare client is `openai.AsyncOpenAI` behind an `asyncio.Semaphore({c})` sending
the same messages, measured in the same run. The cached re-run is the same suite run again (a new
run folder, the same `cache_dir:`).

| measure | value | note |
| --- | ---: | --- |
{table}

Why the short-latency comparison is against the bare client and not the bound: on 2 cores the
server process and the client share the CPU, and at 0.2 s latency both the bare client and qaeval
are limited by the CPU cost of HTTP and JSON (mostly inside the `openai` client), not by the
latency bound. qaeval's own overhead per answer is the prompt, the cache lookup and write, and one
fsync'd journal line.
"""
    path = ROOT / "docs" / "benchmarks-generation.md"
    path.write_text(doc, "utf-8")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    sys.exit(main())
