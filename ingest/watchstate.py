"""What `newsqa watch` remembers between polls, in `<data dir>/watch.db` (SQLite, its own file):
each source's schedule and health (last poll, next poll, last error, articles added, the HTTP
validators for a conditional GET), the feed entries and files already read, and whether a
watcher is running.

It sits beside the article store, not inside it: polling writes here every round, and a write
to the article database would make every reader reopen its vectors (`qa.store.shared_store`).
Losing the file loses nothing stored: the next round reads the sources again and finds their
articles unchanged.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.core.errors import StoreWriteError
from qa.core.settings import Settings

STATE_FILE = "watch.db"
BEAT_EVERY = 15.0  # seconds between a running watcher's heartbeats
ALIVE_FOR = 4 * BEAT_EVERY  # a heartbeat older than this: the watcher is not running

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    source        TEXT PRIMARY KEY,
    kind          TEXT,
    every         REAL NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    last_poll     REAL,
    next_poll     REAL,
    last_ok       REAL,
    last_error    TEXT,
    failures      INTEGER NOT NULL DEFAULT 0,
    added         INTEGER NOT NULL DEFAULT 0,
    last_result   TEXT,
    etag          TEXT,
    last_modified TEXT,
    body_hash     TEXT
);
CREATE TABLE IF NOT EXISTS seen (
    source      TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 1,
    at          REAL NOT NULL,
    PRIMARY KEY (source, key)
);
CREATE TABLE IF NOT EXISTS watcher (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    pid     INTEGER NOT NULL,
    host    TEXT NOT NULL,
    started REAL NOT NULL,
    beat    REAL NOT NULL,
    stopped REAL
);
"""


@dataclass(frozen=True)
class SourceState:
    """One watched source as the last poll left it (times are Unix seconds)."""

    source: str
    kind: str | None  # "feed", "page", "folder" or "file"; None before the first good poll
    every: float
    active: bool  # polled by the current (or last) watcher
    last_poll: float | None
    next_poll: float | None
    last_ok: float | None
    last_error: str | None  # None when the last poll went well
    failures: int  # polls in a row that failed
    added: int  # articles ingested or updated from this source, all rounds
    last_result: str | None  # the last poll's counts, in words
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None

    def health(self, now: float, watching: bool) -> str:
        """In a word: "ok", "failing" (the last poll failed), "overdue" (a poll is late, or
        no watcher runs), "waiting" (never polled yet) or "inactive" (no longer watched)."""
        if not self.active:
            return "inactive"
        if self.last_error:
            return "failing"
        late = self.next_poll is not None and now > self.next_poll + max(60.0, 0.5 * self.every)
        if not watching or late:
            return "overdue"
        return "ok" if self.last_poll is not None else "waiting"


@dataclass(frozen=True)
class WatcherState:
    """The watcher process of a data directory, as its heartbeat tells."""

    pid: int
    host: str
    started: float
    beat: float
    stopped: float | None

    def running(self, now: float | None = None) -> bool:
        """True while the watcher has not stopped and its heartbeat is fresh."""
        now = time.time() if now is None else now
        return self.stopped is None and now - self.beat <= ALIVE_FOR


@dataclass(frozen=True)
class WatchStatus:
    """The health of the watch on one data directory: the watcher and each source."""

    watcher: WatcherState | None
    sources: tuple[SourceState, ...]


