"""Content-addressed answer cache: an unchanged request is never sent (or paid for) twice.

The key is the sha256 of the canonical JSON of (model, base_url, settings, messages), so any change
to the model name, the endpoint, a sampling setting or a single character of the prompt is a new
key. One JSON file per key, fanned out by the key's first two hex digits so a shared cache of many
thousands of answers stays listable. Files are written atomically (temp file + rename); an
unreadable or foreign file is a miss, never an error, so deleting the folder is always safe.
Only successful answers are stored: an error is always retried on the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
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
    """A folder of `<key[:2]>/<key>.json` entries: `{"key", "request", "response"}`."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored response for `key`, or None (missing, torn or not ours)."""
        try:
            entry = json.loads(self.path(key).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("response"), dict):
            return None
        resp = entry["response"]
        return resp if isinstance(resp.get("text"), str) and resp["text"] else None

    def put(self, key: str, request: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        """Store a successful response. Not fsync'd: a lost entry only costs one more request."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"v": CACHE_VERSION, "key": key, "request": dict(request), "response": dict(response)},
                          ensure_ascii=False, sort_keys=True, indent=1)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:12]}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("??/*.json")) if self.root.exists() else 0
