"""The run folder: manifest, answers journal, results, reports.

`answers.jsonl` is an append-only journal (one fsync'd line per finished generation), so a crash
loses at most the line being written and `--resume` knows exactly what is done. Every other file
is written atomically (temp file + rename), so a reader never sees half a file.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping

from .records import Answer

MANIFEST = "manifest.json"
ANSWERS = "answers.jsonl"
RESULTS = "results.jsonl"
SUMMARY = "summary.json"

# A key *named* like a secret (api_key, x-api-key, access_token, client_secret, Authorization...), matched
# as a whole name or its last part, so that counts such as `max_tokens` or `prompt_tokens` are kept.
_SECRET_KEY = re.compile(r"(?:^|[_-])(?:api[_-]?key|apikey|(?:secret|private|access)[_-]?key|token|access[_-]?token|"
                         r"secret|password|passwd|authorization|bearer|auth)$", re.I)


def atomic_write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def redact(obj: Any, secrets: Iterable[str] = ()) -> Any:
    """Drop values under secret-looking keys and scrub known secret strings anywhere."""
    secrets = [s for s in secrets if s and len(s) >= 6]

    def walk(o: Any) -> Any:
        if isinstance(o, Mapping):
            return {k: ("[redacted]" if _SECRET_KEY.search(str(k)) and not str(k).endswith("_env") else walk(v))
                    for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [walk(v) for v in o]
        if isinstance(o, str):
            for s in secrets:
                o = o.replace(s, "[redacted]")
            return o
        return o
    return walk(obj)


def dumps_line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


class RunStore:
    def __init__(self, run_dir: Path, secrets: Iterable[str] = ()):
        self.dir = Path(run_dir)
        self.secrets = list(secrets)

    def path(self, name: str) -> Path:
        return self.dir / name

    # manifest
    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        atomic_write(self.path(MANIFEST), json.dumps(redact(manifest, self.secrets), indent=2, sort_keys=True) + "\n")

    def read_manifest(self) -> dict[str, Any]:
        p = self.path(MANIFEST)
        return json.loads(p.read_text("utf-8")) if p.exists() else {}

    # answers journal
    def answer_line(self, answer: Answer) -> str:
        return dumps_line(redact(answer.to_dict(), self.secrets))

    def append_answer(self, answer: Answer) -> None:
        self.append_lines([self.answer_line(answer)])

    def append_lines(self, lines: list[str]) -> None:
        """Append whole journal lines and fsync once: after this returns they survive a crash."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.path(ANSWERS), "a", encoding="utf-8") as fh:
            fh.write("".join(lines))
            fh.flush()
            os.fsync(fh.fileno())

    def read_answers(self) -> dict[tuple[str, str], Answer]:
        """Latest answer per (generator, item); a torn last line (crash mid-write) is ignored."""
        p = self.path(ANSWERS)
        out: dict[tuple[str, str], Answer] = {}
        if not p.exists():
            return out
        with open(p, encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    break
                try:
                    a = Answer.from_dict(json.loads(line))
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue
                prev = out.get((a.generator, a.item_id))
                if prev is None or prev.error or not a.error:
                    out[(a.generator, a.item_id)] = a
        return out

    def repair_answers(self) -> None:
        """Cut a torn last line so appends start on a clean line."""
        p = self.path(ANSWERS)
        if not p.exists():
            return
        data = p.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with open(p, "r+b") as fh:
                fh.truncate(cut)

    # results
    def write_results(self, rows: list[dict[str, Any]]) -> None:
        atomic_write(self.path(RESULTS), "".join(dumps_line(redact(r, self.secrets)) for r in rows))

    def read_results(self) -> list[dict[str, Any]]:
        p = self.path(RESULTS)
        return [json.loads(l) for l in p.read_text("utf-8").splitlines() if l.strip()] if p.exists() else []

    def write_json(self, name: str, obj: Any) -> None:
        atomic_write(self.path(name), json.dumps(redact(obj, self.secrets), indent=2, sort_keys=True, ensure_ascii=False) + "\n")

    def write_text(self, name: str, text: str) -> None:
        atomic_write(self.path(name), self._scrub(text))

    def _scrub(self, text: str) -> str:
        for s in self.secrets:
            if s and len(s) >= 6:
                text = text.replace(s, "[redacted]")
        return text


class Journal:
    """Group commit for the answers journal: `await append(answer)` returns once the line is fsync'd.

    Why: at a few ms per fsync on a busy disk, one fsync per answer blocks the event loop for
    seconds over a 1,000-answer run. Here lines that arrive while a write is in progress wait for
    the next one, writes happen in a worker thread one batch at a time (so lines never interleave),
    and every caller is still only told "done" once its line is on disk.
    """

    def __init__(self, store: RunStore):
        self.store = store
        self._pending: list[tuple[str, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def append(self, answer: Answer) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((self.store.answer_line(answer), fut))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        await fut

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await loop.run_in_executor(None, self.store.append_lines, [line for line, _ in batch])
            except BaseException as exc:  # the callers see the disk error
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for _, fut in batch:
                if not fut.done():
                    fut.set_result(None)
