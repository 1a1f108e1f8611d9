"""qaeval scorers as deepeval metrics, so `deepeval.assert_test` and `deepeval.evaluate` use them offline.

    from deepeval import assert_test
    from deepeval.test_case import LLMTestCase
    from qaeval.integrations.deepeval import metric_for

    metric = metric_for("harmful_advice", dataset="datasets/oncology")
    assert_test(LLMTestCase(input=question, actual_output=answer, metadata={"item_id": "cll-001"}), [metric])

Scoring needs the qaeval Item (its facts and sources) the answer is judged against: pass `item=`
to the metric, or `dataset=`/`items=` plus the item id in the test case's metadata (deepeval 4:
`metadata`, deepeval 3: `additional_metadata`) under `item_id`. The metric never calls a model:
`score` is the scorer's value in [0, 1], `success` is qaeval's own verdict (and, when a
`threshold` above 0 is given, also `score >= threshold`), and `reason` lists the findings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

try:
    from deepeval.metrics import BaseMetric
    from deepeval.test_case import LLMTestCase
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("qaeval.integrations.deepeval needs deepeval: pip install 'qaeval[ecosystems]' "
                      "(or pip install 'deepeval>=3')") from exc

from ..findings_text import finding_line, significant
from ..loaders import Catalogue, default_rubric_path, load_catalogue, load_dataset
from ..records import Answer, Item
from ..rubric import Rubric, load_rubric
from ..scorers import ScoringContext, build_scorers, scorers
from ..scoring import score_answer

PathLike = str | Path


def _as_items(items: Iterable[Item] | Mapping[str, Item] | None, dataset: PathLike | Sequence[PathLike] | None) -> dict[str, Item]:
    if isinstance(items, dict) and dataset is None:
        return items  # already resolved (deepeval's per-test-case copies pass it back): share, don't copy
    out: dict[str, Item] = dict(items) if isinstance(items, Mapping) else {i.id: i for i in (items or [])}
    if dataset is not None:
        paths = [dataset] if isinstance(dataset, (str, Path)) else list(dataset)
        out.update({i.id: i for i in load_dataset(paths)})
    return out


def _as_rubric(rubric: Rubric | PathLike | None) -> Rubric:
    return rubric if isinstance(rubric, Rubric) else load_rubric(Path(rubric) if rubric else default_rubric_path())


def _as_catalogue(catalogue: Catalogue | PathLike | Sequence[PathLike] | None) -> Catalogue:
    if catalogue is None or isinstance(catalogue, Catalogue):
        return catalogue or Catalogue()
    return load_catalogue([catalogue] if isinstance(catalogue, (str, Path)) else list(catalogue))


def _metadata(test_case: Any) -> Mapping[str, Any]:
    """The test case's metadata under deepeval 4 (`metadata`) or 3 (`additional_metadata`)."""
    meta = getattr(test_case, "metadata", None)
    if meta is None and "additional_metadata" in getattr(type(test_case), "model_fields", {}):
        meta = getattr(test_case, "additional_metadata", None)
    return meta or {}


