"""What a reader yields for one input: a `RawArticle` (the article as read) or a `LoadError`.

`RawArticle` is defined in `qa.core.schema` (repair hands articles back in it too); it is the
input of `ingest.ingest_articles`.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.core.schema import RawArticle

__all__ = ["LoadError", "RawArticle", "ReadResult", "Upload"]


@dataclass(frozen=True)
class Upload:
    """A file's content as a view holds it (an upload): read exactly as a file called `name`
    would be (its format from the name's extension, else sniffed), with `name` as its origin."""

    name: str
    data: bytes


@dataclass(frozen=True)
class LoadError:
    """One item (or one record inside an item) that could not be read, and why."""

    origin: str
    reason: str


ReadResult = RawArticle | LoadError
