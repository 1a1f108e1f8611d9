"""Checks that see contradictions a similarity score cannot: polarity, drug class, numbers, line of
therapy and transplant type.

Two sentences that differ only in "recommended" / "not recommended", "BTK" / "BCL2", "45" / "50",
"first-line" / "after chemotherapy failed" or "allogeneic" / "autologous" embed almost identically.
Each check here extracts the one property it is about from a claim and from a reference text and
says whether they conflict. Features are pure functions of the text, cached per text, and every
word list comes from `data/drug_classes.yaml` or `data/grounding_lexicon.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

import yaml

from .claims import content_tokens, lexicon

# ---------------------------------------------------------------- drug lexicon


@dataclass(frozen=True)
class DrugLexicon:
    drug_classes: dict[str, frozenset[str]]     # generic -> class ids incl. parents
    class_parents: dict[str, frozenset[str]]     # class -> itself + ancestors
    generic: frozenset[str]                       # classes too broad to compare
    name_re: re.Pattern[str]                      # drugs, brands and class names
    names: dict[str, tuple[str, str]]             # lowercase surface -> ("drug"|"class", id)


@lru_cache(maxsize=1)
def drug_lexicon() -> DrugLexicon:
    """The drug/class lexicon with parents closed and one regex for every surface form."""
    data: dict[str, Any] = yaml.safe_load(
        resources.files("qaeval.data").joinpath("drug_classes.yaml").read_text("utf-8"))
    classes = data["classes"]

    def ancestors(cid: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        out = {cid}
        for p in classes.get(cid, {}).get("parents", []) or []:
            if p not in seen:
                out |= ancestors(p, seen | {cid})
        return frozenset(out)

    parents = {cid: ancestors(cid) for cid in classes}
    drugs: dict[str, frozenset[str]] = {}
    for d, cls in data["drugs"].items():
        s: set[str] = set()
        for c in cls:
            s |= parents.get(c, {c})
        drugs[d.lower()] = frozenset(s)
    names: dict[str, tuple[str, str]] = {}
    for d in drugs:
        names[d] = ("drug", d)
    for b, g in (data.get("brands") or {}).items():
        names[b.lower()] = ("drug", g.lower())
    for cid, spec in classes.items():
        for n in spec.get("names", []) or []:
            names.setdefault(n.lower(), ("class", cid))
    surfaces = sorted(names, key=len, reverse=True)
    alt = "|".join(re.escape(s).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?") for s in surfaces)
    name_re = re.compile(rf"(?<![\w-])(?:{alt})(?:s|es)?(?![\w])", re.I)
    return DrugLexicon(drugs, parents, frozenset(data.get("generic", [])), name_re, names)


def _lookup(surface: str) -> tuple[str, str] | None:
    lx = drug_lexicon()
    s = re.sub(r"[\s-]+", " ", surface.lower()).strip()
    for cand in (s, s[:-2] if s.endswith("es") else s, s[:-1] if s.endswith("s") else s):
        for key, val in lx.names.items():
            if re.sub(r"[\s-]+", " ", key) == cand:
                return val
    return None


@lru_cache(maxsize=4096)
def _lookup_cached(surface: str) -> tuple[str, str] | None:
    return _lookup(surface)


@dataclass(frozen=True)
class Mention:
    kind: str      # "drug" | "class"
    id: str
    start: int
    end: int


_ELLIPSIS = re.compile(r"\b([A-Z][A-Za-z0-9-]{1,8})\s*(?:,|and|or|/|&)\s*(?=(?:[A-Z][A-Za-z0-9-]{1,8}\s*(?:,|and|or|/|&)\s*)*"
                       r"[A-Z][A-Za-z0-9-]{1,8}\s+(inhibitors?|blockers?|antagonists?)\b)")


@lru_cache(maxsize=32768)
def mentions(text: str) -> tuple[Mention, ...]:
    """Drug and drug-class mentions, in order ("BTK and BCL2 inhibitors" names two classes)."""
    out = []
    for m in drug_lexicon().name_re.finditer(text):
        hit = _lookup_cached(m.group(0))
        if hit:
            out.append(Mention(hit[0], hit[1], m.start(), m.end()))
    for m in _ELLIPSIS.finditer(text):
        hit = _lookup_cached(f"{m.group(1)} {m.group(2)}")
        if hit and hit[0] == "class" and not any(x.start <= m.start(1) < x.end for x in out):
            out.append(Mention("class", hit[1], m.start(1), m.end(1)))
    return tuple(sorted(out, key=lambda x: x.start))


# ---------------------------------------------------------------- patterns


@lru_cache(maxsize=1)
def _rx() -> dict[str, re.Pattern[str]]:
    lx = lexicon()
    keys = ("negation", "pseudo_negation", "reported", "refutation", "additive", "line_first", "line_later",
            "line_restrictive", "prior_chemo", "prior_hormone", "autologous", "allogeneic", "subordinate",
            "prohibition_passive", "prohibition_active", "permission")
    return {k: re.compile(lx[k], re.I) for k in keys}


@lru_cache(maxsize=1)
def _antonyms() -> tuple[tuple[str, str], ...]:
    return tuple((a.lower(), b.lower()) for a, b in lexicon().get("antonyms", []))


@lru_cache(maxsize=65536)
def _main_clause(text: str) -> str:
    """The text without subordinate clauses ("..., if you don't also get chemotherapy")."""
    rx = _rx()
    t = text
    for m in reversed(list(rx["subordinate"].finditer(t))):
        if m.start() == 0 or re.match(r"^[\s\"'*_(]*$", t[:m.start()]):
            comma = t.find(",", m.end())
            if comma != -1:
                t = " " * (comma + 1) + t[comma + 1:]
            continue
        end = len(t)
        for sep in (",", ";", " — ", " - "):
            k = t.find(sep, m.end())
            if k != -1:
                end = min(end, k)
        t = t[:m.start()] + " " * (end - m.start()) + t[end:]
    return t


@lru_cache(maxsize=65536)
def negation_count(text: str) -> int:
    """How many negation cues the text has (pseudo-negations such as "not only" excluded)."""
    rx = _rx()
    t = _main_clause(text.strip().lstrip("*_ "))
    # "when chemotherapy hasn't worked" is a condition, not a denial; blank it out.
    t = rx["line_later"].sub(lambda m: " " * len(m.group(0)), t)
    pseudo = [m.span() for m in rx["pseudo_negation"].finditer(t)]
    n = 0
    for m in rx["negation"].finditer(t):
        if any(a <= m.start() < b for a, b in pseudo):
            continue
        n += 1
    return n


# ---------------------------------------------------------------- numbers

_NUMWORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
             "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, "twenty": 20,
             "thirty": 30, "a": 1, "an": 1, "half": 0.5}
_NUM = r"(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|eighteen|twenty|thirty)"
_RANGE = rf"{_NUM}(?:\s*(?:to|–|—|-)\s*{_NUM})?"
_LOWER = r"(?:at\s+least|over|above|more\s+than|greater\s+than|higher\s+than|from)\s+"
_UPPER = r"(?:up\s+to|under|below|less\s+than|within|no\s+more\s+than|at\s+most)\s+"
_OR_MORE = r"\s*(?:or\s+(?:more|higher|above|older|greater|longer)|\+|and\s+(?:above|over|older))"
_OR_LESS = r"\s*(?:or\s+(?:less|lower|below|younger|fewer))"
_UNITS = {
    "temp": r"\s*°\s*([CF])\b|\s*(?:degrees?\s*)?(celsius|fahrenheit)\b|\s*degrees?\s*([CF])\b",
    "percent": r"\s*(%|percent\b)",
    "duration": r"[\s-]*(hours?|days?|weeks?|months?|years?)\b",
    "dose": r"\s*(mg|mcg|micrograms?|milligrams?)\b",
    "count": r"\s*(cycles?|doses?|courses?|rounds?)\b",
}
_DAYS = {"hour": 1 / 24, "day": 1, "week": 7, "month": 30.4, "year": 365}


# (relative, absolute) tolerance when comparing two values of a kind: 38.0 °C and 100.4 °F agree,
# 38.0 °C and 38.5 °C do not.
_TOLERANCE = {"temp": (0.0, 0.15), "percent": (0.0, 0.5), "age": (0.0, 0.5), "spf": (0.0, 0.5),
              "count": (0.0, 0.5), "duration": (0.03, 0.05), "dose": (0.01, 0.05)}


@dataclass(frozen=True)
class Quantity:
    kind: str
    lo: float
    hi: float
    bound: str = ""        # "" a value or range; "ge" at least; "le" at most

    def matches(self, other: "Quantity") -> bool:
        """True when the two quantities can both be true of the same thing."""
        rel, floor = _TOLERANCE.get(self.kind, (0.03, 0.05))
        tol = lambda v: 0.0 if v == float("inf") else max(abs(v) * rel, floor)  # noqa: E731
        if self.bound and other.bound:
            a = self.lo if self.bound == "ge" else self.hi
            b = other.lo if other.bound == "ge" else other.hi
            return abs(a - b) <= tol(b)
        lo1, hi1 = (self.lo, float("inf")) if self.bound == "ge" else ((0.0, self.hi) if self.bound == "le" else (self.lo, self.hi))
        lo2, hi2 = (other.lo, float("inf")) if other.bound == "ge" else ((0.0, other.hi) if other.bound == "le" else (other.lo, other.hi))
        return lo1 - tol(lo1) <= hi2 + tol(hi2) and lo2 - tol(lo2) <= hi1 + tol(hi1)


def _num(s: str | None) -> float | None:
    if s is None:
        return None
    s = s.lower()
    return float(_NUMWORDS[s]) if s in _NUMWORDS else float(s)


@lru_cache(maxsize=1)
def _num_rx() -> dict[str, re.Pattern[str]]:
    out = {}
    for kind, unit in _UNITS.items():
        num = _RANGE if kind != "temp" else r"(\d+(?:\.\d+)?)()"
        pre = r"(?<![\w.])" if kind != "duration" else r"(?<![\w.])(?:an?\s+|)"
        out[kind] = re.compile(rf"(?:({_LOWER})|({_UPPER}))?{pre}{num}(?:{unit})(?:\s*\([^()]{{0,25}}\))?"
                               rf"((?:{_OR_MORE})|(?:{_OR_LESS}))?", re.I)
    out["spf"] = re.compile(rf"(?:({_LOWER})|({_UPPER}))?\bSPF\s*(\d+)()((?:{_OR_MORE})|(?:{_OR_LESS}))?", re.I)
    out["age"] = re.compile(
        rf"(?:({_LOWER})|({_UPPER}))?(?:\bage[sd]?\s+(?:of\s+)?|\b(?:start|starts|starting|begin|begins|beginning)\s+(?:at|from)\s+(?:age\s+)?)"
        rf"(\d{{2}})()(?:\s+or\s+(?:older|over|above|younger))?((?:{_OR_MORE})|(?:{_OR_LESS}))?|(\d{{2}})\s*(?:years?\s+old|-year-olds?)", re.I)
    return out


@lru_cache(maxsize=32768)
def quantities(text: str) -> tuple[Quantity, ...]:
    """Numbers with units: temperature (°C), percent, durations (days), doses, counts, SPF, ages."""
    out: list[Quantity] = []
    for kind, rx in _num_rx().items():
        for m in rx.finditer(text):
            g = m.groups()
            if kind == "age" and g[-1]:
                v = float(g[-1])
                out.append(Quantity("age", v, v))
                continue
            lower, upper, a, b = g[0], g[1], _num(g[2]), _num(g[3]) if g[3] else None
            if a is None:
                continue
            tail = g[-1] if kind != "age" else g[4]
            lo, hi = (a, b) if b is not None else (a, a)
            if lo > hi:
                lo, hi = hi, lo
            unit_groups = [x for x in g[4:-1] if x] if kind not in ("spf", "age") else []
            k = kind
            if kind == "temp":
                unit = (unit_groups[0] if unit_groups else "c")[0].lower()
                if unit == "f" or lo > 50:
                    lo, hi = (lo - 32) * 5 / 9, (hi - 32) * 5 / 9
            elif kind == "duration":
                unit = unit_groups[0].lower().rstrip("s") if unit_groups else "day"
                f = _DAYS.get(unit, 1)
                lo, hi = lo * f, hi * f
            elif kind == "dose":
                unit = unit_groups[0].lower() if unit_groups else "mg"
                if unit.startswith(("mcg", "micro")):
                    lo, hi = lo / 1000, hi / 1000
            bound = ""
            if kind == "duration" and lower and lower.strip().lower() in ("over", "from"):
                lower = None
            if kind == "duration" and upper and upper.strip().lower().startswith("up"):
                upper = None   # "taken for up to 3 years" names the planned length
            if b is None:
                if lower or (tail and re.search(r"more|higher|above|older|greater|longer|\+|over", tail, re.I)):
                    bound = "ge"
                elif upper or (tail and re.search(r"less|lower|below|younger|fewer", tail, re.I)):
                    bound = "le"
            out.append(Quantity(k, round(lo, 3), round(hi, 3), bound))
    return tuple(dict.fromkeys(out))


def number_conflict(claim_q: Iterable[Quantity], ref_q: Iterable[Quantity]) -> tuple[str, Quantity, Quantity] | None:
    """A kind both texts quantify where none of the claim's values fits any of the reference's."""
    cq, rq = list(claim_q), list(ref_q)
    for kind in {q.kind for q in cq} & {q.kind for q in rq}:
        cs = [q for q in cq if q.kind == kind]
        rs = [q for q in rq if q.kind == kind]
        if not any(c.matches(r) for c in cs for r in rs):
            return kind, cs[0], rs[0]
    return None


# ---------------------------------------------------------------- features


@dataclass(frozen=True)
class Features:
    """What the checks need to know about one text."""

    tokens: frozenset[str]
    negations: int
    reported: bool
    drugs: frozenset[str]
    classes: frozenset[str]
    entities: frozenset[str]                      # specific drugs and classes, drugs' classes included
    assertions: tuple[tuple[frozenset[str], frozenset[str], bool], ...]   # (drugs, classes, negated)
    quantities: tuple[Quantity, ...]
    first_line: bool
    later_line: bool
    later_negated: bool
    restrictive: bool
    additive: bool
    prior: str                                      # "chemo" | "hormone" | "<class id>" | "any" | ""
    autologous: int                                 # +1 asserted, -1 negated, 0 absent
    allogeneic: int

    @property
    def polarity(self) -> int:
        return self.negations % 2


_BETWEEN_ASSERT = re.compile(
    r"^[\s,(—–-]*(?:(?:which|that|it)\s+)?(?:is|are|was|were|'s|acts\s+as|works\s+as|belongs\s+to)?\s*(?:not\s+|n't\s+)?"
    r"(?:(?:also|actually|essentially|basically|both|all|simply|really|just|in\s+fact|usually|generally|still)\s+)*(?:(?:a|an|the|another|other)\s+)?"
    r"(?:(?:type|kind|form|class|member|group)\s+of\s+(?:(?:a|an|the)\s+)?)?"
    r"(?:(?:new(?:er)?|oral|covalent|non-covalent|noncovalent|second-generation|third-generation|next-generation|"
    r"targeted|traditional|standard|conventional|daily|once-daily|potent|selective|highly\s+selective|irreversible|"
    r"reversible|fully\s+human|humanized|immune)\s+)*$", re.I)
# An apposition or copula, not a bare comma between list items ("ibrutinib, chemotherapy or a trial").
_APPOSITION = re.compile(r"\b(?:is|are|was|were|acts|works|belongs|a|an|another|the|type|kind|class|form|member)\b|'s\b|\(", re.I)
_DRUG_LIST_SEP = re.compile(r"^\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*/\s*)$", re.I)
_CLASS_FIRST = re.compile(
    r"^\s*(?:,\s*)?(?:\(|such\s+as\s+|like\s+|including\s+|e\.g\.,?\s+|for\s+example,?\s+|:\s*|—\s*|-\s+|called\s+|named\s+|"
    r"(?:for\s+example|e\.g\.)\s*,?\s*)$", re.I)
_CLASS_JOIN = re.compile(r"^\s*(?:,\s*|\s+and\s+|\s+or\s+|\s+plus\s+|\s+with\s+|\s*\+\s*|\s*/\s*)(?:(?:a|an|the)\s+)?$", re.I)
_RELATIVE = re.compile(r"^\s*,?\s*(?:that|which)\s*$", re.I)
_VERB_CLASS = re.compile(r"^\s*(?:(?:which|that|it|both|all)\s+)?(?:block|blocks|target|targets|inhibit|inhibits)\s*$", re.I)


def _list_end(text: str, ms: tuple[Mention, ...], i: int) -> int:
    """Index of the last drug of the list starting at i ("A, B and C" ends at C, not at ", and D")."""
    j = i
    while j + 1 < len(ms) and ms[j + 1].kind == "drug":
        sep = text[ms[j].end:ms[j + 1].start]
        if not _DRUG_LIST_SEP.match(sep):
            break
        j += 1
        if re.search(r"\b(?:and|or)\b", sep, re.I):
            break
    return j


def _drug_assertions(text: str, ms: tuple[Mention, ...]) -> list[tuple[frozenset[str], frozenset[str], bool]]:
    """Pairs "these drugs are (not) of these classes" stated by the text's syntax.

    "D, a C" / "D is (not) a C" / "D and E are Cs" / "C such as D, E" / "Cs (D, E)" / "the C D" /
    "D blocks X". Coordinated classes ("a BRAF inhibitor plus a MEK inhibitor such as ...") form one
    set, and each drug only has to belong to one of them.
    """
    out = []
    n = len(ms)
    i = 0
    while i < n:
        m = ms[i]
        if m.kind == "drug":
            # drug list D1, D2 and D3
            j = _list_end(text, ms, i)
            drugs = frozenset(x.id for x in ms[i:j + 1])
            if j + 1 < n and ms[j + 1].kind == "class":
                between = text[ms[j].end:ms[j + 1].start]
                # "an NK1 antagonist like aprepitant, a 5-HT3 antagonist like ondansetron": the class
                # after the comma opens the next list item, it is not an apposition.
                nxt = ms[j + 2] if j + 2 < n else None
                if nxt is not None and nxt.kind == "drug" and _CLASS_FIRST.match(text[ms[j + 1].end:nxt.start]) \
                        and re.search(r"\b(?:like|such\s+as|e\.g\.|including)\b|\(", text[ms[j + 1].end:nxt.start], re.I):
                    i = j + 1
                    continue
                verb_class = re.match(r"(?:block|target|inhibit)s?\b", text[ms[j + 1].start:], re.I)
                if len(between) <= 70 and ((_BETWEEN_ASSERT.match(between) and _APPOSITION.search(between))
                                           or _VERB_CLASS.match(between) or (verb_class and not between.strip())):
                    k = j + 1
                    classes = {ms[k].id}
                    while k + 1 < n and ms[k + 1].kind == "class" and (
                            _CLASS_JOIN.match(text[ms[k].end:ms[k + 1].start]) or
                            (_RELATIVE.match(text[ms[k].end:ms[k + 1].start]) and
                             re.match(r"(?:block|target|inhibit)s?\b", text[ms[k + 1].start:], re.I))):
                        k += 1
                        classes.add(ms[k].id)
                    neg = bool(re.search(r"\bnot\b|n't\b", between, re.I))
                    out.append((drugs, frozenset(classes), neg))
                    i = k + 1
                    continue
            i = j + 1
            continue
        # class first: C1 (and C2) such as / ( / : D1, D2
        k = i
        classes = {m.id}
        while k + 1 < n and ms[k + 1].kind == "class" and _CLASS_JOIN.match(text[ms[k].end:ms[k + 1].start]):
            k += 1
            classes.add(ms[k].id)
        if k + 1 < n and ms[k + 1].kind == "drug":
            between = text[ms[k].end:ms[k + 1].start]
            if len(between) <= 30 and (_CLASS_FIRST.match(between) or not between.strip()):
                j = _list_end(text, ms, k + 1)
                if re.search(r"\b(?:a|an)\s+(?:[\w-]+\s+)?$", text[max(0, ms[i].start - 30):ms[i].start], re.I):
                    # "a 5-HT3 antagonist like ondansetron, dexamethasone and olanzapine": one
                    # class, one example; only "or" extends it ("a BTK inhibitor such as A or B").
                    j = k + 1
                    while j + 1 < n and ms[j + 1].kind == "drug" and re.fullmatch(r"\s*,?\s*or\s+", text[ms[j].end:ms[j + 1].start]):
                        j += 1
                if "(" in between and not re.match(r"^\s*\)", text[ms[j].end:ms[j].end + 3]):
                    i = k + 1          # "(KEYTRUDA (pembrolizumab) label, 2025)" is a citation, not a list
                    continue
                out.append((frozenset(x.id for x in ms[k + 1:j + 1]), frozenset(classes), False))
                i = j + 1
                continue
        i = k + 1
    return out


_TX_CLAUSE = re.compile(r";|\s+but\s+|,\s+(?:while|whereas|although|though)\s+|\.\s", re.I)


@lru_cache(maxsize=32768)
def features(text: str) -> Features:
    """Extract every check's property from one text (cached: answers repeat sentences a lot)."""
    rx = _rx()
    lx = drug_lexicon()
    ms = mentions(text)
    drugs = frozenset(m.id for m in ms if m.kind == "drug")
    classes = frozenset(m.id for m in ms if m.kind == "class")
    ent: set[str] = set(drugs)
    for d in drugs:
        ent |= lx.drug_classes.get(d, frozenset())
    for c in classes:
        ent |= {c}
    ent -= lx.generic
    later = list(rx["line_later"].finditer(text))
    later_neg = False
    prior = ""
    if later:
        m0 = later[0]
        window = text[max(0, m0.start() - 40):m0.start()]
        later_neg = bool(re.search(r"\b(?:not|n't|never|rather\s+than|instead\s+of)\b[^.;]*$", window, re.I) or
                         re.search(r"n't\s*(?:\w+\s+){0,3}$", window, re.I))
        phrase = text[m0.start():min(len(text), m0.end() + 40)]
        pm = mentions(phrase)
        if rx["prior_chemo"].search(phrase):
            prior = "chemo"
        elif rx["prior_hormone"].search(phrase):
            prior = "hormone"
        elif pm:
            ids = {x.id for x in pm}
            prior = sorted(ids)[0]
        else:
            prior = "any"

    def transplant(rxk: str) -> int:
        m = _rx()[rxk].search(text)
        if not m:
            return 0
        # The clause holding the mention decides: "X is not a standard option" negates X.
        a = max([0] + [j.end() for j in _TX_CLAUSE.finditer(text, 0, m.start())])
        nxt = _TX_CLAUSE.search(text, m.end())
        clause = text[a:nxt.start() if nxt else len(text)]
        return -1 if negation_count(clause) % 2 else 1

    return Features(
        tokens=content_tokens(text),
        negations=negation_count(text),
        reported=bool(rx["reported"].search(text.strip().lstrip("*_ "))),
        drugs=drugs, classes=classes, entities=frozenset(ent),
        assertions=tuple(_drug_assertions(text, ms)),
        quantities=quantities(text),
        first_line=bool(rx["line_first"].search(text)),
        later_line=bool(later), later_negated=later_neg,
        restrictive=bool(later and rx["line_restrictive"].search(text)),
        additive=bool(rx["additive"].search(text)),
        prior=prior,
        autologous=transplant("autologous"), allogeneic=transplant("allogeneic"),
    )


