"""The extractive answerer with the reader: which sentences it quotes, where it marks the short
answer, when it refuses. A scripted reader stands in for the model, so these tests check the
answerer's logic; tests/test_reader.py checks the model itself."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from ingest import ingest
from qa import ask
from qa.answering import extractive
from qa.answering.reader import ReaderScore
from qa.core.settings import Settings
from qa.store import Store

ARTICLES = [
    {
        "title": "Council passes Riverton budget",
        "source": "Riverton Daily Ledger",
        "published": "2025-03-12",
        "url": "https://ledger.example/budget",
        "text": "The Riverton city council met on Tuesday evening. The budget year begins July 1. "
        "The council passed a budget of $48.1 million after a long debate. Two members voted "
        "against it.",
    },
    {
        "title": "Riverton approves spending plan",
        "source": "Valley Herald",
        "published": "2025-03-13",
        "url": "https://herald.example/budget",
        "text": "Riverton approved its spending plan on Tuesday. The plan totals $48.1 million, "
        "officials said. The city pools will stay open this summer.",
    },
]


class ScriptedReader:
    """Rates a sentence by the first phrase of `script` it contains (else `default`); the span is
    that phrase."""

    def __init__(self, script: dict[str, float], default: float = 0.01) -> None:
        self.script = script
        self.default = default
        self.calls: list[tuple[str, list[str]]] = []
        self.titles: list[list[str]] = []

    def score(
        self, question: str, texts: Sequence[str], titles: Sequence[str] | None = None
    ) -> list[ReaderScore]:
        self.calls.append((question, list(texts)))
        self.titles.append(list(titles or []))
        out = []
        for t in texts:
            hit = next((k for k in self.script if k in t), None)
            if hit is None:
                out.append(ReaderScore(self.default, None, None))
            else:
                i = t.index(hit)
                out.append(ReaderScore(self.script[hit], i, i + len(hit)))
        return out


@pytest.fixture
def store_settings(settings: Settings, tmp_path: Path) -> Settings:
    f = tmp_path / "budget.jsonl"
    f.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    assert ingest([str(f)], settings).counts()["ingested"] == 2
    return settings.model_copy(update={"answer_scorer": "reader", "reader_threshold": 0.5})


def _use(monkeypatch: pytest.MonkeyPatch, reader: ScriptedReader) -> None:
    monkeypatch.setattr(extractive, "get_reader", lambda model_file=None: reader)


def test_the_best_rated_sentence_leads_and_its_short_answer_is_marked_in_the_quote(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = ScriptedReader({"$48.1 million after": 0.93, "budget year begins": 0.2})
    _use(monkeypatch, reader)
    answer = ask("How much was the budget?", settings=store_settings)
    assert answer.answered
    assert answer.short_answer == "$48.1 million after"
    first = answer.citations[0]
    assert "The council passed a budget of $48.1 million" in first.quote
    assert first.answer_start is not None and first.answer_end is not None
    assert first.quote[first.answer_start : first.answer_end] == answer.short_answer
    assert "budget year begins" not in answer.text  # rated below the threshold: not quoted
    store = Store.open(store_settings)
    try:
        for c in answer.citations:
            article = store.get_article(c.article_id)
            assert article is not None and article.text[c.start : c.end] == c.quote
    finally:
        store.close()
    assert answer.diagnostics.evidence == pytest.approx(0.93)
    assert len(reader.calls) == 1 and len(reader.calls[0][1]) <= store_settings.reader_candidates
    # each sentence goes to the reader with the title of its article
    titles = {a["title"] for a in ARTICLES}
    assert len(reader.titles[0]) == len(reader.calls[0][1])
    assert set(reader.titles[0]) <= titles and "Council passes Riverton budget" in reader.titles[0]


def test_nothing_reaching_the_threshold_is_a_refusal_with_related_passages(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, ScriptedReader({"$48.1 million": 0.49}))
    answer = ask("How much was the budget?", settings=store_settings)
    assert not answer.answered
    assert answer.citations == () and answer.short_answer is None
    assert answer.passages  # the closest passages, shown as related reading
    assert answer.diagnostics.evidence == pytest.approx(0.49)


def test_a_second_source_joins_only_when_it_answers_nearly_as_well_and_says_something_new(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, ScriptedReader({"passed a budget of": 0.9, "plan totals": 0.85}))
    answer = ask("How much was the budget?", settings=store_settings)
    outlets = [c.source for c in answer.citations]
    assert outlets[0] == "Riverton Daily Ledger" and "Valley Herald" in outlets
    _use(monkeypatch, ScriptedReader({"passed a budget of": 0.9, "plan totals": 0.6}))
    answer = ask("How much was the budget?", settings=store_settings)
    assert [c.source for c in answer.citations] == ["Riverton Daily Ledger"]


def test_the_heuristic_scorer_stays_available_and_never_calls_the_reader(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = ScriptedReader({})
    _use(monkeypatch, reader)
    old = store_settings.model_copy(update={"answer_scorer": "heuristic"})
    answer = ask("How much was the budget the council passed?", settings=old)
    assert answer.answered and answer.short_answer is None
    assert reader.calls == []


def test_a_follow_up_gives_the_reader_the_words_it_refers_to(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = ScriptedReader({"pools will stay open": 0.9})
    _use(monkeypatch, reader)
    history = [("Will the Riverton pools close?", "The ingested articles don't cover this.")]
    answer = ask("What about the pools?", settings=store_settings, history=history)
    assert answer.answered and "pools will stay open" in answer.text
    asked = [q for q, _ in reader.calls]
    assert asked == ["Will the Riverton pools close? What about the pools?", history[0][0]]


def test_generated_answers_refuse_on_the_readers_threshold_without_asking_the_model(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from qa.answering import generation
    from qa.answering.retrieval import retrieve

    _use(monkeypatch, ScriptedReader({}))
    store = Store.open(store_settings)
    try:
        retrieval = retrieve("How much was the budget?", store=store, settings=store_settings)
        model = FakeListChatModel(responses=["The budget was $48.1 million [1]."])
        answer = generation.generated_answer(
            "How much was the budget?",
            retrieval,
            settings=store_settings,
            store=store,
            backend="openai",
            model=model,
        )
    finally:
        store.close()
    assert not answer.answered and answer.answerer == "openai"
    assert model.i == 0  # the model was never asked
