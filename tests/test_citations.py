"""The `citations` scorer: extraction forms, resolution, the classes, ALCE metrics, the mutator."""

from __future__ import annotations

import pytest

from qaeval.generators.mutate import FABRICATED_SOURCES, fabricate_citation
from qaeval.generators.reference import compose
from qaeval.records import Answer
from qaeval.scorers import scorers
from qaeval.scorers.citation_lexicon import build_lexicon, lexicon
from qaeval.scorers.citations import CitationScorer, build_index, extract_citations, resolve

TODAY = "2026-11-25"


@pytest.fixture(scope="module")
def scorer() -> CitationScorer:
    return CitationScorer(today=TODAY)


def run(scorer, item, text, ctx):
    return scorer.score(item, Answer(item_id=item.id, generator="t", text=text), ctx)


def labels(res) -> dict[str, str]:
    return {f.text: f.kind.removeprefix("citation_") for f in res.findings}


def cites(text, catalogue):
    return [(c.form, c.text) for c in extract_citations(text, catalogue)]


# ---------------------------------------------------------------------------------------------
# extraction: every form answers use
# ---------------------------------------------------------------------------------------------

def test_extracts_named_guideline_in_prose(catalogue):
    got = cites("According to the NCCN Guidelines for Patients: Chronic Lymphocytic Leukemia, BTK inhibitors "
                "are used first. Per the ASCO guideline, duloxetine helps. The FDA label for venetoclax warns about TLS.",
                catalogue)
    assert ("prose", "NCCN Guidelines for Patients: Chronic Lymphocytic Leukemia") in got
    assert ("prose", "ASCO guideline") in got
    assert ("prose", "FDA label for venetoclax") in got


def test_extracts_parentheticals_and_author_year(catalogue):
    got = cites("Venetoclax is a BCL2 inhibitor (NCI PDQ, 2024). It was studied (Smith et al., 2020). "
                "AML needs treatment soon (Treating Acute Myeloid Leukemia (AML), 2025).", catalogue)
    assert ("parenthetical", "(NCI PDQ, 2024)") in got
    assert ("parenthetical", "(Smith et al., 2020)") in got
    assert ("parenthetical", "(Treating Acute Myeloid Leukemia (AML), 2025)") in got  # nested parentheses


def test_extracts_numbered_markers_with_reference_list(catalogue):
    text = ("Venetoclax is a BCL2 inhibitor [1]. Ibrutinib is a BTK inhibitor [2].\n\nReferences\n"
            "[1] NCCN Guidelines for Patients: CLL, 2024.\n[2] https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq")
    cs = extract_citations(text, catalogue)
    assert [(c.form, c.marker) for c in cs] == [("reference", "1"), ("reference", "2")]
    assert cs[0].year == 2024 and cs[1].url.startswith("https://www.cancer.gov/")
    assert cs[0].markers_in[0].text == "Venetoclax is a BCL2 inhibitor [1]."


def test_dangling_marker_is_a_citation_to_nothing(catalogue):
    cs = extract_citations("Venetoclax is a BCL2 inhibitor [3].", catalogue)
    assert [(c.form, c.text) for c in cs] == [("marker", "[3]")]


def test_extracts_urls_domains_links_and_source_blocks(catalogue):
    text = ("See [NCI PDQ](https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq) or cancer.gov, "
            "and https://clinicaltrials.gov.\n"
            "Source Guidelines: NCCN Guidelines for Patients: Chronic Lymphocytic Leukemia (2026)")
    got = cites(text, catalogue)
    assert ("link", "[NCI PDQ](https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq)") in got
    assert ("url", "cancer.gov") in got
    assert ("url", "https://clinicaltrials.gov") in got
    assert ("block", "NCCN Guidelines for Patients: Chronic Lymphocytic Leukemia (2026)") in got


def test_extracts_source_list_block_and_semicolon_entries(catalogue):
    text = ("Call now.\n\nSources:\n- American Cancer Society: Treating AML — https://www.cancer.org/x\n"
            "- Cancer.Net: When to Call the Doctor During Cancer Treatment\n")
    assert [f for f, _ in cites(text, catalogue)] == ["block", "block"]
    got = cites("Call now (Source: Eloxatin label; Cancer.Net page on peripheral neuropathy).", catalogue)
    assert [t for _, t in got] == ["Eloxatin label", "Cancer.Net page on peripheral neuropathy"]


