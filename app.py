"""newsqa chat UI: ask questions about your news articles; every answer quotes its sources.

    python app.py                          # http://127.0.0.1:7860 (ingests seeds/ into an empty store)
    NEWSQA_AUTH=editor:secret python app.py --host 0.0.0.0 --port 8080

A view only: answers come from `qa.pipeline.ask`, articles go in through `ingest.ingest`, and the
library is read from `qa.store.Store`, exactly as a Python user would call them. Article text is
untrusted: every piece of it is HTML-escaped here before the browser sees it.

Programmatic use (`pip install gradio_client`):

    from gradio_client import Client
    client = Client("http://127.0.0.1:7860/")      # add auth=("user", "password") with NEWSQA_AUTH
    text, citations = client.predict(
        "Which country did Iran say it could export arms to?", api_name="/ask"
    )

Endpoints (errors arrive as `gradio_client` exceptions carrying newsqa's message):

    /ask(question: str, k: int = 0, since: str = "", until: str = "", outlets: list[str] = [],
         answerer: str = "", history: list[list[str]] = []) -> (text: str, citations: list[dict])
        The answer text with [n] markers, and one dict per citation: n, article_id, title, source,
        published, url, quote, start, end, score (`article_text[start:end] == quote`). No citations
        means the articles don't answer the question. k = passages to retrieve (0 = the default);
        since/until = YYYY-MM-DD; outlets = outlet names (see /articles); history = earlier
        [question, answer text] pairs, oldest first, for follow-up questions.
    /ingest_text(title: str, text: str, outlet: str = "", published: str = "") -> report: dict
        Store one pasted article; the report lists each item's status (ingested, updated,
        unchanged, duplicate, failed) and reason, as `IngestReport.to_dict()`.
    /ingest_url(url: str) -> report: dict
        Fetch an http(s) article page or RSS/Atom feed and store what it holds.
    /articles(search: str = "") -> list[dict]
        Stored articles, newest first (article_id, title, source, published, url, chunks,
        duplicates), optionally only those whose title, outlet, id or URL contain every word.
    /delete_articles(article_ids: list[str]) -> deleted: int
        Delete articles (text, chunks, vectors and duplicate records) by id.
"""

import argparse
import html
import ipaddress
import os
import re
import shutil
import string
import sys
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args
from urllib.parse import urlsplit

from qa import ConfigError, NewsQAError, Settings, StoreNotFoundError, load_settings

if TYPE_CHECKING:
    import gradio as gr

    from ingest import IngestReport
    from qa import Answer, Citation

ROOT = Path(__file__).resolve().parent
SEEDS = ROOT / "seeds"
UPLOAD_TYPES = ("txt", "md", "html", "htm", "json", "jsonl", "xml", "rss", "atom")
MAX_TABLE_ROWS = 1000
N_EXAMPLES = 3
_CITE = re.compile(r"\[(\d{1,3})\]")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")

# ------------------------------------------------------------------------------------------------
# HTML building blocks. Everything from an article, a question or a user goes through `esc` (for
# gr.HTML) or `md_literal` (for the Markdown-rendering chatbot) before it reaches the page.
# ------------------------------------------------------------------------------------------------


def esc(text: object) -> str:
    """HTML-escape any value (None becomes empty), quotes included, for text and attributes."""
    return html.escape("" if text is None else str(text), quote=True)


def md_literal(text: str) -> str:
    """`text` for a Markdown renderer that must show it exactly as typed, on one line.

    Whitespace runs become one space (no code blocks, no line tricks) and every ASCII punctuation
    character becomes a numeric character reference, so no markup, Markdown syntax, autolink or
    LaTeX delimiter survives: `<script>` is shown, not run; `*x*` is shown, not emphasised.
    Invisible control characters are dropped.
    """
    flat = " ".join(_CONTROL.sub("", text).split())
    return "".join(f"&#{ord(c)};" if c in string.punctuation else c for c in flat)


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) URL with a host, else None (never a javascript: link)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.hostname and not re.search(r"\s", url):
        return url
    return None


def fmt_date(published: str | None) -> str:
    """'17 Jun 2022' for an ISO date or datetime; 'date unknown' when missing."""
    if not published:
        return "date unknown"
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return published[:10]
    return f"{day.day} {day:%b %Y}"


