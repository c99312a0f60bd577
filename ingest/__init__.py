"""newsqa ingest: files, folders, URLs and feeds in; chunked, embedded, stored articles out.

    from ingest import ingest
    report = ingest(["seeds/"])
    print(report.summary())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport, ItemResult, ingest

__all__ = ["IngestReport", "ItemResult", "ingest"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from ingest import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
