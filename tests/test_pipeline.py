"""ingest() and ingest_articles(): idempotent, incremental, duplicate-aware, and never stopped by
one bad item."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

from ingest import Progress, RawArticle, Upload, ingest, ingest_articles
from qa.core.settings import Settings
from qa.store import Store
from tests.conftest import SEED_FILE, SEEDS

WIRE = (
    "KYIV, Ukraine (AP) — Russian forces shelled the city of Kharkiv overnight, officials said on "
    "Monday, killing at least five civilians and damaging a school and two apartment blocks. "
    "The regional governor said rescue teams were still searching the rubble on Monday morning. "
    "Ukraine's military said its air defenses shot down six drones over the south of the country. "
    "Western officials said the attacks were part of a new push to wear down Ukrainian defenses "
    "before winter, and promised more air-defense systems within weeks."
)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _store_counts(settings: Settings) -> dict[str, int]:
    with Store.open(settings) as store:
        s = store.stats()
    return {k: s[k] for k in ("articles", "duplicates", "chunks", "vectors", "keyword_index_rows")}


def test_seed_ingest_is_idempotent(settings: Settings) -> None:
    first = ingest([str(SEEDS)], settings)
    assert first.counts()["ingested"] == 1 and first.ok
    item = first.items[0]
    assert item.title and item.title.startswith("Top General Says Iran Ready")
    before = _store_counts(settings)
    assert before["chunks"] == before["vectors"] == before["keyword_index_rows"] > 1
    again = ingest([str(SEEDS), str(SEED_FILE)], settings)  # the same file twice is read once
    assert again.counts()["unchanged"] == 1 and len(again.items) == 1
    assert again.chunks_written == 0
    assert _store_counts(settings) == before
    with Store.open(settings) as store:
        art = store.get_article(item.article_id or "")
    assert art is not None
    assert art.source == "Tasnim" and art.place == "TEHRAN"
    assert art.text.startswith("TEHRAN (Tasnim)")


def test_changed_article_replaces_its_chunks(settings: Settings, tmp_path: Path) -> None:
    rec = {
        "title": "Kharkiv shelled",
        "text": WIRE,
        "url": "https://news.example/kharkiv",
        "published": "2022-06-20",
        "source": "AP",
    }
    f = _write(tmp_path / "in" / "a.jsonl", json.dumps(rec) + "\n")
    assert ingest([str(f)], settings).counts()["ingested"] == 1
    old = _store_counts(settings)
    rec["text"] = (
        WIRE + " " + "Update: the death toll rose to seven, the governor said later on Monday." * 3
    )
    _write(f, json.dumps(rec) + "\n")
    r = ingest([str(f)], settings)
    assert r.counts()["updated"] == 1
    new = _store_counts(settings)
    assert new["articles"] == 1
    assert new["chunks"] == new["vectors"] == new["keyword_index_rows"] >= old["chunks"]
    with Store.open(settings) as store:
        art = store.get_article("https://news.example/kharkiv")
        assert art is not None and "seven" in art.text
        assert store.keyword_search('"seven"', 5)


def test_near_duplicate_from_another_outlet_is_listed_with_the_original(
    settings: Settings, tmp_path: Path
) -> None:
    a = {
        "title": "Kharkiv shelled",
        "text": WIRE,
        "url": "https://ap.example/kharkiv",
        "source": "AP",
    }
    b = {
        "title": "Russia shells Kharkiv",
        "text": WIRE.replace("at least five", "at least 5") + " (AP)",
        "url": "https://paper.example/world/kharkiv",
        "source": "Daily Paper",
    }
    c = {
        "title": "Unrelated",
        "text": "Floods in Pakistan displaced thousands of families this week, "
        "aid agencies said, as monsoon rains continued across Sindh province.",
        "source": "Dawn",
    }
    f = _write(tmp_path / "in" / "wire.jsonl", "\n".join(json.dumps(x) for x in (a, b, c)) + "\n")
    r = ingest([str(f)], settings)
    assert r.counts() == {"ingested": 2, "updated": 0, "unchanged": 0, "duplicate": 1, "failed": 0}
    dup = next(i for i in r.items if i.status == "duplicate")
    assert dup.duplicate_of == "https://ap.example/kharkiv" and (dup.similarity or 0) >= 0.9
    counts = _store_counts(settings)
    assert counts["articles"] == 2 and counts["duplicates"] == 1
    with Store.open(settings) as store:
        rows = {row["article_id"]: row for row in store.list_articles()}
    assert (
        rows["https://ap.example/kharkiv"]["duplicates"][0]["article_id"]
        == "https://paper.example/world/kharkiv"
    )
    # ingesting it again is "unchanged", not a second duplicate record
    again = ingest([str(f)], settings)
    assert again.counts()["unchanged"] == 3


def test_bad_items_are_reported_and_do_not_stop_the_rest(
    settings: Settings, tmp_path: Path
) -> None:
    d = tmp_path / "mixed"
    _write(d / "empty.txt", "")
    _write(d / "blank.md", "   \n\n  ")
    (d / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    _write(d / "doc.pdf", "%PDF-1.4")
    other = "Floods in Pakistan displaced thousands of families, aid agencies said on Tuesday."
    _write(d / "bad.jsonl", json.dumps({"title": "ok", "text": other}) + "\n{not json}\n")
    good = _write(d / "good.txt", "Good headline\n\n" + WIRE)
    r = ingest([str(d), str(tmp_path / "missing.txt")], settings)
    failed = {i.origin: i.reason for i in r.items if i.status == "failed"}
    assert not r.ok
    assert any("line 2" in o for o in failed), failed
    assert any(o.endswith("missing.txt") for o in failed)
    assert len(failed) == 6, failed
    assert r.counts()["ingested"] == 2  # the jsonl record and good.txt
    assert str(good) in {i.origin for i in r.items if i.status == "ingested"}
    assert all(reason for reason in failed.values())


def test_stdin_and_json_report(settings: Settings) -> None:
    r = ingest(["-"], settings, stdin=io.BytesIO(("Headline from stdin\n\n" + WIRE).encode()))
    assert r.counts()["ingested"] == 1
    d = r.to_dict()
    assert json.loads(json.dumps(d))["counts"]["ingested"] == 1
    assert d["items"][0]["title"] == "Headline from stdin"


def test_delete_removes_every_part(settings: Settings) -> None:
    r = ingest([str(SEEDS)], settings)
    aid = r.items[0].article_id
    with Store.open(settings) as store, store.writing():
        assert store.delete_articles([aid or ""]) == 1
    assert _store_counts(settings) == {
        "articles": 0,
        "duplicates": 0,
        "chunks": 0,
        "vectors": 0,
        "keyword_index_rows": 0,
    }


def test_articles_in_memory_are_ingested_with_progress(settings: Settings, tmp_path: Path) -> None:
    """`ingest_articles`: what a view holds (pasted text, an upload) goes in without files, under
    the name the user knows it by, and the callback sees every article read and every chunk."""
    seen: list[Progress] = []
    articles = [
        RawArticle(
            text=WIRE,
            title="Kharkiv shelled",
            source="AP",
            published=date(2022, 6, 20),
            origin="pasted text",
        ),
        Upload(name="my-upload.txt", data=SEED_FILE.read_bytes()),  # read as that file would be
        RawArticle(text="   ", origin="empty paste"),
    ]
    before = set(tmp_path.rglob("*"))
    report = ingest_articles(articles, settings=settings, on_progress=seen.append)
    status = {it.origin: it.status for it in report.items}
    assert status == {
        "pasted text": "ingested",
        "my-upload.txt": "ingested",
        "empty paste": "failed",
    }
    assert {it.origin for it in report.items} == {"pasted text", "my-upload.txt", "empty paste"}
    reading = [p for p in seen if p.stage == "reading"]
    assert [(p.done, p.total) for p in reading] == [(1, 3), (2, 3), (3, 3)]
    assert reading[-1].fraction == 1.0 and reading[0].item == "pasted text"
    embedding = [p.done for p in seen if p.stage == "embedding"]
    assert embedding and embedding[-1] == report.chunks_written
    # nothing was written outside the store to be parsed back
    made = {p for p in set(tmp_path.rglob("*")) - before if settings.data_dir not in p.parents}
    assert made - {settings.data_dir} == set()
    with Store.open(settings) as store:
        by_origin = {r["origin"]: r for r in store.list_articles()}
    assert by_origin["pasted text"]["published"] == "2022-06-20"
    assert by_origin["pasted text"]["source"] == "AP"
    assert by_origin["my-upload.txt"]["source"] == "Tasnim"
    assert by_origin["my-upload.txt"]["title"].startswith("Top General Says Iran Ready")
    again = ingest_articles(articles[:2], settings=settings)
    assert again.counts()["unchanged"] == 2


def test_a_json_record_does_not_take_its_date_from_the_body(
    settings: Settings, tmp_path: Path
) -> None:
    """A record with no date stays undated: "opening on April 5, 2025" in its text is an event's
    date, not the publication's, and must not make it the newest article."""
    rec = {
        "title": "Riverside library to open",
        "text": "The Riverside library is opening on April 5, 2025, the city said. It has been "
        "rebuilt after the flood and will hold forty thousand books and a makerspace.",
        "source": "Riverton Daily Ledger - City Hall",
    }
    f = _write(tmp_path / "record.json", json.dumps(rec))
    assert ingest([str(f)], settings).counts()["ingested"] == 1
    with Store.open(settings) as store:
        (row,) = store.list_articles()
        assert row["published"] is None
        assert store.stats()["undated"] == 1