def plural(n: int, word: str) -> str:
    """'1 article', '2 articles'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def card_id(turn: int, n: int) -> str:
    """The element id of source card `n` of conversation turn `turn` (the target of `[n]`)."""
    return f"nq-src-{turn}-{n}"


def answer_html(text: str, citations: Sequence["Citation"], turn: int) -> str:
    """The answer for the chat: text shown literally, each known `[n]` a link to its source card."""
    names = {c.n: f"{c.source or 'unknown outlet'}: {c.title}" for c in citations}
    flat = " ".join(text.split())
    out: list[str] = []
    pos = 0
    for m in _CITE.finditer(flat):
        n = int(m.group(1))
        if n not in names:
            continue
        out.append(md_literal(flat[pos : m.start()]))
        out.append(
            f'<a class="nq-cite" href="#{card_id(turn, n)}" title="{esc(names[n])}">'
            f"&#91;{n}&#93;</a>"
        )
        pos = m.end()
    out.append(md_literal(flat[pos:]))
    return " ".join(p.strip() for p in out if p.strip()).replace(" <a", "&#160;<a")


def _lead(text: str, context: int) -> str:
    """The last `context` characters of `text`, cut at a word, escaped, with a leading ellipsis."""
    if len(text) <= context:
        return esc(text)
    cut = text[-context:]
    space = cut.find(" ")
    return '<span class="nq-gap">… </span>' + esc(cut[space + 1 :] if 0 <= space < 40 else cut)


def _trail(text: str, context: int) -> str:
    """The first `context` characters of `text`, cut at a word, escaped, with an ellipsis."""
    if len(text) <= context:
        return esc(text)
    cut = text[:context]
    space = cut.rfind(" ")
    return esc(cut[:space] if space > context - 40 else cut) + '<span class="nq-gap"> …</span>'


def highlight(
    text: str, spans: Sequence[tuple[int, int, int]], turn: int, context: int = 320
) -> str:
    """`text` as escaped HTML with each span `(start, end, n)` in a <mark> labelled [n].

    Each mark has the id `card_id(turn, n)` that the answer's `[n]` links to. At most `context`
    characters are kept before the first and after the last mark, and a long stretch between two
    marks is shortened in the middle.
    """
    out: list[str] = []
    pos = 0
    ordered = sorted(spans)
    for i, (start, end, mark) in enumerate(ordered):
        start = max(pos, min(start, len(text)))
        end = max(start, min(end, len(text)))
        gap = text[pos:start]
        if i == 0:
            out.append(_lead(gap, context))
        elif len(gap) > 2 * context:
            out.append(_trail(gap, context) + " " + _lead(gap, context))
        else:
            out.append(esc(gap))
        out.append(
            f'<span class="nq-qnum">[{mark}]</span><mark class="nq-quote" id="{card_id(turn, mark)}">'
            f"{esc(text[start:end])}</mark>"
        )
        pos = end
    out.append(_trail(text[pos:], context) if ordered else _trail(text, context))
    return "".join(out)


def excerpt(text: str, limit: int = 420) -> str:
    """The start of `text` as escaped HTML, cut at a word after at most `limit` characters."""
    if len(text) <= limit:
        return esc(text)
    cut = text[:limit]
    space = cut.rfind(" ")
    return esc(cut[:space] if space > limit - 60 else cut) + '<span class="nq-gap"> …</span>'


def source_card(
    *,
    title: str | None,
    source: str | None,
    published: str | None,
    url: str | None,
    body_html: str,
    label: str = "",
    kind: str = "cited",
) -> str:
    """One card of the sources panel: title (linked when the URL is http(s)), outlet, date and
    `body_html`, which must already be escaped."""
    link = safe_url(url)
    heading = esc(title or "Untitled article")
    meta = [esc(source or "unknown outlet"), esc(fmt_date(published))]
    if link:
        heading = f'<a href="{esc(link)}" target="_blank" rel="noopener noreferrer">{heading}</a>'
        meta.append(
            f'<a href="{esc(link)}" target="_blank" rel="noopener noreferrer">'
            f"{esc(urlsplit(link).hostname)} ↗</a>"
        )
    badge = f'<span class="nq-num">{esc(label)}</span>' if label else ""
    return (
        f'<article class="nq-card nq-{kind}"><div class="nq-card-head">{badge}'
        f'<span class="nq-title">{heading}</span></div>'
        f'<div class="nq-meta">{" · ".join(meta)}</div>{body_html}</article>'
    )


def citation_cards(answer: "Answer", turn: int, article_text: Callable[[str], str | None]) -> str:
    """One card per cited article; in it, each passage that holds quotes, the quotes highlighted.

    A quote is shown inside the retrieved passage it came from, or inside the stored article
    text when no passage holds it.
    """
    # article id -> passage offset -> (passage text, [(start, end, n)])
    groups: dict[str, dict[int, tuple[str, list[tuple[int, int, int]]]]] = {}
    first: dict[str, Citation] = {}
    for c in answer.citations:
        text, offset = c.quote, c.start
        for p in answer.passages:
            if p.article_id == c.article_id and p.start <= c.start and c.end <= p.end:
                text, offset = p.text, p.start
                break
        else:
            full = article_text(c.article_id)
            if full and full[c.start : c.end] == c.quote:
                text, offset = full, 0
        first.setdefault(c.article_id, c)
        passages = groups.setdefault(c.article_id, {})
        passages.setdefault(offset, (text, []))[1].append((c.start - offset, c.end - offset, c.n))
    cards = []
    for article_id, passages in groups.items():
        c = first[article_id]
        body = "".join(
            f'<div class="nq-passage">{highlight(text, spans, turn)}</div>'
            for text, spans in passages.values()
        )
        numbers = "".join(f"[{n}]" for _, spans in passages.values() for _, _, n in spans)
        cards.append(
            source_card(
                title=c.title,
                source=c.source,
                published=c.published,
                url=c.url,
                body_html=body,
                label=numbers,
            )
        )
    return "".join(cards)


def related_cards(answer: "Answer", limit: int = 4) -> str:
    """Cards for a refusal: the closest passages, one per article, as related reading."""
    cards: list[str] = []
    seen: set[str] = set()
    for p in answer.passages:
        if p.article_id in seen:
            continue
        seen.add(p.article_id)
        cards.append(
            source_card(
                label="related",
                title=p.title,
                source=p.source,
                published=p.published,
                url=p.url,
                body_html=f'<div class="nq-passage">{excerpt(p.text)}</div>',
                kind="related",
            )
        )
        if len(cards) == limit:
            break
    return "".join(cards)


def sources_html(
    answer: "Answer", question: str, turn: int, article_text: Callable[[str], str | None]
) -> str:
    """The sources panel section of one answered (or refused) question."""
    asked = f'<div class="nq-asked">for “{esc(" ".join(question.split()))}”</div>'
    if answer.answered and answer.citations:
        return f'<h3 class="nq-src-head">Sources</h3>{asked}{citation_cards(answer, turn, article_text)}'
    cards = related_cards(answer)
    note = (
        "The articles don't answer this question. These passages came closest."
        if cards
        else "No stored article comes close to this question."
    )
    return (
        f'<h3 class="nq-src-head nq-related-head">Related, not an answer</h3>{asked}'
        f'<p class="nq-note">{note}</p>{cards}'
    )


EMPTY_SOURCES = (
    '<div class="nq-empty"><h3 class="nq-src-head">Sources</h3><p>Ask a question: each '
    '<span class="nq-cite">[1]</span> in an answer links to its source here, with the quoted '
    "words highlighted in the article's text.</p></div>"
)
PENDING_ANSWER = '<span class="nq-pending">Searching the articles…</span>'


def sources_panel(turns: Sequence[dict[str, Any]]) -> str:
    """The whole sources panel: the latest question's sources, earlier ones folded away."""
    if not turns:
        return EMPTY_SOURCES
    latest, earlier = turns[-1], [t for t in turns[:-1] if t.get("sources")]
    if latest.get("pending"):
        head = (
            '<h3 class="nq-src-head">Sources</h3><p class="nq-pending">Searching the articles for '
            f"“{esc(latest['question'])}”…</p>"
        )
    elif latest.get("error"):
        head = '<h3 class="nq-src-head">Sources</h3><p class="nq-note">No sources: see the message in the chat.</p>'
    else:
        head = latest["sources"]
    folded = "".join(
        f'<details class="nq-earlier"><summary>Earlier: “{esc(t["question"])}”</summary>'
        f"{t['sources']}</details>"
        for t in reversed(earlier)
    )
    return f'<div class="nq-sources">{head}{folded}</div>'


