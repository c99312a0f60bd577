"""The store: atomic writes, replacement, deletion, filters and crash recovery."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from ingest.chunking import chunk_article
from ingest.metadata import content_hash
from qa.core.embeddings import HashEmbedder
from qa.core.errors import ConfigError, StoreCorruptError, StoreNotFoundError
from qa.core.schema import Article
from qa.core.settings import Settings
from qa.store import Filters, PreparedArticle, Store

EMB = HashEmbedder()


def _prepared(
    aid: str, text: str, source: str = "Tasnim", published: str | None = "2022-06-17"
) -> PreparedArticle:
    h = content_hash(aid, text)
    art = Article(
        article_id=aid,
        title=f"Title {aid}",
        text=text,
        source=source,
        published=published,
        content_hash=h,
        ingested_at="2026-01-01T00:00:00Z",
    )
    chunks = chunk_article(aid, text, h, size=200)
    return PreparedArticle(art, chunks, EMB.embed_documents([c.text for c in chunks]))


TEXT_A = " ".join(f"Iran exports drones number {i} to Venezuela." for i in range(30))
TEXT_B = " ".join(f"Floods hit Pakistan province {i} after monsoon rains." for i in range(30))


def _counts(store: Store) -> tuple[int, int, int]:
    s = store.stats()
    return s["chunks"], s["vectors"], s["keyword_index_rows"]


def test_missing_store_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(StoreNotFoundError, match="newsqa ingest"):
        Store.open(settings)


def test_write_replace_delete_keep_all_parts_in_step(settings: Settings) -> None:
    with Store.open(settings, create=True) as store, store.writing():
        store.write_articles([_prepared("a", TEXT_A), _prepared("b", TEXT_B, source="Dawn")])
        n_a = len(_prepared("a", TEXT_A).chunks)
        c, v, k = _counts(store)
        assert c == v == k and c > 2
        # replace "a" with a shorter text: old chunks and vectors go, new ones come
        store.write_articles([_prepared("a", TEXT_A[:300])])
        c2, v2, k2 = _counts(store)
        assert c2 == v2 == k2 == c - n_a + len(_prepared("a", TEXT_A[:300]).chunks)
        art = store.get_article("a")
        assert art is not None and art.text == TEXT_A[:300]
        assert store.delete_articles(["a", "missing"]) == 1
        c3, v3, k3 = _counts(store)
        assert c3 == v3 == k3 == len(_prepared("b", TEXT_B).chunks)
        assert store.get_article("a") is None
        assert store.stats()["pending_journal"] == 0


def test_chunk_rows_slice_the_article_text(settings: Settings) -> None:
    with Store.open(settings, create=True) as store, store.writing():
        p = _prepared("a", TEXT_A)
        store.write_articles([p])
        rows = store.chunk_rows([c.chunk_id for c in p.chunks])
        for c in p.chunks:
            assert rows[c.chunk_id]["text"] == TEXT_A[c.start : c.end] == c.text


def test_search_and_filters_happen_inside_the_indexes(settings: Settings) -> None:
    with Store.open(settings, create=True) as store, store.writing():
        store.write_articles(
            [
                _prepared("a", TEXT_A, source="Tasnim", published="2022-06-17"),
                _prepared("b", TEXT_B, source="Dawn", published="2022-08-01"),
            ]
        )
        q = EMB.embed_query("drones Venezuela")
        hits = store.dense_search(q, 3)
        rows = store.chunk_rows([h[0] for h in hits])
        assert rows[hits[0][0]]["article_id"] == "a"
        only_b = store.dense_search(q, 5, Filters(sources=("dawn",)))
        assert only_b and all(store.chunk_rows([h])[h]["article_id"] == "b" for h, _ in only_b)
        late = store.dense_search(q, 5, Filters(since=date(2022, 7, 1)))
        assert late and all(store.chunk_rows([h])[h]["article_id"] == "b" for h, _ in late)
        kw = store.keyword_search("monsoon", 5)
        assert kw and all(store.chunk_rows([h])[h]["article_id"] == "b" for h, _ in kw)
        assert store.keyword_search("monsoon", 5, Filters(until=date(2022, 7, 1))) == []
        assert store.keyword_search('"unbalanced', 5) == []  # no syntax: words only, none found
        assert store.keyword_search('"monsoon" OR (', 5) == kw  # quotes and operators are not words


def test_recovery_removes_vectors_of_an_unfinished_write(settings: Settings) -> None:
    with Store.open(settings, create=True) as store, store.writing():
        store.write_articles([_prepared("b", TEXT_B)])
        before = _counts(store)
        # simulate a crash after the vectors were written but before the SQLite commit
        p = _prepared("a", TEXT_A)
        ids = [c.chunk_id for c in p.chunks]
        store._journal(ids)
        store.vectors.upsert(ids, p.embeddings, [{"article_id": "a"}] * len(ids))
        assert store.stats()["vectors"] == before[1] + len(ids)
    with (
        Store.open(settings) as store2,
        store2.writing(),
    ):  # opening for writing replays the journal
        assert _counts(store2) == before
        assert store2.stats()["pending_journal"] == 0


def test_embedder_mismatch_is_refused(settings: Settings) -> None:
    with Store.open(settings, create=True) as store:
        store.check_embedder("hash:256", 256)
        store.check_embedder("hash:256", 256)
        with pytest.raises(ConfigError, match="embedded with"):
            store.check_embedder("st:all-MiniLM-L6-v2", 384)


def test_missing_vector_folder_is_detected(settings: Settings) -> None:
    import shutil

    with Store.open(settings, create=True) as store, store.writing():
        store.write_articles([_prepared("a", TEXT_A)])
    shutil.rmtree(settings.chroma_path)
    with pytest.raises(StoreCorruptError, match="newsqa repair"):
        Store.open(settings)


def test_list_articles_shows_duplicates_with_their_original(settings: Settings) -> None:
    with Store.open(settings, create=True) as store, store.writing():
        store.write_articles([_prepared("a", TEXT_A)])
        dup = Article(
            article_id="a2",
            title="Copy",
            text="",
            source="Other",
            content_hash="h",
            ingested_at="2026-01-01T00:00:00Z",
        )
        store.add_duplicate(dup, "a", 0.97)
        rows = store.list_articles()
        assert len(rows) == 1 and rows[0]["duplicates"][0]["article_id"] == "a2"
        assert rows[0].duplicates[0].article_id == "a2" and rows[0].chunks > 0  # typed
        assert json.dumps([r.to_dict() for r in rows])  # JSON for `newsqa list --json`
        assert store.delete_articles(["a"]) == 1
        assert store.stats()["duplicates"] == 0


def test_embeddings_are_kept_for_repair(settings: Settings) -> None:
    with Store.open(settings, create=True) as store, store.writing():
        p = _prepared("a", TEXT_A)
        store.write_articles([p])
        got = store.chunk_embeddings([p.chunks[0].chunk_id])
        assert np.allclose(got[p.chunks[0].chunk_id], p.embeddings[0])


@pytest.mark.parametrize(
    "filters",
    [
        Filters(sources=("dawn",)),  # selective: falls back to filtering inside the index
        Filters(not_after=date(2022, 12, 31)),  # lets nearly everything through: over-fetch
        Filters(not_after=date(2022, 7, 1)),
        Filters(since=date(2022, 7, 1), until=date(2022, 12, 31)),
        Filters(article_ids=("a", "c")),
    ],
)
def test_filtered_search_equals_filtering_inside_the_index(
    settings: Settings, filters: Filters
) -> None:
    """The over-fetch shortcut returns exactly what a search inside the filtered index returns."""
    with Store.open(settings, create=True) as store, store.writing():
        store.write_articles(
            [
                _prepared("a", TEXT_A, source="Tasnim", published="2022-06-17"),
                _prepared("b", TEXT_B, source="Dawn", published="2022-08-01"),
                _prepared("c", TEXT_A.replace("Iran", "Iraq"), source="Dawn", published=None),
                _prepared(
                    "d", TEXT_B.replace("Pakistan", "India"), source="CNN", published="2022-06-30"
                ),
            ]
        )
        for question in ("drones Venezuela", "floods monsoon province", "rains"):
            q = EMB.embed_query(question)
            for k in (1, 3, 8, 40):
                got = store.dense_search(q, k, filters)
                want = store.vectors.query(q, k, filters.chroma_where())
                assert [c for c, _ in got] == [c for c, _ in want], (question, k)
                match = question
                from tests.test_keyword import brute_force_bm25

                rows = brute_force_bm25(store, question, k, filters)
                kw = store.keyword_search(match, k, filters)
                # the same scores (ties may come in another order), all of them passing the filter
                assert [round(sc, 9) for _, sc in kw] == [round(r[1], 9) for r in rows]
                assert kw or not rows
                assert {c for c, _ in kw} <= set(store._passing([c for c, _ in kw], filters))
