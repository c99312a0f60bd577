"""Metadata normalisation: datelines, dates, URLs, ids and hashes; the one date policy."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.loaders import RawArticle
from ingest.metadata import (
    article_id,
    canonical_url,
    content_hash,
    dateline_date,
    finalize,
    find_date_in_text,
    normalize_date,
    parse_dateline,
)
from qa import ConfigError, QueryError, parse_date
from qa.core.dates import day_of, format_day
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


def test_a_date_inside_the_body_is_not_the_publication_date() -> None:
    """An event date in a sentence ("opening on April 5, 2025") never becomes `published`; a
    line that is only a date stamp at the top (a dateline) does."""
    event = finalize(
        RawArticle(
            text="The new library is opening on April 5, 2025, the council said on Monday.\n\n"
            "It will hold 40,000 books.",
            title="Library to open",
        )
    )
    assert event.published is None
    stamped = finalize(RawArticle(text="Updated 10:30 AM ET, Fri June 17, 2022\n\nThe story."))
    assert stamped.published == "2022-06-17"
    assert dateline_date("Published: 17 June 2022\nText") == "2022-06-17"
    assert dateline_date("Updated 10:30 AM ET, Fri June 17, 2022. The story") is None
    # the record's own date always wins
    given = finalize(RawArticle(text="Opening on April 5, 2025.", published="2025-03-01"))
    assert given.published == "2025-03-01"


def test_parse_date_reads_every_accepted_form() -> None:
    june17 = date(2022, 6, 17)
    for text in ("2022-06-17", "June 17, 2022", "17 June 2022", "Jun 17 2022", " june 17th, 2022 "):
        assert parse_date(text) == june17, text
    assert parse_date("2022-06") == date(2022, 6, 1)
    assert parse_date("2022-06", end=True) == date(2022, 6, 30)  # the end of a range
    assert parse_date("2022") == date(2022, 1, 1)
    assert parse_date("2022", end=True) == date(2022, 12, 31)
    assert parse_date("February 2024", end=True) == date(2024, 2, 29)
    assert parse_date("2022-06-17T10:30:00Z") == june17
    assert parse_date(june17) is june17


def test_parse_date_says_what_it_did_not_understand() -> None:
    with pytest.raises(QueryError, match=r"“June 1” is not a date; type it as YYYY-MM-DD"):
        parse_date("June 1")
    with pytest.raises(QueryError, match="last week"):
        parse_date("last week")
    with pytest.raises(QueryError, match="2022-02-30 is not a day of the calendar"):
        parse_date("2022-02-30")
    with pytest.raises(ConfigError):  # a QueryError is a ConfigError (and a ValueError)
        parse_date("06/17/2022")  # ambiguous: month or day first?
    with pytest.raises(ValueError):
        parse_date("someday")


def test_day_of_and_format_day() -> None:
    assert day_of("2022-06-17T10:00:00Z") == date(2022, 6, 17)
    assert day_of(None) is None and day_of("") is None and day_of("garbage") is None
    assert format_day("2022-06-21") == "21 June 2022"
    assert format_day(None) == "date unknown"
