"""Throughput of the `grounding` + `coverage` scorers on the offline demo answers.

The demo suite's answers (reference plus its five mutators, for every dataset item) are scored
`--repeat` times. The first pass is cold (embedding model loaded, every claim new); later passes
hit the per-text caches, as a 10,000-answer run over repeated answers does. A third figure scores
the labelled answers (novel chatbot-style text) once, which bounds throughput when nothing repeats.

    .venv/bin/python bench/speed_grounding.py
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from qaeval.generators.mutate import MUTATIONS  # noqa: E402
from qaeval.generators.reference import compose  # noqa: E402
from qaeval.loaders import load_dataset  # noqa: E402
from qaeval.records import Answer  # noqa: E402
from qaeval.rubric import load_rubric  # noqa: E402
from qaeval.scorers import ScoringContext  # noqa: E402
from qaeval.scorers.coverage import CoverageScorer  # noqa: E402
from qaeval.scorers.grounding import GroundingScorer  # noqa: E402
from qaeval.embeddings import get_embedder  # noqa: E402


def demo_answers(items):  # noqa: ANN001, ANN201 - bench helper
    out = []
    for it in items:
        ref = compose(it)
        out.append((it, ref))
        for name, fn in MUTATIONS.items():
            kw = {"category": None} if name == "inject_harm" else {}
            text, _ = fn(ref, it, 7, **kw)
            out.append((it, text))
    return out


CPU: list[float] = []


def run(pairs, ctx, scorers) -> float:  # noqa: ANN001
    """Wall seconds to score all pairs; the process CPU seconds are appended to CPU."""
    t0, c0 = time.perf_counter(), time.process_time()
    for it, text in pairs:
        ans = Answer(item_id=it.id, generator="bench", text=text)
        for s in scorers:
            s.score(it, ans, ctx)
    CPU.append(time.process_time() - c0)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    items = load_dataset([ROOT / "datasets" / "oncology"])
    by_id = {i.id: i for i in items}
    ctx = ScoringContext(rubric=load_rubric(ROOT / "rubrics" / "default.yaml"))
    scorers = [GroundingScorer(), CoverageScorer()]
    t0 = time.perf_counter()
    get_embedder()
    load_s = time.perf_counter() - t0
    pairs = demo_answers(items)
    emb = get_embedder()
    before = len(emb._cache)
    cold = run(pairs, ctx, scorers)
    texts_embedded = len(emb._cache) - before
    warm = [run(pairs, ctx, scorers) for _ in range(max(args.repeat - 1, 1))]
    labelled = []
    for split in ("dev", "holdout"):
        path = ROOT / "evals" / "labelled" / f"grounding-{split}.jsonl"
        for line in path.read_text("utf-8").splitlines():
            r = json.loads(line)
            labelled.append((by_id[r["item_id"]], r["answer"]))
    novel = run(labelled, ctx, scorers)
    n = len(pairs)
    print(f"model load {load_s:.2f} s")
    print(f"demo answers: {n} ({len(items)} items x reference + {len(MUTATIONS)} mutators), grounding+coverage")
    print(f"  cold pass  {cold:6.2f} s wall ({CPU[0]:.2f} s CPU)  {n / cold:8.1f} answers/s wall, "
          f"{n / CPU[0]:8.1f} per CPU-second; {texts_embedded} texts through the model")
    for k, w in enumerate(warm, 2):
        print(f"  pass {k}     {w:6.2f} s wall ({CPU[k - 1]:.2f} s CPU)  {n / w:8.1f} answers/s")
    print(f"labelled (novel chatbot-style) answers: {len(labelled)} in {novel:.2f} s wall ({CPU[-1]:.2f} s CPU) = "
          f"{len(labelled) / novel:.1f} answers/s wall, {len(labelled) / CPU[-1]:.1f} per CPU-second")
    print("(wall figures depend on what else the machine runs; CPU figures are this process's own work)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
