"""Answer generators, registered by name. Importing this package registers the built-in ones."""

from .base import Generator, GeneratorContext, build_generator, generators
from . import reference, recorded, mutate  # noqa: F401  (registration side effects)
from . import openai_compat, callable  # noqa: F401  (registration side effects)

__all__ = ["Generator", "GeneratorContext", "build_generator", "generators"]
