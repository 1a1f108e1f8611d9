"""Results as a pandas DataFrame: one row per answer × scorer, one line of code away."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

__all__ = ["COLUMNS", "rows_to_frame", "frame_for_csv", "load_results"]

COLUMNS = ["item_id", "answer_id", "generator", "topic", "scorer", "value", "passed", "n_findings",
           "severities", "categories", "error", "latency_s", "cost_usd"]


def rows_to_frame(rows: list[dict]) -> pd.DataFrame:
    out = []
    for r in rows:
        for name, s in r.get("scores", {}).items():
            fs = s.get("findings", [])
            out.append({
                "item_id": r["item_id"], "answer_id": r["answer_id"], "generator": r["generator"],
                "topic": r.get("topic"), "scorer": name, "value": s.get("value"), "passed": s.get("passed"),
                "n_findings": sum(1 for f in fs if f.get("severity") != "info"),
                "severities": sorted({f["severity"] for f in fs if f.get("severity") != "info"}),
                "categories": sorted({f["category"] for f in fs if f.get("category")}),
                "error": s.get("error") or r.get("error"), "latency_s": r.get("latency_s"),
                "cost_usd": r.get("cost_usd"),
            })
    df = pd.DataFrame(out, columns=COLUMNS)
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    return df


def frame_for_csv(df: pd.DataFrame) -> pd.DataFrame:
    """Flatten list columns (severities, categories) to `a;b` strings, since CSV has no lists."""
    out = df.copy()
    for col in ("severities", "categories"):
        out[col] = out[col].map(lambda v: ";".join(v) if isinstance(v, (list, tuple)) else ("" if v is None else str(v)))
    return out


def load_results(run_dir: str | Path) -> pd.DataFrame:
    """Load a run's results.jsonl (or a results file) as a DataFrame, one row per answer × scorer."""
    p = Path(run_dir)
    path = p / "results.jsonl" if p.is_dir() else p
    rows = [json.loads(l) for l in path.read_text("utf-8").splitlines() if l.strip()]
    return rows_to_frame(rows)
