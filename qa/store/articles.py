"""Articles in the store: writing them (with chunks, keyword rows and vectors, all or nothing),
deleting them, near-duplicate records, and reading them back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qa.core.schema import Article, ArticleSummary, Chunk, DuplicateRecord
from qa.store import journal, keyword
from qa.store.database import Database, batches, marks
from qa.store.filters import Filters
from qa.store.vectors import VectorIndex, vector_metadata


@dataclass
class PreparedArticle:
    """An article ready to be written: its chunks, their vectors and its near-duplicate signature."""

    article: Article
    chunks: list[Chunk]
    embeddings: np.ndarray
    minhash: bytes | None = None
    lsh_buckets: list[int] = field(default_factory=list)


# --- writes ------------------------------------------------------------------------------------
def write_articles(db: Database, vectors: VectorIndex, items: Sequence[PreparedArticle]) -> None:
    """Insert or replace articles with their chunks and vectors, all or nothing.

    Replacing an article swaps old chunks for new in one SQLite transaction; the old vectors are
    removed after it. Call under the writer lock.
    """
    if not items:
        return
    ids = [p.article.article_id for p in items]
    old_chunks = chunk_ids_of(db.conn(), ids)
    new_ids = [c.chunk_id for p in items for c in p.chunks]
    op = journal.announce(db, new_ids)
    vecs = np.concatenate([p.embeddings for p in items]).astype(np.float32)
    metas = [
        vector_metadata(p.article.article_id, p.article.source, p.article.published)
        for p in items
        for _ in p.chunks
    ]
    if new_ids:
        vectors.upsert(new_ids, vecs, metas)
    stale = sorted(set(old_chunks) - set(new_ids))
    # a failure from here on (disk full, read-only) leaves the journal row: the next writer
    # removes the vectors. Not undone here: after a failed write Chroma can block the next
    # call in this process
    with db.transaction() as tx:
        delete_rows(tx, ids)
        row = 0
        indexed: list[tuple[int, str, str]] = []
        for p in items:
            _insert(tx, p)
            for c in p.chunks:
                cur = tx.execute(
                    "INSERT INTO chunks(chunk_id, article_id, idx, start, end, embedding)"
                    " VALUES (?,?,?,?,?,?)",
                    (c.chunk_id, c.article_id, c.index, c.start, c.end, vecs[row].tobytes()),
                )
                indexed.append((int(cur.lastrowid or 0), c.text, p.article.title))
                row += 1
        keyword.index_chunks(tx, indexed)
        tx.execute("DELETE FROM journal WHERE op_id = ?", (op,))
        gc = journal.record(tx, stale) if stale else None
    if gc is not None:
        vectors.delete(stale)
        journal.settle(db, gc)


def _insert(tx: sqlite3.Connection, p: PreparedArticle) -> None:
    a = p.article
    tx.execute(
        "INSERT INTO articles(article_id, title, source, place, published, url, authors,"
        " content_hash, text, ingested_at, origin, minhash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
    tx.executemany(
        "INSERT INTO lsh(band, bucket, article_id) VALUES (?,?,?)",
        [(b, bucket, a.article_id) for b, bucket in enumerate(p.lsh_buckets)],
    )


def delete_rows(tx: sqlite3.Connection, article_ids: Sequence[str]) -> None:
    """Delete articles' rows: keyword index, chunks, LSH buckets and the articles (inside `tx`)."""
    keyword.unindex_articles(tx, article_ids)
    for part in batches(article_ids):
        m = marks(part)
        tx.execute(f"DELETE FROM chunks WHERE article_id IN ({m})", part)
        tx.execute(f"DELETE FROM lsh WHERE article_id IN ({m})", part)
        tx.execute(f"DELETE FROM articles WHERE article_id IN ({m})", part)


def add_duplicate(db: Database, article: Article, original_id: str, similarity: float) -> None:
    """Record `article` as a near-duplicate of a stored one (no text, no vectors)."""
    with db.transaction() as tx:
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


def delete_articles(db: Database, vectors: VectorIndex, article_ids: Sequence[str]) -> int:
    """Delete articles (text, chunks, keyword index, vectors and their duplicates records).

    Returns the number of stored articles (not duplicate records) deleted. Call under the
    writer lock.
    """
    ids = list(dict.fromkeys(article_ids))
    chunk_ids = chunk_ids_of(db.conn(), ids)
    with db.transaction() as tx:
        present = [
            r[0]
            for part in batches(ids)
            for r in tx.execute(
                f"SELECT article_id FROM articles WHERE article_id IN ({marks(part)})", part
            )
        ]
        for part in batches(ids):
            m = marks(part)
            tx.execute(
                f"DELETE FROM duplicates WHERE original_id IN ({m}) OR article_id IN ({m})",
                part + part,
            )
        delete_rows(tx, ids)
        op = journal.record(tx, chunk_ids)
    if chunk_ids:
        vectors.delete(chunk_ids)
    journal.settle(db, op)
    return len(present)


# --- reads -------------------------------------------------------------------------------------
def chunk_ids_of(conn: sqlite3.Connection, article_ids: Sequence[str]) -> list[str]:
    """The chunk ids of these articles."""
    out: list[str] = []
    for part in batches(article_ids):
        q = f"SELECT chunk_id FROM chunks WHERE article_id IN ({marks(part)})"
        out.extend(r[0] for r in conn.execute(q, part))
    return out


