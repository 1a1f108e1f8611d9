"""Measure scorers against labelled examples: precision, recall, F1 and confusion counts.

Used by `bench/validity.py` and by tests. The numbers it prints are the ones recorded in
docs/validity.md and shown in the report's "how far to trust these scores" section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .loaders import Catalogue
from .records import Answer, Expectations, Fact, Item, Source
from .rubric import Rubric
from .scorers import ScoringContext
from .scorers.disclaimer import DisclaimerScorer
from .scorers.harmful_advice import HarmfulAdviceScorer
from .validation import read_jsonl

CATEGORIES = ("stop_or_change_treatment", "dosing_instruction", "delay_or_avoid_care", "unproven_alternative",
              "false_guarantee", "dismiss_urgent_symptom", "dangerous_interaction", "misinformation_other")


@dataclass
class Confusion:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, gold: bool, pred: bool) -> None:
        if gold and pred:
            self.tp += 1
        elif pred:
            self.fp += 1
        elif gold:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        n = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / n if n else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "accuracy": round(self.accuracy, 4),
                "n": self.tp + self.fp + self.fn + self.tn}


def item_for(record: dict[str, Any], dataset: dict[str, Item]) -> Item:
    """The item a labelled answer replies to; the record's own expectations win (they were labelled)."""
    exp = record.get("expectations") or {}
    expectations = Expectations(urgent_referral=bool(exp.get("urgent_referral")),
                                must_not_give_dose=bool(exp.get("must_not_give_dose")))
    base = dataset.get(record.get("item_id", ""))
    if base is not None:
        return Item(id=base.id, question=base.question, topic=base.topic, sources=base.sources,
                    facts=base.facts, misconceptions=base.misconceptions, expectations=expectations)
    src = Source(id="none", title="none", publisher="none", year=2025)
    return Item(id=record["id"], question=record["question"], topic=record.get("topic", "general"),
                sources=(src,), facts=(Fact(id="none.f1", text="-", source_id="none", required=True),),
                expectations=expectations)


@dataclass
class SafetyReport:
    split: str
    harmful: Confusion = field(default_factory=Confusion)
    disclaimer: Confusion = field(default_factory=Confusion)
    per_category: dict[str, Confusion] = field(default_factory=lambda: {c: Confusion() for c in CATEGORIES})
    category_hits: int = 0
    category_exact: int = 0
    gold_harmful: int = 0
    span_hits: int = 0
    spans: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "harmful_advice": self.harmful.as_dict(),
            "category_accuracy": round(self.category_hits / self.gold_harmful, 4) if self.gold_harmful else None,
            "category_exact_match": round(self.category_exact / self.gold_harmful, 4) if self.gold_harmful else None,
            "span_recall": round(self.span_hits / self.spans, 4) if self.spans else None,
            "per_category": {c: m.as_dict() for c, m in self.per_category.items()},
            "disclaimer": self.disclaimer.as_dict(),
        }


def evaluate_safety(records: Iterable[dict[str, Any]], rubric: Rubric, dataset: dict[str, Item] | None = None,
                    split: str = "") -> SafetyReport:
    """Score each labelled answer with `harmful_advice` and `disclaimer` and compare with its labels."""
    dataset = dataset or {}
    ctx = ScoringContext(rubric=rubric, catalogue=Catalogue())
    harm, disc = HarmfulAdviceScorer(), DisclaimerScorer()
    rep = SafetyReport(split=split)
    for rec in records:
        item = item_for(rec, dataset)
        ans = Answer(item_id=item.id, generator="labelled", text=rec["answer"], answer_id=rec["id"])
        h = harm.score(item, ans, ctx)
        d = disc.score(item, ans, ctx)
        pred_harm = not h.passed
        pred_cats = {f.category for f in h.findings if f.category}
        gold_cats = set(rec["categories"])
        rep.harmful.add(rec["harmful"], pred_harm)
        rep.disclaimer.add(rec["disclaimer"], bool(d.passed))
        for c in CATEGORIES:
            rep.per_category[c].add(c in gold_cats, c in pred_cats)
        if rec["harmful"]:
            rep.gold_harmful += 1
            rep.category_hits += bool(gold_cats & pred_cats)
            rep.category_exact += gold_cats == pred_cats
            for span in rec["harmful_spans"]:
                s = rec["answer"].find(span["text"])
                e = s + len(span["text"])
                rep.spans += 1
                rep.span_hits += any(f.start < e and f.end > s for f in h.findings)
        if pred_harm != rec["harmful"] or bool(d.passed) != rec["disclaimer"] or (rec["harmful"] and gold_cats != pred_cats):
            rep.errors.append({"id": rec["id"], "gold_harmful": rec["harmful"], "pred_harmful": pred_harm,
                               "gold_categories": sorted(gold_cats), "pred_categories": sorted(pred_cats),
                               "gold_disclaimer": rec["disclaimer"], "pred_disclaimer": bool(d.passed),
                               "findings": [(f.category, f.evidence.get("rule_id"), f.text[:160]) for f in h.findings],
                               "disclaimer_forms": d.details.get("forms_found")})
    return rep


def load_labelled(path: Path) -> list[dict[str, Any]]:
    return [obj for _, obj in read_jsonl(path, "labelled_safety")]
