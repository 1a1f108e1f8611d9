"""Token buckets for requests-per-minute and tokens-per-minute limits.

Why a bucket and not a sleep between requests: it lets a short burst through (up to one second's
worth) and then paces to the configured rate, which is what providers enforce. A request larger than
the bucket is let through once the bucket is full and drives the level negative, so a big prompt
can never wait forever. Waiters queue in arrival order behind one lock.
"""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    def __init__(self, per_minute: float, burst_s: float = 1.0):
        if per_minute <= 0:
            raise ValueError("a rate limit must be positive")
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst_s)
        self.level = self.capacity
        self._t = time.monotonic()
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.waited_s = 0.0

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self._t) * self.rate)
        self._t = now

    def _get_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    async def take(self, n: float = 1.0) -> float:
        """Wait until `n` can be taken (or the bucket is full, for n > capacity); returns seconds waited."""
        waited = 0.0
        async with self._get_lock():
            need = min(float(n), self.capacity)
            self._refill()
            while self.level < need:
                delay = (need - self.level) / self.rate
                await asyncio.sleep(delay)
                waited += delay
                self._refill()
            self.level -= n
        self.waited_s += waited
        return waited

    def adjust(self, n: float) -> None:
        """Correct an estimate after the fact: positive `n` takes more, negative gives back."""
        self._refill()
        self.level = min(self.capacity, self.level - n)
