"""Searching the keyword index: the top k chunks for a question's words by BM25, read from the
impact-ordered postings of `qa.store.keyword` without scoring every match.

A search reads the heaviest lists first, a block at a time, sums lower bounds, and stops as soon
as no chunk it has not seen can beat the k-th best (Fagin's threshold algorithm); the chunks that
may still be in the top k are then scored exactly from their term lists. That is the same top k
as scoring every match. After READ_BUDGET postings (a question of many common words) it returns
the exactly scored best of what it read instead of reading every list to the end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import numpy as np

from qa.core.errors import StoreCorruptError
from qa.store.database import batches, marks
from qa.store.keyword import indexed
from qa.store.terms import MAX_WEIGHT, SCALE, idf, query_terms

FIRST_BLOCK = 128  # postings read per term in the first round; doubled each round
MAX_BLOCK = 16384
HEAVY = 0.5  # after the first round, read the lists whose idf x floor is at least this share of
# the largest: the bar falls fastest there (a common word's long list is read last, if at all)
EXACT_AT_MOST = 256  # chunks scored from their term lists at once; more: read on first
MAX_TERMS = 64  # query terms searched (the rarest), one bit each
READ_BUDGET = 4_096  # postings read before settling for the best of what was read
SCAN_MAX = 2_000  # a filter that passes at most this many chunks: score them all instead

Accept = Callable[[list[int]], set[int]]
Scan = Callable[[int], "list[int] | None"]


def top(
    conn: sqlite3.Connection,
    query: str,
    k: int,
    accept: Accept | None = None,
    scan: Scan | None = None,
) -> list[tuple[str, float]]:
    """The `k` best chunks for the words of `query` by BM25 (any of the words may match):
    `(chunk_id, score)`, best first.

    Args:
        accept: keeps the chunk rowids that pass a filter (None: every chunk passes).
        scan: every chunk rowid that passes the filter, or None when more than the limit
            given pass; a selective filter is searched by scoring the chunks it passes, once
            reading postings best-first has taken long.

    Raises:
        StoreCorruptError: the index cannot be read.
    """
    try:
        hits = _top(conn, query_terms(query), k, accept, scan)
        return _with_ids(conn, hits)
    except sqlite3.DatabaseError as exc:
        raise StoreCorruptError(
            f"the keyword index cannot be searched ({exc}); run `newsqa repair` to rebuild it"
        ) from exc


def _top(
    conn: sqlite3.Connection,
    words: list[str],
    k: int,
    accept: Accept | None,
    scan: Scan | None,
) -> list[tuple[int, float]]:
    """The threshold search. Scores are summed from the postings as they are read (a lower
    bound); a chunk not yet seen in a list may still gain at most that list's current weight
    (its floor) times the term's idf. Reading stops when no unseen chunk can beat the k-th best
    lower bound; the chunks that might still be in the top k are then filtered and scored
    exactly, and reading goes on if that lowered the bar."""
    if not words or k < 1:
        return []
    n = indexed(conn)
    found: dict[int, float] = {}
    for part in batches(words):
        q = f"SELECT term_id, df FROM keyword_terms WHERE term IN ({marks(part)})"
        found.update((int(tid), idf(int(df), n)) for tid, df in conn.execute(q, part))
    if not found:
        return []
    tids = sorted(found, key=lambda t: -found[t])[:MAX_TERMS]  # a question rarely has more
    idfs = np.array([found[t] for t in tids]) / SCALE
    scorer = _Scorer(conn, {t: found[t] for t in tids})
    c = _Candidates()
    cursors: list[_Postings | None] = [_Postings(conn, t) for t in tids]
    floor = np.full(len(tids), float(MAX_WEIGHT))
    blocks = [FIRST_BLOCK] * len(tids)  # per list, doubled each time it is read
    read, ready, first_done = 0, False, False
    while True:
        if not ready:  # read on in the lists that hold the bar up most
            weight = idfs * floor
            top_weight = max(weight[i] for i, cur in enumerate(cursors) if cur is not None)
            for i, cur in enumerate(cursors):
                if cur is None or (first_done and weight[i] < HEAVY * top_weight):
                    continue
                weights_read, chunks = cur.read(blocks[i])
                read += len(chunks)
                at = c.add(chunks)
                c.score[at] += np.where(c.exact[at], 0.0, idfs[i] * weights_read)
                c.seen[at] |= np.uint64(1 << i)
                if len(chunks) < blocks[i]:
                    cursors[i] = None
                    floor[i] = 0.0
                else:
                    floor[i] = weights_read.min()
                blocks[i] = min(2 * blocks[i], MAX_BLOCK)
            first_done = True
        open_ = [i for i, cur in enumerate(cursors) if cur is not None]
        bound = float(sum(idfs[i] * floor[i] for i in open_))  # best a chunk not seen has
        live = np.flatnonzero(~c.rejected[: c.count])  # candidates, by their place in `c`
        if len(live) < k and open_:
            ready = False
            continue
        kth = float(np.partition(c.score[live], -k)[-k]) if len(live) >= k else 0.0
        if bound > kth and open_:
            if read < READ_BUDGET:
                ready = False
                continue
            if accept is not None and scan is not None and len(live):
                sample = c.ids[live[np.argsort(-c.score[live])[: 4 * k]]].tolist()
                share = len(accept(sample)) / len(sample)
                if share * n <= SCAN_MAX:  # a selective filter: score what it passes
                    passing = scan(SCAN_MAX)
                    if passing is not None:
                        return _scan(scorer, passing, k)
            return _best_read(scorer, c.ids[live], c.score[live], k, accept)
        missing = np.zeros(len(live))  # what each could still gain from lists not read out
        for i in open_:
            missing += np.where(c.seen[live] & np.uint64(1 << i), 0.0, idfs[i] * floor[i])
        maybe = c.score[live] + missing >= kth
        contenders, gain = live[maybe], missing[maybe]
        if accept is not None:
            unchecked = contenders[~c.checked[contenders]]
            if len(unchecked):
                c.checked[unchecked] = True
                ok = accept(c.ids[unchecked].tolist())
                out = np.array([x not in ok for x in c.ids[unchecked].tolist()], dtype=bool)
                if out.any():
                    c.rejected[unchecked[out]] = True
                    ready = True  # the bar may drop: look again before reading on
                    continue
        inexact = contenders[gain > 0]
        if len(inexact) > EXACT_AT_MOST and open_:
            ready = False  # reading on lowers the floors, and so the contenders, for less
            continue
        if len(inexact):
            ids, scores = scorer.score(c.ids[inexact])
            c.score[inexact] = 0.0  # a chunk gone since it was read scores nothing
            c.score[c.add(ids)] = scores
            c.exact[inexact] = True
            c.seen[inexact] = np.uint64(2**64 - 1)  # nothing left to gain
            ready = True
            continue
        order = np.lexsort((c.ids[contenders], -c.score[contenders]))[:k]
        return [(int(c.ids[contenders[j]]), float(c.score[contenders[j]])) for j in order]


class _Candidates:
    """The chunks a search has met, each at a place in arrays that grow with them (not with
    the index): its rowid, score so far, the lists it was seen in, and its filter state."""

    def __init__(self) -> None:
        self.count = 0
        self.place: dict[int, int] = {}
        self.ids = np.zeros(1024, dtype=np.int64)
        self.score = np.zeros(1024)
        self.seen = np.zeros(1024, dtype=np.uint64)  # bit i: seen in term i's postings
        self.rejected = np.zeros(1024, dtype=bool)
        self.checked = np.zeros(1024, dtype=bool)
        self.exact = np.zeros(1024, dtype=bool)  # scored from its term list: reading adds nothing

    def add(self, chunks: np.ndarray) -> np.ndarray:
        """The places of `chunks` (rowids), new ones added."""
        place = self.place
        at = np.fromiter(
            (place.setdefault(x, len(place)) for x in chunks.tolist()), np.int64, len(chunks)
        )
        if len(place) > len(self.ids):
            size = max(2 * len(self.ids), len(place))
            for name in ("ids", "score", "seen", "rejected", "checked", "exact"):
                old = getattr(self, name)
                grown = np.zeros(size, dtype=old.dtype)
                grown[: len(old)] = old
                setattr(self, name, grown)
        self.ids[at] = chunks
        self.count = len(place)
        return at


class _Postings:
    """One term's postings, read best first a block at a time (a keyset on the primary key, and
    each block as two comma lists: no Python object per posting)."""

    def __init__(self, conn: sqlite3.Connection, term_id: int) -> None:
        self.conn = conn
        self.term_id = term_id
        self.last: tuple[int, int] | None = None  # (weight, chunk) of the last posting read

    def read(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next `n` postings (fewer at the end): `(weights, chunks)`, in any order."""
        if self.last is None:
            where, args = "term_id = ?", [self.term_id]
        else:
            w, c = self.last
            where = "term_id = ? AND weight <= ? AND (weight < ? OR chunk > ?)"
            args = [self.term_id, w, w, c]
        row = (
            _raw(self.conn)
            .execute(
                "SELECT group_concat(weight), group_concat(chunk) FROM (SELECT weight, chunk"
                f" FROM keyword_postings WHERE {where} ORDER BY weight DESC, chunk LIMIT ?)",
                [*args, n],
            )
            .fetchone()
        )
        if row is None or row[0] is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        weights = np.array(row[0].split(","), dtype=np.int64)
        chunks = np.array(row[1].split(","), dtype=np.int64)
        low = weights.min()
        self.last = (int(low), int(chunks[weights == low].max()))
        return weights, chunks


