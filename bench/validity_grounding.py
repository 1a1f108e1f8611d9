"""Validity of the `grounding` scorer on the labelled sets in evals/labelled/grounding-*.jsonl.

Prints, per split, answer-level precision / recall / F1 for "this answer contains a contradiction"
and the claim-level confusion between labelled and predicted claims (supported / unsupported /
contradicted, plus labelled claims the extractor did not return as a claim). The dev split is the
one thresholds were tuned on; the holdout split was written before tuning and is only measured.

    .venv/bin/python bench/validity_grounding.py                 # both splits
    .venv/bin/python bench/validity_grounding.py --split dev --errors
    .venv/bin/python bench/validity_grounding.py --json          # machine-readable
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from qaeval.loaders import load_dataset  # noqa: E402
from qaeval.records import Answer  # noqa: E402
from qaeval.rubric import load_rubric  # noqa: E402
from qaeval.scorers import ScoringContext  # noqa: E402
from qaeval.scorers.coverage import CoverageScorer  # noqa: E402
from qaeval.scorers.grounding import GroundingScorer  # noqa: E402

LABELS = ("supported", "unsupported", "contradicted")
PRIORITY = {"contradicted": 3, "supported": 2, "unsupported": 1}


def load(split: str) -> list[dict[str, Any]]:
    path = ROOT / "evals" / "labelled" / f"grounding-{split}.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def predicted_label(findings: list[Any], start: int, end: int) -> str:
    """The most severe finding overlapping a labelled span, or 'not_extracted'."""
    best = None
    for f in findings:
        if f.end <= start or f.start >= end or f.kind not in PRIORITY:
            continue
        overlap = min(f.end, end) - max(f.start, start)
        if overlap < 0.3 * min(end - start, f.end - f.start):
            continue
        if best is None or PRIORITY[f.kind] > PRIORITY[best]:
            best = f.kind
    return best or "not_extracted"


def evaluate(records: list[dict[str, Any]], items: dict[str, Any], ctx: ScoringContext,
             errors: bool = False) -> dict[str, Any]:
    scorer = GroundingScorer()
    coverage = CoverageScorer()
    ctp = cfp = cfn = 0
    tp = fp = fn = tn = 0
    confusion = {g: {p: 0 for p in (*LABELS, "not_extracted")} for g in LABELS}
    checks: dict[str, int] = {}
    err_lines: list[str] = []
    t0 = time.perf_counter()
    for r in records:
        item = items[r["item_id"]]
        res = scorer.score(item, Answer(item_id=item.id, generator="labelled", text=r["answer"]), ctx)
        pred = any(f.kind == "contradicted" for f in res.findings)
        gold = bool(r["contradicted"])
        tp += pred and gold
        fp += pred and not gold
        fn += gold and not pred
        tn += not pred and not gold
        for f in res.findings:
            if f.kind == "contradicted":
                checks[f.evidence.get("check", "?")] = checks.get(f.evidence.get("check", "?"), 0) + 1
        # Coverage: a required fact counts as conveyed when a labelled supported claim names it.
        cres = coverage.score(item, Answer(item_id=item.id, generator="labelled", text=r["answer"]), ctx)
        gold_cov = {fid for c in r["claims"] if c["label"] == "supported" for fid in c.get("fact_ids", [])}
        for f in cres.findings:
            fid = f.evidence["fact_ids"][0]
            pc, gc = f.kind == "covered", fid in gold_cov
            ctp += pc and gc
            cfp += pc and not gc
            cfn += gc and not pc
            if errors and pc != gc:
                err_lines.append(f"  {r['id']} COVERAGE gold={gc} pred={pc} {fid} :: {f.text[:80]}")
        for c in r["claims"]:
            s = r["answer"].find(c["text"])
            p = predicted_label(list(res.findings), s, s + len(c["text"]))
            confusion[c["label"]][p] += 1
            if errors and p != c["label"]:
                err_lines.append(f"  {r['id']} gold={c['label']:<12} pred={p:<13} {c['text'][:110]}")
        if errors and pred != gold:
            err_lines.append(f"{r['id']} ANSWER gold={gold} pred={pred} ({r['notes']})")
            for f in res.findings:
                if f.kind == "contradicted":
                    err_lines.append(f"    fired {f.evidence.get('check')} {f.evidence.get('fact_ids')} "
                                     f"{f.evidence.get('misconception_id', '')} sim={f.evidence.get('similarity')} :: {f.text[:90]}")
    elapsed = time.perf_counter() - t0
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    n_claims = sum(sum(row.values()) for row in confusion.values())
    acc = sum(confusion[g][g] for g in LABELS) / n_claims if n_claims else 0.0
    return {"answers": len(records), "contradicted_answers": tp + fn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": round(prec, 3), "recall": round(rec, 3), "f1": round(f1, 3),
            "claims": n_claims, "claim_accuracy": round(acc, 3), "confusion": confusion,
            "contradiction_checks": dict(sorted(checks.items())), "seconds": round(elapsed, 2),
            "coverage": {"tp": ctp, "fp": cfp, "fn": cfn,
                         "precision": round(ctp / (ctp + cfp), 3) if ctp + cfp else 0.0,
                         "recall": round(ctp / (ctp + cfn), 3) if ctp + cfn else 0.0},
            "errors": err_lines}


def render(split: str, m: dict[str, Any]) -> str:
    lines = [f"== {split}: {m['answers']} answers ({m['contradicted_answers']} with a contradiction), "
             f"{m['claims']} labelled claims, {m['seconds']} s",
             f"answer-level contradiction: precision {m['precision']:.3f}  recall {m['recall']:.3f}  "
             f"F1 {m['f1']:.3f}   (tp {m['tp']}, fp {m['fp']}, fn {m['fn']}, tn {m['tn']})",
             f"claim-level accuracy {m['claim_accuracy']:.3f}; rows = labelled, columns = predicted",
             f"  {'':<14}{'supported':>11}{'unsupported':>13}{'contradicted':>14}{'not_extracted':>15}"]
    for g in LABELS:
        row = m["confusion"][g]
        lines.append(f"  {g:<14}{row['supported']:>11}{row['unsupported']:>13}{row['contradicted']:>14}{row['not_extracted']:>15}")
    lines.append(f"  checks that fired on contradicted claims: {m['contradiction_checks']}")
    cv = m["coverage"]
    lines.append(f"coverage of required facts (gold: a labelled supported claim names the fact): precision "
                 f"{cv['precision']:.3f}  recall {cv['recall']:.3f}  (tp {cv['tp']}, fp {cv['fp']}, fn {cv['fn']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("dev", "holdout", "all"), default="all")
    ap.add_argument("--errors", action="store_true", help="list misclassified answers and claims")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    items = {i.id: i for i in load_dataset([ROOT / "datasets" / "oncology"])}
    ctx = ScoringContext(rubric=load_rubric(ROOT / "rubrics" / "default.yaml"))
    splits = ("dev", "holdout") if args.split == "all" else (args.split,)
    out = {}
    for split in splits:
        m = evaluate(load(split), items, ctx, errors=args.errors)
        out[split] = m
        if not args.json:
            print(render(split, m))
            if args.errors:
                print("\n".join(m["errors"]))
    if args.json:
        for m in out.values():
            m.pop("errors")
        print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
