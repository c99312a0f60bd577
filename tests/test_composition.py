"""The words of an answer (qa.answering.composition): credit lines, quotes shortened around their
short answer (still exact spans), and "Sources differ" within the word budget. No store, no model:
versions are built by hand from one invented article."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from qa.answering.composition import count_words, credit, differ_text, window
from qa.answering.versions import Found, Group, Quoted
from qa.core.schema import Passage
from qa.core.text import sentence_spans

ARTICLE = (
    "Riverton news. The council passed a $48.2 million budget on Tuesday after a debate that ran "
    "late into the evening and drew a crowd of residents and business owners to the chamber. "
    "Mayor Tom Hadley said the vote was close."
)


def passage(source: str = "Riverton Daily Ledger", published: str | None = "2025-03-13") -> Passage:
    return Passage(
        chunk_id="c1", article_id=f"id-{source}", title="Budget", source=source,
        published=published, url=None, start=0, end=len(ARTICLE), text=ARTICLE, score=1.0,
    )  # fmt: skip


def quoted(value: str = "$48.2 million", **kw: str | None) -> Quoted:
    a, b = next((a, b) for a, b in sentence_spans(ARTICLE) if value in ARTICLE[a:b])
    text = ARTICLE[a:b]
    i = text.index(value)
    return Quoted(passage(**kw), a, b, text, (i, i + len(value)), 0.9)


def test_credit_names_outlet_date_and_speaker() -> None:
    assert credit("Tasnim", "2022-06-21") == "Tasnim reported on 21 June 2022: "
    assert credit("Tasnim", None) == "Tasnim reported: "
    assert credit(None, "2022-06-21") == "Reported on 21 June 2022: "
    assert credit(None, None) == ""
    assert (
        credit("Riverton Daily Ledger", "2025-03-13", "Mayor Tom Hadley")
        == "Mayor Tom Hadley, quoted by Riverton Daily Ledger on 13 March 2025: "
    )
    assert credit("Valley Herald", "2025-03-14", None, "updated") == (
        "Updated on 14 March 2025, Valley Herald reported: "
    )
    assert credit("Ledger", "2025-03-13", "Tom Hadley", "earlier") == (
        "Earlier, on 13 March 2025, Tom Hadley, quoted by Ledger: "
    )
    # nameless speakers, the outlet itself and a speaker the quote opens with add nothing
    assert credit("Ledger", "2025-03-13", "officials") == "Ledger reported on 13 March 2025: "
    assert credit("Reuters", None, "Reuters") == "Reuters reported: "
    assert credit("Ledger", None, "Tom Hadley", quote="Mayor Tom Hadley said it passed.") == (
        "Ledger reported: "
    )


@given(st.integers(min_value=1, max_value=40))
def test_a_shortened_quote_is_still_exact_and_keeps_its_value(words: int) -> None:
    q = quoted()
    w = window(q, words)
    assert ARTICLE[w.start : w.end] == w.text
    assert w.text[w.span[0] : w.span[1]] == "$48.2 million"
    assert len(w.text.split()) <= max(words, 2)  # the value itself is two words
    assert w.cut == (w.start > q.start, w.end < q.end)


def test_differ_text_fits_the_budget_and_never_blends() -> None:
    groups = tuple(
        Group(f"num:{i}", (quoted(source=f"Outlet {i}", published=f"2025-03-1{i}"),), (), 1)
        for i in range(1, 5)
    )
    found = Found(groups, "differ")
    for budget in (80, 60, 45):
        done = differ_text(found, budget)
        assert count_words(done.text) <= budget, (budget, done.text)
        assert done.text.startswith("Sources differ. Updated on 14 March 2025, Outlet 4")
        markers = [int(n) for n in re.findall(r"\[(\d+)\]", done.text)]
        assert markers == [c.n for c in done.citations]
        for c in done.citations:
            assert ARTICLE[c.start : c.end] == c.quote and c.quote in done.text
        assert done.versions[0].latest and not any(v.latest for v in done.versions[1:])
