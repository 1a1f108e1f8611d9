"""The grounding scorer on real dataset items: each contradiction check, its hard negatives, the
CLL seed-style answer, the `contradict_fact` mutator, spans and determinism."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qaeval.generators.mutate import contradict_fact
from qaeval.generators.reference import compose
from qaeval.records import Answer, Fact, Finding, Item, Misconception, Source
from qaeval.scorers import ScoringContext, analysis
from qaeval.scorers.claims import extract_claims
from qaeval.scorers.grounding import GroundingScorer

SCORER = GroundingScorer()

# Written for this test in the style of a chatbot answer (title, disclaimer, headings, bullets,
# questions for the doctor); not copied from any source.
CLL_SEED_STYLE = """If Your CLL Trial Drug Stops Working
For general information only
This reply was produced by an AI assistant. It is not medical advice. Please review any decision with your hematology team.
Thanks for asking ahead of time — it's a smart thing to plan for.
Main Treatment Families
BTK Inhibitors and BCL2 Inhibitors:
- Ibrutinib and acalabrutinib block BTK, and venetoclax blocks BCL2
- These tablets tend to be brought in once chemotherapy-based treatment has stopped working
CAR T-Cell Therapy:
- Liso-cel is a CAR T-cell therapy that can be used when CLL has relapsed after earlier treatments, including a BTK inhibitor and a BCL2 inhibitor
Stem Cell Transplant:
- Depending on your situation, your team may suggest a donor (allogeneic) transplant or a transplant of your own stem cells (autologous)
Questions You Could Ask
- "Why did the trial drug stop working?"
- "Which option would you pick for me?" (This helps you compare choices)
Your hematologist knows your history best. This is general information and not a substitute for medical advice.
"""


def score(item: Item, text: str, ctx: ScoringContext):  # noqa: ANN201 - test helper
    return SCORER.score(item, Answer(item_id=item.id, generator="test", text=text), ctx)


def finding_for(result, needle: str) -> Finding:  # noqa: ANN001
    hits = [f for f in result.findings if needle in f.text]
    assert hits, f"no claim containing {needle!r}: {[f.text for f in result.findings]}"
    order = {"contradicted": 3, "supported": 2, "unsupported": 1}
    return max(hits, key=lambda f: order[f.kind])


def checks_of(f: Finding) -> set[str]:
    return {f.evidence.get("check")} | set(f.evidence.get("checks", []))


def synthetic_item(facts: list[str], misconceptions: list[str] = ()) -> Item:  # noqa: B006
    src = Source(id="src", title="Test source", publisher="Test", year=2025)
    return Item(id="synthetic-001", question="A test question?", topic="test", sources=(src,),
                facts=tuple(Fact(id=f"synthetic-001.f{i + 1}", text=t, source_id="src", required=True)
                            for i, t in enumerate(facts)),
                misconceptions=tuple(Misconception(id=f"synthetic-001.m{i + 1}", text=t,
                                                   corrected_by=("synthetic-001.f1",))
                                     for i, t in enumerate(misconceptions)))


# ---------------------------------------------------------------- the CLL seed-style answer

def test_cll_seed_style_answer(items_by_id, ctx) -> None:
    item = items_by_id["cll-001"]
    res = score(item, CLL_SEED_STYLE, ctx)
    transplant = finding_for(res, "transplant of your own stem cells")
    assert transplant.kind == "contradicted" and transplant.severity == "high"
    assert "cll-001.f8" in transplant.evidence["fact_ids"]          # autologous is not standard in CLL
    assert checks_of(transplant) & {"transplant_type", "misconception"}

    later = finding_for(res, "once chemotherapy-based treatment has stopped working")
    assert later.kind == "contradicted"
    assert "cll-001.f1" in later.evidence["fact_ids"]               # they are first-line treatments
    assert checks_of(later) & {"misconception", "line_of_therapy"}

    classes = finding_for(res, "Ibrutinib and acalabrutinib block BTK")
    assert classes.kind == "supported"
    assert {"cll-001.f3", "cll-001.f4"} <= set(classes.evidence["fact_ids"]) | {"cll-001.f4"}
    assert "cll-001.f3" in classes.evidence["fact_ids"]
    car_t = finding_for(res, "Liso-cel is a CAR T-cell therapy")
    assert car_t.kind == "supported" and "cll-001.f6" in car_t.evidence["fact_ids"]

    # Headings, the disclaimer and the questions for the doctor are not claims.
    texts = " ".join(f.text for f in res.findings)
    for not_a_claim in ("Why did the trial drug", "This helps you compare", "not medical advice",
                        "Main Treatment Families", "produced by an AI"):
        assert not_a_claim not in texts
    assert res.passed is False
    assert res.details["contradicted"] == 2
    for f in res.findings:
        assert CLL_SEED_STYLE[f.start:f.end] == f.text
        assert set(f.evidence) >= {"fact_ids", "source_ids", "similarity"}


def test_correct_cll_answer_passes_its_checks(items_by_id, ctx) -> None:
    text = ("BTK inhibitors such as ibrutinib and acalabrutinib, and venetoclax with obinutuzumab, are standard "
            "first-line treatments for CLL rather than drugs kept for after chemotherapy fails.\n"
            "An autologous transplant, using your own stem cells, is not a standard option in CLL, although a donor "
            "(allogeneic) transplant may be considered for some fit people with high-risk disease.\n"
            "If CLL progresses on a BTK inhibitor, venetoclax with rituximab or the non-covalent BTK inhibitor "
            "pirtobrutinib are usual next options.\n"
            "Joining another clinical trial is also worth asking about.")
    res = score(items_by_id["cll-001"], text, ctx)
    assert not [f for f in res.findings if f.kind == "contradicted"], [f.text for f in res.findings if f.kind == "contradicted"]
    assert res.details["supported"] >= 4


# ---------------------------------------------------------------- one test per check

def test_transplant_type(items_by_id, ctx) -> None:
    cll = items_by_id["cll-001"]
    bad = finding_for(score(cll, "For some people, an autologous transplant using their own stem cells may be "
                                 "offered for CLL.", ctx), "autologous")
    assert bad.kind == "contradicted" and "cll-001.f8" in bad.evidence["fact_ids"]
    assert checks_of(bad) & {"transplant_type", "misconception"}
    good = finding_for(score(cll, "An autologous transplant is not a standard option in CLL.", ctx), "autologous")
    assert good.kind == "supported" and "cll-001.f8" in good.evidence["fact_ids"]
    # In myeloma the autologous transplant is the standard one.
    mm = finding_for(score(items_by_id["myeloma-001"], "High-dose melphalan followed by an autologous stem cell "
                                                       "transplant is still a standard treatment if you are fit enough.",
                           ctx), "autologous")
    assert mm.kind == "supported"


def test_transplant_type_other_way_round(items_by_id, ctx) -> None:
    res = score(items_by_id["aml-004"], "For intermediate-risk AML in first remission, the usual recommendation is an "
                                        "autologous transplant using your own stored stem cells.", ctx)
    f = finding_for(res, "autologous")
    assert f.kind == "contradicted"
    assert "aml-004.f2" in f.evidence["fact_ids"]


def test_drug_class(items_by_id, ctx) -> None:
    cll = items_by_id["cll-001"]
    bad = finding_for(score(cll, "Acalabrutinib, a BCL2 inhibitor, is taken as a twice-daily tablet.", ctx), "Acalabrutinib")
    assert bad.kind == "contradicted" and bad.evidence["check"] == "drug_class"
    assert "cll-001.f3" in bad.evidence["fact_ids"]
    good = finding_for(score(cll, "Acalabrutinib, a BTK inhibitor, is taken as a twice-daily tablet.", ctx), "Acalabrutinib")
    assert good.kind != "contradicted"
    # Named by brand, stated by a verb, and in a different topic.
    lung = finding_for(score(items_by_id["lung-002"], "Tagrisso is a targeted pill that blocks ALK.", ctx), "Tagrisso")
    assert lung.kind == "contradicted" and "drug_class" in checks_of(lung)
    chemo = finding_for(score(items_by_id["lung-002"], "No, Tagrisso isn't traditional chemotherapy; it blocks EGFR.",
                              ctx), "Tagrisso")
    assert chemo.kind != "contradicted"


def test_drug_class_under_a_heading(items_by_id, ctx) -> None:
    text = "BTK inhibitors:\n- Examples include ibrutinib, zanubrutinib and venetoclax\n"
    f = finding_for(score(items_by_id["cll-001"], text, ctx), "Examples include")
    assert f.kind == "contradicted" and f.evidence["check"] == "drug_class"
    ok = "BTK and BCL2 inhibitors:\n- Examples include ibrutinib, zanubrutinib and venetoclax\n"
    assert finding_for(score(items_by_id["cll-001"], ok, ctx), "Examples include").kind == "supported"


def test_number(items_by_id, ctx) -> None:
    mel = items_by_id["melanoma-004"]
    bad = finding_for(score(mel, "Use a broad-spectrum sunscreen of SPF 15 or higher, seek shade and wear a hat.", ctx), "SPF")
    assert bad.kind == "contradicted" and bad.evidence["check"] == "number" and "melanoma-004.f2" in bad.evidence["fact_ids"]
    good = finding_for(score(mel, "Use a broad-spectrum sunscreen of SPF 50, seek shade and wear a hat.", ctx), "SPF")
    assert good.kind == "supported"
    aml = items_by_id["aml-005"]
    hot = finding_for(score(aml, "Call the team or go to the emergency department if his temperature reaches 38.5 °C "
                                 "or higher, or if he has shaking chills.", ctx), "38.5")
    assert hot.kind == "contradicted" and "number" in checks_of(hot)
    fahrenheit = finding_for(score(aml, "Call the team or go to the emergency department if his temperature reaches "
                                        "100.4 °F or higher, or if he has shaking chills.", ctx), "100.4")
    assert fahrenheit.kind == "supported"


def test_line_of_therapy(ctx) -> None:
    item = synthetic_item(["Osimertinib is a preferred first-line treatment for advanced lung cancer with an EGFR mutation.",
                           "Osimertinib can cause diarrhoea and rash."])
    bad = finding_for(score(item, "Osimertinib is only used once chemotherapy has stopped working.", ctx), "Osimertinib")
    assert bad.kind == "contradicted" and bad.evidence["check"] == "line_of_therapy"
    assert bad.evidence["fact_ids"] == ["synthetic-001.f1"]
    good = finding_for(score(item, "Osimertinib is usually the first treatment for advanced lung cancer with an EGFR "
                                   "mutation.", ctx), "Osimertinib")
    assert good.kind == "supported"


def test_line_of_therapy_later_use_backed_by_a_fact(items_by_id, ctx) -> None:
    f = finding_for(score(items_by_id["cll-001"], "Venetoclax with rituximab is an option if CLL progresses on a "
                                                  "covalent BTK inhibitor.", ctx), "Venetoclax")
    assert f.kind == "supported" and "cll-001.f5" in f.evidence["fact_ids"]


def test_polarity(ctx) -> None:
    item = synthetic_item(["Two doses of tamoxifen should not be taken together to make up for a missed dose.",
                           "Tamoxifen can cause hot flashes."])
    bad = finding_for(score(item, "Two doses of tamoxifen can be taken together to make up for a missed dose.", ctx), "Two doses")
    assert bad.kind == "contradicted" and bad.evidence["check"] == "polarity"
    good = finding_for(score(item, "Never take two doses of tamoxifen together to make up for a missed dose.", ctx), "two doses")
    assert good.kind == "supported"


def test_misconception_and_its_refutations(items_by_id, ctx) -> None:
    pc = items_by_id["palliative_care-001"]
    bad = finding_for(score(pc, "Being referred to palliative care basically means the doctors have given up.", ctx), "palliative")
    assert bad.kind == "contradicted" and bad.evidence["check"] == "misconception"
    assert bad.evidence["misconception_id"] == "palliative_care-001.m2"
    assert set(bad.evidence["fact_ids"]) >= {"palliative_care-001.f2"}
    for safe in ("A referral to palliative care does not mean the doctors have given up.",
                 "It's a myth that palliative care means the doctors have given up.",
                 "Palliative care is not the same as hospice, and it can be given alongside treatment."):
        f = finding_for(score(pc, safe, ctx), "alliative")
        assert f.kind != "contradicted", safe


def test_reported_claim_is_not_asserted(items_by_id, ctx) -> None:
    res = score(items_by_id["supplements-005"], "Some websites claim that turmeric can replace chemotherapy. "
                                                 "There is no reliable evidence that turmeric can cure cancer.", ctx)
    assert not [f for f in res.findings if f.kind == "contradicted"]


# ---------------------------------------------------------------- mutators and reference answers

SAMPLE = ["aml-004", "breast-003", "cll-001", "cll-006", "colorectal-001", "fever_neutropenia-001", "lung-002",
          "lymphoma-005", "melanoma-004", "myeloma-001", "nausea-006", "ovarian-003", "palliative_care-003",
          "prostate-004", "supplements-001", "tumour_lysis-001", "clinical_trials-004", "lung-006"]


@pytest.mark.parametrize("item_id", SAMPLE)
def test_contradict_fact_mutator_is_caught(items_by_id, ctx, item_id) -> None:
    item = items_by_id[item_id]
    ref = compose(item)
    clean = score(item, ref, ctx)
    assert not [f.text for f in clean.findings if f.kind == "contradicted"]
    assert clean.passed
    for seed in (0, 5):
        text, info = contradict_fact(ref, item, seed)
        res = score(item, text, ctx)
        start = text.find(info["text"])
        hit = [f for f in res.findings if f.kind == "contradicted" and f.start < start + len(info["text"]) and f.end > start]
        assert hit, (item_id, info["text"])
        assert res.passed is False
        if "misconception_id" in info:
            assert any(f.evidence.get("misconception_id") == info["misconception_id"] for f in hit)


def test_contradict_fact_without_misconceptions_uses_polarity(items_by_id, ctx) -> None:
    item = replace(items_by_id["cll-001"], misconceptions=())
    text, info = contradict_fact(compose(item), item, 0)
    res = score(item, text, ctx)
    hit = [f for f in res.findings if f.kind == "contradicted" and info["text"][:40] in text[f.start:f.end + 40]]
    assert hit and hit[0].evidence["fact_ids"][0] == info["fact_id"]


def test_all_reference_answers_are_clean(items, ctx) -> None:
    bad = []
    for item in items:
        res = score(item, compose(item), ctx)
        bad += [(item.id, f.text[:60]) for f in res.findings if f.kind == "contradicted"]
    assert not bad


# ---------------------------------------------------------------- claims, value, determinism

def test_claim_extraction_skips_non_claims() -> None:
    text = ("## What to expect\nGreat question! I'm sorry you're dealing with this.\n"
            "**Side effects:** Nausea and tiredness are common; blood counts can drop.\n"
            "Questions to ask your doctor\n- Will my dose change?\n- \"How often are blood tests?\" (helps planning)\n"
            "Next steps\nThis is general information, not medical advice.\n")
    claims = [c.text for c in extract_claims(text)]
    assert claims == ["Nausea and tiredness are common", "blood counts can drop."]
    for c in extract_claims(text):
        assert text[c.start:c.end] == c.text


def test_value_and_details(items_by_id, ctx) -> None:
    item = items_by_id["cll-001"]
    res = score(item, compose(item), ctx)
    assert res.value == pytest.approx(res.details["supported"] / res.details["claims"])
    assert res.details["claims"] == res.details["supported"] + res.details["unsupported"] + res.details["contradicted"]
    bad = score(item, CLL_SEED_STYLE, ctx)
    assert bad.value <= 0.5
    empty = score(item, "", ctx)
    assert empty.value == 0.0 and empty.findings == ()


def test_deterministic(items_by_id, ctx) -> None:
    item = items_by_id["cll-001"]
    first = score(item, CLL_SEED_STYLE, ctx).to_dict()
    analysis._analysis_cache.clear()
    second = score(item, CLL_SEED_STYLE, ctx).to_dict()
    assert first == second


def test_lexical_mode_runs_without_the_model(items_by_id, ctx) -> None:
    item = items_by_id["cll-001"]
    res = GroundingScorer(embeddings=False).score(item, Answer(item_id=item.id, generator="t", text=CLL_SEED_STYLE), ctx)
    assert res.details["embedder"] == "lexical"
    assert finding_for(res, "transplant of your own stem cells").kind == "contradicted"
