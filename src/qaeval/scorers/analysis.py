"""One analysis of an answer against an item, shared by the `grounding` and `coverage` scorers.

For every claim: how close it is to each fact and misconception (MiniLM cosine blended with
content-word overlap), and which checks see a conflict. Similarity finds the reference a claim is
about; the checks in `checks.py` decide whether it agrees. The analysis is a pure function of
(item, answer text) and is cached, so running both scorers costs one pass, and the item's facts
and misconceptions are embedded once per item.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..records import Fact, Item, Misconception
from . import checks
from .checks import Features, features
from .claims import Claim, content_tokens, extract_claims, lexicon

# Blend and thresholds, tuned on evals/labelled/grounding-dev.jsonl only (see docs/validity-grounding.md).
W_COS = 0.7              # weight of embedding cosine in the blended similarity
SUPPORT = 0.58           # blended similarity at which a fact supports a claim
SUPPORT_BAND = 0.08      # other facts within this of the best also support it
MISCONCEPTION = 0.58     # blended similarity at which a claim makes a misconception
MIS_MARGIN = 0.1        # ...unless an agreeing fact is closer by more than this
CHECK = 0.55             # a fact must be at least this close for a number/polarity check to apply
LINE = 0.45              # ...for the line-of-therapy check
TRANSPLANT = 0.35        # ...for the transplant-type check
POLARITY_COS = 0.8       # a polarity flip needs this cosine and this word overlap both ways
POLARITY_LEX = 0.7
COVER = 0.56             # blended similarity at which a claim conveys a required fact
COVER_RECALL = 0.3       # ...and share of the fact's content words it must carry (unless cosine is high)
COVER_COS = 0.8
COVER_BAND = 0.1         # ...and be within this of the claim's closest fact (not a sibling fact's sentence)
NEAR_COPY = 0.85         # a claim this close to a misconception makes it, whatever its words
MIN_SHARED = 2           # a claim sharing fewer content words with every reference skips the model
DECISIVE_PRECISION = 0.9  # ...or at which nearly all of the claim's words come from one reference
DECISIVE = 0.85          # word overlap at which the embedding model is not needed

_CITATION = re.compile(r"\s*\((?=(?:[^()]|\([^()]*\))*\b(?:19|20)\d{2}\b)(?:[^()]|\([^()]*\))*\)")
_MARKUP = re.compile(r"[*_`#>]+")


def _clean(text: str) -> str:
    """Claim text without citations and markdown, for comparison only (spans keep the original)."""
    return _MARKUP.sub("", _CITATION.sub("", text)).strip()


@dataclass(frozen=True)
class Verdict:
    """The decision for one claim, with the evidence a reviewer needs to check it."""

    claim: Claim
    label: str                       # supported | unsupported | contradicted
    fact_ids: tuple[str, ...] = ()
    misconception_id: str | None = None
    check: str | None = None
    checks: tuple[str, ...] = ()
    similarity: float = 0.0
    message: str = ""


@dataclass(frozen=True)
class Coverage:
    fact: Fact
    claim: Claim | None
    similarity: float


@dataclass(frozen=True)
class Analysis:
    claims: tuple[Claim, ...]
    verdicts: tuple[Verdict, ...]
    coverage: tuple[Coverage, ...]
    model_calls: int = 0
    embedder: str = "minilm"


# ---------------------------------------------------------------- references per item


@dataclass
class _Refs:
    facts: tuple[Fact, ...]
    miscs: tuple[Misconception, ...]
    texts: list[str]
    feats: list[Features]
    tokens: list[frozenset[str]]
    vecs: np.ndarray | None = None
    have: np.ndarray | None = None
    fact_index: dict[str, int] = field(default_factory=dict)
    distinct: list[frozenset[str]] = field(default_factory=list)   # per misconception
    distinct_need: list[int] = field(default_factory=list)          # how many of them a claim must share


_QUANT = re.compile(r"\b(only|always|never|every|everyone|all|any|nothing|no\s+one|must|cannot|can't)\b", re.I)


def _quantifiers(text: str) -> frozenset[str]:
    """Quantifier words ("only", "always", "every") that carry a misconception's error; marked so
    they never collide with content words."""
    return frozenset("q:" + m.group(1).lower().replace("can't", "cannot") for m in _QUANT.finditer(text))


def _item_key(item: Item) -> str:
    h = hashlib.sha1()
    for f in item.facts:
        h.update(f"{f.id}\x00{f.text}\x00{f.required}\x00{f.source_id}\x01".encode())
    for m in item.misconceptions:
        h.update(f"{m.id}\x00{m.text}\x00{','.join(m.corrected_by)}\x01".encode())
    return f"{item.id}:{h.hexdigest()}"


_refs_cache: "OrderedDict[str, _Refs]" = OrderedDict()
_analysis_cache: "OrderedDict[tuple[str, str, bool], Analysis]" = OrderedDict()
_lock = threading.Lock()


def _refs(item: Item) -> _Refs:
    key = _item_key(item)
    with _lock:
        r = _refs_cache.get(key)
        if r is not None:
            _refs_cache.move_to_end(key)
            return r
    texts = [f.text for f in item.facts] + [m.text for m in item.misconceptions]
    toks = [content_tokens(t) for t in texts]
    nf = len(item.facts)
    # A misconception's distinctive words: those at most one fact of the item also uses.
    qtoks = content_tokens(item.question)
    distinct: list[frozenset[str]] = []
    need: list[int] = []
    for k in range(len(item.misconceptions)):
        rare = frozenset(t for t in toks[nf + k] if sum(t in ft for ft in toks[:nf]) <= 1) | _quantifiers(texts[nf + k])
        not_asked = frozenset(t for t in rare if t not in qtoks)
        # Words the question already uses name the topic, not the error; but when the patient asks
        # about the misconception itself ("will I get a sugar pill instead of treatment?"), its
        # words are the question's, and the rare ones are all there is to go on.
        distinct.append(not_asked if len(not_asked) > 2 else rare)
        need.append(2 if len(distinct[-1]) >= 3 or (len(not_asked) <= 2 and len(rare) >= 2) else 1)
    r = _Refs(item.facts, item.misconceptions, texts, [features(t) for t in texts], toks,
              fact_index={f.id: i for i, f in enumerate(item.facts)}, distinct=distinct, distinct_need=need)
    with _lock:
        _refs_cache[key] = r
        while len(_refs_cache) > 1024:
            _refs_cache.popitem(last=False)
    return r


def _embedder() -> Any | None:
    try:
        from ..embeddings import get_embedder
        return get_embedder()
    except Exception:  # noqa: BLE001 - reported in details as "lexical"
        return None


# ---------------------------------------------------------------- similarity


def _lex(ct: frozenset[str], rt: frozenset[str]) -> tuple[float, float, float]:
    """(recall of the reference's words, precision of the claim's words, F1)."""
    if not ct or not rt:
        return 0.0, 0.0, 0.0
    inter = len(ct & rt)
    r, p = inter / len(rt), inter / len(ct)
    return r, p, (2 * r * p / (r + p) if inter else 0.0)


def analyse(item: Item, text: str, use_model: bool = True) -> Analysis:
    """Claims of `text` and their verdicts against `item` (cached per item and text)."""
    key = (_item_key(item), text, use_model)
    with _lock:
        a = _analysis_cache.get(key)
        if a is not None:
            _analysis_cache.move_to_end(key)
            return a
    a = _analyse(item, text, use_model)
    with _lock:
        _analysis_cache[key] = a
        while len(_analysis_cache) > 4096:
            _analysis_cache.popitem(last=False)
    return a


def _with_subject(context: str, text: str) -> str:
    """The claim prefixed with what its "these"/"it" refers to: a short heading, else the drugs named."""
    ctx = _clean(context)
    if len(ctx.split()) <= 12:
        return f"{ctx}: {text}"
    names = list(dict.fromkeys(ctx[m.start:m.end] for m in checks.mentions(ctx)))
    return f"{', '.join(names)}: {text}" if names else text


def _leans_on_context(c: Claim) -> bool:
    return bool(c.context) and (bool(re.match(lexicon()["anaphora"], c.text.lstrip("*_ "), re.I))
                                or len(c.text.split()) <= 8)


@dataclass
class Similarity:
    """Claims of an answer and their closeness to each reference (facts, then misconceptions)."""

    claims: tuple[Claim, ...]
    cleaned: list[str]
    etoks: list[frozenset[str]]
    lean: list[bool]
    score: np.ndarray        # blended, claims x refs
    cos: np.ndarray
    lex: np.ndarray          # (recall, precision, F1) of words, with the claim's context
    own_lex: np.ndarray      # ... of the claim's own words
    model_calls: int
    embedder: str


def similarity(item: Item, text: str, use_model: bool = True) -> Similarity:
    """Blend of MiniLM cosine and word overlap between each claim and each fact/misconception.

    The model is skipped for claims whose words settle it: a near-copy of a reference, or no
    content word shared with any reference. All remaining claims of the answer go in one batch.
    """
    refs = _refs(item)
    claims = extract_claims(text)
    nr = len(refs.texts)
    cleaned = [_clean(c.text) for c in claims]
    ctoks = [content_tokens(t) for t in cleaned]
    lean = [_leans_on_context(c) for c in claims]
    embed_texts = [(_with_subject(c.context, t) if lean[i] else t) for i, (c, t) in enumerate(zip(claims, cleaned))]
    etoks = [content_tokens(t) for t in embed_texts]
    lex = np.zeros((len(claims), nr, 3), dtype=np.float32)
    own_lex = np.zeros((len(claims), nr, 3), dtype=np.float32)
    for i, ct in enumerate(etoks):
        for j, rt in enumerate(refs.tokens):
            lex[i, j] = _lex(ct, rt)
            own_lex[i, j] = lex[i, j] if not lean[i] else _lex(ctoks[i], rt)
    cos = lex[:, :, 2].copy()
    # A claim whose words nearly all come from one reference (a clause of it) is settled by words:
    # its proxy similarity to that reference is the share of its words found there.
    n_words = np.array([len(t) for t in etoks])[:, None]
    sub = ((lex[:, :, 1] >= DECISIVE_PRECISION) & (n_words >= 4)) | ((lex[:, :, 1] >= 0.999) & (n_words >= 2))
    cos = np.where(sub, np.maximum(cos, lex[:, :, 1]), cos)
    # Words shared with the closest reference; a shared drug or drug class counts as one more.
    ents = [features(t).entities for t in embed_texts]
    shared = [max((len(etoks[i] & rt) + bool(ents[i] & rf.entities) for rt, rf in zip(refs.tokens, refs.feats)),
                  default=0) for i in range(len(claims))]
    need = [i for i in range(len(claims)) if nr and lex[i, :, 2].max() < DECISIVE and not sub[i].any()
            and shared[i] >= MIN_SHARED]
    model_calls = 0
    emb_name = "minilm" if use_model else "lexical"
    emb = _embedder() if (use_model and need) else None
    if use_model and need and emb is None:
        emb_name = "lexical"
    if emb is not None:
        # References are embedded lazily, once per item: only those sharing a word with a claim that
        # needs the model (a reference sharing no word with any claim keeps its word-overlap score, 0).
        want = sorted({j for i in need for j in range(nr) if lex[i, j, 0] > 0})
        with _lock:
            if refs.vecs is None:
                refs.vecs = np.zeros((nr, 384), dtype=np.float32)
                refs.have = np.zeros(nr, dtype=bool)
            todo = [j for j in want if not refs.have[j]]
        batch = [embed_texts[i] for i in need] + [refs.texts[j] for j in todo]
        vecs = emb.embed(batch)
        model_calls = len(batch)
        with _lock:
            for k, j in enumerate(todo):
                refs.vecs[j] = vecs[len(need) + k]
                refs.have[j] = True
            ref_vecs = refs.vecs.copy()
        sims = vecs[:len(need)] @ ref_vecs.T
        for k, i in enumerate(need):
            cos[i, want] = sims[k, want]
    score = W_COS * cos + (1 - W_COS) * lex[:, :, 2]
    return Similarity(claims, cleaned, etoks, lean, score, cos, lex, own_lex, model_calls, emb_name)


def _analyse(item: Item, text: str, use_model: bool) -> Analysis:
    refs = _refs(item)
    sim = similarity(item, text, use_model)
    claims, cleaned, etoks, lean = sim.claims, sim.cleaned, sim.etoks, sim.lean
    score, cos, lex, own_lex = sim.score, sim.cos, sim.lex, sim.own_lex
    model_calls, emb_name = sim.model_calls, sim.embedder
    if not claims or not refs.texts:
        cov = tuple(Coverage(f, None, 0.0) for f in item.facts if f.required)
        return Analysis(claims, tuple(Verdict(c, "unsupported", message="no reference facts") for c in claims), cov,
                        0, emb_name)

    feats = [features(t) for t in cleaned]
    ctx_feats = [features(_clean(c.context)) if c.context else None for c in claims]
    verdicts = []
    for i, c in enumerate(claims):
        verdicts.append(_decide(i, c, cleaned[i], etoks[i], feats[i], ctx_feats[i] if lean[i] else None, refs,
                                score[i], cos[i], lex[i], own_lex[i]))

    coverage = _coverage(item, text, claims, feats, verdicts, refs, score, cos, lex)
    return Analysis(claims, tuple(verdicts), coverage, model_calls, emb_name)


# ---------------------------------------------------------------- decisions


def _with_context(f: Features, ctx: Features | None) -> Features:
    """Claim features with the entities (and drug-class assertions) of the heading it leans on."""
    if ctx is None:
        return f
    from dataclasses import replace
    return replace(f, entities=f.entities | ctx.entities, drugs=f.drugs | ctx.drugs)


def _decide(i: int, c: Claim, text: str, etok: frozenset[str], f: Features, ctx: Features | None, refs: _Refs,
            score: np.ndarray, cos: np.ndarray, lex: np.ndarray, own_lex: np.ndarray) -> Verdict:
    nf = len(refs.facts)
    fe = _with_context(f, ctx)
    fact_scores = score[:nf]
    order = np.argsort(-fact_scores) if nf else np.array([], dtype=int)
    best_f = int(order[0]) if nf else -1
    conflicts: list[tuple[str, list[int], str | None, float, str]] = []   # check, fact idx, mis id, sim, msg

    # (a) misconceptions
    consistent: list[float] = []

    def consistent_best() -> float:
        if not consistent:
            consistent.append(max((float(fact_scores[j]) for j in range(nf)
                                   if not checks.opposite(text, refs.texts[j])), default=0.0))
        return consistent[0]

    refuted_mis: list[int] = []
    for k, m in enumerate(refs.miscs):
        j = nf + k
        s = float(score[j])
        if s < MISCONCEPTION:
            continue
        mf = refs.feats[j]
        line_denied = mf.later_line and not mf.later_negated and f.later_line and f.later_negated
        if line_denied or checks.opposite(text, m.text):
            refuted_mis.append(k)
            continue
        if f.reported:
            continue
        if mf.entities and fe.entities and not (fe.entities & mf.entities):
            continue
        own = content_tokens(text) | _quantifiers(text)
        verbatim = s >= NEAR_COPY
        need_words = refs.distinct_need[k]
        shared_words = len(own & refs.distinct[k]) + (1 if (f.entities & mf.entities) and (own & refs.distinct[k]) else 0)
        if refs.distinct[k] and not verbatim and shared_words < need_words \
                and not _agrees_with_mis_only(f, mf, refs, m):
            continue
        if checks.class_conflicts(mf) and not _same_assertion(f, mf):
            continue
        if mf.quantities and f.quantities and checks.number_conflict(f.quantities, mf.quantities):
            continue
        if checks.transplant_conflict(f, mf):
            continue
        if s + MIS_MARGIN < consistent_best() and not _agrees_with_mis_only(f, mf, refs, m):
            continue
        fids = [refs.fact_index[x] for x in m.corrected_by if x in refs.fact_index]
        conflicts.append(("misconception", fids, m.id, s, f"makes a claim a correct answer must not make: {m.text}"))

    # (b) drug class, from the lexicon
    listy = ctx is not None and _is_list_claim(text)
    cc = checks.class_conflicts(f, ctx.classes if listy else frozenset(),
                                ctx.drugs if ctx is not None else frozenset())
    if cc and not f.reported:
        drug, classes, neg = cc[0]
        fids = [j for j in range(nf) if drug in refs.feats[j].drugs]
        fids.sort(key=lambda j: -float(fact_scores[j]))
        lx = checks.drug_lexicon()
        true_cls = sorted(lx.drug_classes.get(drug, frozenset()) - lx.generic)
        what = "is not" if not neg else "is"
        conflicts.append(("drug_class", fids[:3], None, float(fact_scores[fids[0]]) if fids else 0.0,
                          f"{drug} {what} {' / '.join(sorted(classes)).replace('_', ' ')} "
                          f"(it is {', '.join(true_cls).replace('_', ' ') or 'another class'})"))

    # (c) checks against close facts
    if not f.reported:
        for j in order[:4] if nf else []:
            j = int(j)
            s = float(fact_scores[j])
            rf = refs.feats[j]
            if s >= CHECK and cos[j] >= POLARITY_COS and own_lex[j, 0] >= POLARITY_LEX and \
                    own_lex[j, 1] >= POLARITY_LEX and \
                    _polarity_flip(text, refs.texts[j]):
                conflicts.append(("polarity", [j], None, s, f"negates {refs.facts[j].id}: {refs.facts[j].text}"))
            obj = checks.permits(text, refs.texts[j]) if s >= CHECK else None
            if obj:
                conflicts.append(("polarity", [j], None, s,
                                  f"calls safe what {refs.facts[j].id} says to avoid ({' '.join(sorted(obj))})"))
            nc = checks.number_conflict(f.quantities, rf.quantities) if f.quantities and rf.quantities else None
            if nc and s >= CHECK and j in [int(x) for x in order[:2]] and \
                    not _number_elsewhere(f, nc[0], refs, j):
                kind, cq, rq = nc
                conflicts.append(("number", [j], None, s,
                                  f"states a different {kind} ({_fmt(cq)}) than {refs.facts[j].id} ({_fmt(rq)})"))
        for j in range(nf):
            s = float(fact_scores[j])
            rf = refs.feats[j]
            tk = checks.transplant_conflict(f, rf) if s >= TRANSPLANT else None
            if tk:
                conflicts.append(("transplant_type", [j], None, s,
                                  f"{'offers' if getattr(f, tk) > 0 else 'rules out'} {tk} transplant, "
                                  f"which {refs.facts[j].id} {'rules out' if getattr(rf, tk) < 0 else 'recommends'}"))
        tx_refs = [j for j in range(nf) if fact_scores[j] >= TRANSPLANT and (refs.feats[j].autologous or refs.feats[j].allogeneic)]
        if tx_refs and not any(x[0] == "transplant_type" for x in conflicts):
            tk = checks.transplant_mismatch(f, [refs.feats[j] for j in range(nf) if refs.feats[j].autologous or refs.feats[j].allogeneic])
            if tk:
                j = max(tx_refs, key=lambda x: float(fact_scores[x]))
                conflicts.append(("transplant_type", [j], None, float(fact_scores[j]),
                                  f"recommends {tk} transplant where {refs.facts[j].id} recommends the other type"))
        if fe.later_line:
            line_hits = [j for j in range(nf) if fact_scores[j] >= LINE and checks.line_conflict(fe, refs.feats[j])]
            backed = any(refs.feats[j].later_line and not refs.feats[j].later_negated and
                         (fe.entities & refs.feats[j].entities) and checks.prior_compatible(fe.prior, refs.feats[j].prior)
                         and fact_scores[j] >= LINE for j in range(nf))
            if line_hits and not backed:
                j = max(line_hits, key=lambda x: float(fact_scores[x]))
                conflicts.append(("line_of_therapy", [j], None, float(fact_scores[j]),
                                  f"limits to a later line what {refs.facts[j].id} gives as first-line: {refs.facts[j].text}"))

    if conflicts:
        prio = ("misconception", "drug_class", "transplant_type", "line_of_therapy", "number", "polarity")
        conflicts.sort(key=lambda x: (prio.index(x[0]), -x[3]))
        check, fids, mid, s, msg = conflicts[0]
        all_fids = list(dict.fromkeys(refs.facts[j].id for _, fl, _, _, _ in conflicts for j in fl))
        mids = [x[2] for x in conflicts if x[2]]
        return Verdict(c, "contradicted", tuple(all_fids), mid or (mids[0] if mids else None), check,
                       tuple(dict.fromkeys(x[0] for x in conflicts)), round(s, 4), msg)

    # support (a claim only reported, "some clinics claim that ...", is not asserted either way)
    if f.reported:
        return Verdict(c, "unsupported", (), None, None, (), round(float(fact_scores[best_f]) if nf else 0.0, 4),
                       "reports a claim without asserting it")
    sup = []
    if nf and fact_scores[best_f] >= SUPPORT:
        top = float(fact_scores[best_f])
        sup = [int(j) for j in order if fact_scores[j] >= max(SUPPORT, top - SUPPORT_BAND)]
    check = "similarity" if sup else None
    ctx_classes = ctx.classes if (ctx is not None and _is_list_claim(text)) else frozenset()
    agree = [j for j in range(nf) if checks.class_agreements(f, refs.feats[j], ctx_classes) > 0]
    if agree and (f.assertions or (ctx_classes and f.drugs)):
        sup = list(dict.fromkeys(sup + agree))
        check = check or "drug_class"
    if not sup and refuted_mis:
        k = max(refuted_mis, key=lambda k: float(score[nf + k]))
        fids = [refs.fact_index[x] for x in refs.miscs[k].corrected_by if x in refs.fact_index]
        if fids:
            sup, check = fids, "refutes_misconception"
    if sup:
        s = float(max(fact_scores[j] for j in sup))
        ids = tuple(refs.facts[j].id for j in sup)
        return Verdict(c, "supported", ids, None, check, (check,) if check else (), round(s, 4),
                       f"supported by {', '.join(ids)}")
    return Verdict(c, "unsupported", (), None, None, (), round(float(fact_scores[best_f]) if nf else 0.0, 4),
                   "no reference fact supports this claim")


_LIST_WORDS = re.compile(r"\b(?:examples?|include[sd]?|including|such|as|e\.g|and|or|are|is|the|drugs?|medicines?|"
                         r"options?|like|for|example|with|plus)\b", re.I)


def _is_list_claim(text: str) -> bool:
    """A bare list of drugs ("Examples include ibrutinib, acalabrutinib and venetoclax")."""
    ms = checks.mentions(text)
    if not any(m.kind == "drug" for m in ms):
        return False
    rest = text
    for m in reversed(ms):
        rest = rest[:m.start] + " " + rest[m.end:]
    rest = _LIST_WORDS.sub(" ", rest)
    return len(re.findall(r"[A-Za-z]{2,}", rest)) <= 2


def _polarity_flip(text: str, ref: str) -> bool:
    """Some clause of the claim is a clause of the reference with a negation added or removed.

    Clauses are compared pairwise (each claim clause with the reference clause sharing most words)
    and must share most of their words both ways, so a longer sentence that merely mentions the
    same things is not read as a denial.
    """
    for part in checks.clauses(text):
        ct = content_tokens(part)
        ref_part = checks.best_clause(ref, ct)
        rt = content_tokens(ref_part)
        inter = len(ct & rt)
        if not rt or not ct or inter / len(rt) < POLARITY_LEX or inter / len(ct) < POLARITY_LEX:
            continue
        if checks.relevant_negations(part, rt) % 2 != checks.relevant_negations(ref_part, ct) % 2:
            return True
    return False


def _same_assertion(f: Features, mf: Features) -> bool:
    """The claim states one of the misconception's drug-class pairings (right or wrong)."""
    mp = {(d, c, n) for ds, cs, n in mf.assertions for d in ds for c in cs}
    cp = {(d, c, n) for ds, cs, n in f.assertions for d in ds for c in cs}
    return bool(mp & cp)


