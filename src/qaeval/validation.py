"""JSON Schema validation with error messages that name the file, line and field.

All data files (datasets, answers, rubrics, suites, catalogues, labelled sets) go through here
before anything runs, so a typo is reported as `file:line: $.path: problem` and nothing starts.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from .errors import InputError

SCHEMA_NAMES = ("dataset_item", "answer_line", "rubric", "suite", "catalogue", "result_line",
                "labelled_safety", "labelled_grounding", "gate_policy")


@lru_cache(maxsize=None)
def _registry() -> Registry:
    resources_: list[tuple[str, Resource]] = []
    for path in resources.files("qaeval.schemas").iterdir():
        if path.name.endswith(".schema.json"):
            contents = json.loads(path.read_text(encoding="utf-8"))
            res = Resource.from_contents(contents)
            resources_.append((path.name, res))
            resources_.append((contents.get("$id", path.name), res))
    return Registry().with_resources(resources_)


@lru_cache(maxsize=None)
def schema(name: str) -> dict[str, Any]:
    """The packaged JSON Schema called `name` (e.g. 'dataset_item')."""
    text = resources.files("qaeval.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name), registry=_registry())


def json_path(path: Any) -> str:
    out = "$"
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _describe(error: Any) -> str:
    if error.validator == "not" and error.path and "key" in str(list(error.path)[-1]).lower():
        # Never echo the value: it is probably a secret.
        return "a secret must not be written in a file: name an environment variable with api_key_env instead"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field(s)")
    if error.validator == "required":
        return error.message
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {list(error.validator_value)}"
    return error.message


def iter_problems(instance: Any, schema_name: str) -> Iterator[tuple[list[Any], str]]:
    """Yield (path, message) for each schema violation, most specific first."""
    errors = sorted(validator(schema_name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    for err in errors:
        # For oneOf/anyOf, the best sub-error is more useful than "is not valid under any".
        best = err
        if err.context:
            best = max(err.context, key=lambda e: len(e.absolute_path))
        yield list(best.absolute_path), _describe(best)


# ---------- JSONL ----------

def read_jsonl(path: Path, schema_name: str) -> list[tuple[int, dict[str, Any]]]:
    """Parse and validate a JSONL file; returns (line number, object) pairs or raises InputError."""
    problems: list[str] = []
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}:1: $: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{lineno}: $: invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        bad = list(iter_problems(obj, schema_name))
        for p, msg in bad:
            problems.append(f"{path}:{lineno}: {json_path(p)}: {msg}")
        if not bad:
            rows.append((lineno, obj))
    if problems:
        raise InputError(problems)
    return rows


# ---------- YAML with line numbers ----------

def _node_line(node: yaml.Node, path: list[Any]) -> int:
    """Line (1-based) of the YAML node at `path`, or of the deepest ancestor that exists."""
    line = node.start_mark.line + 1
    for key in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if nxt is None:
                break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line


def read_yaml(path: Path, schema_name: str) -> dict[str, Any]:
    """Parse and validate a YAML file; raises InputError naming file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise InputError(f"{path}:{line}: $: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        raise InputError(f"{path}:1: $: file is empty")
    problems = [f"{path}:{_node_line(node, p) if node else 1}: {json_path(p)}: {msg}"
                for p, msg in iter_problems(data, schema_name)]
    if problems:
        raise InputError(problems)
    return data
