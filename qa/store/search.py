"""Searching the store: dense (vectors) and keyword (BM25) search, filtered inside the index, and
the chunk rows a search's hits are read back as.

A filtered search first asks the index unfiltered for OVERFETCH times as many hits and keeps those
that pass: when at least `k` pass they are exactly the filtered top `k` (anything better would
have been among the unfiltered hits). Only a selective filter falls back to filtering inside the
index, which costs Chroma an allow-list of every passing chunk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np

from qa.core.schema import ChunkRow
from qa.store import keyword, postings
from qa.store.articles import source_keys
from qa.store.database import batches, marks
from qa.store.filters import Filters
from qa.store.vectors import VectorIndex

OVERFETCH = 4


def dense_search(
    conn: sqlite3.Connection,
    vectors: VectorIndex,
    embedding: np.ndarray,
    k: int,
    filters: Filters | None = None,
) -> list[tuple[str, float]]:
    """Nearest chunks by cosine similarity, best first, only those `filters` let through."""
    filters = filters or Filters()
    keys = source_keys(conn, filters)
    if filters.sources and not keys:
        return []  # no stored outlet matches
    where = filters.chroma_where(keys)
    if where is None:
        return vectors.query(embedding, k)
    n = k * OVERFETCH
    kept = filtered_top(conn, vectors.query(embedding, n), k, n, filters)
    if kept is not None:
        return kept
    return vectors.query(embedding, k, where)


def keyword_search(
    conn: sqlite3.Connection, query: str, k: int, filters: Filters | None = None
) -> list[tuple[str, float]]:
    """BM25 over the keyword index: the chunks holding any of the words of `query`, best first
    (higher score is better). Filters are applied as the postings are read.

    Raises:
        StoreCorruptError: the keyword index cannot be read (`newsqa repair` rebuilds it).
    """
    filters = filters or Filters()
    where, args = filters.sql("a")
    if where == "1":
        return postings.top(conn, query, k)

    def accept(rowids: list[int]) -> set[int]:
        out: set[int] = set()
        for part in batches(rowids):
            q = (
                "SELECT c.rowid FROM chunks c JOIN articles a ON a.article_id = c.article_id"
                f" WHERE c.rowid IN ({marks(part)}) AND {where}"
            )
            cur = conn.cursor()  # plain tuples: this runs for every batch of candidates
            cur.row_factory = None
            out.update(r[0] for r in cur.execute(q, [*part, *args]))
        return out

    def scan(limit: int) -> list[int] | None:
        q = (
            "SELECT c.rowid FROM chunks c JOIN articles a ON a.article_id = c.article_id"
            f" WHERE {where} LIMIT ?"
        )
        cur = conn.cursor()
        cur.row_factory = None
        rows = [r[0] for r in cur.execute(q, [*args, limit + 1])]
        return rows if len(rows) <= limit else None

    return postings.top(conn, query, k, accept, scan)


def filtered_top(
    conn: sqlite3.Connection, hits: list[tuple[str, float]], k: int, n: int, filters: Filters
) -> list[tuple[str, float]] | None:
    """The filtered top `k` of `n` unfiltered `hits`, or None when too few pass to be sure."""
    ok = passing(conn, [cid for cid, _ in hits], filters)
    kept = [(cid, score) for cid, score in hits if cid in ok]
    if len(kept) >= k or len(hits) < n:
        return kept[:k]
    return None


def passing(conn: sqlite3.Connection, chunk_ids: Sequence[str], filters: Filters) -> set[str]:
    """The chunks among `chunk_ids` whose article `filters` let through."""
    where, args = filters.sql("a")
    out: set[str] = set()
    for part in batches(chunk_ids):
        q = (
            "SELECT c.chunk_id FROM chunks c JOIN articles a ON a.article_id = c.article_id"
            f" WHERE c.chunk_id IN ({marks(part)}) AND {where}"
        )
        out.update(r[0] for r in conn.execute(q, [*part, *args]))
    return out


def term_stats(conn: sqlite3.Connection, words: Sequence[str]) -> tuple[int, dict[str, int]]:
    """`(chunks in the index, {word: chunks containing it})` for inverse document frequencies."""
    return keyword.doc_freqs(conn, words)


def chunk_rows(conn: sqlite3.Connection, chunk_ids: Sequence[str]) -> dict[str, ChunkRow]:
    """Chunk offsets and text with their article's metadata; unknown ids are left out."""
    out: dict[str, ChunkRow] = {}
    for part in batches(list(dict.fromkeys(chunk_ids))):
        q = (
            "SELECT c.chunk_id, c.article_id, c.idx, c.start, c.end, a.title, a.source,"
            " a.published, a.url, substr(a.text, c.start + 1, c.end - c.start) AS text"
            " FROM chunks c JOIN articles a ON a.article_id = c.article_id"
            f" WHERE c.chunk_id IN ({marks(part)})"
        )
        for r in conn.execute(q, part):
            out[r["chunk_id"]] = ChunkRow(
                chunk_id=r["chunk_id"],
                article_id=r["article_id"],
                index=int(r["idx"]),
                start=int(r["start"]),
                end=int(r["end"]),
                title=r["title"],
                source=r["source"],
                published=r["published"],
                url=r["url"],
                text=r["text"],
            )
    return out


def chunk_embeddings(conn: sqlite3.Connection, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
    """The stored embedding of each chunk (unknown ids are left out)."""
    out: dict[str, np.ndarray] = {}
    for part in batches(list(dict.fromkeys(chunk_ids))):
        q = f"SELECT chunk_id, embedding FROM chunks WHERE chunk_id IN ({marks(part)})"
        for r in conn.execute(q, part):
            out[r[0]] = np.frombuffer(r[1], dtype=np.float32)
    return out