# ---------------------------------------------------------------- checks

_POL_CLAUSE = re.compile(r";|:\s|\s[—–-]\s|,?\s+but\s+|,\s+so\s+|,\s+whereas\s+|,\s+while\s+", re.I)


@lru_cache(maxsize=32768)
def polarity_clauses(text: str) -> tuple[tuple[frozenset[str], int], ...]:
    """(content words, negation parity) of each clause, for clause-by-clause polarity comparison."""
    out = []
    for part in _POL_CLAUSE.split(text):
        toks = content_tokens(part)
        if len(toks) >= 2:
            out.append((toks, negation_count(part) % 2))
    return tuple(out)


@lru_cache(maxsize=65536)
def clauses(text: str) -> tuple[str, ...]:
    """The text split at strong joints (; : but whereas while so)."""
    parts = tuple(p for p in _POL_CLAUSE.split(text) if p and p.strip())
    return parts or (text,)


@lru_cache(maxsize=65536)
def best_clause(text: str, tokens: frozenset[str]) -> str:
    """The clause of `text` (split at ; but whereas ...) that shares most words with `tokens`."""
    parts = [p for p in _POL_CLAUSE.split(text) if p and p.strip()]
    if len(parts) <= 1:
        return text
    return max(parts, key=lambda p: len(content_tokens(p) & tokens))


