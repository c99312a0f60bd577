"""`newsqa repair`: every damaged part of a store is detected with a clear message, rebuilt from
what survives (vectors from the embeddings in SQLite, never re-embedded), and what cannot come
back is named."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from ingest import RawArticle, ingest, ingest_articles
from newsqa import cli
from qa.answering.asking import ask
from qa.core.embeddings import HashEmbedder
from qa.core.errors import NewsQAError, StoreBusyError, StoreCorruptError
from qa.core.settings import Settings
from qa.store import Store, check, repair

TOPICS = ["volcano", "harbour", "election", "drought", "satellite", "tariff", "vaccine", "rail"]


def _corpus(path: Path, n: int = 24) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            topic = TOPICS[i % len(TOPICS)]
            text = " ".join(
                f"Report {i} line {j}: the {topic} story number {i} said {1000 + i} people "
                f"were affected in district {j}."
                for j in range(8)
            )
            rec = {
                "title": f"The {topic} story {i}",
                "text": text,
                "url": f"https://repair.example/{i}",
                "published": f"2022-06-{1 + i % 28:02d}",
                "source": "Wire",
            }
            f.write(json.dumps(rec) + "\n")
    return path


@pytest.fixture
def store_settings(tmp_path: Path, settings: Settings) -> Settings:
    """A store holding 24 articles (hash embedder)."""
    report = ingest([str(_corpus(tmp_path / "corpus.jsonl"))], settings)
    assert report.counts()["ingested"] == 24
    return settings


def _articles(settings: Settings) -> dict[str, str]:
    con = sqlite3.connect(settings.db_path)
    try:
        return dict(con.execute("SELECT article_id, text FROM articles").fetchall())
    finally:
        con.close()


def _consistent(settings: Settings) -> dict[str, int]:
    """The store opens, its parts agree exactly, and nothing is pending."""
    with Store.open(settings) as store:
        s = store.stats()
        ids = store.vectors.all_ids()
        chunk_ids = {r[0] for r in store._conn().execute("SELECT chunk_id FROM chunks")}
    assert s["chunks"] == s["vectors"] == s["keyword_index_rows"], s
    assert s["pending_journal"] == 0
    assert set(ids) == chunk_ids and len(ids) == len(chunk_ids)
    return {k: s[k] for k in ("articles", "chunks", "vectors", "keyword_index_rows")}


def _answers(settings: Settings) -> None:
    """A question about one article is answered with an exact quote from it."""
    answer = ask("How many people did the volcano story number 8 affect?", settings=settings)
    assert answer.citations, answer.text
    store = Store.open(settings)
    try:
        for c in answer.citations:
            art = store.get_article(c.article_id)
            assert art is not None and art.text[c.start : c.end] == c.quote
    finally:
        store.close()
    assert any("1008" in c.quote for c in answer.citations)


@pytest.fixture
def no_embedding(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Fail the test if anything is embedded (repair must reuse the stored embeddings);
    `.undo()` on the returned monkeypatch allows it again."""

    monkeypatch.setattr(HashEmbedder, "embed_documents", _refuse_to_embed)
    return monkeypatch


def _refuse_to_embed(self: object, texts: object) -> np.ndarray:
    raise AssertionError("repair embedded text again")


def test_healthy_store_checks_clean_and_repair_changes_nothing(store_settings: Settings) -> None:
    before = _consistent(store_settings)
    report = check(store_settings)
    assert report.healthy and report.findings == []
    assert report.counts["articles"] == 24 and report.counts["vectors"] == before["vectors"]
    assert repair(store_settings).healthy
    assert _consistent(store_settings) == before
    assert not list(store_settings.data_dir.glob("repair-*"))


def test_deleted_vector_folder_is_rebuilt_without_embedding(
    store_settings: Settings, no_embedding: pytest.MonkeyPatch
) -> None:
    before = _consistent(store_settings)
    with Store.open(store_settings) as store:
        stored = store.chunk_embeddings(store.vectors.all_ids()[:5])
    shutil.rmtree(store_settings.chroma_path)
    with pytest.raises(StoreCorruptError, match="newsqa repair"):
        Store.open(store_settings)
    found = check(store_settings)
    assert [f.part for f in found.findings] == ["vectors"]
    assert "missing" in found.findings[0].problem
    done = repair(store_settings)
    assert done.healthy and done.lost_articles == []
    assert _consistent(store_settings) == before
    # the rebuilt vectors are the stored embeddings (Chroma re-normalises them for cosine)
    with Store.open(store_settings) as store:
        got = store.vectors._col.get(ids=list(stored), include=["embeddings"])
    for cid, emb in zip(got["ids"], got["embeddings"], strict=True):
        assert np.allclose(np.asarray(emb, dtype=np.float32), stored[cid], atol=1e-6)


