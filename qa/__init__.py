"""newsqa question answering: `ask("...")` returns an `Answer` whose claims quote stored articles.

from qa import ask
answer = ask("Which country did Iran say it could export arms to?")
print(answer.text)
for c in answer.citations:
    print(c.n, c.title, c.quote)

The layers, bottom up: `qa.core` (errors, settings, records, text, dates, embedders), `qa.store`
(SQLite with a BM25 keyword index + Chroma, check and repair) and `qa.answering` (query, retrieval, answerers,
checks). The names below are the public face; views import nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qa.core.dates import parse_date
from qa.core.durations import format_duration, parse_duration
from qa.core.errors import (
    ConfigError,
    IngestError,
    LLMError,
    NewsQAError,
    QueryError,
    StoreBusyError,
    StoreCorruptError,
    StoreNotFoundError,
    StoreWriteError,
)
from qa.core.schema import (
    Answer,
    Article,
    ArticleSummary,
    Chunk,
    ChunkRow,
    Citation,
    Diagnostics,
    DuplicateRecord,
    Passage,
    RawArticle,
    StoreStats,
    Version,
)
from qa.core.settings import ANSWERERS, Settings, WatchSource, load_settings

if TYPE_CHECKING:
    from qa.answering.asking import ask, ask_stream
    from qa.answering.query import Query
    from qa.core.embeddings import get_embedder
    from qa.store import Filters, Finding, RepairReport, Store, check, repair

__all__ = [
    "ANSWERERS",
    "Answer",
    "Article",
    "ArticleSummary",
    "Chunk",
    "ChunkRow",
    "Citation",
    "ConfigError",
    "Diagnostics",
    "DuplicateRecord",
    "Filters",
    "Finding",
    "IngestError",
    "LLMError",
    "NewsQAError",
    "Passage",
    "Query",
    "QueryError",
    "RawArticle",
    "RepairReport",
    "Settings",
    "Store",
    "StoreBusyError",
    "StoreCorruptError",
    "StoreNotFoundError",
    "StoreStats",
    "StoreWriteError",
    "Version",
    "WatchSource",
    "ask",
    "ask_stream",
    "check",
    "format_duration",
    "get_embedder",
    "load_settings",
    "parse_date",
    "parse_duration",
    "repair",
]

# heavy names load on first use, so `import qa` (and `newsqa --help`) stays fast
_LAZY = {
    "ask": "qa.answering.asking",
    "ask_stream": "qa.answering.asking",
    "Query": "qa.answering.query",
    "Store": "qa.store",
    "Filters": "qa.store",
    "Finding": "qa.store",
    "RepairReport": "qa.store",
    "check": "qa.store",
    "repair": "qa.store",
    "get_embedder": "qa.core.embeddings",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
