"""Clinician review round-trip: export a sheet of scorer verdicts, read the reviewers' verdicts back,
and measure how often scorers and reviewers agree (Cohen's kappa, confusion counts).

The sheet is a CSV that Excel and LibreOffice open directly (UTF-8 with BOM); text cells that a
spreadsheet would run as a formula are neutralised. Import accepts what Excel writes back
(comma, semicolon or tab separated; UTF-8 or Windows-1252) and validates every row before
anything is stored, so a bad sheet fails with `file:line: column: problem` and exit code 2.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import InputError
from ..records import Item
from ..store import RunStore

REVIEW = "review.json"
SHEET = "review-sheet.csv"
COLUMNS = ["item_id", "generator", "answer_id", "topic", "scorer", "scorer_verdict", "value", "flagged_spans",
           "question", "answer", "reviewer_verdict", "reviewer_comment"]
REQUIRED = ["item_id", "generator", "answer_id", "scorer", "scorer_verdict", "reviewer_verdict"]
VERDICTS = {"pass": "pass", "fail": "fail", "p": "pass", "f": "fail"}
NOT_REVIEWED = {"", "skip", "unsure", "n/a", "na", "?"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_CELL_MAX = 32000
MAX_PROBLEMS = 50


def safe_cell(value: Any) -> Any:
    """Prefix text that a spreadsheet would evaluate as a formula with `'` (CSV injection)."""
    if isinstance(value, str):
        if len(value) > EXCEL_CELL_MAX:
            value = value[: EXCEL_CELL_MAX - 1] + "…"
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


def unsafe_cell(value: str) -> str:
    """Undo `safe_cell` (and drop the whitespace spreadsheets add) when a sheet comes back."""
    value = value.strip()
    if len(value) >= 2 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def verdict(passed: bool | None) -> str:
    return "" if passed is None else ("pass" if passed else "fail")


def flagged_spans(score: dict[str, Any], width: int = 240) -> str:
    """One line per non-info finding: severity, kind, category, the quoted span and the reason."""
    lines = []
    for f in score.get("findings", []):
        if f.get("severity") == "info":
            continue
        cat = f" [{f['category']}]" if f.get("category") else ""
        quote = f" “{f['text']}”" if f.get("text") else ""
        line = f"{f['severity']} {f['kind']}{cat}:{quote} — {f.get('message', '')}"
        lines.append(line if len(line) <= width else line[: width - 1] + "…")
    return "\n".join(lines)


def sheet_rows(rows: list[dict[str, Any]], items: Sequence[Item] = (),
               scorers: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One row per answer × scorer verdict (verdict-less scores, e.g. scorer errors, are left out)."""
    questions = {it.id: it.question for it in items}
    out = []
    for r in rows:
        for name, s in r.get("scores", {}).items():
            if (scorers and name not in scorers) or s.get("passed") is None:
                continue
            out.append({
                "item_id": r["item_id"], "generator": r["generator"], "answer_id": r["answer_id"],
                "topic": r.get("topic") or "", "scorer": name, "scorer_verdict": verdict(s["passed"]),
                "value": "" if s.get("value") is None else f"{s['value']:.3f}",
                "flagged_spans": flagged_spans(s), "question": questions.get(r["item_id"], ""),
                "answer": r.get("answer") or "", "reviewer_verdict": "", "reviewer_comment": "",
            })
    return out


def write_sheet(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """CSV, UTF-8 with BOM (Excel reads it as UTF-8), every text cell formula-safe."""
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: safe_cell(v) for k, v in row.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))


def export_review(run_dir: str | Path, out: str | Path | None = None, items: Sequence[Item] = (),
                  scorers: Sequence[str] | None = None) -> tuple[Path, int]:
    """Write the review sheet for a run (default RUN/review-sheet.csv); returns (path, rows)."""
    store = RunStore(Path(run_dir))
    rows = store.read_results()
    if not rows:
        raise InputError(f"{run_dir}: not a run folder (no results.jsonl)")
    known = {s for r in rows for s in r.get("scores", {})}
    unknown = [s for s in scorers or () if s not in known]
    if unknown:
        raise InputError(f"--scorers: unknown scorer(s) {', '.join(unknown)} (this run has: {', '.join(sorted(known))})")
    srows = sheet_rows(rows, items, scorers)
    path = Path(out) if out else store.path(SHEET)
    write_sheet(path, srows)
    return path, len(srows)