def _best_read(
    scorer: _Scorer, ids: np.ndarray, sums: np.ndarray, k: int, accept: Accept | None
) -> list[tuple[int, float]]:
    """The top `k` by exact score among the chunks `ids` with the best `sums` over the
    postings read: what the search returns when the bar was not reached within READ_BUDGET
    postings (a question of many common words), instead of reading every list to the end."""
    order = ids[np.lexsort((ids, -sums))]
    kept: list[np.ndarray] = []
    found = 0
    for start in range(0, len(order), 4 * k):
        part = order[start : start + 4 * k]
        if accept is not None:
            ok = accept(part.tolist())
            part = part[np.array([c in ok for c in part.tolist()], dtype=bool)]
        kept.append(part)
        found += len(part)
        if found >= 4 * k or (accept is None and found >= k):
            break
    got, scores = scorer.score(np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64))
    top = np.lexsort((got, -scores))[:k]
    return [(int(got[j]), float(scores[j])) for j in top]


def _scan(scorer: _Scorer, rowids: list[int], k: int) -> list[tuple[int, float]]:
    """Score every chunk in `rowids` (the chunks a selective filter passes); the best `k`."""
    ids, scores = scorer.score(np.array(rowids, dtype=np.int64))
    keep = scores > 0
    ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:k]
    return [(int(ids[j]), float(scores[j])) for j in order]


