"""Wording the views share: counted nouns ("1 chunk", "2 chunks"), a day, and a moment relative to
now ("3m ago", "in 12m") for people."""

from __future__ import annotations

from datetime import date


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 article', '2 articles'; `many` for an irregular plural ('1 match', '2 matches')."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def fmt_date(published: str | None) -> str:
    """'17 Jun 2022' for an ISO date or datetime; 'date unknown' when missing."""
    if not published:
        return "date unknown"
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return published[:10]
    return f"{day.day} {day:%b %Y}"


def relative(moment: float | None, now: float) -> str:
    """'12s ago', 'in 14m', 'now'; '—' when there is no moment (Unix seconds)."""
    from qa import format_duration

    if moment is None:
        return "—"
    delta = moment - now
    if abs(delta) < 1:
        return "now"
    return f"in {format_duration(delta)}" if delta > 0 else f"{format_duration(-delta)} ago"
