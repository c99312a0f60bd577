"""The keyword index: BM25 over impact-ordered postings in SQLite; its writes, health and rebuild
(the search is `qa.store.postings`).

Three tables, written in the same transaction as the chunks they index (so a crash never leaves
them out of step, and the writer lock and journal cover them as they cover the rest):

- `keyword_terms(term_id, term, df)`: the vocabulary (`qa.store.terms`) with document frequencies;
- `keyword_postings(term_id, weight, chunk)`: one row per term and chunk, its primary key sorted by
  weight, highest first, so a term's best chunks are read first (an index seek, no scan);
- `keyword_chunks(chunk, terms)`: each chunk's terms and weights (int32 pairs), to score a chunk
  at once and to remove its postings.

`qa.store.postings` reads them best-first to find the top k without scoring every match. The
number of chunks indexed is kept in `meta` (`keyword_chunks`).

It is derived data (every row comes from `articles` and `chunks`), so a broken or stale index is
rebuilt whole by `newsqa repair`; until then it is reported (`Store.stats`, `check`) and a search
that hits it raises instead of finding nothing.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from itertools import chain, repeat
from pathlib import Path

import numpy as np

from qa.core.errors import StoreCorruptError
from qa.store.database import batches, marks, transaction
from qa.store.terms import query_terms, weights

COUNT_KEY = "keyword_chunks"  # meta row: chunks in the index (N of the idf)


# --- writes ------------------------------------------------------------------------------------
def index_chunks(tx: sqlite3.Connection, rows: Sequence[tuple[int, str, str]]) -> None:
    """Index chunks, given as `(rowid in chunks, text, article title)` (inside `tx`)."""
    if not rows:
        return
    per_chunk = [(rowid, weights(text, title)) for rowid, text, title in rows]
    df: Counter[str] = Counter(t for _, w in per_chunk for t in w)
    ids = _term_ids(tx, list(df))
    tx.executemany(
        "UPDATE keyword_terms SET df = df + ? WHERE term_id = ?",
        [(n, ids[t]) for t, n in df.items()],
    )
    postings: list[tuple[int, int, int]] = []  # (term id, -weight, chunk): sorts in key order
    forward: list[tuple[int, bytes]] = []
    for rowid, w in per_chunk:
        tids = [ids[t] for t in w]
        postings.extend(zip(tids, [-v for v in w.values()], repeat(rowid)))
        pairs = np.fromiter(
            chain.from_iterable(zip(tids, w.values(), strict=True)), np.int32, 2 * len(w)
        )
        forward.append((rowid, pairs.tobytes()))
    postings.sort()  # in key order, so each b-tree page is visited once
    tx.executemany(
        "INSERT INTO keyword_postings(term_id, weight, chunk) VALUES (?, -?, ?)", postings
    )
    tx.executemany("INSERT INTO keyword_chunks(chunk, terms) VALUES (?,?)", forward)
    _add_count(tx, len(rows))


def _term_ids(tx: sqlite3.Connection, terms: list[str]) -> dict[str, int]:
    """The ids of `terms`, adding the new ones to the vocabulary (with df 0)."""
    ids = _lookup(tx, terms)
    new = [t for t in terms if t not in ids]
    if new:
        tx.executemany("INSERT INTO keyword_terms(term, df) VALUES (?, 0)", [(t,) for t in new])
        ids.update(_lookup(tx, new))
    return ids


def _lookup(conn: sqlite3.Connection, terms: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in batches(terms):
        q = f"SELECT term, term_id FROM keyword_terms WHERE term IN ({marks(part)})"
        out.update((str(r[0]), int(r[1])) for r in conn.execute(q, part))
    return out


def _add_count(tx: sqlite3.Connection, n: int) -> None:
    tx.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE"
        " SET value = CAST(CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER) AS TEXT)",
        (COUNT_KEY, str(n)),
    )


def unindex_articles(tx: sqlite3.Connection, article_ids: Sequence[str]) -> None:
    """Remove the chunks of these articles from the index (inside `tx`, before the chunks)."""
    for part in batches(article_ids):
        rows = tx.execute(
            "SELECT k.chunk, k.terms FROM keyword_chunks k JOIN chunks c ON c.rowid = k.chunk"
            f" WHERE c.article_id IN ({marks(part)})",
            part,
        ).fetchall()
        if not rows:
            continue
        postings = []
        df: Counter[int] = Counter()
        for chunk, blob in rows:
            for tid, w in np.frombuffer(blob, dtype=np.int32).reshape(-1, 2).tolist():
                postings.append((tid, w, chunk))
                df[tid] += 1
        tx.executemany(
            "DELETE FROM keyword_postings WHERE term_id = ? AND weight = ? AND chunk = ?", postings
        )
        tx.executemany(
            "UPDATE keyword_terms SET df = df - ? WHERE term_id = ?",
            [(n, t) for t, n in df.items()],
        )
        gone = list(df)
        for ids in batches(gone):
            tx.execute(
                f"DELETE FROM keyword_terms WHERE df <= 0 AND term_id IN ({marks(ids)})", ids
            )
        chunks = [r[0] for r in rows]
        tx.execute(f"DELETE FROM keyword_chunks WHERE chunk IN ({marks(chunks)})", chunks)
        _add_count(tx, -len(rows))


def indexed(conn: sqlite3.Connection) -> int:
    """How many chunks the index holds."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (COUNT_KEY,)).fetchone()
    return int(row[0]) if row else 0


