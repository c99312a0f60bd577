"""The keyword index: SQLite FTS5 over chunk text and titles, BM25 ranked; its health and rebuild.

It is derived data (every row comes from `articles` and `chunks`), so a broken or stale index is
rebuilt whole by `newsqa repair`; until then it is reported (`Store.stats`, `check`) and a search
that hits it raises instead of finding nothing.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.core.errors import StoreCorruptError

# BM25 weights of the two columns: the chunk text counts twice the title
_BM25 = "bm25(chunks_fts, 1.0, 0.5)"
# what SQLite says about a MATCH expression it cannot parse (the query's fault, not the index's)
_SYNTAX = ("fts5: syntax error", "unterminated string", "unknown special query", "no such column")


def insert_row(tx: sqlite3.Connection, rowid: int, text: str, title: str) -> None:
    """Index one chunk (its rowid in `chunks`) with its article's title."""
    tx.execute("INSERT INTO chunks_fts(rowid, text, title) VALUES (?,?,?)", (rowid, text, title))


def top(conn: sqlite3.Connection, match: str, n: int) -> list[tuple[str, float]]:
    """The `n` best chunks for the FTS5 query `match`: `(chunk_id, score)`, higher is better.

    Raises:
        StoreCorruptError: the index cannot be read (a MATCH SQLite cannot parse finds nothing).
    """
    return _hits(
        conn,
        "SELECT c.chunk_id, f.score FROM ("
        f" SELECT rowid, -{_BM25} AS score FROM chunks_fts"
        f" WHERE chunks_fts MATCH ? ORDER BY {_BM25} LIMIT ?) f"
        " JOIN chunks c ON c.rowid = f.rowid ORDER BY f.score DESC",
        [match, n],
    )


def top_where(
    conn: sqlite3.Connection, match: str, k: int, where: str, args: Sequence[Any]
) -> list[tuple[str, float]]:
    """`top` among the chunks whose article passes the SQL condition `where` (alias `a`)."""
    return _hits(
        conn,
        f"SELECT c.chunk_id, -{_BM25} AS score FROM chunks_fts"
        " JOIN chunks c ON c.rowid = chunks_fts.rowid"
        " JOIN articles a ON a.article_id = c.article_id"
        f" WHERE chunks_fts MATCH ? AND {where}"
        f" ORDER BY {_BM25} LIMIT ?",
        [match, *args, k],
    )


def containing(conn: sqlite3.Connection, word: str) -> int:
    """How many chunks contain `word` (for inverse document frequencies)."""
    term = '"' + word.replace('"', "") + '"'
    rows = _rows(conn, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", [term])
    return int(rows[0][0]) if rows else 0


def _hits(conn: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[tuple[str, float]]:
    return [(str(r[0]), float(r[1])) for r in _rows(conn, sql, args)]


def _rows(conn: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[Any]:
    """Run a MATCH query. One SQLite cannot parse finds nothing (the query's fault, not the
    index's); any other SQLite error means the index is broken: `StoreCorruptError`."""
    try:
        rows = conn.execute(sql, list(args)).fetchall()
    except sqlite3.OperationalError as exc:
        if str(exc).lower().startswith(_SYNTAX):
            return []
        raise StoreCorruptError(
            f"the keyword index cannot be searched ({exc}); run `newsqa repair` to rebuild it"
        ) from exc
    return rows


def problem(conn: sqlite3.Connection, *, thorough: Path | None = None) -> str | None:
    """What is wrong with the keyword index, or None: row counts and one probe search, and
    with `thorough` (the database's path) FTS5's own integrity check as well."""
    try:
        fts = int(conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0])
        chunks = int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
        missing = int(
            conn.execute(
                "SELECT count(*) FROM chunks c WHERE NOT EXISTS "
                "(SELECT 1 FROM chunks_fts f WHERE f.rowid = c.rowid)"
            ).fetchone()[0]
        )
        conn.execute("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH 'newsqa' LIMIT 1")
    except sqlite3.DatabaseError as exc:
        return f"the keyword index cannot be read ({exc})"
    broken = integrity(thorough) if thorough is not None else ""
    if fts != chunks or missing or broken:
        return f"the keyword index has {fts} row(s) for {chunks} chunk(s){broken}"
    return None


def integrity(path: Path) -> str:
    """FTS5's own integrity check of the database at `path`; "" when fine or when it cannot run.

    It is a write statement to SQLite, so it runs on a connection of its own inside a
    transaction that is rolled back.
    """
    try:
        rw = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    except sqlite3.Error:
        return ""
    try:
        rw.execute("BEGIN")
        rw.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")
        return ""
    except sqlite3.DatabaseError as exc:
        msg = str(exc)
        return "" if "readonly" in msg or "locked" in msg else f" (FTS5 integrity check: {msg})"
    finally:
        with contextlib.suppress(sqlite3.Error):
            rw.execute("ROLLBACK")
        rw.close()


def rebuild(tx: sqlite3.Connection) -> None:
    """Rebuild the whole index from the stored articles and chunks (inside `tx`)."""
    tx.execute("DELETE FROM chunks_fts")
    tx.execute(
        "INSERT INTO chunks_fts(rowid, text, title) SELECT c.rowid,"
        " substr(a.text, c.start + 1, c.end - c.start), a.title"
        " FROM chunks c JOIN articles a ON a.article_id = c.article_id"
    )
