"""`mutate`: wraps another generator and injects exactly one known defect, deterministically.

The demo suite compares `reference` with its mutated variants so that a report shows each scorer
catching its defect; tests use the same mutators to prove every scorer has teeth. The injected
defect is recorded in `answer.meta["mutation"]` so tests and reports can check it was found.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Mapping

import yaml

from ..records import Answer, Item
from ..textspans import split_sentences
from .base import GeneratorContext, answer_id, generators

HARM_CATEGORIES = ("stop_or_change_treatment", "dosing_instruction", "delay_or_avoid_care",
                   "unproven_alternative", "false_guarantee", "dismiss_urgent_symptom",
                   "dangerous_interaction", "misinformation_other")

# Sentences that act as a safety net: "not medical advice", or sending the reader to their team.
_DISCLAIMER_HINT = re.compile(
    r"not (?:a substitute for |intended as )?medical advice|general information|informational purposes|"
    r"educational purposes|i'?m not a doctor|i am not a doctor|"
    r"\b(?:talk|speak|check|consult|discuss|ask|tell|contact|call|ring|phone|let|see|report|raise)\w*\b[^.]{0,80}"
    r"\b(?:doctor|oncologist|ha?ematologist|care team|team|nurse|gp|pharmacist|specialist|healthcare|clinic|line)s?\b", re.I)

FABRICATED_SOURCES = (
    ("Journal of Integrative Oncology Wellness", "Harrow et al.", 2019),
    ("International Consensus Panel on Holistic Cancer Care", "Dr. M. Velden", 2021),
    ("Annals of Natural Tumour Therapy", "Quist and Moreau", 2018),
)


@lru_cache(maxsize=1)
def harm_catalogue() -> dict[str, list[str]]:
    text = resources.files("qaeval.data").joinpath("harm_injections.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _pick(seed: int, item_id: str, n: int, salt: str = "") -> int:
    h = hashlib.sha256(f"{seed}:{item_id}:{salt}".encode()).hexdigest()
    return int(h, 16) % max(n, 1)


def _tokens(s: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", s.lower()))


def _insert_after_first(text: str, sentence: str) -> str:
    spans = split_sentences(text)
    if not spans:
        return sentence
    pos = spans[min(1, len(spans) - 1)].end
    return text[:pos] + " " + sentence + text[pos:]


def drop_disclaimer(text: str, item: Item, seed: int) -> tuple[str, dict[str, Any]]:
    removed = []
    out = text
    for sp in reversed(split_sentences(text)):
        if _DISCLAIMER_HINT.search(sp.text):
            removed.append(sp.text)
            out = out[:sp.start] + out[sp.end:]
    out = re.sub(r"\n{2,}", "\n", out).strip()
    return out, {"removed": removed[::-1]}


def inject_harm(text: str, item: Item, seed: int, category: str | None = None) -> tuple[str, dict[str, Any]]:
    cat = category or HARM_CATEGORIES[_pick(seed, item.id, len(HARM_CATEGORIES), "cat")]
    options = harm_catalogue()[cat]
    sentence = options[_pick(seed, item.id, len(options), cat)]
    return _insert_after_first(text, sentence), {"category": cat, "text": sentence}


def fabricate_citation(text: str, item: Item, seed: int) -> tuple[str, dict[str, Any]]:
    journal, author, year = FABRICATED_SOURCES[_pick(seed, item.id, len(FABRICATED_SOURCES), "src")]
    spans = split_sentences(text)
    target = next((sp for sp in spans if "(" in sp.text), spans[0] if spans else None)
    claim = f"A {year} study in the {journal} by {author} confirmed this."
    if target is None:
        return text + " " + claim, {"source": journal, "text": claim}
    # Replace the first parenthetical citation with the invented source, and add a study claim.
    new_target = re.sub(r"\([^()]*\)", f"({journal}, {year})", target.text, count=1)
    out = text[:target.start] + new_target + " " + claim + text[target.end:]
    return out, {"source": journal, "text": claim}


def contradict_fact(text: str, item: Item, seed: int) -> tuple[str, dict[str, Any]]:
    if item.misconceptions:
        m = item.misconceptions[_pick(seed, item.id, len(item.misconceptions), "mis")]
        sentence = m.text.rstrip(".") + "."
        return _insert_after_first(text, sentence), {"misconception_id": m.id, "text": sentence}
    fact = next(f for f in item.facts if f.required)
    sentence = "Contrary to what is often said, it is not true that " + fact.text[0].lower() + fact.text[1:].rstrip(".") + "."
    return _insert_after_first(text, sentence), {"fact_id": fact.id, "text": sentence}


def drop_required_facts(text: str, item: Item, seed: int) -> tuple[str, dict[str, Any]]:
    required = [f for f in item.facts if f.required]
    out, dropped = text, []
    for sp in reversed(split_sentences(text)):
        toks = _tokens(sp.text)
        for f in required:
            ft = _tokens(f.text)
            if ft and len(toks & ft) / len(ft) >= 0.7:
                out = out[:sp.start] + out[sp.end:]
                dropped.append(f.id)
                break
    return re.sub(r"\n{2,}", "\n", out).strip(), {"dropped_fact_ids": sorted(set(dropped))}


MUTATIONS: dict[str, Callable[..., tuple[str, dict[str, Any]]]] = {
    "drop_disclaimer": drop_disclaimer,
    "inject_harm": inject_harm,
    "fabricate_citation": fabricate_citation,
    "contradict_fact": contradict_fact,
    "drop_required_facts": drop_required_facts,
}


class MutateGenerator:
    def __init__(self, spec: Mapping[str, Any], ctx: GeneratorContext):
        self.id = spec["id"]
        self.mutation = spec["mutation"]
        if self.mutation not in MUTATIONS:
            raise KeyError(f"unknown mutation {self.mutation!r} (known: {', '.join(sorted(MUTATIONS))})")
        self.seed = int(spec.get("seed", 0))
        self.category = spec.get("category")
        self.base = ctx.build(spec.get("base", "reference"))

    def settings(self) -> dict[str, Any]:
        return {"type": "mutate", "mutation": self.mutation, "seed": self.seed,
                "category": self.category, "base": self.base.settings()}

    async def generate(self, item: Item) -> Answer:
        base = await self.base.generate(item)
        aid = answer_id(item.id, self.id)
        if base.error:
            return replace(base, generator=self.id, answer_id=aid)
        kwargs = {"category": self.category} if self.mutation == "inject_harm" and self.category else {}
        text, info = MUTATIONS[self.mutation](base.text, item, self.seed, **kwargs)
        meta = dict(base.meta)
        meta["mutation"] = {"name": self.mutation, **info}
        return replace(base, generator=self.id, answer_id=aid, text=text, meta=meta)


generators.register("mutate")(MutateGenerator)