class _Scorer:
    """Exact BM25 scores of chunks for one query, from their `keyword_chunks` rows."""

    def __init__(self, conn: sqlite3.Connection, w: dict[int, float]) -> None:
        self.conn = conn
        self.tids = np.array(sorted(w), dtype=np.int64)
        self.w = np.array([w[int(t)] for t in self.tids], dtype=np.float64) / SCALE

    def score(self, rowids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`(rowids found, their scores)`; rows gone since are left out."""
        ids: list[int] = []
        sums: list[np.ndarray] = []
        for part in batches(rowids.tolist()):
            q = f"SELECT chunk, terms FROM keyword_chunks WHERE chunk IN ({marks(part)})"
            rows = _raw(self.conn).execute(q, part).fetchall()
            if not rows:
                continue
            pairs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.int32).reshape(-1, 2)
            owner = np.repeat(np.arange(len(rows)), [len(r[1]) // 8 for r in rows])
            pos = np.minimum(np.searchsorted(self.tids, pairs[:, 0]), len(self.tids) - 1)
            hit = self.tids[pos] == pairs[:, 0]
            contrib = np.where(hit, self.w[pos] * pairs[:, 1], 0.0)
            sums.append(np.bincount(owner, weights=contrib, minlength=len(rows)))
            ids.extend(int(r[0]) for r in rows)
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.array(ids, dtype=np.int64), np.concatenate(sums)


def _with_ids(conn: sqlite3.Connection, hits: list[tuple[int, float]]) -> list[tuple[str, float]]:
    """`(chunk_id, score)` for `(rowid, score)`, in the same order (rows gone since are left out)."""
    ids: dict[int, str] = {}
    for part in batches([r for r, _ in hits]):
        q = f"SELECT rowid, chunk_id FROM chunks WHERE rowid IN ({marks(part)})"
        ids.update((int(r[0]), str(r[1])) for r in _raw(conn).execute(q, part))
    return [(ids[r], s) for r, s in hits if r in ids]


def _raw(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A plain cursor with tuple rows: bulk reads without the per-row cost of the store's
    checked cursors and `sqlite3.Row` (errors are turned into newsqa errors by the caller)."""
    cur = conn.cursor()  # the plain sqlite3.Cursor class, whatever `execute` returns
    cur.row_factory = None
    return cur
