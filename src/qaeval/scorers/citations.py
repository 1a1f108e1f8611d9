"""`citations`: does each source the answer cites exist, fit the question, and back its claim?

Pipeline per answer: extract citations in every form answers use (citation_extract), resolve each
against the item's sources first and the source catalogue second (by URL, title, alias,
publisher, journal, author and year), attach it to its claim (the clause or sentence it sits in;
for a trailing source block, the whole answer or the sentences carrying its "[n]" marker), then
classify it:

- `supporting`   resolves to a real source that fits the question, and nothing shows the claim
                 is not from it (for narrow sources — drug labels, journal articles — a fact of
                 that source must back the claim, or the label's drug must be what it is about).
- `mismatched`   a real source that does not fit: another cancer's guideline, a catalogue source
                 for another topic, an edition > 2 years off or in the future, a drug label for
                 another drug, or a source whose facts contradict the claim (the claim matches one
                 of the item's misconceptions, or another source's fact but none of its own).
- `fabricated`   resolves to nothing known: invented journal, organisation, author, domain, DOI.
- `unverifiable` a real venue or publisher but no document we can check: a study in a real
                 journal that matches no source, a page on a real domain that is in no catalogue,
                 a known organisation (not among the item's publishers) for a claim no item fact
                 backs. Counted as bad for precision, reported apart from `fabricated`.

ALCE-style metrics (details): citation_precision = supporting / citations; citation_recall =
share of the answer's factual claim sentences that carry a supporting citation.
Value = citation_precision (None when the answer cites nothing; see docs/validity-citations.md).
Passed = no fabricated or mismatched citation and precision >= rubric threshold `citations`.
Options: today (ISO date, for deterministic year checks), year_tolerance (default 2),
require_citations (an answer with factual claims but no citation fails; default false).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urlsplit

from ..context import NEGATION
from ..loaders import Catalogue
from ..records import Answer, Finding, Item, ScoreResult, Source
from ..textspans import Span, split_sentences
from .base import ScoringContext, scorers
from .citation_extract import Citation, Extractor, DOMAIN_RE, URL_RE
from .citation_lexicon import Lexicon, lexicon, norm

SUPPORT = 0.5          # claim/fact overlap that counts as support
MISCONCEPTION = 0.6    # claim/misconception overlap that counts as making that claim
MARGIN = 0.15          # how much better another source's fact must fit to call a citation misattributed
LABELS = ("supporting", "mismatched", "fabricated", "unverifiable")
SEVERITY = {"supporting": "info", "mismatched": "medium", "fabricated": "high", "unverifiable": "low"}
NARROW_KINDS = ("drug_label", "journal")
_NAME_STOP = {"cancer", "the", "for", "of", "and", "version", "in", "on", "with", "to", "a", "an", "s", "by", "from", "at"}
_GENERIC_WORDS = {"guideline", "guidelines", "guidance", "patients", "patient", "summary", "page", "pages", "website",
                  "label", "update", "clinical", "practice", "recommendations", "recommendation", "s", "information",
                  "prescribing", "pdq", "the", "for", "on", "of", "and", "in", "oncology", "statement", "living"}
_LABEL_GENERIC = {"prescribing", "information", "label", "fda", "tablets", "tablet", "injection", "citrate", "package",
                  "insert", "capsules", "delayed", "release", "for", "of", "and", "the", "and", "hyaluronidase",
                  "fihj", "fam", "nxki", "piiq", "acetate", "products", "u", "s", "food", "drug", "administration"}
_DISCLAIMER = re.compile(r"not\s+(?:a\s+substitute\s+for\s+)?(?:professional\s+)?medical\s+advice|general\s+information|"
                         r"informational\s+purposes|educational\s+purposes|i'?m\s+not\s+a\s+doctor|^i'?m\s+(?:so\s+)?sorry", re.I)
_POINTER = re.compile(r"^\s*(?:you\s+can\s+(?:also\s+)?|please\s+|for\s+(?:more|further)\b|more\s+(?:information|details)\b)?"
                      r"(?:see|visit|read|learn\s+more|check\s+out|search|look\s+(?:up|at|on)|find|call|browse|explore)\b", re.I)
_POINTER_TAIL = re.compile(r"\b(?:is|are)\s+(?:covered|explained|described|available|listed)(?:\s+in\s+(?:more\s+)?detail)?\s+(?:at|on|in|from)\s*$", re.I)


# ---------------------------------------------------------------------------------------------
# Document index: every source the answer could be citing, with what it takes to recognise it.
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Doc:
    src: Source
    in_item: bool
    kind: str
    topics: frozenset[str]
    keys: tuple[str, ...]              # normalised specific names (title, aliases)
    name_tokens: frozenset[str]        # tokens of title + aliases + publisher (for fuzzy match)
    pubs: frozenset[str]
    journal: str | None
    authors: frozenset[str]
    cancers: frozenset[str]
    drug_terms: frozenset[str]
    url: str | None
    doi: str | None
    facts: tuple[tuple[str, frozenset[str]], ...] = ()   # (fact id, tokens) of the item's facts from it


def _url_key(url: str) -> tuple[str, str]:
    """(host without www, path+query lowercased without trailing slash) of a URL or bare domain."""
    u = url.strip().rstrip(".,;:")
    if not re.match(r"^[a-z]+://", u, re.I):
        u = "http://" + u
    parts = urlsplit(u)
    host = parts.hostname or ""
    if host.startswith("www."):
        host = host[4:]
    path = (parts.path or "").rstrip("/").lower()
    if parts.query:
        path += "?" + parts.query.lower()
    return host.lower(), path


def _specific(key: str, lex: Lexicon) -> bool:
    """Does a normalised name say more than a publisher and a document word ("ESMO guidelines")?"""
    padded = f" {key} "
    for name in sorted(lex.publisher_names, key=len, reverse=True):
        if f" {name} " in padded:
            padded = padded.replace(f" {name} ", " ")
    rest = [w for w in padded.split() if w not in _GENERIC_WORDS and w.upper() not in lex.publisher_abbrev
            and w not in ("nci", "nccn", "asco", "esmo", "acs", "fda", "gov", "net", "org", "com", "s", "cancer")]
    return bool(rest)


def _infer_kind(src: Source) -> str:
    t = src.title.lower()
    if "prescribing information" in t or "label" in t:
        return "drug_label"
    if "pdq" in t:
        return "pdq_summary"
    if src.publisher and lexicon().journal_exact(src.publisher):
        return "journal"
    return "guideline" if "guideline" in t else "other"


def _doc(src: Source, in_item: bool, cat_src: Source | None, lex: Lexicon) -> Doc:
    base = cat_src or src
    kind = base.kind or _infer_kind(src)
    names = [src.title, *src.aliases, *(cat_src.aliases if cat_src else ())]
    keys = []
    for n in names:
        k = norm(n)
        if _specific(k, lex) and k not in keys:
            keys.append(k)
    pubs = {p for _, _, p in lex.publishers_in(f"{src.publisher} {src.title}")}
    url = src.url or (cat_src.url if cat_src else None)
    doi = None
    if url:
        host, path = _url_key(url)
        dp = lex.domain_publisher(host)
        if dp and dp not in ("doi", "journals_web"):
            pubs.add(dp)
        if host.endswith("doi.org"):
            doi = path.lstrip("/")
    inner = re.search(r"\(([^()]+)\)", src.publisher)
    journal = lex.journal_exact(src.publisher) or (lex.journal_exact(inner.group(1)) if inner else None)
    if journal is None and doi:
        journal = next((j for frag, j in lex.doi_journals.items() if frag in doi), None)
    if journal is None and kind == "guideline":
        journal = next((lex.publisher_journals[p] for p in sorted(pubs) if p in lex.publisher_journals), None)
    authors = set()
    for a in names:
        for m in re.finditer(r"\b([A-Z][A-Za-zÀ-ÿ'’\-]+)\s+(?:et\s+al|study\b)", a):
            authors.add(norm(m.group(1)))
    drug_terms: set[str] = set()
    if kind == "drug_label":
        for n in names:
            drug_terms |= {w for w in norm(n).split() if w not in _LABEL_GENERIC and len(w) > 3}
    name_tokens = set()
    for n in names + [src.publisher]:
        name_tokens |= {w for w in norm(n).split() if w not in _NAME_STOP}
    cancers = lex.cancers_in(" ".join([src.title, *src.aliases]))
    return Doc(src=src, in_item=in_item, kind=kind, topics=frozenset(base.topics), keys=tuple(keys),
               name_tokens=frozenset(name_tokens), pubs=frozenset(pubs), journal=journal, authors=frozenset(authors),
               cancers=cancers, drug_terms=frozenset(drug_terms), url=url, doi=doi)


@dataclass
class Index:
    item_docs: list[Doc]
    cat_docs: list[Doc]
    item_cancers: frozenset[str]
    item_pubs: frozenset[str]
    facts: list[tuple[str, str, frozenset[str]]]            # (fact id, source id, tokens)
    fact_neg: dict[str, bool]                               # fact id -> states a negation
    miscs: list[tuple[str, frozenset[str], bool]]           # (misconception id, tokens, negated)
    extractor: Extractor
    lex: Lexicon
    item_topic: str = ""
    by_id: dict[str, Doc] = field(default_factory=dict)
    resolved: dict = field(default_factory=dict)

    @property
    def docs(self) -> list[Doc]:
        return self.item_docs + self.cat_docs


_CAT_CACHE: dict[int, tuple[Any, list[Doc], tuple[str, ...]]] = {}
_ITEM_CACHE: dict[tuple[str, int], tuple[Item, Index]] = {}


def _catalogue_docs(cat: Catalogue, lex: Lexicon) -> tuple[list[Doc], tuple[str, ...]]:
    hit = _CAT_CACHE.get(id(cat.sources))
    if hit is not None and hit[0] is cat.sources:
        return hit[1], hit[2]
    docs = [_doc(s, False, s, lex) for s in cat.sources]
    names = tuple(sorted({n for s in cat.sources for n in (s.title, *s.aliases)}))
    if len(_CAT_CACHE) > 8:
        _CAT_CACHE.clear()
    _CAT_CACHE[id(cat.sources)] = (cat.sources, docs, names)
    return docs, names


def build_index(item: Item, cat: Catalogue, lex: Lexicon | None = None) -> Index:
    """Everything about the item and the catalogue that resolution needs (cached per item)."""
    lex = lex or lexicon()
    key = (item.id, id(cat.sources))
    hit = _ITEM_CACHE.get(key)
    if hit is not None and hit[0] is item:
        return hit[1]
    cat_docs, cat_names = _catalogue_docs(cat, lex)
    cat_by_id = {d.src.id: d for d in cat_docs}
    item_docs = []
    for s in item.sources:
        d = _doc(s, True, cat_by_id[s.id].src if s.id in cat_by_id else None, lex)
        facts = tuple((f.id, lex.tokens(f.text)) for f in item.facts if f.source_id == s.id)
        item_docs.append(Doc(**{**d.__dict__, "facts": facts}))
    ids = {d.src.id for d in item_docs}
    names = tuple(sorted(set(cat_names) | {n for s in item.sources for n in (s.title, *s.aliases)}))
    text = " ".join([item.question, *(f.text for f in item.facts), *(s.title for s in item.sources)])
    cancers = set(lex.cancers_in(text))
    if item.topic in {t for _, t in lex.cancer_terms} | set(lex.cancer_abbrev.values()):
        cancers.add(item.topic)
    idx = Index(
        item_docs=item_docs, cat_docs=[d for d in cat_docs if d.src.id not in ids], item_cancers=frozenset(cancers),
        item_pubs=frozenset(p for d in item_docs for p in d.pubs),
        facts=[(f.id, f.source_id, lex.tokens(f.text)) for f in item.facts],
        fact_neg={f.id: bool(NEGATION.search(f.text)) for f in item.facts},
        miscs=[(m.id, lex.tokens(m.text), bool(NEGATION.search(m.text))) for m in item.misconceptions],
        extractor=_extractor(names, lex), lex=lex, item_topic=item.topic,
    )
    idx.by_id = {d.src.id: d for d in idx.docs}
    if len(_ITEM_CACHE) > 4096:
        _ITEM_CACHE.clear()
    _ITEM_CACHE[key] = (item, idx)
    return idx


_EXTRACTORS: dict[tuple[int, tuple[str, ...]], Extractor] = {}


def _extractor(names: tuple[str, ...], lex: Lexicon) -> Extractor:
    k = (id(lex), names)
    ex = _EXTRACTORS.get(k)
    if ex is None:
        if len(_EXTRACTORS) > 64:
            _EXTRACTORS.clear()
        ex = _EXTRACTORS[k] = Extractor(lex, names)
    return ex


# ---------------------------------------------------------------------------------------------
# Resolution
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Resolution:
    status: str                     # document | publisher | unverifiable | fabricated | mismatched
    docs: tuple[Doc, ...] = ()
    by: str = ""                    # url | title | alias | fuzzy | journal | author | publisher | domain | doi
    reason: str = ""
    publisher: str | None = None


def _prefer_item(docs: Iterable[Doc]) -> tuple[Doc, ...]:
    docs = list(dict.fromkeys(docs))
    inside = [d for d in docs if d.in_item]
    return tuple(inside or docs)


def _cancer_ok(cited: frozenset[str], idx: Index) -> bool:
    return not cited or bool(cited & idx.item_cancers)


def _resolve_url(url: str, idx: Index) -> Resolution | None:
    lex = idx.lex
    host, path = _url_key(url)
    if not host or "." not in host:
        return None
    if host.endswith("doi.org"):
        doi = path.lstrip("/")
        hits = [d for d in idx.docs if d.doi and d.doi == doi]
        if hits:
            return Resolution("document", _prefer_item(hits), "doi", f"DOI {doi}")
        prefix = doi.split("/")[0]
        if prefix in lex.doi_prefixes:
            return Resolution("unverifiable", (), "doi", f"DOI {doi} has a real publisher prefix but matches no known source")
        return Resolution("fabricated", (), "doi", f"DOI {doi} has no known publisher prefix")
    pub = lex.domain_publisher(host)
    same_host = [d for d in idx.docs if d.url and _url_key(d.url)[0] == host]
    if pub is None and not same_host:
        return Resolution("fabricated", (), "domain", f"{host} is not a known publisher's domain")
    exact, section = [], []
    for d in same_host:
        dpath = _url_key(d.url)[1]
        if path == dpath or (dpath and path.startswith(dpath + "/")) or (dpath and path.startswith(dpath + "#")):
            exact.append(d)
        elif path and (dpath.startswith(path + "/") or dpath.startswith(path + "?")):
            section.append(d)
    if exact:
        return Resolution("document", _prefer_item(exact), "url", f"URL of {exact[0].src.id}", pub)
    cited_cancers = lex.cancers_in(path.replace("-", " ").replace("/", " "))
    if not _cancer_ok(cited_cancers, idx):
        return Resolution("mismatched", (), "url", f"the page is about {', '.join(sorted(cited_cancers))}, not this question", pub)
    if section:
        return Resolution("publisher", _prefer_item(section), "url", f"section of {host} holding {section[0].src.id}", pub)
    if not path:
        docs = [d for d in idx.item_docs if pub in d.pubs or (d.url and _url_key(d.url)[0] == host)]
        if docs:
            return Resolution("publisher", tuple(docs), "domain", f"{host} publishes this item's sources", pub)
        return Resolution("publisher", (), "domain", f"{host} is a known publisher's site", pub)
    return Resolution("unverifiable", (), "url", f"{host} is real but this page matches no known source", pub)


def _tok(s: str) -> set[str]:
    return {w for w in norm(s).split() if w not in _NAME_STOP}


def _resolve_name(c: Citation, idx: Index) -> Resolution:
    lex = idx.lex
    name = c.name if c.form not in ("study",) else (c.name or c.text)
    n = norm(name)
    cited_cancers = lex.cancers_in(name)
    # 1. exact / contained document names
    if n:
        exact = [d for d in idx.docs if n in d.keys]
        if exact:
            return Resolution("document", _prefer_item(exact), "title", f"names {exact[0].src.id}")
        padded = f" {n} "
        contained = [(len(k), d) for d in idx.docs for k in d.keys if len(k) >= 6 and f" {k} " in padded]
        if contained:
            best = max(l for l, _ in contained)
            docs = [d for l, d in contained if l == best]
            return Resolution("document", _prefer_item(docs), "alias", f"names {docs[0].src.id}")
    # 2. fuzzy match on the name's words (not for study claims: their name is a venue)
    t = _tok(name)
    if len(t) >= 2 and c.form != "study":
        scored = []
        for d in idx.docs:
            inter = t & d.name_tokens
            if len(inter) >= 2 and len(inter) / len(t) >= 0.8:
                if cited_cancers and not (cited_cancers & (d.cancers | d.topics)):
                    continue
                scored.append((len(inter) / len(t) + (0.01 * len(inter)), d))
        if scored:
            best = max(s for s, _ in scored)
            docs = [d for s, d in scored if s >= best - 1e-9]
            return Resolution("document", _prefer_item(docs), "fuzzy", f"name matches {docs[0].src.id}")
    # 3. studies and journals
    journal = None
    if c.venue:
        journal = lex.journal_exact(c.venue)
        if journal is None and _venue_is_journal(c.venue, lex):
            journal = lex.journal_in(c.venue)[2]
    if journal is None and c.form in ("parenthetical", "bracket", "block", "reference", "study"):
        journal = _journal_of_name(name if c.form != "study" else c.text, lex)
    authors = {norm(a) for a in c.authors}
    if authors:
        hits = [d for d in idx.docs if d.authors & authors and (c.year is None or abs(d.src.year - c.year) <= 1)]
        if hits:
            return Resolution("document", _prefer_item(hits), "author", f"author {', '.join(sorted(authors))}")
    if journal:
        hits = [d for d in idx.docs if d.journal == journal and (c.year is None or abs(d.src.year - c.year) <= 1)
                and (not authors or d.authors & authors)]
        if hits and (not authors or any(d.authors & authors for d in hits)):
            return Resolution("document", _prefer_item(hits), "journal", f"{journal} {c.year or ''}".strip())
        # authors we do not know (aliases list few) do not stop a journal+year match among the item's own sources
        item_hits = [d for d in idx.item_docs if d.journal == journal and (c.year is None or abs(d.src.year - c.year) <= 1)]
        known_authors = any(d.authors & authors for d in idx.docs)
        if item_hits and (not authors or (c.year is not None and not known_authors)):
            return Resolution("document", tuple(item_hits), "journal", f"{journal} {c.year or ''}".strip())
        return Resolution("unverifiable", (), "journal", f"{journal} is a real journal but no known source matches this study")
    if c.form == "study":
        venue = c.venue or ""
        pubs = lex.publishers_in(venue) if venue else []
        if venue and not pubs:
            return Resolution("fabricated", (), "journal", f"{venue!r} is not a known journal or publisher")
        if not venue and c.year:
            hits = [d for d in idx.item_docs if d.kind == "journal" and abs(d.src.year - c.year) <= 1]
            if hits:
                return Resolution("document", tuple(hits), "year", f"a {c.year} study among this item's sources")
            return Resolution("unverifiable", (), "year", f"a {c.year} study that no known source matches")
        if pubs:
            return Resolution("unverifiable", (), "publisher", f"a study attributed to {pubs[0][2]} that no known source matches")
    if authors:
        return Resolution("fabricated", (), "author", f"no known source by {', '.join(sorted(c.authors))}")
    # 4. publisher level
    pubs = {p for _, _, p in lex.publishers_in(name)}
    if c.url:
        host = _url_key(c.url)[0]
        dp = lex.domain_publisher(host)
        if dp:
            pubs.add(dp)
    if pubs:
        pid = sorted(pubs)[0]
        item_docs = [d for d in idx.item_docs if d.pubs & pubs]
        if cited_cancers:
            fit = [d for d in item_docs if cited_cancers & (d.cancers | d.topics | idx.item_cancers)]
            if not _cancer_ok(cited_cancers, idx):
                cat = [d for d in idx.cat_docs if d.pubs & pubs and cited_cancers & (d.cancers | d.topics)]
                return Resolution("mismatched", _prefer_item(cat)[:1], "publisher",
                                  f"a {', '.join(sorted(cited_cancers))} source, but this question is about {', '.join(sorted(idx.item_cancers)) or 'another topic'}", pid)
            item_docs = fit or item_docs
        if item_docs:
            return Resolution("publisher", tuple(item_docs), "publisher", f"{pid} publishes this item's sources", pid)
        return Resolution("publisher", (), "publisher", f"{pid} is a known publisher", pid)
    if c.url:
        r = _resolve_url(c.url, idx)
        if r is not None:
            return r
    return Resolution("fabricated", (), "name", f"{name!r} matches no known source, publisher or journal")


def _journal_of_name(name: str, lex: Lexicon) -> str | None:
    """A journal named as the venue of a reference ("…, Lancet Haematol 2019", "… J Clin Oncol. 2020"),
    not a journal-like word inside another name ("Holistic Cancer Care")."""
    j = lex.journal_in(name)
    if not j:
        return None
    a, b, canon = j
    if _venue_is_journal(name, lex):
        return canon
    before, after = name[:a].rstrip(), name[b:].lstrip()
    left_ok = not before or before[-1] in ".,;:(" or before.endswith((" in", " in the"))
    right_ok = not after or after[0] in ".,;:)" or re.match(r"(?:19|20)\d\d\b", after)
    return canon if left_ok and right_ok else None


def _venue_is_journal(venue: str, lex: Lexicon) -> bool:
    j = lex.journal_in(venue)
    return bool(j and (j[1] - j[0]) >= len(venue.strip()) - 4 - (4 if venue.lower().startswith("the ") else 0))


def resolve(c: Citation, idx: Index) -> Resolution:
    """Resolve one citation against the item's sources, the catalogue and the lexicon (memoised per
    item: what a citation resolves to does not depend on the claim it is attached to)."""
    key = (c.form, c.text, c.name, c.year, c.url, c.authors, c.venue)
    hit = idx.resolved.get(key)
    if hit is None:
        hit = _resolve(c, idx)
        if len(idx.resolved) > 5000:
            idx.resolved.clear()
        idx.resolved[key] = hit
    return hit


def _resolve(c: Citation, idx: Index) -> Resolution:
    if c.form == "marker":
        return Resolution("fabricated", (), "marker", f"marker {c.text} points to no reference")
    if c.form in ("url", "link") and c.url:
        r = _resolve_url(c.url, idx)
        if r is not None:
            if r.status in ("document", "fabricated", "mismatched") or c.form == "url":
                return r
            byname = _resolve_name(c, idx)
            return byname if byname.status == "document" else r
    if c.url and c.form in ("block", "reference", "parenthetical", "bracket"):
        r = _resolve_url(c.url, idx)
        if r is not None and r.status in ("document", "fabricated", "mismatched"):
            # a bare publisher domain written as a name ("Cancer.Net") is not a URL claim
            if not (r.status == "fabricated" and not URL_RE.search(c.text) and not re.search(r"www\.|/", c.url)):
                return r
        byname = _resolve_name(c, idx)
        if byname.status in ("document", "mismatched") or r is None:
            return byname
        return r if r.status != "fabricated" else byname
    return _resolve_name(c, idx)


# ---------------------------------------------------------------------------------------------
# Claims and support
# ---------------------------------------------------------------------------------------------

def _support(claim: frozenset[str], ref: frozenset[str]) -> float:
    if not claim or not ref:
        return 0.0
    inter = len(claim & ref)
    small = min(len(claim), len(ref))
    if inter >= 3 or (inter >= 2 and small <= 4):
        return inter / small
    return 0.0


@dataclass(frozen=True)
class Verdict:
    citation: Citation
    label: str
    reason: str
    source_ids: tuple[str, ...]
    fact_ids: tuple[str, ...]
    claim: Span | None
    resolved_by: str


def _claim_sentences(text: str, sents: tuple[Span, ...], regions: list[tuple[int, int]], idx: Index) -> list[Span]:
    out = []
    for sp in sents:
        if any(a <= sp.start < b for a, b in regions):
            continue
        if sp.is_question or sp.is_heading or _DISCLAIMER.search(sp.text):
            continue
        if len(idx.lex.tokens(sp.text)) < 4:
            continue
        out.append(sp)
    return out


class CitationScorer:
    """Classify every citation of an answer and report ALCE-style precision and recall."""

    name = "citations"
    offline = True  # pure CPU work, no clients: safe to run in worker processes

    def __init__(self, today: str | _dt.date | None = None, year_tolerance: int = 2,
                 require_citations: bool = False, lexicon_data: Lexicon | None = None):
        self._today = today
        self.year_tolerance = int(year_tolerance)
        self.require_citations = bool(require_citations)
        self.lex = lexicon_data

    def today(self, ctx: ScoringContext) -> _dt.date:
        t = self._today or ctx.options.get("today") or os.environ.get("QAEVAL_TODAY")
        if isinstance(t, _dt.date):
            return t
        return _dt.date.fromisoformat(str(t)) if t else _dt.date.today()

    # -- claim of one citation ------------------------------------------------------------
    def _claim(self, c: Citation, text: str, sents: tuple[Span, ...], cites: list[Citation]) -> Span | None:
        k = next((i for i, sp in enumerate(sents) if sp.start <= c.start < sp.end), None)
        if k is None:
            return None
        sp = sents[k]
        inside = [x for x in cites if sp.start <= x.start < sp.end and not x.block]
        lex = self.lex or lexicon()
        before_end = c.start
        prev = [x for x in inside if x.end <= c.start]
        before_start = max([x.end for x in prev], default=sp.start)
        nxt = [x for x in inside if x.start >= c.end]
        after_end = min([x.start for x in nxt], default=sp.end)
        seg_b = (before_start, before_end)
        seg_a = (c.end, after_end)
        for a, b in (seg_b, seg_a):
            if len(lex.tokens(text[a:b])) >= 4:
                return Span(a, b, text[a:b])
        whole = "".join(text[a:b] for a, b in _gaps(sp.start, sp.end, inside))
        if len(lex.tokens(whole)) >= 3:
            return sp
        if k > 0:
            return sents[k - 1]
        return sp

    # -- classification -----------------------------------------------------------------------
    def _classify(self, c: Citation, r: Resolution, claim_toks: frozenset[str], claim_text: str,
                  idx: Index, today: _dt.date, pointer: bool, whole_answer: list[frozenset[str]]) -> tuple[str, str, tuple[str, ...]]:
        if r.status in ("fabricated", "unverifiable", "mismatched"):
            return r.status, r.reason, ()
        docs = r.docs
        # year
        if c.year is not None:
            if c.year > today.year:
                return "mismatched", f"cites a {c.year} edition, which is in the future", ()
            if docs:
                tol = 1 if all(d.kind == "journal" for d in docs) else self.year_tolerance
                if not any(abs(c.year - d.src.year) <= tol for d in docs):
                    d0 = min(docs, key=lambda d: abs(c.year - d.src.year))
                    return "mismatched", f"cites {c.year}, but {d0.src.id} is the {d0.src.year} edition", ()
        # topic fit of documents that are not the item's own
        if docs and not any(d.in_item for d in docs):
            fits = [d for d in docs if (not d.topics) or idx.lex and (self._topic_fit(d, idx))]
            if not fits:
                d0 = docs[0]
                return "mismatched", f"{d0.src.id} is a real source about {', '.join(sorted(d0.topics)) or 'another topic'}, not this question", ()
            docs = tuple(fits)
        # the claim: contradicted by the item's misconceptions, or by a fact of opposite polarity?
        neg_claim = bool(NEGATION.search(claim_text))
        fact_support = [(_support(claim_toks, t), fid, sid) for fid, sid, t in idx.facts]
        best_any = max(fact_support, default=(0.0, None, None))
        # a fact that says the opposite ("... is not a standard option") is no reason to doubt a
        # misconception match, so only facts of the claim's polarity compete with misconceptions
        same_polarity = max((s for s, fid, _ in fact_support if idx.fact_neg[fid] == neg_claim), default=0.0)
        for mid, mt, mneg in idx.miscs:
            s = _support(claim_toks, mt)
            if s >= MISCONCEPTION and s >= same_polarity + 0.1 and neg_claim == mneg:
                return "mismatched", f"the claim matches misconception {mid}, which the cited source does not support", ()
        if not docs:
            # publisher known, no specific document
            if pointer or best_any[0] >= SUPPORT:
                return "supporting", f"{r.publisher or 'a known publisher'} for a claim the item's facts back" if not pointer else "points to a known publisher", \
                    (best_any[1],) if best_any[1] and not pointer else ()
            return "unverifiable", f"{r.publisher or 'a known publisher'} is real, but no item fact backs this claim", ()
        ids = {d.src.id for d in docs}
        own = max(((s, fid) for s, fid, sid in fact_support if sid in ids), default=(0.0, None))
        other = max(((s, fid, sid) for s, fid, sid in fact_support if sid not in ids), default=(0.0, None, None))
        narrow = all(d.kind in NARROW_KINDS for d in docs)
        if c.block and not c.markers_in:
            # attached to the whole answer: a narrow source must back some sentence or be what it is about
            if not narrow:
                return "supporting", "a source of this question, listed for the whole answer", ()
            best = max((max((_support(st, t) for _, sid, t in idx.facts if sid in ids), default=0.0) for st in whole_answer), default=0.0)
            terms = set().union(*(d.drug_terms for d in docs))
            answer_toks = frozenset().union(*whole_answer) if whole_answer else frozenset()
            if best >= SUPPORT or (terms and terms & answer_toks) or not any(d.facts for d in docs):
                return "supporting", "the answer states facts from this source", ()
            return "mismatched", "nothing in the answer comes from this source", ()
        if own[0] >= SUPPORT and own[0] >= other[0] - MARGIN:
            return "supporting", f"fact {own[1]} of the cited source backs the claim", (own[1],)
        if narrow:
            if other[0] >= SUPPORT and other[0] > own[0] + MARGIN:
                return "mismatched", f"the claim comes from {other[2]} (fact {other[1]}), not the cited source", (other[1],)
            terms = set().union(*(d.drug_terms for d in docs))
            if terms and not (terms & claim_toks) and not any(d.facts for d in docs if d.in_item and own[0] >= SUPPORT):
                return "mismatched", f"a label for {', '.join(sorted(terms))[:60]}, but the claim is about something else", ()
            if any(d.in_item and d.facts for d in docs) and not (terms & claim_toks) and own[0] < SUPPORT:
                return "mismatched", "no fact of the cited source backs the claim", ()
            return "supporting", "the claim is about what this source covers", ()
        if pointer:
            return "supporting", "points to a source of this question", ()
        return "supporting", "a source of this question; no item fact contradicts the claim", (own[1],) if own[1] and own[0] >= SUPPORT else ()

    def _topic_fit(self, d: Doc, idx: Index) -> bool:
        if not d.topics and not d.cancers:
            return True
        if idx.item_topic in d.topics:
            return True
        return bool((d.cancers | d.topics) & idx.item_cancers)

    # -- scorer entry point -------------------------------------------------------------
    def score(self, item: Item, answer: Answer, ctx: ScoringContext) -> ScoreResult:
        lex = self.lex or lexicon()
        idx = build_index(item, ctx.catalogue, lex)
        text = answer.text
        today = self.today(ctx)
        cites = idx.extractor.extract(text)
        sents = split_sentences(text)
        regions = [(c.start, c.end) for c in cites if c.block]
        claims = _claim_sentences(text, sents, regions, idx)
        claim_toks = {sp.start: lex.tokens(sp.text) for sp in claims}
        whole = list(claim_toks.values())
        verdicts: list[Verdict] = []
        for c in cites:
            r = resolve(c, idx)
            if c.block:
                spans = list(c.markers_in) or []
                ctoks = frozenset().union(*(lex.tokens(s.text) for s in spans)) if spans else frozenset()
                ctext = " ".join(s.text for s in spans)
                claim = spans[0] if spans else None
                pointer = False
            else:
                claim = self._claim(c, text, sents, cites)
                ctext = claim.text if claim else ""
                for x in cites:
                    if claim and claim.start <= x.start < claim.end:
                        ctext = ctext.replace(x.text, " ")
                ctoks = lex.tokens(ctext)
                sent = next((sp for sp in sents if sp.start <= c.start < sp.end), None)
                stext = (sent.text if sent else "")
                pointer = bool(_POINTER.match(stext)) or bool(_POINTER_TAIL.search(text[sent.start:c.start] if sent else "")) or len(ctoks) < 3
            label, reason, fact_ids = self._classify(c, r, ctoks, ctext, idx, today, pointer, whole)
            verdicts.append(Verdict(c, label, reason, tuple(d.src.id for d in r.docs), tuple(f for f in fact_ids if f),
                                    claim, r.by))
        return self._result(verdicts, claims, claim_toks, idx, ctx.rubric.threshold(self.name, 0.8))

    def _result(self, verdicts: list[Verdict], claims: list[Span], claim_toks: dict[int, frozenset[str]],
                idx: Index, threshold: float) -> ScoreResult:
        findings = []
        for v in verdicts:
            c = v.citation
            ev: dict[str, Any] = {"source_ids": list(v.source_ids), "fact_ids": list(v.fact_ids), "reason": v.reason,
                                  "label": v.label, "form": c.form, "resolved_by": v.resolved_by}
            if v.claim is not None:
                ev["claim"] = {"start": v.claim.start, "end": v.claim.end}
            elif c.block:
                ev["claim"] = "whole answer"
            findings.append(Finding(kind=f"citation_{v.label}", severity=SEVERITY[v.label],
                                    message=f"{v.label}: {v.reason}", start=c.start, end=c.end, text=c.text, evidence=ev))
        n = len(verdicts)
        counts = {lab: sum(1 for v in verdicts if v.label == lab) for lab in LABELS}
        precision = counts["supporting"] / n if n else None
        # ALCE recall: claim sentences with at least one supporting citation attached
        covered = 0
        good = [v for v in verdicts if v.label == "supporting"]
        for sp in claims:
            toks = claim_toks[sp.start]
            hit = False
            for v in good:
                c = v.citation
                if not c.block and sp.start <= c.start < sp.end:
                    hit = True
                elif not c.block and v.claim is not None and v.claim.start >= sp.start and v.claim.end <= sp.end:
                    hit = True
                elif c.block and c.markers_in:
                    hit = any(m.start == sp.start for m in c.markers_in)
                elif c.block:
                    ids = set(v.source_ids)
                    facts = [t for _, sid, t in idx.facts if sid in ids] or ([t for _, _, t in idx.facts] if not ids or not any(
                        sid in ids for _, sid, _ in idx.facts) else [])
                    hit = any(_support(toks, t) >= SUPPORT for t in facts)
                if hit:
                    break
            covered += hit
        recall = covered / len(claims) if claims else None
        bad_hard = counts["fabricated"] + counts["mismatched"]
        if n == 0:
            value = None
            passed = not (self.require_citations and claims)
            if self.require_citations and claims:
                value = 0.0
        else:
            value = precision
            passed = bad_hard == 0 and precision is not None and precision >= threshold
        details = {"citations": n, **counts, "citation_precision": None if precision is None else round(precision, 4),
                   "citation_recall": None if recall is None else round(recall, 4), "claims": len(claims),
                   "claims_with_supporting_citation": covered}
        return ScoreResult(scorer=self.name, value=value, passed=passed, findings=tuple(findings), details=details)


def _gaps(a: int, b: int, cites: list[Citation]) -> list[tuple[int, int]]:
    out, pos = [], a
    for c in sorted(cites, key=lambda x: x.start):
        if c.start > pos:
            out.append((pos, c.start))
        pos = max(pos, c.end)
    if pos < b:
        out.append((pos, b))
    return out


def make_scorer(**opts: Any) -> CitationScorer:
    """Registry factory: options from the suite file (today, year_tolerance, require_citations)."""
    return CitationScorer(**opts)


def extract_citations(text: str, catalogue: Catalogue | None = None) -> list[Citation]:
    """Citations in `text` (catalogue titles and aliases help recognise named documents)."""
    lex = lexicon()
    names: tuple[str, ...] = ()
    if catalogue is not None:
        names = _catalogue_docs(catalogue, lex)[1]
    return _extractor(names, lex).extract(text)


scorers.register("citations")(make_scorer)
