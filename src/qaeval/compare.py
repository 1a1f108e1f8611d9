"""Compare two runs item by item: paired differences with bootstrap CIs, new failures, new passes.

Two runs of the same suite answer the same questions, so the honest comparison is *paired*: the
difference is taken per item and the items are resampled together. That cancels out how hard each
question is, which makes the interval far narrower than comparing two means. Pure: rows in, dict
out; seeded, so the same inputs always give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .errors import InputError
from .findings_text import significant

Row = Mapping[str, Any]
METRICS = ("mean", "pass_rate")


def score_status(row: Row, scorer: str) -> str:
    """`pass`, `fail`, `error` (generation or scorer failed) or `n/a` (scorer absent or abstained)."""
    s = row.get("scores", {}).get(scorer)
    if row.get("error"):
        return "error"
    if s is None:
        return "n/a"
    if s.get("error"):
        return "error"
    if s.get("passed") is True:
        return "pass"
    if s.get("passed") is False:
        return "fail"
    return "n/a"


def metric_value(row: Row, scorer: str, metric: str = "mean", errors_as_failures: bool = True) -> float | None:
    """The number a row contributes: its value (mean) or 1/0 (pass_rate); an error counts as 0 or is left out."""
    status = score_status(row, scorer)
    if status == "error":
        return 0.0 if errors_as_failures else None
    if status == "n/a" and metric == "pass_rate":
        return None
    if metric == "pass_rate":
        return 1.0 if status == "pass" else 0.0
    value = row.get("scores", {}).get(scorer, {}).get("value")
    return None if value is None else float(value)


def bootstrap_ci(values: Sequence[float], iterations: int = 2000, seed: int = 0,
                 confidence: float = 0.95) -> tuple[float, float] | None:
    """Percentile bootstrap CI of the mean of `values` (for paired use: of per-item differences)."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    n = len(arr)
    if n == 0:
        return None
    if n == 1 or float(arr.min()) == float(arr.max()):
        return (float(arr.mean()), float(arr.mean()))
    rng = np.random.default_rng(seed)
    means = np.sort(arr[rng.integers(0, n, size=(iterations, n))].mean(axis=1))
    alpha = 1.0 - confidence
    lo = means[int(alpha / 2 * iterations)]
    hi = means[min(iterations - 1, int((1 - alpha / 2) * iterations))]
    return (float(lo), float(hi))


@dataclass(frozen=True)
class PairSet:
    """The answers of generator A (run A) and generator B (run B) to the same items."""

    generator_a: str
    generator_b: str
    pairs: tuple[tuple[str, Row, Row], ...]
    only_a: tuple[str, ...] = ()
    only_b: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.generator_a if self.generator_a == self.generator_b else f"{self.generator_a} → {self.generator_b}"


def keyed_rows(rows: Iterable[Row], generator: str) -> dict[str, Row]:
    """Rows of one generator keyed by item id (a second answer to the same item gets `#2`)."""
    out: dict[str, Row] = {}
    for r in rows:
        if r.get("generator") != generator:
            continue
        key, k = str(r["item_id"]), 1
        while key in out:
            k += 1
            key = f"{r['item_id']}#{k}"
        out[key] = r
    return out


def generators_of(rows: Iterable[Row]) -> list[str]:
    return list(dict.fromkeys(str(r.get("generator")) for r in rows))


def pair_generators(rows_a: Sequence[Row], rows_b: Sequence[Row], generator_a: str | None = None,
                    generator_b: str | None = None) -> list[tuple[str, str]]:
    """Which generator of A is compared with which of B: the named pair, or every shared id."""
    gens_a, gens_b = generators_of(rows_a), generators_of(rows_b)
    if generator_a or generator_b:
        ga, gb = generator_a or generator_b, generator_b or generator_a
        problems = []
        if ga not in gens_a:
            problems.append(f"--generator-a: run A has no generator {ga!r} (it has {gens_a})")
        if gb not in gens_b:
            problems.append(f"--generator-b: run B has no generator {gb!r} (it has {gens_b})")
        if problems:
            raise InputError(problems)
        return [(str(ga), str(gb))]
    shared = [g for g in gens_a if g in gens_b]
    if shared:
        return [(g, g) for g in shared]
    if len(gens_a) == 1 and len(gens_b) == 1:
        return [(gens_a[0], gens_b[0])]
    raise InputError(f"the runs share no generator id (A: {gens_a}, B: {gens_b}): "
                     "pick the pair with --generator-a and --generator-b")


def pair_rows(rows_a: Sequence[Row], rows_b: Sequence[Row], generator_a: str, generator_b: str) -> PairSet:
    """Match the two generators' answers by item id (the unit the bootstrap resamples)."""
    a, b = keyed_rows(rows_a, generator_a), keyed_rows(rows_b, generator_b)
    return PairSet(generator_a, generator_b,
                   pairs=tuple((k, a[k], b[k]) for k in a if k in b),
                   only_a=tuple(k for k in a if k not in b), only_b=tuple(k for k in b if k not in a))


