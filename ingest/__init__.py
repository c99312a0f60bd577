"""newsqa ingest: files, folders, URLs and feeds in; chunked, embedded, stored articles out.

from ingest import ingest
report = ingest(["seeds/"])
print(report.summary())
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.fetch import is_http_url
    from ingest.metadata import parse_day
    from ingest.pipeline import IngestReport, ItemResult, ingest

__all__ = ["IngestReport", "ItemResult", "ingest", "is_http_url", "parse_day"]

# loaded on first use, so `import ingest` stays fast
_LAZY = {
    "IngestReport": "ingest.pipeline",
    "ItemResult": "ingest.pipeline",
    "ingest": "ingest.pipeline",
    "is_http_url": "ingest.fetch",
    "parse_day": "ingest.metadata",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