@lru_cache(maxsize=65536)
def aligned_polarity(claim_text: str, ref_text: str, min_overlap: float = 0.5) -> bool | None:
    """Whether the claim flips the reference's polarity, judged clause by clause.

    Clauses are aligned by shared content words (at least `min_overlap` of the shorter one, and two
    words), so "X is not standard, whereas Y is" is compared part by part rather than as a whole.
    True: some aligned clause has the opposite polarity; False: clauses align and agree; None:
    nothing aligns (the caller falls back to whole-text parity).
    """
    cc, rc = polarity_clauses(claim_text), polarity_clauses(ref_text)
    aligned = False
    for ct, cp in cc:
        best = None
        for rt, rp in rc:
            inter = len(ct & rt)
            if inter < 2:
                continue
            ov = inter / max(len(ct), len(rt))
            if ov >= min_overlap and (best is None or ov > best[0]):
                best = (ov, rp)
        if best is not None:
            aligned = True
            if best[1] != cp:
                return True
    return False if aligned else None


_CUE_SCOPE_END = re.compile(r"[,;:.!?()—–]")


@lru_cache(maxsize=65536)
def relevant_negations(text: str, other_tokens: frozenset[str]) -> int:
    """Negation cues whose scope (the next three content words of their clause) the other text shares.

    "... and rarely seizures" does not negate a claim that never mentions seizures; "it is not true
    that <fact>" does negate the fact.
    """
    rx = _rx()
    t = _main_clause(text.strip().lstrip("*_ "))
    t = rx["line_later"].sub(lambda m: " " * len(m.group(0)), t)
    pseudo = [m.span() for m in rx["pseudo_negation"].finditer(t)]
    n = 0
    for m in rx["negation"].finditer(t):
        if any(a <= m.start() < b for a, b in pseudo):
            continue
        if m.group(0).lower() in ("no", "none", "nothing"):
            continue       # "no symptoms" negates a noun phrase, not the statement
        tail = t[m.end():]
        stop = _CUE_SCOPE_END.search(tail)
        head: set[str] = set()
        for w in re.findall(r"[A-Za-z0-9-]+", tail[:stop.start()] if stop else tail):
            head |= content_tokens(w)
            if len(head) >= 3:
                break
        if head & other_tokens:
            n += 1
    return n


