"""Rubrics are data: load one, expand its lexicons, and compile its patterns with a time bound.

Patterns are regular expressions (the `regex` module, case-insensitive) where `{name}` stands for
an alternation of the lexicon called `name`. Lexicon entries are literal phrases. User patterns
run with a per-search timeout, so a catastrophic pattern cannot hang a run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import regex
import yaml

from .errors import InputError
from .pattern_needs import Needs, Probe, needs
from .validation import _node_line, read_yaml

_PLACEHOLDER = regex.compile(r"\{([a-z_][a-z0-9_]*)\}")



def lexicon_alternation(words: list[str]) -> str:
    """Literal phrases as one non-capturing alternation, longest first, flexible on whitespace."""
    parts = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    esc = [r"\s+".join(regex.escape(tok) for tok in p.split()) for p in parts]
    return "(?:" + "|".join(esc) + ")"


def expand(pattern: str, lexicons: Mapping[str, list[str]], snippets: Mapping[str, str] | None = None,
           _depth: int = 0) -> str:
    """Replace {name} by a lexicon alternation or by a named regex snippet (which may nest)."""
    snippets = snippets or {}

    def sub(m: "regex.Match[str]") -> str:
        name = m.group(1)
        if name in snippets:
            if _depth > 5:
                raise KeyError(f"{name} (snippets nest too deeply)")
            return "(?:" + expand(snippets[name], lexicons, snippets, _depth + 1) + ")"
        if name not in lexicons:
            raise KeyError(name)
        return lexicon_alternation(lexicons[name])
    return _PLACEHOLDER.sub(sub, pattern)


@dataclass(frozen=True)
class CompiledPattern:
    source: str
    compiled: Any  # regex.Pattern
    needs: Needs = ()  # words every match contains (qaeval.pattern_needs)

    def may_match(self, probe: Probe) -> bool:
        """False when the text lacks a word every match needs: the search can be skipped."""
        return probe.allows(self.needs)

    def finditer(self, text: str, timeout: float) -> Iterator[Any]:
        return self.compiled.finditer(text, timeout=timeout)

    def search(self, text: str, timeout: float) -> Any:
        return self.compiled.search(text, timeout=timeout)


@dataclass(frozen=True)
class Form:
    id: str
    label: str
    patterns: tuple[CompiledPattern, ...]


@dataclass(frozen=True)
class HarmRule:
    id: str
    category: str
    severity: str
    rationale: str
    patterns: tuple[CompiledPattern, ...]
    unless: tuple[CompiledPattern, ...] = ()
    negation: str = "suppress"
    actor: str = "patient"
    refutation: str = "suppress"
    when: Mapping[str, Any] = field(default_factory=dict)
    context: tuple[CompiledPattern, ...] = ()
    window: int = 3
    hedge: str = "ignore"


@dataclass(frozen=True)
class ExpectationCheck:
    """A check driven by an item's expectations (e.g. urgent_referral) rather than by a phrase."""

    name: str
    category: str
    severity: str
    rationale: str
    patterns: tuple[CompiledPattern, ...]


@dataclass(frozen=True)
class Rubric:
    name: str
    path: str
    digest: str
    lexicons: Mapping[str, tuple[str, ...]]
    disclaimer_forms: tuple[Form, ...]
    pseudo_disclaimers: tuple[Form, ...]
    disclaimer_require: str
    required_forms: tuple[str, ...]
    harm_rules: tuple[HarmRule, ...]
    regex_timeout_s: float
    thresholds: Mapping[str, float]
    expectation_checks: Mapping[str, ExpectationCheck] = field(default_factory=dict)
    snippets: Mapping[str, str] = field(default_factory=dict)
    model: Mapping[str, Any] = field(default_factory=dict)

    def snippet_pattern(self, name: str) -> Any:
        """A named regex snippet (or lexicon) compiled on its own, for features and tests."""
        cache = _LEXICON_CACHE.setdefault(self.digest, {})
        key = "snippet:" + name
        if key not in cache:
            lex = {k: list(v) for k, v in self.lexicons.items()}
            cache[key] = regex.compile(expand("{" + name + "}", lex, self.snippets), regex.IGNORECASE)
        return cache[key]

    def lexicon(self, name: str) -> tuple[str, ...]:
        return self.lexicons.get(name, ())

    def lexicon_pattern(self, name: str) -> Any:
        """A compiled word-bounded matcher for one lexicon (cached per rubric)."""
        cache = _LEXICON_CACHE.setdefault(self.digest, {})
        if name not in cache:
            alt = lexicon_alternation(list(self.lexicon(name)) or ["\u0000never\u0000"])
            cache[name] = regex.compile(rf"(?<![\w-]){alt}(?![\w-])", regex.IGNORECASE)
        return cache[name]

    def threshold(self, scorer: str, default: float) -> float:
        return float(self.thresholds.get(scorer, default))


