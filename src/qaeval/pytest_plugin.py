"""pytest plugin: `pytest evals/` runs a suite's checks as ordinary test cases.

Which files: YAML files matching the ini option `qaeval_suites` (glob patterns relative to the
rootdir, default `evals/*.yaml evals/*.yml`) or named explicitly on the command line, that are
suites — a mapping with top-level `name` and `generators`. Anything else (gate policies, rubrics)
is left alone, and a project's own `tests/` (fixtures included) is never collected by default.

Test cases: one per generator × dataset item × scorer, with node ids like
`evals/demo.yaml::reference::cll-001::harmful_advice`, so `-k cll-001`, `-k "harmful_advice and
not reference"`, `-x`, `--junitxml` and xdist (`-n 2`) work as for any test. Answers are generated
lazily, once per (generator, item) per process, when the first test that needs them runs; under
xdist each worker generates the answers of the tests it runs. Nothing is written to disk.

A test fails when the scorer does not pass the answer (or generation failed); the failure
message lists the findings: severity, kind/category, the span of the answer and the message.
"""

from __future__ import annotations

import asyncio
import fnmatch
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from .errors import InputError
from .findings_text import score_explanation
from .records import Answer, Item

DEFAULT_PATTERNS = ["evals/*.yaml", "evals/*.yml"]


class QaevalFailure(AssertionError):
    """A scorer did not pass an answer; the message is the explanation (findings)."""


@dataclass
class SuiteState:
    """One loaded suite, shared by all of its test cases in this process."""

    loaded: Any
    scorers: dict[str, Any]
    ctx: Any
    gctx: Any
    items: dict[str, Item]
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)

    def answer(self, generator_id: str, item: Item) -> Answer:
        """The generator's answer to the item, generated on first use (a failure is an error answer)."""
        key = (generator_id, item.id)
        if key not in self.answers:
            from .generators.base import answer_id
            t0 = time.perf_counter()
            try:
                ans = asyncio.run(self.gctx.build(generator_id).generate(item))
            except Exception as exc:  # recorded like the runner does, never dropped
                ans = Answer(item_id=item.id, generator=generator_id, text="", answer_id=answer_id(item.id, generator_id),
                             error=f"{type(exc).__name__}: {exc}", latency_s=time.perf_counter() - t0)
            self.answers[key] = ans
        return self.answers[key]


_STATE = pytest.StashKey[dict]()


def load_state(config: pytest.Config, path: Path) -> SuiteState:
    """Load (once per process) a suite, its dataset, rubric, catalogue, scorers and generators."""
    cache = config.stash.setdefault(_STATE, {})
    if path not in cache:
        from .generators import GeneratorContext
        from .runner import load_all
        from .scorers import ScoringContext, build_scorers
        loaded = load_all(path, config.getoption("qaeval_limit"))
        suite = loaded.suite
        try:
            scorer_objs = build_scorers(list(suite.scorers))
        except KeyError as exc:
            raise InputError(f"{path}:1: $.scorers: {exc.args[0]}") from None
        gctx = GeneratorContext(base_dir=suite.path.parent, specs={g["id"]: g for g in suite.generators},
                                run_dir=None, use_cache=False)
        cache[path] = SuiteState(loaded=loaded, scorers={s.name: s for s in scorer_objs},
                                 ctx=ScoringContext(rubric=loaded.rubric, catalogue=loaded.catalogue),
                                 gctx=gctx, items={i.id: i for i in loaded.items})
    return cache[path]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("qaeval_suites", type="args", default=DEFAULT_PATTERNS,
                  help="glob patterns (relative to the rootdir) of qaeval suite files to collect "
                       "(default: evals/*.yaml evals/*.yml)")
    group = parser.getgroup("qaeval")
    group.addoption("--qaeval-limit", dest="qaeval_limit", type=int, default=None,
                    help="collect only the first N questions of each qaeval suite")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "qaeval: a qaeval suite check (generator × item × scorer)")


def _explicit(config: pytest.Config, file_path: Path) -> bool:
    base = config.invocation_params.dir
    return any((base / str(a).split("::")[0]).resolve() == file_path.resolve() for a in config.args)


def _matches(config: pytest.Config, file_path: Path) -> bool:
    try:
        rel = file_path.resolve().relative_to(config.rootpath.resolve()).as_posix()
    except ValueError:
        rel = file_path.resolve().as_posix()
    return any(fnmatch.fnmatch(rel, pat) for pat in config.getini("qaeval_suites"))


def is_suite_file(file_path: Path) -> bool:
    """A suite is a YAML mapping with `name` and `generators` (invalid YAML counts: it must be reported)."""
    try:
        data = yaml.safe_load(file_path.read_text("utf-8"))
    except yaml.YAMLError:
        return True
    except (OSError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "name" in data and "generators" in data


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    config = parent.config
    if not (_matches(config, file_path) or _explicit(config, file_path)) or not is_suite_file(file_path):
        return None
    return SuiteFile.from_parent(parent, path=file_path)


class SuiteFile(pytest.File):
    def collect(self) -> Iterator[pytest.Collector]:
        try:
            state = load_state(self.config, self.path)
        except InputError as exc:
            raise self.CollectError("qaeval suite has problems:\n" + "\n".join(exc.problems)) from None
        for g in state.loaded.suite.generators:
            yield GeneratorNode.from_parent(self, name=g["id"], generator=g["id"])


class GeneratorNode(pytest.Collector):
    def __init__(self, *, generator: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.generator = generator

    def collect(self) -> Iterator[pytest.Collector]:
        state = load_state(self.config, self.path)
        for item in state.loaded.items:
            yield ItemNode.from_parent(self, name=item.id, generator=self.generator, item_id=item.id)


class ItemNode(pytest.Collector):
    def __init__(self, *, generator: str, item_id: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.generator, self.item_id = generator, item_id

    def collect(self) -> Iterator[pytest.Item]:
        state = load_state(self.config, self.path)
        for name in state.scorers:
            yield ScorerCheck.from_parent(self, name=name, generator=self.generator, item_id=self.item_id)


class ScorerCheck(pytest.Item):
    """One scorer's verdict on one generator's answer to one item."""

    def __init__(self, *, generator: str, item_id: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.generator, self.item_id, self.scorer = generator, item_id, self.name
        self.add_marker("qaeval")

    def runtest(self) -> None:
        from .scoring import score_answer
        state = load_state(self.config, self.path)
        item = state.items[self.item_id]
        answer = state.answer(self.generator, item)
        score = score_answer(item, answer, [state.scorers[self.scorer]], state.ctx)["scores"][self.scorer]
        if score["passed"] is True:
            return
        if answer.error:
            score["error"] = f"generation failed: {answer.error}"
        elif score["passed"] is None and not score.get("error"):
            pytest.skip(f"{self.scorer} does not apply to this answer")
        raise QaevalFailure(score_explanation(self.scorer, score, item_id=self.item_id, generator=self.generator,
                                              answer=answer.text))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, QaevalFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.generator}::{self.item_id}::{self.scorer}"
