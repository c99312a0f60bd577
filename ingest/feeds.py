"""Articles from RSS/Atom feeds; short entries are completed by fetching the linked page."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ingest.decoding import NotTextError, declared_charset, decode_bytes
from ingest.fetch import fetch, is_http_url
from ingest.htmltext import PageText, extract_page, fragment_to_text, looks_like_html
from ingest.raw import LoadError, RawArticle
from qa.core.errors import IngestError
from qa.core.settings import Settings

SHORT_ENTRY_CHARS = 500  # entries with less text than this are fetched from their link
_FETCH_WORKERS = 4


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed, before its article is read (and its link perhaps fetched)."""

    key: str  # what identifies the entry across polls: its id (guid), else link, else title
    fingerprint: str  # changes when the entry's title, date, summary or content change
    link: str | None
    entry: Any = field(compare=False, repr=False)  # feedparser's entry


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its title and its entries, newest first as the feed lists them."""

    title: str | None
    entries: tuple[FeedEntry, ...]


def read_feed(data: bytes, origin: str) -> Feed | LoadError:
    """Parse a feed document without fetching anything.

    Returns a `LoadError` for a document that is not a readable feed, or one with no entries.
    """
    import feedparser

    try:
        parsed = feedparser.parse(io.BytesIO(data))
    except (ValueError, RecursionError, LookupError) as exc:  # defensive: feedparser rarely raises
        return LoadError(origin, f"not a readable RSS/Atom feed: {exc}")
    entries: list[Any] = list(parsed.get("entries") or [])
    if not entries:
        if parsed.get("bozo") and not parsed.get("version"):
            problem = parsed.get("bozo_exception")
            detail = f": {str(problem).splitlines()[0]}" if problem else ""
            return LoadError(origin, f"not a readable RSS/Atom feed{detail}")
        return LoadError(origin, "feed has no entries")
    feed_meta = parsed.get("feed") or {}
    return Feed(_text_of(feed_meta.get("title")), tuple(_feed_entry(e) for e in entries))


def _feed_entry(entry: Any) -> FeedEntry:
    link = entry.get("link")
    link = link.strip() if isinstance(link, str) and is_http_url(link) else None
    parts = [entry.get(k) for k in ("title", "published", "updated", "summary")]
    parts += [c.get("value") for c in entry.get("content") or [] if isinstance(c, dict)]
    digest = hashlib.sha256(
        "\x1f".join(p if isinstance(p, str) else "" for p in parts).encode("utf-8", "replace")
    ).hexdigest()[:32]
    ident = entry.get("id")
    key = ident.strip() if isinstance(ident, str) and ident.strip() else link
    return FeedEntry(key=key or f"sha256:{digest}", fingerprint=digest, link=link, entry=entry)


def entry_articles(
    entries: Sequence[FeedEntry], origins: Sequence[str], feed_title: str | None, settings: Settings
) -> list[RawArticle | LoadError]:
    """The article of each entry (its link fetched when the entry holds little text), in order;
    `origins` names each entry in the report."""
    with ThreadPoolExecutor(max_workers=_FETCH_WORKERS) as pool:
        futures = [
            pool.submit(_entry_article, e.entry, origin, feed_title, settings)
            for e, origin in zip(entries, origins, strict=True)
        ]
        return [f.result() for f in futures]


def parse_feed(data: bytes, origin: str, settings: Settings) -> list[RawArticle | LoadError]:
    """Turn each feed entry (at most `settings.max_feed_entries`) into an article.

    Entry text is `content` (else `summary`) as plain text. When it is shorter than
    `SHORT_ENTRY_CHARS` and the entry links to an http(s) page, the page is fetched and its main
    text is used instead; if that fails, the summary is kept (or the entry is reported).

    Args:
        data: the feed document, as bytes (feedparser is never given a URL or path).
        origin: the feed path or URL; entries get `origin#entry-N` (N counts from 1).
        settings: the feed entry limit and the fetch limits.
    """
    feed = read_feed(data, origin)
    if isinstance(feed, LoadError):
        return [feed]
    limit = settings.max_feed_entries
    kept = feed.entries[:limit]
    origins = [f"{origin}#entry-{n}" for n in range(1, len(kept) + 1)]
    results = entry_articles(kept, origins, feed.title, settings)
    if len(feed.entries) > limit:
        results.append(
            LoadError(
                origin,
                f"feed has {len(feed.entries)} entries; only the first {limit} were read "
                "(raise NEWSQA_MAX_FEED_ENTRIES to read more)",
            )
        )
    return results


def _entry_article(
    entry: Any, origin: str, feed_title: str | None, settings: Settings
) -> RawArticle | LoadError:
    text = _entry_text(entry)
    link = entry.get("link")
    link = link.strip() if isinstance(link, str) and is_http_url(link) else None
    extra = {"format": "feed"}
    page: PageText | None = None
    if len(text) < SHORT_ENTRY_CHARS and link:
        try:
            page = fetch_page(link, settings)
        except IngestError as exc:
            if not text:
                return LoadError(
                    origin, f"entry has no text and its link could not be fetched: {exc}"
                )
            extra["fetch_error"] = str(exc)
        # a paywall or cookie page can hold less than the summary: keep the longer text
        if page is not None and len(page.text) <= len(text):
            page = None
    if page is None and not text:
        reason = f"{link} has no article text" if link else "it has no link to fetch it from"
        return LoadError(origin, f"entry has no text and {reason}")
    return RawArticle(
        text=page.text if page else text,
        title=_text_of(entry.get("title")) or (page.title if page else None),
        url=page.url if page and page.url else link,
        published=_text_of(entry.get("published") or entry.get("updated"))
        or (page.published if page else None),
        source=feed_title or (page.source if page else None),
        authors=_entry_authors(entry) or (page.authors if page else ()),
        origin=origin,
        extra=extra,
    )


def fetch_page(url: str, settings: Settings) -> PageText:
    """Fetch `url` and extract its article: main text of an HTML page, or a plain text body.

    Raises:
        IngestError: the fetch failed, or the response is not a web page or text.
    """
    fetched = fetch(url, settings)
    try:
        body = decode_bytes(fetched.body, fetched.charset or declared_charset(fetched.body))
    except NotTextError:
        raise IngestError(f"{fetched.url} is not a web page ({fetched.content_type})") from None
    if fetched.content_type == "text/plain" and not looks_like_html(body):
        return PageText(text=body.strip(), url=fetched.url)
    if fetched.content_type in ("text/html", "application/xhtml+xml", "") or looks_like_html(body):
        return extract_page(body, fetched.url)
    raise IngestError(f"{fetched.url} is not a web page ({fetched.content_type})")


def _entry_text(entry: Any) -> str:
    """Plain text of the entry's longest `content` part, else of its `summary`."""
    parts = [c for c in entry.get("content") or [] if isinstance(c.get("value"), str)]
    best = max(parts, key=lambda c: len(c["value"]), default=None)
    if best is not None and best["value"].strip():
        raw, kind = best["value"], best.get("type") or ""
    else:
        detail = entry.get("summary_detail") or {}
        raw, kind = entry.get("summary") or "", detail.get("type") or ""
    if not isinstance(raw, str):
        return ""
    if kind == "text/plain" and not looks_like_html(raw):
        return raw.strip()
    return fragment_to_text(raw)


def _entry_authors(entry: Any) -> tuple[str, ...]:
    names: list[str] = []
    for author in entry.get("authors") or []:
        name = _text_of(author.get("name")) if isinstance(author, dict) else None
        if name and name not in names:
            names.append(name)
    if not names:
        name = _text_of(entry.get("author"))
        if name:
            names.append(name)
    return tuple(names)


def _text_of(value: object) -> str | None:
    """A title or author as plain text (feeds may hold HTML there too)."""
    if not isinstance(value, str):
        return None
    text = fragment_to_text(value) if looks_like_html(value) else value
    text = " ".join(text.split())
    return text or None
