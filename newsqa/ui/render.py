"""HTML of the Ask tab: answers with linked [n] markers, source cards with highlighted quotes.

Article text, titles and questions are untrusted: every piece goes through `esc` or `md_literal`
(newsqa.ui.escaping) here, before the browser sees it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from newsqa.ui.escaping import esc, md_literal, safe_url
from newsqa.wording import fmt_date, plural

if TYPE_CHECKING:
    from qa import Answer, Citation

_CITE = re.compile(r"\[(\d{1,3})\]")

EMPTY_SOURCES = (
    '<div class="nq-empty"><h3 class="nq-src-head">Sources</h3><p>Ask a question: each '
    '<span class="nq-cite">[1]</span> in an answer links to its source here, with the quoted '
    "words highlighted in the article's text.</p></div>"
)
PENDING_ANSWER = '<span class="nq-pending">Searching the articles…</span>'


def card_id(turn: int, n: int) -> str:
    """The element id of source card `n` of conversation turn `turn` (the target of `[n]`)."""
    return f"nq-src-{turn}-{n}"


def answer_html(text: str, citations: Sequence[Citation], turn: int) -> str:
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


def _quote_html(quote: str, answer: tuple[int, int] | None) -> str:
    """A quote, escaped, with the reader's short answer inside it in <strong> when given
    (`answer` = offsets into `quote`)."""
    if answer is None or not 0 <= answer[0] < answer[1] <= len(quote):
        return esc(quote)
    a, b = answer
    return f'{esc(quote[:a])}<strong class="nq-answer">{esc(quote[a:b])}</strong>{esc(quote[b:])}'


def highlight(
    text: str,
    spans: Sequence[tuple[int, int, int]],
    turn: int,
    context: int = 320,
    answers: Mapping[int, tuple[int, int]] | None = None,
) -> str:
    """`text` as escaped HTML with each span `(start, end, n)` in a <mark> labelled [n].

    Each mark has the id `card_id(turn, n)` that the answer's `[n]` links to. At most `context`
    characters are kept before the first and after the last mark, and a long stretch between two
    marks is shortened in the middle. `answers` maps a mark's n to the reader's short answer
    inside it (offsets into the marked quote), shown in bold.
    """
    answers = answers or {}
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
            f"{_quote_html(text[start:end], answers.get(mark))}</mark>"
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
    notes: Sequence[str] = (),
) -> str:
    """One card of the sources panel: title (linked when the URL is http(s)), outlet, date,
    `notes` (plain text, such as who the quotes are from) and `body_html`, which must already
    be escaped."""
    link = safe_url(url)
    heading = esc(title or "Untitled article")
    meta = [esc(source or "unknown outlet"), esc(fmt_date(published)), *map(esc, notes)]
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


def citation_cards(answer: Answer, turn: int, article_text: Callable[[str], str | None]) -> str:
    """One card per cited article; in it, each passage that holds quotes, the quotes highlighted.

    A quote is shown inside the retrieved passage it came from, or inside the stored article
    text when no passage holds it; the reader's short answer is in bold inside its quote.
    """
    answers = {
        c.n: (c.answer_start, c.answer_end)
        for c in answer.citations
        if c.answer_start is not None and c.answer_end is not None
    }
    # who each article's quotes are from: "quoting Mayor Tom Hadley [1]"
    speakers: dict[str, list[str]] = {}
    for c in answer.citations:
        if c.speaker:
            speakers.setdefault(c.article_id, []).append(f"quoting {c.speaker} [{c.n}]")
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
            f'<div class="nq-passage">{highlight(text, spans, turn, answers=answers)}</div>'
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
                notes=speakers.get(article_id, ()),
            )
        )
    return "".join(cards)


def related_cards(answer: Answer, limit: int = 4) -> str:
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
    answer: Answer, question: str, turn: int, article_text: Callable[[str], str | None]
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


def answer_message(answer: Answer, turn: int) -> str:
    """The assistant's chat message for an answer or a refusal; the reader's short answer, when
    there is one, in bold above it."""
    body = answer_html(answer.text, answer.citations, turn)
    if answer.short_answer:
        body = f'<strong class="nq-short">{md_literal(answer.short_answer)}</strong><br>{body}'
    if answer.answered and answer.citations:
        articles = len({c.article_id for c in answer.citations})
        note = (
            f"{plural(len(answer.citations), 'quote')} from {plural(articles, 'article')} · "
            "click a number to see it in its article"
        )
        if answer.agreement == "differ":
            note = f"sources differ: {plural(len(answer.versions), 'version')} · {note}"
        elif answer.agreement == "agree":
            note = f"sources agree · {note}"
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
    """A failure shown in the chat, escaped."""
    return f'<span class="nq-error">⚠ {md_literal(message)}</span>'
