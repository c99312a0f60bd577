"""Normalised article metadata: datelines, ISO dates, canonical URLs, stable ids and content hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ingest.raw import RawArticle
from qa.core.schema import Article

# "TEHRAN (Tasnim) –", "WASHINGTON (Reuters) -", "KYIV, Ukraine (AP) —", "LONDON, June 3 (Reuters) -"
_DATELINE = re.compile(
    r"""^\s*
    (?P<place>[A-Z][A-Za-z'’.\- ]{1,40}?(?:,\ [A-Z][A-Za-z.\- ]{1,30}?)?)
    (?:,\ (?P<when>[A-Z][a-z]{2,8}\.?\ \d{1,2}))?
    \s*\((?P<source>[^()\n]{2,40})\)\s*
    (?:[-–—:]+)\s*
    """,
    re.VERBOSE,
)
_CAPS_PLACE = re.compile(r"^[A-Z][A-Z'’.\- ]+(?:, [A-Za-z.\- ]+)?$")

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_TEXT_DATE = re.compile(
    rf"\b(?:(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})|"
    rf"(?P<mdy>(?:{_MONTHS})\.? \d{{1,2}}, \d{{4}})|"
    rf"(?P<dmy>\d{{1,2}} (?:{_MONTHS})\.? \d{{4}}))\b"
)

_TIME = r"\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*[A-Z]{2,4})?"
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
_STAMP_LINE = re.compile(
    rf"^(?:(?:last\s+)?(?:updated|published|posted|first\s+published|date)\b\s*:?\s*)?"
    rf"(?:(?:on|at)\s+)?(?:{_TIME}\s*,?\s*)?(?:{_WEEKDAY}\s*,?\s*)?"
    rf"(?P<date>{_TEXT_DATE.pattern})"
    rf"(?:\s*,?\s*(?:at\s+)?{_TIME})?\W*$",
    re.IGNORECASE,
)

_TRACKING = re.compile(r"^(utm_|fbclid$|gclid$|mc_|ocid$|cmpid$|ref$|smid$)", re.IGNORECASE)


def parse_dateline(text: str) -> tuple[str | None, str | None]:
    """`(place, source)` from a wire dateline at the start of `text`, e.g. ("TEHRAN", "Tasnim")."""
    for line in text.lstrip().splitlines()[:3]:
        m = _DATELINE.match(line)
        if not m:
            continue
        place = m.group("place").strip().rstrip(",")
        source = m.group("source").strip()
        if not _CAPS_PLACE.match(place) or not any(c.isalpha() for c in source):
            continue
        return place.split(",")[0].strip(), source
    return None, None


def normalize_date(value: str | date | None) -> str | None:
    """An ISO 8601 date (or datetime, UTC) from the many forms feeds and pages use; None if unknown."""
    if isinstance(value, datetime):
        value = value.isoformat()
    elif isinstance(value, date):
        return value.isoformat()
    if not value or not str(value).strip():
        return None
    s = str(value).strip()
    from dateutil import parser as dateparser

    try:
        dt = dateparser.parse(s, default=datetime(1, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return None
    if dt.year < 1900 or dt.year > 2200:
        return None
    has_time = bool(re.search(r"\d{1,2}:\d{2}", s))
    if not has_time:
        return dt.date().isoformat()
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
        return dt.isoformat(timespec="seconds") + "Z"
    return dt.isoformat(timespec="seconds")


def find_date_in_text(text: str, window: int = 400) -> str | None:
    """The first date written near the top of an article ("June 17, 2022"), if any.

    Any date: in a sentence it is as likely an event's ("opening on April 5, 2025") as the
    publication's, so `finalize` takes only a `dateline_date` as the publication date.
    """
    m = _TEXT_DATE.search(text[:window])
    if not m:
        return None
    return normalize_date(m.group(0))


def dateline_date(text: str, lines: int = 3) -> str | None:
    """The date of a line that is only a date stamp, among the first `lines` lines of the text
    ("June 17, 2022", "Updated 10:30 AM ET, Fri June 17, 2022", "Published: 17 June 2022").

    A date inside a sentence is not one: it may be when something happens, not when the article
    was published.
    """
    for line in [ln for ln in text.splitlines() if ln.strip()][:lines]:
        m = _STAMP_LINE.match(line.strip())
        if m:
            return normalize_date(m.group("date"))
    return None


def canonical_url(url: str | None) -> str | None:
    """A stable form of an article URL: lower-case host, no fragment, tracking parameters or
    trailing slash, and `edition.cnn.com` as `www.cnn.com`."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.lower()
    if host.startswith("edition.cnn.com") or host.startswith("us.cnn.com"):
        host = "www.cnn.com" + host[host.index("cnn.com") + 7 :]
    if host.endswith(":80") or host.endswith(":443"):
        host = host.rsplit(":", 1)[0]
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    ]
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("https", host, path, urlencode(query), ""))


def normalize_text(text: str) -> str:
    """Text as compared for identity: NFC, unified quotes and dashes, collapsed whitespace, lower case."""
    t = unicodedata.normalize("NFKC", text)
    t = t.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    t = re.sub(r"[–—]", "-", t)
    return " ".join(t.split()).lower()


def content_hash(title: str, text: str) -> str:
    """sha256 of the normalised title and text: equal for the same article however it was saved."""
    h = hashlib.sha256()
    h.update(normalize_text(title).encode("utf-8"))
    h.update(b"\x00")
    h.update(normalize_text(text).encode("utf-8"))
    return h.hexdigest()


def article_id(url: str | None, text: str) -> str:
    """The canonical URL when known, else `sha256:` of the normalised text (first 32 hex digits)."""
    canon = canonical_url(url)
    if canon:
        return canon
    return "sha256:" + hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()[:32]


def clean_text(text: str) -> str:
    """Line endings unified, trailing spaces and control characters removed, runs of blank lines cut."""
    t = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    t = "".join(c for c in t if c in "\n\t" or unicodedata.category(c)[0] != "C")
    t = "\n".join(line.rstrip() for line in t.split("\n"))
    t = re.sub(r"\n{3,}", "\n\n", t)
    return t.strip()


def _title_from_text(text: str) -> str:
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "..."


def finalize(raw: RawArticle, ingested_at: datetime | None = None) -> Article:
    """Turn a `RawArticle` into a stored `Article` with normalised metadata.

    The outlet comes from the record when it names one, else from the dateline; the date from the
    record, else from a date stamp line at the top of the text (`dateline_date`; a date inside
    the body's sentences is never taken for the publication date); the id from the canonical
    URL, else the text hash.
    """
    text = clean_text(raw.text)
    title = " ".join((raw.title or "").split()) or _title_from_text(text)
    place, dateline_source = parse_dateline(text)
    source = (raw.source or "").strip() or dateline_source
    published = normalize_date(raw.published) or dateline_date(text)
    url = raw.url.strip() if raw.url else None
    now = (ingested_at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    return Article(
        article_id=article_id(url, text),
        title=title,
        text=text,
        source=source or None,
        place=place,
        published=published,
        url=url,
        authors=tuple(a.strip() for a in raw.authors if a and a.strip()),
        content_hash=content_hash(title, text),
        ingested_at=now.isoformat(timespec="seconds") + "Z",
        origin=raw.origin,
    )
