"""`Filters`: the date, outlet and article restrictions applied inside both indexes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Filters:
    """Restrictions applied inside both indexes (not after the fact).

    `since`/`until` keep dated articles in that range (undated ones are left out); `sources`
    keeps outlets whose name contains one of these, in any case ("ledger" keeps "Riverton Daily
    Ledger - City Hall"); `article_ids` keeps only these articles; `not_after` ("as of" a day)
    leaves out articles published after it and keeps undated ones.
    """

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    not_after: date | None = None

    @property
    def dated(self) -> bool:
        """True when a date range leaves undated articles out."""
        return self.since is not None or self.until is not None

    def without_dates(self) -> Filters:
        """The same restrictions but the date range (to count what the range left out)."""
        return replace(self, since=None, until=None)

    def chroma_where(self, source_keys: Sequence[str] | None = None) -> dict[str, Any] | None:
        """The Chroma `where` of these filters. `source_keys` are the stored outlets (lower
        case, as the vector metadata holds them) that `sources` matches (the store finds them:
        Chroma cannot match a part of a name); None takes `sources` as whole names."""
        conds: list[dict[str, Any]] = []
        if self.since:
            conds.append({"published_day": {"$gte": self.since.toordinal()}})
        if self.until:
            conds.append({"published_day": {"$lte": self.until.toordinal()}})
        if self.dated:  # a date range means dated articles in it
            conds.append({"published_day": {"$gt": 0}})
        if self.not_after:  # undated articles have published_day 0 and stay
            conds.append({"published_day": {"$lte": self.not_after.toordinal()}})
        if self.sources:
            keys = [s.lower() for s in self.sources] if source_keys is None else source_keys
            conds.append({"source_key": {"$in": list(keys)}})
        if self.article_ids:
            conds.append({"article_id": {"$in": list(self.article_ids)}})
        if not conds:
            return None
        return conds[0] if len(conds) == 1 else {"$and": conds}

    def sql(self, alias: str = "a") -> tuple[str, list[Any]]:
        """A WHERE condition on the articles table (`alias`) and its arguments ("1" for none).

        Needs the store's connection (its `casefold()` function matches outlets in any case).
        """
        parts: list[str] = []
        args: list[Any] = []
        if self.since:
            parts.append(f"substr({alias}.published, 1, 10) >= ?")
            args.append(self.since.isoformat())
        if self.until:
            parts.append(f"substr({alias}.published, 1, 10) <= ?")
            args.append(self.until.isoformat())
        if self.not_after:
            parts.append(
                f"({alias}.published IS NULL OR {alias}.published = ''"
                f" OR substr({alias}.published, 1, 10) <= ?)"
            )
            args.append(self.not_after.isoformat())
        if self.sources:
            either = " OR ".join(f"instr(casefold({alias}.source), ?) > 0" for _ in self.sources)
            parts.append(f"({either})")
            args.extend(s.casefold() for s in self.sources)
        if self.article_ids:
            parts.append(f"{alias}.article_id IN ({','.join('?' * len(self.article_ids))})")
            args.extend(self.article_ids)
        return (" AND ".join(parts) or "1"), args
