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
            enabled = _isatty(self.stream) and not under_ci()
        self.enabled = enabled
        self.label = label
        self.total = self.done = self.errors = self.cached = 0
        self.t0 = time.perf_counter()
        self._last = 0.0

    def start(self, total: int, already: int = 0) -> None:
        self.total, self.done, self.errors, self.cached = total, 0, 0, 0
        self.t0 = time.perf_counter()
        if self.enabled and already:
            self.stream.write(f"resuming: {already} answers already done\n")

    def advance(self, error: bool = False, cached: bool = False) -> None:
        self.done += 1
        self.errors += int(error)
        self.cached += int(cached)
        now = time.perf_counter()
        if self.enabled and (now - self._last > 0.1 or self.done == self.total):
            self._last = now
            self.stream.write("\r" + self.line(now))
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        """`generating 120/400 [=====     ] 30%  41.2/s  ETA 7s  errors 2  cached 10`."""
        now = time.perf_counter() if now is None else now
        rate = self.done / max(now - self.t0, 1e-9)
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        frac = self.done / self.total if self.total else 1.0
        bar = "=" * int(frac * 20)
        cached = f"  cached {self.cached}" if self.cached else ""
        return (f"{self.label} {self.done}/{self.total} [{bar:<20}] {frac:4.0%}  {rate:6.1f}/s  "
                f"ETA {_duration(eta)}  errors {self.errors}{cached}  ")

    def finish(self) -> None:
        if self.enabled and self.total:
            self.stream.write("\n")
            self.stream.flush()


def under_ci() -> bool:
    """True when the CI variable is set to anything but an explicit no (`CI=false` is not CI)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"
