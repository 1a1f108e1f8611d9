"""Report formats: summary numbers and CIs, markdown, JSON, CSV/Parquet, the HTML's CSP and
escaping, the validity section, and the charts (no browser here; see test_report_browser.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from qaeval import load_results
from qaeval.cli import main
from qaeval.errors import InputError
from qaeval.reports import charts, write_reports
from qaeval.reports.markdown import md_text, render_markdown
from qaeval.reports.summary import bootstrap_ci, summarise
from qaeval.reports.html_sections import trust_section
from qaeval.reports.validity import Validity, load_validity, parse_validity
from reportkit import EVIL_GEN, PAYLOADS, hostile_items, make_run, scored_rows, write_validity


@pytest.fixture(scope="module")
def rows(items_by_id: dict, ctx: Any) -> list[dict]:
    return scored_rows(items_by_id, ctx)


@pytest.fixture()
def run(tmp_path: Path, items_by_id: dict, ctx: Any, rows: list[dict]) -> Path:
    return make_run(tmp_path / "run", items_by_id, ctx, rows)


# ---------------- summary and CIs ----------------

def test_bootstrap_ci_edge_cases_and_determinism() -> None:
    assert bootstrap_ci([]) is None
    assert bootstrap_ci([0.3]) == (0.3, 0.3)
    assert bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    vals = [1.0] * 50 + [0.0] * 50
    lo, hi = bootstrap_ci(vals)
    assert bootstrap_ci(vals) == (lo, hi)  # seeded
    assert 0.38 <= lo < 0.5 < hi <= 0.62  # binomial: 0.5 ± 1.96·0.05
    lo4, hi4 = bootstrap_ci(vals * 4)
    assert hi4 - lo4 < (hi - lo) * 0.7  # 4× the data, about half the width


def test_summary_counts_and_intervals(rows: list[dict]) -> None:
    s = summarise(rows)
    assert s["items"] == 4 and s["answers"] == 9
    assert list(s["generators"]) == ["reference", "risky", EVIL_GEN]
    risky, ref = s["generators"]["risky"], s["generators"]["reference"]
    assert ref["harmful_answers"] == 0 and ref["safety_failures"] == 0 and ref["missing_disclaimer"] == 0
    assert risky["harmful_answers"] == 1 and risky["missing_disclaimer"] == 1 and risky["safety_failures"] == 2
    assert risky["harm_categories"] == {"unproven_alternative": 1}
    assert risky["scorers"]["harmful_advice"]["pass_rate"] == 0.75
    for g in s["generators"].values():
        for m in g["scorers"].values():
            if m["mean"] is not None:
                lo, hi = m["mean_ci95"]
                assert lo - 1e-4 <= m["mean"] <= hi + 1e-4
    assert s["safety_by_topic"]["breast"]["risky"] == {"answers": 1, "safety_failures": 1}
    assert s["safety_by_topic"]["lung"]["risky"] == {"answers": 1, "safety_failures": 0}


# ---------------- JSON, markdown ----------------

def test_summary_json_is_written_whatever_the_formats(run: Path) -> None:
    write_reports(run, formats=["md"])
    data = json.loads((run / "summary.json").read_text("utf-8"))
    assert data["generators"]["risky"]["harmful_answers"] == 1
    assert not (run / "report.html").exists()


def test_markdown_is_short_has_cis_counts_findings_and_is_inert(rows: list[dict]) -> None:
    md = render_markdown(summarise(rows), rows, "t")
    lines = md.splitlines()
    assert len(lines) < 40
    header = next(l for l in lines if l.startswith("| generator | grounding"))
    assert "harmful\\_advice" in header or "harmful_advice" in header
    risky = next(l for l in lines if l.startswith("| risky |") and "[" in l)
    assert re.search(r"0\.75 \[0\.\d\d–1\.00\] · 75%", risky)  # harmful_advice: mean [CI] · pass rate
    assert re.search(r"\| risky \| 4 \| 0 \| 1 \| 1 \| unproven\\_alternative 1 \|", md)
    assert "**critical** harmful\\_advice" in md
    assert "<script" not in md and "<img" not in md and "&lt;script&gt;" not in md.split("Top findings")[0]
    assert "evil&lt;i&gt;gen&lt;/i&gt;" in md


def test_md_text_neutralises_markdown_and_html() -> None:
    out = md_text("[click](http://x) <img src=x> `code` | *b* " + "x" * 200)
    assert "<" not in out and "\\[click\\]" in out and "\\|" in out and "\\`code\\`" in out and "\\*b\\*" in out
    assert out.endswith("…") and len(out) < 160


# ---------------- CSV / Parquet ----------------

def test_csv_and_parquet_match_load_results(run: Path, rows: list[dict]) -> None:
    assert main(["report", str(run), "--format", "csv,parquet"]) == 0
    df = load_results(run)
    csv = pd.read_csv(run / "results.csv", keep_default_na=False)
    pq = pd.read_parquet(run / "results.parquet")
    assert len(csv) == len(pq) == len(df) == 9 * 6
    assert list(csv.columns) == list(pq.columns) == list(df.columns)
    assert pq["value"].round(6).tolist() == df["value"].round(6).tolist()
    harm = csv[(csv.answer_id == "aml-001@risky") & (csv.scorer == "harmful_advice")].iloc[0]
    assert harm["passed"] == False and harm["categories"] == "unproven_alternative"  # noqa: E712
    assert list(pq.loc[(pq.answer_id == "aml-001@risky") & (pq.scorer == "harmful_advice"), "categories"].iloc[0]) == ["unproven_alternative"]


def test_csv_cells_cannot_run_as_spreadsheet_formulas(tmp_path: Path, items_by_id: dict, ctx: Any, rows: list[dict]) -> None:
    evil = [dict(r, generator="=HYPERLINK(\"http://x\")") for r in rows[:1]]
    run = make_run(tmp_path / "r", items_by_id, ctx, evil)
    write_reports(run, formats=["csv"])
    text = (run / "results.csv").read_text("utf-8")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_unknown_format_and_missing_pyarrow_fail_before_writing(run: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(run), "--format", "html,nope"]) == 2
    assert "unknown format 'nope'" in capsys.readouterr().err
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    with pytest.raises(InputError, match="parquet needs pyarrow"):
        write_reports(run, formats=["html", "parquet"])
    assert not (run / "report.html").exists() and not (run / "summary.json").exists()


# ---------------- HTML (as a string) ----------------

def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.fixture(scope="module")
def html_page(tmp_path_factory: pytest.TempPathFactory, items_by_id: dict, ctx: Any, rows: list[dict]) -> str:
    run = make_run(tmp_path_factory.mktemp("html"), items_by_id, ctx, rows)
    write_reports(run, formats=["html"], items=hostile_items(items_by_id))
    return (run / "report.html").read_text("utf-8")


def test_html_csp_pins_its_own_script_and_style_and_escapes_everything(html_page: str) -> None:
    page = html_page
    csp = re.search(r"http-equiv='Content-Security-Policy' content=\"([^\"]+)\"", page).group(1)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(scripts) == 1 and len(styles) == 1
    assert f"script-src {_sha(scripts[0])};" in csp and f"style-src {_sha(styles[0])};" in csp
    assert "default-src 'none'" in csp and "img-src data:" in csp
    assert page.index("Content-Security-Policy") < page.index("<title>")  # before any untrusted text
    for payload in PAYLOADS:
        assert payload not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert not re.search(r"<(img src=x|svg|iframe)", page)
    assert "evil&lt;i&gt;gen&lt;/i&gt;&quot;&#x27;" in page
    assert page.count("<img class=chart src='data:image/png;base64,") == 3


def test_html_shows_findings_with_reasons_and_evidence(html_page: str) -> None:
    page = html_page
    aml = page[page.index("id='item-aml-001'"):page.index("id='item-breast-001'")]
    assert "<span class='badge b-harm'>harmful: unproven_alternative</span>" in aml
    assert re.search(r"<mark class=\"k-harm\" title=\"harmful_advice · harmful_advice \[unproven_alternative\] \(critical\): "
                     r"Presents an unproven remedy[^\"]*rule_id: [a-z_.]+\">Intravenous vitamin C", aml)
    breast = page[page.index("id='item-breast-001'"):page.index("id='item-lung-001'")]
    assert "<span class='badge b-nodisc'>missing disclaimer</span>" in breast
    assert breast.count("data-flagged=1") == 1
    assert "data-topic='breast'" in breast
    lung = page[page.index("id='item-lung-001'"):page.index("id='item-cll-001'")]
    assert "data-flagged=1" not in lung
    assert "not yet measured" in page and "No clinician review has been imported" in page


def test_trust_section_shows_measured_numbers_and_gaps(tmp_path: Path, rows: list[dict]) -> None:
    s = summarise(rows)
    html = trust_section(s, load_validity(write_validity(tmp_path / "validity.json")), None)
    table = html.split("id=validity-table")[1].split("</table>")[0]
    harm = table.split("<td class=l>harmful_advice</td>")[1].split("</tr>")[0]
    assert harm == "<td>0.91</td><td>0.87</td><td>0.89</td><td>200</td><td>0.88</td><td>0.80</td><td>0.84</td><td>100</td>"
    disc = table.split("<td class=l>disclaimer</td>")[1].split("</tr>")[0]
    assert "0.97" in disc and "not yet measured" in disc  # dev measured, holdout not
    assert table.count("not yet measured") == 2 * 4 + 1
    assert "2026-11-20" in html and "python bench/validity.py --split all" in html
    empty = trust_section(s, Validity(), None).split("id=validity-table")[1].split("</table>")[0]
    assert empty.count("not yet measured") == 2 * 6 and "0.91" not in empty


def test_report_finds_the_validity_file_from_the_environment(run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QAEVAL_VALIDITY", str(write_validity(tmp_path / "validity.json")))
    write_reports(run, formats=["html"])
    assert "<td>0.91</td><td>0.87</td><td>0.89</td>" in (run / "report.html").read_text("utf-8")


def test_malformed_validity_is_reported_not_guessed(tmp_path: Path) -> None:
    v = parse_validity({"scorers": {"grounding": {"dev": {"precision": 1.7, "recall": 0.5}, "test": {}}}}, "v.json")
    assert v.scorers == {"grounding": {"dev": {"recall": 0.5}}}
    assert "v.json: scorers.grounding.dev.precision: 1.7 is not a number in [0, 1]" in v.problems
    assert any("scorers.grounding.test: unknown split" in p for p in v.problems)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    assert load_validity(bad).problems[0].startswith(f"{bad}: cannot read")


# ---------------- charts ----------------

def test_validity_in_the_bench_layout_is_read_too() -> None:
    """`bench/validity.py --json` writes split-major numbers with confusion counts and no f1/n."""
    v = parse_validity({"generated": "2026-11-25", "command": "python bench/validity.py --json v.json", "safety": {
        "train-a": {"harmful_advice": {"precision": 0.5, "recall": 0.5}},
        "dev": {"harmful_advice": {"precision": 0.9, "recall": 0.6, "tp": 6, "fp": 1, "fn": 4, "tn": 9,
                                   "per_category": {}},
                "disclaimer": {"accuracy": 0.95, "precision": 1.0, "recall": 0.9, "f1": 0.95, "n": 40}},
        "holdout": {"harmful_advice": {"precision": 0.8, "recall": 0.8, "f1": 0.8, "n": 30}}}})
    assert v.problems == []
    assert v.scorers == {"harmful_advice": {"dev": {"precision": 0.9, "recall": 0.6, "f1": 0.72, "n": 20},
                                            "holdout": {"precision": 0.8, "recall": 0.8, "f1": 0.8, "n": 30}},
                         "disclaimer": {"dev": {"precision": 1.0, "recall": 0.9, "f1": 0.95, "n": 40}}}


def test_charts_are_deterministic_pngs_and_empty_input_gives_none(rows: list[dict]) -> None:
    s = summarise(rows)
    gens = list(s["generators"])
    made = [charts.scores_chart(s), charts.safety_heatmap(s["safety_by_topic"], gens), charts.grounding_histogram(rows, gens)]
    for uri in made:
        assert uri and base64.b64decode(uri.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert charts.scores_chart(s) == made[0]
    empty = summarise([])
    assert charts.scores_chart(empty) is None and charts.safety_heatmap({}, []) is None and charts.grounding_histogram([], []) is None
