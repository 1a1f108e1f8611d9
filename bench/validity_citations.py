"""Validity of the `citations` scorer against the hand-labelled answers in evals/labelled/.

For each split (dev: tuned on; holdout: written before any tuning and never tuned on) it prints
bad-citation detection precision / recall / F1 at two levels:

- citation level: a gold citation labelled mismatched/fabricated/unverifiable is found when a
  citation the scorer calls bad overlaps it; a citation the scorer calls bad that overlaps no
  gold bad citation is a false positive (that includes spurious extractions);
- answer level: does the answer contain at least one bad citation?

plus extraction recall/precision (any predicted citation overlapping a gold one), the 4-class
confusion matrix on matched citations, and the mean ALCE citation precision/recall.
"today" is pinned (default 2026-11-25) so year checks are reproducible.

    python bench/validity_citations.py [--split dev|holdout|all] [--today 2026-11-25] [--show] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from qaeval.loaders import load_catalogue, load_dataset  # noqa: E402
from qaeval.records import Answer  # noqa: E402
from qaeval.rubric import load_rubric  # noqa: E402
from qaeval.scorers import ScoringContext  # noqa: E402
from qaeval.scorers.citations import CitationScorer  # noqa: E402
from qaeval.validation import read_jsonl  # noqa: E402

LABELS = ("supporting", "mismatched", "fabricated", "unverifiable")
FILES = {"dev": ROOT / "evals" / "labelled" / "citations-dev.jsonl",
         "holdout": ROOT / "evals" / "labelled" / "citations-holdout.jsonl"}


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def evaluate(rows: list[dict[str, Any]], today: str, show: bool = False) -> dict[str, Any]:
    items = {i.id: i for i in load_dataset([ROOT / "datasets" / "oncology"])}
    ctx = ScoringContext(rubric=load_rubric(ROOT / "rubrics" / "default.yaml"),
                         catalogue=load_catalogue([ROOT / "datasets" / "sources"]))
    scorer = CitationScorer(today=today)
    tp = fp = fn = 0
    a_tp = a_fp = a_fn = a_tn = 0
    ext_hit = ext_gold = ext_pred = ext_pred_hit = 0
    confusion: Counter[tuple[str, str]] = Counter()
    alce_p: list[float] = []
    alce_r: list[float] = []
    errors: list[str] = []
    for row in rows:
        item = items[row["item_id"]]
        res = scorer.score(item, Answer(item_id=item.id, generator="labelled", text=row["answer"]), ctx)
        preds = [(f.start, f.end, f.kind.removeprefix("citation_"), f.text, f.evidence.get("reason", ""))
                 for f in res.findings if f.kind.startswith("citation_")]
        gold = []
        seen: dict[str, int] = {}
        for g in row["citations"]:
            # a text cited twice is labelled twice: the n-th label goes to the n-th occurrence
            s = row["answer"].find(g["text"], seen.get(g["text"], 0))
            seen[g["text"]] = s + len(g["text"])
            gold.append((s, s + len(g["text"]), g["label"], g["text"]))
        if res.details.get("citation_precision") is not None:
            alce_p.append(res.details["citation_precision"])
        if res.details.get("citation_recall") is not None:
            alce_r.append(res.details["citation_recall"])

        def overlaps(a: tuple, b: tuple) -> bool:
            return a[0] < b[1] and b[0] < a[1]

        ext_gold += len(gold)
        ext_pred += len(preds)
        ext_hit += sum(1 for g in gold if any(overlaps(g, p) for p in preds))
        ext_pred_hit += sum(1 for p in preds if any(overlaps(g, p) for g in gold))
        for g in gold:
            match = [p for p in preds if overlaps(g, p)]
            pl = match[0][2] if match else "(missed)"
            confusion[(g[2], pl)] += 1
            gbad = g[2] != "supporting"
            pbad = any(p[2] != "supporting" for p in match)
            if gbad and pbad:
                tp += 1
            elif gbad:
                fn += 1
                errors.append(f"FN {row['id']}: {g[3]!r} gold={g[2]} pred={pl} " + (f"({match[0][4]})" if match else ""))
            elif pl != g[2] and show:
                errors.append(f"-- {row['id']}: {g[3]!r} gold={g[2]} pred={pl} " + (f"({match[0][4]})" if match else ""))
        for p in preds:
            if p[2] == "supporting":
                continue
            if not any(overlaps(g, p) and g[2] != "supporting" for g in gold):
                fp += 1
                errors.append(f"FP {row['id']}: {p[3]!r} pred={p[2]} ({p[4]})")
        gbad_a = any(g[2] != "supporting" for g in gold)
        pbad_a = any(p[2] != "supporting" for p in preds)
        a_tp += gbad_a and pbad_a
        a_fp += (not gbad_a) and pbad_a
        a_fn += gbad_a and not pbad_a
        a_tn += (not gbad_a) and not pbad_a
    out = {
        "answers": len(rows), "gold_citations": ext_gold,
        "gold_bad_citations": sum(v for (g, _), v in confusion.items() if g != "supporting"),
        "citation_level": prf(tp, fp, fn), "answer_level": prf(a_tp, a_fp, a_fn),
        "extraction": {"recall": round(ext_hit / ext_gold, 4) if ext_gold else 1.0,
                       "precision": round(ext_pred_hit / ext_pred, 4) if ext_pred else 1.0},
        "label_accuracy": round(sum(v for (g, p), v in confusion.items() if g == p) / max(1, ext_gold), 4),
        "confusion": {f"{g}->{p}": v for (g, p), v in sorted(confusion.items())},
        "mean_alce_precision": round(sum(alce_p) / len(alce_p), 4) if alce_p else None,
        "mean_alce_recall": round(sum(alce_r) / len(alce_r), 4) if alce_r else None,
    }
    if show:
        out["errors"] = errors
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=["dev", "holdout", "all"], default="all")
    ap.add_argument("--today", default="2026-11-25", help="run date for the year checks (ISO)")
    ap.add_argument("--show", action="store_true", help="list every error (use on dev only)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    splits = ["dev", "holdout"] if args.split == "all" else [args.split]
    report = {}
    for sp in splits:
        rows = [obj for _, obj in read_jsonl(FILES[sp], "labelled_citations")]
        report[sp] = evaluate(rows, args.today, show=args.show)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for sp, r in report.items():
        c, a = r["citation_level"], r["answer_level"]
        print(f"[{sp}] {r['answers']} answers, {r['gold_citations']} citations ({r['gold_bad_citations']} bad)")
        print(f"  bad-citation detection, citation level: P={c['precision']:.3f} R={c['recall']:.3f} F1={c['f1']:.3f} "
              f"(tp={c['tp']} fp={c['fp']} fn={c['fn']})")
        print(f"  bad-citation detection, answer level:   P={a['precision']:.3f} R={a['recall']:.3f} F1={a['f1']:.3f} "
              f"(tp={a['tp']} fp={a['fp']} fn={a['fn']})")
        print(f"  extraction recall={r['extraction']['recall']:.3f} precision={r['extraction']['precision']:.3f}; "
              f"4-class label accuracy={r['label_accuracy']:.3f}; mean ALCE precision={r['mean_alce_precision']} "
              f"recall={r['mean_alce_recall']}")
        print("  confusion (gold->pred): " + ", ".join(f"{k}={v}" for k, v in r["confusion"].items()))
        for e in r.get("errors", []):
            print("   ", e)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
