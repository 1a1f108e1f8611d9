"""The gate policy: what a run must meet, read from YAML and validated against its JSON Schema.

A policy remembers the line of each of its entries so that a policy that names a scorer or a
generator the run does not have is reported as `file:line: $.path: problem`, like every other bad
input, and the gate exits 2 instead of quietly checking nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import InputError
from .validation import _node_line, iter_problems, json_path, read_yaml

CONDITIONS = ("min_mean", "min_pass_rate", "max_failures")


@dataclass(frozen=True)
class Threshold:
    """Absolute limits on one scorer (each set field is one condition)."""

    scorer: str
    min_mean: float | None = None
    min_pass_rate: float | None = None
    max_failures: int | None = None
    severity_at_least: str | None = None

    def conditions(self) -> list[str]:
        return [c for c in CONDITIONS if getattr(self, c) is not None]


@dataclass(frozen=True)
class RegressionLimit:
    """How far one scorer's mean (or pass rate) may drop against the baseline."""

    scorer: str
    max_drop: float
    metric: str = "mean"


@dataclass(frozen=True)
class Policy:
    thresholds: tuple[Threshold, ...] = ()
    regression: tuple[RegressionLimit, ...] = ()
    generators: tuple[str, ...] | None = None
    errors: str = "fail"
    iterations: int = 2000
    seed: int = 0
    confidence: float = 0.95
    source: str = "<policy>"
    lines: Mapping[tuple[Any, ...], int] = field(default_factory=dict)

    @property
    def errors_as_failures(self) -> bool:
        return self.errors == "fail"

    def where(self, *path: Any) -> str:
        """`file:line: $.path` of a policy entry, for error messages."""
        return f"{self.source}:{self.lines.get(tuple(path), 1)}: {json_path(list(path))}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<policy>",
                  lines: Mapping[tuple[Any, ...], int] | None = None) -> "Policy":
        """Build a policy from already-parsed data (validated here too, for programmatic use)."""
        problems = [f"{source}:{(lines or {}).get(tuple(p), 1)}: {json_path(p)}: {m}" for p, m in iter_problems(data, "gate_policy")]
        if problems:
            raise InputError(problems)
        boot = data.get("bootstrap", {})
        return cls(
            thresholds=tuple(Threshold(scorer=k, **v) for k, v in data.get("thresholds", {}).items()),
            regression=tuple(RegressionLimit(scorer=k, **v) for k, v in (data.get("regression") or {}).items()),
            generators=tuple(data["generators"]) if data.get("generators") else None,
            errors=data.get("errors", "fail"), iterations=int(boot.get("iterations", 2000)),
            seed=int(boot.get("seed", 0)), confidence=float(boot.get("confidence", 0.95)),
            source=source, lines=dict(lines or {}),
        )


def _entry_lines(node: yaml.Node, data: Mapping[str, Any]) -> dict[tuple[Any, ...], int]:
    paths: list[tuple[Any, ...]] = [("generators",)]
    paths += [("generators", i) for i in range(len(data.get("generators") or []))]
    for section in ("thresholds", "regression"):
        paths.append((section,))
        paths += [(section, k) for k in (data.get(section) or {})]
    return {p: _node_line(node, list(p)) for p in paths}


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; problems are raised as InputError (`file:line: path: problem`)."""
    path = Path(path)
    data = read_yaml(path, "gate_policy")
    node = yaml.compose(path.read_text("utf-8"), Loader=yaml.SafeLoader)
    return Policy.from_dict(data, source=str(path), lines=_entry_lines(node, data))
