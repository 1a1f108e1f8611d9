"""Helpers for the tests that run generators against the loopback Chat Completions server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from qaeval.generators import GeneratorContext
from qaeval.records import Answer, Item

ROOT = Path(__file__).resolve().parents[1]


def write_suite(tmp: Path, generators: list[dict[str, Any]], *, topics: Sequence[str] | None = None,
                scorers: Sequence[str] = ("disclaimer",), concurrency: int = 8, name: str = "t",
                **extra: Any) -> Path:
    """A suite over the repository's dataset, writing runs under tmp/reports."""
    suite: dict[str, Any] = {
        "name": name, "datasets": [str(ROOT / "datasets" / "oncology")],
        "rubric": str(ROOT / "rubrics" / "default.yaml"),
        "output_dir": str(tmp / "reports"), "concurrency": concurrency, "generators": generators,
        "scorers": list(scorers), **extra}
    if topics:
        suite["filter"] = {"topics": list(topics)}
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False), "utf-8")
    return path


def generate(gen: Any, items: Iterable[Item]) -> list[Answer]:
    """Generate answers for items concurrently on a fresh event loop, closing the generator's pools."""
    async def go() -> list[Answer]:
        try:
            return list(await asyncio.gather(*(gen.generate(it) for it in items)))
        finally:
            if hasattr(gen, "aclose"):
                await gen.aclose()
    return asyncio.run(go())


def build(spec: dict[str, Any], tmp: Path, **ctx: Any) -> Any:
    return GeneratorContext(base_dir=tmp, run_dir=tmp / "run", **ctx).build(spec)


def journal(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "answers.jsonl").read_text("utf-8").splitlines() if line.strip()]


def results(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "results.jsonl").read_text("utf-8").splitlines() if line.strip()]
