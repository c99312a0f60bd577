"""The article store: SQLite (text, metadata, chunks, FTS5 keyword index) beside Chroma (vectors).

SQLite is the source of truth. Chroma cannot share its transactions, so every vector write is
announced first in a `journal` table: the ids about to be written or removed. A write commits the
SQLite side in one transaction, then clears its journal row. After a crash at any point, opening
the store for writing replays the journal: vectors whose chunk is not in SQLite are deleted. So a
reader (which joins every vector hit with SQLite) never sees half an article, and a rerun of the
same ingest finishes the job without duplicates.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import (
    ConfigError,
    StoreBusyError,
    StoreCorruptError,
    StoreNotFoundError,
    StoreWriteError,
)
from qa.schema import Article, Chunk
from qa.settings import Settings

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    article_id   TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    source       TEXT,
    place        TEXT,
    published    TEXT,
    url          TEXT,
    authors      TEXT NOT NULL DEFAULT '[]',
    content_hash TEXT NOT NULL,
    text         TEXT NOT NULL,
    ingested_at  TEXT NOT NULL,
    origin       TEXT NOT NULL DEFAULT '',
    minhash      BLOB
);
CREATE INDEX IF NOT EXISTS articles_source ON articles(lower(source));
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
CREATE TABLE IF NOT EXISTS chunks (
    rowid      INTEGER PRIMARY KEY,
    chunk_id   TEXT NOT NULL UNIQUE,
    article_id TEXT NOT NULL REFERENCES articles(article_id),
    idx        INTEGER NOT NULL,
    start      INTEGER NOT NULL,
    end        INTEGER NOT NULL,
    embedding  BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, title, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS lsh (
    band       INTEGER NOT NULL,
    bucket     INTEGER NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles(article_id)
);
CREATE INDEX IF NOT EXISTS lsh_bucket ON lsh(band, bucket);
CREATE INDEX IF NOT EXISTS lsh_article ON lsh(article_id);
CREATE TABLE IF NOT EXISTS duplicates (
    article_id   TEXT PRIMARY KEY,
    original_id  TEXT NOT NULL REFERENCES articles(article_id),
    title        TEXT NOT NULL,
    source       TEXT,
    published    TEXT,
    url          TEXT,
    content_hash TEXT NOT NULL,
    similarity   REAL NOT NULL,
    ingested_at  TEXT NOT NULL,
    origin       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS duplicates_original ON duplicates(original_id);
CREATE INDEX IF NOT EXISTS duplicates_hash ON duplicates(content_hash);
CREATE TABLE IF NOT EXISTS journal (op_id INTEGER PRIMARY KEY, ids TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Filters:
    """Restrictions applied inside both indexes (not after the fact)."""

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    # "as of" a day: articles published after it are left out; undated ones stay
    not_after: date | None = None

    def chroma_where(self) -> dict[str, Any] | None:
        conds: list[dict[str, Any]] = []
        if self.since:
            conds.append({"published_day": {"$gte": self.since.toordinal()}})
        if self.until:
            conds.append({"published_day": {"$lte": self.until.toordinal()}})
        if self.since or self.until:  # a date range means dated articles in it
            conds.append({"published_day": {"$gt": 0}})
        if self.not_after:  # undated articles have published_day 0 and stay
            conds.append({"published_day": {"$lte": self.not_after.toordinal()}})
        if self.sources:
            conds.append({"source_key": {"$in": [s.lower() for s in self.sources]}})
        if self.article_ids:
            conds.append({"article_id": {"$in": list(self.article_ids)}})
        if not conds:
            return None
        return conds[0] if len(conds) == 1 else {"$and": conds}

    def sql(self, alias: str = "a") -> tuple[str, list[Any]]:
        parts: list[str] = []
        args: list[Any] = []
        if self.since:
            parts.append(f"substr({alias}.published, 1, 10) >= ?")
            args.append(self.since.isoformat())
        if self.until:
            parts.append(f"substr({alias}.published, 1, 10) <= ?")
            args.append(self.until.isoformat())
        if self.not_after:
            parts.append(
                f"({alias}.published IS NULL OR {alias}.published = ''"
                f" OR substr({alias}.published, 1, 10) <= ?)"
            )
            args.append(self.not_after.isoformat())
        if self.sources:
            parts.append(f"lower({alias}.source) IN ({','.join('?' * len(self.sources))})")
            args.extend(s.lower() for s in self.sources)
        if self.article_ids:
            parts.append(f"{alias}.article_id IN ({','.join('?' * len(self.article_ids))})")
            args.extend(self.article_ids)
        return (" AND ".join(parts) or "1"), args


@dataclass
class PreparedArticle:
    """An article ready to be written: its chunks, their vectors and its near-duplicate signature."""

    article: Article
    chunks: list[Chunk]
    embeddings: np.ndarray
    minhash: bytes | None = None
    lsh_buckets: list[int] = field(default_factory=list)


def published_day(published: str | None) -> int:
    """Proleptic ordinal of the publication day, 0 when unknown (for Chroma filters)."""
    if not published:
        return 0
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return 0


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
        self._local = threading.local()
        self._write_mutex = threading.RLock()
        self._vectors: Any = None
        self._vectors_lock = threading.Lock()
        try:
            conn = self._conn()
            if not _has_schema(conn):  # a complete store is only read here: read-only works
                with conn:
                    conn.executescript(_SCHEMA)
                    conn.execute(
                        "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
                        (str(SCHEMA_VERSION),),
                    )
        except sqlite3.DatabaseError as exc:
            raise _db_error(exc, db) from exc
        if settings.chroma_url is None and not settings.chroma_path.exists():
            has_chunks = self._conn().execute("SELECT 1 FROM chunks LIMIT 1").fetchone()
            if has_chunks:
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

    # --- connections -----------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.settings.db_path,
                timeout=30.0,
                check_same_thread=False,
                factory=_Connection,
            )
            conn.row_factory = sqlite3.Row
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute(
                    "PRAGMA journal_mode=WAL"
                )  # fails on a read-only directory; reads work
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @property
    def vectors(self) -> Any:
        if self._vectors is None:
            with self._vectors_lock:
                if self._vectors is None:
                    from qa.vectors import VectorIndex

                    self._vectors = VectorIndex(
                        path=None if self.settings.chroma_url else self.settings.chroma_path,
                        url=self.settings.chroma_url,
                        collection=self.settings.collection,
                        timeout=self.settings.chroma_timeout,
                    )
        return self._vectors

    def close(self) -> None:
        """Close this thread's database connection and release the vector client."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
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

        The lock is an OS file lock: it dies with its process, so a killed ingest never leaves a
        stale lock behind.

        Raises:
            StoreBusyError: another process held the lock for `wait` seconds.
        """
        with self._write_mutex:
            lock_path = self.path / "write.lock"
            try:
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StoreWriteError(f"cannot write in {self.path}: {exc}") from exc
            try:
                deadline = time.monotonic() + wait
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise StoreBusyError(
                                f"another newsqa process is writing to {self.path}; "
                                "wait for it to finish and try again"
                            ) from None
                        time.sleep(0.1)
                _ = self.vectors  # a Chroma server that is down fails here, before any write
                self.recover()
                yield
            finally:
                os.close(fd)

    def recover(self) -> int:
        """Finish or undo vector writes interrupted by a crash. Returns the vectors removed."""
        conn = self._conn()
        rows = conn.execute("SELECT op_id, ids FROM journal ORDER BY op_id").fetchall()
        removed = 0
        for row in rows:
            ids = json.loads(row["ids"])
            known = self._known_chunk_ids(ids)
            orphans = [i for i in ids if i not in known]
            # delete only what is there: after a failed write (disk full) there is often nothing
            present = sorted(self.vectors.existing(orphans)) if orphans else []
            if present:
                self.vectors.delete(present)
                removed += len(present)
            with self._tx() as tx:
                tx.execute("DELETE FROM journal WHERE op_id = ?", (row["op_id"],))
        return removed

    def _known_chunk_ids(self, ids: Sequence[str]) -> set[str]:
        conn = self._conn()
        known: set[str] = set()
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            q = f"SELECT chunk_id FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})"
            known.update(r[0] for r in conn.execute(q, part))
        return known

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                raise _db_error(exc, self.settings.db_path) from exc
            raise

    def _journal(self, ids: Sequence[str]) -> int:
        with self._tx() as tx:
            cur = tx.execute("INSERT INTO journal(ids) VALUES (?)", (json.dumps(list(ids)),))
            return int(cur.lastrowid or 0)

    def _unjournal(self, op_id: int) -> None:
        with self._tx() as tx:
            tx.execute("DELETE FROM journal WHERE op_id = ?", (op_id,))

    # --- embedder bookkeeping --------------------------------------------------------------------
    def check_embedder(self, name: str, dim: int) -> None:
        """Record the embedder on first write; refuse to mix vectors of different models.

        Raises:
            ConfigError: the store was built with another embedder.
        """
        conn = self._conn()
        row = conn.execute("SELECT value FROM meta WHERE key = 'embedder'").fetchone()
        want = f"{name}:{dim}"
        if row is None:
            with self._tx() as tx:
                tx.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('embedder', ?)", (want,)
                )
        elif row[0] != want:
            raise ConfigError(
                f"the store at {self.path} was embedded with {row[0]}, not {want}: use the same "
                "embedding settings, or ingest into a new NEWSQA_DATA_DIR"
            )

    def embedder_name(self) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key = 'embedder'").fetchone()
        return None if row is None else str(row[0])

    # --- writes ----------------------------------------------------------------------------------
    def write_articles(self, items: Sequence[PreparedArticle]) -> None:
        """Insert or replace articles with their chunks and vectors, all or nothing.

        Call inside `writing()`. Replacing an article swaps old chunks for new in one SQLite
        transaction; the old vectors are removed after it.
        """
        if not items:
            return
        ids = [p.article.article_id for p in items]
        old_chunks = self._chunk_ids_of(ids)
        new_ids = [c.chunk_id for p in items for c in p.chunks]
        op = self._journal(new_ids)
        vecs = np.concatenate([p.embeddings for p in items]).astype(np.float32)
        metas = [
            {
                "article_id": p.article.article_id,
                "source_key": (p.article.source or "").lower(),
                "published_day": published_day(p.article.published),
            }
            for p in items
            for _ in p.chunks
        ]
        if new_ids:
            self.vectors.upsert(new_ids, vecs, metas)
        stale = sorted(set(old_chunks) - set(new_ids))
        # a failure from here on (disk full, read-only) leaves the journal row: the next writer
        # removes the vectors. Not undone here: after a failed write Chroma can block the next
        # call in this process
        self._write_rows(items, vecs, ids, op, stale)

    def _write_rows(
        self,
        items: Sequence[PreparedArticle],
        vecs: np.ndarray,
        ids: list[str],
        op: int,
        stale: list[str],
    ) -> None:
        with self._tx() as tx:
            self._delete_rows(tx, ids)
            row = 0
            for p in items:
                a = p.article
                tx.execute(
                    "INSERT INTO articles(article_id, title, source, place, published, url, authors,"
                    " content_hash, text, ingested_at, origin, minhash)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        a.article_id,
                        a.title,
                        a.source,
                        a.place,
                        a.published,
                        a.url,
                        json.dumps(list(a.authors)),
                        a.content_hash,
                        a.text,
                        a.ingested_at,
                        a.origin,
                        p.minhash,
                    ),
                )
                for c in p.chunks:
                    cur = tx.execute(
                        "INSERT INTO chunks(chunk_id, article_id, idx, start, end, embedding)"
                        " VALUES (?,?,?,?,?,?)",
                        (c.chunk_id, c.article_id, c.index, c.start, c.end, vecs[row].tobytes()),
                    )
                    tx.execute(
                        "INSERT INTO chunks_fts(rowid, text, title) VALUES (?,?,?)",
                        (cur.lastrowid, c.text, a.title),
                    )
                    row += 1
                tx.executemany(
                    "INSERT INTO lsh(band, bucket, article_id) VALUES (?,?,?)",
                    [(b, bucket, a.article_id) for b, bucket in enumerate(p.lsh_buckets)],
                )
            tx.execute("DELETE FROM journal WHERE op_id = ?", (op,))
            gc = (
                tx.execute("INSERT INTO journal(ids) VALUES (?)", (json.dumps(stale),)).lastrowid
                if stale
                else None
            )
        if gc is not None:
            self.vectors.delete(stale)
            self._unjournal(int(gc))

    def _chunk_ids_of(self, article_ids: Sequence[str]) -> list[str]:
        conn = self._conn()
        out: list[str] = []
        for i in range(0, len(article_ids), 500):
            part = list(article_ids[i : i + 500])
            q = f"SELECT chunk_id FROM chunks WHERE article_id IN ({','.join('?' * len(part))})"
            out.extend(r[0] for r in conn.execute(q, part))
        return out

    @staticmethod
    def _delete_rows(tx: sqlite3.Connection, article_ids: Sequence[str]) -> None:
        for i in range(0, len(article_ids), 500):
            part = list(article_ids[i : i + 500])
            marks = ",".join("?" * len(part))
            tx.execute(
                f"DELETE FROM chunks_fts WHERE rowid IN "
                f"(SELECT rowid FROM chunks WHERE article_id IN ({marks}))",
                part,
            )
            tx.execute(f"DELETE FROM chunks WHERE article_id IN ({marks})", part)
            tx.execute(f"DELETE FROM lsh WHERE article_id IN ({marks})", part)
            tx.execute(f"DELETE FROM articles WHERE article_id IN ({marks})", part)

    def add_duplicate(self, article: Article, original_id: str, similarity: float) -> None:
        """Record `article` as a near-duplicate of a stored one (no text, no vectors)."""
        with self._tx() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO duplicates(article_id, original_id, title, source, published,"
                " url, content_hash, similarity, ingested_at, origin) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    article.article_id,
                    original_id,
                    article.title,
                    article.source,
                    article.published,
                    article.url,
                    article.content_hash,
                    similarity,
                    article.ingested_at,
                    article.origin,
                ),
            )

    def delete_articles(self, article_ids: Sequence[str]) -> int:
        """Delete articles (text, chunks, keyword index, vectors and their duplicates records).

        Returns the number of stored articles (not duplicate records) deleted. Call inside
        `writing()`.
        """
        ids = list(dict.fromkeys(article_ids))
        chunk_ids = self._chunk_ids_of(ids)
        with self._tx() as tx:
            present = [
                r[0]
                for i in range(0, len(ids), 500)
                for r in tx.execute(
                    f"SELECT article_id FROM articles WHERE article_id IN "
                    f"({','.join('?' * len(ids[i : i + 500]))})",
                    ids[i : i + 500],
                )
            ]
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                marks = ",".join("?" * len(part))
                tx.execute(
                    f"DELETE FROM duplicates WHERE original_id IN ({marks}) OR article_id IN ({marks})",
                    part + part,
                )
            self._delete_rows(tx, ids)
            op = tx.execute(
                "INSERT INTO journal(ids) VALUES (?)", (json.dumps(chunk_ids),)
            ).lastrowid
        if chunk_ids:
            self.vectors.delete(chunk_ids)
        self._unjournal(int(op or 0))
        return len(present)

    # --- reads: articles -------------------------------------------------------------------------
    def article_state(self, article_id: str) -> tuple[str, str] | None:
        """`(content_hash, 'article' | 'duplicate')` for a known id, else None."""
        conn = self._conn()
        row = conn.execute(
            "SELECT content_hash FROM articles WHERE article_id = ?", (article_id,)
        ).fetchone()
        if row:
            return str(row[0]), "article"
        row = conn.execute(
            "SELECT content_hash FROM duplicates WHERE article_id = ?", (article_id,)
        ).fetchone()
        return (str(row[0]), "duplicate") if row else None

    def find_by_hash(self, content_hash: str) -> str | None:
        """The id of a stored article with exactly this normalized text, if any."""
        row = (
            self._conn()
            .execute(
                "SELECT article_id FROM articles WHERE content_hash = ? LIMIT 1", (content_hash,)
            )
            .fetchone()
        )
        return None if row is None else str(row[0])

    def lsh_candidates(self, buckets: Sequence[int]) -> list[tuple[str, bytes]]:
        """Stored articles sharing at least one LSH bucket, with their MinHash signatures."""
        if not buckets:
            return []
        conn = self._conn()
        cond = " OR ".join("(l.band = ? AND l.bucket = ?)" for _ in buckets)
        args: list[Any] = [x for b, bucket in enumerate(buckets) for x in (b, bucket)]
        rows = conn.execute(
            f"SELECT DISTINCT a.article_id, a.minhash FROM lsh l JOIN articles a "
            f"ON a.article_id = l.article_id WHERE {cond}",
            args,
        ).fetchall()
        return [(str(r[0]), bytes(r[1])) for r in rows if r[1] is not None]

    def get_article(self, article_id: str) -> Article | None:
        row = (
            self._conn()
            .execute("SELECT * FROM articles WHERE article_id = ?", (article_id,))
            .fetchone()
        )
        return None if row is None else _article(row)

    def get_articles(self, article_ids: Sequence[str]) -> dict[str, Article]:
        out: dict[str, Article] = {}
        ids = list(dict.fromkeys(article_ids))
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            q = f"SELECT * FROM articles WHERE article_id IN ({','.join('?' * len(part))})"
            for row in self._conn().execute(q, part):
                out[row["article_id"]] = _article(row)
        return out

    def list_articles(
        self, filters: Filters | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Article summaries (no text), newest first, each with its chunk and duplicate counts."""
        where, args = (filters or Filters()).sql("a")
        q = (
            "SELECT a.article_id, a.title, a.source, a.place, a.published, a.url, a.authors,"
            " a.content_hash, a.ingested_at, a.origin, length(a.text) AS chars,"
            " (SELECT count(*) FROM chunks c WHERE c.article_id = a.article_id) AS chunks"
            f" FROM articles a WHERE {where}"
            " ORDER BY coalesce(a.published, '') DESC, a.ingested_at DESC, a.article_id"
        )
        if limit:
            q += f" LIMIT {int(limit)}"
        conn = self._conn()
        rows = conn.execute(q, args).fetchall()
        dups: dict[str, list[dict[str, Any]]] = {}
        for d in conn.execute(
            "SELECT article_id, original_id, title, source, published, url, similarity"
            " FROM duplicates ORDER BY ingested_at"
        ):
            dups.setdefault(d["original_id"], []).append(
                {
                    k: d[k]
                    for k in ("article_id", "title", "source", "published", "url", "similarity")
                }
            )
        out = []
        for r in rows:
            item = dict(r)
            item["authors"] = json.loads(item["authors"])
            item["duplicates"] = dups.get(r["article_id"], [])
            out.append(item)
        return out

    def article_count(self) -> int:
        return int(self._conn().execute("SELECT count(*) FROM articles").fetchone()[0])

    def sources(self) -> list[tuple[str, int]]:
        rows = (
            self._conn()
            .execute(
                "SELECT source, count(*) FROM articles WHERE source IS NOT NULL"
                " GROUP BY lower(source) ORDER BY count(*) DESC, source"
            )
            .fetchall()
        )
        return [(str(r[0]), int(r[1])) for r in rows]

    def stats(self) -> dict[str, Any]:
        """Counts of every part of the store (they agree unless a repair is needed)."""
        conn = self._conn()

        def one(q: str) -> Any:
            return conn.execute(q).fetchone()[0]

        out: dict[str, Any] = {
            "data_dir": str(self.path),
            "articles": one("SELECT count(*) FROM articles"),
            "duplicates": one("SELECT count(*) FROM duplicates"),
            "chunks": one("SELECT count(*) FROM chunks"),
            "keyword_index_rows": one("SELECT count(*) FROM chunks_fts"),
            "vectors": self.vectors.count(),
            "pending_journal": one("SELECT count(*) FROM journal"),
            "sources": len(self.sources()),
            "oldest": one("SELECT min(published) FROM articles"),
            "newest": one("SELECT max(published) FROM articles"),
            "undated": one("SELECT count(*) FROM articles WHERE published IS NULL"),
            "embedder": self.embedder_name(),
        }
        try:
            out["db_bytes"] = self.settings.db_path.stat().st_size
        except OSError:
            out["db_bytes"] = None
        return out

    # --- reads: search ---------------------------------------------------------------------------
    # A filtered search first asks the index unfiltered for OVERFETCH times as many hits and keeps
    # those that pass: when at least `k` pass they are exactly the filtered top `k` (anything
    # better would have been among the unfiltered hits). Only a selective filter falls back to
    # filtering inside the index, which costs Chroma an allow-list of every passing chunk.
    OVERFETCH = 4

    def dense_search(
        self, embedding: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """Nearest chunks by cosine similarity, best first, only those `filters` let through."""
        filters = filters or Filters()
        where = filters.chroma_where()
        if where is None:
            return self.vectors.query(embedding, k)  # type: ignore[no-any-return]
        n = k * self.OVERFETCH
        kept = self._filtered_top(self.vectors.query(embedding, n), k, n, filters)
        if kept is not None:
            return kept
        return self.vectors.query(embedding, k, where)  # type: ignore[no-any-return]

    def keyword_search(
        self, match: str, k: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """BM25 over the FTS5 index (`match` is an FTS5 query); higher score is better."""
        if not match.strip():
            return []
        filters = filters or Filters()
        where, args = filters.sql("a")
        conn = self._conn()
        try:
            n = k if where == "1" else k * self.OVERFETCH
            rows = conn.execute(
                "SELECT c.chunk_id, f.score FROM ("
                " SELECT rowid, -bm25(chunks_fts, 1.0, 0.5) AS score FROM chunks_fts"
                " WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, 1.0, 0.5) LIMIT ?) f"
                " JOIN chunks c ON c.rowid = f.rowid ORDER BY f.score DESC",
                [match, n],
            ).fetchall()
            hits = [(str(r[0]), float(r[1])) for r in rows]
            if where == "1":
                return hits
            kept = self._filtered_top(hits, k, n, filters)
            if kept is not None:
                return kept
            rows = conn.execute(
                "SELECT c.chunk_id, -bm25(chunks_fts, 1.0, 0.5) AS score FROM chunks_fts"
                " JOIN chunks c ON c.rowid = chunks_fts.rowid"
                " JOIN articles a ON a.article_id = c.article_id"
                f" WHERE chunks_fts MATCH ? AND {where}"
                " ORDER BY bm25(chunks_fts, 1.0, 0.5) LIMIT ?",
                [match, *args, k],
            ).fetchall()
        except sqlite3.OperationalError:
            return []  # a query FTS5 cannot parse finds nothing rather than failing the question
        return [(str(r[0]), float(r[1])) for r in rows]

    def _filtered_top(
        self, hits: list[tuple[str, float]], k: int, n: int, filters: Filters
    ) -> list[tuple[str, float]] | None:
        """The filtered top `k` of `n` unfiltered `hits`, or None when too few pass to be sure."""
        passing = self._passing([cid for cid, _ in hits], filters)
        kept = [(cid, score) for cid, score in hits if cid in passing]
        if len(kept) >= k or len(hits) < n:
            return kept[:k]
        return None

    def _passing(self, chunk_ids: Sequence[str], filters: Filters) -> set[str]:
        """The chunks among `chunk_ids` whose article `filters` let through."""
        where, args = filters.sql("a")
        out: set[str] = set()
        conn = self._conn()
        for i in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[i : i + 500])
            q = (
                "SELECT c.chunk_id FROM chunks c JOIN articles a ON a.article_id = c.article_id"
                f" WHERE c.chunk_id IN ({','.join('?' * len(part))}) AND {where}"
            )
            out.update(r[0] for r in conn.execute(q, [*part, *args]))
        return out

    def term_stats(self, words: Sequence[str]) -> tuple[int, dict[str, int]]:
        """`(chunks in the index, {word: chunks containing it})` for inverse document frequencies."""
        conn = self._conn()
        n = int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
        freqs: dict[str, int] = {}
        for w in words:
            term = '"' + w.replace('"', "") + '"'
            try:
                freqs[w] = int(
                    conn.execute(
                        "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (term,)
                    ).fetchone()[0]
                )
            except sqlite3.OperationalError:
                freqs[w] = 0
        return n, freqs

    def chunk_rows(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Chunk offsets and text with their article's metadata; unknown ids are left out."""
        out: dict[str, dict[str, Any]] = {}
        ids = list(dict.fromkeys(chunk_ids))
        conn = self._conn()
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            q = (
                "SELECT c.chunk_id, c.article_id, c.idx, c.start, c.end, a.title, a.source,"
                " a.published, a.url, substr(a.text, c.start + 1, c.end - c.start) AS text"
                " FROM chunks c JOIN articles a ON a.article_id = c.article_id"
                f" WHERE c.chunk_id IN ({','.join('?' * len(part))})"
            )
            for r in conn.execute(q, part):
                out[r["chunk_id"]] = dict(r)
        return out

    def article_chunks(self, article_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Every chunk of these articles, as `chunk_rows` gives them."""
        return self.chunk_rows(self._chunk_ids_of(list(article_ids)))

    def chunk_embeddings(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        ids = list(dict.fromkeys(chunk_ids))
        conn = self._conn()
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            q = f"SELECT chunk_id, embedding FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})"
            for r in conn.execute(q, part):
                out[r[0]] = np.frombuffer(r[1], dtype=np.float32)
        return out


def _corrupt(exc: sqlite3.DatabaseError) -> Exception:
    # only the plain DatabaseError means a damaged file ("database disk image is malformed",
    # "file is not a database"); its subclasses (a bad FTS5 query, a constraint) are handled
    # where they happen
    if type(exc) is sqlite3.DatabaseError:
        return StoreCorruptError(
            f"the article database is damaged ({exc}); run `newsqa repair` to salvage it"
        )
    return exc


class _Cursor(sqlite3.Cursor):
    """A cursor whose reads turn a damaged database into `StoreCorruptError`."""

    def execute(self, *args: Any) -> _Cursor:  # type: ignore[override]
        try:
            return super().execute(*args)  # type: ignore[return-value]
        except sqlite3.DatabaseError as exc:
            raise _corrupt(exc) from exc

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as exc:
            raise _corrupt(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as exc:
            raise _corrupt(exc) from exc

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.DatabaseError as exc:
            raise _corrupt(exc) from exc


class _Connection(sqlite3.Connection):
    """Connection whose `execute` returns `_Cursor`s (see `_corrupt`)."""

    def execute(self, *args: Any) -> _Cursor:  # type: ignore[override]
        return self.cursor(_Cursor).execute(*args)


def _has_schema(conn: sqlite3.Connection) -> bool:
    """True when every table of the current schema is there (so nothing needs creating)."""
    names = {
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")
    }
    wanted = set(re.findall(r"CREATE (?:VIRTUAL )?(?:TABLE|INDEX) IF NOT EXISTS (\w+)", _SCHEMA))
    if not wanted <= names:
        return False
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return row is not None


def _article(row: sqlite3.Row) -> Article:
    return Article(
        article_id=row["article_id"],
        title=row["title"],
        text=row["text"],
        source=row["source"],
        place=row["place"],
        published=row["published"],
        url=row["url"],
        authors=tuple(json.loads(row["authors"] or "[]")),
        content_hash=row["content_hash"],
        ingested_at=row["ingested_at"],
        origin=row["origin"],
    )


def _db_error(exc: sqlite3.DatabaseError, db: Path) -> Exception:
    msg = str(exc).lower()
    if "readonly" in msg or "read-only" in msg:
        return StoreWriteError(
            f"the store at {db.parent} is read-only ({exc}): newsqa needs write access to its "
            "data directory, even to read it (SQLite's write-ahead log lives there); fix the "
            "permissions or copy the store somewhere writable. Nothing was written"
        )
    if "disk is full" in msg or "disk i/o" in msg:
        return StoreWriteError(
            f"could not write the store at {db.parent} ({exc}; is the disk full?); "
            "nothing was written"
        )
    if "locked" in msg or "busy" in msg:
        return StoreBusyError(f"the store at {db.parent} is busy ({exc}); try again")
    if isinstance(exc, sqlite3.OperationalError) and "no such table" not in msg:
        return StoreWriteError(f"store error at {db}: {exc}")
    return StoreCorruptError(
        f"the article database {db} is unreadable ({exc}); run `newsqa repair`"
    )