def doc_freqs(conn: sqlite3.Connection, words: Sequence[str]) -> tuple[int, dict[str, int]]:
    """`(chunks indexed, {word: chunks containing it})`; a word of several terms counts its
    rarest, a function word 0."""
    terms = {w: query_terms(w) for w in words}
    try:
        n = indexed(conn)
        known = _df(conn, sorted({t for ts in terms.values() for t in ts}))
    except sqlite3.DatabaseError as exc:
        raise StoreCorruptError(
            f"the keyword index cannot be read ({exc}); run `newsqa repair` to rebuild it"
        ) from exc
    return n, {w: min((known.get(t, 0) for t in ts), default=0) for w, ts in terms.items()}


def _df(conn: sqlite3.Connection, terms: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in batches(terms):
        q = f"SELECT term, df FROM keyword_terms WHERE term IN ({marks(part)})"
        out.update((str(r[0]), int(r[1])) for r in conn.execute(q, part))
    return out


# --- health and rebuild ------------------------------------------------------------------------
def problem(conn: sqlite3.Connection, *, thorough: Path | None = None) -> str | None:
    """What is wrong with the keyword index, or None: row counts and one probe search, and with
    `thorough` (the database's path, for `check`) the postings against the chunks' term lists."""
    try:
        chunks = int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
        rows = int(conn.execute("SELECT count(*) FROM keyword_chunks").fetchone()[0])
        missing = int(
            conn.execute(
                "SELECT count(*) FROM chunks c WHERE NOT EXISTS "
                "(SELECT 1 FROM keyword_chunks k WHERE k.chunk = c.rowid)"
            ).fetchone()[0]
        )
        count = indexed(conn)
        conn.execute("SELECT weight, chunk FROM keyword_postings LIMIT 1").fetchall()
        conn.execute("SELECT term, df FROM keyword_terms LIMIT 1").fetchall()
        broken = _postings_problem(conn) if thorough is not None else ""
    except sqlite3.DatabaseError as exc:
        return f"the keyword index cannot be read ({exc})"
    if rows != chunks or missing or count != chunks or broken:
        return f"the keyword index has {rows} row(s) for {chunks} chunk(s){broken}"
    return None


def _postings_problem(conn: sqlite3.Connection) -> str:
    """Postings and document frequencies against the chunks' term lists ("" when they agree)."""
    pairs = 0
    df: Counter[int] = Counter()
    for (blob,) in conn.execute("SELECT terms FROM keyword_chunks"):
        tids = np.frombuffer(blob, dtype=np.int32)[0::2]
        pairs += len(tids)
        df.update(tids.tolist())
    postings = int(conn.execute("SELECT count(*) FROM keyword_postings").fetchone()[0])
    stored = {int(t): int(n) for t, n in conn.execute("SELECT term_id, df FROM keyword_terms")}
    if postings != pairs:
        return f" ({postings} postings for {pairs} chunk terms)"
    if any(stored.get(t) != n for t, n in df.items()):
        return " (document frequencies out of step)"
    return ""


def rebuild(tx: sqlite3.Connection) -> None:
    """Rebuild the whole index from the stored articles and chunks (inside `tx`)."""
    tx.execute("DROP TABLE IF EXISTS chunks_fts")  # the FTS5 index of stores before 2026-12
    for table in ("keyword_postings", "keyword_chunks", "keyword_terms"):
        tx.execute(f"DELETE FROM {table}")
    tx.execute("DELETE FROM meta WHERE key = ?", (COUNT_KEY,))
    _add_count(tx, 0)
    cur = tx.execute(
        "SELECT c.rowid, substr(a.text, c.start + 1, c.end - c.start), a.title"
        " FROM chunks c JOIN articles a ON a.article_id = c.article_id ORDER BY c.rowid"
    )
    while rows := cur.fetchmany(5000):
        index_chunks(tx, [(int(r[0]), str(r[1]), str(r[2])) for r in rows])


def upgrade(conn: sqlite3.Connection) -> bool:
    """Build the index of a store written before it existed (FTS5 then); True when it did.

    Runs in its own write transaction; another process doing the same waits, then finds it done.
    """

    def stale() -> bool:
        fts = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'chunks_fts'").fetchone()
        have = conn.execute("SELECT 1 FROM meta WHERE key = ?", (COUNT_KEY,)).fetchone()
        return fts is not None or have is None

    if not stale():
        return False
    with transaction(conn):
        if not stale():
            return False
        rebuild(conn)
    return True
