"""Articles from plain text (title line, then body) and Markdown (front matter, `# ` title)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ingest.raw import LoadError, RawArticle

MAX_TITLE_CHARS = 200
_H1 = re.compile(r"^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_H1 = re.compile(r"^=+[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_DATE_KEYS = ("published", "date", "publish_date", "published_at", "pubDate")
_SOURCE_KEYS = ("source", "outlet", "publisher", "site_name")
_KNOWN_KEYS = frozenset(
    ("title", "headline", "url", "link", "author", "authors", *_DATE_KEYS, *_SOURCE_KEYS)
)


def parse_txt(text: str, origin: str) -> RawArticle | LoadError:
    """A plain text article: a short first line is the title (once, even if repeated)."""
    title, body = split_title(text)
    if not body:
        return LoadError(origin, "empty file")
    return RawArticle(text=body, title=title, origin=origin, extra={"format": "txt"})


def split_title(text: str) -> tuple[str | None, str]:
    """Split off a headline line; returns (title or None, the remaining text stripped).

    The first non-empty line is a title when it is at most `MAX_TITLE_CHARS` long, more text
    follows, and it does not read like the start of a paragraph (ends with `,;:`, ends with a
    period after other sentences, or runs on into a lower-case line). A copy of the title right
    after it (as in the bundled seed) is dropped.
    """
    lines = text.strip().split("\n")
    first = lines[0].strip() if lines else ""
    rest = lines[1:]
    if not first or not "".join(rest).strip() or not _is_title(first, rest[0] if rest else ""):
        return None, text.strip()
    body_lines = list(rest)
    while body_lines and not body_lines[0].strip():
        body_lines.pop(0)
    if body_lines and _same(body_lines[0], first):
        body_lines.pop(0)
    return first, "\n".join(body_lines).strip()


def _is_title(line: str, next_line: str) -> bool:
    if len(line) > MAX_TITLE_CHARS or line[-1] in ",;:":
        return False
    follows = next_line.strip()
    if follows and follows[0].islower():  # a hard-wrapped paragraph, not a headline
        return False
    if line.endswith(".") and not line.endswith("..."):
        # "U.S. Lawmakers Back Aid." may be a headline; a full sentence line is not
        return bool(not follows and ". " not in line and len(line) <= 120)
    return True


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def parse_markdown(text: str, origin: str) -> RawArticle | LoadError:
    """A Markdown article with optional YAML front matter; the text is kept as Markdown.

    Front matter keys: title, date/published, source/outlet, url/link, author/authors; other
    scalar keys go to `extra`. Without a title there, the first `# ` heading is the title and
    its line is removed from the text.
    """
    import frontmatter
    import yaml

    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError, TypeError, AttributeError) as exc:
        problem = " ".join(str(exc).split())[:200]
        return LoadError(
            origin, f"invalid YAML front matter: {problem}; fix or remove the --- block"
        )
    meta: dict[str, Any] = dict(post.metadata) if isinstance(post.metadata, dict) else {}
    body = post.content.strip()
    title = _scalar(meta.get("title") or meta.get("headline"))
    heading, without_heading = _first_heading(body)
    if heading and (title is None or _same(heading, title)):
        title = title or heading
        body = without_heading
    if not body:
        return LoadError(origin, "empty file" if not title else "the Markdown file has no text")
    extra = {"format": "md"}
    for key, value in meta.items():
        if str(key) not in _KNOWN_KEYS:
            as_text = _scalar(value) if not isinstance(value, list) else _joined(value)
            if as_text:
                extra[str(key)] = as_text
    return RawArticle(
        text=body,
        title=title,
        url=_scalar(meta.get("url") or meta.get("link")),
        published=_scalar(next((meta[k] for k in _DATE_KEYS if meta.get(k)), None)),
        source=_source(next((meta[k] for k in _SOURCE_KEYS if meta.get(k)), None)),
        authors=_authors(meta.get("authors") or meta.get("author")),
        origin=origin,
        extra=extra,
    )


def _first_heading(body: str) -> tuple[str | None, str]:
    """The first level-1 heading outside code fences, and the body without that heading."""
    lines = body.split("\n")
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = _H1.match(line)
        if match:
            return match.group(1).strip(), "\n".join(lines[:i] + lines[i + 1 :]).strip()
        if line.strip() and i + 1 < len(lines) and _SETEXT_H1.match(lines[i + 1]):
            return line.strip(), "\n".join(lines[:i] + lines[i + 2 :]).strip()
    return None, body


def _scalar(value: object) -> str | None:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        return str(value).strip() or None
    return None


def _joined(values: list[Any]) -> str | None:
    parts = [s for s in (_scalar(v) for v in values) if s]
    return ", ".join(parts) or None


def _source(value: object) -> str | None:
    if isinstance(value, dict):
        return _scalar(value.get("name") or value.get("title"))
    return _scalar(value)


def _authors(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = _source(item)
        if name and name not in names:
            names.append(name)
    return tuple(names)
