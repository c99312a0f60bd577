"""Main article text and metadata from HTML pages, and plain text from HTML fragments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from ingest.fetch import is_http_url

# Tags whose presence makes a string "HTML" rather than text that happens to contain "<".
_MARKUP = re.compile(
    r"<(?:p|div|br|span|a|em|strong|b|i|u|h[1-6]|ul|ol|li|blockquote|html|body|head|article|"
    r"section|img|figure|figcaption|table|tr|td|th|pre|code|header|footer|nav|main|script|style|"
    r"iframe|hr|sup|sub|small|time|meta|link|title)\b[^>]*>|&(?:[a-z]+|#\d+|#x[0-9a-f]+);",
    re.IGNORECASE,
)
_FULL_DOCUMENT = re.compile(r"<(?:!doctype\s+html|html|body)\b", re.IGNORECASE)
_SKIP_TAGS = frozenset((
    "script", "style", "noscript", "template", "svg", "head", "iframe", "object", "nav", "button",
    "select",
))  # fmt: skip
_BLOCK_TAGS = frozenset((
    "p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "blockquote",
    "pre", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td",
    "th", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "hr", "address", "form",
    "fieldset", "details", "summary", "body", "html",
))  # fmt: skip
_VOID_TAGS = frozenset({"br", "hr", "img", "meta", "link", "input", "source", "wbr", "col"})
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PageText:
    """What could be read from one HTML page."""

    text: str  # paragraphs separated by blank lines, no markup
    title: str | None = None
    published: str | None = None
    source: str | None = None
    authors: tuple[str, ...] = ()
    url: str | None = None  # the canonical URL when the page declares one, else the page URL


def looks_like_html(text: str) -> bool:
    """True when `text` contains HTML tags or entities (a feed summary, a JSON `body`, ...)."""
    return _MARKUP.search(text) is not None


def looks_like_html_document(text: str) -> bool:
    """True when `text` starts like a whole HTML document rather than a fragment."""
    return _FULL_DOCUMENT.search(text[:4096]) is not None


def extract_page(html: str, url: str | None = None) -> PageText:
    """Extract the main article text and metadata of an HTML page with trafilatura.

    Menus, scripts, ads and footers are left out. When trafilatura finds no main text, the
    visible text of `<body>` (without scripts and styles) is used instead.

    Args:
        html: the decoded page.
        url: the page URL (after redirects), used to resolve a relative canonical link.

    Returns:
        The text (possibly empty: the page has no readable text) and any metadata found.
    """
    meta = _trafilatura(html, url)
    title = _clean(meta.get("title"))
    text = _paragraphs(meta.get("text") or "")
    if not text:
        text = html_to_text(html)
    if title:  # the headline is usually the first block of the main text: keep it only as title
        first, _, rest = text.partition("\n\n")
        if rest and " ".join(first.split()).casefold() == title.casefold():
            text = rest
    authors = tuple(
        a.strip() for a in re.split(r";|\s*\|\s*", meta.get("author") or "") if a.strip()
    )
    canonical = meta.get("url")
    if isinstance(canonical, str) and canonical:
        canonical = urljoin(url or "", canonical.strip())
        if not is_http_url(canonical):
            canonical = None
    return PageText(
        text=text,
        title=title,
        published=_clean(meta.get("date")),
        source=_clean(meta.get("sitename")),
        authors=authors,
        url=canonical or url,
    )


def fragment_to_text(fragment: str) -> str:
    """Plain text from an HTML fragment or document; text without markup is returned stripped."""
    if not looks_like_html(fragment):
        return fragment.strip()
    if looks_like_html_document(fragment):
        return extract_page(fragment).text
    return html_to_text(fragment)


def html_to_text(html: str) -> str:
    """The visible text of `html` (no scripts, styles or `<head>`), paragraphs on blank lines."""
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        pass
    return parser.text()


def _trafilatura(html: str, url: str | None) -> dict[str, Any]:
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            deduplicate=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except (ValueError, TypeError, RecursionError):  # defensive: malformed trees
        return {}
    if doc is None:
        return {}
    if isinstance(doc, dict):
        return doc
    as_dict = getattr(doc, "as_dict", None)
    return as_dict() if callable(as_dict) else {}


def _paragraphs(text: str) -> str:
    """Trafilatura puts one block per line; separate them by blank lines."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = _SPACES.sub(" ", value).strip()
    return value or None


class _TextParser(HTMLParser):
    """Collects visible text, starting a new paragraph at every block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._blocks: list[str] = []
        self._current: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # a <head> whose end tag was left out ends here
            self._skip_depth = 0
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag == "br":
            self._current.append("\n")
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._current.append("\n")
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS and tag not in _VOID_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            # line breaks in the source are only spaces; <br> adds the real ones
            self._current.append(_WHITESPACE.sub(" ", data))

    def _flush(self) -> None:
        raw = "".join(self._current)
        self._current = []
        lines = (_SPACES.sub(" ", line).strip() for line in raw.split("\n"))
        block = "\n".join(line for line in lines if line)
        if block:
            self._blocks.append(block)

    def text(self) -> str:
        """All blocks collected so far, separated by blank lines."""
        self._flush()
        return "\n\n".join(self._blocks)
