"""ask(): hybrid retrieval, exact citations, refusals, filters, follow-ups, the Query object and
the one date policy."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from ingest import ingest
from qa import Filters, Query, QueryError, ask
from qa.answering.question import followup_terms
from qa.core.errors import StoreNotFoundError
from qa.core.settings import Settings
from qa.store import Store
from tests.conftest import SEED_FILE, SEEDS

CORPUS = [
    {
        "title": "Iran ready to export defense equipment",
        "source": "Tasnim",
        "published": "2022-06-21",
        "url": "https://tasnim.example/iran-exports",
        "text": "TEHRAN (Tasnim) – Iran's top general said the country is ready to export defense equipment. "
        "Defense Minister Mohammad Reza Ashtiani said Iran has no restriction on exporting military "
        "equipment to other countries, including Venezuela. Iranian engineers have made breakthroughs "
        "in manufacturing drones.",
    },
    {
        "title": "Floods displace thousands in Pakistan",
        "source": "Dawn",
        "published": "2022-08-29",
        "url": "https://dawn.example/floods",
        "text": "KARACHI (Dawn) – Monsoon floods displaced more than 33 million people across Pakistan, the "
        "disaster agency said on Monday. Sindh province was hit hardest, with entire villages under "
        "water. The government appealed for international aid.",
    },
    {
        "title": "Sri Lanka president flees",
        "source": "CNN",
        "published": "2022-07-13",
        "url": "https://cnn.example/sri-lanka",
        "text": "COLOMBO (CNN) – Sri Lanka's President Gotabaya Rajapaksa fled the country on a military jet "
        "to the Maldives, officials said on Wednesday. Protesters had stormed his residence days "
        "earlier over the economic crisis. Prime Minister Ranil Wickremesinghe was named acting president.",
    },
    {
        "title": "Fed raises rates again",
        "source": "CNN",
        "published": "2022-07-27",
        "url": "https://cnn.example/fed",
        "text": "WASHINGTON (CNN) – The Federal Reserve raised interest rates by three quarters of a "
        "percentage point on Wednesday to fight inflation, the highest in four decades. Chair Jerome "
        "Powell said another large increase could be appropriate in September.",
    },
]


@pytest.fixture
def corpus_settings(settings: Settings, tmp_path: Path) -> Settings:
    f = tmp_path / "corpus.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in CORPUS) + "\n", encoding="utf-8")
    assert ingest([str(f)], settings).counts()["ingested"] == len(CORPUS)
    return settings


def assert_exact(answer, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Every [n] has a citation and every citation is an exact span of its stored article."""
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.n for c in answer.citations}
    with Store.open(settings) as store:
        for c in answer.citations:
            art = store.get_article(c.article_id)
            assert art is not None
            assert art.text[c.start : c.end] == c.quote
            assert c.quote in answer.text
            # the citation names the stored chunk its quote was taken from
            row = store.chunk_rows([c.chunk_id])[c.chunk_id]
            assert row["article_id"] == c.article_id
            assert row["start"] <= c.start and c.end <= row["end"]


def test_answer_quotes_the_right_article(corpus_settings: Settings) -> None:
    a = ask("Which country did Iran say it could export arms to?", settings=corpus_settings)
    assert a.answered
    assert "Venezuela" in a.text
    assert a.citations[0].article_id == "https://tasnim.example/iran-exports"
    assert a.text.startswith("Tasnim reported on 21 June 2022: ")
    assert_exact(a, corpus_settings)
    assert a.timings["total"] > 0 and "retrieve" in a.timings
    # the evidence score is a diagnostic, not a timing
    assert "evidence" not in a.timings
    assert a.diagnostics.evidence is not None
    assert a.diagnostics.evidence >= corpus_settings.min_evidence
    assert a.to_dict()["diagnostics"]["evidence"] == a.diagnostics.evidence


def test_every_answer_is_exact_and_short(corpus_settings: Settings) -> None:
    for q in [
        "Where did the Sri Lankan president flee to?",
        "How many people did the floods displace?",
        "How much did the Fed raise rates?",
        "Who was named acting president of Sri Lanka?",
    ]:
        a = ask(q, settings=corpus_settings)
        assert a.answered, q
        assert len(a.text.split()) <= corpus_settings.answer_max_words + 12  # + attribution words
        assert_exact(a, corpus_settings)