@lru_cache(maxsize=65536)
def antonym_flips(claim_text: str, ref_text: str) -> int:
    """Word pairs where the claim uses one side and the reference the other ("keep" vs "stop")."""
    ct = set(re.findall(r"[a-z]+", claim_text.lower()))
    rt = set(re.findall(r"[a-z]+", ref_text.lower()))
    n = 0
    # "not only / not just for X" answers "only for X" (pseudo-negation elsewhere, a denial here).
    if re.search(r"\bnot\s+(?:only|just)\b", claim_text, re.I) and re.search(r"\bonly\b", ref_text, re.I) \
            and not re.search(r"\bnot\s+(?:only|just)\b", ref_text, re.I):
        n += 1
    for a, b in _antonyms():
        if (a in ct and b in rt and b not in ct and a not in rt) or (b in ct and a in rt and a not in ct and b not in rt):
            n += 1
    return n


@lru_cache(maxsize=65536)
def opposite(claim_text: str, ref_text: str) -> bool:
    """The claim says the opposite of the reference (clause-aligned, else whole-text parity).

    An antonym pair ("keep" / "stop") counts as one more flip.
    """
    a = aligned_polarity(claim_text, ref_text)
    flips = antonym_flips(claim_text, ref_text)
    if a is None:
        a = negation_count(claim_text) % 2 != negation_count(ref_text) % 2
    return bool((int(a) + flips) % 2)


