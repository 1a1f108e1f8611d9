"""The citation lexicon (data/citation_lexicon.yaml) loaded once and compiled into matchers.

Knowing which publishers, journals and web domains are real is what separates a real source that
does not fit ("mismatched") from an invented one ("fabricated"); that knowledge is data, so this
module only turns it into fast lookups: publisher/journal mentions, cancer types named in a
string, domain and DOI checks, and the token normalisation used to compare claims with facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Iterable

import yaml

_WORD = re.compile(r"[a-z0-9]+")


def norm(s: str) -> str:
    """Lower-case, punctuation-free, single-spaced form used for name comparison."""
    s = s.replace("®", " ").replace("™", " ").replace("&", " and ")
    return " ".join(_WORD.findall(s.lower()))


@dataclass(frozen=True)
class Lexicon:
    publisher_names: dict[str, str]          # normalised name -> publisher id
    publisher_abbrev: dict[str, str]         # case-sensitive abbreviation -> publisher id
    domains: dict[str, str]                  # domain -> publisher id
    journals: dict[str, str]                 # normalised name/abbrev -> canonical journal name
    doi_prefixes: frozenset[str]
    doi_journals: dict[str, str]             # DOI fragment -> canonical journal name
    cancer_terms: tuple[tuple[str, str], ...]  # (normalised term, topic), longest first
    cancer_abbrev: dict[str, str]            # case-sensitive abbreviations -> topic
    document_words: tuple[str, ...]
    study_words: tuple[str, ...]
    attribution_verbs: tuple[str, ...]
    block_headers: tuple[str, ...]
    pointer_phrases: tuple[str, ...]
    spelling: dict[str, str]
    publisher_journals: dict[str, str]       # publisher id -> journal its guidelines appear in
    stopwords: frozenset[str]
    publisher_re: re.Pattern[str]
    journal_re: re.Pattern[str]
    cancer_re: re.Pattern[str]
    _token_cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def publishers_in(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, publisher id) of every publisher named in `text`."""
        out = []
        for m in self.publisher_re.finditer(text):
            word = m.group(0)
            pid = self.publisher_abbrev.get(word) or self.publisher_names.get(norm(word))
            if pid:
                out.append((m.start(), m.end(), pid))
        return out

    def journal_in(self, text: str) -> tuple[int, int, str] | None:
        """The longest real journal named in `text`, if any (not counting words of a publisher's name)."""
        best = None
        pubs = [(a, b) for a, b, _ in self.publishers_in(text)]
        for m in self.journal_re.finditer(text):
            if any(a <= m.start() < b for a, b in pubs):
                continue
            name = self.journals.get(norm(m.group(0)))
            if name and (best is None or m.end() - m.start() > best[1] - best[0]):
                best = (m.start(), m.end(), name)
        return best

    def journal_exact(self, name: str) -> str | None:
        """Canonical journal name when `name` is exactly (after normalisation) a real journal."""
        n = norm(name)
        if n.startswith("the "):
            n2 = n[4:]
        else:
            n2 = n
        return self.journals.get(n) or self.journals.get(n2)

    def cancers_in(self, text: str) -> frozenset[str]:
        """Topic slugs of the cancer types named in `text`."""
        found: set[str] = set()
        taken: list[tuple[int, int]] = []
        for m in self.cancer_re.finditer(text):
            word = m.group(0)
            topic = self.cancer_abbrev.get(word)
            if topic is None:
                topic = dict(self.cancer_terms).get(norm(word))
            if topic is None:
                continue
            if any(a <= m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            found.add(topic)
        return frozenset(found)

    def domain_publisher(self, host: str) -> str | None:
        """Publisher id of a host name (subdomains of a known domain count)."""
        host = host.lower().rstrip(".")
        if host.startswith("www."):
            host = host[4:]
        parts = host.split(".")
        for i in range(len(parts) - 1):
            d = ".".join(parts[i:])
            if d in self.domains:
                return self.domains[d]
        return None

    def tokens(self, text: str) -> frozenset[str]:
        """Content tokens with spelling variants and plural/verb endings folded together (cached:
        answers repeat sentences and facts are compared many times)."""
        hit = self._token_cache.get(text)
        if hit is not None:
            return hit
        out = set()
        for t in _WORD.findall(text.lower()):
            t = self.spelling.get(t, t)
            if t in self.stopwords or len(t) < 2:
                continue
            out.add(_stem(t))
        res = frozenset(out)
        if len(self._token_cache) > 200_000:
            self._token_cache.clear()
        self._token_cache[text] = res
        return res


@lru_cache(maxsize=65536)
def _stem(t: str) -> str:
    if t.isdigit() or len(t) <= 4:
        return t
    for suf in ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if t.endswith(suf) and len(t) - len(suf) >= 4:
            base = t[: -len(suf)]
            return base + ("y" if suf in ("ies", "ied") else "")
    return t


def _alternation(words: Iterable[str], case_sensitive: bool = False) -> str:
    """A regex matching any of `words` (whitespace-flexible), built as a prefix tree so that
    hundreds of names cost one pass instead of one try per name at every position."""
    trie: dict = {}
    for w in {w.strip() for w in words if w and w.strip()}:
        node = trie
        for ch in re.sub(r"\s+", " ", w if case_sensitive else w.lower()):
            node = node.setdefault(ch, {})
        node[""] = True
    if not trie:
        return r"(?!x)x"
    return _trie_regex(trie)


def _trie_regex(node: dict) -> str:
    alts = []
    end = "" in node
    for ch in sorted(k for k in node if k):
        piece = r"\s+" if ch == " " else re.escape(ch)
        alts.append(piece + _trie_regex(node[ch]))
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    if end:
        return "(?:" + body + ")?"
    return body


_STOP = """a an the and or of to in on for with by is are was were be been being it its this that these those as at from
your you i we they he she them our their can may might will would should could do does did not no than then so such
also very more most much many some any each other into about over under after before while if when what which who how
has have had there here just only often usually per""".split()


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The lexicon shipped with qaeval (cached: it is read once per process)."""
    text = resources.files("qaeval.data").joinpath("citation_lexicon.yaml").read_text("utf-8")
    return build_lexicon(yaml.safe_load(text))


def build_lexicon(data: dict) -> Lexicon:
    """Compile a lexicon mapping (the YAML's structure); exposed so tests can pass a small one."""
    pub_names: dict[str, str] = {}
    pub_abbrev: dict[str, str] = {}
    domains: dict[str, str] = {}
    for p in data.get("publishers", []):
        for n in p.get("names", []) or []:
            pub_names[norm(n)] = p["id"]
        for a in p.get("abbrev", []) or []:
            pub_abbrev[a] = p["id"]
        for d in p.get("domains", []) or []:
            domains[d.lower()] = p["id"]
    journals: dict[str, str] = {}
    raw_journal_forms: list[str] = []
    for j in data.get("journals", []):
        canon = j["names"][0]
        for n in (j.get("names") or []) + (j.get("abbrev") or []):
            journals[norm(n)] = canon
            raw_journal_forms.append(n)
    cancer_terms: list[tuple[str, str]] = []
    cancer_abbrev: dict[str, str] = {}
    raw_cancer: list[str] = []
    for topic, terms in (data.get("cancer_types") or {}).items():
        for t in terms:
            if t.isupper() or "/" in t:
                cancer_abbrev[t] = topic
            else:
                cancer_terms.append((norm(t), topic))
            raw_cancer.append(t)
    cancer_terms.sort(key=lambda x: len(x[0]), reverse=True)
    cues = data.get("cues") or {}
    pub_forms = [n for p in data.get("publishers", []) for n in (p.get("names") or [])]
    ci_pub = _alternation(pub_forms)
    cs_pub = _alternation(pub_abbrev, case_sensitive=True)
    publisher_re = re.compile(rf"(?<![\w.])(?:(?i:{ci_pub})|{cs_pub})(?![\w])")
    # Journal names: full names case-insensitive, abbreviations (all-caps or dotted) case-sensitive.
    # single-word names ("Blood", "Cancer") only as capitalised words, so "blood counts" is no journal
    ci_j = _alternation([n for n in raw_journal_forms if not (n.isupper() or " " not in n.strip())])
    cs_j = _alternation([n for n in raw_journal_forms if n.isupper() or " " not in n.strip()], case_sensitive=True)
    journal_re = re.compile(rf"(?<![\w])(?:(?i:{ci_j})|{cs_j})(?![\w])")
    ci_c = _alternation([t for t in raw_cancer if not (t.isupper() or "/" in t)])
    cs_c = _alternation([t for t in raw_cancer if t.isupper() or "/" in t], case_sensitive=True)
    cancer_re = re.compile(rf"(?<![\w])(?:{cs_c}|(?i:{ci_c}))(?![\w])")
    return Lexicon(
        publisher_names=pub_names, publisher_abbrev=pub_abbrev, domains=domains, journals=journals,
        doi_prefixes=frozenset(str(k) for k in (data.get("doi_prefixes") or {})),
        doi_journals={str(k).lower(): v for k, v in (data.get("doi_journals") or {}).items()},
        cancer_terms=tuple(cancer_terms), cancer_abbrev=cancer_abbrev,
        document_words=tuple(cues.get("document_words", [])), study_words=tuple(cues.get("study_words", [])),
        attribution_verbs=tuple(cues.get("attribution_verbs", [])), block_headers=tuple(cues.get("block_headers", [])),
        pointer_phrases=tuple(cues.get("pointer_phrases", [])),
        spelling={str(k): str(v) for k, v in (data.get("spelling") or {}).items()},
        publisher_journals={str(k): str(v) for k, v in (data.get("publisher_journals") or {}).items()},
        stopwords=frozenset(_STOP) | frozenset(data.get("stopwords") or ()),
        publisher_re=publisher_re, journal_re=journal_re, cancer_re=cancer_re,
    )
