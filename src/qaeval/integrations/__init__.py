"""Adapters that expose qaeval's scorers to other evaluation ecosystems (optional extras).

Each submodule imports its ecosystem lazily-at-import and fails with an install hint when it is
missing, so `import qaeval` never needs them.
"""