def test_refuses_when_the_articles_do_not_say(corpus_settings: Settings) -> None:
    a = ask("Who won the 2018 football World Cup final in Moscow?", settings=corpus_settings)
    assert not a.answered
    assert a.text.startswith("The ingested articles don't cover this.")
    assert a.citations == ()
    assert a.passages  # closest passages offered as related reading


def test_filters_apply_inside_retrieval(corpus_settings: Settings) -> None:
    a = ask("What happened?", settings=corpus_settings, sources=["Dawn"])
    assert {p.source for p in a.passages} == {"Dawn"}
    b = ask("president", settings=corpus_settings, since="2022-07-20")
    assert b.passages and all((p.published or "") >= "2022-07-20" for p in b.passages)
    c = ask("Iran exports", settings=corpus_settings, article_ids=["https://dawn.example/floods"])
    assert {p.article_id for p in c.passages} == {"https://dawn.example/floods"}


def test_one_article_cannot_fill_the_context(settings: Settings, tmp_path: Path) -> None:
    long = {
        "title": "Long Iran story",
        "source": "X",
        "text": " ".join(
            f"Iran exports drones paragraph {i} with more detail about exports." for i in range(200)
        ),
    }
    f = tmp_path / "c.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [*CORPUS, long]) + "\n", encoding="utf-8")
    ingest([str(f)], settings)
    a = ask("Iran exports drones", settings=settings, k=6)
    per_article: dict[str, int] = {}
    for p in a.passages:
        per_article[p.article_id] = per_article.get(p.article_id, 0) + 1
    assert max(per_article.values()) <= settings.max_per_article
    assert len(per_article) >= 2


def test_followups_carry_the_previous_question(corpus_settings: Settings) -> None:
    first_q = "Where did Sri Lanka's president flee?"
    first = ask(first_q, settings=corpus_settings)
    assert "Maldives" in first.text
    assert followup_terms("Who replaced him?", [(first_q, first.text)])[:2] == ["sri", "lanka"]
    assert followup_terms("What about Venezuela?", [(first_q, first.text)])[:2] == ["sri", "lanka"]
    assert followup_terms("How many people did the floods displace?", [(first_q, first.text)]) == []
    follow = ask(
        "And who is acting president now?",
        settings=corpus_settings,
        history=[(first_q, first.text)],
    )
    assert follow.answered and "Wickremesinghe" in follow.text
    assert follow.standalone_question and "sri" in follow.standalone_question


def test_latest_prefers_newer_articles(corpus_settings: Settings) -> None:
    a = ask("What is the latest news from CNN?", settings=corpus_settings, sources=["CNN"])
    assert a.passages[0].published == "2022-07-27"


def test_as_of_leaves_out_later_articles_but_keeps_undated(
    corpus_settings: Settings, tmp_path: Path
) -> None:
    undated = tmp_path / "undated.txt"
    undated.write_text(
        "Fed watchers expect rates to rise\n\nAnalysts said the Federal Reserve would keep raising "
        "interest rates through the year to fight inflation.\n",
        encoding="utf-8",
    )
    assert ingest([str(undated)], corpus_settings).counts()["ingested"] == 1
    a = ask("Federal Reserve interest rates", settings=corpus_settings, as_of="2022-07-20")
    days = {p.published for p in a.passages}
    assert "2022-07-27" not in days  # published after the day asked from
    assert None in days  # undated: cannot be ruled out
    # a date range, by contrast, means dated articles in it, in both indexes alike
    b = ask("Federal Reserve interest rates", settings=corpus_settings, until="2022-12-31")
    assert b.passages and all(p.published for p in b.passages)


