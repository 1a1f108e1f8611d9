"""The clinical review view: per question, every generator's answer side by side, flagged spans
highlighted by kind, the reason and evidence in a hover title and in a list beside the text.
Answers are untrusted model output, so every string goes through `esc` before it reaches HTML."""

from __future__ import annotations

import html
from typing import Any, Iterable, Sequence

from ..records import SEVERITIES, Item, severity_rank

KIND_CLASS = {
    "contradicted": "k-contradicted", "unsupported": "k-unsupported", "harmful_advice": "k-harm",
    "citation_fabricated": "k-cite", "citation_mismatched": "k-cite", "pseudo_disclaimer": "k-pseudo",
    "citation_unverifiable": "k-unsupported", "supported": "k-supported", "covered": "k-supported",
    "citation_supporting": "k-supported", "disclaimer_form": "k-supported",
}
KIND_LABEL = {
    "harmful_advice": "harmful", "contradicted": "contradicted", "unsupported": "unsupported",
    "citation_fabricated": "bad citation (fabricated)", "citation_mismatched": "bad citation (mismatched)",
    "pseudo_disclaimer": "pseudo-disclaimer", "missing_disclaimer": "no disclaimer",
    "missing_fact": "missing fact", "hard_to_read": "hard to read", "citation_unverifiable": "unverifiable citation",
}
PRIORITY = {"harmful_advice": 0, "contradicted": 1, "citation_fabricated": 2, "citation_mismatched": 3,
            "pseudo_disclaimer": 4, "unsupported": 5, "citation_unverifiable": 5, "disclaimer_form": 6, "supported": 7,
            "covered": 8, "citation_supporting": 9}
FLAG_AT = severity_rank("medium")  # an answer is "flagged" with a finding at medium or above


