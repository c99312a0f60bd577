"""The words of an extractive answer: who reports each quote and who says it, quotes shortened
around their short answer, and what shows that sources agree or differ.

- `credit` leads a quoted sentence: "Tasnim reported on 21 June 2022: ", or, when the sentence
  names its speaker, "Mayor Tom Hadley, quoted by Riverton Daily Ledger on 13 March 2025: ".
- `differ_text`: "Sources differ." and then each version (`qa.answering.versions`) in a sentence
  of its own, newest first when the versions are dated ("Updated on 14 March 2025, ...";
  "Earlier, on 13 March 2025, ..."), each with its outlet, its date and its exact quote,
  shortened around the short answer when the word budget needs it. Never two versions in one
  sentence.
- `support_text`: the answer as composed, then the other outlets that state the same value, each
  cited ("Also reported by ..."); "Sources agree." leads when they are independent reports.

Every quote stays an exact span of its article: shortening moves `start`/`end` with the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from qa.answering.agreement import compare
from qa.answering.versions import Found, Group, Quoted
from qa.core.dates import day_of, format_day
from qa.core.schema import Citation, Passage, Version

_LEADING_WORDS = 4  # a speaker named within the quote's first words needs no credit of its own
_WORD = re.compile(r"\S+")
_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")


def count_words(text: str) -> int:
    """Words as a reader counts them: tokens with a letter or digit, `[n]` markers not included."""
    return sum(1 for w in _MARKER.sub(" ", text).split() if any(ch.isalnum() for ch in w))


def _same_name(a: str, b: str) -> bool:
    return compare(a, b) or a.lower().removeprefix("the ") == b.lower().removeprefix("the ")


def credit(
    source: str | None,
    published: str | None,
    said_by: str | None = None,
    when: str = "",
    quote: str = "",
) -> str:
    """The lead of a quoted sentence: who reports it, when, and who says it.

    `when` is "" (plain: "Tasnim reported on 21 June 2022: "), "updated" (the newest of
    differing versions: "Updated on 14 March 2025, Valley Courier reported: ") or "earlier". A
    speaker (`said_by`) who is a name other than the outlet's leads, "Mayor Tom Hadley, quoted by
    Riverton Daily Ledger on 13 March 2025: ", unless the `quote` itself begins with it.
    """
    day = format_day(published, "") if published else ""
    named = said_by if said_by and any(w[:1].isupper() for w in said_by.split()) else None
    if named and source and _same_name(named, source):
        named = None
    at = quote.find(named) if named else -1
    if named and at >= 0 and len(quote[:at].split()) <= _LEADING_WORDS:
        named = None  # "Defense Minister X said ...": the quote names its speaker first
    if when and day:
        head = "Updated on" if when == "updated" else "Earlier, on"
        if named:
            return f"{head} {day}, {named}, quoted by {source or 'an unnamed outlet'}: "
        return f"{head} {day}, {source or 'an unnamed outlet'} reported: "
    if named and source:
        return f"{named}, quoted by {source}{f' on {day}' if day else ''}: "
    if named and day:
        return f"{named}, quoted on {day}: "
    if source and day:
        return f"{source} reported on {day}: "
    if source:
        return f"{source} reported: "
    if day:
        return f"Reported on {day}: "
    return ""


def window(q: Quoted, words: int | None) -> Quoted:
    """`q` shortened to at most `words` words around its short answer (an exact span still)."""
    toks = [m for m in _WORD.finditer(q.text)]
    if words is None or len(toks) <= words:
        return q
    inside = [i for i, m in enumerate(toks) if m.end() > q.span[0] and m.start() < q.span[1]]
    lo, hi = (inside[0], inside[-1]) if inside else (0, 0)
    while hi - lo + 1 < words and (lo > 0 or hi < len(toks) - 1):
        if hi < len(toks) - 1:
            hi += 1
        if lo > 0 and hi - lo + 1 < words:
            lo -= 1
    while lo < len(toks) - 1 and lo not in inside and not _has_word(toks[lo].group()):
        lo += 1  # not from a dash or a lone quotation mark
    a, b = toks[lo].start(), toks[hi].end()
    a = min(a, q.span[0])
    b = max(b, q.span[1])
    text = q.text[a:b]
    trimmed = text.rstrip(",;:")
    if len(trimmed) >= q.span[1] - a:
        text = trimmed
    return replace(
        q,
        start=q.start + a,
        end=q.start + a + len(text),
        text=text,
        span=(q.span[0] - a, q.span[1] - a),
        cut=(a > 0, a + len(text) < len(q.text)),
    )


def _has_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def cite(q: Quoted, n: int) -> Citation:
    """Citation `[n]` of `q`, with its short answer and its speaker."""
    c = q.passage.cite(n, q.text, q.start, q.end, q.score)
    return replace(c, answer_start=q.span[0], answer_end=q.span[1], speaker=q.speaker)


def _shown(q: Quoted) -> str:
    front, back = q.cut
    return f"{'…' if front else ''}{q.text}{'…' if back else ''}"


def _also(outlets: Sequence[str]) -> str:
    """ "Also reported by X and Y." for outlets named without a quote, or ""."""
    if not outlets:
        return ""
    joined = outlets[0] if len(outlets) == 1 else ", ".join(outlets[:-1]) + " and " + outlets[-1]
    return f"Also reported by {joined}."


def _order(groups: Sequence[Group]) -> tuple[list[Group], int | None]:
    """The groups newest first, and the index of the newest, when every version is dated and
    one was reported last; else as given and None."""
    last = [
        max((d for q in g.members if (d := day_of(q.passage.published))), default=None)
        for g in groups
    ]
    days = [d for d in last if d is not None]
    if len(days) < max(2, len(groups)) or days.count(max(days)) > 1:
        return list(groups), None
    order = sorted(range(len(groups)), key=lambda i: last[i] or max(days), reverse=True)
    return [groups[i] for i in order], 0


@dataclass(frozen=True)
class _Style:
    """How much of each version the text shows (tried from the most to the least)."""

    lead: int | None  # words of the lead quote kept around the value (None: the whole sentence)
    support: int  # words kept of each further outlet's quote
    quoted: int  # further outlets quoted per version; the others are named
    speakers: bool = True  # "X, quoted by ..." in the credit


_STYLES = (
    _Style(None, 12, 2),
    _Style(30, 10, 2),
    _Style(20, 10, 1),
    _Style(14, 8, 1),
    _Style(10, 8, 0),
    _Style(10, 8, 0, speakers=False),
    _Style(7, 6, 0, speakers=False),
)


# what `support_words` keeps free: one further outlet quoted in 10 words, the others named
_RESERVED = _Style(10, 10, 1)


def _block(
    members: Sequence[Quoted],
    copies: Sequence[str],
    first: int,
    style: _Style,
    *,
    lead: bool,
    when: str = "",
) -> tuple[list[str], list[tuple[Quoted, int]], list[str]]:
    """Sentences for quotes that state one value: the `lead` quote (when given) and up to
    `style.quoted` more, each with its credit and `[n]` (numbered from `first`), then "Also
    reported by ..." for the outlets not quoted and the copies. `when` goes to the lead's credit.
    Returns (sentences, [(quote as shown, n)], outlets named without a quote)."""
    parts: list[str] = []
    cited: list[tuple[Quoted, int]] = []
    limit = style.quoted + (1 if lead else 0)
    for j, q in enumerate(members[:limit]):
        first_lead = lead and j == 0
        shown = window(q, style.lead if first_lead else style.support)
        said = shown.speaker if style.speakers else None
        source, day = shown.passage.source, shown.passage.published
        parts.append(
            f"{credit(source, day, said, when if first_lead else '', shown.text)}"
            f"{_shown(shown)} [{first + j}]"
        )
        cited.append((shown, first + j))
    named = [q.passage.source or "an unnamed outlet" for q in members[limit:]]
    named = list(dict.fromkeys(named + [c for c in copies if c not in named]))
    if named:
        parts.append(_also(named))
    return parts, cited, [n for n in named if n not in copies]


def _version(
    g: Group, cited: Sequence[tuple[Quoted, int]], named: Sequence[str], latest: bool
) -> Version:
    days = sorted(q.passage.published for q, _ in cited if q.passage.published)
    outlets = [q.passage.source or "unknown outlet" for q, _ in cited] + list(named)
    return Version(
        value=g.members[0].value,
        key=g.key,
        citations=tuple(n for _, n in cited),
        outlets=tuple(dict.fromkeys(outlets)),
        first_published=days[0] if days else None,
        last_published=days[-1] if days else None,
        copies=g.copies,
        latest=latest,
    )


@dataclass(frozen=True)
class Composed:
    """An answer's text with its citations, versions and short answer."""

    text: str
    citations: tuple[Citation, ...]
    versions: tuple[Version, ...]
    short_answer: str | None


