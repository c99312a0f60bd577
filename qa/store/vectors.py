"""The vector side of the store: a Chroma collection (embedded or on a Chroma server).

Chroma never embeds anything here: every call passes our own vectors, and the collection is
created with an embedding function that refuses to run, so Chroma's default model (which would
be downloaded) can never be used by accident.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.core.dates import day_of
from qa.core.errors import (
    ConfigError,
    NewsQAError,
    StoreCorruptError,
    StoreNotFoundError,
    StoreWriteError,
)

log = logging.getLogger(__name__)

# Chroma shares one "system" per folder between all clients of a process and stops it when the
# last client closes; creating and closing clients is not atomic in Chroma, so a client opened in
# one thread while another thread closes the last one used to get a stopped system (KeyError,
# "no attribute 'bindings'"). Every client is created and closed under this lock.
_CLIENTS_LOCK = threading.Lock()


def published_day(published: str | None) -> int:
    """Proleptic ordinal of the publication day, 0 when unknown (what Chroma filters dates on)."""
    day = day_of(published)
    return day.toordinal() if day is not None else 0


def vector_metadata(article_id: str, source: str | None, published: str | None) -> dict[str, Any]:
    """The metadata stored beside a chunk's vector: what the filters need inside the index."""
    return {
        "article_id": article_id,
        "source_key": (source or "").lower(),
        "published_day": published_day(published),
    }


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

    def __init__(
        self,
        *,
        path: Path | None,
        url: str | None,
        collection: str,
        timeout: float = 30.0,
        create: bool = True,
    ) -> None:
        """Open (or create) the collection.

        Args:
            path: folder of the embedded store (when `url` is None).
            url: a Chroma server, http(s)://host:port.
            collection: the collection's name.
            timeout: seconds before a call to a Chroma server gives up.
            create: create the collection when it is missing (else StoreCorruptError).

        Raises:
            ConfigError: a malformed URL.
            StoreNotFoundError: the Chroma server cannot be reached.
            StoreCorruptError: the embedded store (or the collection) cannot be opened.
        """
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.where = url or str(path)
        self._url = url
        self.name = collection
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        self._client: Any = None
        try:
            if url:
                from urllib.parse import urlparse

                u = urlparse(url)
                if u.scheme not in ("http", "https") or not u.hostname:
                    raise ConfigError(f"chroma_url must look like http://host:port, got {url!r}")
                _heartbeat(url, timeout)  # Chroma's own client waits forever on a hung server
                with _CLIENTS_LOCK:
                    self._client = chromadb.HttpClient(
                        host=u.hostname,
                        port=u.port or (443 if u.scheme == "https" else 8000),
                        ssl=u.scheme == "https",
                        settings=chroma_settings,
                    )
                _set_timeout(self._client, timeout)
            else:
                assert path is not None
                with _CLIENTS_LOCK:
                    self._client = chromadb.PersistentClient(
                        path=str(path), settings=chroma_settings
                    )
            if create:
                self._col = self._client.get_or_create_collection(
                    name=collection,
                    embedding_function=_NoEmbedding(),  # type: ignore[arg-type]
                    metadata={"hnsw:space": "cosine"},
                )
            else:
                self._col = self._client.get_collection(
                    name=collection,
                    embedding_function=_NoEmbedding(),  # type: ignore[arg-type]
                )
        except ConfigError:
            self.close()
            raise
        except Exception as exc:  # chromadb raises many unrelated types here
            self.close()
            if path is not None:
                _forget_system(path)
            raise self._error(exc, "open") from exc
        self._max_batch = int(getattr(self._client, "get_max_batch_size", lambda: 5000)())

    def _error(self, exc: BaseException, action: str) -> NewsQAError:
        """A newsqa error for a failed Chroma call, saying what to do next."""
        if isinstance(exc, NewsQAError):
            return exc
        what = f"{exc.__class__.__name__}: {exc}"
        if self._url:
            return StoreNotFoundError(
                f"cannot {action} vectors on the Chroma server at {self._url} ({what}); "
                "start it with `chroma run --path DIR --port PORT` (or unset NEWSQA_CHROMA_URL) "
                "and try again; nothing was half-written"
            )
        if action in ("write", "delete"):
            return StoreWriteError(
                f"could not {action} vectors in {self.where} ({what}); check that the disk has "
                "space and the folder is writable. No article was half-written"
            )
        return StoreCorruptError(
            f"cannot {action} the Chroma store at {self.where} ({what}); "
            "run `newsqa repair` to rebuild it from the article database"
        )

    def _call(self, action: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:
            raise self._error(exc, action) from exc

    def close(self) -> None:
        """Release this client; Chroma stops the shared system when its last client closes, so
        the next open reads the folder afresh (it may have been rebuilt or written by another
        process meanwhile)."""
        close = getattr(self._client, "close", None)
        if callable(close):
            try:
                with _CLIENTS_LOCK:
                    close()
            except Exception:  # closing twice, or a server gone: nothing left to release
                log.debug("closing the Chroma client failed", exc_info=True)

    def count(self) -> int:
        return int(self._call("read", self._col.count))

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
            raise self._error(exc, "write") from exc

    def delete(self, ids: Sequence[str]) -> None:
        """Remove vectors; ids that are not there are ignored."""
        step = max(1, min(self._max_batch, 4000))
        try:
            for i in range(0, len(ids), step):
                self._col.delete(ids=list(ids[i : i + step]))
        except Exception as exc:
            raise self._error(exc, "delete") from exc

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` have a vector."""
        found: set[str] = set()
        step = max(1, min(self._max_batch, 4000))
        for i in range(0, len(ids), step):
            part = list(ids[i : i + step])
            got = self._call("read", functools.partial(self._col.get, ids=part, include=[]))
            found.update(got["ids"])
        return found

    def all_ids(self) -> list[str]:
        """Every vector id in the collection."""
        return [i for i, _ in self.all_items(with_metadata=False)]

    def all_items(self, *, with_metadata: bool = True) -> list[tuple[str, dict[str, Any]]]:
        """Every `(id, metadata)` in the collection (metadata `{}` unless asked for)."""
        out: list[tuple[str, dict[str, Any]]] = []
        offset, step = 0, 5000
        include: list[Any] = ["metadatas"] if with_metadata else []
        while True:
            got = self._call(
                "read",
                functools.partial(self._col.get, include=include, limit=step, offset=offset),
            )
            metas = got.get("metadatas") or [None] * len(got["ids"])
            out.extend((i, dict(m or {})) for i, m in zip(got["ids"], metas, strict=False))
            if len(got["ids"]) < step:
                return out
            offset += step

    def query(
        self, embedding: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """The `k` nearest chunk ids with cosine similarity, best first.

        Fewer when the collection (or the `where` filter) holds fewer: Chroma returns what it has,
        so no count is asked for first (that cost a second call per question).
        """
        res = self._call(
            "read",
            lambda: self._col.query(
                query_embeddings=[embedding.astype(np.float32)],  # type: ignore[arg-type,list-item]
                n_results=max(1, k),
                where=where or None,  # type: ignore[arg-type]
                include=["distances"],
            ),
        )
        ids = res["ids"][0]
        dists = (res.get("distances") or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=False)]


def _forget_system(path: Path) -> None:
    """Drop Chroma's cached system for `path` after a failed open.

    Chroma caches the system before starting it; when starting fails (a damaged folder) the
    broken system stays cached, and every later client for the same path in this process, even
    after the folder was rebuilt, gets it ("no attribute 'bindings'").
    """
    try:
        from chromadb.api.shared_system_client import SharedSystemClient
    except ImportError:
        return
    with _CLIENTS_LOCK:
        systems = getattr(SharedSystemClient, "_identifier_to_system", None)
        counts = getattr(SharedSystemClient, "_identifier_to_refcount", {})
        if isinstance(systems, dict) and not counts.get(str(path)):
            broken = systems.pop(str(path), None)
            if broken is not None:
                try:
                    broken.stop()
                except Exception:
                    log.debug("stopping a broken Chroma system failed", exc_info=True)


def _heartbeat(url: str, timeout: float) -> None:
    """Fail fast, with a clear message, when the Chroma server is down or hung."""
    import httpx

    try:
        httpx.get(url.rstrip("/") + "/api/v2/heartbeat", timeout=min(timeout, 10.0))
    except httpx.HTTPError as exc:
        raise StoreNotFoundError(
            f"cannot reach the Chroma server at {url} ({exc.__class__.__name__}: {exc}); "
            "start it with `chroma run --path DIR --port PORT` or unset NEWSQA_CHROMA_URL"
        ) from None


def _set_timeout(client: Any, timeout: float) -> None:
    """Give Chroma's HTTP session a timeout (it has none, so a hung server hangs every call)."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout)
