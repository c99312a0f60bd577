"""The keyword index: its words, and a top k read best-first that equals scoring every chunk."""

from __future__ import annotations

import random
import sqlite3
from datetime import date

import pytest

from qa.core.settings import Settings
from qa.store import Filters, Store, keyword, postings
from qa.store.terms import SCALE, analyze, idf, query_terms, weights
from tests.test_store import _prepared

_TEXT = (
    "drone export Venezuela Iran flood monsoon province rain election senate vote court ruling "
    "inflation rate bank market wheat harvest drought heat wave storm coast bridge mayor council"
)
WORDS = _TEXT.split()


def brute_force_bm25(
    store: Store, question: str, k: int, filters: Filters | None = None
) -> list[tuple[str, float]]:
    """BM25 of every chunk that passes `filters`, computed one by one from the texts: what the
    keyword index must return without scoring every chunk."""
    conn = store._conn()
    rows = conn.execute(
        "SELECT c.chunk_id, substr(a.text, c.start + 1, c.end - c.start), a.title"
        " FROM chunks c JOIN articles a ON a.article_id = c.article_id"
    ).fetchall()
    chunk_weights = {r[0]: weights(r[1], r[2]) for r in rows}
    terms = query_terms(question)
    df = {t: sum(t in w for w in chunk_weights.values()) for t in terms}
    passing = store._passing(list(chunk_weights), filters or Filters())
    scored = []
    for cid, w in chunk_weights.items():
        hit = [t for t in terms if t in w]
        if cid in passing and hit:
            scored.append((cid, sum(idf(df[t], len(rows)) * w[t] / SCALE for t in hit)))
    scored.sort(key=lambda x: (-x[1], x[0]))
    return scored[:k]


def test_words_are_stemmed_folded_and_function_words_left_out() -> None:
    assert analyze("The Exporting of drones, exported DRONES") == [
        "export",
        "drone",
        "export",
        "drone",
    ]
    assert analyze("Café São Paulo's") == ["cafe", "sao", "paulo"]
    assert query_terms("who is the mayor of a city? mayors") == ["mayor", "citi"]
    assert analyze('"(" OR AND -- ') == []


def test_weights_follow_bm25_term_frequency_and_length() -> None:
    one, two = weights("drone strike", ""), weights("drone drone strike", "")
    assert two["drone"] > one["drone"] > 0  # more occurrences, more weight
    assert weights("drone " + "word " * 200, "")["drone"] < one["drone"]  # longer, less
    titled = weights("drone strike", "Drone")
    assert titled["drone"] > one["drone"] and "strike" in titled  # the title counts, half
    assert max(weights("drone " * 500, "").values()) < 2.2 * SCALE  # saturates below k1 + 1


@pytest.fixture
def many(settings: Settings) -> Settings:
    """A store of 60 articles of random words (several chunks each), half dated in June."""
    rng = random.Random(7)
    vocab = WORDS + [f"term{i}" for i in range(300)]
    zipf = [1.0 / (rank + 1) for rank in range(len(vocab))]  # a few common words, many rare
    with Store.open(settings, create=True) as store, store.writing():
        items = []
        for i in range(60):
            text = " ".join(
                " ".join(rng.choices(vocab, zipf, k=rng.randint(4, 12))) + "." for _ in range(12)
            )
            day = "2022-06-10" if i % 2 else "2022-08-10"
            items.append(_prepared(f"art{i:02d}", text, source=f"Outlet{i % 5}", published=day))
        store.write_articles(items)
    return settings


@pytest.mark.parametrize(
    "filters",
    [
        None,
        Filters(not_after=date(2022, 7, 1)),
        Filters(sources=("outlet3",)),
        Filters(article_ids=("art07",)),
    ],
)
@pytest.mark.parametrize("budget", [10**9, 0])
def test_best_first_top_k_equals_scoring_every_chunk(
    many: Settings, monkeypatch: pytest.MonkeyPatch, filters: Filters | None, budget: int
) -> None:
    # one posting per term in the first round, so the search goes many rounds before it stops;
    # budget 0: a filtered search scores the chunks the filter passes at once
    monkeypatch.setattr(postings, "FIRST_BLOCK", 1)
    monkeypatch.setattr(postings, "READ_BUDGET", budget)
    found = 0
    with Store.open(many) as store:
        for question in ("drone Venezuela", "flood monsoon term7 term150", "mayor", "zebra court"):
            for k in (1, 5, 30, 500):
                got = store.keyword_search(question, k, filters)
                everything = brute_force_bm25(store, question, 10**6, filters)
                want = everything[:k]
                scores = [s for _, s in got]
                if budget or filters is not None:
                    assert scores == pytest.approx([s for _, s in want], rel=1e-9), (question, k)
                else:  # out of budget at once: the best of the first postings, exactly scored
                    exact = dict(everything)
                    assert [exact[c] for c, _ in got] == pytest.approx(scores, rel=1e-9)
                    assert scores == sorted(scores, reverse=True)
                    assert len(got) == len(want)
                passing = store._passing([c for c, _ in got], filters or Filters())
                assert {c for c, _ in got} <= passing
                found += len(got)
        assert found > 10  # not all empty


def test_nothing_to_find(many: Settings) -> None:
    with Store.open(many) as store:
        assert store.keyword_search("zebra unicorn", 5) == []
        assert store.keyword_search("", 5) == []
        assert store.keyword_search("the of and", 5) == []
        assert store.keyword_search("drone", 0) == []


def test_index_stays_in_step_through_replace_and_delete(many: Settings) -> None:
    with Store.open(many) as store, store.writing():
        hits = store.keyword_search("drone", 500)
        rows = store.chunk_rows([c for c, _ in hits])
        kept = {c for c, _ in hits if rows[c].article_id not in ("art03", "art04")}
        assert 0 < len(kept) < len(hits)
        store.write_articles([_prepared("art03", "A zebra crossed the drone bridge.")])
        assert store.term_stats(["zebra"])[1] == {"zebra": 1}
        assert store.delete_articles(["art03", "art04"]) == 2
        assert store.term_stats(["zebra"])[1] == {"zebra": 0}
        n, _ = store.term_stats([])
        assert n == store.stats()["chunks"] == store.stats()["keyword_index_rows"]
        assert store.stats()["keyword_index"] == "ok"
        assert keyword.problem(store._conn(), thorough=many.db_path) is None
        after = {c for c, _ in store.keyword_search("drone", 500)}
        assert after == kept


def test_a_store_from_before_the_index_gets_it_on_open(many: Settings) -> None:
    """A store written when the keyword index was FTS5: opening it builds the postings."""
    with Store.open(many) as store:
        want = store.keyword_search("flood drone", 20)
    con = sqlite3.connect(many.db_path)
    with con:
        for table in ("keyword_postings", "keyword_chunks", "keyword_terms"):
            con.execute(f"DROP TABLE {table}")
        con.execute("DELETE FROM meta WHERE key = 'keyword_chunks'")
        con.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(text, title)")
    con.close()
    with Store.open(many) as store:
        assert store.keyword_search("flood drone", 20) == want
        assert store.stats()["keyword_index"] == "ok"
        gone = store._conn().execute("SELECT 1 FROM sqlite_master WHERE name = 'chunks_fts'")
        assert gone.fetchone() is None