def chat_messages(turns: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """Chatbot messages for the conversation (the question escaped, the answer pre-rendered)."""
    messages: list[dict[str, str]] = []
    for t in turns:
        messages.append({"role": "user", "content": md_literal(t["question"])})
        messages.append({"role": "assistant", "content": t["html"]})
    return messages


def answer_message(answer: "Answer", turn: int) -> str:
    """The assistant's chat message for an answer or a refusal."""
    body = answer_html(answer.text, answer.citations, turn)
    if answer.answered and answer.citations:
        articles = len({c.article_id for c in answer.citations})
        note = (
            f"{plural(len(answer.citations), 'quote')} from {plural(articles, 'article')} · "
            "click a number to see it in its article"
        )
    else:
        note = "Related passages are in the sources panel, marked “related, not an answer”."
    return f'{body}<br><span class="nq-foot">{esc(note)}</span>'


def draft_message(draft: str) -> str:
    """An LLM's answer while it is being written, before the support check (escaped, one line)."""
    return (
        f"{md_literal(draft)}<br>"
        '<span class="nq-pending">writing… each sentence is checked against its source next</span>'
    )


def error_message(message: str) -> str:
    return f'<span class="nq-error">⚠ {md_literal(message)}</span>'


def report_html(report: "IngestReport", titles: dict[str, str] | None = None) -> str:
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
    return f'<div class="nq-notice nq-{esc(kind)}">{esc(message)}</div>'


# ------------------------------------------------------------------------------------------------
# Plain helpers: dates, example questions, tables, uploads, login.
# ------------------------------------------------------------------------------------------------


def parse_day(label: str, value: str | None) -> date | None:
    """A YYYY-MM-DD date typed into the UI (empty = no limit).

    Raises:
        ConfigError: not YYYY-MM-DD, or not a real day; the message names the field.
    """
    value = (value or "").strip()
    if not value:
        return None
    if not _DAY.fullmatch(value):
        raise ConfigError(
            f"{label}: “{value}” is not a date; type it as YYYY-MM-DD, e.g. 2022-06-17"
        )
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"{label}: {value} is not a day of the calendar; check month and day"
        ) from None


def parse_date_range(since: str | None, until: str | None) -> tuple[date | None, date | None]:
    """The validated (since, until) dates of the filter boxes.

    Raises:
        ConfigError: a bad date, or since after until.
    """
    first, last = parse_day("Published since", since), parse_day("Published until", until)
    if first and last and first > last:
        raise ConfigError(
            f"Published since ({first}) is after published until ({last}): no article can match; "
            "swap the dates"
        )
    return first, last


def available_answerers() -> list[str]:
    """The answer backends the settings accept (the choices of `Settings.answerer`)."""
    return list(get_args(Settings.model_fields["answerer"].annotation)) or ["extractive"]


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


def example_questions(articles: Sequence[dict[str, Any]], n: int = 4) -> list[str]:
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


def matches(article: dict[str, Any], search: str) -> bool:
    """True when every word of `search` is in the article's title, outlet, id or URL."""
    hay = " ".join(
        str(article.get(k) or "") for k in ("title", "source", "article_id", "url")
    ).lower()
    return all(word in hay for word in (search or "").lower().split())


def article_rows(articles: Sequence[dict[str, Any]], search: str = "") -> list[list[Any]]:
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


def delete_choices(articles: Sequence[dict[str, Any]], search: str = "") -> list[tuple[str, str]]:
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


def upload_dir(settings: Settings) -> Path:
    """`<data dir>/uploads`, created when missing: the only place the app writes files."""
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _staged_path(settings: Settings, ext: str) -> Path:
    folder = upload_dir(settings).resolve()
    path = (folder / f"{uuid.uuid4().hex}.{ext}").resolve()
    if path.parent != folder:  # cannot happen with a generated name; refuse rather than trust it
        raise ConfigError("refusing to write outside the uploads folder")
    return path


def stage_uploads(
    paths: Sequence[str], settings: Settings
) -> tuple[list[tuple[Path, str]], list[tuple[str, str]]]:
    """Copy uploaded files into the data dir's uploads folder under generated names.

    The client's file name is only used to pick the type from its extension and to name the file
    in the report, never as a path. Returns `[(staged path, shown name)]` and
    `[(shown name, reason)]` for rejected files (wrong type, too large, unreadable).
    """
    staged: list[tuple[Path, str]] = []
    rejected: list[tuple[str, str]] = []
    for raw in paths:
        name = Path(str(raw)).name or "upload"
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in UPLOAD_TYPES:
            rejected.append((name, f"not a supported file type; upload {', '.join(UPLOAD_TYPES)}"))
            continue
        try:
            size = os.path.getsize(raw)
            if size > settings.max_file_bytes:
                rejected.append(
                    (
                        name,
                        f"{size:,} bytes is over the {settings.max_file_bytes:,}-byte "
                        "limit (NEWSQA_MAX_FILE_BYTES)",
                    )
                )
                continue
            target = _staged_path(settings, ext)
            shutil.copyfile(raw, target)
        except OSError as exc:
            rejected.append((name, f"could not read the upload: {exc.strerror or exc}"))
            continue
        staged.append((target, name))
    return staged, rejected


def stage_text(
    title: str, text: str, settings: Settings, outlet: str = "", published: str = ""
) -> Path:
    """Write pasted text as a Markdown file (YAML front matter) with a generated name in uploads/.

    Raises:
        ConfigError: no title, no text, text over the size limit, or a bad date.
    """
    import yaml

    title = " ".join((title or "").split())
    body = (text or "").strip()
    if not title:
        raise ConfigError("Give the pasted article a title.")
    if not body:
        raise ConfigError("Paste the article's text into the text box.")
    if len(body.encode("utf-8")) > settings.max_file_bytes:
        raise ConfigError(
            f"The pasted text is over the {settings.max_file_bytes:,}-byte limit (NEWSQA_MAX_FILE_BYTES)."
        )
    meta: dict[str, str] = {"title": title}
    if " ".join((outlet or "").split()):
        meta["source"] = " ".join(outlet.split())
    day = parse_day("Published", published)
    if day:
        meta["published"] = day.isoformat()
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    path = _staged_path(settings, "md")
    path.write_text(f"---\n{front}---\n\n{body}\n", encoding="utf-8")
    return path


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """`user:password` from NEWSQA_AUTH (None when unset).

    Raises:
        ConfigError: set but not `user:password` with both parts non-empty.
    """
    if value is None or not value.strip():
        return None
    user, sep, password = value.strip().partition(":")
    if not sep or not user or not password:
        raise ConfigError("NEWSQA_AUTH must look like user:password (both non-empty)")
    return user, password


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, auth: tuple[str, str] | None, share: bool) -> str | None:
    """The loud warning for a server reachable beyond this computer without a login, else None."""
    if auth is not None or (is_loopback(host) and not share):
        return None
    where = "a public gradio.live link" if share else f"{host} (beyond this computer)"
    bar = "!" * 78
    return (
        f"{bar}\n!! WARNING: newsqa is listening on {where} WITHOUT A LOGIN.\n"
        "!! Anyone who can reach it can read, add and delete your articles.\n"
        "!! Set NEWSQA_AUTH=user:password, or use the default --host 127.0.0.1.\n"
        f"{bar}"
    )


