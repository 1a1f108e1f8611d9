"""Self-contained HTML report: one file, no network, charts as data: images, a strict CSP.

Layout only; the sections live in `html_sections` (aggregates) and `html_answers` (the clinical
review view), the charts in `charts`, the stylesheet and script in `assets`. Answers are untrusted
text: everything is escaped, and the Content-Security-Policy allows only the report's own script
and stylesheet (pinned by hash), so even an unescaped payload could not run.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..records import Item
from .assets import CSS, JS, content_security_policy
from .html_answers import KIND_CLASS, PRIORITY, esc, highlight, review_view  # noqa: F401  (re-exported)
from .html_sections import cost_section, grounding_section, safety_section, scores_section, trust_section
from .validity import Validity

NAV = (("scores", "scores"), ("safety", "safety"), ("grounding", "grounding"), ("cost", "cost & latency"),
       ("trust", "how far to trust these scores"), ("review", "answers, side by side"))
MANIFEST_KEYS = ("suite", "command", "qaeval_version", "started_at", "finished_at", "dataset_sha256", "rubric",
                 "rubric_sha256", "catalogue_sha256", "answers")


def run_details(manifest: dict[str, Any]) -> str:
    """Provenance a reader needs to reproduce the numbers: versions, hashes, dates."""
    shown = {k: manifest[k] for k in MANIFEST_KEYS if manifest.get(k) is not None}
    if manifest.get("argv"):
        shown["command line"] = "qaeval " + " ".join(map(str, manifest["argv"]))
    rows = "".join(f"<tr><th class=l>{esc(k)}</th><td class=l>{esc(v)}</td></tr>" for k, v in shown.items())
    return f"<details class=small><summary>run details</summary><table>{rows}</table></details>" if rows else ""


def render_html(summary: dict[str, Any], rows: list[dict[str, Any]], items: Sequence[Item] = (),
                title: str = "qaeval report", *, manifest: dict[str, Any] | None = None,
                validity: Validity | None = None, review: dict[str, Any] | None = None) -> str:
    """The whole report as one HTML string."""
    nav = "".join(f"<a href='#{k}'>{esc(label)}</a>" for k, label in NAV)
    return "".join([
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{content_security_policy()}\">",
        "<meta name=viewport content='width=device-width, initial-scale=1'><meta name=referrer content=no-referrer>",
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1><p>{summary['items']} questions, {summary['answers']} answers from "
        f"{len(summary['generators'])} generators, scored by {len(summary['scorers'])} scorers.</p>",
        run_details(manifest or {}), f"<nav>{nav}</nav>",
        scores_section(summary), safety_section(summary), grounding_section(summary, rows), cost_section(summary),
        trust_section(summary, validity or Validity(), review),
        "<section id=review><h2>Answers, side by side</h2>", review_view(rows, items, review), "</section>",
        f"<script>{JS}</script></body></html>",
    ])
