"""The one date policy: reading a day people type (`parse_date`), and days of stored ISO strings.

Lenient everywhere (the CLI, the UI, the API and Python read the same forms): 2022-06-17,
2022-06 (its first day, or its last for the end of a range), 2022, June 17, 2022, 17 June 2022,
Jun 17 2022 and June 2022. Anything else is a `QueryError` that says what was not understood and
shows an accepted form; a day that does not exist (2022-02-30) is one too.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

from qa.core.errors import QueryError

MONTHS = {  # month names and abbreviations -> month number (also read by question analysis)
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_ORDINAL = r"(?:st|nd|rd|th)?"
_ISO_DAY = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]\d{1,2}:\d{2}[\d:.]*(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR = re.compile(r"(\d{4})")
_MONTH_DAY_YEAR = re.compile(rf"([A-Za-z]+)\.?\s+(\d{{1,2}}){_ORDINAL},?\s+(\d{{4}})")
_DAY_MONTH_YEAR = re.compile(rf"(\d{{1,2}}){_ORDINAL}\s+([A-Za-z]+)\.?,?\s+(\d{{4}})")
_MONTH_YEAR = re.compile(r"([A-Za-z]+)\.?,?\s+(\d{4})")

ACCEPTED = "YYYY-MM-DD (also 2022-06, 2022, June 17, 2022 or 17 June 2022)"


def parse_date(value: str | date, *, end: bool = False) -> date:
    """The day `value` names, read leniently (see the module docstring).

    Args:
        value: what a person typed, or a date (returned as it is).
        end: a month or a year stands for its last day (the end of a range) instead of its first.

    Raises:
        QueryError: `value` is not a date, or not a day of the calendar.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = " ".join(str(value).split())
    parts = _read(text)
    if parts is None:
        raise QueryError(f"“{text}” is not a date; type it as {ACCEPTED}")
    year, month, day = parts
    try:
        if month is None:
            return date(year, 12, 31) if end else date(year, 1, 1)
        if day is None:
            last = calendar.monthrange(year, month)[1]
            return date(year, month, last if end else 1)
        return date(year, month, day)
    except ValueError:
        raise QueryError(f"{text} is not a day of the calendar") from None


def _read(text: str) -> tuple[int, int | None, int | None] | None:
    """`(year, month, day)` of the forms accepted (month and day None when not given)."""
    if m := _ISO_DAY.fullmatch(text):
        return int(m[1]), int(m[2]), int(m[3])
    if m := _ISO_MONTH.fullmatch(text):
        return int(m[1]), int(m[2]), None
    if m := _YEAR.fullmatch(text):
        return int(m[1]), None, None
    if (m := _MONTH_DAY_YEAR.fullmatch(text)) and m[1].lower() in MONTHS:
        return int(m[3]), MONTHS[m[1].lower()], int(m[2])
    if (m := _DAY_MONTH_YEAR.fullmatch(text)) and m[2].lower() in MONTHS:
        return int(m[3]), MONTHS[m[2].lower()], int(m[1])
    if (m := _MONTH_YEAR.fullmatch(text)) and m[1].lower() in MONTHS:
        return int(m[2]), MONTHS[m[1].lower()], None
    return None


def day_of(stored: str | None) -> date | None:
    """The day of a stored ISO 8601 date or datetime ("2022-06-17T10:00:00Z"); None if unknown."""
    if not stored:
        return None
    try:
        return date.fromisoformat(stored[:10])
    except ValueError:
        return None


def format_day(value: date | str | None, unknown: str = "date unknown") -> str:
    """A day for people: "17 June 2022"; `unknown` when there is none, the text itself when it
    cannot be read."""
    if value is None or value == "":
        return unknown
    day = value if isinstance(value, date) else day_of(value)
    if day is None:
        return str(value)
    return f"{day.day} {day.strftime('%B %Y')}"


def iso_day(value: date | str | None, unknown: str = "date unknown") -> str:
    """A day as YYYY-MM-DD (for prompts and listings); `unknown` when there is none."""
    if value is None or value == "":
        return unknown
    day = value if isinstance(value, date) else day_of(value)
    return day.isoformat() if day is not None else str(value)[:10]
