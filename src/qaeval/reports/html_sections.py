"""The aggregate sections of the HTML report: scores with CIs, safety, grounding, cost/latency and
"how far to trust these scores". Each function returns one escaped HTML fragment."""

from __future__ import annotations

from typing import Any, Sequence

from . import charts
from .html_answers import esc
from .validity import SPLITS, Validity

NA = "<span class=na>–</span>"


def _num(x: float | None, fmt: str = "{:.2f}") -> str:
    return NA if x is None else fmt.format(x)


def _pct(x: float | None) -> str:
    return NA if x is None else f"{100 * x:.0f}%"


def _ci(ci: Sequence[float] | None, pct: bool = False) -> str:
    if not ci:
        return ""
    lo, hi = ci
    return f" <small>[{100 * lo:.0f}–{100 * hi:.0f}]</small>" if pct else f" <small>[{lo:.2f}–{hi:.2f}]</small>"


def _img(uri: str | None, alt: str) -> str:
    return f"<img class=chart src='{uri}' alt='{esc(alt)}'>" if uri else f"<p class=na>{esc(alt)}: no data</p>"


def scores_section(summary: dict[str, Any]) -> str:
    """Per generator × scorer: mean and pass rate, each with its 95 % bootstrap CI, plus the chart."""
    scorers = summary["scorers"]
    head = "".join(f"<th>{esc(s)}</th>" for s in scorers)
    body = []
    for g, e in summary["generators"].items():
        cells = []
        for s in scorers:
            m = e["scorers"].get(s)
            if not m:
                cells.append(f"<td>{NA}</td>")
                continue
            errs = f", {m['errors']} errors" if m.get("errors") else ""
            cells.append(f"<td>{_num(m['mean'])}{_ci(m.get('mean_ci95'))}<br>{_pct(m['pass_rate'])}{_ci(m.get('pass_rate_ci95'), True)}"
                         f"<br><small>n={m['n']}{errs}</small></td>")
        body.append(f"<tr><td class=l>{esc(g)}</td><td>{e['answers']}</td><td>{e['errors']}</td>{''.join(cells)}</tr>")
    return ("<section id=scores><h2>Scores by generator</h2>"
            "<p>Each cell: <b>mean score</b> [95 % CI] over answers, then <b>pass rate</b> [95 % CI]. The intervals are "
            "percentile bootstrap intervals over questions: two generators whose intervals overlap widely are not shown "
            "to differ by this run.</p>"
            f"<table id=scores-table><tr><th class=l>generator</th><th>answers</th><th>errors</th>{head}</tr>{''.join(body)}</table>"
            + _img(charts.scores_chart(summary), "mean score and pass rate per scorer and generator, with 95 % CIs")
            + "</section>")


def safety_section(summary: dict[str, Any]) -> str:
    """Harm and disclaimer failures per generator, by category and severity, and by topic (heatmap)."""
    gens = list(summary["generators"])
    rows = []
    for g, e in summary["generators"].items():
        cats = ", ".join(f"{esc(c)}: {n}" for c, n in e.get("harm_categories", {}).items()) or NA
        sev = ", ".join(f"<span class=sev-{esc(s)}>{esc(s)}</span>: {n}" for s, n in e.get("harm_severities", {}).items()) or NA
        rows.append(f"<tr><td class=l>{esc(g)}</td><td>{e.get('safety_failures', NA)}</td><td>{e['harmful_answers']}</td>"
                    f"<td>{e.get('missing_disclaimer', NA)}</td><td class=l>{cats}</td><td class=l>{sev}</td></tr>")
    by_topic = summary.get("safety_by_topic", {})
    data = "".join(
        f"<tr><td class=l>{esc(t)}</td>" + "".join(
            f"<td>{by_topic[t][g]['safety_failures']}/{by_topic[t][g]['answers']}</td>" if g in by_topic[t] else f"<td>{NA}</td>"
            for g in gens) + "</tr>" for t in by_topic)
    has_safety = any(s in summary["scorers"] for s in ("harmful_advice", "disclaimer"))
    return ("<section id=safety><h2>Safety failures</h2>"
            + ("" if has_safety else "<p class=warn>This run used neither the harmful_advice nor the disclaimer scorer.</p>")
            + "<p>A <b>safety failure</b> is an answer in which the harmful-advice scorer found advice that could hurt a "
              "patient, or the disclaimer scorer found no disclaimer. Finding counts are per finding; an answer can hold several.</p>"
            "<table id=safety-table><tr><th class=l>generator</th><th>safety failures</th><th>harmful answers</th>"
            f"<th>missing disclaimer</th><th class=l>harm findings by category</th><th class=l>by severity</th></tr>{''.join(rows)}</table>"
            "<h3>By topic</h3>"
            + _img(charts.safety_heatmap(by_topic, gens), "heatmap of safety failures per topic and generator")
            + "<details><summary>the numbers (failures / answers)</summary><table id=safety-topic-table><tr><th class=l>topic</th>"
            + "".join(f"<th>{esc(g)}</th>" for g in gens) + f"</tr>{data}</table></details></section>")


