"""A near-duplicate that changes a figure or a name (ingest.dedup.changed_values) is stored as an
article of its own, so that both versions can be quoted; one that only adds a credit line or
writes a figure another way stays a recorded duplicate. And the store's reads that count copies
once: signatures and recorded duplicates of given articles."""

from __future__ import annotations

import numpy as np
import pytest

from ingest import RawArticle, ingest_articles
from ingest.dedup import changed_values
from qa.core.settings import Settings
from qa.store import Store

TEXT = (
    "RIVERTON (Ledger) — The Riverton city council passed a $48.2 million budget on Tuesday after "
    "a long debate, Mayor Tom Hadley said. Two members voted against it. The budget year begins "
    "on July 1 and the city pools will stay open all summer, the parks department said on Monday. "
    "Council members spent most of the evening on road repairs, library hours and the cost of "
    "running the bus service, which carries riders across the river every day of the week. "
    "Residents who spoke at the meeting asked for more street lights near the schools and for "
    "longer opening hours at the community center on weekends."
)


@pytest.mark.parametrize(
    ("new", "changes"),
    [
        (TEXT.replace("$48.2", "$48.1"), [("$48.2", "$48.1")]),
        (TEXT.replace("Tom Hadley", "Jim Beam"), [("Tom Hadley", "Jim Beam")]),
        (TEXT.replace("Two members", "Three members"), [("Two", "Three")]),
        (TEXT.replace("Tuesday", "Wednesday"), [("Tuesday", "Wednesday")]),
        (TEXT.replace("July 1", "July 3"), [("1", "3")]),
        (TEXT.replace("Two members", "2 members"), []),  # the same figure written another way
        (TEXT.replace("long debate", "short debate"), []),  # no figure, no name
        (TEXT.replace("(Ledger)", "(Herald)"), []),  # the outlets' own credit line
        ("By Jane Doe\n\n" + TEXT + "\n\n(Distributed by Herald.)", []),  # added, not changed
        (TEXT.replace("the city pools will stay open all summer", "x " * 30), []),  # rewritten
    ],
)
def test_changed_values(new: str, changes: list[tuple[str, str]]) -> None:
    assert changed_values(TEXT, new, ignore=["Ledger", "Herald"]) == changes


def _raw(text: str, outlet: str, url: str) -> RawArticle:
    return RawArticle(text=text, title="Budget", source=outlet, url=url, published="2025-03-13",
                      origin=url)  # fmt: skip


def test_a_copy_with_another_figure_is_stored_and_an_untouched_copy_is_recorded(
    settings: Settings,
) -> None:
    original = _raw(TEXT, "Riverton Daily Ledger", "https://ledger.example/a")
    changed = _raw(TEXT.replace("$48.2", "$48.1"), "Valley Herald", "https://herald.example/a")
    same = _raw("By Staff\n\n" + TEXT, "Copy Desk", "https://copy.example/a")
    report = ingest_articles([original, changed, same], settings=settings)
    status = {it.article_id: it for it in report.items}
    assert status["https://herald.example/a"].status == "ingested"
    reason = status["https://herald.example/a"].reason or ""
    assert "near-duplicate of https://ledger.example/a" in reason and "'$48.1'" in reason
    assert status["https://copy.example/a"].status == "duplicate"
    with Store.open(settings) as store:
        assert store.stats().articles == 2 and store.stats().duplicates == 1
        sigs = store.signatures(["https://ledger.example/a", "https://herald.example/a", "nope"])
        assert set(sigs) == {"https://ledger.example/a", "https://herald.example/a"}
        a, b = (np.frombuffer(sigs[k], dtype=np.uint64) for k in sorted(sigs))
        assert float(np.mean(a == b)) >= 0.5  # one wire story
        dups = store.duplicates_of(["https://ledger.example/a", "https://herald.example/a"])
        assert [d.source for d in dups["https://ledger.example/a"]] == ["Copy Desk"]
        assert "https://herald.example/a" not in dups
