"""How the UI shows a failure: newsqa's own message, or the error type for a bug (whose
traceback goes to the server log)."""

from __future__ import annotations

import traceback

from qa import NewsQAError, StoreNotFoundError


def describe(exc: BaseException) -> str:
    """The message shown for a failure: newsqa's own message, or the error type for a bug."""
    if isinstance(exc, StoreNotFoundError):
        return f"{exc}. Or add articles in the Library tab."
    if isinstance(exc, NewsQAError):
        return str(exc)
    traceback.print_exception(exc)  # a bug: keep the traceback in the server log
    return f"Something went wrong ({type(exc).__name__}: {exc}). The app is still running; see its log."
