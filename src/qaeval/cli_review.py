"""`qaeval review export|import`: the clinician review round-trip (see reports/review.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli import _err, _out, commands
from .errors import InputError
from .records import Item


def run_items(run_dir: Path) -> list[Item]:
    """The run's questions, from the datasets its manifest names (empty if they have moved)."""
    from .loaders import load_dataset
    from .store import RunStore
    ds = [d for d in RunStore(run_dir).read_manifest().get("datasets", []) if Path(d).exists()]
    return load_dataset(ds) if ds else []


def _check_run(run_dir: Path) -> None:
    if not (run_dir / "results.jsonl").exists():
        raise InputError(f"{run_dir}: not a run folder (no results.jsonl)")


def _export(a: argparse.Namespace) -> int:
    from .reports.review import export_review
    run_dir = Path(a.run_dir)
    _check_run(run_dir)
    scorers = [s.strip() for s in a.scorers.split(",") if s.strip()] if a.scorers else None
    path, n = export_review(run_dir, a.out, items=run_items(run_dir), scorers=scorers)
    _out(f"wrote {n} rows to {path}")
    _out("fill in reviewer_verdict (pass or fail; blank = not reviewed) and reviewer_comment, save as CSV, then:")
    _out(f"  qaeval review import {run_dir} {path}")
    return 0


def _import(a: argparse.Namespace) -> int:
    from .reports import write_reports
    from .reports.html_sections import kappa_label
    from .reports.review import REVIEW, import_review
    run_dir = Path(a.run_dir)
    _check_run(run_dir)
    review = import_review(run_dir, a.sheets)
    _out(f"{review['reviewed']} reviewer verdicts ({review['not_reviewed']} rows not reviewed)")
    _out(f"{'scorer':<16} {'n':>5} {'agree':>6} {'kappa':>6}  both-fail  s-fail/r-pass  s-pass/r-fail  both-pass")
    for name, ag in [("all", review["overall"]), *review["scorers"].items()]:
        c = ag["confusion"]
        k = "–" if ag["kappa"] is None else f"{ag['kappa']:.2f}"
        _out(f"{name:<16} {ag['n']:>5} {100 * ag['agreement']:>5.0f}% {k:>6}  {c['both_fail']:>9}  "
             f"{c['scorer_fail_reviewer_pass']:>13}  {c['scorer_pass_reviewer_fail']:>13}  {c['both_pass']:>9}  "
             f"({kappa_label(ag['kappa'])})")
    fmts = [f for f, name in (("html", "report.html"), ("md", "report.md")) if (run_dir / name).exists()]
    if fmts:
        try:
            write_reports(run_dir, formats=fmts, items=run_items(run_dir))
        except InputError as exc:  # the review is stored; a report problem must not hide that
            for pr in exc.problems:
                _err(pr)
    _out(f"stored {run_dir / REVIEW}" + (f"; updated {', '.join(fmts)} report" if fmts else ""))
    return 0


@commands.register("review")
def _review(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="clinician review round-trip: export a sheet, import verdicts, measure agreement",
                       description="Export a run's scorer verdicts as a CSV sheet for clinicians, and import their "
                                   "verdicts back to measure how often scorers and reviewers agree (Cohen's kappa).",
                       epilog="example: qaeval review export reports/demo-20261125-101500 --scorers harmful_advice,disclaimer")
    rsub = p.add_subparsers(dest="review_command", required=True, metavar="ACTION")
    e = rsub.add_parser("export", help="write RUN/review-sheet.csv: one row per answer × scorer verdict",
                        description="Write a CSV sheet (UTF-8 with BOM, opens in Excel/LibreOffice) with one row per "
                                    "answer × scorer verdict and blank reviewer_verdict / reviewer_comment columns.",
                        epilog="example: qaeval review export reports/demo-20261125-101500 --out review.csv")
    e.add_argument("run_dir")
    e.add_argument("--out", help="sheet path (default: RUN/review-sheet.csv)")
    e.add_argument("--scorers", help="comma-separated scorers to include (default: all)")
    e.set_defaults(func=_export)
    i = rsub.add_parser("import", help="read reviewer verdicts back; store RUN/review.json; show agreement",
                        description="Validate the returned sheet(s) against the run (exit 2 with file:line: column: "
                                    "problem on any error), compute Cohen's kappa and confusion counts per scorer and "
                                    "overall, store RUN/review.json and refresh the run's reports.",
                        epilog="example: qaeval review import reports/demo-20261125-101500 review.csv")
    i.add_argument("run_dir")
    i.add_argument("sheets", nargs="+", metavar="SHEET", help="returned sheet(s), CSV (several reviewers: one sheet each)")
    i.set_defaults(func=_import)
