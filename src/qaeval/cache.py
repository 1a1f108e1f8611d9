"""Content-addressed answer cache: an unchanged request is never sent (or paid for) twice.

The key is the sha256 of the canonical JSON of (model, base_url, settings, messages), so any change
to the model name, the endpoint, a sampling setting or a single character of the prompt is a new
key. One JSON file per key, fanned out by the key's first two hex digits so a shared cache of many
thousands of answers stays listable. A torn, unreadable or foreign file is a miss, never an error
(the key inside must match the name), so files are written in place without a rename and
deleting any part of the folder is always safe.
Only successful answers are stored: an error is always retried on the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

CACHE_VERSION = 1


def cache_key(model: str, base_url: str, settings: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]) -> str:
    """sha256 hex of the canonical request; equal requests get equal keys, across runs and machines."""
    canon = json.dumps({"v": CACHE_VERSION, "model": model, "base_url": base_url.rstrip("/"),
                        "settings": settings, "messages": list(messages)},
                       sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


class AnswerCache:
    """A folder of `<key[:2]>/<key>.json` entries: `{"key", "request", "response"}`.

    `put_later` hands the write to one background thread, because creating a file costs a few
    hundred microseconds of kernel time, which an event loop with 50 requests in flight should not
    wait for; an entry waiting to be written is already returned by `get`, and `flush` waits for
    the writes (the runner calls it, through the generator's `aclose`, before the run ends).
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self._pending: dict[str, dict[str, Any]] = {}
        self._queue: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored response for `key`, or None (missing, torn or not ours)."""
        waiting = self._pending.get(key)
        if waiting is not None:
            return waiting["response"]
        try:
            entry = json.loads(self.path(key).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("response"), dict):
            return None
        resp = entry["response"]
        return resp if isinstance(resp.get("text"), str) and resp["text"] else None

    def put(self, key: str, request: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        """Store a successful response now. Not fsync'd: a lost entry only costs one more request."""
        self._write(key, {"v": CACHE_VERSION, "key": key, "request": dict(request), "response": dict(response)})

    def put_later(self, key: str, request: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        """Store a successful response from the background writer (see the class docstring)."""
        entry = {"v": CACHE_VERSION, "key": key, "request": dict(request), "response": dict(response)}
        self._pending[key] = entry
        if self._writer is None:
            with self._start_lock:
                if self._writer is None:
                    self._writer = threading.Thread(target=self._drain, name="qaeval-cache-writer", daemon=True)
                    self._writer.start()
        self._queue.put((key, entry))

    def flush(self) -> None:
        """Wait until every `put_later` entry is on disk (or failed to be written)."""
        self._queue.join()

    def _drain(self) -> None:
        while True:
            key, entry = self._queue.get()
            try:
                self._write(key, entry)
            except Exception:  # noqa: BLE001 - a cache that cannot be written is a miss next time, not a failed run
                pass
            finally:
                self._pending.pop(key, None)
                self._queue.task_done()

    def _write(self, key: str, entry: Mapping[str, Any]) -> None:
        # One write() straight to the final name, no temp file and rename: the rename doubles the
        # cost on ext4, and a torn file (a crash mid-write, two writers at once) only reads as a miss.
        path = self.path(key)
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")  # C encoder
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("??/*.json")) if self.root.exists() else 0