def test_extracts_study_claims(catalogue):
    got = cites("A 2019 study in JCO found benefit. A 2021 meta-analysis in The Lancet Oncology agreed. "
                "Results were published in the New England Journal of Medicine (2023).", catalogue)
    forms = {t: f for f, t in got}
    assert forms["2019 study in JCO"] == "study"
    assert forms["2021 meta-analysis in The Lancet Oncology"] == "study"
    assert forms["published in the New England Journal of Medicine (2023)"] == "study"


def test_does_not_extract_mentions_that_are_not_citations(catalogue):
    text = ("Acalabrutinib (a BTK inhibitor) is FDA-approved for CLL (chronic lymphocytic leukaemia) and is "
            "given at NCCN member centres. Based on TLS risk, allopurinol is started (about 1 in 5 people).")
    assert extract_citations(text, catalogue) == []


# ---------------------------------------------------------------------------------------------
# resolution: alias, URL, publisher, journal + year, year
# ---------------------------------------------------------------------------------------------

def _resolve_one(item, text, catalogue):
    idx = build_index(item, catalogue)
    cs = idx.extractor.extract(text)
    assert len(cs) == 1, cs
    return resolve(cs[0], idx)


def test_resolves_by_alias_url_and_publisher(items_by_id, catalogue):
    cll = items_by_id["cll-001"]
    r = _resolve_one(cll, "It is standard (NCCN Guidelines for Patients: CLL, 2024).", catalogue)
    assert r.status == "document" and [d.src.id for d in r.docs] == ["nccn-patients-cll"]
    r = _resolve_one(cll, "See https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq#section_5 for more.", catalogue)
    assert r.by == "url" and r.docs[0].src.id == "nci-pdq-cll-treatment"
    r = _resolve_one(items_by_id["cll-005"], "Hold it before surgery (NCCN, 2024).", catalogue)
    assert r.status == "publisher" and {d.src.id for d in r.docs} == {"nccn-patients-cll"}


def test_resolves_study_by_journal_and_year(items_by_id, catalogue):
    item = items_by_id["colorectal-005"]
    r = _resolve_one(item, "Duloxetine helps painful neuropathy (Loprinzi et al., J Clin Oncol 2020).", catalogue)
    assert r.status == "document" and r.docs[0].src.id == "asco-cipn-guideline"
    r = _resolve_one(item, "Duloxetine helps painful neuropathy (Loprinzi et al., J Clin Oncol 2014).", catalogue)
    assert r.status == "unverifiable"


def test_resolves_study_by_year_among_item_journal_sources(items_by_id, catalogue):
    item = next(i for i in items_by_id.values() if any(s.id == "temel-nejm-2010" for s in i.sources))
    r = _resolve_one(item, "A 2010 study found that early palliative care improved quality of life.", catalogue)
    assert r.status == "document" and r.docs[0].src.id == "temel-nejm-2010"


# ---------------------------------------------------------------------------------------------
# the classes
# ---------------------------------------------------------------------------------------------

def test_reference_answers_cite_only_supporting_sources(items, scorer, ctx):
    for item in items:
        res = run(scorer, item, compose(item), ctx)
        bad = [(f.kind, f.text) for f in res.findings if f.kind != "citation_supporting"]
        assert not bad, (item.id, bad)
        assert res.passed and res.value == 1.0


def test_supporting_forms(items_by_id, scorer, ctx):
    item = items_by_id["cll-001"]
    text = ("If CLL progresses on a BTK inhibitor, the NCCN CLL/SLL guidelines list venetoclax-based treatment and "
            "pirtobrutinib. Liso-cel (Breyanzi) was approved in 2024 for relapsed CLL after a BTK inhibitor and a BCL2 "
            "inhibitor (Breyanzi label). Joining another clinical trial is also an option (NCCN Guidelines for Patients: CLL, 2025).")
    assert set(labels(run(scorer, item, text, ctx)).values()) == {"supporting"}