def test_out_of_step_parts_and_pending_journal_are_fixed(store_settings: Settings) -> None:
    before = _consistent(store_settings)
    with Store.open(store_settings) as store:
        ids = sorted(store.vectors.all_ids())
        store.vectors.delete(ids[:3])  # chunks without vectors
        dim = len(store.chunk_embeddings(ids[:1])[ids[0]])
        ghosts = ["ghost-interrupted", "ghost-stray"]
        store.vectors.upsert(
            ghosts,
            np.ones((2, dim), dtype=np.float32),
            [{"article_id": "https://gone.example/1"}, {"article_id": "https://gone.example/2"}],
        )
        con = store._conn()
        with con:
            # a write a crash interrupted: its vector is journalled, so it is undone, not "lost"
            con.execute("INSERT INTO journal(ids) VALUES (?)", (json.dumps(ghosts[:1]),))
            con.execute(
                "DELETE FROM keyword_chunks WHERE chunk IN (SELECT rowid FROM chunks LIMIT 4)"
            )
    found = check(store_settings)
    problems = " | ".join(f"{f.part}: {f.problem}" for f in found.findings)
    for expected in (
        "journal: 1 vector write(s)",
        "keyword index: the keyword index has",
        "vectors: 2 vector(s) have no chunk",
        "vectors: 3 chunk(s) have no vector",
    ):
        assert expected in problems
    done = repair(store_settings)
    assert done.healthy, done.summary()
    assert done.lost_articles == ["https://gone.example/2"]  # the stray one had no text anywhere
    assert _consistent(store_settings) == before
    with Store.open(store_settings) as store:  # the keyword index finds the repaired rows again
        assert store.keyword_search('"volcano"', 50)
    _answers(store_settings)


def test_articles_without_chunks_are_saved_for_reingest(store_settings: Settings) -> None:
    texts = _articles(store_settings)
    con = sqlite3.connect(store_settings.db_path)
    with con:
        aid = "https://repair.example/3"
        con.execute(
            "DELETE FROM keyword_chunks WHERE chunk IN (SELECT rowid FROM chunks WHERE article_id=?)",
            (aid,),
        )
        con.execute("DELETE FROM chunks WHERE article_id = ?", (aid,))
    con.close()
    assert any("no chunks" in f.problem for f in check(store_settings).findings)
    done = repair(store_settings)
    assert done.healthy and done.saved_articles == [aid] and done.lost_articles == []
    assert done.reingest_file and Path(done.reingest_file).is_file()
    assert aid not in _articles(store_settings)
    again = ingest([done.reingest_file], store_settings)
    assert again.counts()["ingested"] == 1
    assert _articles(store_settings) == texts  # same id, same text as before
    _consistent(store_settings)


def test_what_to_reingest_comes_back_through_the_library(store_settings: Settings) -> None:
    """`repair()` returns the articles whose chunks were lost as `RawArticle`s: a caller passes
    them to `ingest_articles`, no file needed."""
    texts = _articles(store_settings)
    aid = "https://repair.example/5"
    con = sqlite3.connect(store_settings.db_path)
    with con:
        con.execute(
            "DELETE FROM keyword_chunks WHERE chunk IN (SELECT rowid FROM chunks WHERE article_id=?)",
            (aid,),
        )
        con.execute("DELETE FROM chunks WHERE article_id = ?", (aid,))
    con.close()
    done = repair(store_settings)
    assert done.healthy and done.saved_articles == [aid]
    (back,) = done.reingest
    assert isinstance(back, RawArticle) and back.url == aid and back.text == texts[aid]
    assert back.published == "2022-06-06" and back.source == "Wire"
    assert done.to_dict()["reingest"] == [{"title": back.title, "origin": back.origin}]
    again = ingest_articles(done.reingest, settings=store_settings)
    assert again.counts()["ingested"] == 1
    assert _articles(store_settings) == texts
    _consistent(store_settings)