def class_conflicts(feat: Features, context_classes: frozenset[str] = frozenset(),
                    context_drugs: frozenset[str] = frozenset()) -> list[tuple[str, frozenset[str], bool]]:
    """Drugs the text puts in a class they do not belong to (or out of one they do).

    Returns (drug, asserted classes, negated). With `context_classes` (from the heading a bullet
    sits under) a bare drug list is checked against them as a set; with `context_drugs` a class
    stated about "it"/"these" is checked against the drugs the context named.
    """
    lx = drug_lexicon()
    out = []
    asserts = list(feat.assertions)
    if not asserts and feat.drugs and context_classes and not feat.classes:
        asserts.append((feat.drugs, context_classes, False))
    if not asserts and context_drugs and feat.classes and not feat.drugs and len(context_drugs) == 1:
        asserts.append((context_drugs, feat.classes, bool(feat.polarity)))
    for drugs, classes, neg in asserts:
        # A specific class ("BTK inhibitor") decides when one is named; a broad one ("chemotherapy",
        # "targeted therapy") only when it is the only class named.
        specific = frozenset(c for c in classes if c not in lx.generic) or classes
        for d in drugs:
            known = lx.drug_classes.get(d)
            if not known:
                continue
            inside = bool(known & specific)
            if neg and inside:
                out.append((d, specific, True))
            elif not neg and not inside:
                out.append((d, specific, False))
    return out


