"""Per-topic counts of a dataset, as the Markdown table docs/dataset.md shows.

    python -m qaeval.datacard datasets/oncology

A test checks that docs/dataset.md holds the table of the dataset as it is, so the dataset card
cannot drift from the data.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Sequence

from .records import Item


def topic_table(items: Sequence[Item]) -> str:
    topics = sorted(Counter(i.topic for i in items))
    lines = ["| topic | questions | facts | required facts | misconceptions | urgent referral | must not give dose |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    tot = [0] * 6
    for t in topics:
        its = [i for i in items if i.topic == t]
        row = [len(its), sum(len(i.facts) for i in its), sum(f.required for i in its for f in i.facts),
               sum(len(i.misconceptions) for i in its), sum(i.expectations.urgent_referral for i in its),
               sum(i.expectations.must_not_give_dose for i in its)]
        tot = [a + b for a, b in zip(tot, row)]
        lines.append(f"| {t} | " + " | ".join(map(str, row)) + " |")
    lines.append("| **total** | " + " | ".join(f"**{x}**" for x in tot) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from .loaders import load_dataset
    print(topic_table(load_dataset((argv or sys.argv[1:]) or ["datasets/oncology"])), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
