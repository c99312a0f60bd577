"""Where outlets agree or differ (qa.answering.versions, qa.answering.composition): grouping the
reader's short answers across articles, "Sources agree" / "Sources differ", newest first, copies
counted once, who says each quote. A scripted reader stands in for the model (these tests check
the answerer's logic); the hash embedder and tiny stores in tmp_path keep them fast. The e2e
tests at the end use the real model and reader."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ingest import ingest
from qa import Answer, ask
from qa.answering import extractive
from qa.answering.agreement import compare
from qa.answering.reader import ReaderScore
from qa.core.settings import Settings
from qa.core.text import sentence_spans
from qa.store import Store

LEDGER = {
    "title": "Council passes Riverton budget",
    "source": "Riverton Daily Ledger",
    "published": "2025-03-13",
    "url": "https://ledger.example/budget",
    "text": "The Riverton city council met on Tuesday evening. The council passed a $48.2 million "
    "budget after a long debate, Mayor Tom Hadley said. Two members voted against it.",
}
HERALD = {
    "title": "Riverton approves spending plan",
    "source": "Valley Herald",
    "published": "2025-03-14",
    "url": "https://herald.example/budget",
    "text": "Riverton approved its spending plan on Tuesday. The council passed a $48.1 million "
    "budget, officials said. The city pools will stay open this summer.",
}
METRO = {
    "title": "Budget vote in Riverton",
    "source": "Metro Wire",
    "published": "2025-03-12",
    "url": "https://metro.example/budget",
    "text": "Riverton lawmakers voted on the budget this week. The council passed a budget of 48.2m "
    "dollars on Tuesday. Critics say taxes will rise.",
}
BUDGET = {"$48.1 million": 0.9, "$48.2 million": 0.88, "48.2m dollars": 0.85}


class ScriptedReader:
    """Rates a sentence by the first phrase of `script` it contains (else 0.01); the span is
    that phrase."""

    def __init__(self, script: dict[str, float]) -> None:
        self.script = script
        self.calls: list[tuple[str, list[str]]] = []

    def score(
        self, question: str, texts: Sequence[str], titles: Sequence[str] | None = None
    ) -> list[ReaderScore]:
        self.calls.append((question, list(texts)))
        out = []
        for t in texts:
            hit = next((k for k in self.script if k in t), None)
            if hit is None:
                out.append(ReaderScore(0.01, None, None))
            else:
                i = t.index(hit)
                out.append(ReaderScore(self.script[hit], i, i + len(hit)))
        return out


def _store(settings: Settings, tmp_path: Path, *articles: dict[str, Any]) -> Settings:
    f = tmp_path / "articles.jsonl"
    f.write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")
    ingest([str(f)], settings)
    return settings.model_copy(update={"answer_scorer": "reader", "reader_threshold": 0.5})


def _use(monkeypatch: pytest.MonkeyPatch, script: dict[str, float]) -> ScriptedReader:
    reader = ScriptedReader(script)
    monkeypatch.setattr(extractive, "get_reader", lambda model=None: reader)
    return reader


def check(answer: Answer, settings: Settings) -> None:
    """Every [n] has a citation, every citation is an exact span of its article shown in the
    text, the answer keeps to the word budget, and each version lists real citations."""
    markers = {int(n) for g in re.findall(r"\[([\d, ]+)\]", answer.text) for n in g.split(",")}
    assert markers == {c.n for c in answer.citations}
    with Store.open(settings) as store:
        for c in answer.citations:
            article = store.get_article(c.article_id)
            assert article is not None and article.text[c.start : c.end] == c.quote
            assert c.quote in answer.text
            if c.answer_start is not None and c.answer_end is not None:
                assert 0 <= c.answer_start < c.answer_end <= len(c.quote)
    words = [
        w for w in re.sub(r"\[[\d, ]+\]", " ", answer.text).split() if any(ch.isalnum() for ch in w)
    ]
    assert len(words) <= settings.answer_max_words
    cited = {c.n for c in answer.citations}
    for v in answer.versions:
        assert set(v.citations) <= cited


def sentences_of(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_sources_differ_each_version_with_outlet_date_and_quote_newest_first(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _store(settings, tmp_path, LEDGER, HERALD, METRO)
    _use(monkeypatch, BUDGET)
    answer = ask("How much was the budget?", settings=s)
    check(answer, s)
    assert answer.agreement == "differ"
    assert answer.text.startswith(
        "Sources differ. Updated on 14 March 2025, Valley Herald reported: "
    )
    assert [v.key for v in answer.versions] == ["num:48100000:usd", "num:48200000:usd"]
    newest, older = answer.versions
    assert newest.latest and not older.latest
    assert newest.outlets == ("Valley Herald",)
    assert set(older.outlets) == {
        "Riverton Daily Ledger",
        "Metro Wire",
    }  # 48.2m dollars = $48.2 million
    assert (older.first_published, older.last_published) == ("2025-03-12", "2025-03-13")
    assert "Earlier, on 13 March 2025" in answer.text
    # never two versions in one sentence
    for sentence in sentences_of(answer.text):
        assert not ("48.1" in sentence and "48.2" in sentence), sentence
    assert answer.short_answer == "$48.1 million / $48.2 million"
    by_n = {c.n: c for c in answer.citations}
    for v in answer.versions:
        for n in v.citations:
            c = by_n[n]
            assert c.answer_start is not None and c.answer_end is not None
            assert compare(c.quote[c.answer_start : c.answer_end], v.value)
    assert answer.to_dict()["agreement"] == "differ"
    assert answer.to_dict()["versions"][0]["citations"] == list(newest.citations)


def test_sources_agree_cite_every_outlet(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _store(settings, tmp_path, LEDGER, METRO)
    _use(monkeypatch, BUDGET)
    answer = ask("How much was the budget?", settings=s)
    check(answer, s)
    assert answer.agreement == "agree"
    assert answer.text.startswith("Sources agree. ")
    assert {c.source for c in answer.citations} == {"Riverton Daily Ledger", "Metro Wire"}
    (version,) = answer.versions
    assert set(version.outlets) == {"Riverton Daily Ledger", "Metro Wire"}
    assert version.key == "num:48200000:usd" and not version.latest


def test_one_report_is_a_single_source(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _store(settings, tmp_path, HERALD)
    _use(monkeypatch, BUDGET)
    answer = ask("How much was the budget?", settings=s)
    check(answer, s)
    assert answer.agreement == "single source"
    assert "Sources" not in answer.text
    assert [v.value for v in answer.versions] == ["$48.1 million"]


def test_a_recorded_near_duplicate_is_named_as_a_copy_and_counted_once(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = {**LEDGER, "source": "Copy Desk", "url": "https://copy.example/budget"}  # verbatim
    s = _store(settings, tmp_path, LEDGER, copy)
    with Store.open(s) as store:
        assert store.stats().duplicates == 1  # recorded, not stored
    _use(monkeypatch, BUDGET)
    answer = ask("How much was the budget?", settings=s)
    check(answer, s)
    assert answer.agreement == "single source"
    (version,) = answer.versions
    assert version.copies == ("Copy Desk",) and version.outlets == ("Riverton Daily Ledger",)
    assert "Also reported by Copy Desk." in answer.text


def test_a_stored_copy_that_changed_another_figure_is_one_story(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy changes "Two members" to "Three members": it is kept (the figures differ), but the
    budget figure is the same in both, and one wire story is one source."""
    variant = {**LEDGER, "source": "Variant Wire", "url": "https://variant.example/budget",
               "text": LEDGER["text"].replace("Two members", "Three members")}  # fmt: skip
    s = _store(settings, tmp_path, LEDGER, variant)
    with Store.open(s) as store:
        assert store.stats().articles == 2
    _use(monkeypatch, BUDGET)
    answer = ask("How much was the budget?", settings=s)
    check(answer, s)
    assert answer.agreement == "single source"
    assert not answer.text.startswith("Sources")