def paired_difference(ps: PairSet, scorer: str, metric: str = "mean", errors_as_failures: bool = True,
                      iterations: int = 2000, seed: int = 0, confidence: float = 0.95) -> dict[str, Any]:
    """Mean of B − A over items where both have a number, with its paired bootstrap CI."""
    a_vals, b_vals = [], []
    for _, ra, rb in ps.pairs:
        va = metric_value(ra, scorer, metric, errors_as_failures)
        vb = metric_value(rb, scorer, metric, errors_as_failures)
        if va is not None and vb is not None:
            a_vals.append(va)
            b_vals.append(vb)
    n = len(a_vals)
    diffs = [vb - va for va, vb in zip(a_vals, b_vals)]
    ci = bootstrap_ci(diffs, iterations, seed, confidence)
    return {
        "metric": metric, "n": n,
        "a": round(sum(a_vals) / n, 6) if n else None,
        "b": round(sum(b_vals) / n, 6) if n else None,
        "diff": round(sum(diffs) / n, 6) if n else None,
        "ci": None if ci is None else [round(ci[0], 6), round(ci[1], 6)],
        # decided on unrounded bounds so rounding never flips a verdict
        "ci_excludes_zero": bool(ci is not None and (ci[0] > 0 or ci[1] < 0)),
    }


def _transition(key: str, ra: Row, rb: Row, scorer: str) -> dict[str, Any]:
    sb = rb.get("scores", {}).get(scorer, {})
    return {"item_id": str(ra["item_id"]), "key": key, "status_a": score_status(ra, scorer),
            "status_b": score_status(rb, scorer), "value_a": ra.get("scores", {}).get(scorer, {}).get("value"),
            "value_b": sb.get("value"), "error_b": rb.get("error") or sb.get("error"),
            "findings_b": [dict(f) for f in significant(sb.get("findings", []))]}


def compare_scorer(ps: PairSet, scorer: str, errors_as_failures: bool = True, iterations: int = 2000,
                   seed: int = 0, confidence: float = 0.95) -> dict[str, Any]:
    """One scorer of one generator pair: mean and pass-rate differences, and which items flipped."""
    kw = dict(errors_as_failures=errors_as_failures, iterations=iterations, seed=seed, confidence=confidence)
    bad = ("fail", "error") if errors_as_failures else ("fail",)
    newly_failing, newly_passing = [], []
    for key, ra, rb in ps.pairs:
        sa, sb = score_status(ra, scorer), score_status(rb, scorer)
        if sa == "pass" and sb in bad:
            newly_failing.append(_transition(key, ra, rb, scorer))
        elif sa in bad and sb == "pass":
            newly_passing.append(_transition(key, ra, rb, scorer))
    return {"mean": paired_difference(ps, scorer, "mean", **kw),
            "pass_rate": paired_difference(ps, scorer, "pass_rate", **kw),
            "newly_failing": newly_failing, "newly_passing": newly_passing}


def scorers_of(rows: Iterable[Row]) -> list[str]:
    return list(dict.fromkeys(s for r in rows for s in r.get("scores", {})))


def compare_runs(rows_a: Sequence[Row], rows_b: Sequence[Row], *, generator_a: str | None = None,
                 generator_b: str | None = None, scorers: Sequence[str] | None = None,
                 errors_as_failures: bool = True, iterations: int = 2000, seed: int = 0,
                 confidence: float = 0.95) -> dict[str, Any]:
    """Run A (before) vs run B (after): per generator pair and scorer, B − A with a paired CI."""
    if not rows_a or not rows_b:
        raise InputError("both runs need at least one result row")
    known_a, known_b = scorers_of(rows_a), scorers_of(rows_b)
    names = list(scorers) if scorers else [s for s in known_a if s in known_b]
    unknown = [s for s in names if s not in known_a or s not in known_b]
    if unknown:
        raise InputError(f"--scorers: {unknown} not scored in both runs (A: {known_a}, B: {known_b})")
    out: dict[str, Any] = {"iterations": iterations, "seed": seed, "confidence": confidence,
                           "errors_as_failures": errors_as_failures, "scorers": names, "pairs": []}
    for ga, gb in pair_generators(rows_a, rows_b, generator_a, generator_b):
        ps = pair_rows(rows_a, rows_b, ga, gb)
        out["pairs"].append({
            "generator_a": ga, "generator_b": gb, "label": ps.label, "n_pairs": len(ps.pairs),
            "only_in_a": list(ps.only_a), "only_in_b": list(ps.only_b),
            "scorers": {s: compare_scorer(ps, s, errors_as_failures, iterations, seed, confidence) for s in names},
        })
    return out