def test_a_question_about_a_time_is_answered_from_that_time(corpus_settings: Settings) -> None:
    q = "What did the Federal Reserve do to interest rates this week?"
    a = ask(q, settings=corpus_settings, as_of="2022-07-29")
    assert a.answered and a.citations[0].article_id == "https://cnn.example/fed"
    assert_exact(a, corpus_settings)
    # three months on, that week's news is not "this week": refused, and the note says why
    b = ask(q, settings=corpus_settings, as_of="2022-10-30")
    assert not b.answered and b.citations == ()
    assert b.text.startswith("The ingested articles don't cover this.")
    assert "Nothing found from 20 October 2022 to 2 November 2022" in b.text
    assert any(p.article_id == "https://cnn.example/fed" for p in b.passages)  # related reading
    # "recently" allows `recent_days`; a named month its own days
    assert ask(
        "Has the Fed raised rates recently?", settings=corpus_settings, as_of="2022-08-20"
    ).answered
    assert not ask(
        "Has the Fed raised rates recently?", settings=corpus_settings, as_of="2022-10-30"
    ).answered
    assert ask(
        "What did the Federal Reserve do to interest rates in July 2022?", settings=corpus_settings
    ).answered
    assert not ask(
        "What did the Federal Reserve do to interest rates in March 2022?", settings=corpus_settings
    ).answered
    # the check can be switched off
    off = corpus_settings.model_copy(update={"time_scope": False})
    assert ask(q, settings=off, as_of="2022-10-30").answered


def test_empty_and_junk_questions_are_refused_cleanly(corpus_settings: Settings) -> None:
    for q in ["", "   ", "???", "!!! ... ---"]:
        a = ask(q, settings=corpus_settings)
        assert not a.answered
    long_q = "Iran " * 20000
    assert ask(long_q, settings=corpus_settings).question  # answered or refused, no error


def test_no_store_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(StoreNotFoundError, match="newsqa ingest"):
        ask("anything?", settings=settings)


@pytest.mark.e2e
def test_seed_question_with_the_real_model(real_settings: Settings) -> None:
    assert ingest([str(SEEDS)], real_settings).counts()["ingested"] == 1
    a = ask("Which country did Iran say it could export arms to?", settings=real_settings)
    assert a.answered and "Venezuela" in a.text
    assert_exact(a, real_settings)
    refused = ask("What did the Federal Reserve do with interest rates?", settings=real_settings)
    assert not refused.answered


def test_langchain_retriever_composes(corpus_settings: Settings) -> None:
    from langchain_core.runnables import RunnableLambda

    from qa.answering.langchain_retriever import NewsRetriever, passages_from_documents

    with Store.open(corpus_settings) as store:
        retriever = NewsRetriever(settings=corpus_settings, store=store, k=3)
        chain = retriever | RunnableLambda(passages_from_documents)
        passages = chain.invoke("Sri Lanka president fled")
        assert passages[0].article_id == "https://cnn.example/sri-lanka"
        art = store.get_article(passages[0].article_id)
        assert art is not None and art.text[passages[0].start : passages[0].end] == passages[0].text


FOLLOWUPS = [
    # (first question, follow-up, article the follow-up is about)
    (
        "Where did Sri Lanka's president flee?",
        "And who is acting president now?",
        "https://cnn.example/sri-lanka",
    ),
    (
        "Where did Sri Lanka's president flee?",
        "Why did protesters storm his residence?",
        "https://cnn.example/sri-lanka",
    ),
    (
        "How much did the Fed raise interest rates?",
        "What did Powell say about September?",
        "https://cnn.example/fed",
    ),
    (
        "How much did the Fed raise interest rates?",
        "And why did it do that?",
        "https://cnn.example/fed",
    ),
    (
        "How many people did the floods in Pakistan displace?",
        "Which province was hit hardest?",
        "https://dawn.example/floods",
    ),
    (
        "How many people did the floods in Pakistan displace?",
        "What did the government ask for?",
        "https://dawn.example/floods",
    ),
    (
        "Is Iran ready to export defense equipment?",
        "What about Venezuela?",
        "https://tasnim.example/iran-exports",
    ),
    (
        "Is Iran ready to export defense equipment?",
        "Who said that?",
        "https://tasnim.example/iran-exports",
    ),
]