def _agrees_with_mis_only(f: Features, mf: Features, refs: _Refs, m: Misconception) -> bool:
    """The claim shares the misconception's distinctive property (line, transplant, number)."""
    if mf.later_line and f.later_line and not f.later_negated:
        return True
    if (mf.autologous and mf.autologous == f.autologous) or (mf.allogeneic and mf.allogeneic == f.allogeneic):
        return True
    return False


def _number_elsewhere(f: Features, kind: str, refs: _Refs, skip: int) -> bool:
    """The claim's number of this kind matches some other fact of the item (a different statement)."""
    cq = [q for q in f.quantities if q.kind == kind]
    for j, rf in enumerate(refs.feats[:len(refs.facts)]):
        if j == skip:
            continue
        if any(c.matches(r) for c in cq for r in rf.quantities if r.kind == kind):
            return True
    return False


def _fmt(q: checks.Quantity) -> str:
    unit = {"temp": " °C", "percent": "%", "duration": " days", "dose": " mg", "spf": "", "age": " years", "count": ""}.get(q.kind, "")
    v = f"{q.lo:g}" if q.lo == q.hi else f"{q.lo:g}–{q.hi:g}"
    pre = {"ge": "≥ ", "le": "≤ "}.get(q.bound, "")
    return f"{pre}{v}{unit}" if q.kind != "spf" else f"SPF {pre}{v}"