def test_a_broken_keyword_index_is_reported_and_searches_say_so(store_settings: Settings) -> None:
    """Not silently empty: stats and check name the problem, a search that hits it raises."""
    with Store.open(store_settings) as store:
        assert store.stats()["keyword_index"] == "ok"
        con = sqlite3.connect(store_settings.db_path)
        with con:
            con.execute(
                "DELETE FROM keyword_chunks WHERE chunk IN (SELECT rowid FROM chunks LIMIT 2)"
            )
        con.close()
        assert "keyword index has" in store.stats()["keyword_index"]
        assert "newsqa repair" in store.stats()["keyword_index"]
        con = sqlite3.connect(store_settings.db_path)
        con.execute("DROP TABLE keyword_terms")
        con.close()
        with pytest.raises(StoreCorruptError, match="keyword index"):
            store.keyword_search('"volcano"', 5)
        with pytest.raises(StoreCorruptError, match="keyword index"):
            store.term_stats(["volcano"])
        assert "cannot be read" in store.stats()["keyword_index"]
    found = check(store_settings)
    assert any(f.part == "keyword index" for f in found.findings), found.summary()
    assert repair(store_settings).healthy
    with Store.open(store_settings) as store:
        assert store.stats()["keyword_index"] == "ok" and store.keyword_search('"volcano"', 5)


def test_missing_database_reports_every_lost_article(store_settings: Settings) -> None:
    ids = set(_articles(store_settings))
    for p in store_settings.data_dir.glob("newsqa.db*"):
        p.unlink()
    with pytest.raises(StoreCorruptError, match="newsqa repair"):
        Store.open(store_settings, create=True)  # an ingest would not start over it either
    found = check(store_settings)
    assert set(found.lost_articles) == ids
    done = repair(store_settings)
    assert done.healthy and set(done.lost_articles) == ids
    aside = Path(done.moved_aside[0])
    assert aside.name == "chroma" and aside.is_dir()  # moved, not deleted
    listed = (aside.parent / "lost-articles.txt").read_text().split()
    assert set(listed) == ids
    assert _consistent(store_settings)["articles"] == 0
    # the sources can be ingested again into the clean store
    ingest([str(Path(store_settings.data_dir).parent / "corpus.jsonl")], store_settings)
    assert _consistent(store_settings)["articles"] == 24


def _damage_pages(db: Path, table: str, n: int = 1) -> None:
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    try:
        pages = [
            r[0]
            for r in con.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
                (table,),
            )
        ]
        size = con.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table")
    finally:
        con.close()
    assert pages, table
    with db.open("r+b") as f:
        for page in pages[:n]:
            f.seek((page - 1) * size)
            f.write(b"\xa5" * size)


@pytest.mark.parametrize("table", ["articles", "chunks", "keyword_postings"])
def test_damaged_database_is_salvaged_and_losses_named(
    store_settings: Settings, table: str
) -> None:
    texts = _articles(store_settings)
    _damage_pages(store_settings.db_path, table)
    found = check(store_settings)
    assert [f.part for f in found.findings][:1] == ["database"]
    assert "damaged" in found.findings[0].problem
    done = repair(store_settings)
    assert done.healthy, done.summary()
    after = _articles(store_settings)
    # every article is still there with its exact text, saved for re-ingest, or named as lost
    assert all(texts[a] == t for a, t in after.items())
    assert set(after) | set(done.lost_articles) | set(done.saved_articles) == set(texts)
    assert not set(after) & set(done.lost_articles)
    if table == "keyword_postings":  # derived data only: nothing may be lost
        assert after == texts and not done.lost_articles
    _consistent(store_settings)
    assert any(Path(p).name == "newsqa.db" for p in done.moved_aside)


def test_unreadable_database_header(store_settings: Settings) -> None:
    ids = set(_articles(store_settings))
    with store_settings.db_path.open("r+b") as f:
        f.write(b"not a database at all" * 5)
    with pytest.raises(StoreCorruptError, match="newsqa repair"), Store.open(store_settings) as st:
        st.stats()
    done = repair(store_settings)
    assert done.healthy and set(done.lost_articles) == ids
    assert _consistent(store_settings)["articles"] == 0


def test_unreadable_vector_store_is_rebuilt(
    store_settings: Settings, no_embedding: pytest.MonkeyPatch
) -> None:
    before = _consistent(store_settings)
    with (store_settings.chroma_path / "chroma.sqlite3").open("r+b") as f:
        f.write(b"garbage!" * 64)
    with pytest.raises(StoreCorruptError, match="newsqa repair"), Store.open(store_settings) as st:
        st.vectors.count()
    done = repair(store_settings)
    assert done.healthy and not done.lost_articles
    assert _consistent(store_settings) == before
    no_embedding.undo()
    _answers(store_settings)


