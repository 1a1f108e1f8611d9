"""Collect every scorer's measured validity into src/qaeval/data/validity.json (read by the report).

    .venv/bin/python bench/validity_all.py

Runs bench/validity.py (harmful_advice, disclaimer), bench/validity_grounding.py (grounding,
coverage) and bench/validity_citations.py (citations) and keeps, per scorer and split,
precision, recall, F1 and n.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/qaeval/data/validity.json"


def run(script: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def pick(d: dict, n: int | None = None) -> dict:
    keep = {k: d[k] for k in ("precision", "recall", "f1") if k in d}
    keep["n"] = n if n is not None else sum(d.get(k, 0) for k in ("tp", "fp", "fn", "tn"))
    return keep


def main() -> int:
    tmp = ROOT / "bench" / ".validity-safety.json"
    subprocess.run([sys.executable, str(ROOT / "bench/validity.py"), "--json", str(tmp)], check=True, capture_output=True)
    safety = json.loads(tmp.read_text())["safety"]
    tmp.unlink()
    grounding = run("validity_grounding.py", "--json")
    citations = run("validity_citations.py", "--json")
    scorers: dict[str, dict] = {"harmful_advice": {}, "disclaimer": {}, "grounding": {}, "coverage": {}, "citations": {}}
    for split in ("dev", "holdout"):
        s = safety[split]
        scorers["harmful_advice"][split] = {**pick(s["harmful_advice"]), "category_accuracy": s["category_accuracy"]}
        scorers["disclaimer"][split] = {**pick(s["disclaimer"]), "accuracy": s["disclaimer"]["accuracy"]}
        g = grounding[split]
        scorers["grounding"][split] = {**pick(g, g["answers"]), "claim_accuracy": g["claim_accuracy"],
                                       "what": "answer contains a contradicted claim"}
        c = g["coverage"]
        scorers["coverage"][split] = {**pick(c, c["tp"] + c["fn"]), "what": "required fact conveyed"}
        ci = citations[split]
        scorers["citations"][split] = {**pick(ci["citation_level"], ci["gold_citations"]),
                                       "what": "bad (fabricated / mismatched / unverifiable) citation"}
    for split in ("train-a", "train-b", "train-c"):
        if split in safety:
            scorers["harmful_advice"][split] = pick(safety[split]["harmful_advice"])
            scorers["disclaimer"][split] = pick(safety[split]["disclaimer"])
    OUT.write_text(json.dumps({"generated": date.today().isoformat(), "command": "python bench/validity_all.py",
                               "scorers": scorers}, indent=2) + "\n")
    print(json.dumps(scorers, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
