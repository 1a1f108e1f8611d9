"""Markdown summary: short enough for a CI step summary or a PR comment."""

from __future__ import annotations

from typing import Any


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def render_markdown(summary: dict[str, Any], rows: list[dict[str, Any]], title: str = "qaeval report") -> str:
    scorers = summary["scorers"]
    lines = [f"# {title}", "", f"{summary['items']} questions, {summary['answers']} answers.", "",
             "Mean score (pass rate) per generator and scorer:", "",
             "| generator | answers | errors | harmful answers | " + " | ".join(scorers) + " |",
             "|---|---:|---:|---:|" + "---:|" * len(scorers)]
    for g, e in summary["generators"].items():
        cells = [f"{_num(e['scorers'][s]['mean'])} ({_pct(e['scorers'][s]['pass_rate'])})" for s in scorers]
        lines.append(f"| `{g}` | {e['answers']} | {e['errors']} | {e['harmful_answers']} | " + " | ".join(cells) + " |")
    flagged = []
    for r in rows:
        for name, s in r["scores"].items():
            for f in s["findings"]:
                if f["severity"] in ("high", "critical"):
                    flagged.append((r, name, f))
    if flagged:
        lines += ["", f"## High-severity findings ({len(flagged)})", ""]
        for r, name, f in flagged[:50]:
            span = f["text"].replace("\n", " ").replace("|", "\\|")
            if len(span) > 140:
                span = span[:137] + "…"
            cat = f" `{f['category']}`" if f.get("category") else ""
            lines.append(f"- `{r['item_id']}` · `{r['generator']}` · {name}{cat}: {f['kind']} — “{span}”")
        if len(flagged) > 50:
            lines.append(f"- … and {len(flagged) - 50} more (see report.html)")
    return "\n".join(lines) + "\n"