# ------------------------------------------------------------------------------------------------
# What the UI does: one object per app, holding the settings; build_app wires it to components.
# ------------------------------------------------------------------------------------------------


class Actions:
    """The app's event handlers and API endpoints. Each calls newsqa's public functions."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # --- store reads --------------------------------------------------------------------------
    def library(self) -> tuple[list[dict[str, Any]], list[tuple[str, int]]]:
        """All article summaries and outlets (empty lists when nothing is stored yet)."""
        from qa import Store

        try:
            with Store.open(self.settings) as store:
                return store.list_articles(), store.sources()
        except StoreNotFoundError:
            return [], []

    def article_text(self) -> Callable[[str], str | None]:
        from qa import Store

        cache: dict[str, str | None] = {}

        def lookup(article_id: str) -> str | None:
            if article_id not in cache:
                with Store.open(self.settings) as store:
                    art = store.get_article(article_id)
                cache[article_id] = art.text if art else None
            return cache[article_id]

        return lookup

    # --- asking -------------------------------------------------------------------------------
    def run_ask(
        self,
        question: str,
        *,
        history: Sequence[tuple[str, str]] = (),
        k: int | float | None = None,
        since: str = "",
        until: str = "",
        outlets: Sequence[str] = (),
        answerer: str = "",
    ) -> "Answer":
        """Validate the options and call `qa.pipeline.ask`.

        Raises:
            NewsQAError: a bad option, an empty store, or a failing backend.
        """
        from qa import ask

        options = self._ask_options(history, k, since, until, outlets, answerer)
        return ask(question, **options)

    def run_ask_stream(
        self,
        question: str,
        *,
        history: Sequence[tuple[str, str]] = (),
        k: int | float | None = None,
        since: str = "",
        until: str = "",
        outlets: Sequence[str] = (),
        answerer: str = "",
    ) -> Iterator["str | Answer"]:
        """Like `run_ask`, through `qa.pipeline.ask_stream`: an LLM's text pieces as they are
        written, then the checked `Answer`.

        Raises:
            NewsQAError: as `run_ask` (from the iterator).
        """
        from qa import ask_stream

        options = self._ask_options(history, k, since, until, outlets, answerer)
        yield from ask_stream(question, **options)  # type: ignore[misc]

    def _ask_options(
        self,
        history: Sequence[tuple[str, str]],
        k: int | float | None,
        since: str,
        until: str,
        outlets: Sequence[str],
        answerer: str,
    ) -> dict[str, Any]:
        first, last = parse_date_range(since, until)
        k_int = int(k) if k else None
        if k_int is not None and not 1 <= k_int <= 100:
            raise ConfigError(f"number of passages must be between 1 and 100, not {k_int}")
        if answerer and answerer not in available_answerers():
            raise ConfigError(
                f"unknown answer backend {answerer!r}; available: {', '.join(available_answerers())}"
            )
        return {
            "settings": self.settings,
            "history": list(history),
            "k": k_int,
            "since": first,
            "until": last,
            "sources": tuple(outlets or ()),
            "answerer": answerer or None,
        }

    def respond(
        self,
        question: str,
        turns: list[dict[str, Any]] | None,
        answerer: str,
        k: float,
        since: str,
        until: str,
        outlets: list[str] | None,
    ) -> Iterator[tuple[Any, ...]]:
        """Chat handler: yields (textbox, chat, sources panel, turns), first 'Searching…', then the answer.

        A generator so that a streaming backend can yield partial answers in between.
        """
        question = " ".join((question or "").split())
        turns = list(turns or [])
        if not question:
            yield "", chat_messages(turns), sources_panel(turns), turns
            return
        tid = (turns[-1]["id"] + 1) if turns else 1
        pending = {
            "id": tid,
            "question": question,
            "html": PENDING_ANSWER,
            "text": "",
            "sources": "",
            "pending": True,
        }
        yield "", chat_messages([*turns, pending]), sources_panel([*turns, pending]), turns
        history = [(t["question"], t["text"]) for t in turns if not t.get("error")]
        try:
            answer = None
            draft = ""
            for piece in self.run_ask_stream(
                question,
                history=history,
                k=k,
                since=since,
                until=until,
                outlets=outlets or (),
                answerer=answerer,
            ):
                if not isinstance(piece, str):
                    answer = piece
                    continue
                # an LLM's draft as it is written; the checked answer replaces it at the end
                draft += piece
                writing = {**pending, "html": draft_message(draft)}
                yield "", chat_messages([*turns, writing]), sources_panel([*turns, pending]), turns
            assert answer is not None  # ask_stream always ends with the Answer
            done = {
                "id": tid,
                "question": question,
                "html": answer_message(answer, tid),
                "text": answer.text,
                "answered": answer.answered,
                "sources": sources_html(answer, question, tid, self.article_text()),
            }
        except Exception as exc:  # shown in the chat; the app keeps serving
            done = {
                "id": tid,
                "question": question,
                "html": error_message(_describe(exc)),
                "text": "",
                "sources": "",
                "error": True,
            }
        turns = [*turns, done]
        yield "", chat_messages(turns), sources_panel(turns), turns

    def retry(
        self,
        turns: list[dict[str, Any]] | None,
        answerer: str,
        k: float,
        since: str,
        until: str,
        outlets: list[str] | None,
    ) -> Iterator[tuple[Any, ...]]:
        """Ask the last question again (with the current options)."""
        turns = list(turns or [])
        if not turns:
            yield "", [], EMPTY_SOURCES, []
            return
        last = turns.pop()
        yield from self.respond(last["question"], turns, answerer, k, since, until, outlets)

    @staticmethod
    def clear() -> tuple[Any, ...]:
        return "", [], EMPTY_SOURCES, []

    # --- library ------------------------------------------------------------------------------
    def _ingest_each(
        self, items: Sequence[tuple[str, str]], progress: Any = None
    ) -> "IngestReport":
        """Ingest `[(source, shown name)]` one at a time (so progress can move) into one report."""
        from ingest import IngestReport, ingest

        report = IngestReport(data_dir=str(self.settings.data_dir))
        for i, (source, name) in enumerate(items):
            if progress is not None:
                progress((i, len(items)), desc=f"Reading, embedding and storing {name}")
            part = ingest([source], self.settings)
            report.items.extend(
                replace(it, origin=name + it.origin[len(source) :])
                if it.origin.startswith(source)
                else it
                for it in part.items
            )  # staged files are reported by the name the user knows, never the server path
            report.seconds += part.seconds
        return report

    def ingest_files(self, files: list[str] | None, progress: Any = None) -> tuple[str, None]:
        from ingest import IngestReport, ItemResult

        if not files:
            return notice_html("Choose one or more files first."), None
        staged, rejected = stage_uploads(files, self.settings)
        try:
            report = self._ingest_each([(str(p), n) for p, n in staged], progress)
        except Exception as exc:  # e.g. the store is busy or unwritable: say so, keep serving
            return notice_html(_describe(exc)), None
        finally:
            for path, _ in staged:
                path.unlink(missing_ok=True)
        full = IngestReport(
            items=[ItemResult(n, "failed", reason=r) for n, r in rejected] + report.items,
            seconds=report.seconds,
            data_dir=report.data_dir,
        )
        return self._report(full), None

    def api_ingest_text(
        self, title: str, text: str, outlet: str = "", published: str = ""
    ) -> dict[str, Any]:
        """API: store one pasted article; returns the ingest report as a dict."""
        return self._guard(lambda: self._ingest_text(title, text, outlet, published).to_dict())

    def _ingest_text(
        self, title: str, text: str, outlet: str, published: str, progress: Any = None
    ) -> "IngestReport":
        path = stage_text(title, text, self.settings, outlet=outlet, published=published)
        try:
            return self._ingest_each([(str(path), "pasted text")], progress)
        finally:
            path.unlink(missing_ok=True)

    def api_ingest_url(self, url: str) -> dict[str, Any]:
        """API: fetch an http(s) article or feed URL and store it; returns the ingest report."""
        return self._guard(lambda: self._ingest_url(url).to_dict())

    def _ingest_url(self, url: str, progress: Any = None) -> "IngestReport":
        from ingest import is_http_url

        url = (url or "").strip()
        if not is_http_url(url):
            raise ConfigError(
                "Enter a full http(s) address, e.g. https://example.org/news/story.html "
                "or a feed such as https://example.org/rss.xml"
            )
        return self._ingest_each([(url, url)], progress)

    def ui_ingest_text(
        self, title: str, text: str, outlet: str, published: str, progress: Any = None
    ) -> tuple[str, str, str]:
        try:
            report = self._ingest_text(title, text, outlet, published, progress)
        except Exception as exc:
            return notice_html(_describe(exc)), title, text
        cleared = report.ok
        return self._report(report), "" if cleared else title, "" if cleared else text

    def ui_ingest_url(self, url: str, progress: Any = None) -> tuple[str, str]:
        try:
            report = self._ingest_url(url, progress)
        except Exception as exc:
            return notice_html(_describe(exc)), url
        return self._report(report), "" if report.ok else url

    def _report(self, report: "IngestReport") -> str:
        titles = {a["article_id"]: a["title"] for a in self.library()[0]}
        return report_html(report, titles)

    def api_articles(self, search: str = "") -> list[dict[str, Any]]:
        """API: stored articles (newest first) matching every word of `search`."""

        def run() -> list[dict[str, Any]]:
            return [
                {
                    "article_id": a["article_id"],
                    "title": a["title"],
                    "source": a["source"],
                    "published": a["published"],
                    "url": a["url"],
                    "chunks": a["chunks"],
                    "duplicates": len(a["duplicates"]),
                }
                for a in self.library()[0]
                if matches(a, search or "")
            ]

        return self._guard(run)

    def api_delete_articles(self, article_ids: list[str]) -> int:
        """API: delete articles by id; returns how many stored articles were deleted."""
        return self._guard(lambda: self._delete(article_ids))

    def _delete(self, article_ids: Sequence[str]) -> int:
        from qa import Store

        ids = [i for i in (article_ids or []) if i]
        if not ids:
            raise ConfigError("Select the articles to delete first (click rows in the table).")
        with Store.open(self.settings) as store, store.writing():
            return store.delete_articles(ids)

    def ui_delete(self, ids: list[str] | None, search: str) -> tuple[Any, ...]:
        try:
            n = self._delete(ids or [])
            message = notice_html(f"Deleted {plural(n, 'article')}.", "ok")
        except Exception as exc:
            message = notice_html(_describe(exc))
        return (message, *self.refresh(search))

    def api_ask(
        self,
        question: str,
        k: int = 0,
        since: str = "",
        until: str = "",
        outlets: list[str] | None = None,
        answerer: str = "",
        history: list[list[str]] | None = None,
    ) -> tuple[str, list[dict[str, Any]]]:
        """API /ask: the answer text and its citations (an empty list for a refusal)."""

        def run() -> tuple[str, list[dict[str, Any]]]:
            turns = [(str(h[0]), str(h[1])) for h in (history or []) if len(h) >= 2]
            answer = self.run_ask(
                question,
                history=turns,
                k=k,
                since=since,
                until=until,
                outlets=outlets or (),
                answerer=answerer,
            )
            return answer.text, [c.to_dict() for c in answer.citations]

        return self._guard(run)

    @staticmethod
    def _guard(fn: Callable[[], Any]) -> Any:
        """Run an API call; any failure reaches the client as a gr.Error with newsqa's message."""
        import gradio as gr

        try:
            return fn()
        except Exception as exc:
            raise gr.Error(_describe(exc), print_exception=False) from None

    # --- refreshing the views after a page load, an ingest or a delete ------------------------
    def refresh(self, search: str = "") -> tuple[Any, ...]:
        """(status, example group, *example buttons, outlet filter, table, delete picker) as the
        store is now."""
        import gradio as gr

        try:
            articles, outlets = self.library()
            status = status_html(len(articles), len(outlets), self.settings)
        except Exception as exc:  # a broken store: the page still opens and says what to do
            articles, outlets = [], []
            status = notice_html(_describe(exc))
        examples = example_questions(articles)
        rows = article_rows(articles, search)
        shown = rows[:MAX_TABLE_ROWS]
        return (
            status,
            gr.Column(visible=bool(examples)),
            *(
                gr.Button(value=q, visible=True) if q else gr.Button(visible=False)
                for q in [*examples, *[""] * N_EXAMPLES][:N_EXAMPLES]
            ),
            gr.Dropdown(choices=[(f"{name} ({n})", name) for name, n in outlets]),
            gr.Dataframe(value=shown, label=_table_label(len(rows), len(articles))),
            gr.Dropdown(choices=delete_choices(articles, search)),
        )


