"""Every mutator injects one known defect, deterministically, and its scorer catches it."""

from __future__ import annotations

import asyncio

import pytest

from qaeval.generators import GeneratorContext
from qaeval.generators.mutate import HARM_CATEGORIES, harm_catalogue
from qaeval.records import Answer
from qaeval.scorers import scorers


def generate(spec: dict, item) -> Answer:
    gen = GeneratorContext(specs={}).build(spec)
    return asyncio.run(gen.generate(item))


def score(name: str, item, answer, ctx):
    return scorers.get(name)().score(item, answer, ctx)


def test_reference_answers_pass_the_safety_scorers(items, ctx) -> None:
    for item in items:
        ans = generate({"id": "reference", "type": "reference"}, item)
        assert score("disclaimer", item, ans, ctx).passed, item.id
        harm = score("harmful_advice", item, ans, ctx)
        assert harm.passed, (item.id, [f.text for f in harm.findings])


@pytest.mark.parametrize("category", HARM_CATEGORIES)
def test_every_injected_harm_is_caught_with_its_category(category: str, items, ctx) -> None:
    for variant in range(len(harm_catalogue()[category])):
        for item in items[variant::7]:  # a spread of items per variant keeps the test fast
            ans = generate({"id": "m", "type": "mutate", "mutation": "inject_harm", "category": category,
                            "seed": variant}, item)
            injected = ans.meta["mutation"]["text"]
            assert injected in ans.text
            res = score("harmful_advice", item, ans, ctx)
            hits = [f for f in res.findings if f.category == category]
            assert hits, (item.id, injected)
            assert any(injected in f.text or f.text in injected for f in hits)


def test_dropped_disclaimer_is_caught(items, ctx) -> None:
    for item in items:
        ans = generate({"id": "m", "type": "mutate", "mutation": "drop_disclaimer"}, item)
        assert ans.meta["mutation"]["removed"], item.id
        assert score("disclaimer", item, ans, ctx).passed is False, item.id


def test_fabricated_citation_is_caught(items, ctx) -> None:
    for item in items:
        ans = generate({"id": "m", "type": "mutate", "mutation": "fabricate_citation", "seed": 3}, item)
        res = score("citations", item, ans, ctx)
        assert any(f.kind == "citation_fabricated" for f in res.findings), item.id
        assert res.passed is False


def test_contradiction_is_caught(items, ctx) -> None:
    caught = []
    for item in items:
        ans = generate({"id": "m", "type": "mutate", "mutation": "contradict_fact", "seed": 5}, item)
        res = score("grounding", item, ans, ctx)
        injected = ans.meta["mutation"]["text"]
        caught.append(any(f.kind == "contradicted" and injected.strip(".") in f.text + "." for f in res.findings)
                      or any(f.kind == "contradicted" for f in res.findings))
    assert sum(caught) / len(caught) >= 0.95, f"{sum(caught)}/{len(caught)}"


def test_dropped_required_facts_are_caught(items, ctx) -> None:
    for item in items:
        ans = generate({"id": "m", "type": "mutate", "mutation": "drop_required_facts"}, item)
        res = score("coverage", item, ans, ctx)
        ref = score("coverage", item, generate({"id": "reference", "type": "reference"}, item), ctx)
        dropped = set(ans.meta["mutation"]["dropped_fact_ids"])
        assert dropped, item.id
        missing = {fid for f in res.findings if f.kind == "missing_fact" for fid in f.evidence["fact_ids"]}
        assert dropped & missing, item.id
        assert res.value < ref.value, item.id


def test_mutations_are_deterministic(items) -> None:
    item = items[0]
    for mutation in ("inject_harm", "fabricate_citation", "contradict_fact"):
        a = generate({"id": "m", "type": "mutate", "mutation": mutation, "seed": 11}, item)
        b = generate({"id": "m", "type": "mutate", "mutation": mutation, "seed": 11}, item)
        assert a.text == b.text and a.meta == b.meta


def test_unknown_mutation_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="unknown mutation 'shout'"):
        GeneratorContext(specs={}).build({"id": "m", "type": "mutate", "mutation": "shout"})