def test_mismatched_other_cancer_wrong_year_future_and_contradiction(items_by_id, scorer, ctx):
    item = items_by_id["cll-001"]
    text = ("Venetoclax is a BCL2 inhibitor, according to the NCCN Guidelines for Breast Cancer. "
            "Chemoimmunotherapy such as FCR is now rarely preferred (NCCN Guidelines for Patients: Chronic Lymphocytic Leukemia, 2019). "
            "Joining another trial is an option (NCCN Guidelines for Patients: CLL, 2028). "
            "Autologous stem cell transplant is a standard option for CLL (NCCN CLL/SLL guidelines, 2025).")
    got = labels(run(scorer, item, text, ctx))
    assert got["NCCN Guidelines for Breast Cancer"] == "mismatched"
    assert got["(NCCN Guidelines for Patients: Chronic Lymphocytic Leukemia, 2019)"] == "mismatched"
    assert got["(NCCN Guidelines for Patients: CLL, 2028)"] == "mismatched"
    assert got["(NCCN CLL/SLL guidelines, 2025)"] == "mismatched"  # the claim is misconception cll-001.m3


def test_mismatched_drug_label_for_another_drug(items_by_id, scorer, ctx):
    item = items_by_id["cll-003"]
    res = run(scorer, item, "Headaches are common in the first weeks of acalabrutinib [Imbruvica prescribing information].", ctx)
    assert labels(res) == {"[Imbruvica prescribing information]": "mismatched"}


def test_fabricated_journal_organisation_domain_author(items_by_id, scorer, ctx):
    item = items_by_id["cll-005"]
    text = ("A 2017 study in the Journal of Dental Oncology found no extra bleeding. "
            "According to the International Council for Dental Safety, fish oil is fine. "
            "Details are at https://www.ibrutinib-facts.org/dental. Stopping is never needed (Harlow & Pettis, 2021).")
    got = labels(run(scorer, item, text, ctx))
    assert set(got.values()) == {"fabricated"} and len(got) == 4


def test_unverifiable_real_venue_without_a_source(items_by_id, scorer, ctx):
    item = items_by_id["fatigue-003"]
    text = ("A 2016 trial published in JAMA Oncology showed that iron helps. "
            "Transfusions can help, as described at https://www.cancer.gov/about-cancer/coping/iron-guide-2026. "
            "See also https://doi.org/10.1200/JCO.2016.99.1234 for anaemia treatment.")
    res = run(scorer, item, text, ctx)
    assert set(labels(res).values()) == {"unverifiable"}
    assert res.passed is False  # precision 0 < threshold, though nothing is fabricated or mismatched
    assert {f.severity for f in res.findings} == {"low"}


def test_findings_carry_evidence(items_by_id, scorer, ctx):
    item = items_by_id["aml-003"]
    text = "Low blood counts and infections are common, so counts are checked often (FDA label for venetoclax)."
    f = run(scorer, item, text, ctx).findings[0]
    assert f.kind == "citation_supporting" and f.severity == "info"
    assert f.evidence["source_ids"] == ["fda-label-venetoclax"] and f.evidence["fact_ids"] == ["aml-003.f4"]
    assert f.evidence["reason"] and text[f.start:f.end] == f.text


def test_year_checks_use_injectable_today(items_by_id, ctx):
    item = items_by_id["cll-001"]
    text = "Joining another clinical trial is an option (NCCN Guidelines for Patients: CLL, 2026)."
    assert labels(run(CitationScorer(today="2026-11-25"), item, text, ctx)) == {"(NCCN Guidelines for Patients: CLL, 2026)": "supporting"}
    assert labels(run(CitationScorer(today="2025-06-01"), item, text, ctx)) == {"(NCCN Guidelines for Patients: CLL, 2026)": "mismatched"}


# ---------------------------------------------------------------------------------------------
# ALCE metrics, value, passed, no citations
# ---------------------------------------------------------------------------------------------

