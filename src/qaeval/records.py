"""Typed, immutable records that flow through the pipeline.

Every stage reads only what the stage before it wrote; these records are that contract.
They are plain frozen dataclasses so that scoring stays pure and results are reproducible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Source:
    """A guideline or reference document that facts come from."""

    id: str
    title: str
    publisher: str
    year: int
    url: str | None = None
    aliases: tuple[str, ...] = ()
    kind: str | None = None
    topics: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Source":
        return cls(
            id=d["id"], title=d["title"], publisher=d["publisher"], year=int(d["year"]),
            url=d.get("url"), aliases=tuple(d.get("aliases", ())), kind=d.get("kind"),
            topics=tuple(d.get("topics", ())),
        )


@dataclass(frozen=True)
class Fact:
    """One atomic, checkable reference claim tied to a source."""

    id: str
    text: str
    source_id: str
    required: bool
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Misconception:
    """A claim that a correct answer must not make."""

    id: str
    text: str
    corrected_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expectations:
    urgent_referral: bool = False
    must_not_give_dose: bool = False


@dataclass(frozen=True)
class Item:
    """A patient question with the reference material a good answer is judged against."""

    id: str
    question: str
    topic: str
    sources: tuple[Source, ...]
    facts: tuple[Fact, ...]
    misconceptions: tuple[Misconception, ...] = ()
    expectations: Expectations = Expectations()
    audience: str = "patient"
    tags: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Item":
        exp = d.get("expectations") or {}
        return cls(
            id=d["id"], question=d["question"], topic=d["topic"],
            sources=tuple(Source.from_dict(s) for s in d["sources"]),
            facts=tuple(Fact(id=f["id"], text=f["text"], source_id=f["source_id"],
                             required=bool(f["required"]), tags=tuple(f.get("tags", ())))
                        for f in d["facts"]),
            misconceptions=tuple(Misconception(id=m["id"], text=m["text"],
                                               corrected_by=tuple(m.get("corrected_by", ())))
                                 for m in d.get("misconceptions", ())),
            expectations=Expectations(urgent_referral=bool(exp.get("urgent_referral", False)),
                                      must_not_give_dose=bool(exp.get("must_not_give_dose", False))),
            audience=d.get("audience", "patient"), tags=tuple(d.get("tags", ())),
        )

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def fact(self, fact_id: str) -> Fact | None:
        return next((f for f in self.facts if f.id == fact_id), None)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class Answer:
    """What a generator produced for an item; a failed generation carries `error` and no text."""

    item_id: str
    generator: str
    text: str
    answer_id: str = ""
    error: str | None = None
    latency_s: float | None = None
    usage: Usage | None = None
    cost_usd: float | None = None
    cached: bool = False
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["meta"] = dict(self.meta)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Answer":
        usage = d.get("usage")
        return cls(
            item_id=d["item_id"], generator=d.get("generator") or "external",
            text=d.get("text", d.get("answer", "")) or "", answer_id=d.get("answer_id") or "",
            error=d.get("error"), latency_s=d.get("latency_s"),
            usage=Usage(**usage) if usage else None, cost_usd=d.get("cost_usd"),
            cached=bool(d.get("cached", False)), meta=dict(d.get("meta") or {}),
        )


@dataclass(frozen=True)
class Finding:
    """What a scorer saw, anchored to a character span of the answer so a reviewer can check it."""

    kind: str
    severity: str
    message: str
    start: int
    end: int
    text: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    category: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "kind": self.kind, "severity": self.severity, "message": self.message,
            "start": self.start, "end": self.end, "text": self.text,
            "evidence": dict(self.evidence),
        }
        if self.category is not None:
            d["category"] = self.category
        return d


@dataclass(frozen=True)
class ScoreResult:
    """One scorer's verdict on one answer: a value in [0, 1], pass/fail, and its reasons."""

    scorer: str
    value: float | None
    passed: bool | None
    findings: tuple[Finding, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "value": None if self.value is None else round(float(self.value), 6),
            "passed": self.passed,
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.details:
            d["details"] = dict(self.details)
        if self.error:
            d["error"] = self.error
        return d


SEVERITIES = ("info", "low", "medium", "high", "critical")


def severity_rank(severity: str) -> int:
    """Order severities so that policies can say 'at severity high or above'."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0
