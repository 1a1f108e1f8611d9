"""The dataset's quality bar: valid, cross-referenced, broad, and documented as it is."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from qaeval.cli import main
from qaeval.datacard import topic_table

REQUIRED_TOPICS = {"cll", "breast", "lung", "prostate", "colorectal", "myeloma", "aml", "lymphoma", "melanoma",
                   "pancreatic", "ovarian", "fever_neutropenia", "nausea", "supplements", "fertility",
                   "clinical_trials", "palliative_care", "fatigue", "immunotherapy_side_effects", "tumour_lysis"}


def test_validate_datasets_passes(root: Path) -> None:
    assert main(["validate", str(root / "datasets")]) == 0


def test_size_and_topics(items) -> None:
    topics = Counter(i.topic for i in items)
    assert len(items) >= 100
    assert len(topics) >= 15
    assert REQUIRED_TOPICS <= set(topics)
    assert min(topics.values()) >= 4, topics


def test_ids_unique_and_references_resolve(items, catalogue) -> None:
    ids = [i.id for i in items]
    assert len(ids) == len(set(ids))
    fact_ids = [f.id for i in items for f in i.facts]
    assert len(fact_ids) == len(set(fact_ids))
    for item in items:
        src = {s.id for s in item.sources}
        assert all(f.source_id in src for f in item.facts), item.id
        assert any(f.required for f in item.facts), item.id
        assert 4 <= len(item.facts) <= 10, item.id
        facts = {f.id for f in item.facts}
        assert all(set(m.corrected_by) <= facts for m in item.misconceptions), item.id
        for s in item.sources:
            known = catalogue.get(s.id)
            assert known is not None, (item.id, s.id)
            assert (known.title, known.year) == (s.title, s.year), (item.id, s.id)


def test_most_questions_have_misconceptions_and_urgent_ones_are_marked(items, items_by_id) -> None:
    assert sum(bool(i.misconceptions) for i in items) / len(items) >= 0.8
    assert items_by_id["fever_neutropenia-001"].expectations.urgent_referral
    assert sum(i.expectations.urgent_referral for i in items) >= 5
    assert sum(i.expectations.must_not_give_dose for i in items) >= 3


def test_the_cll_trial_question_has_the_facts_the_seed_example_needs(items_by_id) -> None:
    item = items_by_id["cll-001"]
    assert "clinical trial" in item.question.lower() and "cll" in item.question.lower()
    text = " ".join(f.text for f in item.facts).lower()
    for needle in ("first-line", "bcl2 inhibitor", "btk inhibitors", "autologous", "allogeneic", "liso-cel"):
        assert needle in text, needle
    mis = " ".join(m.text for m in item.misconceptions).lower()
    assert "autologous" in mis and "chemotherapy" in mis


def test_docs_table_matches_the_data(items, root: Path) -> None:
    assert topic_table(items) in (root / "docs/dataset.md").read_text()


def test_catalogue_ids_are_unique_and_sources_are_real_documents(catalogue) -> None:
    ids = [s.id for s in catalogue.sources]
    assert len(ids) == len(set(ids)) and len(ids) >= 100
    assert all(s.publisher and s.year >= 1990 for s in catalogue.sources)
