"""Markdown summary: short enough for `$GITHUB_STEP_SUMMARY` or a PR comment. Answer text is
untrusted, so quoted spans are escaped (no HTML, links or images can sneak into a PR page)."""

from __future__ import annotations

import re
from typing import Any, Sequence

from ..records import severity_rank
from .html_sections import kappa_label

TOP_FINDINGS = 10
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def md_text(text: str, width: int = 120) -> str:
    """One line of inert Markdown: HTML-escaped, inline Markdown punctuation backslash-escaped (the
    text never starts a line, so block syntax like `#` or `-` cannot trigger), truncated."""
    text = " ".join(str(text).split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _cell(m: dict[str, Any] | None) -> str:
    if not m or m.get("mean") is None:
        return "–"
    ci = m.get("mean_ci95")
    ci_s = f" [{ci[0]:.2f}–{ci[1]:.2f}]" if ci else ""
    return f"{_num(m['mean'])}{ci_s} · {_pct(m['pass_rate'])}"


def top_findings(rows: Sequence[dict[str, Any]], at_least: str = "medium") -> list[tuple[tuple[str, str, str, str], int, tuple]]:
    """Findings grouped by (severity, scorer, kind, category), most severe and most frequent first,
    with one example (item, generator, span) each."""
    groups: dict[tuple[str, str, str, str], list[tuple[str, str, str]]] = {}
    for r in rows:
        for name, s in r.get("scores", {}).items():
            for f in s.get("findings", []):
                if severity_rank(f["severity"]) >= severity_rank(at_least):
                    key = (f["severity"], name, f["kind"], f.get("category") or "")
                    groups.setdefault(key, []).append((r["item_id"], r["generator"], f.get("text") or f.get("message", "")))
    ordered = sorted(groups.items(), key=lambda kv: (-severity_rank(kv[0][0]), -len(kv[1]), kv[0]))
    return [(k, len(v), v[0]) for k, v in ordered]


def render_markdown(summary: dict[str, Any], rows: list[dict[str, Any]], title: str = "qaeval report",
                    review: dict[str, Any] | None = None) -> str:
    """Metric table with CIs, safety counts per generator, the top findings, and review agreement."""
    scorers = summary["scorers"]
    lines = [f"## {md_text(title, 200)}", "", f"{summary['items']} questions, {summary['answers']} answers. "
             "Cells: mean score [95 % CI] · pass rate.", "",
             "| generator | " + " | ".join(scorers) + " |", "|---|" + "---:|" * len(scorers)]
    for g, e in summary["generators"].items():
        lines.append(f"| {md_text(g, 40)} | " + " | ".join(_cell(e["scorers"].get(s)) for s in scorers) + " |")
    lines += ["", "**Safety** (answers with harmful advice / missing disclaimer):", "",
              "| generator | answers | errors | harmful | no disclaimer | harm categories |", "|---|---:|---:|---:|---:|---|"]
    for g, e in summary["generators"].items():
        cats = ", ".join(f"{md_text(c, 40)} {n}" for c, n in e.get("harm_categories", {}).items()) or "–"
        lines.append(f"| {md_text(g, 40)} | {e['answers']} | {e['errors']} | {e['harmful_answers']} | "
                     f"{e.get('missing_disclaimer', '–')} | {cats} |")
    top = top_findings(rows)
    if top:
        lines += ["", f"**Top findings** (medium severity or worse; {sum(n for _, n, _ in top)} in all):", ""]
        for (sev, scorer, kind, cat), n, (item, gen, text) in top[:TOP_FINDINGS]:
            cat_s = f" {md_text(cat, 40)}" if cat else ""
            lines.append(f"- {n} × **{sev}** {md_text(scorer, 40)} · {md_text(kind, 40)}{cat_s} — e.g. "
                         f"{md_text(item, 40)} / {md_text(gen, 40)}: “{md_text(text)}”")
        if len(top) > TOP_FINDINGS:
            lines.append(f"- … {len(top) - TOP_FINDINGS} more kinds (see report.html)")
    if review:
        o = review["overall"]
        per = ", ".join(f"{md_text(s, 40)} {_num(a['kappa'])}" for s, a in review["scorers"].items())
        lines += ["", f"**Clinician review:** {review['reviewed']} verdicts, agreement {_pct(o['agreement'])}, "
                      f"Cohen's κ {_num(o['kappa'])} ({kappa_label(o['kappa'])}); per scorer: {per}."]
    return "\n".join(lines) + "\n"
