"""Claims: the sentences and clauses of an answer that assert something a fact could support or refute.

Chatbot answers are markdown: headings, bullets under a lead-in, bold labels, tables, disclaimers,
upsell lines and "questions to ask your doctor" lists. Only assertions are claims, so this module
skips the rest, splits a sentence into clauses where it asserts two things, and keeps, for each
claim, the heading or lead-in it leans on ("These are often used when..." under a heading that
names the drugs) so later checks can see what "these" are. Spans always point into the original
text. Patterns live in `data/grounding_lexicon.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from ..textspans import Span, split_sentences


@lru_cache(maxsize=1)
def lexicon() -> dict[str, Any]:
    """The grounding lexicon (data file), loaded once."""
    text = resources.files("qaeval.data").joinpath("grounding_lexicon.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@lru_cache(maxsize=1)
def _patterns() -> dict[str, Any]:
    lx = lexicon()
    return {
        "non_claim": [re.compile(p, re.I) for p in lx["non_claim"]],
        "question_section": re.compile(lx["question_section"], re.I),
        "anaphora": re.compile(lx["anaphora"], re.I),
        "joints": re.compile(lx["clause_joints"]),
    }


@dataclass(frozen=True)
class Claim:
    """One assertion: an exact span of the answer plus the heading or sentence it leans on."""

    start: int
    end: int
    text: str
    context: str = ""
    sentence_start: int = -1
    sentence_end: int = -1

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.text)


_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d{1,2}[.)])(?:\s+|$)")
_AUX = re.compile(
    r"\b(?:is|are|was|were|be|been|being|am|can|could|may|might|will|would|should|must|shall|do|does|did|"
    r"has|have|had|isn'?t|aren'?t|don'?t|doesn'?t|won'?t|can'?t|needs?|means?|helps?|causes?|works?|"
    r"include[sd]?|lowers?|raises?|increases?|reduces?|makes?|takes?|gives?|uses?|keeps?|affects?|"
    r"taken|given|done|seen|known|shown|grown|made|used|found|[a-z]+(?:ed|es))\b|\b\w+'(?:s|re)\b", re.I)
_QWORD = re.compile(r"^(?:what|how|why|when|where|which|who|should|can|could|is|are|do|does|will)\b", re.I)
_LABEL = re.compile(r"^(?:\*\*|__)([^*_\n]{1,80}?)(?:\*\*|__)\s*:?\s*|^([A-Z][A-Za-z0-9 /&()'+-]{1,40}):(?:\*\*|__)?\s+(?=\S)")
_QUOTED_Q = re.compile(r"[\"“][^\"”]{3,}\?\s*[\"”]")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")


def _words(s: str) -> list[str]:
    return _WORD.findall(s)


def _title_case(s: str) -> bool:
    words = [w for w in _words(s) if len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def _is_heading_line(line: str) -> bool:
    """A line that names a section rather than asserting something."""
    t = line.strip()
    if not t:
        return True
    if t.startswith("#"):
        return True
    if re.fullmatch(r"(?:\*\*|__)[^*_]+(?:\*\*|__)\s*:?", t):
        return True
    bare = t.strip("*_ ")
    words = _words(bare)
    if bare.endswith(":") and len(words) <= 8 and not _AUX.search(bare):
        return True
    if re.search(r"[.!?]$", bare):
        return False
    if len(words) <= 14 and (_title_case(bare) or _QWORD.match(bare)):
        return True
    return len(words) <= 6 and not _AUX.search(bare)


def _is_question(text: str) -> bool:
    t = text.rstrip(" *_\"'”)")
    return t.endswith("?") or bool(_QUOTED_Q.search(text)) or text.lstrip("*_ ").startswith(("\"", "“"))


def _non_claim(text: str) -> bool:
    t = text.strip().strip("*_ ")
    return any(p.search(t) for p in _patterns()["non_claim"])


def _split_clauses(text: str, start: int, full: str) -> list[tuple[int, int]]:
    """Clause offsets of a sentence, split where it asserts two things (both sides >= 4 words)."""
    cuts: list[tuple[int, int]] = []
    last = 0
    for m in _patterns()["joints"].finditer(text):
        left = text[last:m.start()]
        right = text[m.end():]
        if len(_words(left)) >= 4 and len(_words(right)) >= 4 and _AUX.search(right) and _AUX.search(left):
            cuts.append((last, m.start()))
            last = m.end()
    cuts.append((last, len(text)))
    out = []
    for a, b in cuts:
        seg = text[a:b]
        lead = len(seg) - len(seg.lstrip(" ,;:—–-*_"))
        trail = len(seg.rstrip(" ,;:—–-*_"))
        if trail > lead:
            out.append((start + a + lead, start + a + trail))
    return out


def _line_bounds(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        out.append((pos, pos + len(line.rstrip("\r\n"))))
        pos += len(line)
    return out


@lru_cache(maxsize=8192)
def extract_claims(text: str) -> tuple[Claim, ...]:
    """The claims of an answer, in order, with the heading/lead-in/antecedent each one leans on."""
    pats = _patterns()
    sentences = split_sentences(text)
    lines = _line_bounds(text)
    claims: list[Claim] = []
    heading = ""
    lead_in = ""
    in_questions = False
    section_start = 0
    si = 0
    for ls, le in lines:
        raw = text[ls:le]
        if not raw.strip():
            continue
        if raw.lstrip().startswith("|"):          # table rows: cells are not sentences
            while si < len(sentences) and sentences[si].start < le:
                si += 1
            continue
        bullet = bool(_BULLET.match(raw))
        line_sents = []
        while si < len(sentences) and sentences[si].start < le:
            if sentences[si].start >= ls:
                line_sents.append(sentences[si])
            si += 1
        if not bullet and _is_heading_line(raw):
            heading = raw.strip().strip("#*_: ").strip()
            lead_in = ""
            section_start = le
            in_questions = bool(pats["question_section"].search(raw))
            continue
        if in_questions:
            continue
        line_is_lead_in = raw.rstrip().rstrip("*_").endswith(":")
        if not bullet:
            lead_in = ""
        prev_text = ""
        for sp in line_sents:
            s_start, s_text = sp.start, sp.text
            label = ""
            m = _LABEL.match(s_text)
            if m and _AUX.search(m.group(1) or m.group(2) or ""):
                m = None       # "It is not too early: ..." is a sentence, not a label
            if m:
                label = (m.group(1) or m.group(2) or "").strip()
                s_start += m.end()
                s_text = text[s_start:sp.end]
                if not s_text.strip():
                    continue
            if _is_question(s_text) or _non_claim(s_text):
                continue
            words = _words(s_text)
            fragment = not _AUX.search(s_text) and not re.search(r"[.!]\W*$", s_text)
            if len(words) < (3 if (bullet or label) else 4):
                continue
            if fragment and not (bullet or label) and len(words) <= 6:
                continue
            ctx_parts = []
            if label and not label.endswith("?"):
                ctx_parts.append(label)
            if bullet and lead_in:
                ctx_parts.append(lead_in)
            elif bullet and heading:
                ctx_parts.append(heading)
            if pats["anaphora"].match(s_text.lstrip("*_ ")) or fragment:
                if prev_text:
                    ctx_parts.append(prev_text)
                elif not bullet and heading:
                    ctx_parts.append(heading)
                elif bullet and claims and claims[-1].start >= max(section_start, ls - 400):
                    ctx_parts.append(claims[-1].text)
            context = " ".join(dict.fromkeys(p for p in ctx_parts if p))
            prev_clause = ""
            for a, b in _split_clauses(s_text, s_start, text):
                ctx = context
                if prev_clause and pats["anaphora"].match(text[a:b]):
                    ctx = " ".join(p for p in (context, prev_clause) if p)
                claims.append(Claim(a, b, text[a:b], ctx, s_start, sp.end))
                prev_clause = text[a:b]
            prev_text = s_text
        if line_is_lead_in and not bullet:
            lead_in = raw.strip().strip("*_ ")
    return tuple(claims)


# ---------------------------------------------------------------- tokens

@lru_cache(maxsize=1)
def _token_tables() -> tuple[frozenset[str], dict[str, str]]:
    lx = lexicon()
    stop = frozenset(lx["stopwords"].split())
    return stop, dict(lx.get("spelling", {}))


_NEG_WORDS = frozenset("""not no never none nothing nobody neither nor cannot without n't""".split())
_TOKEN = re.compile(r"[a-z0-9]+(?:[-/.][a-z0-9]+)*")


def _stem(t: str) -> str:
    if len(t) > 5 and t.endswith("ies"):
        return t[:-3] + "y"
    if len(t) > 4 and t.endswith("s") and not t.endswith(("ss", "us", "is")):
        return t[:-1]
    return t


@lru_cache(maxsize=65536)
def content_tokens(text: str) -> frozenset[str]:
    """Normalised content words: stopwords and negation dropped, spelling folded, light stemming."""
    stop, spelling = _token_tables()
    out = set()
    for t in _TOKEN.findall(text.lower().replace("’", "'")):
        t = t.strip(".")
        t = spelling.get(t, t)
        if t in stop or t in _NEG_WORDS or len(t) < 2:
            continue
        out.add(_stem(t))
        if "-" in t:  # "chemotherapy-based" also counts as "chemotherapy"
            for part in t.split("-"):
                part = spelling.get(part, part)
                if len(part) > 2 and part not in stop:
                    out.add(_stem(part))
    return frozenset(out)