def test_alce_precision_and_recall(items_by_id, scorer, ctx):
    item = items_by_id["aml-001"]
    text = ("AML is a fast-growing leukaemia that usually needs treatment within days (NCCN Guidelines for Patients: "
            "Acute Myeloid Leukemia, 2024). Delaying treatment by weeks can cause serious infections and bleeding "
            "(Journal of Hematologic Wellness, 2021). A second opinion can often be arranged quickly without delaying treatment.")
    res = run(scorer, item, text, ctx)
    d = res.details
    assert d["citations"] == 2 and d["supporting"] == 1 and d["fabricated"] == 1
    assert d["citation_precision"] == 0.5 and res.value == 0.5
    assert d["claims"] == 3 and d["claims_with_supporting_citation"] == 1
    assert d["citation_recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert res.passed is False


def test_block_citation_covers_the_sentences_its_facts_support(items_by_id, scorer, ctx):
    item = items_by_id["aml-005"]
    text = ("After AML chemotherapy, blood counts stay very low for weeks, raising the risk of infection, bleeding and anaemia. "
            "Careful handwashing and avoiding people who are sick help reduce infection risk.\n\n"
            "Sources:\n- Treating Acute Myeloid Leukemia (AML), American Cancer Society (2025)")
    res = run(scorer, item, text, ctx)
    assert res.details["citation_precision"] == 1.0 and res.details["citation_recall"] == 1.0


def test_answer_without_citations(items_by_id, scorer, ctx):
    item = items_by_id["aml-001"]
    text = "AML usually needs treatment within days. A second opinion can be arranged quickly."
    res = run(scorer, item, text, ctx)
    assert res.value is None and res.passed is True and res.findings == ()
    assert res.details["citations"] == 0 and res.details["citation_recall"] == 0.0
    strict = run(CitationScorer(today=TODAY, require_citations=True), item, text, ctx)
    assert strict.value == 0.0 and strict.passed is False


# ---------------------------------------------------------------------------------------------
# the fabricate_citation mutator is caught on real dataset items
# ---------------------------------------------------------------------------------------------

def test_fabricate_citation_mutator_is_caught_on_every_item(items, scorer, ctx):
    journals = {j for j, _, _ in FABRICATED_SOURCES}
    for item in items:
        for seed in (0, 1, 2):
            text, info = fabricate_citation(compose(item), item, seed)
            res = run(scorer, item, text, ctx)
            fab = [f for f in res.findings if f.kind == "citation_fabricated"]
            assert res.passed is False, (item.id, seed)
            assert any(info["source"] in f.text for f in fab), (item.id, seed, [f.text for f in fab])
            assert info["source"] in journals


# ---------------------------------------------------------------------------------------------
# wiring and data
# ---------------------------------------------------------------------------------------------

def test_registry_factory_accepts_options(items_by_id, ctx):
    sc = scorers.get("citations")(today="2025-06-01", year_tolerance=1)
    res = sc.score(items_by_id["cll-001"], Answer(item_id="cll-001", generator="t",
                   text="Joining another trial is an option (NCCN Guidelines for Patients: CLL, 2022)."), ctx)
    assert [f.kind for f in res.findings] == ["citation_mismatched"]  # 2 years off > tolerance 1


def test_lexicon_is_data():
    lex = lexicon()
    assert lex.journal_exact("The Lancet Oncology") == "The Lancet Oncology"
    assert lex.journal_exact("Annals of Natural Tumour Therapy") is None
    assert lex.domain_publisher("www.accessdata.fda.gov") == "fda" and lex.domain_publisher("cancer-gov.org") is None
    assert lex.cancers_in("NCCN Guidelines for Chronic Lymphocytic Leukemia/Small Lymphocytic Lymphoma") == {"cll"}
    small = build_lexicon({"publishers": [{"id": "x", "names": ["Example Society"], "abbrev": ["EXS"], "domains": ["example.org"]}],
                           "journals": [{"names": ["Journal of Examples"], "abbrev": ["J Ex"]}]})
    assert [p for _, _, p in small.publishers_in("per EXS and the Example Society")] == ["x", "x"]
    assert small.journal_in("a study in J Ex") is not None and small.domain_publisher("www.example.org") == "x"
