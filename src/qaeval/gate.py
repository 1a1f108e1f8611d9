"""The gate: does a run meet a policy? Pure: policy + rows (+ baseline) in, checks out.

Two kinds of aggregate check decide the verdict — absolute thresholds per scorer and regression
limits against a baseline — and one check per item × threshold scorer carries the evidence (the
findings) so that a CI page can point at the exact answer and span that failed. An item's failure
fails its check only when an aggregate it counts against failed; otherwise it is recorded as
tolerated, so a red test report always means a red gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .compare import keyed_rows, bootstrap_ci, compare_scorer, generators_of, metric_value, pair_rows, score_status, scorers_of
from .errors import InputError
from .findings_text import score_explanation, significant
from .gate_policy import Policy, RegressionLimit, Threshold
from .registry import Registry

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Check:
    """One verdict: an aggregate (`threshold`, `regression`) or one item's evidence (`item`)."""

    kind: str
    generator: str
    scorer: str
    name: str
    passed: bool | None  # None: not checked (skipped), with the reason in `message`
    message: str = ""
    observed: float | None = None
    limit: float | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GateResult:
    checks: tuple[Check, ...]
    generators: tuple[str, ...]
    baseline_mode: str | None = None  # "paired", "unpaired" or None (no baseline)
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return all(c.passed is not False for c in self.aggregates)

    @property
    def aggregates(self) -> list[Check]:
        return [c for c in self.checks if c.kind != "item"]

    @property
    def items(self) -> list[Check]:
        return [c for c in self.checks if c.kind == "item"]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "generators": list(self.generators), "baseline_mode": self.baseline_mode,
                "notes": list(self.notes),
                "checks": [{"kind": c.kind, "generator": c.generator, "scorer": c.scorer, "name": c.name,
                            "passed": c.passed, "message": c.message, "observed": c.observed,
                            "limit": c.limit, "evidence": dict(c.evidence)} for c in self.checks]}


# ---------------- threshold conditions (registry: one function per policy key) ----------------

@dataclass(frozen=True)
class Outcome:
    passed: bool
    observed: float | None
    label: str
    culprits: tuple[str, ...]  # item keys counted against the condition
    detail: str = ""


Condition = Callable[[Threshold, Mapping[str, Row], bool], Outcome]
conditions: Registry[Condition] = Registry("gate condition")


def item_fails(row: Row, scorer: str, errors_as_failures: bool, severity_at_least: str | None = None) -> bool:
    """Does this answer count as failing `scorer` (optionally: with a finding at a severity or above)?"""
    status = score_status(row, scorer)
    if status == "error":
        return errors_as_failures
    if status != "fail":
        return False
    if severity_at_least is None:
        return True
    return bool(significant(row["scores"][scorer].get("findings", []), severity_at_least))


def _failing(t: Threshold, rows: Mapping[str, Row], errors_fail: bool, severity: str | None = None) -> tuple[str, ...]:
    return tuple(k for k, r in rows.items() if item_fails(r, t.scorer, errors_fail, severity))


def _rate(t: Threshold, rows: Mapping[str, Row], errors_fail: bool, metric: str) -> tuple[float | None, int]:
    vals = [v for r in rows.values() if (v := metric_value(r, t.scorer, metric, errors_fail)) is not None]
    return (sum(vals) / len(vals) if vals else None), len(vals)


@conditions.register("min_mean")
def _min_mean(t: Threshold, rows: Mapping[str, Row], errors_fail: bool) -> Outcome:
    mean, n = _rate(t, rows, errors_fail, "mean")
    assert t.min_mean is not None
    return Outcome(mean is not None and mean >= t.min_mean, mean, f"mean ≥ {t.min_mean:g}",
                   _failing(t, rows, errors_fail), f"mean {_fmt(mean)} over {n} answers")


@conditions.register("min_pass_rate")
def _min_pass_rate(t: Threshold, rows: Mapping[str, Row], errors_fail: bool) -> Outcome:
    rate, n = _rate(t, rows, errors_fail, "pass_rate")
    assert t.min_pass_rate is not None
    return Outcome(rate is not None and rate >= t.min_pass_rate, rate, f"pass rate ≥ {t.min_pass_rate:g}",
                   _failing(t, rows, errors_fail), f"pass rate {_fmt(rate)} over {n} answers")


@conditions.register("max_failures")
def _max_failures(t: Threshold, rows: Mapping[str, Row], errors_fail: bool) -> Outcome:
    bad = _failing(t, rows, errors_fail, t.severity_at_least)
    assert t.max_failures is not None
    sev = f" at severity ≥ {t.severity_at_least}" if t.severity_at_least else ""
    return Outcome(len(bad) <= t.max_failures, float(len(bad)), f"at most {t.max_failures} failing answers{sev}",
                   bad, f"{len(bad)} failing answers{sev}")


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.4f}"


# ---------------- evaluation ----------------

