"""Reports from a run folder: summary.json, report.md, report.html, results.csv, results.parquet."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from ..errors import InputError
from ..records import Item
from ..registry import Registry
from ..results import frame_for_csv, rows_to_frame
from ..store import SUMMARY, RunStore, atomic_write
from .html import render_html
from .markdown import render_markdown
from .review import load_review, safe_cell
from .summary import summarise
from .validity import load_validity

Writer = Callable[[RunStore, dict[str, Any], list[dict[str, Any]], Sequence[Item], str], None]
report_formats: Registry[Writer] = Registry("report format")


@report_formats.register("json")
def _json(store: RunStore, summary: dict, rows: list, items: Sequence[Item], title: str) -> None:
    store.write_json(SUMMARY, summary)


@report_formats.register("md")
def _md(store: RunStore, summary: dict, rows: list, items: Sequence[Item], title: str) -> None:
    store.write_text("report.md", render_markdown(summary, rows, title, review=load_review(store.dir)))


@report_formats.register("html")
def _html(store: RunStore, summary: dict, rows: list, items: Sequence[Item], title: str) -> None:
    store.write_text("report.html", render_html(summary, rows, items, title, manifest=store.read_manifest(),
                                                validity=load_validity(), review=load_review(store.dir)))


@report_formats.register("csv")
def _csv(store: RunStore, summary: dict, rows: list, items: Sequence[Item], title: str) -> None:
    df = frame_for_csv(rows_to_frame(rows))
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            df[col] = df[col].map(safe_cell)
    store.write_text("results.csv", df.to_csv(index=False))


@report_formats.register("parquet")
def _parquet(store: RunStore, summary: dict, rows: list, items: Sequence[Item], title: str) -> None:
    import io
    buf = io.BytesIO()
    rows_to_frame(rows).to_parquet(buf, index=False)
    atomic_write(store.path("results.parquet"), buf.getvalue())


def check_formats(formats: Sequence[str]) -> None:
    """Fail before anything is written: unknown format names, or parquet without pyarrow."""
    problems = [f"--format: unknown format {f!r} (known: {', '.join(report_formats.names())})"
                for f in formats if f not in report_formats]
    if "parquet" in formats and importlib.util.find_spec("pyarrow") is None:
        problems.append("--format: parquet needs pyarrow (pip install 'qaeval[parquet]')")
    if problems:
        raise InputError(problems)


def write_reports(run_dir: Path, formats: Sequence[str] = ("html", "md", "json"),
                  items: Sequence[Item] = (), title: str | None = None) -> dict[str, Any]:
    """Write the requested formats; summary.json is always written, since CI and `gate` read it."""
    formats = [f.strip() for f in formats if f.strip()]
    check_formats(formats)
    store = RunStore(run_dir)
    rows = store.read_results()
    summary = summarise(rows)
    manifest = store.read_manifest()
    title = title or f"qaeval report: {manifest.get('suite', Path(run_dir).name)}"
    for fmt in dict.fromkeys(["json", *formats]):
        report_formats.get(fmt)(store, summary, rows, items, title)
    return summary
