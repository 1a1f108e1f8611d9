"""Clinician review round-trip: export a sheet, read verdicts back, Cohen's kappa, and clear
`file:line: column: problem` errors (exit 2) for sheets that cannot be trusted."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from qaeval.cli import main
from qaeval.reports import write_reports
from qaeval.reports.review import COLUMNS, agreement, cohen_kappa, safe_cell, unsafe_cell
from reportkit import make_run, scored_rows


@pytest.fixture(scope="module")
def rows(items_by_id: dict, ctx: Any) -> list[dict]:
    return scored_rows(items_by_id, ctx)


@pytest.fixture()
def run(tmp_path: Path, items_by_id: dict, ctx: Any, rows: list[dict]) -> Path:
    run = make_run(tmp_path / "run", items_by_id, ctx, rows)
    write_reports(run, formats=["md"])
    return run


def _read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def _write(path: Path, rows: list[dict[str, str]], delimiter: str = ",", encoding: str = "utf-8-sig") -> Path:
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter=delimiter)
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _export(run: Path, *args: str) -> Path:
    assert main(["review", "export", str(run), *args]) == 0
    return run / "review-sheet.csv"


# ---------------- kappa ----------------

def test_cohen_kappa_known_values() -> None:
    # the textbook example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → κ = 0.4
    pairs = [("fail", "fail")] * 20 + [("fail", "pass")] * 5 + [("pass", "fail")] * 10 + [("pass", "pass")] * 15
    assert cohen_kappa(pairs) == 0.4
    assert cohen_kappa([("pass", "pass"), ("fail", "fail")]) == 1.0
    assert cohen_kappa([("pass", "fail"), ("fail", "pass")]) == -1.0
    assert cohen_kappa([("pass", "pass")] * 3) is None  # no variation: undefined, not 1
    assert cohen_kappa([]) is None
    a = agreement(pairs)
    assert a["confusion"] == {"both_fail": 20, "scorer_fail_reviewer_pass": 5, "scorer_pass_reviewer_fail": 10, "both_pass": 15}
    assert a["agreement"] == 0.7 and a["precision"] == 0.8 and a["recall"] == round(20 / 30, 4)


def test_formula_cells_are_neutralised_and_restored() -> None:
    for s in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x"):
        assert safe_cell(s) == "'" + s and unsafe_cell(safe_cell(s)) == s
    assert safe_cell("plain") == "plain" and safe_cell(0.5) == 0.5 and unsafe_cell("'quoted") == "'quoted"


# ---------------- export ----------------

def test_export_writes_one_row_per_answer_and_scorer_verdict(run: Path, rows: list[dict]) -> None:
    sheet = _export(run)
    assert sheet.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    out = _read(sheet)
    assert list(out[0]) == COLUMNS
    assert len(out) == sum(1 for r in rows for s in r["scores"].values() if s["passed"] is not None) == 9 * 6
    harm = next(r for r in out if r["answer_id"] == "aml-001@risky" and r["scorer"] == "harmful_advice")
    assert harm["scorer_verdict"] == "fail" and harm["value"] == "0.000"
    assert "critical harmful_advice [unproven_alternative]: “Intravenous vitamin C" in harm["flagged_spans"]
    assert harm["question"].startswith("My husband was just diagnosed with AML")
    assert "\n" in harm["answer"] and harm["reviewer_verdict"] == harm["reviewer_comment"] == ""


def test_export_neutralises_formulas_in_answers(tmp_path: Path, items_by_id: dict, ctx: Any, rows: list[dict]) -> None:
    evil = [dict(rows[0], answer='=HYPERLINK("http://evil","click")\nrest')]
    run = make_run(tmp_path / "r", items_by_id, ctx, evil)
    text = _export(run).read_bytes().decode("utf-8-sig")
    assert "\"'=HYPERLINK(\"\"http://evil\"\"" in text and ",\"=HYPERLINK" not in text


def test_export_scorer_filter_and_unknown_scorer(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _read(_export(run, "--scorers", "harmful_advice,disclaimer", "--out", str(run / "s.csv")).parent / "s.csv")
    assert {r["scorer"] for r in out} == {"harmful_advice", "disclaimer"} and len(out) == 18
    assert main(["review", "export", str(run), "--scorers", "nope"]) == 2
    assert "--scorers: unknown scorer(s) nope" in capsys.readouterr().err


# ---------------- round trip ----------------

def _reviewed(run: Path) -> list[dict[str, str]]:
    """harmful_advice sheet: the scorer fails aml-001@risky and cll-001@evil, passes the 7 others; the
    reviewer agrees on both fails and on 6 passes, and fails breast-001@risky as well."""
    sheet = _read(_export(run, "--scorers", "harmful_advice"))
    assert [r["answer_id"] for r in sheet if r["scorer_verdict"] == "fail"] == ["aml-001@risky", "cll-001@evil"]
    for r in sheet:
        r["reviewer_verdict"] = "fail" if r["scorer_verdict"] == "fail" or r["answer_id"] == "breast-001@risky" else "pass"
        if r["answer_id"] == "breast-001@risky":
            r["reviewer_comment"] = "=no disclaimer is harmful too <b>"
    return sheet


def test_round_trip_gives_known_kappa_and_updates_reports(run: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    sheet = _write(tmp_path / "back.csv", _reviewed(run))
    assert main(["review", "import", str(run), str(sheet)]) == 0
    out = capsys.readouterr().out
    review = json.loads((run / "review.json").read_text("utf-8"))
    # po = 8/9, pe = 2/9·3/9 + 7/9·6/9 = 48/81 → κ = (72 − 48) / (81 − 48) = 24/33
    assert review["overall"]["kappa"] == round(24 / 33, 4) == review["scorers"]["harmful_advice"]["kappa"]
    assert review["overall"]["confusion"] == {"both_fail": 2, "scorer_fail_reviewer_pass": 0,
                                              "scorer_pass_reviewer_fail": 1, "both_pass": 6}
    assert review["reviewed"] == 9 and review["not_reviewed"] == 0
    note = next(v for v in review["verdicts"] if v["answer_id"] == "breast-001@risky")
    assert note["comment"] == "=no disclaimer is harmful too <b>" and note["reviewer_verdict"] == "fail"
    assert "0.73" in out and "substantial" in out
    md = (run / "report.md").read_text("utf-8")
    assert "**Clinician review:** 9 verdicts, agreement 89%, Cohen's κ 0.73 (substantial)" in md
    write_reports(run, formats=["html"])
    page = (run / "report.html").read_text("utf-8")
    table = page.split("id=review-table")[1].split("</table>")[0]
    assert "<td>0.73 <small>substantial</small></td><td>2</td><td>0</td><td>1</td><td>6</td>" in table
    assert "reviewer disagrees on harmful_advice: fail — =no disclaimer is harmful too &lt;b&gt;" in page
    assert "1 disagreements" in page


def test_import_accepts_what_excel_writes_back(run: Path, tmp_path: Path) -> None:
    """Semicolon-separated, Windows-1252, formula prefix kept, columns renamed with spaces/case."""
    rows = _reviewed(run)
    rows = [{("Reviewer Verdict" if k == "reviewer_verdict" else k): ("'" + v if k == "answer" and v else v)
             for k, v in r.items()} for r in rows]
    rows[0]["reviewer_comment"] = "café"
    sheet = _write(tmp_path / "excel.csv", rows, delimiter=";", encoding="cp1252")
    assert main(["review", "import", str(run), str(sheet)]) == 0
    review = json.loads((run / "review.json").read_text("utf-8"))
    assert review["overall"]["kappa"] == round(24 / 33, 4)
    assert review["verdicts"][0]["comment"] == "café"


def test_partial_review_and_several_sheets(run: Path, tmp_path: Path) -> None:
    rows = _reviewed(run)
    a = _write(tmp_path / "a.csv", [dict(r, reviewer_verdict=r["reviewer_verdict"] if i < 4 else "") for i, r in enumerate(rows)])
    b = _write(tmp_path / "b.csv", [dict(r, reviewer_verdict=r["reviewer_verdict"] if i >= 4 else "skip") for i, r in enumerate(rows)])
    assert main(["review", "import", str(run), str(a), str(b)]) == 0
    review = json.loads((run / "review.json").read_text("utf-8"))
    assert review["reviewed"] == 9 and review["not_reviewed"] == 9 and len(review["sheets"]) == 2
    assert review["overall"]["kappa"] == round(24 / 33, 4)


# ---------------- malformed sheets ----------------

def _line_of(path: Path, answer_id: str, scorer: str) -> int:
    """Physical line on which a record starts (answer cells span several lines)."""
    for n, line in enumerate(path.read_bytes().decode("utf-8-sig").splitlines(), 1):
        if f",{answer_id}," in line and f",{scorer}," in line:
            return n
    raise AssertionError(answer_id)


def _import_fails(run: Path, sheet: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["review", "import", str(run), str(sheet)]) == 2
    assert not (run / "review.json").exists()
    return capsys.readouterr().err


def test_bad_verdict_is_reported_with_its_physical_line(run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _reviewed(run)
    rows[5]["reviewer_verdict"] = "maybe"
    sheet = _write(tmp_path / "bad.csv", rows)
    line = _line_of(sheet, rows[5]["answer_id"], "harmful_advice")
    assert line > 7  # the multi-line answers before it push it down
    err = _import_fails(run, sheet, capsys)
    assert f"{sheet}:{line}: reviewer_verdict: 'maybe' is not pass or fail" in err


@pytest.mark.parametrize("change, expected", [
    (lambda rs: [{k: v for k, v in r.items() if k != "reviewer_verdict"} for r in rs], ":1: reviewer_verdict: missing column"),
    (lambda rs: [dict(rs[0], answer_id="aml-001@nobody"), *rs[1:]], ": answer_id: 'aml-001@nobody' is not an answer of this run"),
    (lambda rs: [dict(rs[0], scorer="vibes"), *rs[1:]], ": scorer: 'vibes' did not score answer"),
    (lambda rs: [dict(rs[0], scorer_verdict="fail" if rs[0]["scorer_verdict"] == "pass" else "pass"), *rs[1:]],
     "(was the run re-scored after the sheet was exported?)"),
    (lambda rs: [*rs, rs[0]], "is also on line"),
    (lambda rs: [dict(rs[0], generator="other"), *rs[1:]], ": generator: sheet says 'other', the run says"),
    (lambda rs: [dict(r, reviewer_verdict="") for r in rs], "no row has a reviewer_verdict"),
])
def test_malformed_sheets_exit_2_with_file_line_column(run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       change: Any, expected: str) -> None:
    sheet = _write(tmp_path / "s.csv", change(_reviewed(run)))
    err = _import_fails(run, sheet, capsys)
    assert expected in err and str(sheet) in err


def test_workbooks_and_empty_files_are_refused_clearly(run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    xlsx = tmp_path / "sheet.xlsx"
    xlsx.write_bytes(b"PK\x03\x04rest-of-a-zip")
    assert "save it as 'CSV UTF-8 (comma delimited)'" in _import_fails(run, xlsx, capsys)
    empty = tmp_path / "empty.csv"
    empty.write_text("", "utf-8")
    assert f"{empty}:1: header: the sheet is empty" in _import_fails(run, empty, capsys)
    assert main(["review", "import", str(tmp_path), str(empty)]) == 2
    assert "not a run folder" in capsys.readouterr().err
