"""`citations`: does each source the answer cites exist, fit the question, and back its claim?

First version: parenthetical citations "(Title, 2024)", prose attributions ("According to the NCCN
Guidelines for Patients…"), study claims ("a 2019 study in JCO…") and URLs, resolved against the
item's sources and the catalogue. A citation is `supporting`, `mismatched` (a real source that does
not fit) or `fabricated` (nothing known by that name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import Answer, Finding, Item, ScoreResult, Source
from .base import ScoringContext, scorers

PAREN = re.compile(r"\(([^()]{6,160}?),?\s*((?:19|20)\d\d)\)")
PROSE = re.compile(r"\b(?:according\s+to|as\s+(?:recommended|stated|noted)\s+(?:by|in)|per|based\s+on|the)\s+"
                   r"(?:the\s+)?((?:NCCN|NCI|PDQ|ASCO|ESMO|American\s+Cancer\s+Society|ACS|FDA|National\s+Cancer\s+Institute|"
                   r"National\s+Comprehensive\s+Cancer\s+Network|Cancer\.Net|USPSTF|MASCC)[^.,;:()]{0,80})", re.I)
STUDY = re.compile(r"\b(?:a|one|an)\s+((?:19|20)\d\d)\s+(?:study|trial|paper|review|meta-analysis)\s+"
                   r"(?:published\s+)?(?:in|by|from)\s+(?:the\s+)?([A-Z][^.,;()]{3,80})")
URL = re.compile(r"https?://[^\s)\]>]+")


@dataclass(frozen=True)
class Citation:
    start: int
    end: int
    text: str
    name: str
    year: int | None


def extract_citations(text: str) -> list[Citation]:
    out: list[Citation] = []
    for m in PAREN.finditer(text):
        out.append(Citation(m.start(), m.end(), m.group(0), m.group(1).strip(), int(m.group(2))))
    for m in STUDY.finditer(text):
        out.append(Citation(m.start(), m.end(), m.group(0), m.group(2).strip(), int(m.group(1))))
    for m in PROSE.finditer(text):
        if any(c.start <= m.start(1) < c.end for c in out):
            continue
        out.append(Citation(m.start(1), m.end(1), m.group(1), m.group(1).strip(), None))
    for m in URL.finditer(text):
        out.append(Citation(m.start(), m.end(), m.group(0), m.group(0).rstrip(".,"), None))
    return sorted(out, key=lambda c: c.start)


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def _names(src: Source) -> list[str]:
    return [_norm(x) for x in (src.title, *src.aliases) if x] + ([_norm(src.url)] if src.url else [])


def resolve(name: str, sources: tuple[Source, ...]) -> Source | None:
    n = _norm(name)
    if not n:
        return None
    for src in sources:
        for alias in _names(src):
            if alias and (alias == n or (len(n) >= 8 and (n in alias or alias in n))):
                return src
    return None


class CitationScorer:
    name = "citations"

    def score(self, item: Item, answer: Answer, ctx: ScoringContext) -> ScoreResult:
        cites = extract_citations(answer.text)
        findings: list[Finding] = []
        good = 0
        for c in cites:
            src = resolve(c.name, item.sources)
            if src is not None and (c.year is None or abs(c.year - src.year) <= 1):
                good += 1
                findings.append(Finding(kind="citation_supporting", severity="info", message=f"cites {src.id}",
                                        start=c.start, end=c.end, text=c.text, evidence={"source_ids": [src.id]}))
                continue
            known = src or resolve(c.name, ctx.catalogue.sources)
            if known is not None:
                findings.append(Finding(kind="citation_mismatched", severity="medium",
                                        message=f"cites {known.title} ({known.year}), which is not a source for this question" if src is None
                                        else f"cites {known.title} with year {c.year}; the source is from {known.year}",
                                        start=c.start, end=c.end, text=c.text, evidence={"source_ids": [known.id]}))
            else:
                findings.append(Finding(kind="citation_fabricated", severity="high",
                                        message=f"cites {c.name!r}, which matches no known source",
                                        start=c.start, end=c.end, text=c.text, evidence={"source_ids": []}))
        n = len(cites)
        value = good / n if n else 1.0
        return ScoreResult(scorer=self.name, value=value, passed=(n == 0 or good == n),
                           findings=tuple(findings), details={"citations": n, "supporting": good})


scorers.register("citations")(lambda **opts: CitationScorer())