def class_agreements(feat: Features, ref: Features, context_classes: frozenset[str] = frozenset()) -> int:
    """How many (drug, specific class) pairs the claim asserts that the reference asserts too."""
    lx = drug_lexicon()

    def pairs(asserts: Iterable[tuple[frozenset[str], frozenset[str], bool]]) -> set[tuple[str, str]]:
        out = set()
        for drugs, classes, neg in asserts:
            if neg:
                continue
            for d in drugs:
                for c in classes & lx.drug_classes.get(d, frozenset()):
                    if c not in lx.generic:
                        out.add((d, c))
        return out

    asserts = list(feat.assertions)
    if not asserts and feat.drugs and context_classes and not feat.classes:
        asserts.append((feat.drugs, context_classes, False))
    return len(pairs(asserts) & pairs(ref.assertions))


def line_conflict(claim: Features, ref: Features) -> bool:
    """The claim restricts a treatment to a later line that the reference gives as first-line.

    "Targeted drugs are used when chemotherapy hasn't worked" against "BTK inhibitors are standard
    first-line treatments ... not kept for after chemotherapy has failed". An additive mention
    ("can also be used if it comes back") is no conflict.
    """
    if not claim.later_line or claim.later_negated or claim.first_line:
        return False
    if claim.additive and not claim.restrictive:
        return False
    if not (claim.entities & ref.entities):
        return False
    if ref.later_line and ref.later_negated and prior_compatible(claim.prior, ref.prior):
        return True
    return ref.first_line and not (ref.later_line and not ref.later_negated and
                                   prior_compatible(claim.prior, ref.prior))


