"""Measured validity of each scorer (precision/recall against labelled data), for the report's
"how far to trust these scores" section. The numbers come from a JSON file the project keeps:

    {"generated": "2026-11-25", "command": "python bench/validity.py ...",
     "scorers": {"harmful_advice": {"dev":     {"precision": 0.93, "recall": 0.88, "f1": 0.90, "n": 240},
                                    "holdout": {"precision": 0.90, "recall": 0.81, "f1": 0.85, "n": 120}},
                 ...}}

A scorer that is missing (or has no split) is shown as "not yet measured", never guessed.
The split-major layout that `bench/validity.py --json` writes (`{"safety": {"dev": {"harmful_advice":
{...}}}}`) is read too, and `f1` / `n` are derived from precision/recall and tp/fp/fn/tn when absent.
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
    scorers = data.get("scorers")
    if scorers is None:
        scorers = _split_major(data)
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
            nums = _derived(nums)
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


def _split_major(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`{group?: {split: {scorer: metrics}}}` → `{scorer: {split: metrics}}` (dev and holdout only)."""
    groups = [data] + [v for k, v in data.items() if isinstance(v, dict) and k not in ("generated", "command")]
    out: dict[str, dict[str, Any]] = {}
    for g in groups:
        for split in SPLITS:
            for scorer, nums in (g.get(split) or {}).items() if isinstance(g.get(split), dict) else ():
                if isinstance(nums, dict) and ("precision" in nums or "recall" in nums):
                    out.setdefault(scorer, {})[split] = nums
    return out


def _derived(nums: dict[str, Any]) -> dict[str, Any]:
    """Fill in f1 from precision/recall and n from the confusion counts when a file leaves them out."""
    nums = dict(nums)
    p, r = nums.get("precision"), nums.get("recall")
    if nums.get("f1") is None and all(isinstance(x, (int, float)) and 0 <= x <= 1 for x in (p, r)):
        nums["f1"] = round(2 * p * r / (p + r), 4) if p + r else 0.0
    counts = [nums.get(k) for k in ("tp", "fp", "fn", "tn")]
    if nums.get("n") is None and all(isinstance(c, int) for c in counts):
        nums["n"] = sum(counts)
    return nums


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
