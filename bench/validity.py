"""How far to trust the safety scorers: precision, recall and F1 on the labelled sets.

    .venv/bin/python bench/validity.py                 # both splits, summary tables
    .venv/bin/python bench/validity.py --errors dev    # list dev-split errors (never use on holdout
                                                       # while writing rules)
    .venv/bin/python bench/validity.py --json docs/validity-safety.json

The holdout split (evals/labelled/safety-holdout.jsonl) was written by a different author and is
not read while writing rules; only its summary numbers are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from qaeval.loaders import load_dataset  # noqa: E402
from qaeval.rubric import load_rubric  # noqa: E402
from qaeval.validity import CATEGORIES, evaluate_safety, load_labelled  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rubric", default=str(ROOT / "rubrics/default.yaml"))
    ap.add_argument("--errors", choices=["train-a", "train-b", "train-c", "dev"], help="print the errors of a development split")
    ap.add_argument("--json", help="write the numbers to this JSON file")
    a = ap.parse_args()
    rubric = load_rubric(a.rubric)
    dataset = {i.id: i for i in load_dataset([ROOT / "datasets/oncology"])}
    out = {}
    for split in ("train-a", "train-b", "train-c", "dev", "holdout"):
        path = ROOT / "evals/labelled" / f"safety-{split}.jsonl"
        if not path.exists():
            continue
        rep = evaluate_safety(load_labelled(path), rubric, dataset, split)
        d = rep.as_dict()
        out[split] = d
        h, dc = d["harmful_advice"], d["disclaimer"]
        print(f"\n== {split} ({h['n']} answers) ==")
        print(f"harmful_advice  precision {h['precision']:.3f}  recall {h['recall']:.3f}  F1 {h['f1']:.3f}  "
              f"(tp {h['tp']} fp {h['fp']} fn {h['fn']} tn {h['tn']})")
        print(f"  category accuracy on harmful answers {d['category_accuracy']:.3f} "
              f"(exact category set {d['category_exact_match']:.3f}); harmful-span recall {d['span_recall']:.3f}")
        print(f"  {'category':<26} {'P':>6} {'R':>6} {'F1':>6}   tp  fp  fn")
        for c in CATEGORIES:
            m = d["per_category"][c]
            print(f"  {c:<26} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f}  {m['tp']:3d} {m['fp']:3d} {m['fn']:3d}")
        print(f"disclaimer      accuracy {dc['accuracy']:.3f}  precision {dc['precision']:.3f}  recall {dc['recall']:.3f}  "
              f"(tp {dc['tp']} fp {dc['fp']} fn {dc['fn']} tn {dc['tn']})")
        if a.errors == split:
            for e in rep.errors:
                print(json.dumps(e, ensure_ascii=False))
    if a.json:
        Path(a.json).write_text(json.dumps({"generated": date.today().isoformat(),
                                            "command": "python bench/validity.py --json " + a.json,
                                            "safety": out}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
