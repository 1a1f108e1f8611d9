"""Charts for the HTML report: matplotlib (Agg, no display) → PNG `data:` URIs, so the report
stays one self-contained file that a strict Content-Security-Policy (`img-src data:`) allows."""

from __future__ import annotations

import base64
import io
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PALETTE = ["#1b6ca8", "#e07b00", "#2a9d3a", "#c22f2f", "#7b4fb0", "#8c564b", "#d45fb0", "#6b6b6b", "#a8a800", "#17a2b8"]
DPI = 80


def to_data_uri(fig: Any) -> str:
    """Encode a figure as a PNG data URI (no timestamp metadata, so reruns give the same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _short(name: str, width: int = 18) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def scores_chart(summary: dict[str, Any]) -> str | None:
    """Grouped bars per scorer, one bar per generator, 95 % CI error bars: mean and pass rate."""
    scorers: list[str] = summary["scorers"]
    gens = list(summary["generators"])
    if not scorers or not gens:
        return None
    fig, axes = plt.subplots(2, 1, figsize=(max(7.0, 1.3 * len(scorers) + 2), 6.2), sharex=True)
    x = np.arange(len(scorers))
    width = 0.8 / len(gens)
    for row, (ax, key, label) in enumerate(zip(axes, ("mean", "pass_rate"), ("mean score", "pass rate"))):
        for i, g in enumerate(gens):
            cells = [summary["generators"][g]["scorers"].get(s, {}) for s in scorers]
            vals = np.array([np.nan if c.get(key) is None else c[key] for c in cells])
            lo = np.array([0.0 if not c.get(f"{key}_ci95") or c.get(key) is None else c[key] - c[f"{key}_ci95"][0] for c in cells])
            hi = np.array([0.0 if not c.get(f"{key}_ci95") or c.get(key) is None else c[f"{key}_ci95"][1] - c[key] for c in cells])
            ax.bar(x - 0.4 + width * (i + 0.5), vals, width, yerr=np.vstack([lo.clip(0), hi.clip(0)]), capsize=2,
                   color=PALETTE[i % len(PALETTE)], label=_short(g) if row == 0 else None, error_kw={"elinewidth": 0.8})
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    axes[-1].set_xticks(x, [_short(s, 14) for s in scorers])
    axes[0].legend(ncols=min(len(gens), 4), fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.02), frameon=False)
    axes[0].set_title("error bars: 95 % bootstrap confidence interval", fontsize=9, loc="right")
    return to_data_uri(fig)


def safety_heatmap(by_topic: dict[str, dict[str, dict[str, int]]], gens: Sequence[str]) -> str | None:
    """Topic × generator: share of answers with a safety failure, annotated with the count."""
    topics = list(by_topic)
    if not topics or not gens:
        return None
    counts = np.array([[by_topic[t].get(g, {}).get("safety_failures", 0) for g in gens] for t in topics], dtype=float)
    totals = np.array([[by_topic[t].get(g, {}).get("answers", 0) for g in gens] for t in topics], dtype=float)
    rate = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(gens) + 3), max(3.0, 0.32 * len(topics) + 1.4)))
    im = ax.imshow(rate, cmap="Reds", vmin=0, vmax=1, aspect="auto")
    for (i, j), c in np.ndenumerate(counts):
        if totals[i, j]:
            ax.text(j, i, f"{int(c)}", ha="center", va="center", fontsize=8, color="white" if rate[i, j] > 0.6 else "black")
    n_items = [max(by_topic[t].get(g, {}).get("answers", 0) for g in gens) for t in topics]
    ax.set_yticks(range(len(topics)), [f"{_short(t, 26)} ({n})" for t, n in zip(topics, n_items)], fontsize=8)
    ax.set_xticks(range(len(gens)), [_short(g) for g in gens], rotation=30, ha="right", fontsize=8)
    fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02, label="share of answers")
    ax.set_title("answers with harmful advice or no disclaimer (count; questions per topic in brackets)", fontsize=9)
    return to_data_uri(fig)


def grounding_histogram(rows: list[dict[str, Any]], gens: Sequence[str], scorer: str = "grounding") -> str | None:
    """Small multiples, one histogram of the grounding score per generator, shared axes."""
    data = {g: [r["scores"][scorer]["value"] for r in rows
                if r["generator"] == g and scorer in r.get("scores", {}) and r["scores"][scorer].get("value") is not None]
            for g in gens}
    data = {g: v for g, v in data.items() if v}
    if not data:
        return None
    cols = min(3, len(data))
    nrows = -(-len(data) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 2.1 * nrows), sharex=True, sharey=True, squeeze=False)
    bins = np.linspace(0, 1, 21)
    for k, ax in enumerate(axes.flat):
        if k >= len(data):
            ax.set_visible(False)
            continue
        g = list(data)[k]
        v = data[g]
        ax.hist(v, bins=bins, color=PALETTE[list(gens).index(g) % len(PALETTE)], edgecolor="white")
        ax.set_title(f"{_short(g, 24)}  (mean {np.mean(v):.2f}, n={len(v)})", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    for ax in axes[-1]:
        ax.set_xlabel(f"{scorer} score", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("answers", fontsize=8)
    fig.tight_layout()
    return to_data_uri(fig)
