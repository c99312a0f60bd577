"""newsqa question answering: `ask("...")` returns an `Answer` whose claims quote stored articles.

from qa import ask
answer = ask("Which country did Iran say it could export arms to?")
print(answer.text)
for c in answer.citations:
    print(c.n, c.title, c.quote)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qa.errors import (
    ConfigError,
    IngestError,
    NewsQAError,
    StoreBusyError,
    StoreCorruptError,
    StoreNotFoundError,
    StoreWriteError,
)
from qa.schema import Answer, Article, Chunk, Citation, Passage
from qa.settings import Settings, load_settings

if TYPE_CHECKING:
    from qa.embeddings import get_embedder
    from qa.pipeline import ask, ask_stream
    from qa.repair import check, repair
    from qa.store import Filters, Store

__all__ = [
    "Answer",
    "Article",
    "Chunk",
    "Citation",
    "ConfigError",
    "Filters",
    "IngestError",
    "NewsQAError",
    "Passage",
    "Settings",
    "Store",
    "StoreBusyError",
    "StoreCorruptError",
    "StoreNotFoundError",
    "StoreWriteError",
    "ask",
    "ask_stream",
    "check",
    "get_embedder",
    "load_settings",
    "repair",
]

# heavy names load on first use, so `import qa` (and `newsqa --help`) stays fast
_LAZY = {
    "ask": "qa.pipeline",
    "ask_stream": "qa.pipeline",
    "Store": "qa.store",
    "Filters": "qa.store",
    "check": "qa.repair",
    "repair": "qa.repair",
    "get_embedder": "qa.embeddings",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
