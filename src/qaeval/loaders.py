"""Load and validate every input file before anything runs.

Schema problems and cross-reference problems (an unknown source id, a duplicate item id) are both
reported as `file:line: JSON-path: problem` through InputError, all at once, so a user fixes a file
in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .errors import InputError
from .records import Answer, Item, Source
from .validation import read_jsonl, read_yaml


def _expand(paths: Iterable[str | Path], suffixes: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix in suffixes and q.is_file()))
        elif p.exists():
            out.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    return out


def load_dataset(paths: Iterable[str | Path]) -> list[Item]:
    """Items from JSONL files (or folders of them), validated and cross-checked."""
    items: list[Item] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    fact_seen: dict[str, str] = {}
    files = _expand(paths, (".jsonl",))
    if not files:
        raise InputError(f"{', '.join(map(str, paths))}: no .jsonl dataset files found")
    for path in files:
        try:
            rows = read_jsonl(path, "dataset_item")
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        for lineno, obj in rows:
            where = f"{path}:{lineno}"
            if obj["id"] in seen:
                problems.append(f"{where}: $.id: duplicate item id {obj['id']!r} (first at {seen[obj['id']]})")
            seen.setdefault(obj["id"], where)
            source_ids = [s["id"] for s in obj["sources"]]
            fact_ids = {f["id"] for f in obj["facts"]}
            for i, fact in enumerate(obj["facts"]):
                if fact["source_id"] not in source_ids:
                    problems.append(f"{where}: $.facts[{i}].source_id: {fact['source_id']!r} is not one of this item's sources {source_ids}")
                if fact["id"] in fact_seen:
                    problems.append(f"{where}: $.facts[{i}].id: duplicate fact id {fact['id']!r} (first at {fact_seen[fact['id']]})")
                fact_seen.setdefault(fact["id"], where)
            for i, m in enumerate(obj.get("misconceptions", [])):
                for ref in m.get("corrected_by", []):
                    if ref not in fact_ids:
                        problems.append(f"{where}: $.misconceptions[{i}].corrected_by: {ref!r} is not a fact of this item")
            if not any(f["required"] for f in obj["facts"]):
                problems.append(f"{where}: $.facts: no fact is marked required")
            items.append(Item.from_dict(obj))
    if problems:
        raise InputError(problems)
    return items


def load_answers(path: str | Path, known_items: set[str] | None = None) -> list[Answer]:
    """Answers produced elsewhere (`{item_id, answer, answer_id?, generator?}` per line)."""
    path = Path(path)
    problems: list[str] = []
    answers: list[Answer] = []
    ids: dict[tuple[str, str], int] = {}
    for lineno, obj in read_jsonl(path, "answer_line"):
        if known_items is not None and obj["item_id"] not in known_items:
            problems.append(f"{path}:{lineno}: $.item_id: {obj['item_id']!r} is not an item of the dataset")
            continue
        gen = obj.get("generator") or "external"
        answer_id = obj.get("answer_id") or f"{obj['item_id']}@{gen}"
        key = (gen, answer_id)
        if key in ids:
            problems.append(f"{path}:{lineno}: $.answer_id: duplicate answer {answer_id!r} for generator {gen!r} (first at line {ids[key]})")
            continue
        ids[key] = lineno
        answers.append(Answer(item_id=obj["item_id"], generator=gen, text=obj["answer"],
                              answer_id=answer_id, error=obj.get("error"),
                              latency_s=obj.get("latency_s"), cost_usd=obj.get("cost_usd"),
                              meta=obj.get("meta") or {}))
    if problems:
        raise InputError(problems)
    return answers


@dataclass(frozen=True)
class Catalogue:
    """Every real source document the project knows, used to tell misfit sources from invented ones."""

    sources: tuple[Source, ...] = ()

    def get(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)


def load_catalogue(paths: Iterable[str | Path]) -> Catalogue:
    sources: dict[str, Source] = {}
    problems: list[str] = []
    for path in _expand(paths, (".yaml", ".yml")):
        try:
            data = read_yaml(path, "catalogue")
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        for s in data["sources"]:
            sources.setdefault(s["id"], Source.from_dict(s))
    if problems:
        raise InputError(problems)
    return Catalogue(tuple(sources.values()))


@dataclass(frozen=True)
class Suite:
    """A suite file resolved: paths are absolute, generator and scorer specs are plain dicts."""

    path: Path
    name: str
    datasets: tuple[Path, ...]
    catalogue: tuple[Path, ...]
    rubric: Path
    generators: tuple[dict[str, Any], ...]
    scorers: tuple[dict[str, Any], ...]
    filter: dict[str, Any] = field(default_factory=dict)
    concurrency: int = 8
    workers: int | str = "auto"
    output_dir: Path = Path("reports")
    gate: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)


DEFAULT_SCORERS = ("grounding", "coverage", "citations", "disclaimer", "harmful_advice", "readability")


def default_rubric_path() -> Path:
    from importlib import resources
    return Path(str(resources.files("qaeval.data").joinpath("rubrics").joinpath("default.yaml")))


def load_suite(path: str | Path) -> Suite:
    path = Path(path).resolve()
    data = read_yaml(path, "suite")
    base = path.parent

    def res(p: str) -> Path:
        return (base / p).resolve()

    problems = []
    ids = [g["id"] for g in data["generators"]]
    for i, gid in enumerate(ids):
        if ids.index(gid) != i:
            problems.append(f"{path}:1: $.generators[{i}].id: duplicate generator id {gid!r}")
    if problems:
        raise InputError(problems)
    scorers = tuple({"name": s, "options": {}} if isinstance(s, str) else {"name": s["name"], "options": s.get("options", {})}
                    for s in data.get("scorers", DEFAULT_SCORERS))
    return Suite(
        path=path, name=data["name"], datasets=tuple(res(p) for p in data["datasets"]),
        catalogue=tuple(res(p) for p in data.get("catalogue", [])),
        rubric=res(data["rubric"]) if "rubric" in data else default_rubric_path(),
        generators=tuple(dict(g) for g in data["generators"]), scorers=scorers,
        filter=data.get("filter", {}), concurrency=int(data.get("concurrency", 8)),
        workers=data.get("workers", "auto"),
        output_dir=res(data.get("output_dir", "../reports")),
        gate=res(data["gate"]) if "gate" in data else None, raw=data,
    )


def select_items(items: list[Item], flt: dict[str, Any], limit: int | None = None) -> list[Item]:
    """Apply a suite's filter and `--limit`, keeping dataset order (reproducible subsets)."""
    out = [it for it in items
           if (not flt.get("topics") or it.topic in flt["topics"])
           and (not flt.get("ids") or it.id in flt["ids"])
           and (not flt.get("tags") or set(flt["tags"]) & set(it.tags))]
    return out[:limit] if limit else out