def test_a_copy_that_carries_the_answer_word_for_word_does_not_differ(
    settings: Settings, tmp_path: Path
) -> None:
    """The reader may pick another sentence of a copy (one that the copy changed); when the copy
    still carries the answer's sentence word for word, that sentence stands for it."""
    from qa.answering.versions import find_versions
    from qa.core.schema import Passage

    text = LEDGER["text"] + " The budget year begins July 1. The school budget year begins July 3."
    variant = {**LEDGER, "source": "Variant Wire", "url": "https://variant.example/budget",
               "text": text.replace("July 3", "July 5")}  # fmt: skip
    s = _store(settings, tmp_path, {**LEDGER, "text": text}, variant)

    class Sentence:
        def __init__(self, p: Passage, sentence: str, value: str, score: float) -> None:
            a = p.text.index(sentence)
            self.passage, self.text, self.score = p, sentence, score
            self.start, self.end = p.start + a, p.start + a + len(sentence)
            self.span = (sentence.index(value), sentence.index(value) + len(value))

    with Store.open(s) as store:
        rows = store.article_chunks([LEDGER["url"], variant["url"]])
        by_article = {r.article_id: Passage.from_row(r, score=0.0) for r in rows.values()}
        best = Sentence(by_article[LEDGER["url"]], "The budget year begins July 1.", "July 1", 0.9)
        other = Sentence(
            by_article[variant["url"]], "The school budget year begins July 5.", "July 5", 0.8
        )
        found = find_versions([best, other], 0.5, store)
        assert found is not None and found.agreement == "single source"
        (group,) = found.groups
        assert [q.value for q in group.members] == ["July 1", "July 1"]
        assert group.members[1].passage.article_id == variant["url"]
        alone = find_versions([best, other], 0.5, None)  # without the store it cannot tell
        assert alone is not None and alone.agreement == "differ"


