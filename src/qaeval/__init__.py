"""qaeval: test what AI systems tell cancer patients — offline, measured, explainable."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "load_results"]


def __getattr__(name: str) -> Any:
    # `load_results` needs pandas (half a second to import); the CLI and the scorers do not, so it
    # is imported on first use rather than with the package.
    if name == "load_results":
        from .results import load_results
        return load_results
    raise AttributeError(f"module 'qaeval' has no attribute {name!r}")