def esc(value: Any) -> str:
    """Escape text and attribute values alike (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def evidence_text(evidence: dict[str, Any]) -> str:
    """`fact_ids: a, b; rule_id: r` — the machine evidence behind a finding, as plain text."""
    parts = []
    for k, v in evidence.items():
        v = ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v
        parts.append(f"{k}: {v}")
    return "; ".join(parts)


def finding_title(scorer: str, f: dict[str, Any]) -> str:
    """Hover text of a highlight; short for info findings (supported claims), which are many."""
    if f["severity"] == "info":
        return f.get("message", "")
    cat = f" [{f['category']}]" if f.get("category") else ""
    ev = evidence_text(f.get("evidence") or {})
    return f"{scorer} · {f['kind']}{cat} ({f['severity']}): {f.get('message', '')}" + (f" — {ev}" if ev else "")


def highlight(text: str, findings: Sequence[dict[str, Any]]) -> str:
    """Escaped answer text with non-overlapping <mark> spans (most severe kind wins); each finding may
    carry a `_scorer` key for its title."""
    spans = sorted((f for f in findings if f["end"] > f["start"] and f["start"] >= 0 and f["end"] <= len(text)),
                   key=lambda f: (PRIORITY.get(f["kind"], 10), f["start"]))
    taken: list[tuple[int, int, dict[str, Any]]] = []
    for f in spans:
        if all(f["end"] <= s or f["start"] >= e for s, e, _ in taken):
            taken.append((f["start"], f["end"], f))
    taken.sort(key=lambda t: t[0])
    out, pos = [], 0
    for s, e, f in taken:
        out.append(esc(text[pos:s]))
        out.append(f'<mark class="{KIND_CLASS.get(f["kind"], "k-other")}" title="{esc(finding_title(f.get("_scorer", ""), f))}">'
                   f"{esc(text[s:e])}</mark>")
        pos = e
    out.append(esc(text[pos:]))
    return "".join(out)


def _refs(f: dict[str, Any], item: Item | None) -> str:
    """The reference text a clinician needs to judge a finding: fact texts and source titles."""
    if item is None:
        return ""
    out = []
    for fid in (f.get("evidence") or {}).get("fact_ids", []) or []:
        fact = item.fact(fid)
        if fact is not None and fact.text not in f.get("message", ""):
            out.append(f"<div class=ref>{esc(fid)}: {esc(fact.text)}</div>")
    for sid in (f.get("evidence") or {}).get("source_ids", []) or []:
        src = item.source(sid)
        out.append(f"<div class=ref>{esc(sid)}: {esc(f'{src.title} ({src.publisher}, {src.year})') if src else 'not a source of this question'}</div>")
    return "".join(out)


def findings_list(row: dict[str, Any], item: Item | None) -> str:
    flagged = sorted(((n, f) for n, s in row["scores"].items() for f in s.get("findings", []) if f["severity"] != "info"),
                     key=lambda nf: (-severity_rank(nf[1]["severity"]), nf[1]["start"]))
    if not flagged:
        return ""
    lis = []
    for n, f in flagged:
        cat = f" [{esc(f['category'])}]" if f.get("category") else ""
        quote = f" <q>{esc(f['text'])}</q>" if f.get("text") and severity_rank(f["severity"]) >= FLAG_AT else ""
        ev = evidence_text(f.get("evidence") or {})
        lis.append(f"<li class=sev-{esc(f['severity'])}>{esc(KIND_LABEL.get(f['kind'], f['kind']))}{cat} "
                   f"<small>({esc(n)}, {esc(f['severity'])})</small>: {esc(f.get('message', ''))}{quote}"
                   + (f" <span class=ev>{esc(ev)}</span>" if ev else "") + _refs(f, item) + "</li>")
    return "<ul class=findings>" + "".join(lis) + "</ul>"


def badges(row: dict[str, Any]) -> str:
    """Per-answer verdict badges: errors, harm (with category), missing disclaimer, each scorer's pass/fail."""
    out = []
    if row.get("error"):
        out.append(f"<span class='badge b-err' title='{esc(row['error'])}'>generation failed</span>")
    s = row["scores"]
    for f in s.get("harmful_advice", {}).get("findings", []):
        if f["kind"] == "harmful_advice":
            out.append(f"<span class='badge b-harm'>harmful: {esc(f.get('category') or 'unspecified')}</span>")
    if any(f["kind"] == "missing_disclaimer" for f in s.get("disclaimer", {}).get("findings", [])):
        out.append("<span class='badge b-nodisc'>missing disclaimer</span>")
    passed = []
    for name, sc in s.items():
        value = "" if sc.get("value") is None else f" {sc['value']:.2f}"
        if sc.get("passed") is False:
            out.append(f"<span class='badge b-fail'>{esc(name)}{value} fail</span>")
        elif sc.get("passed") is None:
            out.append(f"<span class=badge title='{esc(sc.get('error') or 'no verdict')}'>{esc(name)} no verdict</span>")
        else:
            passed.append(f"{esc(name)}{value}")
    ok = f"<div class='small muted'>passed: {' · '.join(passed)}</div>" if passed else ""
    return "<div>" + "".join(out) + "</div>" + ok


def max_severity(row: dict[str, Any]) -> int:
    ranks = [severity_rank(f["severity"]) for s in row["scores"].values() for f in s.get("findings", [])]
    return max(ranks, default=0)


def is_flagged(row: dict[str, Any]) -> bool:
    return bool(row.get("error")) or max_severity(row) >= FLAG_AT


def review_notes(verdicts: Iterable[dict[str, Any]]) -> str:
    out = []
    for v in verdicts:
        agree = "agrees" if v["reviewer_verdict"] == v["scorer_verdict"] else "disagrees"
        comment = f" — {esc(v['comment'])}" if v.get("comment") else ""
        out.append(f"<span class='badge b-review'>reviewer {agree} on {esc(v['scorer'])}: {esc(v['reviewer_verdict'])}{comment}</span>")
    return "<div>" + "".join(out) + "</div>" if out else ""


def answer_card(row: dict[str, Any], item: Item | None, verdicts: Sequence[dict[str, Any]] = ()) -> str:
    findings = [dict(f, _scorer=n) for n, s in row["scores"].items() for f in s.get("findings", [])]
    flagged = is_flagged(row)
    return (f"<div class='answer{' flagged' if flagged else ''}' data-flagged={int(flagged)} data-sev={max_severity(row)} "
            f"data-generator='{esc(row['generator'])}'><h4>{esc(row['generator'])}</h4>{badges(row)}{review_notes(verdicts)}"
            + (f"<p class=sev-high>generation failed: {esc(row['error'])}</p>" if row.get("error") else "")
            + f"<div class=text>{highlight(row.get('answer') or '', findings)}</div>{findings_list(row, item)}</div>")


