"""Throughput of the full offline scoring suite, with ragas and deepeval side by side.

Answers: the `reference` generator's answer for every dataset item plus its five `mutate`
variants (drop_disclaimer, inject_harm, fabricate_citation, contradict_fact, drop_required_facts),
replicated to N answers (default 10,000). So that per-text caches (sentence splitting, embeddings)
cannot make the run trivial, every replica differs: each copy k > 0 shuffles the sentence order
(seeded by k), re-runs the mutators with seed k (other invented journals, other harm categories),
and with probability 1/3 drops one non-final sentence. Generation is not timed.

Runs, each in its own subprocess (clean peak RSS), optionally inside a network namespace with no
interfaces (`--no-network`, needs `unshare -n`, i.e. root) so nothing can reach the network:

- qaeval: `qaeval.scoring.score_all` with all default scorers (grounding, coverage, citations,
  disclaimer, harmful_advice, readability) as `qaeval score` runs it (`workers="auto"`: one forked
  process per core); answers/s from wall time including the workers' start-up, CPU seconds of
  parent and workers, peak RSS of the parent and of the largest worker.
- qaeval-1core: the same in one process, with the time spent inside each scorer.
- ragas 0.4.3 `evaluate` with its non-LLM metrics (StringPresence, RougeScore, ExactMatch,
  NonLLMStringSimilarity) on the same answers, the reference answer as `reference`.
- deepeval `evaluate` with LLM-free metrics (ExactMatchMetric, PatternMatchMetric and a ROUGE-L
  BaseMetric) on the same answers.

    python bench/throughput.py [--n 10000] [--only qaeval|ragas|deepeval] [--no-network] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

OFFLINE_ENV = {
    "DEEPEVAL_TELEMETRY_OPT_OUT": "YES", "DEEPEVAL_DISABLE_DOTENV": "1", "RAGAS_DO_NOT_TRACK": "true",
    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
    "OPENAI_API_KEY": "sk-offline-benchmark-no-network", "ERROR_REPORTING": "NO", "CONFIDENT_TRACE_FLUSH": "NO",
    "QAEVAL_ONNX_THREADS": "1", "OMP_NUM_THREADS": "1",
}
MUTATIONS = ("drop_disclaimer", "inject_harm", "fabricate_citation", "contradict_fact", "drop_required_facts")


def make_answers(n: int) -> tuple[list[Any], list[Any], dict[str, str]]:
    """(items, answers, reference text by item id): deterministic, every answer text distinct."""
    from qaeval.generators.mutate import MUTATIONS as MUT
    from qaeval.generators.reference import compose
    from qaeval.loaders import load_dataset
    from qaeval.records import Answer
    from qaeval.textspans import split_sentences

    items = load_dataset([ROOT / "datasets" / "oncology"])
    refs = {it.id: compose(it) for it in items}
    answers: list[Answer] = []
    seen: set[str] = set()
    k = 0
    while len(answers) < n:
        rng = random.Random(k)
        for it in items:
            for gen in ("reference",) + MUTATIONS:
                if len(answers) >= n:
                    break
                text = refs[it.id]
                if gen != "reference":
                    text = MUT[gen](text, it, k)[0]
                if k > 0:
                    sents = [sp.text for sp in split_sentences(text)]
                    body, last = sents[:-1], sents[-1:]
                    rng.shuffle(body)
                    if len(body) > 2 and rng.random() < 1 / 3:
                        body.pop(rng.randrange(len(body)))
                    text = "\n".join(body + last)
                if text in seen:
                    continue
                seen.add(text)
                answers.append(Answer(item_id=it.id, generator=f"{gen}#{k}", text=text, answer_id=f"{it.id}@{gen}#{k}"))
        k += 1
    return items, answers, refs


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Timed:
    """A scorer wrapper that adds up the time spent inside the scorer."""

    def __init__(self, scorer: Any):
        self.inner = scorer
        self.name = scorer.name
        self.offline = getattr(scorer, "offline", False)
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    def score(self, item: Any, answer: Any, ctx: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        try:
            return self.inner.score(item, answer, ctx)
        finally:
            self.seconds += time.perf_counter() - t
            self.cpu_seconds += time.process_time() - c


def _context() -> Any:
    from qaeval.loaders import load_catalogue
    from qaeval.rubric import load_rubric
    from qaeval.scorers import ScoringContext
    return ScoringContext(rubric=load_rubric(ROOT / "rubrics" / "default.yaml"),
                          catalogue=load_catalogue([ROOT / "datasets" / "sources"]), options={"today": "2026-11-25"})


def run_qaeval(n: int) -> dict[str, Any]:
    """Scoring as `qaeval score` does it: worker processes, one per core."""
    from qaeval.loaders import DEFAULT_SCORERS
    from qaeval.scorers import build_scorers
    from qaeval.scoring import resolve_workers, score_all

    items, answers, _ = make_answers(n)
    ctx = _context()
    scorers = build_scorers([{"name": s} for s in DEFAULT_SCORERS])
    workers = resolve_workers("auto", len(answers), scorers)
    t, t0 = time.perf_counter(), os.times()
    rows = score_all(items, answers, scorers, ctx, workers="auto")
    wall, t1 = time.perf_counter() - t, os.times()
    cpu = (t1.user - t0.user) + (t1.system - t0.system) + (t1.children_user - t0.children_user) + (t1.children_system - t0.children_system)
    errors = sum(1 for r in rows for s in r["scores"].values() if s.get("error"))
    return {"framework": "qaeval", "workers": workers, "answers": len(rows), "seconds": round(wall, 2),
            "answers_per_s": round(len(rows) / wall, 1), "cpu_seconds": round(cpu, 2),
            "answers_per_cpu_s": round(len(rows) / cpu, 1), "scorer_errors": errors,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "peak_rss_worker_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0, 1)}


def run_qaeval_one_core(n: int) -> dict[str, Any]:
    from qaeval.loaders import DEFAULT_SCORERS
    from qaeval.scorers import build_scorers
    from qaeval.scoring import score_all

    items, answers, _ = make_answers(n)
    ctx = _context()
    scorers = [Timed(s) for s in build_scorers([{"name": s} for s in DEFAULT_SCORERS])]
    rss_before = peak_rss_mb()
    t, c = time.perf_counter(), time.process_time()
    rows = score_all(items, answers, scorers, ctx, workers=1)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    errors = sum(1 for r in rows for s in r["scores"].values() if s.get("error"))
    return {"framework": "qaeval-1core", "workers": 1, "answers": len(rows), "seconds": round(wall, 2),
            "answers_per_s": round(len(rows) / wall, 1), "cpu_seconds": round(cpu, 2),
            "answers_per_cpu_s": round(len(rows) / cpu, 1), "scorer_errors": errors,
            "per_scorer": {s.name: {"seconds": round(s.seconds, 2), "cpu_seconds": round(s.cpu_seconds, 2),
                                    "answers_per_s": round(len(rows) / s.seconds, 1) if s.seconds else None,
                                    "answers_per_cpu_s": round(len(rows) / s.cpu_seconds, 1) if s.cpu_seconds else None}
                           for s in scorers},
            "peak_rss_mb": round(peak_rss_mb(), 1), "rss_before_scoring_mb": round(rss_before, 1)}


def run_ragas(n: int) -> dict[str, Any]:
    items, answers, refs = make_answers(n)
    t0 = time.perf_counter()
    from ragas import EvaluationDataset, SingleTurnSample, evaluate
    from ragas.metrics import _ExactMatch, _NonLLMStringSimilarity, _RougeScore, _StringPresence
    import_s = time.perf_counter() - t0
    by_id = {it.id: it for it in items}
    samples = [SingleTurnSample(user_input=by_id[a.item_id].question, response=a.text, reference=refs[a.item_id])
               for a in answers]
    ds = EvaluationDataset(samples=samples)
    metrics = [_StringPresence(), _RougeScore(), _ExactMatch(), _NonLLMStringSimilarity()]
    t, c = time.perf_counter(), time.process_time()
    res = evaluate(ds, metrics=metrics, show_progress=False, raise_exceptions=True)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    df = res.to_pandas()
    means = {c: round(float(df[c].mean()), 4) for c in df.columns
             if c not in ("user_input", "response", "reference") and df[c].dtype.kind in "fi"}
    return {"framework": "ragas", "version": __import__("ragas").__version__, "answers": len(df),
            "seconds": round(wall, 2), "answers_per_s": round(len(df) / wall, 1), "cpu_seconds": round(cpu, 2),
            "answers_per_cpu_s": round(len(df) / cpu, 1), "import_s": round(import_s, 2),
            "metrics": [m.name for m in metrics], "metric_means": means, "peak_rss_mb": round(peak_rss_mb(), 1)}


def run_deepeval(n: int) -> dict[str, Any]:
    items, answers, refs = make_answers(n)
    t0 = time.perf_counter()
    from deepeval import evaluate
    from deepeval.evaluate.configs import AsyncConfig, CacheConfig, DisplayConfig, ErrorConfig
    from deepeval.metrics import BaseMetric, ExactMatchMetric, PatternMatchMetric
    from deepeval.test_case import LLMTestCase
    from rouge_score import rouge_scorer
    import_s = time.perf_counter() - t0

    class RougeL(BaseMetric):
        """ROUGE-L F1 against the expected output; no LLM."""

        _rouge = rouge_scorer.RougeScorer(["rougeL"])

        def __init__(self, threshold: float = 0.5):
            self.threshold = threshold

        def measure(self, test_case: LLMTestCase, *args: Any, **kwargs: Any) -> float:
            self.score = self._rouge.score(test_case.expected_output, test_case.actual_output)["rougeL"].fmeasure
            self.success = self.score >= self.threshold
            return self.score

        async def a_measure(self, test_case: LLMTestCase, *args: Any, **kwargs: Any) -> float:
            return self.measure(test_case)

        def is_successful(self) -> bool:
            return bool(self.success)

        @property
        def __name__(self) -> str:
            return "ROUGE-L"

    by_id = {it.id: it for it in items}
    cases = [LLMTestCase(input=by_id[a.item_id].question, actual_output=a.text, expected_output=refs[a.item_id])
             for a in answers]
    metrics = [ExactMatchMetric(), PatternMatchMetric(pattern=r"(?s).*\((?:[^()]|\([^()]*\))*\b(?:19|20)\d\d\).*"), RougeL()]
    t, c = time.perf_counter(), time.process_time()
    res = evaluate(cases, metrics=metrics,
                   async_config=AsyncConfig(run_async=False),
                   display_config=DisplayConfig(show_indicator=False, print_results=False),
                   cache_config=CacheConfig(write_cache=False, use_cache=False),
                   error_config=ErrorConfig(ignore_errors=False))
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    done = len(res.test_results)
    return {"framework": "deepeval", "version": __import__("deepeval").__version__, "answers": done,
            "seconds": round(wall, 2), "answers_per_s": round(done / wall, 1), "cpu_seconds": round(cpu, 2),
            "answers_per_cpu_s": round(done / cpu, 1), "import_s": round(import_s, 2),
            "metrics": ["ExactMatchMetric", "PatternMatchMetric", "ROUGE-L (BaseMetric)"], "peak_rss_mb": round(peak_rss_mb(), 1)}


RUNNERS = {"qaeval": run_qaeval, "qaeval-1core": run_qaeval_one_core, "ragas": run_ragas, "deepeval": run_deepeval}


def child(name: str, n: int) -> None:
    try:
        out = RUNNERS[name](n)
    except Exception as exc:  # record exactly why a framework could not run
        import traceback
        out = {"framework": name, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(limit=6)[-3000:]}
    print("@@RESULT@@" + json.dumps(out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--only", choices=sorted(RUNNERS))
    ap.add_argument("--skip", action="append", default=[], choices=sorted(RUNNERS), help="leave a framework out (repeatable)")
    ap.add_argument("--no-network", action="store_true", help="run each framework under `unshare -n` (no network at all)")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.n)
        return 0
    names = [args.only] if args.only else [r for r in RUNNERS if r not in args.skip]
    env = {**os.environ, **OFFLINE_ENV}
    # deepeval writes .deepeval/.latest_run_full.json into the working directory: keep it out of the repo
    workdir = tempfile.mkdtemp(prefix="qaeval-throughput-")
    results = []
    for name in names:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--n", str(args.n)]
        if args.no_network:
            cmd = ["unshare", "-n", "--"] + cmd
        t = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=workdir)
        line = next((l for l in proc.stdout.splitlines() if l.startswith("@@RESULT@@")), None)
        res = json.loads(line[len("@@RESULT@@"):]) if line else {"framework": name, "error": f"exit {proc.returncode}",
                                                                  "stderr": proc.stderr[-3000:]}
        res["process_wall_s"] = round(time.perf_counter() - t, 1)
        res["network"] = "none (unshare -n)" if args.no_network else "host"
        res["loadavg_after"] = os.getloadavg()
        results.append(res)
        if "error" in res:
            print(f"{name:9s} FAILED: {res['error']}")
            continue
        line = (f"{name:12s} {res['answers']} answers in {res['seconds']} s wall = {res['answers_per_s']} answers/s; "
                f"{res.get('cpu_seconds')} CPU-s = {res.get('answers_per_cpu_s')} answers/CPU-s; peak RSS {res['peak_rss_mb']} MB"
                + (f" (+ largest worker {res['peak_rss_worker_mb']} MB; {res['workers']} workers)" if res.get("peak_rss_worker_mb") else ""))
        print(line)
        for s, v in (res.get("per_scorer") or {}).items():
            print(f"            {s:15s} {v['seconds']:8.2f} s wall {v['answers_per_s']:>9} /s   {v['cpu_seconds']:8.2f} CPU-s {v['answers_per_cpu_s']:>9} /CPU-s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