def test_versions_that_cannot_be_ordered_by_date_name_no_latest(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    undated = {**HERALD, "published": None}
    s = _store(settings, tmp_path, LEDGER, undated)
    _use(monkeypatch, BUDGET)
    answer = ask("How much was the budget?", settings=s)
    check(answer, s)
    assert answer.agreement == "differ"
    assert not any(v.latest for v in answer.versions)
    assert "Updated on" not in answer.text and "Earlier" not in answer.text


def test_four_versions_with_long_quotes_fit_the_word_budget(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    filler = "after a debate that ran late into the evening and drew a crowd of residents and "
    articles = [
        {
            "title": f"Budget report {i}",
            "source": f"Outlet Number {i}",
            "published": f"2025-03-1{i}",
            "url": f"https://o{i}.example/budget",
            "text": f"Riverton news of the day {i}. The council passed a ${40 + i}.5 million budget "
            f"{filler * 2}business owners who spoke for hours. Nothing else happened {i}.",
        }
        for i in range(1, 5)
    ]
    s = _store(settings, tmp_path, *articles)
    _use(monkeypatch, {f"${40 + i}.5 million": 0.9 - i / 100 for i in range(1, 5)})
    answer = ask("How much was the budget?", settings=s)
    check(answer, s)
    assert answer.agreement == "differ" and len(answer.versions) == 4
    assert [v.value for v in answer.versions] == [
        "$44.5 million",
        "$43.5 million",
        "$42.5 million",
        "$41.5 million",
    ]
    assert answer.versions[0].latest
    for c in answer.citations:  # shortened around the value, still exact and marked
        assert c.answer_start is not None and c.answer_end is not None
        assert c.quote[c.answer_start : c.answer_end].endswith(".5 million")


def test_a_sentence_that_also_states_the_value_is_not_another_version(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = {**HERALD, "text": "The council passed a $48.2 million budget, up from $45 million "
             "last year, officials said. The pools stay open."}  # fmt: skip
    s = _store(settings, tmp_path, LEDGER, other)
    # the scripted reader marks the first phrase it knows: "$45 million" in the Herald's sentence
    _use(monkeypatch, {"$45 million": 0.8, "$48.2 million": 0.9})
    answer = ask("How much was the budget?", settings=s)
    check(answer, s)
    assert answer.agreement == "agree"  # the Herald states $48.2 million too
    (version,) = answer.versions
    assert set(version.outlets) == {"Riverton Daily Ledger", "Valley Herald"}


def test_an_answer_of_another_kind_is_not_a_version(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A date beside a figure, or a figure in another unit, is a different question answered."""
    s = _store(settings, tmp_path, LEDGER, HERALD, METRO)
    _use(monkeypatch, {"$48.1 million": 0.9, "Tuesday evening": 0.85, "Two members": 0.8})
    answer = ask("How much was the budget?", settings=s)
    check(answer, s)
    assert answer.agreement == "single source"


def test_the_same_kind_of_answer_about_another_subject_is_not_a_version(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reports on other events that a sentence alone cannot tell apart ("officials said the X
    affected N people") are not versions of the answer: the reader rates each sentence without
    its subject, so the counterpart's passage must name what the question asks about."""
    topics = ["chip factory opening in Hsinchu", "rocket launch from Kourou", "drought in Turkana"]
    articles = [
        {
            "title": f"Report on the {t}",
            "source": f"Wire {i}",
            "published": f"2022-06-0{i + 1}",
            "url": f"https://wire.example/{i}",
            "text": f"The {t} made headlines. Officials said the {t} affected {1000 + i} people.",
        }
        for i, t in enumerate(topics)
    ]
    s = _store(settings, tmp_path, *articles)
    _use(monkeypatch, {"1000": 0.9, "1001": 0.88, "1002": 0.87})
    answer = ask("How many people did the chip factory opening in Hsinchu affect?", settings=s)
    check(answer, s)
    assert answer.agreement == "single source", answer.text
    assert answer.citations[0].article_id == "https://wire.example/0"
    assert answer.short_answer == "1000"
    (version,) = answer.versions
    assert version.outlets == ("Wire 0",)


def test_articles_left_off_the_shortlist_are_rated_for_their_version(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _store(settings, tmp_path, LEDGER, HERALD).model_copy(update={"reader_candidates": 1})
    reader = _use(monkeypatch, BUDGET)
    answer = ask("How much was the budget?", settings=s)
    check(answer, s)
    assert len(reader.calls) == 2 and len(reader.calls[0][1]) == 1  # the shortlist, then the rest
    assert answer.agreement == "differ"


def test_a_long_quote_is_cut_around_its_short_answer(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_ = {**LEDGER, "text": "The Riverton city council, " + "after hearing residents, " * 12
             + "passed a $48.2 million budget on Tuesday. Two members voted against it."}  # fmt: skip
    s = _store(settings, tmp_path, long_, METRO).model_copy(update={"answer_max_words": 30})
    _use(monkeypatch, BUDGET)
    answer = ask("How much was the budget?", settings=s)
    check(answer, s)
    first = answer.citations[0]
    assert first.source == "Riverton Daily Ledger"
    assert first.answer_start is not None and first.answer_end is not None
    assert first.quote[first.answer_start : first.answer_end] == "$48.2 million"
    assert first.quote != long_["text"].split(". ")[0] + "."  # cut, around the value
    assert [c.source for c in answer.citations].count("Riverton Daily Ledger") == 1


def test_refusals_and_the_heuristic_scorer_have_no_versions(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _store(settings, tmp_path, LEDGER, HERALD)
    _use(monkeypatch, {"$48.1 million": 0.3})
    refused = ask("How much was the budget?", settings=s)
    assert not refused.answered and refused.agreement is None and refused.versions == ()
    old = ask(
        "How much was the budget?", settings=s.model_copy(update={"answer_scorer": "heuristic"})
    )
    assert old.answered and old.agreement is None and old.versions == ()


def test_the_speaker_leads_the_quote_and_is_on_its_citation(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = {
        **LEDGER,
        "text": "Mayor Tom Hadley opened the meeting on Tuesday. “We are proud of this budget,” he "
        "said. The council passed a $48.2 million budget after a long debate. Council member Ana "
        "Ruiz said the pools would stay open.",
    }
    s = _store(settings, tmp_path, article)
    _use(monkeypatch, {"proud of this budget": 0.9, "$48.2 million": 0.8, "pools would": 0.7})
    answer = ask("What did the mayor say about the budget?", settings=s)
    check(answer, s)
    by_quote = {c.quote: c for c in answer.citations}
    proud = next(c for q, c in by_quote.items() if "proud" in q)
    assert proud.speaker == "Mayor Tom Hadley"  # "he said", resolved from the sentence before
    assert answer.text.startswith(
        "Mayor Tom Hadley, quoted by Riverton Daily Ledger on 13 March 2025: “We are proud"
    )
    plain = next(c for q, c in by_quote.items() if "$48.2 million" in q)
    assert plain.speaker is None
    assert "Riverton Daily Ledger reported on 13 March 2025: The council passed" in answer.text
    ruiz = next(c for q, c in by_quote.items() if "Ruiz" in q)
    assert ruiz.speaker == "Council member Ana Ruiz" or ruiz.speaker == "Ana Ruiz"
    # the quote begins with its speaker: the outlet's credit is enough
    assert f"{ruiz.speaker}, quoted by" not in answer.text
    assert answer.to_dict()["citations"][0]["speaker"] == "Mayor Tom Hadley"


# --- the real model and reader -------------------------------------------------------------------


@pytest.mark.e2e
def test_e2e_three_reports_of_one_budget_vote(real_settings: Settings, tmp_path: Path) -> None:
    s = _store(real_settings, tmp_path, LEDGER, HERALD, METRO).model_copy(
        update={"reader_threshold": None}
    )
    answer = ask("How much was the budget?", settings=s)
    check(answer, s)
    assert answer.agreement == "differ", answer.text
    keys = {v.key for v in answer.versions}
    assert {"num:48100000:usd", "num:48200000:usd"} <= keys
    assert answer.versions[0].latest and answer.versions[0].outlets == ("Valley Herald",)
    for sentence in sentences_of(answer.text):
        assert not ("48.1" in sentence and "48.2" in sentence), sentence


@pytest.mark.e2e
def test_e2e_a_quote_is_credited_to_its_speaker(real_settings: Settings, tmp_path: Path) -> None:
    article = {
        **LEDGER,
        "text": "The Riverton city council met on Tuesday evening. “We are proud of this budget, "
        "which keeps every pool open,” said Mayor Tom Hadley. Two members voted against it.",
    }
    s = _store(real_settings, tmp_path, article).model_copy(update={"reader_threshold": None})
    answer = ask("What did Mayor Hadley say about the budget?", settings=s)
    check(answer, s)
    assert answer.answered, answer.text
    assert answer.citations[0].speaker == "Mayor Tom Hadley"
    assert answer.text.startswith(
        "Mayor Tom Hadley, quoted by Riverton Daily Ledger on 13 March 2025: "
    )