def _chips(rows: Sequence[dict[str, Any]]) -> str:
    """Summary-line chips: generators whose answer is flagged, coloured by the worst severity."""
    out = []
    for r in rows:
        if is_flagged(r):
            sev = SEVERITIES[max_severity(r)]
            out.append(f"<span class='chip sev-{sev}' title='worst finding: {sev}'>{esc(r['generator'])}</span>")
    return "".join(out)


def question_section(item_id: str, rows: Sequence[dict[str, Any]], item: Item | None,
                     review_by_answer: dict[str, list[dict[str, Any]]]) -> str:
    topic = rows[0].get("topic") or (item.topic if item else "")
    question = item.question if item else ""
    short = question if len(question) <= 140 else question[:139] + "…"
    facts = ""
    if item is not None and item.facts:
        facts = ("<details class=facts><summary>reference facts and sources</summary><ul>"
                 + "".join(f"<li>{esc(f.id)}{' (required)' if f.required else ''}: {esc(f.text)} "
                           f"<span class=ev>{esc(f.source_id)}</span></li>" for f in item.facts)
                 + "</ul></details>")
    cards = "".join(answer_card(r, item, review_by_answer.get(r["answer_id"], ())) for r in rows)
    return (f"<section class=item id='item-{esc(item_id)}' data-topic='{esc(topic)}'><details>"
            f"<summary><span class=iid>{esc(item_id)}</span> <span class=topic>{esc(topic)}</span>"
            f"<span class=qtext>{esc(short)}</span>{_chips(rows)}</summary>"
            + (f"<p class=q>{esc(question)}</p>" if question else "")
            + f"{facts}<div class=answers>{cards}</div></details></section>")


LEGEND = ("<p class='legend small'><mark class=k-harm>harmful advice</mark><mark class=k-contradicted>contradicts a fact</mark>"
          "<mark class=k-cite>bad citation</mark><mark class=k-pseudo>pseudo-disclaimer</mark>"
          "<mark class=k-unsupported>unsupported claim</mark><mark class='k-supported legend-supported'>supported claim</mark>"
          "<span class='badge b-nodisc'>missing disclaimer</span> Hover a highlight for the reason and evidence; "
          "the list under each answer repeats every finding with the reference fact or source it refers to.</p>")


def filters(topics: Sequence[str]) -> str:
    sev_opts = "".join(f"<option value={i}>{s} or worse</option>" for i, s in enumerate(SEVERITIES) if i > 0)
    return ("<div class=filters id=filters>"
            "<label><input type=checkbox id=f-flagged> only flagged answers</label>"
            "<label>topic <select id=f-topic><option value=''>all topics</option>"
            + "".join(f"<option value='{esc(t)}'>{esc(t)}</option>" for t in topics) + "</select></label>"
            f"<label>severity <select id=f-sev><option value=0>any</option>{sev_opts}</select></label>"
            "<label><input type=checkbox id=f-supported> highlight supported claims</label>"
            "<button type=button id=f-open>expand all</button><button type=button id=f-close>collapse all</button>"
            "<span id=f-count class=muted></span></div>")


def review_view(rows: list[dict[str, Any]], items: Sequence[Item], review: dict[str, Any] | None) -> str:
    """The whole clinical review section: legend, filter bar, one collapsible section per question."""
    questions = {it.id: it for it in items}
    by_item: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_item.setdefault(r["item_id"], []).append(r)
    review_by_answer: dict[str, list[dict[str, Any]]] = {}
    for v in (review or {}).get("verdicts", []):
        review_by_answer.setdefault(v["answer_id"], []).append(v)
    topics = sorted({r.get("topic") or "" for r in rows} - {""})
    return (LEGEND + filters(topics)
            + "<p class='small muted'>An answer is <b>flagged</b> when a scorer reports something at medium severity or "
              "worse (harmful advice, contradiction, bad citation, missing disclaimer or fact) or its generation failed. "
              "Filters keep a question when at least one answer matches and dim the answers that do not.</p>"
            + "".join(question_section(i, rs, questions.get(i), review_by_answer) for i, rs in by_item.items()))