# ---------------------------------------------------------------- coverage


def _coverage(item: Item, text: str, claims: tuple[Claim, ...], feats: list[Features], verdicts: list[Verdict],
              refs: _Refs, score: np.ndarray, cos: np.ndarray, lex: np.ndarray) -> tuple[Coverage, ...]:
    out = []
    for j, fact in enumerate(refs.facts):
        if not fact.required:
            continue
        best: tuple[float, int] | None = None
        passing: list[int] = []
        for i, c in enumerate(claims):
            s = float(score[i, j])
            if s < COVER or s < float(score[i, :len(refs.facts)].max()) - COVER_BAND:
                continue
            if lex[i, j, 0] < COVER_RECALL and cos[i, j] < COVER_COS:
                continue
            v = verdicts[i]
            if v.label == "contradicted" and (fact.id in v.fact_ids or v.check == "misconception"):
                continue
            rf, cf = refs.feats[j], feats[i]
            if _polarity_flip(_clean(c.text), fact.text):
                continue
            if cf.quantities and rf.quantities and checks.number_conflict(cf.quantities, rf.quantities):
                continue
            if checks.transplant_conflict(cf, rf):
                continue
            if best is None or s > best[0]:
                best = (s, i)
            passing.append(i)
        if best is None:
            out.append(Coverage(fact, None, 0.0))
            continue
        # Clauses of the same sentence that also convey the fact widen the span to cover them.
        c = claims[best[1]]
        mates = [claims[i] for i in passing if claims[i].sentence_start == c.sentence_start]
        start, end = min(m.start for m in mates), max(m.end for m in mates)
        if (start, end) != (c.start, c.end):
            c = Claim(start, end, text[start:end], c.context, c.sentence_start, c.sentence_end)
        out.append(Coverage(fact, c, round(best[0], 4)))
    return tuple(out)