def followup_resolution(settings: Settings) -> tuple[float, float]:
    """Share of follow-ups whose first citation is the right article: with and without history."""
    with_history = without = 0
    for first, follow, gold in FOLLOWUPS:
        prev = ask(first, settings=settings)
        a = ask(follow, settings=settings, history=[(first, prev.text)])
        b = ask(follow, settings=settings)
        with_history += bool(a.citations) and a.citations[0].article_id == gold
        without += bool(b.citations) and b.citations[0].article_id == gold
    return with_history / len(FOLLOWUPS), without / len(FOLLOWUPS)


@pytest.mark.e2e
def test_followups_are_resolved_with_the_conversation(
    real_settings: Settings, tmp_path: Path
) -> None:
    f = tmp_path / "corpus.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in CORPUS) + "\n", encoding="utf-8")
    ingest([str(f)], real_settings)
    resolved, unresolved = followup_resolution(real_settings)
    print(f"follow-ups resolved: {resolved:.2f} with history, {unresolved:.2f} without")
    assert resolved >= 0.75
    assert resolved > unresolved


def test_a_sentence_longer_than_the_budget_is_quoted_up_to_it(
    settings: Settings, tmp_path: Path
) -> None:
    long = (
        "The harbour authority said the new crane, which was built in Rotterdam over two years at a "
        "cost of forty million euros and shipped in three parts across the North Sea before being "
        "assembled on the quay by a team of sixty engineers, can lift two thousand tonnes."
    )
    f = tmp_path / "crane.jsonl"
    f.write_text(
        json.dumps(
            {
                "title": "Harbour crane",
                "source": "Port News",
                "published": "2022-05-02",
                "url": "https://port.example/crane",
                "text": long,
            }
        )
        + "\n",
        encoding="utf-8",
    )
    ingest([str(f)], settings)
    tight = settings.model_copy(update={"answer_max_words": 20, "min_evidence": 0.0})
    a = ask("Where was the new harbour crane built?", settings=tight)
    assert a.answered
    words = [w for w in re.sub(r"\[\d+\]", " ", a.text).split() if any(c.isalnum() for c in w)]
    assert len(words) <= 20
    assert a.citations[0].quote.startswith("The harbour authority said")
    assert len(a.citations[0].quote) < len(long) and "…" in a.text
    assert_exact(a, tight)


def test_the_answer_may_come_from_an_unretrieved_passage_of_a_top_article(
    settings: Settings, tmp_path: Path
) -> None:
    from qa.answering.extractive import extractive_answer
    from qa.answering.retrieval import retrieve

    filler = " ".join(
        f"The council debated item {i} of the harbour budget for the coming year."
        for i in range(12)
    )
    text = (
        "The harbour council met on Tuesday to discuss the port. "
        + filler
        + " The new harbour master will be Ingrid Solberg, the council announced at the end."
    )
    f = tmp_path / "port.jsonl"
    f.write_text(
        json.dumps(
            {
                "title": "Port council meets",
                "source": "Port News",
                "url": "https://port.example/council",
                "text": text,
            }
        )
        + "\n",
        encoding="utf-8",
    )
    ingest([str(f)], settings)
    loose = settings.model_copy(update={"min_evidence": 0.0})
    with Store.open(loose) as store:
        r = retrieve("Who will be the new harbour master?", settings=loose, store=store, k=5)
        # keep only what does not hold the answer: as if retrieval had missed that passage
        r.passages[:] = [p for p in r.passages if "Solberg" not in p.text]
        assert r.passages
        off = loose.model_copy(update={"answer_read_articles": 0})
        a = extractive_answer("Who will be the new harbour master?", r, settings=off, store=store)
        assert "Solberg" not in a.text
        b = extractive_answer("Who will be the new harbour master?", r, settings=loose, store=store)
    assert "Ingrid Solberg" in b.text
    assert_exact(b, loose)


# --- the Query object, the one date policy, outlets by substring --------------------------------
def test_a_query_object_asks_the_same_as_keywords(corpus_settings: Settings) -> None:
    q = Query.build(
        "Which country did Iran say it could export arms to?",
        since="June 2022",  # the first day of June
        until="2022-06",  # the last day of June (the end of a range)
        outlets=["tasnim"],
        k="5",
    )
    assert (q.since, q.until, q.outlets, q.k) == (
        date(2022, 6, 1),
        date(2022, 6, 30),
        ("tasnim",),
        5,
    )
    a = ask(q, settings=corpus_settings)
    b = ask(
        "Which country did Iran say it could export arms to?",
        settings=corpus_settings,
        since=date(2022, 6, 1),
        until="June 30, 2022",
        sources=["Tasnim"],
        k=5,
    )
    assert a.answered and a.text == b.text and a.citations == b.citations
    # fields given beside a Query override its own
    c = ask(q, settings=corpus_settings, since="2022-07-01", until=None)
    assert not c.answered


