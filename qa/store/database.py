"""The SQLite side of the store: its schema and version, connections, transactions and errors.

SQLite is the source of truth: article text and metadata, chunks with their embeddings, the
keyword index (`qa.store.keyword`), near-duplicate signatures and the journal of vector writes. The store and its
repair both open, create and write the database through this module.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from qa.core.errors import StoreBusyError, StoreCorruptError, StoreWriteError

SCHEMA_VERSION = 2  # 2: the keyword index in postings tables instead of FTS5

SCHEMA = """
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
CREATE TABLE IF NOT EXISTS keyword_terms (
    term_id INTEGER PRIMARY KEY,
    term    TEXT NOT NULL UNIQUE,
    df      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS keyword_postings (
    term_id INTEGER NOT NULL,
    weight  INTEGER NOT NULL,
    chunk   INTEGER NOT NULL,
    PRIMARY KEY (term_id, weight DESC, chunk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keyword_chunks (chunk INTEGER PRIMARY KEY, terms BLOB NOT NULL);
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

# the tables holding data, in the order a salvage copies them (parents before children)
TABLES = ("meta", "articles", "chunks", "lsh", "duplicates", "journal")
BATCH = 500  # ids per `IN (...)` list

T = TypeVar("T")


def batches(items: Sequence[T], size: int = BATCH) -> Iterator[list[T]]:
    """`items` in lists of at most `size` (SQLite limits the parameters of one statement)."""
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def marks(items: Sequence[object]) -> str:
    """`?,?,?` for an `IN (...)` list of `items`."""
    return ",".join("?" * len(items))


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create whatever table or index of the schema is missing, and record the schema version."""
    conn.executescript(SCHEMA)
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
        (str(SCHEMA_VERSION),),
    )
    if conn.in_transaction:
        conn.commit()


def has_schema(conn: sqlite3.Connection) -> bool:
    """True when every table and index of the schema is there (so nothing needs creating)."""
    names = {
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")
    }
    wanted = set(re.findall(r"CREATE (?:VIRTUAL )?(?:TABLE|INDEX) IF NOT EXISTS (\w+)", SCHEMA))
    if not wanted <= names:
        return False
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return row is not None


def _casefold(value: object) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def connect(
    path: Path, *, readonly: bool = False, autocommit: bool = False, checked: bool = True
) -> sqlite3.Connection:
    """A connection to the database at `path`, rows as `sqlite3.Row`.

    Args:
        readonly: open it read-only (nothing can be written, not even the write-ahead log).
        autocommit: no implicit transactions (`transaction()` begins them explicitly).
        checked: the store's own connection: a damaged file becomes `StoreCorruptError` on any
            read, foreign keys are enforced and `casefold()` is there for outlet filters.
    """
    if readonly:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=30.0)
    else:
        conn = sqlite3.connect(
            path,
            timeout=30.0,
            check_same_thread=False,
            isolation_level=None if autocommit else "DEFERRED",
            factory=CheckedConnection if checked else sqlite3.Connection,
        )
        with contextlib.suppress(sqlite3.OperationalError):
            conn.execute("PRAGMA journal_mode=WAL")  # fails on a read-only directory; reads work
    conn.row_factory = sqlite3.Row
    if checked:
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.create_function("casefold", 1, _casefold, deterministic=True)
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection, db: Path | None = None) -> Iterator[sqlite3.Connection]:
    """One write transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on any error.

    With `db` (the database's path), SQLite errors become newsqa errors that say what to do.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        if db is not None and isinstance(exc, sqlite3.DatabaseError):
            raise database_error(exc, db) from exc
        raise


class Database:
    """The store's database file: one connection per thread, and its transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
        return conn

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A write transaction on this thread's connection (see `transaction`)."""
        return transaction(self.conn(), self.path)

    def meta(self, key: str) -> str | None:
        """A value of the `meta` table (the embedder, the schema version), or None."""
        row = self.conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def count(self, table: str) -> int:
        """Rows in one of the store's tables."""
        return int(self.conn().execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def corrupt_error(exc: sqlite3.DatabaseError) -> Exception:
    """`StoreCorruptError` for a damaged file, else `exc` itself.

    Only the plain DatabaseError means a damaged file ("database disk image is malformed", "file
    is not a database"); its subclasses (a bad FTS5 query, a constraint) are handled where they
    happen.
    """
    if type(exc) is sqlite3.DatabaseError:
        return StoreCorruptError(
            f"the article database is damaged ({exc}); run `newsqa repair` to salvage it"
        )
    return exc


def database_error(exc: sqlite3.DatabaseError, db: Path) -> Exception:
    """The newsqa error for a failed statement on the database at `db`."""
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


class CheckedCursor(sqlite3.Cursor):
    """A cursor whose reads turn a damaged database into `StoreCorruptError`."""

    def execute(self, *args: Any) -> CheckedCursor:  # type: ignore[override]
        try:
            return super().execute(*args)  # type: ignore[return-value]
        except sqlite3.DatabaseError as exc:
            raise corrupt_error(exc) from exc

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as exc:
            raise corrupt_error(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as exc:
            raise corrupt_error(exc) from exc

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.DatabaseError as exc:
            raise corrupt_error(exc) from exc


class CheckedConnection(sqlite3.Connection):
    """A connection whose `execute` returns `CheckedCursor`s."""

    def execute(self, *args: Any) -> CheckedCursor:  # type: ignore[override]
        return self.cursor(CheckedCursor).execute(*args)
