"""Run a suite: load and validate everything, generate (resumably), score, store, report.

Generation is the only slow, failure-prone stage, so it is journaled: each finished answer is
appended to answers.jsonl as soon as it exists, and `--resume` skips what is already there.
Scoring and reporting are cheap and deterministic, so they are always redone from the journal.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from . import __version__
from .errors import InputError
from .generators import GeneratorContext, build_generator
from .generators.base import answer_id
from .loaders import Catalogue, Suite, load_catalogue, load_dataset, load_suite, select_items
from .progress import Progress
from .records import Answer, Item
from .rubric import Rubric, load_rubric
from .scorers import ScoringContext, build_scorers
from .scoring import score_all
from .store import Journal, RunStore


def file_digest(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
        for f in files:
            h.update(str(f.name).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Loaded:
    suite: Suite
    items: list[Item]
    rubric: Rubric
    catalogue: Catalogue


def load_all(suite_path: str | Path, limit: int | None = None) -> Loaded:
    """Validate every input of a suite before anything runs (InputError lists all problems)."""
    suite = load_suite(suite_path)
    problems: list[str] = []
    items: list[Item] = []
    rubric = catalogue = None
    for step in ("dataset", "rubric", "catalogue"):
        try:
            if step == "dataset":
                items = load_dataset(suite.datasets)
            elif step == "rubric":
                rubric = load_rubric(suite.rubric)
            else:
                catalogue = load_catalogue(suite.catalogue) if suite.catalogue else Catalogue()
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    assert rubric is not None and catalogue is not None
    return Loaded(suite, select_items(items, suite.filter, limit), rubric, catalogue)


def secrets_of(suite: Suite) -> list[str]:
    """Values of the environment variables that generators and scorers (LLM judges) read keys from,
    to scrub them from everything the run writes; specs nested in others (an inline `mutate` base,
    a judge's `options`) included."""
    out: list[str] = []
    stack: list[Any] = list(suite.generators) + list(suite.scorers)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if k.endswith("_env") and isinstance(v, str) and os.environ.get(v):
                    out.append(os.environ[v])
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)
    return out


def new_run_dir(suite: Suite) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = suite.output_dir / f"{suite.name}-{stamp}"
    d, i = base, 1
    while d.exists():
        i += 1
        d = Path(f"{base}-{i}")
    return d


def latest_run_dir(suite: Suite) -> Path | None:
    if not suite.output_dir.exists():
        return None
    runs = sorted((p for p in suite.output_dir.glob(f"{suite.name}-*") if (p / "manifest.json").exists()),
                  key=lambda p: p.stat().st_mtime)
    return runs[-1] if runs else None


async def generate_all(loaded: Loaded, store: RunStore, generators: list[Any], concurrency: int,
                       progress: Progress | None = None) -> None:
    done = store.read_answers()
    todo = [(g, it) for g in generators for it in loaded.items
            if (a := done.get((g.id, it.id))) is None or a.error]
    sem = asyncio.Semaphore(concurrency)
    journal = Journal(store)
    if progress:
        progress.start(total=len(todo), already=len(generators) * len(loaded.items) - len(todo))

    async def one(gen: Any, item: Item) -> None:
        async with sem:
            t0 = time.perf_counter()
            try:
                ans = await gen.generate(item)
            except Exception as exc:  # a failed generation is a recorded error, never a missing row
                ans = Answer(item_id=item.id, generator=gen.id, text="", answer_id=answer_id(item.id, gen.id),
                             error=f"{type(exc).__name__}: {exc}", latency_s=time.perf_counter() - t0)
        await journal.append(ans)  # outside the semaphore: waiting for the disk holds no request slot
        if progress:
            progress.advance(error=bool(ans.error), cached=ans.cached)

    try:
        await asyncio.gather(*(one(g, it) for g, it in todo))
    finally:
        await close_generators(generators)
    if progress:
        progress.finish()


