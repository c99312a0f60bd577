"""Safe writes: the one-writer OS lock, and the journal that announces vector writes before them.

Chroma cannot share SQLite's transactions, so every vector write is announced first in the
`journal` table: the ids about to be written or removed. A write commits the SQLite side in one
transaction, then clears its journal row. After a crash at any point, the next writer replays the
journal: vectors whose chunk is not in SQLite are deleted. The lock is an OS file lock: it dies
with its process, so a killed ingest never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from qa.core.errors import StoreBusyError, StoreWriteError
from qa.store.database import Database, batches, marks

LOCK_FILE = "write.lock"


@contextlib.contextmanager
def writer_lock(data_dir: Path, *, wait: float, then: str) -> Iterator[None]:
    """Hold the store's writer lock: one writing process at a time.

    Args:
        data_dir: the store's folder (the lock file lives there).
        wait: seconds to wait for another writer to finish (0: do not wait).
        then: what the busy message tells the user to do next.

    Raises:
        StoreBusyError: another process held the lock for `wait` seconds.
        StoreWriteError: the lock file cannot be created.
    """
    try:
        fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreWriteError(f"cannot write in {data_dir}: {exc}") from exc
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"another newsqa process is writing to {data_dir}; {then}"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)


def lock_state(data_dir: Path) -> str:
    """Whether another process holds the writer lock, in words (for `check`)."""
    lock = data_dir / LOCK_FILE
    if not lock.exists():
        return "no writer lock file"
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError as exc:
        return f"cannot open the writer lock: {exc}"
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return "the writer lock is free (a lock left by a killed process is released with it)"
    except BlockingIOError:
        return "another newsqa process is writing right now (writer lock held)"
    finally:
        os.close(fd)


def announce(db: Database, ids: Sequence[str]) -> int:
    """Record, in its own transaction, the vector ids a write is about to touch; its op id."""
    with db.transaction() as tx:
        return record(tx, ids)


def record(tx: sqlite3.Connection, ids: Sequence[str]) -> int:
    """`announce` inside a transaction the caller holds."""
    cur = tx.execute("INSERT INTO journal(ids) VALUES (?)", (json.dumps(list(ids)),))
    return int(cur.lastrowid or 0)


def settle(db: Database, op: int) -> None:
    """The write `op` finished (or was undone): forget it."""
    with db.transaction() as tx:
        tx.execute("DELETE FROM journal WHERE op_id = ?", (op,))


def pending_ids(conn: sqlite3.Connection) -> set[str]:
    """Every vector id of a write that has not settled."""
    return {i for r in conn.execute("SELECT ids FROM journal") for i in json.loads(r[0])}


def replay(db: Database, vectors: Any) -> int:
    """Finish or undo vector writes interrupted by a crash. Returns the vectors removed."""
    conn = db.conn()
    rows = conn.execute("SELECT op_id, ids FROM journal ORDER BY op_id").fetchall()
    removed = 0
    for row in rows:
        ids = json.loads(row["ids"])
        known = stored_chunk_ids(conn, ids)
        orphans = [i for i in ids if i not in known]
        # delete only what is there: after a failed write (disk full) there is often nothing
        present = sorted(vectors.existing(orphans)) if orphans else []
        if present:
            vectors.delete(present)
            removed += len(present)
        settle(db, int(row["op_id"]))
    return removed


def stored_chunk_ids(conn: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
    """Which of `ids` are chunks in the database."""
    known: set[str] = set()
    for part in batches(ids):
        q = f"SELECT chunk_id FROM chunks WHERE chunk_id IN ({marks(part)})"
        known.update(r[0] for r in conn.execute(q, part))
    return known