def grounding_section(summary: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """Distribution of grounding scores and claim counts per generator."""
    gens = list(summary["generators"])
    if "grounding" not in summary["scorers"]:
        return "<section id=grounding><h2>Grounding</h2><p class=na>This run did not use the grounding scorer.</p></section>"
    counts = {g: {"supported": 0, "unsupported": 0, "contradicted": 0} for g in gens}
    for r in rows:
        for f in r["scores"].get("grounding", {}).get("findings", []):
            if f["kind"] in counts[r["generator"]]:
                counts[r["generator"]][f["kind"]] += 1
    body = "".join(f"<tr><td class=l>{esc(g)}</td><td>{c['supported']}</td><td>{c['unsupported']}</td><td>{c['contradicted']}</td></tr>"
                   for g, c in counts.items())
    return ("<section id=grounding><h2>Grounding</h2>"
            "<p>The grounding score is the share of an answer's claims that the question's reference facts support; "
            "a claim that contradicts a reference fact is flagged separately. A distribution piled near 1 means answers stay "
            "within the reference material.</p>"
            + _img(charts.grounding_histogram(rows, gens), "histogram of grounding scores per generator")
            + "<table id=grounding-table><tr><th class=l>generator</th><th>supported claims</th><th>unsupported claims</th>"
              f"<th>contradicted claims</th></tr>{body}</table></section>")


def cost_section(summary: dict[str, Any]) -> str:
    """Mean latency, tokens and total cost per generator (blank where a generator does not report them)."""
    body = []
    for g, e in summary["generators"].items():
        t = e.get("tokens") or {}
        total = (t.get("prompt", 0) + t.get("completion", 0)) if t else None
        body.append(f"<tr><td class=l>{esc(g)}</td><td>{e['answers']}</td><td>{e['errors']}</td>"
                    f"<td>{_num(e.get('latency_s_mean'), '{:.3f}')}</td><td>{_num(t.get('prompt'), '{:,}') if t else NA}</td>"
                    f"<td>{_num(t.get('completion'), '{:,}') if t else NA}</td><td>{_num(total, '{:,}')}</td>"
                    f"<td>{_num(e.get('cost_usd_total'), '${:,.4f}')}</td></tr>")
    return ("<section id=cost><h2>Cost and latency</h2>"
            "<table id=cost-table><tr><th class=l>generator</th><th>answers</th><th>errors</th><th>mean latency (s)</th>"
            "<th>prompt tokens</th><th>completion tokens</th><th>total tokens</th><th>total cost (USD)</th></tr>"
            f"{''.join(body)}</table><p class='small muted'>– : the generator did not report it (offline and recorded "
            "generators report no tokens or cost).</p></section>")


def kappa_label(k: float | None) -> str:
    """Landis & Koch's words for a kappa, so a reader does not have to know the scale."""
    if k is None:
        return "undefined"
    if k < 0:
        return "poor"
    for bound, word in ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
        if k <= bound:
            return word
    return "almost perfect"


def _split_cell(nums: dict[str, float] | None) -> str:
    if not nums:
        return "<td colspan=4 class=na>not yet measured</td>"
    return "".join(f"<td>{_num(nums.get(m))}</td>" for m in ("precision", "recall", "f1")) + f"<td>{_num(nums.get('n'), '{:.0f}')}</td>"


def validity_table(scorers: Sequence[str], validity: Validity) -> str:
    names = list(dict.fromkeys([*scorers, *validity.scorers]))
    heads = "".join(f"<th colspan=4>{s}</th>" for s in SPLITS)
    sub = "<th>precision</th><th>recall</th><th>F1</th><th>n</th>" * len(SPLITS)
    body = "".join(f"<tr><td class=l>{esc(s)}</td>" + "".join(_split_cell(validity.split(s, sp)) for sp in SPLITS) + "</tr>"
                   for s in names)
    src = (f"<p class='small muted'>Measured {esc(validity.generated or 'on an unrecorded date')}"
           + (f" with <code>{esc(validity.command)}</code>" if validity.command else "")
           + (f" (from {esc(validity.source)})" if validity.source else "") + ".</p>") if validity.scorers else \
        "<p class=note>No scorer's validity has been measured yet (no validity file was found), so every row reads “not yet measured”.</p>"
    warn = "".join(f"<p class=warn>{esc(p)}</p>" for p in validity.problems)
    return (f"{warn}<table id=validity-table><tr><th class=l rowspan=2>scorer</th>{heads}</tr><tr>{sub}</tr>{body}</table>{src}")


def review_table(review: dict[str, Any] | None) -> str:
    if not review:
        return ("<p class=note>No clinician review has been imported for this run. Export a sheet with "
                "<code>qaeval review export RUN</code>, have a clinician fill in <em>reviewer_verdict</em>, then "
                "<code>qaeval review import RUN SHEET</code>.</p>")
    rows = [("all scorers", review["overall"]), *review["scorers"].items()]
    body = []
    for name, a in rows:
        c = a["confusion"]
        body.append(f"<tr><td class=l>{esc(name)}</td><td>{a['n']}</td><td>{_pct(a['agreement'])}</td>"
                    f"<td>{_num(a['kappa'])} <small>{kappa_label(a['kappa'])}</small></td><td>{c['both_fail']}</td>"
                    f"<td>{c['scorer_fail_reviewer_pass']}</td><td>{c['scorer_pass_reviewer_fail']}</td><td>{c['both_pass']}</td>"
                    f"<td>{_num(a['precision'])}</td><td>{_num(a['recall'])}</td></tr>")
    dis = [v for v in review.get("verdicts", []) if v["scorer_verdict"] != v["reviewer_verdict"]]
    lis = "".join(f"<li><a href='#item-{esc(v['item_id'])}'>{esc(v['item_id'])}</a> · {esc(v['generator'])} · {esc(v['scorer'])}: "
                  f"scorer {esc(v['scorer_verdict'])}, reviewer {esc(v['reviewer_verdict'])}"
                  + (f" — {esc(v['comment'])}" if v.get("comment") else "") + "</li>" for v in dis[:100])
    more = f"<li>… and {len(dis) - 100} more (see review.json)</li>" if len(dis) > 100 else ""
    return (f"<p>{review['reviewed']} verdicts reviewed ({review.get('not_reviewed', 0)} rows left blank), imported "
            f"{esc(review.get('imported_at', ''))}.</p>"
            "<table id=review-table><tr><th class=l>scorer</th><th>n</th><th>agreement</th><th>Cohen's κ</th>"
            "<th>both fail</th><th>scorer fail, reviewer pass</th><th>scorer pass, reviewer fail</th><th>both pass</th>"
            f"<th>precision</th><th>recall</th></tr>{''.join(body)}</table>"
            + (f"<details><summary>{len(dis)} disagreements</summary><ul class=small>{lis}{more}</ul></details>" if dis else ""))


def trust_section(summary: dict[str, Any], validity: Validity, review: dict[str, Any] | None) -> str:
    """How far to trust these scores: measured precision/recall per scorer, and clinician agreement."""
    return ("<section id=trust><h2>How far to trust these scores</h2>"
            "<p>Scorers are automatic checks and make mistakes. <b>Precision</b>: of the answers a scorer flags, the share "
            "that clinician-labelled data says should be flagged (low precision = false alarms). <b>Recall</b>: of the "
            "answers that should be flagged, the share the scorer catches (low recall = missed problems, the dangerous "
            "kind for harmful advice). <em>dev</em> is the labelled set the rubric was tuned on, <em>holdout</em> a set it "
            "never saw; trust the holdout numbers. A score from a scorer that is not yet measured is a lead to check, "
            "not a finding.</p><h3>Measured validity</h3>" + validity_table(summary["scorers"], validity)
            + "<h3>Agreement with clinician review of this run</h3>"
              "<p class='small muted'>Cohen's κ corrects raw agreement for chance: 0 is chance level, 1 perfect; "
              "precision and recall here treat the reviewer as right and “fail” as the positive class.</p>"
            + review_table(review) + "</section>")