async def close_generators(generators: Sequence[Any]) -> None:
    """Let generators (and the ones they wrap) close connection pools before the event loop ends."""
    seen: set[int] = set()
    stack = list(generators)
    while stack:
        g = stack.pop()
        if id(g) in seen:
            continue
        seen.add(id(g))
        if getattr(g, "base", None) is not None:
            stack.append(g.base)
        close = getattr(g, "aclose", None)
        if close is not None:
            await close()


def error_lines(answers: Sequence[Answer]) -> list[str]:
    """One line per generator with failed answers, quoting the first error (already scrubbed of keys)."""
    out = []
    for gid in dict.fromkeys(a.generator for a in answers):
        mine = [a for a in answers if a.generator == gid]
        failed = [a for a in mine if a.error]
        if failed:
            out.append(f"{gid}: {len(failed)} of {len(mine)} answers failed; first: {failed[0].error}")
    return out


def run_suite(suite_path: str | Path, limit: int | None = None, resume: bool | Path = False,
              use_cache: bool = True, formats: Sequence[str] = ("html", "md", "json"),
              workers: int | str | None = None, progress: Progress | None = None, log: Callable[[str], None] = lambda s: None) -> Path:
    loaded = load_all(suite_path, limit)
    suite = loaded.suite
    if resume:
        run_dir = resume if isinstance(resume, Path) else latest_run_dir(suite)
        if run_dir is None or not (run_dir / "manifest.json").exists():
            raise InputError(f"{suite.path}: nothing to resume: no earlier run of suite {suite.name!r} under {suite.output_dir}")
    else:
        run_dir = new_run_dir(suite)
    store = RunStore(run_dir, secrets=secrets_of(suite))
    store.repair_answers()
    cache_dir = suite.raw.get("cache_dir")
    gctx = GeneratorContext(base_dir=suite.path.parent, specs={g["id"]: g for g in suite.generators},
                            run_dir=run_dir, use_cache=use_cache,
                            cache_dir=(suite.path.parent / cache_dir).resolve() if cache_dir else None)
    generators = [gctx.build(g["id"]) for g in suite.generators]
    scorer_objs = build_scorers(list(suite.scorers))
    previous = store.read_manifest()
    manifest = {
        "qaeval_version": __version__, "python": platform.python_version(), "suite": suite.name,
        "suite_path": str(suite.path), "suite_sha256": file_digest([suite.path]),
        "datasets": [str(p) for p in suite.datasets], "dataset_sha256": file_digest(list(suite.datasets)),
        "rubric": str(suite.rubric), "rubric_sha256": loaded.rubric.digest,
        "catalogue_sha256": file_digest(list(suite.catalogue)) if suite.catalogue else None,
        "generators": {g.id: g.settings() for g in generators},
        "scorers": [s["name"] for s in suite.scorers], "items": len(loaded.items), "limit": limit,
        "started_at": previous.get("started_at", now()), "resumed_at": now() if resume else None,
        "finished_at": None, "status": "running", "argv": sys.argv[1:],
    }
    store.write_manifest(manifest)
    log(f"run folder: {run_dir}")
    asyncio.run(generate_all(loaded, store, generators, suite.concurrency, progress))
    answers = list(store.read_answers().values())
    for line in error_lines(answers):
        log(line)
    ctx = ScoringContext(rubric=loaded.rubric, catalogue=loaded.catalogue)
    rows = score_all(loaded.items, answers, scorer_objs, ctx, generator_order=[g.id for g in generators],
                      workers=workers if workers is not None else suite.workers)
    store.write_results(rows)
    from .reports import write_reports
    write_reports(run_dir, formats=formats, items=loaded.items)
    manifest.update(finished_at=now(), status="finished", answers=len(answers),
                    errors=sum(1 for a in answers if a.error), cached=sum(1 for a in answers if a.cached))
    store.write_manifest(manifest)
    return run_dir
