"""Find a judge's quote in the answer, so its findings point at a span a reviewer can check.

Judges are asked to quote the answer verbatim, and mostly do; when they change case, spacing,
quote marks or markdown, elide with "...", or paraphrase a little, the quote is still found (in
that order of preference). A quote that cannot be found is never dropped: its finding spans the
whole answer and says so (`how == "not_found"`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..textspans import split_sentences

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ",
                         "\u2013": "-", "\u2014": "-"})
_DROP = set("*_`#>")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|\u2026|\[\.\.\.\])\s*")


@dataclass(frozen=True)
class Located:
    start: int
    end: int
    how: str  # exact | normalised | elided | fuzzy | not_found


def _normalise(text: str) -> tuple[str, list[int]]:
    """Lower-cased, quote- and space-normalised text without markdown marks, and each char's offset."""
    out: list[str] = []
    where: list[int] = []
    prev_space = True
    for i, ch in enumerate(text.translate(_QUOTES)):
        if ch in _DROP:
            continue
        if ch.isspace():
            if prev_space:
                continue
            ch, prev_space = " ", True
        else:
            prev_space = False
        out.append(ch.lower())
        where.append(i)
    while out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


def _strip_quote(quote: str) -> str:
    """The quote without surrounding quote marks or leading/trailing ellipses."""
    q = quote.strip().strip("\"'\u201c\u201d\u2018\u2019").strip()
    q = re.sub(r"^(?:\.\.\.|\u2026)\s*", "", q)
    return re.sub(r"\s*(?:\.\.\.|\u2026)$", "", q).strip()


def _find_normalised(text: str, quote: str, start: int = 0) -> tuple[int, int] | None:
    norm, where = _normalise(text)
    nq, _ = _normalise(quote)
    if not nq:
        return None
    pos = norm.find(nq, max(0, next((k for k, w in enumerate(where) if w >= start), len(norm))))
    if pos < 0:
        return None
    return where[pos], where[pos + len(nq) - 1] + 1


_WORD = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")
_STOP = frozenset("""a an and are as at be been but by can could do does for from has have i if in into is it its
may me might my of on or our should so than that the their them then there these they this to was we were what
when which who will with would you your""".split())


def _words(text: str) -> Counter[str]:
    words = _WORD.findall(_normalise(text)[0])
    content = [w for w in words if w not in _STOP]
    return Counter(content or words)


def _fuzzy(text: str, quote: str, threshold: float) -> tuple[int, int] | None:
    """The tightest run of 1-3 consecutive sentences that holds most of the quote's words.

    A run qualifies when at least `threshold` of the quote's content words are in it (in any
    order: judges paraphrase); of those, the one most like the quote (Dice over content words)
    wins, so neighbouring sentences are not taken in.
    """
    qw = _words(quote)
    if not qw:
        return None
    n_q = sum(qw.values())
    sents = split_sentences(text)
    best: tuple[float, int, int] | None = None
    for i in range(len(sents)):
        for j in range(i, min(i + 3, len(sents))):
            cw = _words(text[sents[i].start:sents[j].end])
            shared = sum((qw & cw).values())
            if not cw or shared / n_q < threshold:
                continue
            dice = 2 * shared / (n_q + sum(cw.values()))
            if best is None or dice > best[0] + 1e-9:
                best = (dice, sents[i].start, sents[j].end)
    return (best[1], best[2]) if best else None


def locate(text: str, quote: str, fuzzy_threshold: float = 0.7) -> Located:
    """Where `quote` is in `text`: exact, normalised, elided ("a ... b"), fuzzy, or the whole text."""
    q = _strip_quote(quote or "")
    if q:
        pos = text.find(q)
        if pos >= 0:
            return Located(pos, pos + len(q), "exact")
        hit = _find_normalised(text, q)
        if hit:
            return Located(hit[0], hit[1], "normalised")
        parts = [p for p in _ELLIPSIS.split(q) if p.strip(" .")]
        if len(parts) > 1:
            first = _find_normalised(text, parts[0])
            cur = first
            for p in parts[1:]:
                cur = _find_normalised(text, p, cur[1]) if cur else None
            if first and cur:
                return Located(first[0], cur[1], "elided")
        hit = _fuzzy(text, q, fuzzy_threshold)
        if hit:
            return Located(hit[0], hit[1], "fuzzy")
    return Located(0, len(text), "not_found")
