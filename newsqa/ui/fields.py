"""What the user typed into the UI's fields (or an API client sent), turned into the library's
`Query` through the one date policy (`qa.parse_date`); a date that cannot be read is a QueryError
that names its field as the page labels it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import get_args

from qa import Query, QueryError, Settings, parse_date

SINCE, UNTIL, AS_OF = "Published since", "Published until", "Answer as of"


def parse_day(label: str, value: str | date | None, *, end: bool = False) -> date | None:
    """The day typed into the field `label` (empty = not given), read by `qa.parse_date`.

    Raises:
        QueryError: not a date the library can read; the message starts with `label`.
    """
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    if not text:
        return None
    try:
        return parse_date(text, end=end)
    except QueryError as exc:
        raise QueryError(f"{label}: {exc}") from None


def available_answerers() -> list[str]:
    """The answer backends the settings accept (the choices of `Settings.answerer`)."""
    return list(get_args(Settings.model_fields["answerer"].annotation)) or ["extractive"]


def build_query(
    question: str,
    *,
    history: Sequence[tuple[str, str]] = (),
    k: int | float | None = None,
    since: str = "",
    until: str = "",
    outlets: Sequence[str] = (),
    answerer: str = "",
    as_of: str = "",
) -> Query:
    """The `Query` of the Ask tab's fields (or the /ask API's arguments); k 0 = the default.

    Raises:
        QueryError: a date that cannot be read (named by its label), since after until, a k
            out of range or an unknown answerer (the library's checks).
    """
    return Query.build(
        question,
        history=list(history),
        k=int(k) if k else None,
        since=parse_day(SINCE, since),
        until=parse_day(UNTIL, until, end=True),
        outlets=list(outlets or ()),
        answerer=answerer or None,
        as_of=parse_day(AS_OF, as_of, end=True),
    )
