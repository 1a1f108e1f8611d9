"""What every match of a rubric pattern must contain, so a sentence without it can skip the search.

Rubric patterns are large alternations run with a time bound; most sentences cannot match most
patterns because a required word is missing. At load time each pattern is read (with Python's own
regex parser) into "needs": groups of lower-cased words, each group satisfied when any one of its
words occurs in the text. `{lexicon}` placeholders become groups of the lexicon's phrases and
`{snippet}`s contribute their own needs. The test is looser than the pattern (substrings, case and
whitespace folded), so it only ever skips searches that could not match; a pattern the parser
cannot read simply has no needs.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

_WS = re.compile(r"\s+")
_NAME = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
# Fuzzy matching ("(?:chemo){e<=1}") lets a match lack the literal words: no pre-check then.
_FUZZY = re.compile(r"\{(?:[^{}]*[<=>][^{}]*|[eisd])\}")
_GROUPS: dict[tuple[str, ...], "re.Pattern[str]"] = {}  # interned: equal groups are one object

Needs = tuple["re.Pattern[str]", ...]


def fold(text: str) -> str:
    """The form the needs are tested against: lower case, runs of whitespace as one space."""
    return _WS.sub(" ", text).lower()


def _group(words: set[str]) -> "re.Pattern[str]":
    key = tuple(sorted(words, key=lambda w: (-len(w), w)))
    rx = _GROUPS.get(key)
    if rx is None:
        rx = _GROUPS[key] = re.compile("|".join(re.escape(w) for w in key))
    return rx


def _walk(seq: Any, marks: Mapping[int, frozenset[str] | None]) -> list[frozenset[str]]:
    """Groups of words that every match of a parsed (sub)pattern contains."""
    from re import _constants as C  # type: ignore[attr-defined]
    out: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        word = fold("".join(run)).strip()
        # Braces that reach here are syntax the stdlib read as text: not a reliable literal.
        if len(word) >= 3 and "{" not in word and "}" not in word:
            out.append(frozenset([word]))
        run.clear()

    for op, av in seq:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is C.SUBPATTERN:
            if av[0] in marks:  # a {name}: its groups were worked out on their own
                if marks[av[0]]:
                    out.append(marks[av[0]])  # type: ignore[arg-type]
            else:
                out.extend(_walk(av[-1], marks))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            if av[0] >= 1:
                out.extend(_walk(av[2], marks))
        elif op is C.BRANCH:  # one branch must match: any word that starts a branch's needs
            firsts = [_walk(b, marks) for b in av[1]]
            if firsts and all(firsts):
                out.append(frozenset().union(*(f[0] for f in firsts)))
        elif op is getattr(C, "ATOMIC_GROUP", None):
            out.extend(_walk(av, marks))
        # lookarounds, classes, anchors, backreferences: nothing required (safe to ignore)
    flush()
    return out


def _inline_snippets(source: str, snippets: Mapping[str, str], depth: int = 0) -> str:
    """`{snippet}` replaced by its (nested) source; `{lexicon}` placeholders stay."""
    def sub(m: "re.Match[str]") -> str:
        name = m.group(1)
        if name in snippets and depth < 5:
            return "(?:" + _inline_snippets(snippets[name], snippets, depth + 1) + ")"
        return m.group(0)
    return _NAME.sub(sub, source)


def _needs_of(source: str, lexicons: Mapping[str, list[str]], snippets: Mapping[str, str]) -> list[frozenset[str]]:
    from re import _parser  # type: ignore[attr-defined]
    source = _inline_snippets(source, snippets)
    if _FUZZY.search(source):
        return []
    names: list[str] = []

    def mark(m: "re.Match[str]") -> str:
        names.append(m.group(1))
        return f"(?P<QX{len(names) - 1}>x)"

    # Named groups may repeat in `regex` patterns but not for the stdlib parser: make them plain.
    marked = re.sub(r"\(\?P<[A-Za-z_]\w*>", "(?:", source)
    marked = _NAME.sub(mark, marked)
    try:
        tree = _parser.parse(marked, re.IGNORECASE)
    except Exception:  # a construct only the `regex` module reads: no pre-check for this pattern
        return []
    marks: dict[int, frozenset[str] | None] = {}
    for gname, gid in tree.state.groupdict.items():
        words = {fold(w).strip() for w in lexicons.get(names[int(gname[2:])], ()) if w.strip()}
        marks[gid] = frozenset(words) if words else None  # an empty or unknown lexicon requires nothing
    return list(dict.fromkeys(_walk(tree, marks)))


def needs(source: str, lexicons: Mapping[str, list[str]], snippets: Mapping[str, str] | None = None) -> Needs:
    """The word groups every match of `source` contains, each as one compiled alternation."""
    return tuple(_group(set(g)) for g in _needs_of(source, lexicons, snippets or {}))


class Probe:
    """One text, folded once, and the groups already looked up in it."""

    __slots__ = ("folded", "_seen")

    def __init__(self, text: str):
        self.folded = fold(text)
        self._seen: dict[int, bool] = {}

    def allows(self, required: Needs) -> bool:
        """False when a group is missing, so the pattern cannot match this text."""
        for rx in required:
            hit = self._seen.get(id(rx))
            if hit is None:
                hit = self._seen[id(rx)] = rx.search(self.folded) is not None
            if not hit:
                return False
        return True