class WatchState:
    """The watch state file of one data directory; open it with `WatchState(settings)`."""

    def __init__(self, settings: Settings, *, create: bool = True) -> None:
        self.path = Path(settings.data_dir) / STATE_FILE
        if create:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreWriteError(f"cannot create {self.path.parent}: {exc}") from exc
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=30.0, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            if create:
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreWriteError(
                f"cannot open the watch state {self.path} ({exc}); delete the file to start the "
                "watch afresh (stored articles are not in it)"
            ) from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> WatchState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            with self.conn:
                yield self.conn
        except sqlite3.Error as exc:
            raise StoreWriteError(f"cannot write the watch state {self.path}: {exc}") from exc

    # --- sources ---------------------------------------------------------------------------------
    def activate(self, sources: Sequence[tuple[str, float]]) -> None:
        """Mark these `(source, every)` as the ones being watched, every other as inactive."""
        with self._tx() as tx:
            tx.execute("UPDATE sources SET active = 0")
            for source, every in sources:
                tx.execute(
                    "INSERT INTO sources(source, every, active) VALUES (?, ?, 1) "
                    "ON CONFLICT(source) DO UPDATE SET every = excluded.every, active = 1",
                    (source, every),
                )

    def source(self, source: str) -> SourceState | None:
        row = self.conn.execute("SELECT * FROM sources WHERE source = ?", (source,)).fetchone()
        return _source(row) if row else None

    def sources(self) -> list[SourceState]:
        """Every source ever watched here, the active ones first."""
        rows = self.conn.execute("SELECT * FROM sources ORDER BY active DESC, source").fetchall()
        return [_source(r) for r in rows]

    def record_poll(self, state: SourceState) -> None:
        """Store a source's state after a poll."""
        with self._tx() as tx:
            tx.execute(
                "UPDATE sources SET kind = ?, last_poll = ?, next_poll = ?, last_ok = ?, "
                "last_error = ?, failures = ?, added = ?, last_result = ?, etag = ?, "
                "last_modified = ?, body_hash = ? WHERE source = ?",
                (
                    state.kind,
                    state.last_poll,
                    state.next_poll,
                    state.last_ok,
                    state.last_error,
                    state.failures,
                    state.added,
                    state.last_result,
                    state.etag,
                    state.last_modified,
                    state.body_hash,
                    state.source,
                ),
            )

    # --- entries and files already read ----------------------------------------------------------
    def seen(self, source: str, keys: Sequence[str]) -> dict[str, tuple[str, str, int]]:
        """`{key: (fingerprint, status, attempts)}` for the keys of `source` read before."""
        out: dict[str, tuple[str, str, int]] = {}
        for i in range(0, len(keys), 500):
            part = list(keys[i : i + 500])
            q = (
                "SELECT key, fingerprint, status, attempts FROM seen WHERE source = ? AND key IN "
                f"({','.join('?' * len(part))})"
            )
            for r in self.conn.execute(q, [source, *part]):
                out[r["key"]] = (r["fingerprint"], r["status"], int(r["attempts"]))
        return out

    def mark_seen(self, source: str, items: Sequence[tuple[str, str, str]]) -> None:
        """Remember `(key, fingerprint, status)` items of `source`; a failure again counts up."""
        now = time.time()
        with self._tx() as tx:
            for key, fingerprint, status in items:
                tx.execute(
                    "INSERT INTO seen(source, key, fingerprint, status, attempts, at) "
                    "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT(source, key) DO UPDATE SET "
                    "attempts = CASE WHEN seen.fingerprint = excluded.fingerprint "
                    "AND seen.status = 'failed' AND excluded.status = 'failed' "
                    "THEN seen.attempts + 1 ELSE 1 END, "
                    "fingerprint = excluded.fingerprint, status = excluded.status, at = excluded.at",
                    (source, key, fingerprint, status, now),
                )

    # --- the watcher's heartbeat -----------------------------------------------------------------
    def started(self) -> None:
        now = time.time()
        with self._tx() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO watcher(id, pid, host, started, beat, stopped) "
                "VALUES (1, ?, ?, ?, ?, NULL)",
                (os.getpid(), socket.gethostname(), now, now),
            )

    def beat(self) -> None:
        with self._tx() as tx:
            tx.execute("UPDATE watcher SET beat = ? WHERE pid = ?", (time.time(), os.getpid()))

    def stopped(self) -> None:
        with self._tx() as tx:
            tx.execute("UPDATE watcher SET stopped = ? WHERE pid = ?", (time.time(), os.getpid()))

    def watcher(self) -> WatcherState | None:
        row = self.conn.execute("SELECT * FROM watcher WHERE id = 1").fetchone()
        if row is None:
            return None
        return WatcherState(row["pid"], row["host"], row["started"], row["beat"], row["stopped"])


def _source(row: sqlite3.Row) -> SourceState:
    return SourceState(
        source=row["source"],
        kind=row["kind"],
        every=float(row["every"]),
        active=bool(row["active"]),
        last_poll=row["last_poll"],
        next_poll=row["next_poll"],
        last_ok=row["last_ok"],
        last_error=row["last_error"],
        failures=int(row["failures"]),
        added=int(row["added"]),
        last_result=row["last_result"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_hash=row["body_hash"],
    )


def watch_status(settings: Settings) -> WatchStatus:
    """The watch on `settings.data_dir`: its watcher and every source it polls (or polled), for
    `newsqa watch --status` and the UI. Empty when nothing was ever watched there.

    Raises:
        StoreWriteError: the state file exists but cannot be read.
    """
    path = Path(settings.data_dir) / STATE_FILE
    if not path.exists():
        return WatchStatus(None, ())
    with WatchState(settings, create=False) as state:
        try:
            tables = {r[0] for r in state.conn.execute("SELECT name FROM sqlite_master")}
            if not {"sources", "watcher"} <= tables:  # a watcher is creating it right now
                return WatchStatus(None, ())
            return WatchStatus(state.watcher(), tuple(state.sources()))
        except sqlite3.Error as exc:
            raise StoreWriteError(
                f"cannot read the watch state {path} ({exc}); delete the file to start the "
                "watch afresh (stored articles are not in it)"
            ) from exc