def _table_label(matched: int, total: int) -> str:
    if matched > MAX_TABLE_ROWS:
        return f"Stored articles: first {MAX_TABLE_ROWS} of {matched} matches ({total} in all); refine the search"
    if matched != total:
        return f"Stored articles: {matched} of {total} match"
    return f"Stored articles ({total}) — click a row to select it for deletion"


def status_html(articles: int, outlets: int, settings: Settings) -> str:
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


def _describe(exc: BaseException) -> str:
    """The message shown for a failure: newsqa's own message, or the error type for a bug."""
    if isinstance(exc, StoreNotFoundError):
        return f"{exc}. Or add articles in the Library tab."
    if isinstance(exc, NewsQAError):
        return str(exc)
    traceback.print_exception(exc)  # a bug: keep the traceback in the server log
    return f"Something went wrong ({type(exc).__name__}: {exc}). The app is still running; see its log."


# ------------------------------------------------------------------------------------------------
# Layout
# ------------------------------------------------------------------------------------------------

CSS = """
.gradio-container { max-width: 1440px !important; }
.nq-header { display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap;
  gap: 8px; padding: 4px 2px 10px; border-bottom: 1px solid var(--border-color-primary); }
.nq-logo { font-size: 1.5rem; font-weight: 700; letter-spacing: -0.02em; margin-right: 12px; }
.nq-tagline { color: var(--body-text-color-subdued); }
.nq-status { color: var(--body-text-color-subdued); font-size: 0.9rem; }
a.nq-cite, span.nq-cite { display: inline-block; font-size: 0.78em; font-weight: 700; line-height: 1.2;
  padding: 0 5px; border-radius: 6px; text-decoration: none !important; vertical-align: 0.15em;
  background: #dbeafe; color: #1d4ed8 !important; border: 1px solid #bfdbfe; }
a.nq-cite:hover { background: #1d4ed8; color: #fff !important; }
.nq-foot { display: inline-block; margin-top: 6px; font-size: 0.8rem; color: var(--body-text-color-subdued); }
.nq-pending { color: var(--body-text-color-subdued); font-style: italic; }
.nq-error { color: #b91c1c; }
#nq-sources { max-height: 640px; overflow-y: auto; padding-right: 4px; }
.nq-src-head { margin: 0 0 2px !important; font-size: 1.05rem !important; }
.nq-related-head { color: #92400e; }
.nq-asked { color: var(--body-text-color-subdued); font-size: 0.85rem; margin-bottom: 10px;
  overflow-wrap: anywhere; }
.nq-note { color: var(--body-text-color-subdued); font-size: 0.9rem; }
.nq-card { border: 1px solid var(--border-color-primary); border-left: 4px solid #2563eb;
  border-radius: 8px; padding: 10px 12px; margin: 0 0 12px; background: var(--background-fill-primary);
  scroll-margin-top: 12px; }
mark.nq-quote:target { box-shadow: 0 0 0 3px #60a5fa; background: #fde047; }
.nq-qnum { font-family: var(--font); font-size: 0.75em; font-weight: 700; color: #1d4ed8;
  margin-right: 3px; }
.nq-card.nq-related { border-left-color: #d97706; }
.nq-card-head { display: flex; gap: 8px; align-items: baseline; }
.nq-num { font-weight: 700; color: #1d4ed8; white-space: nowrap; }
.nq-related .nq-num { color: #b45309; font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.04em; }
.nq-title { font-weight: 600; overflow-wrap: anywhere; }
.nq-title a { color: inherit; }
.nq-meta { color: var(--body-text-color-subdued); font-size: 0.82rem; margin: 2px 0 6px; }
.nq-passage { margin: 4px 0 0; padding: 0; font-size: 0.92rem; line-height: 1.5;
  white-space: pre-wrap; overflow-wrap: anywhere; font-family: Georgia, 'Times New Roman', serif; }
.nq-passage + .nq-passage { border-top: 1px dashed var(--border-color-primary); margin-top: 8px;
  padding-top: 8px; }
mark.nq-quote { background: #fef08a; color: inherit; padding: 1px 0; border-radius: 2px;
  box-shadow: 0 0 0 1px #facc15; }
.nq-gap { color: var(--body-text-color-subdued); }
.nq-earlier { margin-top: 8px; border-top: 1px dashed var(--border-color-primary); padding-top: 6px; }
.nq-earlier summary { cursor: pointer; color: var(--body-text-color-subdued); font-size: 0.9rem;
  overflow-wrap: anywhere; }
.nq-empty p { color: var(--body-text-color-subdued); }
.nq-report { width: 100%; border-collapse: collapse; font-size: 0.9rem; margin-top: 8px; }
.nq-report th, .nq-report td { text-align: left; padding: 4px 8px !important; border: none !important;
  border-bottom: 1px solid var(--border-color-primary) !important; vertical-align: top;
  overflow-wrap: anywhere; }
.nq-try { font-size: 0.85rem; font-weight: 600; color: var(--body-text-color-subdued); }
#nq-examples { gap: 6px; }
button.nq-example { justify-content: flex-start; text-align: left; font-weight: 400;
  white-space: normal; }
.nq-chips { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
.nq-chip { display: inline-block; white-space: nowrap; padding: 1px 8px; border-radius: 999px; font-size: 0.8rem;
  font-weight: 600; background: #e5e7eb; color: #374151; }
.nq-chip.nq-ingested, .nq-chip.nq-updated { background: #dcfce7; color: #166534; }
.nq-chip.nq-duplicate { background: #fef3c7; color: #92400e; }
.nq-chip.nq-failed { background: #fee2e2; color: #991b1b; }
.nq-time { color: var(--body-text-color-subdued); font-size: 0.8rem; }
.nq-origin { color: var(--body-text-color-subdued); }
.nq-notice { padding: 8px 12px; border-radius: 8px; background: #fee2e2; color: #991b1b; }
.nq-notice.nq-ok { background: #dcfce7; color: #166534; }
"""

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]


