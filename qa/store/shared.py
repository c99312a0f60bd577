"""One open store per data directory per process, kept between questions and refreshed when the
data directory changes.

Opening a store costs far more than a question does (a Chroma client, then loading its HNSW
index on the first query), so `ask()` without `store=` uses `shared_store(settings)`. Each call
checks, in microseconds, whether anything was committed to the article database since the last
call (SQLite's `PRAGMA data_version` on a connection of its own, so every writer counts: another
process, or this one through another `Store`); when something was, the vector client is reopened so
that Chroma reads the folder afresh (its embedded mode keeps index state per process). A database
file replaced under it (a rebuilt or removed store) reopens the whole store.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from qa.core.settings import Settings
from qa.store.store import Store

MAX_OPEN = 4  # data directories kept open at once (least recently used closed first)

_lock = threading.Lock()
_open: OrderedDict[tuple[str, str, str | None, float], _Entry] = OrderedDict()


class _Entry:
    """An open store and what tells whether its data directory changed."""

    def __init__(self, settings: Settings) -> None:
        self.store = Store.open(settings)
        self.identity = _identity(settings.db_path)
        self.watch = sqlite3.connect(str(settings.db_path), check_same_thread=False)
        self.version = self._data_version()
        self.mutex = threading.Lock()

    def _data_version(self) -> int:
        return int(self.watch.execute("PRAGMA data_version").fetchone()[0])

    def refresh(self) -> bool:
        """Reopen the vector client when anything was committed since the last look."""
        with self.mutex:
            version = self._data_version()
            if version == self.version:
                return False
            self.version = version
            self.store.reopen_vectors()
            return True

    def close(self) -> None:
        self.store.close()
        self.watch.close()


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _key(settings: Settings) -> tuple[str, str, str | None, float]:
    """What a store depends on (answer settings may differ between callers of one store)."""
    return (
        str(Path(settings.data_dir).resolve()),
        settings.collection,
        settings.chroma_url,
        settings.chroma_timeout,
    )


def shared_store(settings: Settings) -> Store:
    """The process's open store for `settings.data_dir`, refreshed if the directory changed.

    Callers must not close it. Raises what `Store.open` raises (no store there, unreadable).
    """
    key = _key(settings)
    with _lock:
        entry = _open.get(key)
        if entry is not None and entry.identity != _identity(settings.db_path):
            # the database was replaced (rebuilt, removed): start afresh
            del _open[key]
            entry.close()
            entry = None
        if entry is None:
            entry = _Entry(settings)
            _open[key] = entry
            while len(_open) > MAX_OPEN:
                _, old = _open.popitem(last=False)
                old.close()
        _open.move_to_end(key)
    entry.refresh()
    return entry.store


def close_shared() -> None:
    """Close every shared store (at exit, and in tests that remove a data directory)."""
    with _lock:
        while _open:
            _, entry = _open.popitem()
            entry.close()


atexit.register(close_shared)
