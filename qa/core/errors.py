"""The one error hierarchy of newsqa. Every message says what to do next."""

from __future__ import annotations


class NewsQAError(Exception):
    """Base class: CLIs print the message and exit non-zero; the UI shows it."""


class ConfigError(NewsQAError):
    """A setting is invalid, or an optional extra needed by a setting is missing."""


class IngestError(NewsQAError):
    """One input item could not be turned into an article (bad file, unreachable URL, ...)."""


class StoreNotFoundError(NewsQAError):
    """There is no store at the configured data directory, or it holds no articles."""


class StoreCorruptError(NewsQAError):
    """A part of the store is missing or unreadable; `newsqa repair` can rebuild it."""


class StoreBusyError(NewsQAError):
    """Another process is writing to the store."""


class StoreWriteError(NewsQAError):
    """The store could not be written (disk full, read-only directory); nothing was half-written."""


class QueryError(ConfigError, ValueError):
    """A question's options cannot be read (a date that is not a date, an unknown answerer).

    Also a `ValueError`, so code that validates input with `except ValueError` catches it.
    """


class LLMError(NewsQAError):
    """A chat model could not be reached or failed while answering."""