def _validate(policy: Policy, rows: Sequence[Row], generators: Sequence[str] | None) -> list[str]:
    """The generators to gate; InputError (file:line) when the policy names what the run lacks."""
    in_run = generators_of(rows)
    if not rows:
        raise InputError("the run has no result rows")
    problems: list[str] = []
    if generators:
        problems += [f"--generator: {g!r} is not a generator of the run (it has {in_run})" for g in generators if g not in in_run]
        chosen = list(generators)
    elif policy.generators:
        problems += [f"{policy.where('generators', i)}: {g!r} is not a generator of the run (it has {in_run})"
                     for i, g in enumerate(policy.generators) if g not in in_run]
        chosen = list(policy.generators)
    else:
        chosen = in_run
    scored = scorers_of(rows)
    for section, entries in (("thresholds", policy.thresholds), ("regression", policy.regression)):
        problems += [f"{policy.where(section, e.scorer)}: scorer {e.scorer!r} is not in the run's results (it has {scored})"
                     for e in entries if e.scorer not in scored]
    if problems:
        raise InputError(problems)
    return chosen


def _threshold_checks(policy: Policy, gen: str, keyed: Mapping[str, Row]) -> list[Check]:
    checks: list[Check] = []
    errors_fail = policy.errors_as_failures
    for t in policy.thresholds:
        outcomes = {c: conditions.get(c)(t, keyed, errors_fail) for c in t.conditions()}
        for c, o in outcomes.items():
            shown = ", ".join(o.culprits[:20]) + (f" … (+{len(o.culprits) - 20})" if len(o.culprits) > 20 else "")
            msg = o.detail if o.passed else f"{o.detail}; needs {o.label}; failing items: {shown or 'none'}"
            checks.append(Check("threshold", gen, t.scorer, o.label, o.passed, msg, o.observed,
                                float(getattr(t, c)), {"condition": c, "failing_items": list(o.culprits)}))
        for key, row in keyed.items():
            checks.append(_item_check(policy, gen, t, key, row, outcomes))
    return checks


def _item_check(policy: Policy, gen: str, t: Threshold, key: str, row: Row, outcomes: Mapping[str, Outcome]) -> Check:
    counted = [c for c, o in outcomes.items() if key in o.culprits]
    failed = [c for c in counted if not outcomes[c].passed]
    status = score_status(row, t.scorer)
    score = dict(row.get("scores", {}).get(t.scorer, {}))
    if row.get("error"):
        score["error"] = f"generation failed: {row['error']}"
    if status in ("error", "n/a") and not counted:
        why = "error ignored by policy (errors: ignore)" if status == "error" else "scorer did not apply"
        return Check("item", gen, t.scorer, key, None, why, score.get("value"), evidence={"status": status})
    severity = t.severity_at_least if counted == ["max_failures"] else None
    text = score_explanation(t.scorer, score, item_id=str(row["item_id"]), generator=gen,
                             answer=str(row.get("answer", "")), severity_at_least=severity) if counted else ""
    evidence = {"status": status, "conditions": counted, "tolerated": bool(counted) and not failed,
                "findings": [dict(f) for f in significant(score.get("findings", []), severity)]}
    if counted and not failed:
        text = f"tolerated by policy ({', '.join(outcomes[c].label for c in counted)} passed)\n{text}"
    return Check("item", gen, t.scorer, key, not failed, text, score.get("value"), evidence=evidence)


def _paired_regression(policy: Policy, gen: str, base_gen: str, rows: Sequence[Row], base_rows: Sequence[Row],
                       r: RegressionLimit) -> Check:
    name = f"{r.metric} drop ≤ {r.max_drop:g} vs baseline"
    ps = pair_rows(base_rows, rows, base_gen, gen)
    if not ps.pairs:
        return Check("regression", gen, r.scorer, name, None, f"no items in common with baseline generator {base_gen!r}")
    cmp = compare_scorer(ps, r.scorer, policy.errors_as_failures, policy.iterations, policy.seed, policy.confidence)
    d = cmp[r.metric]
    if d["diff"] is None or d["ci"] is None:
        return Check("regression", gen, r.scorer, name, None, "no paired values to compare")
    drop = -d["diff"]
    regressed = drop > r.max_drop and d["ci_excludes_zero"] and d["ci"][0] < 0  # whole CI below 0
    pct = f"{round(policy.confidence * 100):g}%"
    msg = (f"{r.metric} {d['a']:.4f} → {d['b']:.4f} (change {d['diff']:+.4f}, paired {pct} CI "
           f"[{d['ci'][0]:+.4f}, {d['ci'][1]:+.4f}], {d['n']} items)")
    if regressed:
        msg += f": dropped more than {r.max_drop:g} and the CI excludes 0"
        newly = [t["key"] for t in cmp["newly_failing"]]
        if newly:
            msg += f"; newly failing: {', '.join(newly[:20])}"
    elif drop > r.max_drop:
        msg += ": drop is larger than the limit but the CI includes 0 (not significant)"
    return Check("regression", gen, r.scorer, name, not regressed, msg, -drop, -r.max_drop,
                 {"mode": "paired", "baseline_generator": base_gen, **d,
                  "newly_failing": cmp["newly_failing"], "newly_passing": [t["key"] for t in cmp["newly_passing"]]})


