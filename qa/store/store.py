"""`Store`: one data directory opened, SQLite (the source of truth) beside Chroma (vectors).

A write commits the SQLite side in one transaction under the writer lock, announcing its vector
writes in the journal first (`qa.store.journal`); opening the store for writing replays the
journal. So a reader (which joins every vector hit with SQLite) never sees half an article, and
a rerun of the same ingest finishes the job without duplicates.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from qa.core.errors import ConfigError, StoreCorruptError, StoreNotFoundError, StoreWriteError
from qa.core.schema import Article, ArticleSummary, ChunkRow, DuplicateRecord, StoreStats
from qa.core.settings import Settings
from qa.store import articles, journal, keyword, search
from qa.store.articles import PreparedArticle
from qa.store.database import Database, database_error, ensure_schema, has_schema
from qa.store.filters import Filters
from qa.store.vectors import VectorIndex

log = logging.getLogger(__name__)

WRITE_CACHE_KIB = 64 * 1024  # SQLite page cache of the writing connection
BUSY_THEN = "wait for it to finish and try again"


class Store:
    """One data directory: open it with `Store.open(settings)`; close it when done."""

    def __init__(self, settings: Settings, *, create: bool) -> None:
        self.settings = settings
        self.path = settings.data_dir
        db = settings.db_path
        if not db.exists() and settings.chroma_url is None and settings.chroma_path.exists():
            raise StoreCorruptError(
                f"the article database {db} is missing but its vector folder is there: run "
                "`newsqa repair` (it reports what was lost and starts a clean store)"
            )
        if not db.exists():
            if not create:
                raise StoreNotFoundError(
                    f"no article store at {self.path}: run `newsqa ingest seeds/` first "
                    "(or set NEWSQA_DATA_DIR to an existing store)"
                )
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreWriteError(
                    f"cannot create the data directory {self.path}: {exc}"
                ) from exc
        self.db = Database(db)
        self._write_mutex = threading.RLock()
        self._vectors: VectorIndex | None = None
        self._vectors_lock = threading.Lock()
        try:
            conn = self._conn()
            if not has_schema(conn):  # a complete store is only read here: read-only works
                ensure_schema(conn)
                if keyword.upgrade(conn):
                    log.info("built the keyword index of %s (a store from before it)", db)
        except sqlite3.DatabaseError as exc:
            raise database_error(exc, db) from exc
        no_folder = settings.chroma_url is None and not settings.chroma_path.exists()
        if no_folder and self._conn().execute("SELECT 1 FROM chunks LIMIT 1").fetchone():
            raise StoreCorruptError(
                f"the vector folder {settings.chroma_path} is missing; run `newsqa repair` "
                "to rebuild it from the article database"
            )

    @classmethod
    def open(cls, settings: Settings, *, create: bool = False) -> Store:
        """Open the store in `settings.data_dir`.

        Raises:
            StoreNotFoundError: no store there and `create` is False.
            StoreCorruptError: the database or the vector folder is unreadable.
        """
        return cls(settings, create=create)

    def _conn(self) -> sqlite3.Connection:
        return self.db.conn()

    @property
    def vectors(self) -> VectorIndex:
        """The vector index (opened on first use)."""
        if self._vectors is None:
            with self._vectors_lock:
                if self._vectors is None:
                    self._vectors = VectorIndex(
                        path=None if self.settings.chroma_url else self.settings.chroma_path,
                        url=self.settings.chroma_url,
                        collection=self.settings.collection,
                        timeout=self.settings.chroma_timeout,
                    )
        return self._vectors

    def reopen_vectors(self) -> None:
        """Release the vector client so that the next use opens it afresh: Chroma's embedded mode
        keeps its index per process and does not see another process's writes otherwise."""
        with self._vectors_lock:
            old, self._vectors = self._vectors, None
        if old is not None:
            old.close()

    def close(self) -> None:
        """Close this thread's database connection and release the vector client."""
        self.db.close()
        with self._vectors_lock:
            if self._vectors is not None:
                self._vectors.close()
                self._vectors = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writer lock and journal -----------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self, wait: float = 30.0) -> Iterator[None]:
        """Hold the store's writer lock (one writing process at a time) and replay the journal.

        Raises:
            StoreBusyError: another process held the lock for `wait` seconds.
        """
        with self._write_mutex, journal.writer_lock(self.path, wait=wait, then=BUSY_THEN):
            _ = self.vectors  # a Chroma server that is down fails here, before any write
            # the keyword postings take inserts all over their b-tree: a page cache that holds
            # the pages a batch touches (SQLite's default is 2 MB) makes them several times faster
            self._conn().execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
            self.recover()
            yield

    def recover(self) -> int:
        """Finish or undo vector writes interrupted by a crash. Returns the vectors removed."""
        return journal.replay(self.db, self.vectors)

    def _tx(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self.db.transaction()

    def _journal(self, ids: Sequence[str]) -> int:
        return journal.announce(self.db, ids)

    # --- embedder bookkeeping --------------------------------------------------------------------
    def check_embedder(self, name: str, dim: int) -> None:
        """Record the embedder on first write; refuse to mix vectors of different models.

        Raises:
            ConfigError: the store was built with another embedder.
        """
        have = self.db.meta("embedder")
        want = f"{name}:{dim}"
        if have is None:
            with self.db.transaction() as tx:
                tx.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('embedder', ?)", (want,)
                )
        elif have != want:
            raise ConfigError(
                f"the store at {self.path} was embedded with {have}, not {want}: use the same "
                "embedding settings, or ingest into a new NEWSQA_DATA_DIR"
            )

    def embedder_name(self) -> str | None:
        return self.db.meta("embedder")

    # --- writes (call inside `writing()`) ---------------------------------------------------------
    def write_articles(self, items: Sequence[PreparedArticle]) -> None:
        """Insert or replace articles with their chunks and vectors, all or nothing."""
        articles.write_articles(self.db, self.vectors, items)

    def add_duplicate(self, article: Article, original_id: str, similarity: float) -> None:
        """Record `article` as a near-duplicate of a stored one (no text, no vectors)."""
        articles.add_duplicate(self.db, article, original_id, similarity)

    def delete_articles(self, article_ids: Sequence[str]) -> int:
        """Delete articles with everything derived from them; the number of articles deleted."""
        return articles.delete_articles(self.db, self.vectors, article_ids)

    # --- reads: articles -------------------------------------------------------------------------
    def article_state(self, article_id: str) -> tuple[str, str] | None:
        """`(content_hash, 'article' | 'duplicate')` for a known id, else None."""
        return articles.article_state(self._conn(), article_id)

    def find_by_hash(self, content_hash: str) -> str | None:
        """The id of a stored article with exactly this normalized text, if any."""
        return articles.find_by_hash(self._conn(), content_hash)

    def lsh_candidates(self, buckets: Sequence[int]) -> list[tuple[str, bytes]]:
        """Stored articles sharing at least one LSH bucket, with their MinHash signatures."""
        return articles.lsh_candidates(self._conn(), buckets)

    def get_article(self, article_id: str) -> Article | None:
        return articles.get_articles(self._conn(), [article_id]).get(article_id)

    def get_articles(self, article_ids: Sequence[str]) -> dict[str, Article]:
        return articles.get_articles(self._conn(), article_ids)

    def signatures(self, article_ids: Sequence[str]) -> dict[str, bytes]:
        """The near-duplicate (MinHash) signatures of these stored articles, by id."""
        return articles.signatures(self._conn(), article_ids)

    def duplicates_of(self, article_ids: Sequence[str]) -> dict[str, list[DuplicateRecord]]:
        """The near-duplicates recorded for these stored articles, by original id."""
        return articles.duplicates_of(self._conn(), article_ids)

    def list_articles(
        self, filters: Filters | None = None, limit: int | None = None
    ) -> list[ArticleSummary]:
        """Article summaries (no text), newest first, each with its chunk and duplicate counts."""
        return articles.list_articles(self._conn(), filters, limit)

    def article_count(self) -> int:
        return self.db.count("articles")

    def count_undated(self, filters: Filters) -> int:
        """Undated articles `filters` leaves out only because of its date range."""
        return articles.count_undated(self._conn(), filters)

    def sources(self) -> list[tuple[str, int]]:
        """Every outlet with its article count, largest first."""
        return articles.sources(self._conn())

    def _chunk_ids_of(self, article_ids: Sequence[str]) -> list[str]:
        return articles.chunk_ids_of(self._conn(), article_ids)

    def stats(self) -> StoreStats:
        """Counts of every part of the store (they agree unless a repair is needed), and what is
        wrong with the keyword index (`keyword_index`: "ok" or the problem)."""
        conn = self._conn()

        def one(q: str) -> Any:
            return conn.execute(q).fetchone()[0]

        problem = keyword.problem(conn)
        try:
            size: int | None = self.settings.db_path.stat().st_size
        except OSError:
            size = None
        return StoreStats(
            data_dir=str(self.path),
            articles=self.db.count("articles"),
            duplicates=self.db.count("duplicates"),
            chunks=self.db.count("chunks"),
            keyword_index_rows=_count_or_none(conn, "keyword_chunks"),
            keyword_index=f"{problem}: run `newsqa repair`" if problem else "ok",
            vectors=self.vectors.count(),
            pending_journal=self.db.count("journal"),
            sources=len(self.sources()),
            oldest=one("SELECT min(published) FROM articles"),
            newest=one("SELECT max(published) FROM articles"),
            undated=int(one("SELECT count(*) FROM articles WHERE published IS NULL")),
            embedder=self.embedder_name(),
            db_bytes=size,
        )

    # --- reads: search ---------------------------------------------------------------------------
    def dense_search(
        self, embedding: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """Nearest chunks by cosine similarity, best first, only those `filters` let through."""
        return search.dense_search(self._conn(), self.vectors, embedding, k, filters)

    def keyword_search(
        self, query: str, k: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """BM25 over the keyword index: chunks holding any of the words of `query` (stemmed,
        function words left out), best first; higher score is better.

        Raises:
            StoreCorruptError: the keyword index cannot be read (`newsqa repair` rebuilds it).
        """
        return search.keyword_search(self._conn(), query, k, filters)

    def _passing(self, chunk_ids: Sequence[str], filters: Filters) -> set[str]:
        return search.passing(self._conn(), chunk_ids, filters)

    def term_stats(self, words: Sequence[str]) -> tuple[int, dict[str, int]]:
        """`(chunks in the index, {word: chunks containing it})` for inverse document frequencies."""
        return search.term_stats(self._conn(), words)

    def chunk_rows(self, chunk_ids: Sequence[str]) -> dict[str, ChunkRow]:
        """Chunk offsets and text with their article's metadata; unknown ids are left out."""
        return search.chunk_rows(self._conn(), chunk_ids)

    def article_chunks(self, article_ids: Sequence[str]) -> dict[str, ChunkRow]:
        """Every chunk of these articles, as `chunk_rows` gives them."""
        return self.chunk_rows(self._chunk_ids_of(list(article_ids)))

    def chunk_embeddings(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        return search.chunk_embeddings(self._conn(), chunk_ids)


def _count_or_none(conn: sqlite3.Connection, table: str) -> int | None:
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:  # the table is gone: `keyword_index` says so
        return None