# ---------------- import ----------------

def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xls", ".ods"):
        raise InputError(f"{path}: this is a spreadsheet workbook; save it as 'CSV UTF-8 (comma delimited)' and import the .csv")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # what Excel's plain "CSV" writes on Windows


def _norm(header: str) -> str:
    return header.strip().lstrip("\ufeff").strip().lower().replace(" ", "_")


def read_sheet(path: str | Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of a returned sheet as (first line number, {column: cell}); header problems raise InputError."""
    p = Path(path)
    try:
        text = _decode(p, p.read_bytes())
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from None
    if not text.strip():
        raise InputError(f"{p}:1: header: the sheet is empty")
    first = text.splitlines()[0]
    delim = next((d for d in (",", ";", "\t") if "answer_id" in [_norm(h) for h in next(csv.reader([first], delimiter=d))]), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header = [_norm(h) for h in next(reader)]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError([f"{p}:1: {c}: missing column (the sheet needs {', '.join(REQUIRED)})" for c in missing])
    out = []
    line = reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            row = {h: unsafe_cell(cells[i]) if i < len(cells) else "" for i, h in enumerate(header) if h}
            out.append((line, row))
        line = reader.line_num + 1
    return out


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' labels; None when undefined (both raters used one label only)."""
    n = len(pairs)
    if n == 0:
        return None
    labels = sorted({x for pair in pairs for x in pair})
    po = sum(1 for a, b in pairs if a == b) / n
    pe = sum((sum(1 for a, _ in pairs if a == lab) / n) * (sum(1 for _, b in pairs if b == lab) / n) for lab in labels)
    if pe >= 1:
        return None
    return round((po - pe) / (1 - pe), 4)


def agreement(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """(scorer, reviewer) verdict pairs → kappa, raw agreement, confusion counts, scorer precision/recall
    for 'fail' (taking the reviewer as the truth)."""
    conf = {"both_fail": 0, "scorer_fail_reviewer_pass": 0, "scorer_pass_reviewer_fail": 0, "both_pass": 0}
    for s, r in pairs:
        key = ("both_fail" if r == "fail" else "scorer_fail_reviewer_pass") if s == "fail" else \
              ("scorer_pass_reviewer_fail" if r == "fail" else "both_pass")
        conf[key] += 1
    n = len(pairs)
    flagged = conf["both_fail"] + conf["scorer_fail_reviewer_pass"]
    truly = conf["both_fail"] + conf["scorer_pass_reviewer_fail"]
    return {
        "n": n, "agreement": round((conf["both_fail"] + conf["both_pass"]) / n, 4) if n else None,
        "kappa": cohen_kappa(pairs), "confusion": conf,
        "precision": round(conf["both_fail"] / flagged, 4) if flagged else None,
        "recall": round(conf["both_fail"] / truly, 4) if truly else None,
    }


def _problems(problems: list[str]) -> InputError:
    if len(problems) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS] + [f"… and {len(problems) - MAX_PROBLEMS} more problem(s)"]
    return InputError(problems)


def check_sheet(sheet: Path, srows: list[tuple[int, dict[str, str]]],
                results: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int, list[str]]:
    """Validate returned rows against the run; → (reviewed verdicts, rows not reviewed, problems)."""
    by_answer = {r["answer_id"]: r for r in results}
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    verdicts: list[dict[str, Any]] = []
    skipped = 0
    for line, row in srows:
        where = f"{sheet}:{line}"
        aid, scorer = row.get("answer_id", ""), row.get("scorer", "")
        res = by_answer.get(aid)
        if res is None:
            problems.append(f"{where}: answer_id: {aid!r} is not an answer of this run")
            continue
        if scorer not in res.get("scores", {}):
            problems.append(f"{where}: scorer: {scorer!r} did not score answer {aid!r} in this run")
            continue
        for col in ("item_id", "generator"):
            if row.get(col, "") != res[col]:
                problems.append(f"{where}: {col}: sheet says {row.get(col, '')!r}, the run says {res[col]!r} for answer {aid!r}")
        run_verdict = verdict(res["scores"][scorer].get("passed"))
        if row.get("scorer_verdict", "").lower() != run_verdict:
            problems.append(f"{where}: scorer_verdict: sheet says {row.get('scorer_verdict', '')!r}, the run says "
                            f"{run_verdict!r} (was the run re-scored after the sheet was exported?)")
        if (aid, scorer) in seen:
            problems.append(f"{where}: answer_id: {aid!r} × {scorer} is also on line {seen[(aid, scorer)]}")
            continue
        seen[(aid, scorer)] = line
        raw = row.get("reviewer_verdict", "").strip().lower()
        if raw in NOT_REVIEWED:
            skipped += 1
            continue
        if raw not in VERDICTS:
            problems.append(f"{where}: reviewer_verdict: {row.get('reviewer_verdict')!r} is not pass or fail "
                            f"(leave it blank, or write skip, to not review this row)")
            continue
        verdicts.append({"answer_id": aid, "item_id": res["item_id"], "generator": res["generator"], "scorer": scorer,
                         "scorer_verdict": run_verdict, "reviewer_verdict": VERDICTS[raw],
                         "comment": row.get("reviewer_comment", ""), "line": line})
    return verdicts, skipped, problems


def summarise_review(verdicts: list[dict[str, Any]]) -> dict[str, Any]:
    """Overall and per-scorer agreement between scorer and reviewer verdicts."""
    scorers = sorted({v["scorer"] for v in verdicts})
    return {
        "overall": agreement([(v["scorer_verdict"], v["reviewer_verdict"]) for v in verdicts]),
        "scorers": {s: agreement([(v["scorer_verdict"], v["reviewer_verdict"]) for v in verdicts if v["scorer"] == s])
                    for s in scorers},
    }


def import_review(run_dir: str | Path, sheets: Sequence[str | Path]) -> dict[str, Any]:
    """Validate the returned sheet(s), compute agreement, store RUN/review.json; InputError on any problem."""
    store = RunStore(Path(run_dir))
    results = store.read_results()
    if not results:
        raise InputError(f"{run_dir}: not a run folder (no results.jsonl)")
    problems: list[str] = []
    verdicts: list[dict[str, Any]] = []
    skipped = 0
    digests = []
    seen: dict[tuple[str, str], str] = {}
    for sheet in map(Path, sheets):
        try:
            srows = read_sheet(sheet)
        except InputError as exc:
            problems += exc.problems
            continue
        v, k, pr = check_sheet(sheet, srows, results)
        for x in v:
            key = (x["answer_id"], x["scorer"])
            if key in seen:
                pr.append(f"{sheet}:{x['line']}: answer_id: {key[0]!r} × {key[1]} was already reviewed in {seen[key]}")
            seen[key] = str(sheet)
        verdicts += v
        skipped += k
        problems += pr
        digests.append({"path": str(sheet), "sha256": hashlib.sha256(sheet.read_bytes()).hexdigest()})
    if problems:
        raise _problems(problems)
    if not verdicts:
        raise InputError(f"{', '.join(map(str, sheets))}: no row has a reviewer_verdict (pass or fail); nothing to import")
    review = {"imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "sheets": digests,
              "reviewed": len(verdicts), "not_reviewed": skipped, **summarise_review(verdicts),
              "verdicts": [{k: v for k, v in x.items() if k != "line"} for x in verdicts]}
    store.write_json(REVIEW, review)
    return review


def load_review(run_dir: str | Path) -> dict[str, Any] | None:
    """The run's imported review (review.json), or None if nobody has reviewed it yet."""
    p = Path(run_dir) / REVIEW
    return json.loads(p.read_text("utf-8")) if p.exists() else None