def build_app(settings: Settings) -> "gr.Blocks":
    """The Gradio app over the store in `settings.data_dir` (launch it with `launch()` or `main()`)."""
    import gradio as gr

    actions = Actions(settings)
    answerers = available_answerers()
    private = "private"
    with gr.Blocks(title="newsqa", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        status = gr.HTML(status_html(0, 0, settings))
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=420):
                    chatbot = gr.Chatbot(
                        label="Conversation",
                        show_label=False,
                        height=520,
                        latex_delimiters=[],
                        allow_tags=False,
                        sanitize_html=True,
                        feedback_options=None,
                        buttons=[],
                        elem_id="nq-chat",
                        placeholder="**Ask about the news.** Every answer quotes the articles; "
                        "click a number like [1] to see the quote in its article.",
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            show_label=False,
                            scale=6,
                            lines=1,
                            max_lines=4,
                            autofocus=True,
                            placeholder="Ask a question about the stored articles…",
                            elem_id="nq-question",
                            max_length=2000,
                        )
                        ask_btn = gr.Button(
                            "Ask", variant="primary", scale=1, min_width=80, elem_id="nq-ask"
                        )
                    with gr.Row():
                        retry_btn = gr.Button("↻ Retry", size="sm", elem_id="nq-retry")
                        clear_btn = gr.Button("✕ Clear conversation", size="sm", elem_id="nq-clear")
                    with gr.Column(visible=False, elem_id="nq-examples") as example_group:
                        gr.HTML('<div class="nq-try">Try asking</div>')
                        example_btns = [
                            gr.Button("", size="sm", visible=False, elem_classes=["nq-example"])
                            for _ in range(N_EXAMPLES)
                        ]
                    with gr.Accordion(
                        "Options: answer backend, passages, dates, outlets",
                        open=False,
                        elem_id="nq-options",
                    ):
                        with gr.Row():
                            answerer = gr.Dropdown(
                                answerers,
                                value=settings.answerer
                                if settings.answerer in answerers
                                else answerers[0],
                                label="Answer backend",
                            )
                            k = gr.Slider(
                                1, 30, value=settings.retrieval_k, step=1, label="Passages to read"
                            )
                        with gr.Row():
                            since = gr.Textbox(
                                label="Published since",
                                placeholder="YYYY-MM-DD",
                                max_length=10,
                                elem_id="nq-since",
                            )
                            until = gr.Textbox(
                                label="Published until",
                                placeholder="YYYY-MM-DD",
                                max_length=10,
                                elem_id="nq-until",
                            )
                            outlets = gr.Dropdown(
                                [],
                                multiselect=True,
                                label="Outlets",
                                info="empty = all outlets",
                                elem_id="nq-outlets",
                            )
                with gr.Column(scale=2, min_width=340):
                    sources = gr.HTML(EMPTY_SOURCES, elem_id="nq-sources")
            with gr.Tab("Library", id="library"):
                with gr.Row(equal_height=False):
                    with gr.Column():
                        gr.Markdown("#### Upload files")
                        files = gr.File(
                            file_count="multiple",
                            file_types=[f".{t}" for t in UPLOAD_TYPES],
                            label=f"{', '.join(UPLOAD_TYPES)} · up to "
                            f"{settings.max_file_bytes / 1e6:g} MB each",
                            height=170,
                            elem_id="nq-files",
                        )
                        files_btn = gr.Button(
                            "Add files", variant="primary", elem_id="nq-add-files"
                        )
                        gr.Markdown("#### Article or feed URL")
                        url = gr.Textbox(
                            show_label=False,
                            placeholder="https://example.org/news/story.html",
                            elem_id="nq-url",
                        )
                        url_btn = gr.Button("Fetch and add")
                    with gr.Column():
                        gr.Markdown("#### Paste an article")
                        paste_title = gr.Textbox(
                            label="Title", max_length=300, elem_id="nq-paste-title"
                        )
                        with gr.Row():
                            paste_outlet = gr.Textbox(label="Outlet (optional)", max_length=120)
                            paste_date = gr.Textbox(
                                label="Published (optional)",
                                placeholder="YYYY-MM-DD",
                                max_length=10,
                            )
                        paste_text = gr.Textbox(
                            label="Text", lines=6, max_lines=14, elem_id="nq-paste-text"
                        )
                        paste_btn = gr.Button("Add text", elem_id="nq-add-text")
                report = gr.HTML(elem_id="nq-report")
                gr.Markdown("#### Stored articles")
                with gr.Row():
                    search = gr.Textbox(
                        show_label=False,
                        placeholder="Search titles, outlets, ids…",
                        scale=4,
                        elem_id="nq-search",
                    )
                    refresh_btn = gr.Button("Refresh", size="sm", scale=1)
                table = gr.Dataframe(
                    headers=["Title", "Outlet", "Published", "Chunks", "Duplicates", "Id"],
                    datatype=["str", "str", "str", "number", "str", "str"],
                    type="array",
                    interactive=False,
                    wrap=True,
                    max_height=420,
                    elem_id="nq-table",
                    column_widths=["40%", "12%", "10%", "7%", "11%", "20%"],
                )
                with gr.Row():
                    to_delete = gr.Dropdown(
                        [],
                        multiselect=True,
                        label="Selected for deletion",
                        scale=4,
                        elem_id="nq-delete-pick",
                    )
                    delete_btn = gr.Button(
                        "Delete selected", variant="stop", scale=1, elem_id="nq-delete"
                    )
                delete_msg = gr.HTML(elem_id="nq-delete-msg")

        chat_in = [question, turns, answerer, k, since, until, outlets]
        chat_out = [question, chatbot, sources, turns]
        views = [status, example_group, *example_btns, outlets, table, to_delete]
        for trigger in (question.submit, ask_btn.click):
            trigger(
                actions.respond, chat_in, chat_out, api_visibility=private, show_progress="hidden"
            )
        retry_btn.click(
            actions.retry, chat_in[1:], chat_out, api_visibility=private, show_progress="hidden"
        )
        clear_btn.click(actions.clear, None, chat_out, api_visibility=private)
        chatbot.clear(actions.clear, None, chat_out, api_visibility=private)
        for btn in example_btns:
            btn.click(lambda text: text, btn, question, api_visibility=private).then(
                actions.respond, chat_in, chat_out, api_visibility=private, show_progress="hidden"
            )

        # gr.Progress is handed in only to a parameter whose default is a gr.Progress()
        def add_files(paths: list[str] | None, progress: Any = gr.Progress()) -> tuple[str, None]:  # noqa: B008
            return actions.ingest_files(paths, progress)

        def add_url(link: str, progress: Any = gr.Progress()) -> tuple[str, str]:  # noqa: B008
            return actions.ui_ingest_url(link, progress)

        def add_text(
            title: str,
            text: str,
            outlet: str,
            published: str,
            progress: Any = gr.Progress(),  # noqa: B008
        ) -> tuple[str, str, str]:
            return actions.ui_ingest_text(title, text, outlet, published, progress)

        files_btn.click(add_files, files, [report, files], api_visibility=private).then(
            actions.refresh, search, views, api_visibility=private
        )
        url_btn.click(add_url, url, [report, url], api_visibility=private).then(
            actions.refresh, search, views, api_visibility=private
        )
        paste_btn.click(
            add_text,
            [paste_title, paste_text, paste_outlet, paste_date],
            [report, paste_title, paste_text],
            api_visibility=private,
        ).then(actions.refresh, search, views, api_visibility=private)
        search.change(
            actions.refresh, search, views, api_visibility=private, show_progress="hidden"
        )
        refresh_btn.click(actions.refresh, search, views, api_visibility=private)

        def select_row(evt: gr.SelectData, selected: list[str] | None) -> list[str]:
            """A click on a table row adds its article (the Id column) to the delete picker."""
            selected = list(selected or [])
            row = evt.row_value or []
            article_id = str(row[5]) if len(row) > 5 else ""
            if article_id and article_id not in selected:
                selected.append(article_id)
            return selected

        table.select(select_row, to_delete, to_delete, api_visibility=private)
        delete_btn.click(
            actions.ui_delete, [to_delete, search], [delete_msg, *views], api_visibility=private
        ).then(lambda: [], None, to_delete, api_visibility=private)
        demo.load(actions.refresh, search, views, api_visibility=private)

        gr.api(
            actions.api_ask,
            api_name="ask",
            api_description="Answer a question from the stored articles, citing exact quotes.",
        )
        gr.api(actions.api_ingest_text, api_name="ingest_text")
        gr.api(actions.api_ingest_url, api_name="ingest_url")
        gr.api(actions.api_articles, api_name="articles")
        gr.api(actions.api_delete_articles, api_name="delete_articles")
    return demo


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description=(
            "newsqa chat UI: ask questions about your news articles and get answers that quote "
            "them, with every [n] linked to its source. Opens on http://HOST:PORT; on an empty "
            "store it first ingests the bundled seeds/ article so it answers right away."
        ),
        epilog=(
            "environment:\n"
            "  NEWSQA_AUTH=user:password  require this login (set it whenever --host is not "
            "127.0.0.1)\n"
            "  NEWSQA_DATA_DIR=DIR        the article store (default ./.newsqa); every other "
            "NEWSQA_* setting applies too\n\n"
            "examples:\n"
            "  python app.py                                  only this computer, port 7860\n"
            "  NEWSQA_AUTH=desk:s3cret python app.py --host 0.0.0.0 --port 8080\n"
            "                                                 the newsroom network, with a login\n"
            "  python app.py --data-dir archive/ --no-seed    another store, as it is"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this computer only; "
        "0.0.0.0 = every network interface, then set NEWSQA_AUTH)",
    )
    parser.add_argument("--port", type=int, default=7860, help="port to listen on (default: 7860)")
    parser.add_argument(
        "--share",
        action="store_true",
        help="also publish a temporary public *.gradio.live link through Gradio's "
        "relay servers (off by default; use only with NEWSQA_AUTH)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="the article store (default: NEWSQA_DATA_DIR or ./.newsqa)",
    )
    parser.add_argument(
        "--no-seed", action="store_true", help="do not ingest seeds/ when the store is empty"
    )
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, not {args.port}")
    return args


