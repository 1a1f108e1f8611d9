"""Split answer text into sentence spans with exact character offsets.

Findings must point at spans of the original answer, so every unit here keeps `start`/`end`
into the untouched text. Markdown bullets, numbering and emphasis markers are trimmed from the
span, not from the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_ABBREV = ("e.g.", "i.e.", "dr.", "vs.", "etc.", "approx.", "mr.", "mrs.", "ms.", "no.", "fig.",
           "st.", "u.s.", "p.", "al.", "jr.", "sr.", "inc.", "mg.", "min.")
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9*_#])")
_LEAD = re.compile(r"^(?:\s|[-*•·–>]|#+|\d{1,2}[.)](?=\s)|\*\*|__)+")
_TRAIL = re.compile(r"(?:\s|\*\*|__)+$")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str

    @property
    def is_question(self) -> bool:
        return self.text.rstrip(" *_\"'”)").endswith("?")

    @property
    def is_heading(self) -> bool:
        t = self.text.strip()
        if not t:
            return True
        if t.endswith(":") and len(t.split()) <= 12:
            return True
        words = t.split()
        return len(words) <= 8 and not re.search(r"[.!?;,]$", t) and not re.search(
            r"\b(is|are|was|were|can|may|will|should|must|do|does|has|have)\b", t, re.I)


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        out.append((pos, pos + len(line.rstrip("\r\n"))))
        pos += len(line)
    return out


def _trim(text: str, start: int, end: int) -> Span | None:
    seg = text[start:end]
    m = _LEAD.match(seg)
    s = start + (m.end() if m else 0)
    t = _TRAIL.search(text[s:end])
    e = s + t.start() if t else end
    if e <= s:
        return None
    return Span(s, e, text[s:e])


@lru_cache(maxsize=4096)
def split_sentences(text: str) -> tuple[Span, ...]:
    """Sentences (or list items / headings) of `text`, in order, as offset spans."""
    spans: list[Span] = []
    for ls, le in _lines(text):
        line = text[ls:le]
        if not line.strip():
            continue
        cuts = [0]
        for m in _BOUNDARY.finditer(line):
            before = line[:m.start() + 1].lower()
            if before.endswith(_ABBREV) or re.search(r"\b[a-z]\.$", before[-3:]):
                continue
            cuts.append(m.end())
        cuts.append(len(line))
        for a, b in zip(cuts, cuts[1:]):
            sp = _trim(text, ls + a, ls + b)
            if sp is not None:
                spans.append(sp)
    return tuple(spans)


_CLAUSE = re.compile(r";|\s[—–-]\s|,?\s+but\s+|,?\s+however,?\s+|,?\s+although\s+|,?\s+whereas\s+|,?\s+though\s+|:\s", re.I)


def split_clauses(span: Span, full_text: str) -> list[Span]:
    """Clauses of one sentence, split where negation and modality usually stop reaching."""
    out, last = [], span.start
    for m in _CLAUSE.finditer(span.text):
        a, b = span.start + m.start(), span.start + m.end()
        if a > last:
            sp = _trim(full_text, last, a)
            if sp:
                out.append(sp)
        last = b
    sp = _trim(full_text, last, span.end)
    if sp:
        out.append(sp)
    return out or [span]