def _differ(ordered: Sequence[Group], newest: int | None, style: _Style, shown: int) -> Composed:
    """One rendering of "Sources differ.": the first `shown` versions, a block each."""
    parts = ["Sources differ."]
    cited: list[tuple[Quoted, int]] = []
    versions = []
    for i, g in enumerate(ordered[:shown]):
        when = "" if newest is None else "updated" if i == newest else "earlier"
        sentences, quotes, named = _block(
            g.members, g.copies, len(cited) + 1, style, lead=True, when=when
        )
        parts.extend(sentences)
        cited.extend(quotes)
        versions.append(_version(g, quotes, named, i == newest))
    if len(ordered) > shown:
        more = len(ordered) - shown
        parts.append(f"{more} more {'version' if more == 1 else 'versions'} did not fit here.")
    short = " / ".join(g.members[0].value for g in ordered[:shown])
    return Composed(" ".join(parts), tuple(cite(q, n) for q, n in cited), tuple(versions), short)


def differ_text(found: Found, max_words: int) -> Composed:
    """ "Sources differ." and each version in sentences of its own: its outlet, date and exact
    quote, then the further outlets that state it; newest first when the versions are dated.
    Quotes are shortened around their short answers to fit `max_words`, then further outlets
    are named instead of quoted and speakers left to the citations; only when two versions
    still do not fit are the oldest left out (within the default 80 words, four fit)."""
    ordered, newest = _order(found.groups)
    tries = [(s, len(ordered)) for s in _STYLES]
    tries += [(_STYLES[-1], k) for k in range(len(ordered) - 1, 1, -1)]
    composed = None
    for style, shown in tries:
        composed = _differ(ordered, newest, style, shown)
        if count_words(composed.text) <= max_words:
            break
    assert composed is not None
    return composed


