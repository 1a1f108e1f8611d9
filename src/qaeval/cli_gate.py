"""`qaeval compare` and `qaeval gate`: the commands CI runs to decide whether a model change ships.

Exit codes follow the CLI: 0 passed, 1 the gate failed, 2 bad input (a missing run, a policy
that does not validate or names a scorer the run lacks) — never 1 for a mistake in the inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .cli import commands
from .errors import InputError
from .validation import read_jsonl


def read_rows(path: str | Path, what: str = "run") -> list[dict[str, Any]]:
    """Result rows of a run folder (or a results.jsonl file), schema-checked."""
    p = Path(path)
    f = p / "results.jsonl" if p.is_dir() else p
    if not f.is_file():
        raise InputError(f"{p}: {what} is not a run folder or a results.jsonl file (no results.jsonl)")
    rows = [obj for _, obj in read_jsonl(f, "result_line")]
    if not rows:
        raise InputError(f"{f}:1: $: {what} has no result rows")
    return rows


def read_summary(path: Path) -> dict[str, Any]:
    """A summary.json (as `qaeval run` writes it), checked for the fields the gate reads."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}:1: $: not a readable JSON summary ({exc})") from None
    gens = data.get("generators") if isinstance(data, dict) else None
    if not isinstance(gens, dict) or not all(isinstance(g, dict) and isinstance(g.get("scorers"), dict) for g in gens.values()):
        raise InputError(f"{path}:1: $.generators: not a qaeval summary.json (needs generators → scorers)")
    return data


def read_baseline(path: str | Path) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
    """A baseline is a run folder or results.jsonl (rows: paired) or a summary.json (unpaired)."""
    p = Path(path)
    if p.is_dir():
        if (p / "results.jsonl").is_file():
            return read_rows(p, "baseline"), None
        if (p / "summary.json").is_file():
            return None, read_summary(p / "summary.json")
        raise InputError(f"{p}: baseline folder has neither results.jsonl nor summary.json")
    if not p.is_file():
        raise InputError(f"{p}: no such baseline file or folder")
    if p.suffix == ".json":
        return None, read_summary(p)
    return read_rows(p, "baseline"), None


def _out(msg: str) -> None:
    print(msg, flush=True)


def _write(path: str | None, text: str) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, "utf-8")


# ---------------- compare ----------------

def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _val(x: float | None, signed: bool = False) -> str:
    return "–" if x is None else (f"{x:+.4f}" if signed else f"{x:.4f}")


def format_comparison(cmp: dict[str, Any], show: int = 10) -> str:
    """The comparison as a terminal table per generator pair, then the items that flipped."""
    from .findings_text import finding_line
    pct = f"{round(cmp['confidence'] * 100):g}%"
    lines: list[str] = []
    for p in cmp["pairs"]:
        lines.append(f"{p['label']}: {p['n_pairs']} paired items"
                     + (f", {len(p['only_in_a'])} only in A" if p["only_in_a"] else "")
                     + (f", {len(p['only_in_b'])} only in B" if p["only_in_b"] else ""))
        lines.append(f"  {'scorer':<16}{'n':>5}  {'mean A':>7} {'mean B':>7}  {'diff B−A [' + pct + ' CI]':<30}"
                     f"{'pass A → B':<18}{'new fail':>9}{'new pass':>9}")
        for s, c in p["scorers"].items():
            m, r = c["mean"], c["pass_rate"]
            ci = f"[{_val(m['ci'][0], True)}, {_val(m['ci'][1], True)}]" if m["ci"] else ""
            mark = " *" if m["ci_excludes_zero"] else ""
            lines.append(f"  {s[:16]:<16}{m['n']:>5}  {_val(m['a']):>7} {_val(m['b']):>7}  "
                         f"{_val(m['diff'], True) + ' ' + ci + mark:<30}{_pct(r['a']) + ' → ' + _pct(r['b']):<18}"
                         f"{len(c['newly_failing']):>9}{len(c['newly_passing']):>9}")
        for s, c in p["scorers"].items():
            for t in c["newly_failing"][:show]:
                why = finding_line(t["findings_b"][0]) if t["findings_b"] else (t["error_b"] or f"value {t['value_b']}")
                lines.append(f"  newly failing {s} {t['key']}: {why}")
            if len(c["newly_failing"]) > show:
                lines.append(f"  … {len(c['newly_failing']) - show} more newly failing {s} items (see --json)")
        lines.append("")
    lines.append(f"* the paired {pct} CI of the difference excludes 0 "
                 f"(bootstrap over items, {cmp['iterations']} resamples, seed {cmp['seed']})")
    return "\n".join(lines)


