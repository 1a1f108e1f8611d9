"""Find the citations in an answer, in the forms chatbots actually write them.

Forms: trailing source blocks ("Sources:", "References", "Source Guidelines: …"), numbered markers
"[1]" with a reference list, markdown links, parentheticals "(NCI PDQ, 2024)" / "(Smith et al.,
2020)" and bracketed cites "[NCCN]", prose attributions ("According to the NCCN Guidelines for
Patients…", "the FDA label for venetoclax", "per the ASCO guideline"), study claims ("a 2019 study
in JCO found…"), and bare URLs or domains. Every citation keeps exact offsets into the answer so
findings point at the text a reviewer sees.

Why these rules: a citation is an explicit attribution of information to a named source. A bare
organisation name ("FDA-approved", "an NCCN centre") and a trial acronym alone are not citations;
a year, a document word, an attribution verb, a bracket or a source block makes them one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..textspans import Span, split_sentences
from .citation_lexicon import Lexicon, _alternation, lexicon, norm

YEAR = r"(?:19[5-9]\d|20\d\d)"
_YEAR_RE = re.compile(rf"(?<![\d/.-]){YEAR}(?![\d])")
URL_RE = re.compile(r"https?://[^\s<>\"'\]\[)(]+(?:\([^\s)]*\)[^\s<>\"'\]\[)(]*)*", re.I)
_TLDS = r"(?:gov|org|com|net|edu|int|uk|au|ca|eu|info|health|io|us|de|fr|nz|ie)"
DOMAIN_RE = re.compile(
    rf"(?<![@\w./-])(?:www\.)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+{_TLDS}\b(?:/[^\s<>\"'\]\[)(]*)?", re.I)
MD_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((https?://[^\s)]+)\)")
MARKER = re.compile(r"\[(\d{1,2}(?:\s*[,–-]\s*\d{1,2})*)\]|([¹²³⁴⁵⁶⁷⁸⁹⁰]+)")
_OPENERS = re.compile(r"[(\[]")
_TRAILING_YEAR = re.compile(rf"(?:^|[\s,(]){YEAR}\)?\.?$")
_SUPERSCRIPT = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")
_ENTRY_LEAD = re.compile(r"^\s*(?:[-*•·–]\s+|\[(\d{1,2})\]\s*|(\d{1,2})[.)]\s+|\((\d{1,2})\)\s+)?")
_AUTHOR_YEAR = re.compile(
    rf"^(?:(?:Dr\.?\s+)?[A-Z][A-Za-z'’\-]+(?:\s+[A-Z]{{1,3}}\b)?)(?:\s*(?:,|and|&)\s*[A-Z][A-Za-z'’\-]+)*"
    rf"(?:\s+et\s+al\.?)?,?\s*(?:\(?{YEAR}\)?)$")
_ET_AL = re.compile(r"\b([A-Z][A-Za-z'’\-]+)(?:\s+[A-Z]{1,3})?\s+(?:et\s+al\.?|and\s+colleagues|&\s+[A-Z][A-Za-z'’\-]+|and\s+[A-Z][A-Za-z'’\-]+)")
_TITLE_WORD = r"(?:[A-Z][\w'’.&-]*|of|for|and|on|in|the|de|&|at|to)"
_VENUE = r"(?:[A-Z][\w'’.&-]*|JAMA|NEJM)(?:\s+(?:[A-Z][\w'’.&-]*|of|for|and|on|the|de|&))*"
_EXTEND_NAME = re.compile(
    rf"(?:'s)?(?:\s+(?:{_TITLE_WORD}|PDQ®?|[A-Z]{{2,}}[\w/-]*|[\w-]+\s+(?=guidelines?\b|guidance\b|label\b|prescribing\b|recommendations?\b|summary\b|page\b|fact\s+sheet\b|statement\b|website\b|pdq\b)|"
    rf"(?i:guidelines?|guidance|label|prescribing\s+information|recommendations?|summary|page|fact\s+sheet|statement|website|pdq|update|patient\s+version))"
    rf"|\s*[:–—-]\s*(?=[A-Z])|\s*,\s*(?=[\"“][A-Z]))*")
_EXTEND_TOPIC = re.compile(
    r"\s+(?:for|on|about)\s+((?:[\w/'’-]+\s*){1,6}?)(?=[,.;:)]|\s+(?:says?|states?|recommends?|notes?|advises?|lists?|explains?|is|are|was|were|that|which|who|and\s+the|to|in\s+\d)\b|$)")
_EXTEND_YEAR = re.compile(rf"\s*(?:\(\s*{YEAR}\s*\)|,\s*{YEAR}\b)")
_CAP_PHRASE = re.compile(rf"(?:the\s+)?([A-Z][\w'’.&-]*(?:\s+{_TITLE_WORD}){{0,9}})")


@dataclass(frozen=True)
class Citation:
    """One citation: where it is, how it was written, and what it names."""

    start: int
    end: int
    text: str
    form: str                      # block | reference | link | parenthetical | bracket | prose | study | url
    name: str                      # the naming part (title, publisher, venue…), without year or URL
    year: int | None = None
    url: str | None = None
    authors: tuple[str, ...] = ()
    venue: str | None = None       # journal/venue named by a study claim
    marker: str | None = None      # reference number, for reference-list entries
    block: bool = False            # attached to the whole answer (or to its marker sentences)
    markers_in: tuple[Span, ...] = field(default_factory=tuple)  # sentences that carry its marker


def _years(s: str) -> list[int]:
    return [int(m.group(0)) for m in _YEAR_RE.finditer(URL_RE.sub(" ", s))]


def _strip_year(s: str) -> str:
    s = URL_RE.sub(" ", s)
    s = re.sub(rf"[,;.]?\s*\(?\b{YEAR}\b\)?\.?", " ", s)
    return re.sub(r"\s+", " ", s).strip(" ,.;:-–—\"'“”")


def _authors(s: str) -> tuple[str, ...]:
    return tuple(m.group(1) for m in _ET_AL.finditer(s))


def _first_url(s: str) -> str | None:
    m = MD_LINK.search(s)
    if m:
        return m.group(2)
    m = URL_RE.search(s)
    if m:
        return m.group(0).rstrip(".,;:")
    m = DOMAIN_RE.search(s)
    return m.group(0).rstrip(".,;:") if m else None


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        out.append((pos, pos + len(line.rstrip("\r\n"))))
        pos += len(line)
    return out


@lru_cache(maxsize=4)
def _patterns(lex_id: int) -> dict[str, re.Pattern[str]]:
    lex = lexicon() if lex_id == id(lexicon()) else _LEXICONS[lex_id]
    headers = "|".join(sorted((re.escape(h).replace(r"\ ", r"\s+") for h in lex.block_headers), key=len, reverse=True))
    docw = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in lex.document_words), key=len, reverse=True))
    studyw = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in lex.study_words if w not in ("research", "studies", "trials", "reviews")),
                             key=len, reverse=True))
    verbs = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in lex.attribution_verbs), key=len, reverse=True))
    adj = r"(?:large|small|recent|new|landmark|major|pivotal|published|clinical|retrospective|prospective|observational|" \
          r"systematic|randomi[sz]ed|controlled|international|multicen(?:ter|tre)|national|big|well-designed|single|" \
          r"phase\s+(?:[1-4]|I{1,3}V?)|cohort|population-based)"
    return {
        "header": re.compile(rf"^\s*(?:#{{1,6}}\s*)?(?:\*\*|__)?\s*(?:{headers})\s*(?:\*\*|__)?\s*(?::|\*\*:|:\*\*)\s*(?:\*\*|__)?\s*(?P<rest>.*)$"
                             rf"|^\s*(?:#{{1,6}}\s*)?(?:\*\*|__)?\s*(?:{headers})\s*(?:\*\*|__)?\s*$", re.I),
        "lead": re.compile(r"\b(?:according\s+to|as\s+per|per|as\s+(?:recommended|stated|noted|described|explained|outlined|advised|reported|set\s+out)\s+(?:by|in)|"
                           r"based\s+on|citing|in\s+line\s+with|drawing\s+on|(?:information|data|guidance|advice)\s+from|source:)\s+(?:the\s+)?", re.I),
        "docword": re.compile(rf"\b(?:{docw})\b", re.I),
        "study": re.compile(
            rf"\b(?:(?:a|an|one|the|this|that|another)\s+)?(?:{adj}\s+){{0,3}}(?:(?P<year>{YEAR})\s+)?(?:{adj}\s+){{0,2}}"
            rf"(?:(?P<pre>[A-Z][\w'’&-]*(?:\s+[A-Z][\w'’&-]*){{0,3}})\s+)?(?P<noun>{studyw})\b"
            rf"(?P<tail>(?:\s*,?\s+(?:published|appearing|reported|presented|printed|conducted|led|run|carried\s+out))?"
            rf"\s+(?:in|from|by|at)\s+(?:the\s+)?(?P<venue>{_VENUE})"
            rf"(?=[\s,.;:)]|$))?"
            rf"(?P<year2>\s+(?:in|from)\s+{YEAR})?"),
        "published_in": re.compile(
            rf"\b(?i:published)\s+in\s+(?:the\s+)?(?P<venue>{_VENUE})(?=[\s,.;:)]|$)"
            rf"(?:\s*\(?(?:in\s+)?(?P<year>{YEAR})\)?)?"),
        "named_report": re.compile(
            rf"\b(?:the\s+|a\s+)?(?P<year>{YEAR})\s+(?P<name>(?:[A-Z][\w'’&-]*\s+){{1,6}}(?:Review|Study|Report|Survey|Statement|Consensus|Guidelines?|Analysis|Position\s+Paper))\b"),
        "verb": re.compile(rf"^\s*(?:'s\s+\w+\s+)?(?:\s*\(\s*{YEAR}\s*\))?\s*,?\s*(?:also\s+|now\s+|clearly\s+|specifically\s+)?(?:{verbs})\b", re.I),
    }


_LEXICONS: dict[int, Lexicon] = {}


def _span_free(spans: list[tuple[int, int]], a: int, b: int) -> bool:
    return all(b <= s or a >= e for s, e in spans)


def _balanced(text: str, i: int, open_c: str, close_c: str) -> int | None:
    depth = 0
    for j in range(i, min(len(text), i + 400)):
        c = text[j]
        if c == open_c:
            depth += 1
        elif c == close_c:
            depth -= 1
            if depth == 0:
                return j
        elif c == "\n":
            return None
    return None


class Extractor:
    """Citation extraction for one lexicon plus the document names (titles, aliases) it should know."""

    def __init__(self, lex: Lexicon, doc_names: tuple[str, ...] = ()):
        self.lex = lex
        _LEXICONS[id(lex)] = lex
        self.p = _patterns(id(lex))
        names = [n for n in doc_names if len(n) >= 6]
        self.doc_re = re.compile(r"(?<![\w])(?:" + _alternation(names) + r")(?![\w])", re.I) if names else None

    # ---- helpers -------------------------------------------------------------------------
    def _known(self, s: str) -> bool:
        """Does `s` name a real publisher, journal, document word or author-year?"""
        return bool(self.lex.publishers_in(s) or self.lex.journal_in(s) or self.p["docword"].search(s)
                    or re.search(r"\bet\s+al\b", s) or (self.doc_re and self.doc_re.search(s))
                    or URL_RE.search(s) or DOMAIN_RE.search(s))

    def _make(self, text: str, a: int, b: int, form: str, **kw) -> Citation | None:
        while a < b and text[a] in " \t,;:.-–—\"'“”*_":
            a += 1
        while b > a and text[b - 1] in " \t,;:-–—*_":
            b -= 1
        if b - a < 2:
            return None
        raw = text[a:b]
        url = kw.pop("url", None) or _first_url(raw)
        years = _years(raw)
        year = kw.pop("year", None) or (years[-1] if years else None)
        name = kw.pop("name", None)
        if name is None:
            name = MD_LINK.sub(lambda m: m.group(1), raw)
            name = _strip_year(name)
        return Citation(start=a, end=b, text=raw, form=form, name=name.strip(), year=year, url=url,
                        authors=kw.pop("authors", None) or _authors(raw), **kw)

    # ---- passes --------------------------------------------------------------------------
    def _blocks(self, text: str) -> tuple[list[Citation], list[tuple[int, int]]]:
        cites: list[Citation] = []
        regions: list[tuple[int, int]] = []
        lines = _lines(text)
        i = 0
        while i < len(lines):
            ls, le = lines[i]
            line = text[ls:le]
            m = self.p["header"].match(line)
            if not m:
                i += 1
                continue
            rest = m.group("rest") if m.groupdict().get("rest") is not None else ""
            block_start = ls
            entries: list[tuple[int, int]] = []
            if rest and rest.strip():
                rs = ls + m.start("rest")
                # "Sources: A; B" -> entries split on semicolons outside parentheses.
                depth, last = 0, rs
                for k in range(rs, le):
                    c = text[k]
                    depth += c == "("
                    depth -= c == ")"
                    if c == ";" and depth == 0:
                        entries.append((last, k))
                        last = k + 1
                entries.append((last, le))
                i += 1
            else:
                i += 1
                while i < len(lines):
                    a, b = lines[i]
                    seg = text[a:b]
                    if not seg.strip():
                        # a blank line ends the block unless the next line is another entry
                        nxt = next((lines[k] for k in range(i + 1, len(lines)) if text[lines[k][0]:lines[k][1]].strip()), None)
                        if nxt is None or not _ENTRY_LEAD.match(text[nxt[0]:nxt[1]]).group(0).strip():
                            break
                        i += 1
                        continue
                    lead = _ENTRY_LEAD.match(seg)
                    if not lead.group(0).strip() and len(seg.split()) > 30 and not self._known(seg):
                        break
                    entries.append((a, b))
                    i += 1
            block_end = entries[-1][1] if entries else le
            regions.append((block_start, block_end))
            for a, b in entries:
                seg = text[a:b]
                lead = _ENTRY_LEAD.match(seg)
                marker = next((g for g in lead.groups() if g), None) if lead else None
                a2 = a + (lead.end() if lead else 0)
                c = self._make(text, a2, b, "reference" if marker else "block", marker=marker, block=True)
                if c is not None:
                    cites.append(c)
        return cites, regions

    def _reference_list(self, text: str, taken: list[tuple[int, int]], markers: set[str]) -> tuple[list[Citation], list[tuple[int, int]]]:
        """Trailing "[1] ..." / "1. ..." lines when the answer uses inline markers but no header."""
        if not markers:
            return [], []
        cites, regions = [], []
        for a, b in _lines(text):
            if not _span_free(taken, a, b):
                continue
            seg = text[a:b]
            m = re.match(r"^\s*(?:\[(\d{1,2})\]|(\d{1,2})[.)])\s+(\S.*)$", seg)
            if not m:
                continue
            num = m.group(1) or m.group(2)
            if num not in markers:
                continue
            if not self._known(seg) and not _years(seg):
                continue
            c = self._make(text, a + m.start(3), b, "reference", marker=num, block=True)
            if c:
                cites.append(c)
                regions.append((a, b))
        return cites, regions

    def _links(self, text: str, taken: list[tuple[int, int]]) -> list[Citation]:
        out = []
        for m in MD_LINK.finditer(text):
            if _span_free(taken, m.start(), m.end()):
                c = self._make(text, m.start(), m.end(), "link", url=m.group(2), name=m.group(1))
                if c:
                    out.append(c)
        return out

    def _brackets(self, text: str, taken: list[tuple[int, int]]) -> list[Citation]:
        out: list[Citation] = []
        for om in _OPENERS.finditer(text):
            i, ch = om.start(), om.group(0)
            j = _balanced(text, i, ch, ")" if ch == "(" else "]")
            if j is None or not _span_free(taken, i, j + 1):
                continue
            if any(c.start <= i < c.end for c in out):
                continue  # nested inside a citation already taken
            inner_a, inner_b = i + 1, j
            inner = text[inner_a:inner_b]
            if ch == "[" and MARKER.fullmatch(text[i:j + 1]):
                continue
            if ch == "[" and j + 1 < len(text) and text[j + 1] == "(":
                continue  # markdown link
            if re.fullmatch(rf"\s*{YEAR}\s*", inner):
                continue  # "(2025)" belongs to the name before it
            prefix = re.match(r"^\s*(?:sources?|references?|see(?:\s+also)?|per|via|from|cf\.|adapted\s+from|based\s+on)\s*:?\s+", inner, re.I)
            pa = inner_a + (prefix.end() if prefix else 0)
            parts: list[tuple[int, int]] = []
            depth, last = 0, pa
            for k in range(pa, inner_b):
                c = text[k]
                depth += c in "(["
                depth -= c in ")]"
                if c == ";" and depth == 0:
                    parts.append((last, k))
                    last = k + 1
            parts.append((last, inner_b))
            cand: list[Citation] = []
            for a, b in parts:
                seg = text[a:b].strip()
                if not seg or re.match(r"^(?:e\.g\.|i\.e\.|eg|ie|approx|about|around|roughly|up\s+to)\b", seg, re.I):
                    continue
                has_year = bool(_TRAILING_YEAR.search(seg))
                auth = has_year and bool(_AUTHOR_YEAR.match(seg))
                cap_year = has_year and seg[:1].isupper()
                known = True if (auth or cap_year) else self._known(seg)
                if not (known or auth or cap_year or (prefix and len(seg) > 3)):
                    continue
                if not known and not auth and not cap_year:
                    continue
                if len(seg) > 220:
                    continue
                whole = len(parts) == 1 and not prefix
                cstart, cend = (i, j + 1) if whole else (a, b)
                c = self._make(text, cstart, cend, "parenthetical" if ch == "(" else "bracket",
                               name=_strip_year(MD_LINK.sub(lambda m: m.group(1), text[a:b])))
                if c:
                    cand.append(c)
            out.extend(cand)
        return out

    def _prose(self, text: str, taken: list[tuple[int, int]]) -> list[Citation]:
        out: list[Citation] = []
        lex = self.lex

        def extend(a: int, b: int) -> int:
            """Grow a name over its document descriptor: "NCCN Guidelines for Patients: CLL (2024)"."""
            rest = text[b:b + 160]
            m = _EXTEND_NAME.match(rest)
            nb = b + (m.end() if m else 0)
            # "... label for venetoclax" / "... guideline on fever and neutropenia"
            m2 = _EXTEND_TOPIC.match(text, nb, nb + 80)
            if m2 and (lex.cancers_in(m2.group(1)) or re.match(r"[A-Za-z]", m2.group(1))) and len(m2.group(1).split()) <= 6:
                nb = m2.end()
            m3 = _EXTEND_YEAR.match(text, nb, nb + 12)
            if m3:
                nb = m3.end()
            while nb > b and text[nb - 1] in " ,:;–—-":
                nb -= 1
            return nb

        def add(a: int, b: int, form: str = "prose", **kw) -> None:
            if not _span_free(taken, a, b) or any(not (b <= c.start or a >= c.end) for c in out):
                return
            c = self._make(text, a, b, form, **kw)
            if c:
                out.append(c)

        # 1. attribution lead-ins: "according to X", "per X"
        for m in self.p["lead"].finditer(text):
            a = m.end()
            if not _span_free(taken, a, a + 1):
                continue
            seg = text[a:a + 200]
            pubs = [p for p in lex.publishers_in(seg) if p[0] == 0]
            jour = lex.journal_in(seg[:80])
            doc = self.doc_re.match(seg) if self.doc_re else None
            if doc:
                add(a, extend(a, a + doc.end()))
            elif pubs:
                add(a, extend(a, a + max(p[1] for p in pubs)))
            elif jour and jour[0] == 0:
                add(a, extend(a, a + jour[1]), form="study", venue=jour[2])
            elif not re.match(r"(?i)according|as\s+(?:recommended|stated|noted|advised|reported)", m.group(0)):
                continue  # weak lead-ins ("per", "based on") only introduce names we know
            else:
                cm = _CAP_PHRASE.match(seg)
                if cm and seg[:1].isupper() or (cm and seg.lower().startswith("the ") and seg[4:5].isupper()):
                    name = cm.group(1)
                    # stop a capitalised run at a following verb or clause
                    name = re.split(r"\s+(?:in|and|for|of|on|the|to|at)$", name)[0]
                    if re.fullmatch(r"[A-Z0-9-]{2,6}", name):
                        continue  # a bare acronym ("TLS", "FLT3") is a topic, not a source
                    if len(name) >= 3 and not re.match(r"^(?:I|We|You|They|He|She|It|This|That|These|Those|Your|My|Our|Most|Many|Some|Recent|Current|New)\b", name):
                        b = a + (seg.find(name) + len(name))
                        add(a, extend(a, b))
        # 2. named documents (catalogue titles and aliases)
        if self.doc_re:
            for m in self.doc_re.finditer(text):
                name = m.group(0)
                # a document alias counts on its own only when it reads like a document
                if not (self.p["docword"].search(name) or re.search(r"\bet\s+al\b|\bPDQ\b", name) or len(name.split()) >= 4):
                    continue
                add(m.start(), extend(m.start(), m.end()))
        # 3. publisher + document word / attribution verb: "the ASCO guideline", "NCCN recommends"
        for a, b, pid in lex.publishers_in(text):
            if not _span_free(taken, a, b) or any(c.start <= a < c.end for c in out):
                continue
            after = text[b:b + 60]
            before = text[max(0, a - 30):a]
            nb = extend(a, b)
            grown = text[b:nb]
            if self.p["docword"].search(grown) or re.match(r"^\s*(?:'s\s+)?(?:PDQ|guidelines?|guidance|label|recommendations?|website|page|summary|fact\s+sheet)\b", after, re.I):
                add(a, nb)
            elif self.p["verb"].match(text[nb:nb + 50]):
                add(a, nb)
            elif re.search(r"\b(?:from|by|on|at|in)\s+(?:the\s+)?$", before, re.I) and re.search(r"\b(?:guidance|information|advice|data|website|page|resources)\s+(?:from|by|on|at)\s+(?:the\s+)?$", before, re.I):
                add(a, nb)
        # 4. study claims: "a 2019 study in JCO", "published in the Lancet Oncology (2021)", "the 2019 X Review"
        for m in self.p["study"].finditer(text):
            year = m.group("year") or (m.group("year2") or "").strip()[-4:] or None
            venue = m.group("venue")
            pre = m.group("pre")
            if venue:
                venue = re.split(r"\s+(?:in|and|for|of|on|the|to|at|that|which)$", venue)[0]
                if not venue[:1].isupper() or venue in ("I", "We"):
                    venue = None
            if pre and not (lex.journal_in(pre) or lex.publishers_in(pre)):
                pre = None
            if not (year or venue or pre):
                continue
            if venue is None and pre is None and not year:
                continue
            a = m.start()
            b = m.end()
            if venue is None and not m.group("year2"):
                b = m.end("noun")
            if venue and m.group("year2") is None:
                b = m.start("venue") + len(venue)
            ven = venue or pre
            add(a, b, form="study", venue=ven, year=int(year) if year else None,
                name=ven or "")
        for m in self.p["published_in"].finditer(text):
            venue = re.split(r"\s+(?:in|and|for|of|on|the|to|at|that|which)$", m.group("venue"))[0]
            b = m.end() if m.group("year") else m.start("venue") + len(venue)
            add(m.start(), b, form="study", venue=venue, year=int(m.group("year")) if m.group("year") else None, name=venue)
        for m in self.p["named_report"].finditer(text):
            add(m.start(), m.end(), form="study", year=int(m.group("year")), name=m.group("name").strip(), venue=m.group("name").strip())
        # 5. author-year in prose: "Smith et al. (2020) found"
        for m in re.finditer(rf"\b([A-Z][A-Za-z'’\-]+)\s+(?:et\s+al\.?|and\s+colleagues)\s*(?:\(|,\s*)({YEAR})\)?", text):
            add(m.start(), m.end(), form="study", year=int(m.group(2)), authors=(m.group(1),), name=m.group(0))
        return out

    def _urls(self, text: str, taken: list[tuple[int, int]]) -> list[Citation]:
        out: list[Citation] = []
        for rx in (URL_RE, DOMAIN_RE):
            for m in rx.finditer(text):
                a, b = m.start(), m.end()
                while b > a and text[b - 1] in ".,;:!?":
                    b -= 1
                if not _span_free(taken, a, b) or any(not (b <= c.start or a >= c.end) for c in out):
                    continue
                url = text[a:b]
                if rx is DOMAIN_RE and not re.search(r"[a-z]", url.split(".")[-1].split("/")[0], re.I):
                    continue
                c = self._make(text, a, b, "url", url=url, name=url)
                if c:
                    out.append(c)
        return out

    # ---- entry point ---------------------------------------------------------------------
    def extract(self, text: str) -> list[Citation]:
        """All citations in `text`, in reading order, with no two overlapping."""
        block_cites, regions = self._blocks(text)
        taken = list(regions)
        markers: dict[str, list[int]] = {}
        for m in MARKER.finditer(text):
            if not _span_free(regions, m.start(), m.end()):
                continue
            if m.group(2):
                nums = list(m.group(2).translate(_SUPERSCRIPT))
            else:
                nums = []
                for part in re.split(r"\s*,\s*", m.group(1)):
                    rng = re.split(r"\s*[–-]\s*", part)
                    if len(rng) == 2 and rng[0].isdigit() and rng[1].isdigit() and int(rng[1]) - int(rng[0]) < 20:
                        nums.extend(str(k) for k in range(int(rng[0]), int(rng[1]) + 1))
                    else:
                        nums.append(rng[0])
            for n in nums:
                markers.setdefault(n, []).append(m.start())
        ref_cites, ref_regions = self._reference_list(text, taken, set(markers))
        taken += ref_regions
        cites = block_cites + ref_cites
        links = self._links(text, taken)
        cites += links
        taken += [(c.start, c.end) for c in links]
        br = self._brackets(text, taken)
        cites += br
        taken += [(c.start, c.end) for c in br]
        pr = self._prose(text, taken)
        cites += pr
        taken += [(c.start, c.end) for c in pr]
        cites += self._urls(text, taken)
        # attach marker sentences to reference entries; markers with no entry are dangling citations
        sents = split_sentences(text)
        numbered = {c.marker for c in cites if c.marker}
        out: list[Citation] = []
        for c in cites:
            if c.marker and c.marker in markers:
                spans = tuple(sp for sp in sents if any(sp.start <= pos < sp.end for pos in markers[c.marker]))
                c = Citation(**{**c.__dict__, "markers_in": spans})
            out.append(c)
        for num, positions in markers.items():
            if num in numbered:
                continue
            for pos in positions:
                m = MARKER.match(text, pos)
                if m and not any(c.start <= pos < c.end for c in out):
                    out.append(Citation(start=m.start(), end=m.end(), text=m.group(0), form="marker", name="",
                                        marker=num))
        out.sort(key=lambda c: (c.start, -c.end))
        dedup: list[Citation] = []
        for c in out:
            if dedup and c.start < dedup[-1].end:
                continue
            dedup.append(c)
        return dedup


@lru_cache(maxsize=1)
def default_extractor() -> Extractor:
    return Extractor(lexicon())


def extract_citations(text: str, doc_names: tuple[str, ...] = ()) -> list[Citation]:
    """Citations in `text`. `doc_names` are titles/aliases of known documents (catalogue)."""
    ex = default_extractor() if not doc_names else _extractor_for(doc_names)
    return ex.extract(text)


@lru_cache(maxsize=8)
def _extractor_for(doc_names: tuple[str, ...]) -> Extractor:
    return Extractor(lexicon(), doc_names)


def normalised(s: str) -> str:
    return norm(s)
