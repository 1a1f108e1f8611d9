"""The gate's Markdown summary: what a reviewer reads in the CI step summary or a PR comment.

Cells hold untrusted answer text, so it is flattened to one line, clipped, and stripped of what
could break a table or render as markup (pipes, backticks, angle brackets).
"""

from __future__ import annotations

from .findings_text import clip, finding_line
from .gate import GateResult

ICON = {True: "✅", False: "❌", None: "⏭️"}


def md_cell(text: object, limit: int = 200) -> str:
    """One safe table cell: a single line, no table or HTML syntax."""
    s = clip(str(text), limit)
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "'")):
        s = s.replace(a, b)
    return s


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.4g}"


def _failed_items(result: GateResult, limit: int) -> list[str]:
    bad = [c for c in result.items if c.passed is False]
    lines: list[str] = []
    if not bad:
        return lines
    lines += ["", f"### Failing answers ({len(bad)})", ""]
    for c in bad[:limit]:
        findings = c.evidence.get("findings") or []
        detail = finding_line(findings[0]) if findings else (c.message.splitlines()[1] if "\n" in c.message else c.message)
        more = f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
        lines.append(f"- ❌ {md_cell(c.generator, 60)} · {md_cell(c.scorer, 40)} · **{md_cell(c.name, 80)}**: "
                     f"{md_cell(detail, 300)}{more}")
    if len(bad) > limit:
        lines.append(f"- … and {len(bad) - limit} more (see the JUnit report)")
    return lines


def render_gate_markdown(result: GateResult, *, run: str = "", policy: str = "", baseline: str | None = None,
                         max_items: int = 30) -> str:
    """Verdict, one table row per aggregate check, then the failing answers with their findings."""
    verdict = "PASSED" if result.passed else "FAILED"
    lines = [f"## {ICON[result.passed]} qaeval gate {verdict}", ""]
    meta = [f"run: {md_cell(run, 120)}" if run else "", f"policy: {md_cell(policy, 120)}" if policy else "",
            f"baseline: {md_cell(baseline, 120)} ({result.baseline_mode})" if baseline else "baseline: none"]
    lines += [" · ".join(m for m in meta if m), ""]
    lines += [f"> {md_cell(n, 600)}" for n in result.notes]
    if result.notes:
        lines.append("")
    lines += ["| | generator | scorer | check | observed | detail |", "|---|---|---|---|---:|---|"]
    for c in result.aggregates:
        lines.append(f"| {ICON[c.passed]} | {md_cell(c.generator, 60)} | {md_cell(c.scorer, 40)} | "
                     f"{md_cell(f'[{c.kind}] {c.name}', 80)} | {_num(c.observed)} | {md_cell(c.message, 300)} |")
    failed = sum(c.passed is False for c in result.aggregates)
    lines += ["", f"{len(result.aggregates)} checks: {failed} failed, "
                  f"{sum(c.passed is None for c in result.aggregates)} not checked."]
    lines += _failed_items(result, max_items)
    return "\n".join(lines) + "\n"

