"""qaeval: test what AI systems tell cancer patients — offline, measured, explainable."""

from __future__ import annotations

__version__ = "0.1.0"

from .results import load_results  # noqa: E402

__all__ = ["__version__", "load_results"]
