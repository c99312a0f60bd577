"""newsqa ingest: files, folders, URLs, feeds or articles in memory in; chunked, embedded, stored
articles out.

from ingest import ingest, watch
report = ingest(["seeds/"])
print(report.summary())
watch(["https://example.org/feed.xml"], on_round=lambda r: print(r.line()))  # until stopped
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.fetch import is_http_url
    from ingest.pipeline import ingest, ingest_articles
    from ingest.polling import Poll
    from ingest.raw import Upload
    from ingest.report import IngestReport, ItemResult, Progress
    from ingest.watcher import Round, stop_on_signals, watch
    from ingest.watchstate import SourceState, WatcherState, WatchStatus, watch_status
    from qa.core.dates import parse_date as parse_day
    from qa.core.schema import RawArticle

__all__ = [
    "IngestReport",
    "ItemResult",
    "Poll",
    "Progress",
    "RawArticle",
    "Round",
    "SourceState",
    "Upload",
    "WatchStatus",
    "WatcherState",
    "ingest",
    "ingest_articles",
    "is_http_url",
    "parse_day",
    "stop_on_signals",
    "watch",
    "watch_status",
]

# loaded on first use, so `import ingest` stays fast
_LAZY = {
    "IngestReport": "ingest.report",
    "ItemResult": "ingest.report",
    "Progress": "ingest.report",
    "RawArticle": "qa.core.schema",
    "Upload": "ingest.raw",
    "ingest": "ingest.pipeline",
    "ingest_articles": "ingest.pipeline",
    "is_http_url": "ingest.fetch",
    "Poll": "ingest.polling",
    "Round": "ingest.watcher",
    "stop_on_signals": "ingest.watcher",
    "watch": "ingest.watcher",
    "SourceState": "ingest.watchstate",
    "WatchStatus": "ingest.watchstate",
    "WatcherState": "ingest.watchstate",
    "watch_status": "ingest.watchstate",
}


def __getattr__(name: str) -> Any:
    if name == "parse_day":  # the one date policy (`qa.parse_date`), under its old name here
        return importlib.import_module("qa.core.dates").parse_date
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