def test_query_options_that_cannot_be_read_are_query_errors() -> None:
    with pytest.raises(QueryError, match=r"since: “June 1” is not a date; type it as YYYY-MM-DD"):
        Query.build("q", since="June 1")
    with pytest.raises(QueryError, match="is after until"):
        Query.build("q", since="2024-02-01", until="2024-01-01")
    with pytest.raises(QueryError, match="unknown answerer"):
        Query.build("q", answerer="gpt-9")
    with pytest.raises(QueryError, match="k must be between 1 and 100"):
        Query.build("q", k=0)
    with pytest.raises(QueryError, match="unknown query field"):
        Query.build("q", sinse="2022-01-01")
    q = Query.build("  what   now? ", history=[["Who?", "Him."]], as_of="17 June 2022", since="")
    assert q.question == "what now?" and q.history == (("Who?", "Him."),)
    assert q.as_of == date(2022, 6, 17) and q.since is None
    assert q.filters() == Filters(not_after=date(2022, 6, 17))


def test_undated_articles_left_out_by_a_date_filter_are_counted_and_said(
    settings: Settings,
) -> None:
    """The seed is undated: a date filter leaves it out, and the answer says so, never silently."""
    assert ingest([str(SEED_FILE)], settings).counts()["ingested"] == 1
    q = "Which country did Iran say it could export arms to?"
    a = ask(q, settings=settings, since="2022-01-01")
    assert not a.answered and a.diagnostics.undated_left_out == 1
    note = "1 undated article was left out by the date filter"
    assert any(note in n for n in a.diagnostics.notes) and note in a.text
    b = ask(q, settings=settings)
    assert b.answered and b.diagnostics.undated_left_out == 0 and not b.diagnostics.notes
    # as_of keeps undated articles: nothing is left out, nothing to say
    c = ask(q, settings=settings, as_of="2022-01-01")
    assert c.answered and c.diagnostics.undated_left_out == 0


def test_outlets_match_by_a_part_of_their_name_in_any_case(
    settings: Settings, tmp_path: Path
) -> None:
    """`--source Ledger` finds "Riverton Daily Ledger - City Hall", in both indexes."""
    rec = {
        "title": "Council approves the bridge budget",
        "source": "Riverton Daily Ledger - City Hall",
        "published": "2022-06-15",
        "url": "https://ledger.example/bridge",
        "text": "RIVERTON (Ledger) – The city council approved a budget of 12 million dollars for "
        "the new river bridge on Tuesday, the mayor said after the vote.",
    }
    f = tmp_path / "c.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [*CORPUS, rec]) + "\n", encoding="utf-8")
    ingest([str(f)], settings)
    for outlet in ("Ledger", "ledger", "DAILY LEDGER - city"):
        a = ask(
            "How much did the council approve for the bridge?", settings=settings, outlets=[outlet]
        )
        assert a.answered and {p.source for p in a.passages} == {rec["source"]}, outlet
        assert a.citations[0].article_id == rec["url"]
    with Store.open(settings) as store:
        listed = store.list_articles(Filters(sources=("ledger",)))
        assert [r["source"] for r in listed] == [rec["source"]]
        q = store.keyword_search('"bridge"', 5, Filters(sources=("city hall",)))
        assert q and store.dense_search(
            np.ones(256, dtype=np.float32) / 16, 5, Filters(sources=("city hall",))
        )
        assert (
            store.dense_search(
                np.ones(256, dtype=np.float32) / 16, 5, Filters(sources=("nowhere",))
            )
            == []
        )
    nothing = ask("bridge budget", settings=settings, outlets=["Nowhere Gazette"])
    assert not nothing.answered and nothing.passages == ()
