"""Measured validity of each scorer (precision/recall against labelled data), for the report's
"how far to trust these scores" section. The numbers come from a JSON file the project keeps:

    {"generated": "2026-11-25", "command": "python bench/validity.py ...",
     "scorers": {"harmful_advice": {"dev":     {"precision": 0.93, "recall": 0.88, "f1": 0.90, "n": 240},
                                    "holdout": {"precision": 0.90, "recall": 0.81, "f1": 0.85, "n": 120}},
                 ...}}

A scorer that is missing (or has no split) is shown as "not yet measured", never guessed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

SPLITS = ("dev", "holdout")
METRICS = ("precision", "recall", "f1", "n")
ENV_VAR = "QAEVAL_VALIDITY"


@dataclass
class Validity:
    """Parsed validity numbers; `problems` lists what was wrong with the file (shown in the report)."""

    source: str | None = None
    generated: str | None = None
    command: str | None = None
    scorers: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def split(self, scorer: str, split: str) -> dict[str, float] | None:
        return self.scorers.get(scorer, {}).get(split)


def default_validity_path() -> Path | None:
    """$QAEVAL_VALIDITY, else the packaged `qaeval/data/validity.json` if it exists."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    p = Path(str(resources.files("qaeval") / "data" / "validity.json"))
    return p if p.exists() else None


def parse_validity(data: Any, source: str = "validity.json") -> Validity:
    """Check the format and keep only well-formed numbers; every problem is `source: path: problem`."""
    v = Validity(source=source)
    if not isinstance(data, dict):
        v.problems.append(f"{source}: top level must be an object")
        return v
    v.generated = str(data["generated"]) if data.get("generated") is not None else None
    v.command = str(data["command"]) if data.get("command") is not None else None
    scorers = data.get("scorers", {})
    if not isinstance(scorers, dict):
        v.problems.append(f"{source}: scorers: must be an object of scorer name → splits")
        return v
    for name, splits in scorers.items():
        if not isinstance(splits, dict):
            v.problems.append(f"{source}: scorers.{name}: must be an object with 'dev' and/or 'holdout'")
            continue
        for split, nums in splits.items():
            where = f"{source}: scorers.{name}.{split}"
            if split not in SPLITS:
                v.problems.append(f"{where}: unknown split (known: {', '.join(SPLITS)})")
                continue
            if not isinstance(nums, dict):
                v.problems.append(f"{where}: must be an object with {', '.join(METRICS)}")
                continue
            clean: dict[str, float] = {}
            for m in METRICS:
                x = nums.get(m)
                if x is None:
                    continue
                if isinstance(x, bool) or not isinstance(x, (int, float)) or (m != "n" and not 0 <= x <= 1) or (m == "n" and x < 0):
                    v.problems.append(f"{where}.{m}: {x!r} is not a {'count' if m == 'n' else 'number in [0, 1]'}")
                    continue
                clean[m] = x
            if clean:
                v.scorers.setdefault(name, {})[split] = clean
    return v


def load_validity(path: str | Path | None = None) -> Validity:
    """Read the validity file (default location if `path` is None); a missing file is not an error."""
    p = Path(path) if path is not None else default_validity_path()
    if p is None or not p.exists():
        return Validity(problems=[f"{p}: no such file"] if path is not None else [])
    try:
        data = json.loads(p.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Validity(source=str(p), problems=[f"{p}: cannot read: {exc}"])
    return parse_validity(data, source=str(p))
