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
    from qa.pipeline import ask
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
    "load_settings",
]


def __getattr__(name: str) -> Any:
    if name == "ask":
        from qa.pipeline import ask

        return ask
    if name in ("Store", "Filters"):
        from qa import store

        return getattr(store, name)
    raise AttributeError(name)