def _unpaired_regression(policy: Policy, gen: str, base_gen: str, rows: Mapping[str, Row],
                         summary: Mapping[str, Any], r: RegressionLimit) -> Check:
    name = f"{r.metric} drop ≤ {r.max_drop:g} vs baseline"
    entry = summary.get("generators", {}).get(base_gen, {}).get("scorers", {}).get(r.scorer)
    if not entry or entry.get(r.metric) is None:
        return Check("regression", gen, r.scorer, name, None,
                     f"baseline summary has no {r.metric} for {base_gen!r}/{r.scorer}")
    vals = [v for row in rows.values() if (v := metric_value(row, r.scorer, r.metric, policy.errors_as_failures)) is not None]
    ci = bootstrap_ci(vals, policy.iterations, policy.seed, policy.confidence)
    if not vals or ci is None:
        return Check("regression", gen, r.scorer, name, None, "no current values to compare")
    cur, base = sum(vals) / len(vals), float(entry[r.metric])
    base_ci = entry.get(f"{r.metric}_ci95") or [base, base]
    lo, hi = ci[0] - float(base_ci[1]), ci[1] - float(base_ci[0])  # interval subtraction: conservative
    drop = base - cur
    regressed = drop > r.max_drop and hi < 0
    msg = (f"{r.metric} {base:.4f} → {cur:.4f} (change {cur - base:+.4f}, unpaired interval [{lo:+.4f}, {hi:+.4f}]"
           f" from the two runs' own CIs; baseline is a summary, items cannot be paired)")
    if regressed:
        msg += f": dropped more than {r.max_drop:g} and the interval excludes 0"
    elif drop > r.max_drop:
        msg += ": drop is larger than the limit but the interval includes 0 (not significant)"
    return Check("regression", gen, r.scorer, name, not regressed, msg, cur - base, -r.max_drop,
                 {"mode": "unpaired", "baseline_generator": base_gen, "a": base, "b": round(cur, 6),
                  "diff": round(cur - base, 6), "ci": [round(lo, 6), round(hi, 6)], "n": len(vals)})


def _regression_checks(policy: Policy, gen: str, rows: Sequence[Row], keyed: Mapping[str, Row],
                       baseline_rows: Sequence[Row] | None, baseline_summary: Mapping[str, Any] | None,
                       baseline_generator: str | None) -> list[Check]:
    out: list[Check] = []
    base_gen = baseline_generator or gen
    if baseline_rows is not None:
        known = generators_of(baseline_rows)
    elif baseline_summary is not None:
        known = list(baseline_summary.get("generators", {}))
    else:
        known = []
    for r in policy.regression:
        name = f"{r.metric} drop ≤ {r.max_drop:g} vs baseline"
        if baseline_rows is None and baseline_summary is None:
            out.append(Check("regression", gen, r.scorer, name, None, "no baseline given (--baseline): not checked"))
        elif base_gen not in known:
            out.append(Check("regression", gen, r.scorer, name, None,
                             f"baseline has no generator {base_gen!r} (it has {known}): not checked"))
        elif baseline_rows is not None:
            out.append(_paired_regression(policy, gen, base_gen, rows, baseline_rows, r))
        else:
            assert baseline_summary is not None
            out.append(_unpaired_regression(policy, gen, base_gen, keyed, baseline_summary, r))
    return out


def evaluate_gate(policy: Policy, rows: Sequence[Row], *, baseline_rows: Sequence[Row] | None = None,
                  baseline_summary: Mapping[str, Any] | None = None, baseline_generator: str | None = None,
                  generators: Sequence[str] | None = None) -> GateResult:
    """Every check of `policy` on `rows`, per gated generator; regression only with a baseline."""
    chosen = _validate(policy, rows, generators)
    if baseline_generator and baseline_rows is not None and baseline_generator not in generators_of(baseline_rows):
        raise InputError(f"--baseline-generator: the baseline has no generator {baseline_generator!r} "
                         f"(it has {generators_of(baseline_rows)})")
    checks: list[Check] = []
    for gen in chosen:
        keyed = keyed_rows(rows, gen)
        checks += _threshold_checks(policy, gen, keyed)
        checks += _regression_checks(policy, gen, rows, keyed, baseline_rows, baseline_summary, baseline_generator)
    mode = "paired" if baseline_rows is not None else "unpaired" if baseline_summary is not None else None
    notes = []
    if mode == "unpaired" and policy.regression:
        notes.append("The baseline is a summary.json, so answers cannot be matched item by item: regression "
                     "checks are unpaired (the difference's interval is built from the two runs' own confidence "
                     "intervals, which is conservative). Pass a baseline run folder for a paired check.")
    if mode is None and policy.regression:
        notes.append("No baseline given: regression checks were not run.")
    errors = sum(1 for r in rows if r.get("generator") in chosen and r.get("error"))
    if errors:
        notes.append(f"{errors} answers failed to generate; policy errors: {policy.errors} "
                     f"({'counted as failures' if policy.errors_as_failures else 'left out of every check'}).")
    return GateResult(tuple(checks), tuple(chosen), mode, tuple(notes))
