"""The time a question's answer must come from ("in June", "this week", "latest"), and the test.

Both answerers use it: a question about a time is answered only from articles of that time.
"""

from __future__ import annotations

from datetime import date, timedelta

from qa.answering.question import TimeHint
from qa.core.dates import day_of
from qa.core.schema import Passage
from qa.core.settings import Settings


def time_scope(hint: TimeHint, settings: Settings) -> tuple[date, date] | None:
    """The days a question's answer must come from, or None when it names no time.

    A named period ("in June 2022", "this week") widened by `scope_slack_days`; "latest",
    "recently" and the like: the `recent_days` before the reference day. Periods counted back
    from today ("this week", "recently") are checked only when today is known (`as_of`), not
    when it stands in as the newest matching article's day.
    """
    if not settings.time_scope or hint.reference is None:
        return None
    slack = timedelta(days=settings.scope_slack_days)
    if hint.start and hint.end and (hint.explicit or not hint.relative):
        return hint.start - slack, hint.end + slack
    if hint.recency and hint.explicit:
        return hint.reference - timedelta(days=settings.recent_days), hint.reference + slack
    return None


def in_scope(p: Passage, scope: tuple[date, date] | None) -> bool:
    """Whether `p`'s article is from the period (undated articles are given the benefit)."""
    day = day_of(p.published)
    if scope is None or day is None:
        return True
    return scope[0] <= day <= scope[1]
