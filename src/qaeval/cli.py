"""The `qaeval` command line. Exit codes: 0 ok, 1 gate/check failed, 2 bad input."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

import yaml

from . import __version__
from .errors import InputError
from .registry import Registry

commands: Registry[Callable[[argparse._SubParsersAction], None]] = Registry("command")


def _out(msg: str) -> None:
    print(msg, flush=True)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------- validate ----------------

def _kind_of(path: Path) -> str:
    """Which contract a file follows, from its name and first record."""
    if path.suffix == ".jsonl":
        first = next((l for l in path.read_text("utf-8", errors="replace").splitlines() if l.strip()), "")
        try:
            obj = json.loads(first)
        except json.JSONDecodeError:
            return "dataset"
        if isinstance(obj, dict) and "harmful" in obj:
            return "labelled_safety"
        if isinstance(obj, dict) and "claims" in obj and "answer" in obj:
            return "labelled_grounding"
        if isinstance(obj, dict) and "citations" in obj and "answer" in obj:
            return "labelled_citations"
        if isinstance(obj, dict) and "scores" in obj:
            return "results"
        if isinstance(obj, dict) and "answer" in obj and "question" not in obj:
            return "answers"
        return "dataset"
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError:
        return "rubric"
    if isinstance(data, dict):
        if "harm" in data or "disclaimer" in data:
            return "rubric"
        if ("checks" in data or "thresholds" in data) and "datasets" not in data:
            return "gate_policy"
        if "generators" in data:
            return "suite"
        if "sources" in data:
            return "catalogue"
        if all(isinstance(v, list) for v in data.values()):
            return "lexicons"
    return "rubric"


def validate_paths(paths: list[str]) -> list[str]:
    from .loaders import load_answers, load_catalogue, load_dataset, load_suite
    from .rubric import load_rubric
    from .validation import read_jsonl, read_yaml

    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(q for q in p.rglob("*") if q.suffix in (".jsonl", ".yaml", ".yml") and q.is_file())
        elif p.exists():
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    problems: list[str] = []
    datasets = [f for f in files if f.suffix == ".jsonl" and _kind_of(f) == "dataset"]
    checked = 0
    if datasets:
        try:
            items = load_dataset(datasets)
            checked += len(datasets)
            _out(f"ok  {len(datasets)} dataset file(s): {len(items)} items")
        except InputError as exc:
            problems += exc.problems
    for f in files:
        if f in datasets:
            continue
        kind = _kind_of(f)
        try:
            if kind == "answers":
                n = len(load_answers(f))
                _out(f"ok  {f}: {n} answers")
            elif kind in ("labelled_safety", "labelled_grounding", "labelled_citations"):
                n = len(read_jsonl(f, kind))
                _out(f"ok  {f}: {n} labelled examples")
            elif kind == "results":
                n = len(read_jsonl(f, "result_line"))
                _out(f"ok  {f}: {n} results")
            elif kind == "suite":
                load_suite(f)
                _out(f"ok  {f}: suite")
            elif kind == "catalogue":
                n = len(load_catalogue([f]).sources)
                _out(f"ok  {f}: {n} sources")
            elif kind == "gate_policy":
                read_yaml(f, "gate_policy")
                _out(f"ok  {f}: gate policy")
            elif kind == "lexicons":
                _out(f"ok  {f}: lexicons (checked with the rubric that uses them)")
            else:
                r = load_rubric(f)
                _out(f"ok  {f}: rubric with {len(r.harm_rules)} harm rules, {len(r.disclaimer_forms)} disclaimer forms")
            checked += 1
        except InputError as exc:
            problems += exc.problems
    return problems


@commands.register("validate")
def _validate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check datasets, rubrics, suites, answers and catalogues",
                       description="Validate data files against qaeval's JSON Schemas and cross-references. "
                                   "Folders are searched for .jsonl and .yaml files. Nothing runs.",
                       epilog="example: qaeval validate datasets/ rubrics/default.yaml evals/demo.yaml")
    p.add_argument("paths", nargs="+")

    def run(a: argparse.Namespace) -> int:
        problems = validate_paths(a.paths)
        if problems:
            for pr in problems:
                _err(pr)
            _err(f"{len(problems)} problem(s)")
            return 2
        return 0
    p.set_defaults(func=run)


# ---------------- run ----------------

@commands.register("run")
def _run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="generate, score, store and report a suite",
                       description="Run a suite: validate its inputs, generate answers with each generator "
                                   "(journaled, resumable), score them, and write a run folder with "
                                   "manifest.json, answers.jsonl, results.jsonl, summary.json, report.md and report.html.",
                       epilog="example: qaeval run evals/demo.yaml --limit 10")
    p.add_argument("suite")
    p.add_argument("--limit", type=int, help="only the first N questions (after the suite's filter)")
    p.add_argument("--resume", nargs="?", const=True, default=False, metavar="RUN_DIR",
                   help="continue the latest (or the given) interrupted run without redoing finished answers")
    p.add_argument("--no-cache", action="store_true", help="ignore the generation cache")
    p.add_argument("--format", default="html,md,json", help="report formats (default: html,md,json)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--workers", type=_workers, default=None,
                   help="processes that score answers: a number or 'auto' (default: the suite's 'workers', else auto)")

    def run(a: argparse.Namespace) -> int:
        from .progress import Progress
        from .runner import run_suite
        resume = Path(a.resume) if isinstance(a.resume, str) else a.resume
        run_dir = run_suite(a.suite, limit=a.limit, resume=resume, use_cache=not a.no_cache,
                            formats=a.format.split(","), workers=a.workers, progress=Progress(enabled=False if a.quiet else None),
                            log=_err)
        _print_summary(run_dir)
        _out(f"report: {run_dir / 'report.html'}")
        return 0
    p.set_defaults(func=run)


def _workers(value: str) -> int | str:
    """argparse type for --workers: a positive number or 'auto'."""
    if value == "auto":
        return value
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number or 'auto', got {value!r}")
    return int(value)


def _print_summary(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text("utf-8")) if (run_dir / "summary.json").exists() else None
    if not summary:
        return
    scorers = summary["scorers"]
    width = max([len(g) for g in summary["generators"]] + [9])
    _out(f"{'generator':<{width}}  harmful  " + "  ".join(f"{s[:12]:>12}" for s in scorers))
    for g, e in summary["generators"].items():
        cells = []
        for s in scorers:
            m = e["scorers"][s]
            cells.append(f"{'–' if m['mean'] is None else format(m['mean'], '.2f'):>12}")
        _out(f"{g:<{width}}  {e['harmful_answers']:>7}  " + "  ".join(cells))


# ---------------- score ----------------

@commands.register("score")
def _score(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score answers produced elsewhere",
                       description="Score answers made elsewhere (JSONL lines {item_id, answer, answer_id?, generator?}) "
                                   "against a dataset; writes DIR/results.jsonl, DIR/summary.json and the reports. "
                                   "This is the stable contract for CI scripts.",
                       epilog="example: qaeval score --dataset datasets/oncology --answers answers.jsonl --out reports/mine")
    p.add_argument("--dataset", required=True, action="append", help="dataset file or folder (repeatable)")
    p.add_argument("--answers", required=True)
    p.add_argument("--rubric", help="rubric YAML (default: the packaged default rubric)")
    p.add_argument("--catalogue", action="append", default=[], help="source catalogue file or folder (repeatable)")
    p.add_argument("--scorers", help="comma-separated scorer names (default: all built-in)")
    p.add_argument("--out", required=True)
    p.add_argument("--format", default="html,md,json")
    p.add_argument("--workers", type=_workers, default="auto",
                   help="processes that score answers: a number or 'auto' (one per core for large files; default)")

    def run(a: argparse.Namespace) -> int:
        from .loaders import DEFAULT_SCORERS, Catalogue, default_rubric_path, load_answers, load_catalogue, load_dataset
        from .reports import write_reports
        from .rubric import load_rubric
        from .runner import file_digest, now
        from .scorers import ScoringContext, build_scorers
        from .scoring import score_all
        from .store import RunStore

        problems: list[str] = []
        items, answers, rubric, catalogue = [], [], None, Catalogue()
        try:
            items = load_dataset(a.dataset)
        except InputError as exc:
            problems += exc.problems
        try:
            answers = load_answers(a.answers, known_items={i.id for i in items} if items else None)
        except InputError as exc:
            problems += exc.problems
        rubric_path = Path(a.rubric) if a.rubric else default_rubric_path()
        try:
            rubric = load_rubric(rubric_path)
        except InputError as exc:
            problems += exc.problems
        if a.catalogue:
            try:
                catalogue = load_catalogue(a.catalogue)
            except InputError as exc:
                problems += exc.problems
        names = a.scorers.split(",") if a.scorers else list(DEFAULT_SCORERS)
        try:
            scorer_objs = build_scorers([{"name": n, "options": {}} for n in names])
        except KeyError as exc:
            problems.append(f"--scorers: {exc.args[0]}")
        if problems:
            raise InputError(problems)
        out = Path(a.out)
        store = RunStore(out)
        gens = list(dict.fromkeys(x.generator for x in answers))
        store.write_manifest({"command": "score", "answers": str(a.answers), "answers_sha256": file_digest([Path(a.answers)]),
                              "datasets": a.dataset, "dataset_sha256": file_digest([Path(d) for d in a.dataset]),
                              "rubric": str(rubric_path), "rubric_sha256": rubric.digest, "scorers": names,
                              "generators": gens, "qaeval_version": __version__, "finished_at": now()})
        rows = score_all(items, answers, scorer_objs, ScoringContext(rubric=rubric, catalogue=catalogue), gens,
                          workers=a.workers)
        store.write_results(rows)
        write_reports(out, formats=a.format.split(","), items=items)
        _print_summary(out)
        _out(f"results: {out / 'results.jsonl'}")
        return 0
    p.set_defaults(func=run)


# ---------------- report ----------------

@commands.register("report")
def _report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="(re)write the reports of a run folder",
                       description="Write reports from a run folder's results.jsonl.",
                       epilog="example: qaeval report reports/demo-20261125-101500 --format html,md,json")
    p.add_argument("run_dir")
    p.add_argument("--format", default="html,md,json")
    p.add_argument("--dataset", action="append", default=[], help="dataset, to show the questions (default: from the manifest)")

    def run(a: argparse.Namespace) -> int:
        from .loaders import load_dataset
        from .reports import report_formats, write_reports
        from .store import RunStore
        run_dir = Path(a.run_dir)
        if not (run_dir / "results.jsonl").exists():
            raise InputError(f"{run_dir}: not a run folder (no results.jsonl)")
        fmts = a.format.split(",")
        for f in fmts:
            if f not in report_formats:
                raise InputError(f"--format: unknown format {f!r} (known: {', '.join(report_formats.names())})")
        ds = a.dataset or [d for d in RunStore(run_dir).read_manifest().get("datasets", []) if Path(d).exists()]
        items = load_dataset(ds) if ds else []
        write_reports(run_dir, formats=fmts, items=items)
        _out(f"wrote {', '.join(fmts)} reports in {run_dir}")
        return 0
    p.set_defaults(func=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qaeval", description="Test what AI systems tell cancer patients: grounding, citations, "
                                   "disclaimers and harmful advice — offline by default.",
        epilog="example: qaeval run evals/demo.yaml")
    parser.add_argument("--version", action="version", version=f"qaeval {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from . import commands_extra  # noqa: F401  (registers more commands)
    for name in commands.names():
        commands.get(name)(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        for pr in exc.problems:
            _err(pr)
        return 2
    except KeyboardInterrupt:
        _err("interrupted: run `qaeval run SUITE --resume` to continue")
        return 130


if __name__ == "__main__":
    sys.exit(main())