def test_truncated_hnsw_files_are_found_and_rebuilt(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kill while Chroma persists its HNSW index can leave a truncated pickle: the store still
    opens, but every read fails. check() reports it and repair() rebuilds the vectors (seen in CI
    as "Error deserializing pickle file: EOF while parsing")."""
    report = ingest([str(_corpus(tmp_path / "big.jsonl", 600))], settings)
    assert report.counts()["ingested"] == 600
    before = _consistent(settings)
    pickles = list(settings.chroma_path.glob("*/index_metadata.pickle"))
    assert pickles, "Chroma persisted no HNSW index: the corpus is too small for this test"
    monkeypatch.setattr(HashEmbedder, "embed_documents", _refuse_to_embed)
    for p in pickles:
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreCorruptError, match="newsqa repair"), Store.open(settings) as st:
        st.vectors.all_ids()
    found = check(settings)
    assert [f.part for f in found.findings] == ["vectors"] and found.findings[0].fixable
    done = repair(settings)
    assert done.healthy and not done.lost_articles, done.summary()
    assert _consistent(settings) == before


def test_interrupted_rebuild_leaves_store_as_it_was(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa.store.vectors import VectorIndex

    before = _consistent(store_settings)
    shutil.rmtree(store_settings.chroma_path)
    real = VectorIndex.upsert

    def failing(self: VectorIndex, *args: object, **kw: object) -> None:
        raise NewsQAError("disk full (simulated)")

    monkeypatch.setattr(VectorIndex, "upsert", failing)
    with pytest.raises(NewsQAError, match="simulated"):
        repair(store_settings)
    assert not store_settings.chroma_path.exists()  # no half-built folder took its place
    assert _articles(store_settings)  # the database is untouched
    monkeypatch.setattr(VectorIndex, "upsert", real)
    assert repair(store_settings).healthy
    assert _consistent(store_settings) == before


@pytest.mark.slow
def test_kill_nine_during_repair(tmp_path: Path, settings: Settings) -> None:
    """`kill -9` of `newsqa repair` while it rebuilds: the store stays repairable, and the next
    repair finishes with every article and nothing lost."""
    import random
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT
    from tests.test_crash import kill_nine_after

    ingest([str(_corpus(tmp_path / "corpus.jsonl", n=600))], settings)
    before = _consistent(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.update(
        NEWSQA_DATA_DIR=str(settings.data_dir),
        NEWSQA_EMBEDDING_BACKEND="hash",
        NEWSQA_CHUNK_SIZE=str(settings.chunk_size),
        PYTHONPATH=str(ROOT),
    )
    cmd = [
        sys.executable,
        "-c",
        "import sys; from newsqa import cli; sys.exit(cli.main(sys.argv[1:]))",
        "repair",
    ]
    rng = random.Random(5)
    shutil.rmtree(settings.chroma_path)
    t0 = time.monotonic()  # how long a whole repair takes here, to aim the kills inside it
    subprocess.run(cmd, env=env, capture_output=True, check=True, timeout=600)
    took = time.monotonic() - t0
    killed = 0
    for _ in range(4):
        if settings.chroma_path.exists():
            shutil.rmtree(settings.chroma_path)
        killed += kill_nine_after(cmd, env, rng.uniform(0.3, 0.95) * took)
        assert set(_articles(settings)) == {f"https://repair.example/{i}" for i in range(600)}
    done = repair(settings)
    assert done.healthy and not done.lost_articles, done.summary()
    assert _consistent(settings) == before
    assert killed >= 1


def test_repair_waits_for_no_writer(store_settings: Settings) -> None:
    import fcntl

    fd = os.open(store_settings.data_dir / "write.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        shutil.rmtree(store_settings.chroma_path)
        assert "writing right now" in " ".join(check(store_settings).notes)
        with pytest.raises(StoreBusyError, match="another newsqa process"):
            repair(store_settings)
    finally:
        os.close(fd)
    assert repair(store_settings).healthy


def test_stale_lock_file_is_harmless(store_settings: Settings) -> None:
    lock = store_settings.data_dir / "write.lock"
    lock.write_text("12345\n")  # what a killed process would leave: a file, no lock
    report = check(store_settings)
    assert report.healthy and "lock is free" in " ".join(report.notes)
    with Store.open(store_settings) as store, store.writing(wait=1.0):
        pass


def test_cli_repair(store_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(store_settings.data_dir)
    os.environ["NEWSQA_EMBEDDING_BACKEND"] = "hash"  # the CLI reads settings from the env
    try:
        assert cli.main(["repair", "--check", "--data-dir", d]) == 0
        shutil.rmtree(store_settings.chroma_path)
        assert cli.main(["stats", "--data-dir", d]) == 1
        assert "run `newsqa repair`" in capsys.readouterr().err
        assert cli.main(["repair", "--check", "--data-dir", d]) == 2
        assert "vector folder chroma/ is missing" in capsys.readouterr().out
        assert cli.main(["repair", "--data-dir", d, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["healthy"] and out["counts"]["vectors"] == out["counts"]["chunks"]
    finally:
        del os.environ["NEWSQA_EMBEDDING_BACKEND"]
