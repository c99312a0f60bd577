"""Readers that turn one input item (file, URL, stdin) into raw articles, or a clear error."""

from __future__ import annotations

import glob
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from ingest.decoding import NotTextError, declared_charset, decode_bytes
from ingest.fetch import Fetched, fetch, is_http_url
from ingest.htmltext import looks_like_html_document
from ingest.raw import LoadError, RawArticle
from qa.core.errors import IngestError
from qa.core.settings import Settings

STDIN_ORIGIN = "<stdin>"
SUPPORTED = "newsqa reads txt, md, html, json, jsonl and RSS/Atom feeds"
FORMAT_BY_EXTENSION: dict[str, str] = {
    ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html",
    ".htm": "html", ".xhtml": "html", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".xml": "xml", ".rss": "feed", ".atom": "feed", ".rdf": "feed",
}  # fmt: skip
UNSUPPORTED_EXTENSIONS = frozenset((
    "pdf", "doc", "docx", "odt", "rtf", "epub", "pages", "xls", "xlsx", "ods", "ppt", "pptx",
    "odp", "key", "png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff", "ico", "heic", "svg",
    "psd", "mp3", "mp4", "m4a", "wav", "ogg", "flac", "aac", "mov", "avi", "mkv", "webm", "zip",
    "gz", "tgz", "bz2", "xz", "7z", "rar", "tar", "zst", "exe", "dll", "so", "dylib", "bin",
    "iso", "dmg", "apk", "jar", "class", "pyc", "o", "a", "whl", "db", "sqlite", "sqlite3",
    "parquet", "pkl", "npy", "ttf", "otf", "woff", "woff2", "eml", "msg",
))  # fmt: skip
_GLOB_CHARS = re.compile(r"[*?\[]")
# a feed's first element is <rss>, <feed> or <rdf:RDF>, after any declaration, comments, doctype
_FEED_START = re.compile(
    r"^(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<(?:rss|feed|rdf:RDF)\b",
    re.IGNORECASE | re.DOTALL,
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_OTHER_SCHEMES = frozenset((
    "file", "ftp", "ftps", "sftp", "ssh", "scp", "data", "javascript", "vbscript", "mailto",
    "about", "blob", "chrome", "gopher", "ws", "wss", "smb", "nfs", "ldap", "telnet", "tel", "news", "nntp", "irc", "magnet", "s3", "gs",
))  # fmt: skip
_MEDIA_FORMATS: dict[str, str] = {
    "text/html": "html", "application/xhtml+xml": "html", "application/json": "json",
    "application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl", "text/plain": "txt", "text/markdown": "md",
    "text/x-markdown": "md", "application/rss+xml": "feed", "application/atom+xml": "feed",
    "application/rdf+xml": "feed", "application/xml": "xml", "text/xml": "xml",
}  # fmt: skip
_BINARY_MEDIA = re.compile(
    r"^(?:image|audio|video|font)/|^application/(?:pdf|zip|gzip|x-tar|x-7z|msword|vnd\.)"
)


def expand_sources(sources: Sequence[str], settings: Settings) -> Iterator[str | LoadError]:
    """Expand files, folders (recursive), globs, `-` (stdin) and URLs into single items.

    Folders and globs yield their files sorted, skipping hidden files and folders (names
    starting with "."); the same file is yielded once. A missing path, a glob matching nothing
    or a URL that is not http(s) yields a `LoadError` instead.
    """
    seen: set[str] = set()
    for source in sources:
        for item in _expand_one(source):
            if isinstance(item, LoadError):
                yield item
                continue
            key = item if item == "-" or is_http_url(item) else os.path.realpath(item)
            if key not in seen:
                seen.add(key)
                yield item


def _expand_one(source: str) -> Iterator[str | LoadError]:
    if source == "-":
        yield source
    elif is_http_url(source):
        yield source.strip()
    elif os.path.isdir(source):
        files = list(folder_files(Path(source)))
        if not files:
            yield LoadError(source, "the folder holds no files (hidden ones are skipped)")
        yield from files
    elif os.path.exists(source):
        yield source
    elif _GLOB_CHARS.search(source):
        matches = sorted(glob.glob(source, recursive=True))
        if not matches:
            yield LoadError(source, "no files match this pattern")
        for match in matches:
            yield from folder_files(Path(match)) if os.path.isdir(match) else [match]
    elif other := _other_scheme(source):
        yield LoadError(source, f"only http(s) URLs can be ingested, not {other}: URLs")
    else:
        yield LoadError(source, "no such file or folder; check the path")


def folder_files(folder: Path) -> Iterator[str]:
    """Files under `folder`, recursively, sorted by path, without hidden files or folders."""
    found: list[tuple[tuple[str, ...], str]] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith("."):
                path = Path(root) / name
                found.append((path.relative_to(folder).parts, str(path)))
    yield from (path for _parts, path in sorted(found))


def _other_scheme(item: str) -> str | None:
    """The scheme of a URL that is not http(s) ("file", "ftp", ...), else None."""
    match = _SCHEME.match(item.strip())
    if not match:
        return None
    scheme = match.group(1).lower()
    rest = item.strip()[match.end() :]
    return scheme if scheme in _OTHER_SCHEMES or rest.startswith("//") else None


def load_item(
    item: str, settings: Settings, stdin: BinaryIO | None = None
) -> list[RawArticle | LoadError]:
    """Read one item; a feed, JSON list or JSON Lines file yields several articles.

    Never raises for bad input: each problem is a `LoadError` whose reason says what is wrong
    and, when possible, what to do.

    Args:
        item: a file path, an http(s) URL, or "-" to read `stdin`.
        settings: size limits (`max_file_bytes`, `max_article_chars`) and fetch/feed limits.
        stdin: the binary stream read for "-" (default `sys.stdin.buffer`).
    """
    if item == "-":
        results = _load_stdin(stdin, settings)
    elif is_http_url(item):
        results = _load_url(item.strip(), settings)
    elif other := _other_scheme(item):
        results = [LoadError(item, f"only http(s) URLs can be ingested, not {other}: URLs")]
    else:
        results = _load_path(item, settings)
    return [_check_length(r, settings) for r in results]


def _check_length(result: RawArticle | LoadError, settings: Settings) -> RawArticle | LoadError:
    limit = settings.max_article_chars
    if isinstance(result, RawArticle) and len(result.text) > limit:
        return LoadError(
            result.origin,
            f"article text is {len(result.text):,} characters, longer than the "
            f"{limit:,}-character limit; split it or raise NEWSQA_MAX_ARTICLE_CHARS",
        )
    return result


def _too_large(size: int | None, settings: Settings) -> str:
    what = f"is {size:,} bytes, " if size is not None else "is "
    return (
        f"file {what}larger than the {settings.max_file_bytes:,}-byte limit "
        "(NEWSQA_MAX_FILE_BYTES); split it or raise the limit"
    )


def _load_path(item: str, settings: Settings) -> list[RawArticle | LoadError]:
    path = Path(item)
    try:
        info = path.stat()
    except FileNotFoundError:
        return [LoadError(item, "no such file or folder; check the path")]
    except OSError as exc:
        return [LoadError(item, f"cannot read this file: {exc.strerror or exc}")]
    if path.is_dir():
        return [LoadError(item, "this is a folder; pass it to `newsqa ingest` to read its files")]
    ext = path.suffix.lower()
    if ext.lstrip(".") in UNSUPPORTED_EXTENSIONS:
        return [LoadError(item, f"unsupported file type {ext}; {SUPPORTED}")]
    if info.st_size > settings.max_file_bytes:
        return [LoadError(item, _too_large(info.st_size, settings))]
    try:
        with path.open("rb") as handle:
            data = handle.read(settings.max_file_bytes + 1)
    except OSError as exc:
        return [LoadError(item, f"cannot read this file: {exc.strerror or exc}")]
    return load_bytes(data, item, settings)


def load_bytes(data: bytes, name: str, settings: Settings) -> list[RawArticle | LoadError]:
    """Read a file's content held in memory as the file `name` (its extension names the format;
    `name` is the origin). Never raises for bad input, like `load_item`."""
    ext = os.path.splitext(name)[1].lower()
    if ext.lstrip(".") in UNSUPPORTED_EXTENSIONS:
        return [LoadError(name, f"unsupported file type {ext}; {SUPPORTED}")]
    if len(data) > settings.max_file_bytes:  # (a file read from disk may have grown since)
        return [LoadError(name, _too_large(None, settings))]
    results = parse_bytes(data, name, FORMAT_BY_EXTENSION.get(ext), settings)
    return [_check_length(r, settings) for r in results]


def _load_stdin(stdin: BinaryIO | None, settings: Settings) -> list[RawArticle | LoadError]:
    if stdin is None:
        if sys.stdin is None:
            return [LoadError(STDIN_ORIGIN, "there is no standard input to read")]
        stdin = sys.stdin.buffer
    try:
        data: bytes | str = stdin.read(settings.max_file_bytes + 1)
    except (OSError, ValueError) as exc:
        return [LoadError(STDIN_ORIGIN, f"cannot read standard input: {exc}")]
    if isinstance(data, str):  # a text stream was passed
        data = data.encode("utf-8")
    if len(data) > settings.max_file_bytes:
        return [
            LoadError(
                STDIN_ORIGIN,
                f"input is larger than the {settings.max_file_bytes:,}-byte limit "
                "(NEWSQA_MAX_FILE_BYTES); save it to files or raise the limit",
            )
        ]
    if not data.strip():
        return [LoadError(STDIN_ORIGIN, "empty input: nothing was piped to standard input")]
    return parse_bytes(data, STDIN_ORIGIN, None, settings)


def _load_url(url: str, settings: Settings) -> list[RawArticle | LoadError]:
    try:
        fetched = fetch(url, settings)
    except IngestError as exc:
        return [LoadError(url, str(exc))]
    return load_fetched(fetched, url, settings)


def fetched_format(fetched: Fetched) -> str | None:
    """The format of a downloaded body ("feed", "html", "json", ...; None: sniff it), from its
    content type, the URL's extension and, for a feed, its first element."""
    fmt = _media_format(fetched.content_type)
    url_ext = os.path.splitext(fetched.url.split("?")[0].split("#")[0])[1].lower()
    if fmt in (None, "txt"):
        fmt = FORMAT_BY_EXTENSION.get(url_ext, fmt)
    if fmt != "json" and fmt != "jsonl" and looks_like_feed(fetched.body):
        fmt = "feed"
    return fmt


def _media_format(ctype: str) -> str | None:
    fmt = _MEDIA_FORMATS.get(ctype)
    if fmt is None and ctype.endswith("+json"):
        return "json"
    if fmt is None and ctype.endswith("+xml"):
        return "xml"
    return fmt


def load_fetched(fetched: Fetched, url: str, settings: Settings) -> list[RawArticle | LoadError]:
    """Read a downloaded body (a page, a feed, a JSON file, ...) as `load_item` reads a URL;
    `url` is the origin. Never raises for bad content."""
    ctype = fetched.content_type
    if _media_format(ctype) is None and _BINARY_MEDIA.search(ctype):
        return [LoadError(url, f"unsupported content type {ctype} at {fetched.url}; {SUPPORTED}")]
    fmt = fetched_format(fetched)
    results = parse_bytes(
        fetched.body, url, fmt, settings, declared=fetched.charset, page_url=fetched.url
    )
    if fmt in (None, "txt", "md", "html"):
        results = [
            replace(r, url=fetched.url) if isinstance(r, RawArticle) and not r.url else r
            for r in results
        ]
    return results


def parse_bytes(
    data: bytes,
    origin: str,
    fmt: str | None,
    settings: Settings,
    declared: str | None = None,
    page_url: str | None = None,
) -> list[RawArticle | LoadError]:
    """Parse an item's bytes as `fmt` ("txt", "md", "html", "json", "jsonl", "feed", "xml").

    `fmt=None` sniffs the format from the content. `declared` is a charset named by the
    source (an HTTP header); `page_url` is the URL the bytes were downloaded from, used to
    resolve a relative canonical link. Never raises for bad content.
    """
    from ingest.feeds import parse_feed

    if not data.strip():
        return [LoadError(origin, "empty file")]
    try:
        text = decode_bytes(data, declared or declared_charset(data))
    except NotTextError:
        return [LoadError(origin, "binary file, not text; " + SUPPORTED)]
    if not text.strip():
        return [LoadError(origin, "empty file")]
    if fmt is None:
        fmt = sniff_format(text)
    if fmt == "xml":
        if looks_like_feed(text):
            fmt = "feed"
        elif looks_like_html_document(text):
            fmt = "html"
        else:
            return [LoadError(origin, "this XML document is not an RSS or Atom feed; " + SUPPORTED)]
    if fmt == "feed":
        return parse_feed(data, origin, settings)
    return _parse_text(text, origin, fmt, page_url)


def _parse_text(
    text: str, origin: str, fmt: str, page_url: str | None
) -> list[RawArticle | LoadError]:
    if fmt in ("json", "jsonl"):
        from ingest.records import parse_json, parse_jsonl

        return parse_json(text, origin) if fmt == "json" else parse_jsonl(text, origin)
    if fmt == "html":
        from ingest.htmltext import extract_page

        page = extract_page(text, page_url)
        if not page.text:
            return [LoadError(origin, "no article text found in the HTML")]
        return [
            RawArticle(
                text=page.text,
                title=page.title,
                url=page.url,
                published=page.published,
                source=page.source,
                authors=page.authors,
                origin=origin,
                extra={"format": "html"},
            )
        ]
    from ingest.textfiles import parse_markdown, parse_txt

    return [parse_markdown(text, origin) if fmt == "md" else parse_txt(text, origin)]


def sniff_format(text: str) -> str:
    """Guess the format of decoded content: "feed", "html", "xml", "json", "jsonl", "md" or "txt"."""
    head = text[:4096].lstrip("\ufeff \t\n")
    if looks_like_feed(head):
        return "feed"
    if looks_like_html_document(head) and head.startswith("<"):
        return "html"
    if head.startswith("<?xml"):
        return "xml"
    if head.startswith(("{", "[")):
        lines = [line for line in text.split("\n") if line.strip()]
        if len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines):
            try:
                first = json.loads(lines[0])
            except (ValueError, RecursionError):
                return "json"
            return "jsonl" if isinstance(first, dict) else "json"
        return "json"
    if head.startswith("---\n") or re.match(r"#[ \t]+\S", head):
        return "md"
    if head.startswith("<") and re.match(r"<(?:p|div|article|section|h[1-6])\b", head, re.I):
        return "html"
    return "txt"


def looks_like_feed(head: str | bytes) -> bool:
    """True when the start of a document is an RSS, Atom or RDF feed."""
    if isinstance(head, bytes):
        head = head[:4096].removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    return _FEED_START.match(head[:4096].lstrip("\ufeff")) is not None
