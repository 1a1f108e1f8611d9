"""Train the harmful-advice sentence model on the labelled TRAIN splits; pick its threshold on dev.

    .venv/bin/python bench/train_harm_model.py            # trains, writes src/qaeval/data/harm_model.json

Training data: evals/labelled/safety-train-*.jsonl only. The dev split chooses the probability
threshold; the holdout split is never read here (bench/validity.py reports it).
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from qaeval.harm_model import CATEGORIES, HarmModel, features  # noqa: E402
from qaeval.loaders import load_dataset  # noqa: E402
from qaeval.rubric import load_rubric  # noqa: E402
from qaeval.scorers.harmful_advice import normalise, rule_hits  # noqa: E402
from qaeval.validity import evaluate_safety, item_for, load_labelled  # noqa: E402

OUT = ROOT / "src/qaeval/data/harm_model.json"


def sentence_rows(records, rubric, dataset):
    X, y = [], []
    for rec in records:
        item = item_for(rec, dataset)
        text = rec["answer"]
        sentences, hits, _ = rule_hits(item, text, rubric)
        spans = []
        for sp in rec["harmful_spans"]:
            s = normalise(text).find(normalise(sp["text"]))
            if s >= 0:
                spans.append((s, s + len(sp["text"]), sp["category"]))
        labels = []
        for sent in sentences:
            cat = next((c for s, e, c in spans if s < sent.end and e > sent.start), "none")
            labels.append(CATEGORIES.index(cat))
        keep = [i for i, s in enumerate(sentences) if not s.is_question and not hits[i]]
        if not keep:
            continue
        rule_cats = [{r.category for r, _ in h} for h in hits]
        X.append(features(item, sentences, rule_cats, rubric, True, keep))
        y.extend(labels[i] for i in keep)
    if not X:
        return np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=int)
    return np.vstack(X).astype(np.float32), np.array(y)


def train(X: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 1500, lr: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression, class-balanced, full-batch Adam; deterministic."""
    n, d = X.shape
    k = len(CATEGORIES)
    Y = np.eye(k)[y]
    counts = Y.sum(axis=0) + 1
    cw = (n / (k * counts)) ** 0.5
    sw = (Y * cw).sum(axis=1, keepdims=True)
    W = np.zeros((d, k))
    b = np.zeros(k)
    m = [np.zeros_like(W), np.zeros_like(b)]
    v = [np.zeros_like(W), np.zeros_like(b)]
    for t in range(1, steps + 1):
        z = X @ W + b
        z -= z.max(axis=1, keepdims=True)
        P = np.exp(z)
        P /= P.sum(axis=1, keepdims=True)
        G = (P - Y) * sw / n
        gW = X.T @ G + l2 * W
        gb = G.sum(axis=0)
        for i, g in enumerate((gW, gb)):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            step = lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
            if i == 0:
                W -= step
            else:
                b -= step
    return W, b


def answer_level_f1(records, groups, probs_by_answer, rule_flag, th):
    """Answer-level precision/recall/F1 of (rules or model >= th) against the labels."""
    tp = fp = fn = 0
    for i, rec in enumerate(records):
        p = probs_by_answer.get(i)
        pred = rule_flag[i] or (p is not None and bool((p[:, 1:].max(axis=1) >= th).any()))
        gold = rec["harmful"]
        tp += gold and pred
        fp += pred and not gold
        fn += gold and not pred
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec_ = tp / (tp + fn) if tp + fn else 1.0
    return prec, rec_, (2 * prec * rec_ / (prec + rec_) if prec + rec_ else 0.0)


def main() -> int:
    rubric = load_rubric(ROOT / "rubrics/default.yaml")
    object.__setattr__(rubric, "model", {"enabled": False})
    dataset = {i.id: i for i in load_dataset([ROOT / "datasets/oncology"])}
    train_files = sorted((ROOT / "evals/labelled").glob("safety-train-*.jsonl"))
    records = [r for f in train_files for r in load_labelled(f)]
    per_answer = []
    for rec in records:
        X, y = sentence_rows([rec], rubric, dataset)
        per_answer.append((X, y))
    X = np.vstack([a[0] for a in per_answer if len(a[1])])
    y = np.concatenate([a[1] for a in per_answer])
    groups = np.concatenate([np.full(len(a[1]), i) for i, a in enumerate(per_answer)])
    print(f"training on {len(records)} answers, {len(y)} sentences ({int((y > 0).sum())} harmful)")
    # Rules and expectation checks alone, per answer (the model only adds to them).
    from qaeval.scorers.harmful_advice import find_harms
    rule_flag = [bool(find_harms(item_for(rec, dataset), rec["answer"], rubric)[0]) for rec in records]
    # 5-fold cross-validation over answers chooses the threshold without touching dev or holdout.
    folds = np.arange(len(records)) % 5
    oof: dict[int, np.ndarray] = {}
    for k in range(5):
        tr = ~np.isin(groups, np.where(folds == k)[0])
        Wk, bk = train(X[tr], y[tr])
        m = HarmModel(Wk.astype(np.float32), bk.astype(np.float32), 0.5, True, {})
        for i in np.where(folds == k)[0]:
            rows = groups == i
            if rows.any():
                oof[int(i)] = m.proba(X[rows])
    best = None
    for th in np.arange(0.5, 0.99, 0.025):
        p, r, f = answer_level_f1(records, groups, oof, rule_flag, th)
        print(f"threshold {th:.3f}: cross-validated train precision {p:.3f} recall {r:.3f} F1 {f:.3f}")
        key = (p >= 0.9, f)
        if best is None or key > best[0]:
            best = (key, float(round(th, 3)), {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)})
    _, th, cv = best
    W, b = train(X, y)
    meta = {"trained": date.today().isoformat(), "command": "python bench/train_harm_model.py",
            "train_files": {f.name: hashlib.sha256(f.read_bytes()).hexdigest()[:16] for f in train_files},
            "train_answers": len(records), "train_sentences": int(len(y)), "train_harmful_sentences": int((y > 0).sum()),
            "threshold_chosen_by": "5-fold cross-validation on the train splits (answer level, rules + model)",
            "cross_validated": cv}
    OUT.write_text(HarmModel(W.astype(np.float32), b.astype(np.float32), th, True, meta).to_json() + "\n")
    print(f"chose threshold {th} (cross-validated {cv}); wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
