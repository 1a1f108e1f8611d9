"""Scorers, registered by name. Importing this package registers the built-in ones."""

from .base import Scorer, ScoringContext, scorers
from . import grounding, coverage, citations, disclaimer, harmful_advice, readability  # noqa: F401
from .. import judges  # noqa: F401,E402  (optional LLM judges and ecosystem adapters: registered, never run by default)

__all__ = ["Scorer", "ScoringContext", "scorers", "build_scorers"]


def build_scorers(specs: list[dict]) -> list[Scorer]:
    return [scorers.get(s["name"])(**s.get("options", {})) for s in specs]