def prior_compatible(a: str, b: str) -> bool:
    """Two later-line settings match when what failed before is the same (or unspecified)."""
    if not a or not b or a == "any" or b == "any" or a == b:
        return True
    lx = drug_lexicon()
    ca = lx.drug_classes.get(a, lx.class_parents.get(a, frozenset({a}))) - lx.generic
    cb = lx.drug_classes.get(b, lx.class_parents.get(b, frozenset({b}))) - lx.generic
    return bool(ca & cb)


def transplant_conflict(claim: Features, ref: Features) -> str | None:
    """The claim offers a transplant type the reference rules out (or rules out one it offers)."""
    for kind in ("autologous", "allogeneic"):
        c, r = getattr(claim, kind), getattr(ref, kind)
        if c and r and c != r:
            return kind
    return None


def transplant_mismatch(claim: Features, refs: list[Features]) -> str | None:
    """The claim recommends one transplant type where the references only recommend the other."""
    for kind, other in (("autologous", "allogeneic"), ("allogeneic", "autologous")):
        if getattr(claim, kind) == 1 and not getattr(claim, other):
            if any(getattr(r, kind) == 1 for r in refs):
                return None
            if any(getattr(r, other) == 1 for r in refs):
                return kind
    return None


_GENERIC_OBJECT = frozenset({"safe", "fine", "ok", "okay", "take", "taking", "use", "using", "get", "people", "patient",
                             "cancer", "treatment", "generally", "usually", "medicine", "doctor", "team"})


@lru_cache(maxsize=32768)
def prohibited_objects(text: str) -> tuple[frozenset[str], ...]:
    """What a reference says to avoid: the subject of "X should be avoided", the object of "avoid X"."""
    rx = _rx()
    out = []
    for part in clauses(text):
        for m in rx["prohibition_passive"].finditer(part):
            before = re.split(r"[,;:(]", part[:m.start()])[-1]
            toks = content_tokens(before) - _GENERIC_OBJECT
            if toks:
                out.append(frozenset(toks))
        for m in rx["prohibition_active"].finditer(part):
            after = re.split(r"[,;:(]|\b(?:while|during|when|if|unless|because|before|after|without)\b", part[m.end():])[0]
            toks = frozenset(content_tokens(after) - _GENERIC_OBJECT)
            if toks:
                out.append(toks)
    return tuple(out)


def permits(claim_text: str, ref_text: str) -> frozenset[str] | None:
    """The claim calls safe what the reference says to avoid; returns the shared prohibited object."""
    if not _rx()["permission"].search(claim_text) or negation_count(claim_text) % 2:
        return None
    ct = content_tokens(claim_text)
    for obj in prohibited_objects(ref_text):
        if obj <= ct:
            return obj
    return None