def _supporters(
    found: Found, citations: Sequence[Citation]
) -> tuple[list[Quoted], list[tuple[Quoted, int]]]:
    """The members of the answer's version that the answer does not quote yet, and those it
    quotes (with their numbers)."""
    rest, cited = [], []
    for q in found.groups[0].members:  # a quote may have been cut: it overlaps its sentence
        n = next(
            (c.n for c in citations if c.article_id == q.passage.article_id
             and c.start < q.end and q.start < c.end),
            None,
        )  # fmt: skip
        if n is not None:
            cited.append((q, n))
        else:
            rest.append(q)
    return rest, cited


def support_words(found: Found) -> int:
    """Words kept free for `support_text` in the answer's budget: "Sources agree.", one further
    outlet quoted around the value, the others named (more is shown when the answer is short)."""
    rest, _ = _supporters(found, [])
    lead = "Sources agree. " if found.agreement == "agree" else ""
    parts, _, _ = _block(rest[1:], found.groups[0].copies, 2, _RESERVED, lead=False)
    return count_words(lead + " ".join(parts))


def support_text(
    text: str, citations: Sequence[Citation], found: Found, max_words: int
) -> Composed:
    """The answer as composed (`text`, `citations`), then the other outlets that state the same
    value, quoted around it and cited (the first `_Style.quoted`; more are named);
    "Sources agree." leads when they are independent reports, not copies of one story."""
    group = found.groups[0]
    rest, cited = _supporters(found, citations)
    lead = "Sources agree. " if found.agreement == "agree" else ""
    for style in _STYLES:
        parts, quotes, named = _block(rest, group.copies, len(citations) + 1, style, lead=False)
        full = " ".join([lead + text, *parts])
        if count_words(full) <= max_words:
            break
    else:  # cannot happen within the budget `support_words` keeps free
        parts, quotes, named = [], [], []
        full = text
    out = (*citations, *(cite(q, n) for q, n in quotes))
    version = _version(group, cited + quotes, named, False)
    return Composed(full, out, (version,), group.members[0].value)


class Chosen(Protocol):
    """A sentence chosen for an extractive answer (extractive's sentences are these)."""

    @property
    def passage(self) -> Passage: ...
    @property
    def start(self) -> int: ...  # offsets into the article text
    @property
    def end(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def span(self) -> tuple[int, int] | None: ...  # the short answer, offsets into `text`
    @property
    def cut(self) -> bool: ...  # quoted only up to the word budget
    @property
    def cut_front(self) -> bool: ...  # quoted from further on
    @property
    def speaker(self) -> str | None: ...


def compose(chosen: Sequence[Chosen]) -> tuple[str, list[Citation]]:
    """The quotes in order, each led by its `credit` (not repeated while it stays the same) and
    followed by `[n]`; one citation each."""
    parts: list[str] = []
    citations: list[Citation] = []
    last = None
    for n, s in enumerate(chosen, start=1):
        p = s.passage
        prefix = credit(p.source, p.published, s.speaker, quote=s.text)
        prefix, last = ("" if prefix == last else prefix), prefix  # said once for a run
        parts.append(f"{prefix}{'…' if s.cut_front else ''}{s.text}{'…' if s.cut else ''} [{n}]")
        cite = replace(p.cite(n, s.text, s.start, s.end, s.score), speaker=s.speaker)
        if s.span is not None and s.span[1] <= len(s.text):
            cite = replace(cite, answer_start=s.span[0], answer_end=s.span[1])
        citations.append(cite)
    return " ".join(parts), citations
