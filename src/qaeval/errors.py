"""Errors that the CLI turns into exit codes."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: one or more `file:line: JSON-path: what is wrong` messages. The CLI exits 2."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))
