"""The vector side of the store: a Chroma collection (embedded or on a Chroma server).

Chroma never embeds anything here: every call passes our own vectors, and the collection is
created with an embedding function that refuses to run, so Chroma's default model (which would
be downloaded) can never be used by accident.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import ConfigError, StoreCorruptError, StoreNotFoundError, StoreWriteError

log = logging.getLogger(__name__)


class _NoEmbedding:
    """Stands where Chroma expects an embedding function; newsqa always passes vectors itself."""

    def __call__(self, input: Sequence[str]) -> list[Any]:
        raise RuntimeError("newsqa passes its own embeddings; Chroma must not embed text")

    @staticmethod
    def name() -> str:
        return "newsqa-external"

    def is_legacy(self) -> bool:
        return False

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> _NoEmbedding:
        return _NoEmbedding()

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]


class VectorIndex:
    """Chunk vectors with the metadata needed to filter in the index itself."""

    def __init__(self, *, path: Path | None, url: str | None, collection: str) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if url:
                from urllib.parse import urlparse

                u = urlparse(url)
                if u.scheme not in ("http", "https") or not u.hostname:
                    raise ConfigError(f"chroma_url must look like http://host:port, got {url!r}")
                self._client = chromadb.HttpClient(
                    host=u.hostname,
                    port=u.port or (443 if u.scheme == "https" else 8000),
                    ssl=u.scheme == "https",
                    settings=chroma_settings,
                )
            else:
                assert path is not None
                self._client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            self._col = self._client.get_or_create_collection(
                name=collection,
                embedding_function=_NoEmbedding(),  # type: ignore[arg-type]
                metadata={"hnsw:space": "cosine"},
            )
        except ConfigError:
            raise
        except Exception as exc:  # chromadb raises many unrelated types here
            where = url or str(path)
            if url:
                raise StoreNotFoundError(
                    f"cannot reach the Chroma server at {where} ({exc.__class__.__name__}: {exc}); "
                    "start it with `chroma run --path DIR --port PORT` or unset NEWSQA_CHROMA_URL"
                ) from exc
            raise StoreCorruptError(
                f"cannot open the Chroma store at {where} ({exc.__class__.__name__}: {exc}); "
                "run `newsqa repair` to rebuild it from the article database"
            ) from exc
        self._max_batch = int(getattr(self._client, "get_max_batch_size", lambda: 5000)())

    def close(self) -> None:
        """Release this client; Chroma stops the shared system when its last client closes, so
        the next open reads the folder afresh (it may have been rebuilt or written by another
        process meanwhile)."""
        close = getattr(self._client, "close", None)
        if callable(close):
            try:
                close()
            except Exception:  # closing twice, or a server gone: nothing left to release
                log.debug("closing the Chroma client failed", exc_info=True)

    def count(self) -> int:
        return int(self._col.count())

    def upsert(
        self, ids: Sequence[str], embeddings: np.ndarray, metadatas: Sequence[dict[str, Any]]
    ) -> None:
        """Add or overwrite vectors (ids are deterministic, so a retry is harmless)."""
        step = max(1, min(self._max_batch, 4000))
        try:
            for i in range(0, len(ids), step):
                self._col.upsert(
                    ids=list(ids[i : i + step]),
                    embeddings=embeddings[i : i + step],  # type: ignore[arg-type]
                    metadatas=list(metadatas[i : i + step]),  # type: ignore[arg-type]
                )
        except Exception as exc:
            raise StoreWriteError(f"could not write vectors: {exc}") from exc

    def delete(self, ids: Sequence[str]) -> None:
        """Remove vectors; ids that are not there are ignored."""
        step = max(1, min(self._max_batch, 4000))
        try:
            for i in range(0, len(ids), step):
                self._col.delete(ids=list(ids[i : i + step]))
        except Exception as exc:
            raise StoreWriteError(f"could not delete vectors: {exc}") from exc

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` have a vector."""
        found: set[str] = set()
        step = max(1, min(self._max_batch, 4000))
        for i in range(0, len(ids), step):
            got = self._col.get(ids=list(ids[i : i + step]), include=[])
            found.update(got["ids"])
        return found

    def all_ids(self) -> list[str]:
        out: list[str] = []
        offset, step = 0, 5000
        while True:
            got = self._col.get(include=[], limit=step, offset=offset)
            out.extend(got["ids"])
            if len(got["ids"]) < step:
                return out
            offset += step

    def query(
        self, embedding: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """The `k` nearest chunk ids with cosine similarity, best first."""
        n = self.count()
        if n == 0:
            return []
        res = self._col.query(
            query_embeddings=[embedding.astype(np.float32)],  # type: ignore[arg-type,list-item]
            n_results=min(k, n),
            where=where or None,  # type: ignore[arg-type]
            include=["distances"],
        )
        ids = res["ids"][0]
        dists = (res.get("distances") or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=False)]