@commands.register("compare")
def _compare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="paired comparison of two runs with confidence intervals",
                       description="Compare run B with run A item by item: per generator and scorer, the mean "
                                   "difference B − A with a paired bootstrap confidence interval (items resampled "
                                   "together, seeded), the pass-rate change, and the items that newly fail or "
                                   "newly pass. Answers are matched by (generator, item id); when the runs use "
                                   "different generator ids, name the pair with --generator-a/--generator-b.",
                       epilog="example: qaeval compare reports/demo-old reports/demo-new --json compare.json")
    p.add_argument("run_a", help="run folder or results.jsonl (before)")
    p.add_argument("run_b", help="run folder or results.jsonl (after)")
    p.add_argument("--generator-a", help="generator of run A to compare (default: every generator id both runs have)")
    p.add_argument("--generator-b", help="generator of run B to compare with it (default: same as --generator-a)")
    p.add_argument("--scorers", help="comma-separated scorers (default: all scored in both runs)")
    p.add_argument("--errors", choices=("fail", "ignore"), default="fail",
                   help="failed generations count as failing answers with value 0 (fail, default) or are left out")
    p.add_argument("--iterations", type=int, default=2000, help="bootstrap resamples (default 2000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--confidence", type=float, default=0.95)
    p.add_argument("--show", type=int, default=10, help="newly failing items listed per scorer (default 10)")
    p.add_argument("--json", metavar="PATH", help="also write the full comparison as JSON")

    def run(a: argparse.Namespace) -> int:
        from .compare import compare_runs
        if a.iterations < 100 or not 0.5 < a.confidence < 1:
            raise InputError("--iterations must be ≥ 100 and --confidence between 0.5 and 1")
        problems: list[str] = []
        rows: list[list[dict[str, Any]]] = []
        for path, what in ((a.run_a, "run A"), (a.run_b, "run B")):
            try:
                rows.append(read_rows(path, what))
            except InputError as exc:
                problems += exc.problems
        if problems:
            raise InputError(problems)
        cmp = compare_runs(rows[0], rows[1], generator_a=a.generator_a, generator_b=a.generator_b,
                           scorers=a.scorers.split(",") if a.scorers else None,
                           errors_as_failures=a.errors == "fail", iterations=a.iterations, seed=a.seed,
                           confidence=a.confidence)
        cmp["run_a"], cmp["run_b"] = str(a.run_a), str(a.run_b)
        _out(format_comparison(cmp, a.show))
        _write(a.json, json.dumps(cmp, indent=2, ensure_ascii=False) + "\n")
        return 0
    p.set_defaults(func=run)


# ---------------- gate ----------------

def append_step_summary(markdown: str) -> Path | None:
    """Append to $GITHUB_STEP_SUMMARY when set (GitHub Actions renders it on the run page)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(markdown + "\n")
    except OSError as exc:
        print(f"warning: could not write GITHUB_STEP_SUMMARY {target}: {exc.strerror}", file=sys.stderr)
        return None
    return Path(target)


@commands.register("gate")
def _gate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gate", help="pass/fail a run against a policy (thresholds, regressions) for CI",
                       description="Check a run against a gate policy: absolute thresholds per scorer and, with "
                                   "--baseline, regression limits (a drop fails only when it exceeds the limit "
                                   "and its paired confidence interval excludes 0). Prints a Markdown summary "
                                   "(also appended to $GITHUB_STEP_SUMMARY when set). Exit 0 pass, 1 fail, "
                                   "2 bad input.",
                       epilog="example: qaeval gate reports/demo-new --policy evals/gate.yaml "
                              "--baseline reports/demo-main --junit gate-junit.xml")
    p.add_argument("run", help="run folder or results.jsonl to gate")
    p.add_argument("--policy", required=True, help="gate policy YAML (see evals/gate.yaml)")
    p.add_argument("--baseline", help="baseline run folder / results.jsonl (paired) or summary.json (unpaired)")
    p.add_argument("--baseline-generator", help="generator id in the baseline to compare every gated generator with "
                                                "(default: the same id)")
    p.add_argument("--generator", action="append", default=[],
                   help="gate only this generator (repeatable; overrides the policy's generators)")
    p.add_argument("--junit", metavar="PATH", help="write JUnit XML (one test case per item × check)")
    p.add_argument("--json", metavar="PATH", help="write every check as JSON")
    p.add_argument("--markdown", metavar="PATH", help="also write the Markdown summary to a file")
    p.add_argument("--quiet", action="store_true", help="print only the verdict line")

    def run(a: argparse.Namespace) -> int:
        from .gate import evaluate_gate
        from .gate_markdown import render_gate_markdown
        from .gate_policy import load_policy
        from .junit import to_junit_xml
        problems: list[str] = []
        policy = rows = None
        baseline_rows = baseline_summary = None
        for step in ("policy", "run", "baseline"):
            try:
                if step == "policy":
                    policy = load_policy(a.policy)
                elif step == "run":
                    rows = read_rows(a.run)
                elif a.baseline:
                    baseline_rows, baseline_summary = read_baseline(a.baseline)
            except InputError as exc:
                problems += exc.problems
        if problems:
            raise InputError(problems)
        assert policy is not None and rows is not None
        result = evaluate_gate(policy, rows, baseline_rows=baseline_rows, baseline_summary=baseline_summary,
                               baseline_generator=a.baseline_generator, generators=a.generator or None)
        md = render_gate_markdown(result, run=str(a.run), policy=str(a.policy), baseline=a.baseline)
        _write(a.junit, to_junit_xml(result))
        _write(a.json, json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        _write(a.markdown, md)
        append_step_summary(md)
        if a.quiet:
            failed = sum(c.passed is False for c in result.aggregates)
            _out(f"qaeval gate {'PASSED' if result.passed else 'FAILED'}: {failed} of {len(result.aggregates)} checks failed")
        else:
            _out(md)
        return 0 if result.passed else 1
    p.set_defaults(func=run)
