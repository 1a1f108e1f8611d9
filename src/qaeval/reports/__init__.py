"""Reports from a run folder: summary.json, report.md, report.html (more formats by name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from ..records import Item
from ..registry import Registry
from ..store import SUMMARY, RunStore
from .html import render_html
from .markdown import render_markdown
from .summary import summarise

Writer = Callable[[RunStore, dict[str, Any], list[dict[str, Any]], Sequence[Item], str], None]
report_formats: Registry[Writer] = Registry("report format")


@report_formats.register("json")
def _json(store: RunStore, summary: dict, rows: list, items: Sequence[Item], title: str) -> None:
    store.write_json(SUMMARY, summary)


@report_formats.register("md")
def _md(store: RunStore, summary: dict, rows: list, items: Sequence[Item], title: str) -> None:
    store.write_text("report.md", render_markdown(summary, rows, title))


@report_formats.register("html")
def _html(store: RunStore, summary: dict, rows: list, items: Sequence[Item], title: str) -> None:
    store.write_text("report.html", render_html(summary, rows, items, title))


def write_reports(run_dir: Path, formats: Sequence[str] = ("html", "md", "json"),
                  items: Sequence[Item] = (), title: str | None = None) -> dict[str, Any]:
    store = RunStore(run_dir)
    rows = store.read_results()
    summary = summarise(rows)
    manifest = store.read_manifest()
    title = title or f"qaeval report: {manifest.get('suite', Path(run_dir).name)}"
    if "json" not in formats:
        formats = [*formats]
    for fmt in dict.fromkeys(formats):
        report_formats.get(fmt)(store, summary, rows, items, title)
    return summary
