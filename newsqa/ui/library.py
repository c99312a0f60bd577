"""HTML and tables of the Library tab: ingest reports, the article table, the delete picker, the
status line, and example questions built from the stored titles. Everything shown is escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from newsqa.ui.escaping import esc
from newsqa.wording import plural

if TYPE_CHECKING:
    from ingest import IngestReport
    from qa import Settings

MAX_TABLE_ROWS = 1000
N_EXAMPLES = 3


def report_html(report: IngestReport, titles: dict[str, str] | None = None) -> str:
    """An ingest report as an escaped table: one row per item, with the reason when it failed.

    `titles` maps article ids to titles, to name the original of a duplicate.
    """
    titles = titles or {}

    counts = report.counts()
    chips = "".join(
        f'<span class="nq-chip nq-{s}">{n} {s}</span>'
        for s, n in counts.items()
        if n or s == "ingested"
    )
    rows = []
    for it in report.items:
        detail = it.reason or ""
        if it.status == "duplicate" and it.duplicate_of:
            original = titles.get(it.duplicate_of, it.duplicate_of)
            sim = f" (similarity {it.similarity:.2f})" if it.similarity is not None else ""
            detail = f"near-duplicate of “{original}”{sim}; listed with it, not stored twice"
        elif it.status in ("ingested", "updated") and not detail:
            detail = f"{plural(it.chunks, 'passage')} indexed"
        rows.append(
            f'<tr><td><span class="nq-chip nq-{esc(it.status)}">{esc(it.status)}</span></td>'
            f'<td>{esc(it.title or "—")}</td><td class="nq-origin">{esc(it.origin)}</td>'
            f"<td>{esc(detail)}</td></tr>"
        )
    table = (
        '<table class="nq-report"><thead><tr><th>Status</th><th>Title</th><th>From</th>'
        f"<th>Details</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else ""
    )
    return (
        f'<div class="nq-report-box"><div class="nq-chips">{chips}'
        f'<span class="nq-time">{report.seconds:.1f} s</span></div>{table}</div>'
    )


def notice_html(message: str, kind: str = "error") -> str:
    """A one-line message box (an error, or `kind="ok"` for a success)."""
    return f'<div class="nq-notice nq-{esc(kind)}">{esc(message)}</div>'


def status_html(articles: int, outlets: int, settings: Settings) -> str:
    """The header: the app's name and what the store holds."""
    what = (
        f"{plural(articles, 'article')} from {plural(outlets, 'outlet')}"
        if articles
        else "no articles yet: add some in the Library tab"
    )
    return (
        '<div class="nq-header"><div><span class="nq-logo">newsqa</span>'
        '<span class="nq-tagline">Answers from your news articles. Every claim quotes its source.</span>'
        f'</div><div class="nq-status">{esc(what)} · store <code>{esc(settings.data_dir)}</code></div></div>'
    )


def headline(title: str | None, limit: int = 70) -> str:
    """A short form of an article title for an example question ('Title, more words' -> 'Title')."""
    t = " ".join((title or "").split())
    for sep in (" | ", " - ", " — ", " – "):
        head, _, tail = t.rpartition(sep)
        if head and len(tail) <= 30:  # a trailing site name: "Story - CNN"
            t = head
    if len(t) > limit and ", " in t[: limit + 1]:
        t = t[: t.rfind(", ", 0, limit + 1)]
    if len(t) > limit:
        t = t[:limit].rsplit(" ", 1)[0] + "…"
    return t.strip(" ,;:-")


def example_questions(articles: Sequence[Mapping[str, Any]], n: int = 4) -> list[str]:
    """Example questions built from the newest stored articles' titles and outlets."""
    out: list[str] = []
    for a in articles:
        head = headline(a.get("title"))
        if len(head) < 12:
            continue
        source = " ".join((a.get("source") or "").split())
        q = f"What did {source} report in “{head}”?" if source else f"What does “{head}” say?"
        if q not in out:
            out.append(q)
        if len(out) == n:
            break
    return out


def matches(article: Mapping[str, Any], search: str) -> bool:
    """True when every word of `search` is in the article's title, outlet, id or URL."""
    hay = " ".join(
        str(article.get(k) or "") for k in ("title", "source", "article_id", "url")
    ).lower()
    return all(word in hay for word in (search or "").lower().split())


def article_rows(articles: Sequence[Mapping[str, Any]], search: str = "") -> list[list[Any]]:
    """Rows of the library table: title, outlet, date, chunks, duplicates, id."""
    rows = []
    for a in articles:
        if not matches(a, search):
            continue
        dups = a.get("duplicates") or []
        outlets = sorted({d.get("source") or "?" for d in dups})
        rows.append(
            [
                a.get("title") or "",
                a.get("source") or "",
                (a.get("published") or "")[:10],
                int(a.get("chunks") or 0),
                f"{len(dups)} ({', '.join(outlets)})" if dups else "0",
                a["article_id"],
            ]
        )
    return rows


def delete_choices(
    articles: Sequence[Mapping[str, Any]], search: str = ""
) -> list[tuple[str, str]]:
    """(label, article id) pairs for the delete picker."""
    return [
        (
            f"{a.get('title') or 'Untitled'} — {a.get('source') or 'unknown outlet'}, "
            f"{(a.get('published') or 'undated')[:10]}",
            a["article_id"],
        )
        for a in articles
        if matches(a, search)
    ][:MAX_TABLE_ROWS]


def table_label(matched: int, total: int) -> str:
    """The library table's label: how many articles it shows of how many."""
    if matched > MAX_TABLE_ROWS:
        return f"Stored articles: first {MAX_TABLE_ROWS} of {matched} matches ({total} in all); refine the search"
    if matched != total:
        return f"Stored articles: {matched} of {total} match"
    return f"Stored articles ({total}) — click a row to select it for deletion"
