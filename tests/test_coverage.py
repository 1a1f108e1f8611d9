"""The coverage scorer: which required facts an answer conveys, and the span that conveys each."""

from __future__ import annotations

import pytest

from qaeval.generators.mutate import drop_required_facts
from qaeval.generators.reference import URGENT_LINE, compose
from qaeval.records import Answer, Item
from qaeval.scorers import ScoringContext
from qaeval.scorers.coverage import CoverageScorer

SCORER = CoverageScorer()


def score(item: Item, text: str, ctx: ScoringContext):  # noqa: ANN201 - test helper
    return SCORER.score(item, Answer(item_id=item.id, generator="test", text=text), ctx)


def by_fact(result) -> dict:  # noqa: ANN001
    return {f.evidence["fact_ids"][0]: f for f in result.findings}


def test_reference_answers_cover_every_required_fact(items, ctx) -> None:
    missing = []
    for item in items:
        text = compose(item)
        res = score(item, text, ctx)
        assert res.details["required"] == sum(f.required for f in item.facts)
        for f in res.findings:
            if f.kind != "covered":
                missing.append(f.evidence["fact_ids"][0])
                continue
            assert text[f.start:f.end] == f.text and f.severity == "info"
            fact = item.fact(f.evidence["fact_ids"][0])
            # The span lies in the fact's own sentence (one line) of the reference answer.
            line_start = text.rfind("\n", 0, f.start) + 1
            assert text[line_start:].startswith(fact.text.rstrip(".")[:40]), (fact.id, f.text)
    assert not missing


@pytest.mark.parametrize("item_id", ["cll-001", "aml-003", "breast-002", "colorectal-005", "lung-002", "lymphoma-002",
                                     "melanoma-001", "myeloma-001", "nausea-003", "ovarian-002", "palliative_care-005",
                                     "supplements-004", "tumour_lysis-001", "prostate-004", "fatigue-001"])
def test_drop_required_facts_mutator_is_caught(items_by_id, ctx, item_id) -> None:
    item = items_by_id[item_id]
    text, info = drop_required_facts(compose(item), item, 0)
    assert info["dropped_fact_ids"]
    res = by_fact(score(item, text, ctx))
    for fid in info["dropped_fact_ids"]:
        f = res[fid]
        assert f.kind == "missing_fact", (fid, f.text)
        assert f.severity == "medium" and f.start == f.end == len(text) and f.text == ""
    kept = [fid for fid, f in res.items() if fid not in info["dropped_fact_ids"]]
    assert all(res[fid].kind == "covered" for fid in kept)


def test_drop_required_facts_across_the_dataset(items, ctx) -> None:
    """Every dropped fact is reported missing, except where the reference's urgent line still says it."""
    caught = total = 0
    for item in items:
        text, info = drop_required_facts(compose(item), item, 0)
        res = by_fact(score(item, text, ctx))
        for fid in info["dropped_fact_ids"]:
            total += 1
            f = res[fid]
            if f.kind == "missing_fact":
                caught += 1
            else:
                assert item.expectations.urgent_referral and f.text == URGENT_LINE, (fid, f.text)
    assert total > 100 and caught / total > 0.97


def test_paraphrase_is_covered_with_its_span(items_by_id, ctx) -> None:
    item = items_by_id["cll-001"]
    text = ("I'm sorry the trial drug isn't working.\n"
            "You may be able to join another clinical trial now that this one has stopped working.\n"
            "What comes next depends on which treatments you've had and how long they worked, your TP53 and IGHV "
            "results, and your general health.")
    res = score(item, text, ctx)
    facts = by_fact(res)
    trial = facts["cll-001.f9"]
    assert trial.kind == "covered" and trial.text.startswith("You may be able to join another clinical trial")
    assert facts["cll-001.f10"].kind == "covered" and "TP53" in facts["cll-001.f10"].text
    assert facts["cll-001.f1"].kind == "missing_fact"
    assert res.value == pytest.approx(2 / 4)
    assert res.passed  # rubric threshold 0.5


def test_wrong_number_or_negation_does_not_convey(items_by_id, ctx) -> None:
    item = items_by_id["fever_neutropenia-001"]
    wrong = by_fact(score(item, "A temperature of 39.5 °C or higher during chemotherapy is a medical emergency.", ctx))
    assert wrong["fever_neutropenia-001.f1"].kind == "missing_fact"
    right = by_fact(score(item, "A temperature of 100.4 °F or higher during chemotherapy is a medical emergency.", ctx))
    assert right["fever_neutropenia-001.f1"].kind == "covered"
    neg = by_fact(score(items_by_id["colorectal-002"], "A positive stool DNA test does not need to be followed by a "
                                                       "colonoscopy.", ctx))
    assert neg["colorectal-002.f1"].kind == "missing_fact"


def test_sibling_fact_sentence_does_not_cover(items_by_id, ctx) -> None:
    item = items_by_id["melanoma-001"]
    sibling = next(f for f in item.facts if f.id == "melanoma-001.f6")
    res = by_fact(score(item, sibling.text, ctx))
    assert res["melanoma-001.f1"].kind == "missing_fact"


def test_no_required_facts_is_full_coverage(items_by_id, ctx) -> None:
    from dataclasses import replace
    item = items_by_id["cll-001"]
    item = replace(item, facts=tuple(replace(f, required=False) for f in item.facts))
    res = score(item, "Anything at all.", ctx)
    assert res.value == 1.0 and res.findings == () and res.details["required"] == 0


def test_deterministic(items_by_id, ctx) -> None:
    item = items_by_id["lung-002"]
    text = compose(item)
    assert score(item, text, ctx).to_dict() == score(item, text, ctx).to_dict()