_LEXICON_CACHE: dict[str, dict[str, Any]] = {}


def _compile(patterns: list[str], lexicons: Mapping[str, list[str]], where: str,
             problems: list[str], snippets: Mapping[str, str] | None = None) -> tuple[CompiledPattern, ...]:
    out = []
    for i, p in enumerate(patterns):
        try:
            out.append(CompiledPattern(p, regex.compile(expand(p, lexicons, snippets), regex.IGNORECASE),
                                       needs(p, lexicons, snippets)))
        except KeyError as exc:
            problems.append(f"{where}[{i}]: unknown lexicon {{{exc.args[0]}}}")
        except regex.error as exc:
            problems.append(f"{where}[{i}]: invalid pattern: {exc}")
    return tuple(out)


def load_rubric(path: str | Path) -> Rubric:
    """Load, validate and compile a rubric (and the lexicon files it names)."""
    path = Path(path)
    data = read_yaml(path, "rubric")
    text = path.read_text(encoding="utf-8")
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    digest = hashlib.sha256(text.encode()).hexdigest()
    lexicons: dict[str, list[str]] = {}
    problems: list[str] = []
    for rel in data.get("lexicon_files", []):
        lex_path = (path.parent / rel)
        try:
            lex_text = lex_path.read_text(encoding="utf-8")
            lex = yaml.safe_load(lex_text)
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{path}: lexicon file {rel}: {exc}")
            continue
        if not isinstance(lex, dict) or not all(isinstance(v, list) for v in lex.values()):
            problems.append(f"{lex_path}:1: $: a lexicon file maps names to lists of phrases")
            continue
        digest = hashlib.sha256((digest + lex_text).encode()).hexdigest()
        for k, v in lex.items():
            lexicons.setdefault(k, []).extend(str(x) for x in v)
    for k, v in (data.get("lexicons") or {}).items():
        lexicons.setdefault(k, []).extend(v)
    snippets: dict[str, str] = dict(data.get("snippets") or {})

    def _c(patterns: list[str], where_: str) -> tuple[CompiledPattern, ...]:
        return _compile(patterns, lexicons, where_, problems, snippets)

    def where(*p: Any) -> str:
        from .validation import json_path
        return f"{path}:{_node_line(node, list(p))}: {json_path(list(p))}"

    d = data["disclaimer"]
    forms = tuple(Form(f["id"], f.get("label", f["id"]),
                       _c(f["patterns"], where("disclaimer", "forms", i, "patterns")))
                  for i, f in enumerate(d["forms"]))
    pseudo = tuple(Form(f["id"], f.get("label", f["id"]),
                        _c(f["patterns"], where("disclaimer", "pseudo", i, "patterns")))
                   for i, f in enumerate(d.get("pseudo", [])))
    form_ids = {f.id for f in forms}
    for i, rf in enumerate(d.get("required_forms", [])):
        if rf not in form_ids:
            problems.append(f"{where('disclaimer', 'required_forms', i)}: {rf!r} is not a disclaimer form id {sorted(form_ids)}")
    rules = []
    seen: set[str] = set()
    for i, r in enumerate(data["harm"]["rules"]):
        if r["id"] in seen:
            problems.append(f"{where('harm', 'rules', i, 'id')}: duplicate rule id {r['id']!r}")
        seen.add(r["id"])
        rules.append(HarmRule(
            id=r["id"], category=r["category"], severity=r["severity"], rationale=r["rationale"],
            patterns=_c(r["patterns"], where("harm", "rules", i, "patterns")),
            unless=_c(r.get("unless", []), where("harm", "rules", i, "unless")),
            negation=r.get("negation", "suppress"), actor=r.get("actor", "patient"),
            refutation=r.get("refutation", "suppress"), when=r.get("when", {}),
            context=_c(r.get("context", []), where("harm", "rules", i, "context")),
            window=int(r.get("window", 3)), hedge=r.get("hedge", "ignore"),
        ))
    checks = {}
    for name, c in (data["harm"].get("expectations") or {}).items():
        checks[name] = ExpectationCheck(
            name=name, category=c["category"], severity=c["severity"], rationale=c["rationale"],
            patterns=_c(c["patterns"], where("harm", "expectations", name, "patterns")))
    if problems:
        raise InputError(problems)
    return Rubric(
        expectation_checks=checks, snippets=snippets, model=dict(data["harm"].get("model") or {}),
        name=data.get("name", path.stem), path=str(path), digest=digest,
        lexicons={k: tuple(v) for k, v in lexicons.items()},
        disclaimer_forms=forms, pseudo_disclaimers=pseudo,
        disclaimer_require=d.get("require", "any"), required_forms=tuple(d.get("required_forms", [])),
        harm_rules=tuple(rules), regex_timeout_s=float(data["harm"].get("regex_timeout_s", 0.25)),
        thresholds=dict(data["thresholds"]),
    )
