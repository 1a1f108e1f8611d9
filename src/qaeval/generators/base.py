"""The generator contract: turn an Item into an Answer; never score.

Generators are built from suite specs through a registry. A failed generation returns an Answer
with `error` set — it is recorded, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

from ..records import Answer, Item
from ..registry import Registry


@dataclass
class GeneratorContext:
    """What a generator may need to build itself: where the suite lives, and its sibling specs."""

    base_dir: Path = Path(".")
    specs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    run_dir: Path | None = None
    use_cache: bool = True
    cache_dir: Path | None = None  # shared answer cache (suite `cache_dir:`); None: <run_dir>/cache
    _built: dict[str, "Generator"] = field(default_factory=dict)

    def build(self, spec: Mapping[str, Any] | str) -> "Generator":
        """Build a generator from a spec, or by the id of another generator in the suite."""
        if isinstance(spec, str):
            if spec in self._built:
                return self._built[spec]
            if spec in self.specs:
                gen = build_generator(self.specs[spec], self)
            else:
                gen = build_generator({"id": spec, "type": spec}, self)
            self._built[spec] = gen
            return gen
        return build_generator(spec, self)


class Generator(Protocol):
    """`generate` never raises for an expected failure: it returns an Answer with `error` set.

    A generator that holds connections may also define `async def aclose()`; the runner calls it
    (and that of any `base` it wraps) before the event loop ends.
    """

    id: str

    def settings(self) -> dict[str, Any]:
        """Settings recorded in the manifest; never secrets."""
        ...

    async def generate(self, item: Item) -> Answer: ...


GeneratorFactory = Callable[[Mapping[str, Any], GeneratorContext], Generator]
generators: Registry[GeneratorFactory] = Registry("generator")


def build_generator(spec: Mapping[str, Any], ctx: GeneratorContext) -> Generator:
    factory = generators.get(spec["type"])
    return factory(spec, ctx)


def answer_id(item_id: str, generator_id: str) -> str:
    return f"{item_id}@{generator_id}"
