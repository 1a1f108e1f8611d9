"""Self-contained HTML report: metric tables and, per question, every generator's answer with the
flagged spans highlighted. Answers are untrusted text: everything is escaped, and a
Content-Security-Policy forbids any script but the report's own."""

from __future__ import annotations

import html
from typing import Any, Sequence

from ..records import Item

KIND_CLASS = {
    "contradicted": "k-contradicted", "unsupported": "k-unsupported", "harmful_advice": "k-harm",
    "citation_fabricated": "k-cite", "citation_mismatched": "k-cite", "pseudo_disclaimer": "k-pseudo",
    "missing_disclaimer": "k-nodisc", "missing_fact": "k-missing", "supported": "k-supported",
    "covered": "k-supported", "citation_supporting": "k-supported", "disclaimer_form": "k-disc",
}
PRIORITY = {"harmful_advice": 0, "contradicted": 1, "citation_fabricated": 2, "citation_mismatched": 3,
            "pseudo_disclaimer": 4, "unsupported": 5, "disclaimer_form": 6, "supported": 7, "covered": 8,
            "citation_supporting": 9}

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d1d1f;max-width:1400px}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th{background:#f3f3f5}td.l,th.l{text-align:left}.answers{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1rem}
.answer{border:1px solid #ddd;border-radius:6px;padding:.6rem;white-space:pre-wrap;font-size:13px}
.answer h4{margin:0 0 .4rem 0;white-space:normal}mark{padding:0 .1rem;border-radius:2px}
.k-harm{background:#ffb3b3}.k-contradicted{background:#ffcf99}.k-cite{background:#f5b3ff}.k-pseudo{background:#fff099}
.k-unsupported{background:#eee;border-bottom:2px dotted #999}.k-supported{background:#d7f5d7}.k-disc{background:#d6e8ff}
.findings{font-size:12px;white-space:normal;margin:.4rem 0 0 1rem;padding:0}.sev-high,.sev-critical{color:#b00020;font-weight:600}
.item{border-top:2px solid #333;margin-top:1.5rem;padding-top:.5rem}.q{font-style:italic}
"""


def highlight(text: str, findings: Sequence[dict[str, Any]]) -> str:
    """Escaped answer text with non-overlapping <mark> spans (most severe kind wins)."""
    spans = sorted((f for f in findings if f["end"] > f["start"]),
                   key=lambda f: (PRIORITY.get(f["kind"], 10), f["start"]))
    taken: list[tuple[int, int, dict[str, Any]]] = []
    for f in spans:
        if all(f["end"] <= s or f["start"] >= e for s, e, _ in taken):
            taken.append((f["start"], f["end"], f))
    taken.sort()
    out, pos = [], 0
    for s, e, f in taken:
        out.append(html.escape(text[pos:s]))
        title = f["message"] + (f" [{f['category']}]" if f.get("category") else "")
        out.append(f'<mark class="{KIND_CLASS.get(f["kind"], "k-other")}" title="{html.escape(title, quote=True)}">'
                   f"{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)


def render_html(summary: dict[str, Any], rows: list[dict[str, Any]], items: Sequence[Item] = (),
                title: str = "qaeval report") -> str:
    esc = html.escape
    scorers = summary["scorers"]
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1><p>{summary['items']} questions, {summary['answers']} answers.</p>",
        "<h2>Scores by generator</h2><table><tr><th class=l>generator</th><th>answers</th><th>errors</th><th>harmful answers</th>",
    ]
    parts += [f"<th>{esc(s)}<br><small>mean (pass rate)</small></th>" for s in scorers]
    parts.append("</tr>")
    for g, e in summary["generators"].items():
        parts.append(f"<tr><td class=l>{esc(g)}</td><td>{e['answers']}</td><td>{e['errors']}</td><td>{e['harmful_answers']}</td>")
        for s in scorers:
            m = e["scorers"][s]
            mean = "–" if m["mean"] is None else f"{m['mean']:.2f}"
            pr = "–" if m["pass_rate"] is None else f"{100 * m['pass_rate']:.0f}%"
            parts.append(f"<td>{mean} ({pr})</td>")
        parts.append("</tr>")
    parts.append("</table>")
    questions = {it.id: it for it in items}
    by_item: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_item.setdefault(r["item_id"], []).append(r)
    parts.append("<h2>Answers, side by side</h2>")
    for item_id, rs in by_item.items():
        it = questions.get(item_id)
        parts.append(f"<section class=item id=\"item-{esc(item_id, quote=True)}\"><h3>{esc(item_id)}</h3>")
        if it is not None:
            parts.append(f"<p class=q>{esc(it.question)}</p>")
        parts.append("<div class=answers>")
        for r in rs:
            findings = [f for s in r["scores"].values() for f in s["findings"]]
            parts.append(f"<div class=answer><h4>{esc(r['generator'])}</h4>")
            if r.get("error"):
                parts.append(f"<p class=sev-high>generation failed: {esc(r['error'])}</p>")
            parts.append(highlight(r["answer"], findings))
            flagged = [(n, f) for n, s in r["scores"].items() for f in s["findings"] if f["severity"] != "info"]
            if flagged:
                parts.append("<ul class=findings>")
                for n, f in flagged:
                    cat = f" [{esc(f['category'])}]" if f.get("category") else ""
                    parts.append(f"<li class=sev-{esc(f['severity'])}>{esc(n)} · {esc(f['kind'])}{cat}: {esc(f['message'])}</li>")
                parts.append("</ul>")
            parts.append("</div>")
        parts.append("</div></section>")
    parts.append("</body></html>")
    return "".join(parts)
