"""What the `newsqa` commands print: ingest item lines, article listings, store statistics,
answers with their sources, JSON. Plain functions from results to text; the commands echo it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import typer

from newsqa.wording import plural

STATS_KEYS = (
    "data_dir",
    "articles",
    "duplicates",
    "chunks",
    "vectors",
    "keyword_index_rows",
    "keyword_index",
    "pending_journal",
    "sources",
    "oldest",
    "newest",
    "undated",
    "embedder",
    "db_bytes",
)


def echo_json(data: Any) -> None:
    """Print `data` as indented JSON (dates and other values as strings)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def day(published: str | None, missing: str = "undated") -> str:
    """The day of a stored ISO date or datetime, as YYYY-MM-DD (the one format the CLI prints)."""
    return published[:10] if published else missing


def item_line(it: Any) -> str:
    """One ingest item: status, title (or where it came from), and what happened."""
    label = it.title or it.origin
    extra = ""
    if it.status == "failed":
        extra = f": {it.reason}"
    elif it.status == "duplicate":
        extra = f" (duplicate of {it.duplicate_of}, similarity {it.similarity})"
    elif it.chunks:
        extra = f" ({plural(it.chunks, 'chunk')})"
    return f"{it.status:>9}  {label}{extra}"


def shown_items(items: Sequence[Any]) -> list[Any]:
    """The items worth a line: all of a short run, only the changed ones of a long one."""
    return [it for it in items if it.status != "unchanged"] if len(items) > 30 else list(items)


def article_lines(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """`newsqa list`: day, full outlet name and title, then chunks and id, then duplicates."""
    width = max((len(r["source"] or "-") for r in rows), default=1)
    lines = []
    for r in rows:
        dup = f"  +{plural(len(r['duplicates']), 'duplicate')}" if r["duplicates"] else ""
        lines.append(
            f"{day(r['published']):<12} {r['source'] or '-':<{width}}  {r['title'][:70]}{dup}"
        )
        lines.append(f"{'':<12} {plural(r['chunks'], 'chunk')}  id: {r['article_id']}")
        for d in r["duplicates"]:
            lines.append(
                f"{'':<12} duplicate: {d['source'] or '-'} {d['title'][:60]} ({d['article_id']})"
            )
    lines.append(plural(len(rows), "article"))
    return lines


def stats_lines(s: Mapping[str, Any], top_sources: Iterable[tuple[str, int]]) -> list[str]:
    """`newsqa stats`: one line per count; oldest and newest as days (YYYY-MM-DD)."""
    shown = dict(s)
    for key in ("oldest", "newest"):
        shown[key] = day(s.get(key), missing="-")
    if isinstance(s.get("db_bytes"), int):
        shown["db_bytes"] = f"{s['db_bytes']:,}"
    lines = [f"{key:<20} {shown[key]}" for key in STATS_KEYS]
    top = list(top_sources)
    if top:
        lines.append(f"{'top sources':<20} " + ", ".join(f"{n} ({c})" for n, c in top))
    return lines


def article_label(article: Any) -> str:
    """'Title — Outlet, 2022-06-17 (id)' for a stored article (an `Article` or a summary)."""
    get = article.get if isinstance(article, Mapping) else lambda k: getattr(article, k, None)
    return (
        f"{get('title') or 'Untitled'} — {get('source') or 'unknown outlet'}, "
        f"{day(get('published'))} ({get('article_id')})"
    )


def version_lines(answer: Any) -> list[str]:
    """When sources agree or differ: one line per version, with its outlets, dates and markers
    ("  $48.1 million — Valley Herald, 2025-03-14, latest [1]")."""
    if answer.agreement not in ("agree", "differ"):
        return []
    lines = ["Sources differ:" if answer.agreement == "differ" else "Sources agree:"]
    for v in answer.versions:
        days = sorted({day(d) for d in (v.first_published, v.last_published) if d})
        when = " to ".join(days) if days else "undated"
        copies = f"; copies: {', '.join(v.copies)}" if v.copies else ""
        latest = ", latest" if v.latest else ""
        marks = "".join(f"[{n}]" for n in v.citations)
        lines.append(f"  {v.value} — {', '.join(v.outlets)}, {when}{latest}{copies} {marks}")
    return [*lines, ""]


def format_answer(answer: Any) -> str:
    """An answer with its sources (or, for a refusal, the closest articles as related reading);
    the reader's short answer, when there is one, first and in bold (plain when not a terminal);
    the versions when sources agree or differ; beside each source, who it quotes."""
    lines = [typer.style(answer.short_answer, bold=True), ""] if answer.short_answer else []
    lines += [answer.text, ""]
    lines += version_lines(answer)
    if answer.citations:
        lines.append("Sources:")
        for c in answer.citations:
            said = f" — quoting {c.speaker}" if getattr(c, "speaker", None) else ""
            lines.append(
                f"[{c.n}] {c.title} — {c.source or 'unknown outlet'}, "
                f"{day(c.published, 'date unknown')}{said}"
            )
            lines.append(f"    “{c.quote}”")
            if c.url:
                lines.append(f"    {c.url}")
    elif answer.passages:
        lines.append("Related, not an answer:")
        seen: set[str] = set()
        for p in answer.passages:
            if p.article_id in seen:
                continue
            seen.add(p.article_id)
            lines.append(
                f"  - {p.title} — {p.source or 'unknown outlet'}, {day(p.published, 'date unknown')}"
            )
            if len(seen) == 3:
                break
    return "\n".join(lines).rstrip()
