"""Articles from JSON and JSON Lines: one object, a list, `{"articles": [...]}`, or one per line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ingest.htmltext import fragment_to_text, looks_like_html
from ingest.raw import LoadError, RawArticle

_TITLE_KEYS = ("title", "headline")
_TEXT_KEYS = ("text", "body", "content", "article", "maintext")
_URL_KEYS = ("url", "link")
_DATE_KEYS = ("published", "date", "publish_date", "published_at", "pubDate")
_SOURCE_KEYS = ("source", "outlet", "publisher", "site_name")
_LIST_KEYS = ("articles", "items", "data")
_NO_TEXT = (
    "record has no article text; give it a non-empty 'text', 'body', 'content', 'article' "
    "or 'maintext' field"
)


def parse_json(text: str, origin: str) -> list[RawArticle | LoadError]:
    """Read a JSON document holding one article, a list of articles, or `{"articles": [...]}`.

    List items get the origin `origin#N` (N counts from 1); a single object keeps `origin`.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [
            LoadError(
                origin,
                f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}; "
                "fix the file (or use .jsonl for one article per line)",
            )
        ]
    except (ValueError, RecursionError) as exc:  # huge numbers, absurd nesting
        return [LoadError(origin, f"cannot read this JSON: {_short(exc)}")]
    if isinstance(data, dict):
        listed = _article_list(data)
        if listed is None:
            return [record_to_article(data, origin)]
        data = listed
    if isinstance(data, list):
        if not data:
            return [LoadError(origin, "the JSON list holds no articles")]
        return [record_to_article(item, f"{origin}#{n}") for n, item in enumerate(data, 1)]
    return [
        LoadError(
            origin,
            "JSON must be an article object, a list of article objects, or an object with an "
            f"'articles' list; this file holds a {_kind(data)}",
        )
    ]


def parse_jsonl(text: str, origin: str) -> list[RawArticle | LoadError]:
    """Read JSON Lines: one article object per line, origin `origin:line N`; blank lines skipped.

    A malformed line becomes a `LoadError` for that line only; the other lines still load.
    """
    results: list[RawArticle | LoadError] = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{origin}:line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            results.append(
                LoadError(where, f"invalid JSON on this line: {exc.msg} (column {exc.colno})")
            )
            continue
        except (ValueError, RecursionError) as exc:
            results.append(LoadError(where, f"cannot read this JSON line: {_short(exc)}"))
            continue
        results.append(record_to_article(record, where, fmt="jsonl"))
    if not results:
        return [LoadError(origin, "empty file")]
    return results


def record_to_article(record: object, origin: str, fmt: str = "json") -> RawArticle | LoadError:
    """Map one JSON object's fields (title/headline, text/body/..., url/link, ...) to an article."""
    if not isinstance(record, dict):
        return LoadError(origin, f"expected an article object, found a JSON {_kind(record)}")
    text = _first_text(record)
    if text and looks_like_html(text):
        text = fragment_to_text(text)
    if not text:
        return LoadError(origin, _NO_TEXT)
    source = _first(record, _SOURCE_KEYS)
    if isinstance(source, Mapping):
        source = _first(source, ("name", "title"))
    url = _first(record, _URL_KEYS)
    if isinstance(url, Mapping):
        url = _first(url, ("href", "url"))
    return RawArticle(
        text=text,
        title=_as_str(_first(record, _TITLE_KEYS)),
        url=_as_str(url),
        published=_as_str(_first(record, _DATE_KEYS)),
        source=_as_str(source),
        authors=_authors(record),
        origin=origin,
        extra={"format": fmt},
    )


def _article_list(data: dict[str, Any]) -> list[Any] | None:
    """The list under `articles`/`items`/`data`, unless the object is itself an article."""
    if _first_text(data):
        return None
    for key in _LIST_KEYS:
        if isinstance(data.get(key), list):
            return data[key]  # type: ignore[no-any-return]
    return None


def _first(record: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """The first value under `keys` that is not empty."""
    for key in keys:
        value = record.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _first_text(record: Mapping[str, Any]) -> str:
    for key in _TEXT_KEYS:
        value = record.get(key)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "\n\n".join(v.strip() for v in value if v.strip())  # a list of paragraphs
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _as_str(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return text or None
    return None


def _authors(record: Mapping[str, Any]) -> tuple[str, ...]:
    value = _first(record, ("authors", "author"))
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, Mapping):
            item = _first(item, ("name", "title"))
        name = _as_str(item)
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _kind(value: object) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _short(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
