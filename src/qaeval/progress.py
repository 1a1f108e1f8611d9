"""A small progress line with rate, ETA and error count; silent when not a TTY or under CI."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None, label: str = "generating"):
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = self.stream.isatty() and not os.environ.get("CI")
        self.enabled = enabled
        self.label = label
        self.total = self.done = self.errors = 0
        self.t0 = time.perf_counter()
        self._last = 0.0

    def start(self, total: int, already: int = 0) -> None:
        self.total, self.done, self.errors = total, 0, 0
        self.t0 = time.perf_counter()
        if self.enabled and already:
            self.stream.write(f"resuming: {already} answers already done\n")

    def advance(self, error: bool = False) -> None:
        self.done += 1
        self.errors += int(error)
        now = time.perf_counter()
        if self.enabled and (now - self._last > 0.1 or self.done == self.total):
            self._last = now
            rate = self.done / max(now - self.t0, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else 0
            self.stream.write(f"\r{self.label} {self.done}/{self.total}  {rate:6.1f}/s  ETA {eta:5.0f}s  errors {self.errors}  ")
            self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.total:
            self.stream.write("\n")
            self.stream.flush()