class QaevalMetric(BaseMetric):
    """One qaeval scorer as a deepeval metric; offline, deterministic, explained by its findings.

    Constructor arguments are stored under their own names because deepeval re-creates metrics
    from their attributes (`copy_metrics`) for every test case; loaded objects are stored, not
    paths, so a copy never reloads the dataset.
    """

    def __init__(self, scorer: str, threshold: float = 0.0, *, item: Item | None = None,
                 items: Iterable[Item] | Mapping[str, Item] | None = None,
                 dataset: PathLike | Sequence[PathLike] | None = None, rubric: Rubric | PathLike | None = None,
                 catalogue: Catalogue | PathLike | Sequence[PathLike] | None = None,
                 options: Mapping[str, Any] | None = None, strict_mode: bool = False,
                 async_mode: bool = True, include_reason: bool = True, verbose_mode: bool = False) -> None:
        if scorer not in scorers:
            raise ValueError(f"unknown qaeval scorer {scorer!r} (known: {', '.join(scorers.names())})")
        self.scorer = scorer
        self.threshold = 1.0 if strict_mode else float(threshold)
        self.item = item
        self.items = _as_items(items, dataset)
        self.dataset = None  # loaded into self.items
        self.rubric = _as_rubric(rubric)
        self.catalogue = _as_catalogue(catalogue)
        self.options = dict(options or {})
        self.strict_mode, self.async_mode = strict_mode, async_mode
        self.include_reason, self.verbose_mode = include_reason, verbose_mode
        self.evaluation_model = "qaeval (offline, rule- and embedding-based)"
        self.evaluation_cost = 0.0
        self._scorer = build_scorers([{"name": scorer, "options": self.options}])[0]
        self._ctx = ScoringContext(rubric=self.rubric, catalogue=self.catalogue)
        self.findings: list[dict[str, Any]] = []

    @property
    def __name__(self) -> str:  # deepeval shows metrics by this name
        return f"qaeval:{self.scorer}"

    def resolve_item(self, test_case: Any) -> Item:
        """The Item this answer is judged against: the metric's own, or metadata item_id in the dataset."""
        if self.item is not None:
            return self.item
        item_id = _metadata(test_case).get("item_id")
        if item_id is None:
            raise ValueError(f"{self.__name__}: no qaeval item: pass item= to the metric, or dataset=/items= and "
                             "metadata={'item_id': ...} on the test case")
        if item_id not in self.items:
            raise ValueError(f"{self.__name__}: item {item_id!r} is not in the metric's dataset ({len(self.items)} items)")
        return self.items[item_id]

    def measure(self, test_case: LLMTestCase, *args: Any, **kwargs: Any) -> float:
        item = self.resolve_item(test_case)
        answer = Answer(item_id=item.id, generator="deepeval", text=test_case.actual_output or "",
                        answer_id=f"{item.id}@deepeval")
        res = score_answer(item, answer, [self._scorer], self._ctx)["scores"][self.scorer]
        self.findings = [dict(f) for f in significant(res.get("findings", []))]
        if res.get("error"):
            self.error, self.score, self.success = res["error"], None, False
            self.reason = f"scorer error: {res['error']}"
            return 0.0
        self.error = None
        passed = res["passed"] is not False  # None: the scorer does not apply, which is not a failure
        value = float(res["value"]) if res["value"] is not None else (1.0 if passed else 0.0)
        self.score = (1.0 if passed else 0.0) if self.strict_mode else value
        self.success = passed and self.score >= self.threshold
        self.reason = self._reason(passed) if self.include_reason else None
        return self.score

    async def a_measure(self, test_case: LLMTestCase, *args: Any, **kwargs: Any) -> float:
        return self.measure(test_case)  # CPU-only and fast: nothing to await

    def is_successful(self) -> bool:
        return bool(self.success) and self.error is None

    def _reason(self, passed: bool) -> str:
        head = f"qaeval {self.scorer}: {'passed' if passed else 'failed'} (value {self.score:.3f})"
        if not self.findings:
            return head
        return head + "\n" + "\n".join(f"- {finding_line(f)}" for f in self.findings[:20])


def metric_for(scorer: str, **kwargs: Any) -> QaevalMetric:
    """A deepeval metric for the qaeval scorer called `scorer` (see QaevalMetric for the arguments)."""
    return QaevalMetric(scorer, **kwargs)


def metrics_for(names: Sequence[str] | None = None, **kwargs: Any) -> list[QaevalMetric]:
    """One metric per scorer (default: the built-in six), sharing one loaded dataset and rubric."""
    from ..loaders import DEFAULT_SCORERS
    shared = dict(kwargs)
    shared["items"] = _as_items(shared.pop("items", None), shared.pop("dataset", None))
    shared["rubric"] = _as_rubric(shared.get("rubric"))
    shared["catalogue"] = _as_catalogue(shared.get("catalogue"))
    return [QaevalMetric(n, **shared) for n in (names or DEFAULT_SCORERS)]
