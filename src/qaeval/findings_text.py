"""Plain-text explanations of scorer verdicts, shared by the gate, JUnit, pytest and deepeval.

A CI failure is only useful if it says *what* in the answer was wrong, so every place that turns a
score into a failure message formats findings the same way: severity, kind/category, the span of
the answer and the scorer's message.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .records import severity_rank


def clip(text: str, limit: int = 160) -> str:
    """One line, at most `limit` characters (answers can be long and multi-line)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def significant(findings: Iterable[Mapping[str, Any]], severity_at_least: str | None = None) -> list[Mapping[str, Any]]:
    """Findings that explain a failure: not `info`, and at or above a severity when one is given."""
    floor = max(1, severity_rank(severity_at_least)) if severity_at_least else 1
    return [f for f in findings if severity_rank(str(f.get("severity", "info"))) >= floor]


def finding_line(finding: Mapping[str, Any]) -> str:
    """`[high] harmful/stop_or_change_treatment: “span” (chars 10–42) — message`."""
    kind = str(finding.get("kind", "finding"))
    if finding.get("category"):
        kind += f"/{finding['category']}"
    where = ""
    if isinstance(finding.get("start"), int) and isinstance(finding.get("end"), int) and finding["end"] > finding["start"]:
        where = f" (chars {finding['start']}–{finding['end']})"
    text = clip(str(finding.get("text", "")))
    span = f": “{text}”" if text else ""
    return f"[{finding.get('severity', 'info')}] {kind}{span}{where} — {clip(str(finding.get('message', '')), 240)}"


def score_explanation(scorer: str, score: Mapping[str, Any], *, item_id: str, generator: str,
                      answer: str | None = None, severity_at_least: str | None = None,
                      max_findings: int = 20) -> str:
    """Why `scorer` did not pass one answer: verdict line, findings, and the start of the answer."""
    value = score.get("value")
    shown = "–" if value is None else f"{float(value):.3f}"
    lines = [f"{scorer} failed for item {item_id} (generator {generator}): value {shown}, passed {score.get('passed')}"]
    if score.get("error"):
        lines.append(f"error: {score['error']}")
    found = significant(score.get("findings", []), severity_at_least)
    for f in found[:max_findings]:
        lines.append(f"  - {finding_line(f)}")
    if len(found) > max_findings:
        lines.append(f"  - … and {len(found) - max_findings} more findings")
    if not found and not score.get("error"):
        lines.append("  (no findings above info: the scorer's value is below its pass mark)")
    if answer:
        lines.append(f"answer: {clip(answer, 400)}")
    return "\n".join(lines)