def article_state(conn: sqlite3.Connection, article_id: str) -> tuple[str, str] | None:
    """`(content_hash, 'article' | 'duplicate')` for a known id, else None."""
    row = conn.execute(
        "SELECT content_hash FROM articles WHERE article_id = ?", (article_id,)
    ).fetchone()
    if row:
        return str(row[0]), "article"
    row = conn.execute(
        "SELECT content_hash FROM duplicates WHERE article_id = ?", (article_id,)
    ).fetchone()
    return (str(row[0]), "duplicate") if row else None


def find_by_hash(conn: sqlite3.Connection, content_hash: str) -> str | None:
    """The id of a stored article with exactly this normalized text, if any."""
    row = conn.execute(
        "SELECT article_id FROM articles WHERE content_hash = ? LIMIT 1", (content_hash,)
    ).fetchone()
    return None if row is None else str(row[0])


def lsh_candidates(conn: sqlite3.Connection, buckets: Sequence[int]) -> list[tuple[str, bytes]]:
    """Stored articles sharing at least one LSH bucket, with their MinHash signatures."""
    if not buckets:
        return []
    cond = " OR ".join("(l.band = ? AND l.bucket = ?)" for _ in buckets)
    args: list[Any] = [x for b, bucket in enumerate(buckets) for x in (b, bucket)]
    rows = conn.execute(
        f"SELECT DISTINCT a.article_id, a.minhash FROM lsh l JOIN articles a "
        f"ON a.article_id = l.article_id WHERE {cond}",
        args,
    ).fetchall()
    return [(str(r[0]), bytes(r[1])) for r in rows if r[1] is not None]


def get_articles(conn: sqlite3.Connection, article_ids: Sequence[str]) -> dict[str, Article]:
    """The stored articles with these ids (unknown ids are left out)."""
    out: dict[str, Article] = {}
    for part in batches(list(dict.fromkeys(article_ids))):
        q = f"SELECT * FROM articles WHERE article_id IN ({marks(part)})"
        for row in conn.execute(q, part):
            out[row["article_id"]] = article_of(row)
    return out


def signatures(conn: sqlite3.Connection, article_ids: Sequence[str]) -> dict[str, bytes]:
    """The near-duplicate (MinHash) signatures of these stored articles, by id."""
    out: dict[str, bytes] = {}
    for part in batches(list(dict.fromkeys(article_ids))):
        q = f"SELECT article_id, minhash FROM articles WHERE article_id IN ({marks(part)})"
        for row in conn.execute(q, part):
            if row[1] is not None:
                out[str(row[0])] = bytes(row[1])
    return out


def duplicates_of(
    conn: sqlite3.Connection, article_ids: Sequence[str]
) -> dict[str, list[DuplicateRecord]]:
    """The near-duplicates recorded for these stored articles (their originals), by original id."""
    out: dict[str, list[DuplicateRecord]] = {}
    for part in batches(list(dict.fromkeys(article_ids))):
        q = (
            "SELECT article_id, original_id, title, source, published, url, similarity"
            f" FROM duplicates WHERE original_id IN ({marks(part)}) ORDER BY ingested_at"
        )
        for d in conn.execute(q, part):
            out.setdefault(d["original_id"], []).append(_duplicate_of(d))
    return out


def _duplicate_of(d: sqlite3.Row) -> DuplicateRecord:
    return DuplicateRecord(
        article_id=d["article_id"],
        title=d["title"],
        source=d["source"],
        published=d["published"],
        url=d["url"],
        similarity=float(d["similarity"]),
    )


def article_of(row: sqlite3.Row) -> Article:
    """An `Article` from a row of the articles table."""
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


def list_articles(
    conn: sqlite3.Connection, filters: Filters | None = None, limit: int | None = None
) -> list[ArticleSummary]:
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
    rows = conn.execute(q, args).fetchall()
    dups: dict[str, list[DuplicateRecord]] = {}
    for d in conn.execute(
        "SELECT article_id, original_id, title, source, published, url, similarity"
        " FROM duplicates ORDER BY ingested_at"
    ):
        dups.setdefault(d["original_id"], []).append(_duplicate_of(d))
    return [
        ArticleSummary(
            article_id=r["article_id"],
            title=r["title"],
            source=r["source"],
            place=r["place"],
            published=r["published"],
            url=r["url"],
            authors=tuple(json.loads(r["authors"] or "[]")),
            content_hash=r["content_hash"],
            ingested_at=r["ingested_at"],
            origin=r["origin"],
            chars=int(r["chars"]),
            chunks=int(r["chunks"]),
            duplicates=tuple(dups.get(r["article_id"], ())),
        )
        for r in rows
    ]


def count_undated(conn: sqlite3.Connection, filters: Filters) -> int:
    """Undated articles that `filters` would keep but for their date range (what it left out)."""
    where, args = filters.without_dates().sql("a")
    q = f"SELECT count(*) FROM articles a WHERE (a.published IS NULL OR a.published = '') AND {where}"
    return int(conn.execute(q, args).fetchone()[0])


def sources(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Every outlet with its article count, largest first."""
    rows = conn.execute(
        "SELECT source, count(*) FROM articles WHERE source IS NOT NULL"
        " GROUP BY lower(source) ORDER BY count(*) DESC, source"
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


def source_keys(conn: sqlite3.Connection, filters: Filters) -> list[str]:
    """The stored outlets (lower case, as the vector metadata holds them) `filters.sources`
    matches."""
    if not filters.sources:
        return []
    where, args = Filters(sources=filters.sources).sql("a")
    rows = conn.execute(f"SELECT DISTINCT a.source FROM articles a WHERE {where}", args)
    return sorted({str(r[0]).lower() for r in rows})
