"""The disagreement benchmark's test set (benchmarks.disagreement_cases) and its table, on a few
invented articles: cloze questions, planted figures and names, copies, same-event pairs, and a
run end to end with the hash embedder and a scripted reader."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from benchmarks import disagreement
from benchmarks.disagreement_cases import (
    NewsArticle,
    agreeing_cases,
    cloze,
    perturb_figure,
    planted_cases,
    same_event_pairs,
)
from qa.answering import extractive
from qa.answering.reader import ReaderScore
from qa.core.settings import Settings


def _article(i: int, text: str, outlet: str = "CNN") -> NewsArticle:
    return NewsArticle(
        f"https://news.example/{i}", f"Story {i}", text, outlet, "2022-06-1" + str(i)
    )


BUDGET = (
    "The Riverton city council met on Tuesday evening to vote on the spending plan for next year. "
    "The council passed a budget of $48.2 million after a long debate about the city pools. "
    "Council member Ana Ruiz said the vote showed that residents wanted the pools kept open. "
    "Ruiz added that the parks department would hire 12 lifeguards for the summer season. "
    "The mayor did not attend the meeting because of a trip to the state capital this week."
)
BUDGET_2 = (
    "Riverton's council approved a budget of $48.2 million on Tuesday after a long debate. "
    "The vote followed weeks of argument about the city pools and the parks department. "
    "Council member Ana Ruiz said residents had asked for the pools to stay open all summer. "
    "Officials said the parks department expects to hire lifeguards in the spring."
)
OTHER = "Floods displaced thousands of families in the north of the country after days of rain."


def test_cloze_and_perturbations() -> None:
    s = "The council passed a budget of $48.2 million after a long debate."
    a = s.index("$48.2 million")
    assert cloze(s, a, a + len("$48.2 million")) == (
        "The council passed a budget of what after a long debate?"
    )
    rng = random.Random(1)
    for value in ("$48.2 million", "12", "1,500 people", "3.5%"):
        new = perturb_figure(value, rng)
        assert new != value and new.replace("0", "").strip()
    assert all(1 <= int(perturb_figure("27", rng, day=True)) <= 28 for _ in range(20))


def test_same_event_pairs_and_the_cases_built_on_them() -> None:
    fillers = [
        _article(3 + k, f"{OTHER} Report {k}: zone{k} village{k} river{k}.") for k in range(8)
    ]
    articles = [_article(1, BUDGET), _article(2, BUDGET_2, "USA Today"), *fillers]
    pairs = same_event_pairs(articles)  # (a word in 30 % of the articles or more is no evidence)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    rng = random.Random(15)
    planted = planted_cases(articles, [0, 1], rng, 1)
    kinds = {c.kind for c in planted}
    assert {"untouched copy"} <= kinds and any(k.startswith("planted") for k in kinds)
    for c in planted:
        (copy,) = c.copies
        original = next(a for a in articles if a.url == c.article_urls[0])
        if c.planted is not None:
            old, new = c.planted
            assert old in original.text and new in copy.text and old != new
            assert copy.outlet == "Planted Wire" and "what" in c.question
        elif c.kind == "untouched copy":
            assert original.text in copy.text and copy.outlet == "Copy Wire"
    agree = agreeing_cases(articles, pairs, rng, 5)
    assert len(agree) == 1 and agree[0].article_urls == (articles[0].url, articles[1].url)
    assert not agree[0].expect_differ


class Scripted:
    """Rates the sentence holding "$48" highest, with the figure as its span."""

    def score(
        self, question: str, texts: Sequence[str], titles: Sequence[str] | None = None
    ) -> list[ReaderScore]:
        out = []
        for t in texts:
            i = t.find("$48")
            out.append(
                ReaderScore(0.9, i, i + len("$48.2 million"))
                if i >= 0
                else ReaderScore(0.01, None, None)
            )
        return out


def test_a_run_scores_planted_and_agreeing_cases(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extractive, "get_reader", lambda model=None: Scripted())
    articles = [_article(1, BUDGET), _article(2, BUDGET_2, "USA Today")]
    planted = NewsArticle(
        "https://planted.example/1", "Story 1", BUDGET.replace("$48.2", "$48.7"), "Planted Wire",
        "2022-06-12",
    )  # fmt: skip
    cases = [
        disagreement.Case("p1", "planted figure", "The council passed a budget of what?",
                          (articles[0].url, planted.url), (planted,), True,
                          ("$48.2 million", "$48.7 million")),
        disagreement.Case("a1", "agreeing reports", "The council passed a budget of what?",
                          (articles[0].url, articles[1].url), (), False),
    ]  # fmt: skip
    s = settings.model_copy(update={"reader_threshold": 0.5})
    outcomes, info = disagreement.run(cases, articles, s)
    assert info["copies"]["ingested"] == 1  # the planted copy is stored, not a duplicate
    by_id = {o.case.case_id: o for o in outcomes}
    assert by_id["p1"].found_planted and by_id["p1"].exact
    assert by_id["a1"].answered and not by_id["a1"].differ
    table = disagreement.table(outcomes)
    assert "| recall of planted disagreements" in table and "1/1 = 1.000" in table
