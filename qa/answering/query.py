"""`Query`: one question with everything that shapes its answer, as Python, the CLI, the UI and
the API all build it (`Query.build` reads what a person typed; `qa.ask` takes either)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from qa.core.dates import parse_date
from qa.core.errors import QueryError
from qa.core.settings import ANSWERERS
from qa.store import Filters

Turn = tuple[str, str]  # (question, answer text)

FIELDS = ("since", "until", "outlets", "article_ids", "as_of", "k", "answerer", "history")
MAX_K = 100


@dataclass(frozen=True)
class Query:
    """A question and its options; every field but the question is optional.

    `since`/`until`: only articles published in that range (undated ones are left out, and the
    answer says how many). `outlets`: only outlets whose name contains one of these, in any case
    ("Ledger" finds "Riverton Daily Ledger - City Hall"). `as_of`: answer as the store stood that
    day (later articles are left out, undated ones stay; "this week" and "latest" are read from
    it). `k`: passages to retrieve. `answerer`: extractive, local, openai or ollama. `history`:
    earlier (question, answer) turns, oldest first, for follow-up questions.
    """

    question: str
    since: date | None = None
    until: date | None = None
    outlets: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    as_of: date | None = None
    k: int | None = None
    answerer: str | None = None
    history: tuple[Turn, ...] = ()

    @classmethod
    def build(cls, question: str, **fields: Any) -> Query:
        """A `Query` from what a person or a view holds: dates as text ("2022-06", "June 17,
        2022") or `date`s, lists or tuples, None or "" for "not given". `sources` is accepted as
        another name for `outlets`.

        Raises:
            QueryError: an unknown field, a date that is not a date, `since` after `until`, a `k`
                out of range or an unknown answerer.
        """
        if "sources" in fields:
            sources = fields.pop("sources")
            if fields.get("outlets"):
                raise QueryError("give outlets or sources, not both")
            fields["outlets"] = sources
        unknown = sorted(set(fields) - set(FIELDS))
        if unknown:
            raise QueryError(
                f"unknown query field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}"
            )
        since = _day(fields.get("since"), "since")
        until = _day(fields.get("until"), "until", end=True)
        if since and until and since > until:
            raise QueryError(
                f"since ({since.isoformat()}) is after until ({until.isoformat()}): no day is in "
                "that range"
            )
        return cls(
            question=" ".join(str(question or "").split()),
            since=since,
            until=until,
            outlets=_texts(fields.get("outlets")),
            article_ids=_texts(fields.get("article_ids")),
            as_of=_day(fields.get("as_of"), "as_of", end=True),
            k=_k(fields.get("k")),
            answerer=_answerer(fields.get("answerer")),
            history=_history(fields.get("history")),
        )

    def with_fields(self, **fields: Any) -> Query:
        """This query with some fields given anew (read as `build` reads them)."""
        if not fields:
            return self
        current = {name: getattr(self, name) for name in FIELDS}
        if "sources" in fields:
            current.pop("outlets")
        return Query.build(self.question, **{**current, **fields})

    def filters(self) -> Filters:
        """The store filters this query asks for (as_of leaves out later articles)."""
        return Filters(
            since=self.since,
            until=self.until,
            sources=self.outlets,
            article_ids=self.article_ids,
            not_after=self.as_of,
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("since", "until", "as_of"):
            out[name] = out[name].isoformat() if out[name] else None
        out["outlets"], out["article_ids"] = list(self.outlets), list(self.article_ids)
        out["history"] = [list(t) for t in self.history]
        return out


def as_query(query: Query | str, fields: Mapping[str, Any]) -> Query:
    """`query` itself, or built from a question text; keyword `fields` given beside override."""
    if isinstance(query, Query):
        return query.with_fields(**fields)
    return Query.build(query, **fields)


def _day(value: object, name: str, *, end: bool = False) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, (str, date)):
        raise QueryError(f"{name} must be a date or text such as 2022-06-17, not {value!r}")
    try:
        return parse_date(value, end=end)
    except QueryError as exc:
        raise QueryError(f"{name}: {exc}") from None


def _texts(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items: Iterable[object] = [value] if isinstance(value, str) else value  # type: ignore[assignment]
    try:
        out = [" ".join(str(v).split()) for v in items if v is not None]
    except TypeError:
        raise QueryError(f"expected a list of names, not {value!r}") from None
    return tuple(dict.fromkeys(v for v in out if v))


def _k(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        k = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise QueryError(f"k must be a whole number, not {value!r}") from None
    if not 1 <= k <= MAX_K:
        raise QueryError(f"k must be between 1 and {MAX_K}, not {k}")
    return k


def _answerer(value: object) -> str | None:
    if value is None or value == "":
        return None
    if value not in ANSWERERS:
        raise QueryError(f"unknown answerer {value!r}; available: {', '.join(ANSWERERS)}")
    return str(value)


def _history(value: object) -> tuple[Turn, ...]:
    if not value:
        return ()
    turns: list[Turn] = []
    try:
        for turn in value:  # type: ignore[attr-defined]
            q, a = turn
            turns.append((str(q or ""), str(a or "")))
    except (TypeError, ValueError):
        raise QueryError("history must be a list of (question, answer) pairs") from None
    return tuple(turns)
