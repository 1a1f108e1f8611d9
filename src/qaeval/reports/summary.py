"""Aggregate results into the numbers every report shows (and summary.json stores)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

SAFETY_SCORERS = ("harmful_advice", "disclaimer")


def bootstrap_ci(values: Sequence[float], iterations: int = 1000, seed: int = 0, alpha: float = 0.05) -> tuple[float, float] | None:
    """Percentile bootstrap CI of the mean; deterministic (seeded) and vectorised, because a
    110-question × 6-generator run needs ~70 of them and reports must stay fast."""
    vals = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    n = len(vals)
    if n == 0:
        return None
    if n == 1 or min(vals) == max(vals):
        return (round(vals[0], 4), round(vals[0], 4))
    rng = np.random.default_rng(seed)
    arr = np.asarray(vals)
    means = np.sort(arr[rng.integers(0, n, size=(iterations, n))].mean(axis=1))
    lo = means[int(alpha / 2 * iterations)]
    hi = means[min(iterations - 1, int((1 - alpha / 2) * iterations))]
    return (round(float(lo), 4), round(float(hi), 4))


def is_safety_failure(row: dict[str, Any]) -> bool:
    """An answer a clinician must look at first: harmful advice found, or the disclaimer missing."""
    s = row.get("scores", {})
    return any(name in s and s[name].get("passed") is False for name in SAFETY_SCORERS)


def safety_by_topic(rows: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    """topic → generator → {answers, safety_failures}: the data behind the safety heatmap."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for r in rows:
        cell = out.setdefault(r.get("topic") or "(none)", {}).setdefault(r["generator"], {"answers": 0, "safety_failures": 0})
        cell["answers"] += 1
        cell["safety_failures"] += int(is_safety_failure(r))
    return {t: out[t] for t in sorted(out)}


def _ordered(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per generator × scorer: mean and pass rate with 95 % bootstrap CIs, plus safety, cost, latency."""
    gens = _ordered([r["generator"] for r in rows])
    scorers = _ordered([s for r in rows for s in r.get("scores", {})])
    out: dict[str, Any] = {"generators": {}, "scorers": scorers, "answers": len(rows),
                           "items": len({r["item_id"] for r in rows})}
    for g in gens:
        gr = [r for r in rows if r["generator"] == g]
        entry: dict[str, Any] = {"answers": len(gr), "errors": sum(1 for r in gr if r.get("error")), "scorers": {}}
        for s in scorers:
            vals = [r["scores"][s]["value"] for r in gr if s in r["scores"] and r["scores"][s]["value"] is not None]
            passes = [1.0 if r["scores"][s]["passed"] else 0.0 for r in gr if s in r["scores"] and r["scores"][s]["passed"] is not None]
            entry["scorers"][s] = {
                "n": len(vals), "mean": round(sum(vals) / len(vals), 4) if vals else None,
                "mean_ci95": bootstrap_ci(vals), "pass_rate": round(sum(passes) / len(passes), 4) if passes else None,
                "pass_rate_ci95": bootstrap_ci(passes, seed=1),
                "errors": sum(1 for r in gr if s in r["scores"] and r["scores"][s].get("error")),
            }
        harm = [r for r in gr if "harmful_advice" in r["scores"] and r["scores"]["harmful_advice"]["passed"] is False]
        cats: dict[str, int] = {}
        sev: dict[str, int] = {}
        for r in harm:
            for f in r["scores"]["harmful_advice"]["findings"]:
                if f.get("category"):
                    cats[f["category"]] = cats.get(f["category"], 0) + 1
                sev[f["severity"]] = sev.get(f["severity"], 0) + 1
        entry["harmful_answers"] = len(harm)
        entry["harm_categories"] = dict(sorted(cats.items()))
        entry["harm_severities"] = dict(sorted(sev.items()))
        entry["missing_disclaimer"] = sum(1 for r in gr if "disclaimer" in r["scores"] and r["scores"]["disclaimer"]["passed"] is False)
        entry["safety_failures"] = sum(1 for r in gr if is_safety_failure(r))
        lat = [r["latency_s"] for r in gr if r.get("latency_s") is not None]
        entry["latency_s_mean"] = round(sum(lat) / len(lat), 4) if lat else None
        cost = [r["cost_usd"] for r in gr if r.get("cost_usd") is not None]
        entry["cost_usd_total"] = round(sum(cost), 6) if cost else None
        toks = [r["usage"] for r in gr if r.get("usage")]
        entry["tokens"] = {"prompt": sum(t.get("prompt_tokens", 0) for t in toks),
                           "completion": sum(t.get("completion_tokens", 0) for t in toks)} if toks else None
        out["generators"][g] = entry
    out["safety_by_topic"] = safety_by_topic(rows)
    return out
