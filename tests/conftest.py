"""Shared fixtures: the real dataset, catalogue and default rubric of the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from qaeval.loaders import Catalogue, load_catalogue, load_dataset
from qaeval.records import Item
from qaeval.rubric import Rubric, load_rubric
from qaeval.scorers import ScoringContext

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def items() -> list[Item]:
    return load_dataset([ROOT / "datasets" / "oncology"])


@pytest.fixture(scope="session")
def items_by_id(items: list[Item]) -> dict[str, Item]:
    return {i.id: i for i in items}


@pytest.fixture(scope="session")
def rubric() -> Rubric:
    return load_rubric(ROOT / "rubrics" / "default.yaml")


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue([ROOT / "datasets" / "sources"])


@pytest.fixture(scope="session")
def ctx(rubric: Rubric, catalogue: Catalogue) -> ScoringContext:
    return ScoringContext(rubric=rubric, catalogue=catalogue)
