"""Metadata normalisation: datelines, dates, URLs, ids and hashes."""

from __future__ import annotations

from ingest.loaders import RawArticle
from ingest.metadata import (
    article_id,
    canonical_url,
    content_hash,
    finalize,
    find_date_in_text,
    normalize_date,
    parse_dateline,
)
from tests.conftest import SEED_FILE


def test_dateline_of_the_seed() -> None:
    body = SEED_FILE.read_text(encoding="utf-8").split("\n\n", 2)[2]
    assert parse_dateline(body) == ("TEHRAN", "Tasnim")


def test_other_datelines() -> None:
    assert parse_dateline("WASHINGTON (Reuters) - The U.S. said") == ("WASHINGTON", "Reuters")
    assert parse_dateline("KYIV, Ukraine (AP) — Russia fired") == ("KYIV", "AP")
    assert parse_dateline("LONDON, June 3 (Reuters) - Shares fell") == ("LONDON", "Reuters")
    assert parse_dateline("The president (who spoke) - said") == (None, None)
    assert parse_dateline("No dateline here.") == (None, None)


def test_dates_become_iso() -> None:
    assert normalize_date("2022-06-17") == "2022-06-17"
    assert normalize_date("June 17, 2022") == "2022-06-17"
    assert normalize_date("Tue, 21 Jun 2022 10:00:00 GMT") == "2022-06-21T10:00:00Z"
    assert normalize_date("2022-06-21T12:00:00+02:00") == "2022-06-21T10:00:00Z"
    assert normalize_date("not a date") is None
    assert normalize_date("") is None
    assert normalize_date(None) is None
    assert find_date_in_text("Updated 10:30 AM ET, Fri June 17, 2022. The story") == "2022-06-17"
    assert find_date_in_text("Nothing dated.") is None


def test_canonical_urls() -> None:
    a = canonical_url("https://edition.cnn.com/2022/06/17/world/story/index.html?utm_source=x#top")
    b = canonical_url("http://www.cnn.com/2022/06/17/world/story/index.html")
    assert a == b == "https://www.cnn.com/2022/06/17/world/story/index.html"
    assert (
        canonical_url("https://Example.org/a/?id=3&utm_medium=rss") == "https://example.org/a?id=3"
    )
    assert canonical_url("file:///etc/passwd") is None
    assert canonical_url(None) is None


def test_ids_and_hashes_are_stable() -> None:
    text = "Some  article\r\ntext with “quotes”."
    assert article_id(None, text) == article_id(None, 'some article text with "quotes".')
    assert article_id(None, text).startswith("sha256:")
    assert article_id("https://x.org/a/", text) == "https://x.org/a"
    assert content_hash("T", text) == content_hash("T", 'Some article text with "quotes".')
    assert content_hash("T", text) != content_hash("T", text + " More.")


def test_finalize_fills_source_place_and_title() -> None:
    raw = RawArticle(
        text="TEHRAN (Tasnim) – Iran’s top general spoke.\r\n\r\nMore text.",
        title="Top General Speaks",
        origin="x.txt",
    )
    a = finalize(raw)
    assert a.source == "Tasnim" and a.place == "TEHRAN"
    assert a.title == "Top General Speaks"
    assert "\r" not in a.text
    assert a.published is None
    assert a.article_id.startswith("sha256:")
    b = finalize(
        RawArticle(
            text="Body only.\nSecond line.",
            source="CNN",
            published="June 1, 2022",
            url="https://edition.cnn.com/x/",
        )
    )
    assert b.title == "Body only."
    assert b.source == "CNN" and b.published == "2022-06-01"
    assert b.article_id == "https://www.cnn.com/x"