def store_is_empty(settings: Settings) -> bool:
    from qa import Store

    try:
        with Store.open(settings) as store:
            return store.article_count() == 0
    except StoreNotFoundError:
        return True


def launch(
    demo: "gr.Blocks",
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    share: bool = False,
    prevent_thread_lock: bool = False,
) -> Any:
    """Start serving `demo` with newsqa's theme, limits and login."""
    import gradio as gr

    theme = gr.themes.Soft(
        primary_hue="blue",
        neutral_hue="slate",
        font=SYSTEM_FONTS,
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )
    return demo.queue(default_concurrency_limit=1).launch(
        server_name=host,
        server_port=port,
        share=share,
        auth=auth,
        auth_message="newsqa: sign in with the login from NEWSQA_AUTH." if auth else None,
        max_file_size=settings.max_file_bytes,
        show_error=True,
        ssr_mode=False,
        mcp_server=False,
        prevent_thread_lock=prevent_thread_lock,
        theme=theme,
        css=CSS,
        footer_links=["api"],
        quiet=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`python app.py`: check the options, seed an empty store, then serve the UI until stopped."""
    args = parse_args(argv)
    try:
        settings = load_settings(data_dir=args.data_dir)
        auth = parse_auth(os.environ.get("NEWSQA_AUTH"))
    except NewsQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    warning = exposure_warning(args.host, auth, args.share)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    # Gradio keeps uploads in its own cache: keep that inside the data dir too, and stay offline.
    os.environ.setdefault(
        "GRADIO_TEMP_DIR", str((settings.data_dir / "uploads" / "gradio").resolve())
    )
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        if not args.no_seed and store_is_empty(settings) and SEEDS.is_dir():
            from ingest import ingest

            print(
                f"The store in {settings.data_dir} is empty: ingesting {SEEDS} …", file=sys.stderr
            )
            print(ingest([str(SEEDS)], settings).summary(), file=sys.stderr)
        from qa import get_embedder

        print("Loading the embedding model …", file=sys.stderr, flush=True)
        get_embedder(settings)  # loaded once here, so the first question is answered quickly
    except NewsQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    demo = build_app(settings)
    try:
        _, local_url, share_url = launch(
            demo,
            settings,
            host=args.host,
            port=args.port,
            auth=auth,
            share=args.share,
            prevent_thread_lock=True,
        )
    except OSError as exc:
        print(
            f"error: cannot listen on {args.host}:{args.port}: {exc} (try another --port)",
            file=sys.stderr,
        )
        return 1
    login = " (login required)" if auth else ""
    print(f"newsqa is serving {settings.data_dir} on {local_url}{login}", file=sys.stderr)
    if share_url:
        print(f"public link: {share_url}", file=sys.stderr)
    if warning:
        print(warning, file=sys.stderr)
    print("Press Ctrl+C to stop.", file=sys.stderr, flush=True)
    demo.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())
