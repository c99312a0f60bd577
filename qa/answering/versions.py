"""Where outlets agree or differ: the versions of a short answer across the retrieved articles.

After the reader has rated the candidate sentences, `find_versions` takes the best sentence's
short answer and its counterparts: in every other article published within `SAME_STORY_DAYS` of
the best one's (an older report is of another event), the best-rated sentence that the reader
also rates as answering (at least the refusal threshold and `COUNTERPART_RATIO` of the best) with
a short answer of the same kind (`agreement.comparable`: a figure beside a figure in the same
unit, a date beside a date, a name beside a name). They are grouped by value
(`agreement.group_versions`). Copies of one wire story count once: stored articles whose
near-duplicate signatures are at least `WIRE_COPY` alike are one story, and the near-duplicates
the store recorded (not stored, so never quoted) are named as copies of their original. A
counterpart with another value from an article that carries the best sentence word for word (a
copy that changed another sentence) is replaced by that sentence: it states the same value.

The words that show them are `qa.answering.composition`'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.answering.agreement import comparable, compare, group_versions, kind_of
from qa.answering.attribution import speaker
from qa.answering.question import keywords
from qa.core.dates import day_of
from qa.core.schema import Agreement, Passage
from qa.core.text import sentence_spans, tokens
from qa.store import Store

# a counterpart must be rated at least this share of the best sentence's answerability
COUNTERPART_RATIO = 0.5
# articles whose near-duplicate (MinHash) signatures agree on at least this share are copies of
# one story (independent reports of one event share far fewer word 3-grams)
WIRE_COPY = 0.5
MAX_VERSIONS = 4  # more would not fit the word budget with their quotes
# reports of one story are published within this many days of each other; an article further
# away answers about another event (last year's recall, another season's final)
SAME_STORY_DAYS = 7
# two sentences that give different values state the same fact only if at least this share of
# the shorter one's other content words is in the other ("passed a $48.1 million budget" /
# "the council passed a budget of 48.2m dollars"); a sentence on another fact of the story
# ("the Tony Awards were hosted by ..." beside "recognized at Radio City Music Hall") is no
# version of the answer
PARALLEL = 0.34
# other articles whose retrieved passages had no sentence on the shortlist: at most this many get
# their likeliest sentence rated afresh (one small reader call)
MAX_MORE = 4
# a counterpart's passage (its sentence, the text around it and its article's title) must name at
# least this share of the question's words that the best sentence's passage names: the reader
# rates a sentence on its own, and "officials said the rocket launch affected 1007 people" answers
# "how many people did the chip factory opening affect?" as well as the right sentence does
SAME_SUBJECT = 0.5


class Rated(Protocol):
    """A candidate sentence the reader has rated (extractive's sentences are these)."""

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


class Score(Protocol):
    """What the reader says of one text (`qa.answering.reader.ReaderScore`)."""

    @property
    def p(self) -> float: ...
    @property
    def start(self) -> int | None: ...
    @property
    def end(self) -> int | None: ...


Rate = Callable[[Sequence[str], Sequence[str]], Sequence[Score]]  # (texts, their titles)


@dataclass(frozen=True)
class _Candidate:
    """A sentence of another article's retrieved passage, rated in the second pass."""

    passage: Passage
    start: int
    end: int
    text: str
    score: float = 0.0
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class Quoted:
    """A sentence to quote for one version: an exact span of its article with its short answer."""

    passage: Passage
    start: int
    end: int
    text: str
    span: tuple[int, int]
    score: float
    speaker: str | None = None
    cut: tuple[bool, bool] = (False, False)  # shortened at the front / at the back

    @property
    def value(self) -> str:
        return self.text[self.span[0] : self.span[1]]


@dataclass(frozen=True)
class Group:
    """One version: its key, its quotes (best first), its copies and how many stories hold it."""

    key: str
    members: tuple[Quoted, ...]
    copies: tuple[str, ...]
    stories: int


@dataclass(frozen=True)
class Found:
    """The versions of the best sentence's short answer (the best one's group first)."""

    groups: tuple[Group, ...]
    agreement: Agreement


def _short(s: Rated) -> str | None:
    if s.span is None or not 0 <= s.span[0] < s.span[1] <= len(s.text):
        return None
    return s.text[s.span[0] : s.span[1]]


def _with_unit(s: Rated) -> str:
    """The short answer with the word after it when that names its unit ("75" in "75 people
    were hurt" -> "75 people"), so that a count of people is not set beside one of officers."""
    value = _short(s) or ""
    assert s.span is not None
    after = re.match(r"\s+([A-Za-z]+)", s.text[s.span[1] :])
    return f"{value} {after.group(1)}" if after and re.fullmatch(r"[\d.,]+", value) else value


def counterparts(
    ranked: Sequence[Rated], floor: float, question: Sequence[str] = ()
) -> list[Rated]:
    """The best sentence (`ranked[0]`) and, per other article, its best-rated sentence that also
    answers with a short answer of the same kind, about the same subject (`question`: the
    question's words); in `ranked` order."""
    best = ranked[0]
    value = _short(best)
    if value is None:
        return []
    out = [best]
    seen = {best.passage.article_id}
    bar = max(floor, COUNTERPART_RATIO * best.score)
    subject = _named(best, question)
    for s in ranked[1:]:
        other = _short(s)
        if s.passage.article_id in seen or s.score < bar or other is None:
            continue
        if not _same_time(best.passage, s.passage):
            continue  # another event's report, as last year's recall beside this week's
        if len(_named(s, question) & subject) < SAME_SUBJECT * len(subject):
            continue  # the same kind of answer about another subject
        if not compare(value, other):
            where = _states(s.text, value)
            if where is not None:  # it states the best's value too: the same version
                s = _Candidate(s.passage, s.start, s.end, s.text, s.score, where)
            elif not comparable(_with_unit(best), _with_unit(s)) or _states(best.text, other):
                continue  # another kind of answer, or one the best sentence states too
            elif _parallel(best, s) < PARALLEL:
                continue  # it states another fact of the story, not this one otherwise
        out.append(s)
        seen.add(s.passage.article_id)
    return out


def _named(s: Rated, question: Sequence[str]) -> set[str]:
    """The question's words (crudely stemmed) that the sentence's passage or title names."""
    p = s.passage
    return _stems(question) & _stems(tokens(f"{p.title or ''} {p.text} {s.text}"))


def _stems(words: Iterable[str]) -> set[str]:
    """Words crudely stemmed (their first six characters), those with a digit left out."""
    return {w[:6] for w in words if not any(c.isdigit() for c in w)}


def _states(text: str, value: str) -> tuple[int, int] | None:
    """Where `text` states `value` word for word (any case; a word may go on: "Colombia" in
    "Colombian"), or None."""
    end = r"(?![\w.,]*\d)" if any(c.isdigit() for c in value) else ""
    m = re.search(r"(?<!\w)" + re.escape(value.strip()) + end, text, re.IGNORECASE)
    return (m.start(), m.start() + len(value.strip())) if m else None


def _content(s: Rated) -> set[str]:
    """The sentence's content words (crudely stemmed), its short answer left out."""
    text = s.text if s.span is None else s.text[: s.span[0]] + " " + s.text[s.span[1] :]
    return _stems(keywords(text))


def _parallel(a: Rated, b: Rated) -> float:
    """How much two sentences say alike besides their short answers: the share of the shorter
    one's content words that the other has too."""
    x, y = _content(a), _content(b)
    return len(x & y) / max(1, min(len(x), len(y)))


def _same_time(a: Passage, b: Passage) -> bool:
    """Whether two reports can be of one story: published within `SAME_STORY_DAYS` of each
    other (or one of them undated)."""
    da, db = day_of(a.published), day_of(b.published)
    return da is None or db is None or abs((da - db).days) <= SAME_STORY_DAYS


def more_candidates(
    ranked: Sequence[Rated],
    passages: Sequence[Passage],
    keywords: Sequence[str],
    rate: Rate,
    store: Store | None = None,
) -> list[_Candidate]:
    """Sentences the shortlist left out, rated: per retrieved article (other than the best
    sentence's) without a counterpart among the rated sentences, its unrated sentence sharing
    most words with the best sentence and the question, from all of the article's passages (the
    store's) or else its retrieved ones; at most `MAX_MORE` articles, in retrieval order."""
    best = ranked[0]
    done = {s.passage.article_id for s in counterparts(ranked, 0.0, keywords)}
    wanted = [
        p.article_id for p in passages if p.article_id not in done and _same_time(best.passage, p)
    ]
    wanted = list(dict.fromkeys(wanted))
    wanted = wanted[:MAX_MORE]
    pool = [p for p in passages if p.article_id in wanted]
    if store is not None and wanted:
        rows = store.article_chunks(wanted)
        pool = [Passage.from_row(r, score=0.0) for r in rows.values()] or pool
    rated = {(s.passage.article_id, s.start) for s in ranked}
    want = set(tokens(best.text)) | set(keywords)
    picks: dict[str, _Candidate] = {}
    overlap: dict[str, float] = {}
    for p in pool:
        for a, b in sentence_spans(p.text):
            text = p.text[a:b]
            words = set(tokens(text))
            if len(words) < 4 or text.endswith("?") or (p.article_id, p.start + a) in rated:
                continue
            share = len(words & want) / len(words | want)
            if share > overlap.get(p.article_id, 0.0):
                overlap[p.article_id] = share
                picks[p.article_id] = _Candidate(p, p.start + a, p.start + b, text)
    found = [picks[a] for a in wanted if a in picks]
    if not found:
        return []
    out = []
    scores = rate([c.text for c in found], [c.passage.title or "" for c in found])
    for c, sc in zip(found, scores, strict=True):
        span = (sc.start, sc.end) if sc.start is not None and sc.end is not None else None
        out.append(_Candidate(c.passage, c.start, c.end, c.text, sc.p, span))
    return out


def _word_for_word(found: list[Rated], store: Store | None) -> list[Rated]:
    """A counterpart with another value whose article also carries the best sentence word for
    word (a copy of the story that changed another sentence) states the best's value there:
    that sentence stands for its article."""
    best, value = found[0], _short(found[0]) or ""
    other = [s for s in found[1:] if not compare(value, _short(s) or "")]
    if store is None or not other:
        return found
    rows = store.article_chunks([s.passage.article_id for s in other])
    out = [best]
    for s in found[1:]:
        for row in rows.values() if s in other else ():
            at = row.text.find(best.text) if row.article_id == s.passage.article_id else -1
            if at >= 0:
                p = Passage.from_row(row, score=0.0)
                s = _Candidate(
                    p, p.start + at, p.start + at + len(best.text), best.text, best.score, best.span
                )
                break
        out.append(s)
    return out


def _named_elsewhere(
    found: list[Rated], texts: dict[str, str] | None, story: dict[str, int]
) -> list[Rated]:
    """A counterpart from another story (not a copy of the best's) naming another name than the
    best, whose article names the best's name too (or whose name the best's article names),
    does not contradict it: a place at another granularity or a person named another way
    ("Philippines" and "northern Luzon"). It is left out of the versions. (In a copy of one
    story, another name in the same sentence is a change worth showing.)"""
    best, value = found[0], _short(found[0]) or ""
    if texts is None or kind_of(value) != "name":
        return found
    keep = [best]
    for s in found[1:]:
        other = _short(s) or ""
        one_story = story.get(s.passage.article_id) == story.get(best.passage.article_id)
        if (
            not one_story
            and not compare(value, other)
            and (
                _states(texts.get(s.passage.article_id, ""), value)
                or _states(texts.get(best.passage.article_id, ""), other)
            )
        ):
            continue
        keep.append(s)
    return keep


def _texts(items: Sequence[Rated], store: Store | None) -> dict[str, str] | None:
    """The whole text of each sentence's article, from the store (None without one)."""
    if store is None:
        return None
    return {k: a.text for k, a in store.get_articles([s.passage.article_id for s in items]).items()}


def speakers(
    items: Sequence[Rated], store: Store | None, texts: dict[str, str] | None = None
) -> list[str | None]:
    """Who each sentence says makes its claim (`attribution.speaker`), with the article text
    before it (`texts`, else from the store, else the passage) to resolve a "he said"."""
    texts = (texts if texts is not None else _texts(items, store)) or {}
    out = []
    for s in items:
        full = texts.get(s.passage.article_id)
        if full is not None and full[s.start : s.end] == s.text:
            before = full[: s.start]
        else:
            before = s.passage.text[: max(0, s.start - s.passage.start)]
        out.append(speaker(s.text, before))
    return out


def _stories(article_ids: Sequence[str], store: Store | None) -> dict[str, int]:
    """A story number per article: copies of one wire story (alike signatures) share one."""
    ids = list(dict.fromkeys(article_ids))
    parent = {a: a for a in ids}
    sigs = store.signatures(ids) if store is not None else {}
    vecs = {a: np.frombuffer(b, dtype=np.uint64) for a, b in sigs.items()}

    def root(a: str) -> str:
        while parent[a] != a:
            a = parent[a]
        return a

    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            va, vb = vecs.get(a), vecs.get(b)
            alike = va is not None and vb is not None and len(va) == len(vb)
            if alike and float(np.mean(va == vb)) >= WIRE_COPY:
                parent[root(b)] = root(a)
    roots = {a: root(a) for a in ids}
    numbers = {r: n for n, r in enumerate(dict.fromkeys(roots.values()))}
    return {a: numbers[r] for a, r in roots.items()}


def find_versions(
    ranked: Sequence[Rated],
    floor: float,
    store: Store | None,
    *,
    passages: Sequence[Passage] = (),
    keywords: Sequence[str] = (),
    rate: Rate | None = None,
) -> Found | None:
    """The versions of the best sentence's short answer across the retrieved articles.

    Args:
        ranked: the rated sentences, best first (the best one's short answer is the answer).
        floor: the reader's refusal threshold: a counterpart must reach it too.
        store: for the articles' signatures, their recorded copies and the text before a quote.
        passages: the retrieved passages; with `rate`, the articles among them that had no
            sentence rated get one rated now (`more_candidates`).
        keywords: the question's words, to pick those sentences.
        rate: the reader, asked the question: (texts, their articles' titles) -> scores.

    Returns:
        None when the best sentence has no short answer; else the groups (the best sentence's
        first) and whether the sources agree, differ, or are a single source.
    """
    if _short(ranked[0]) is None:
        return None
    pool: list[Rated] = list(ranked)
    if rate is not None:
        pool += more_candidates(ranked, passages, keywords, rate, store)
    found = counterparts(pool, floor, keywords)
    if not found:
        return None
    found = _word_for_word(found, store)
    story = _stories([s.passage.article_id for s in found], store)
    texts = _texts(found, store)  # read once for both steps below
    found = _named_elsewhere(found, texts, story)
    who = speakers(found, store, texts)
    quoted = [
        Quoted(s.passage, s.start, s.end, s.text, s.span, s.score, w)  # type: ignore[arg-type]
        for s, w in zip(found, who, strict=True)
    ]
    dups = store.duplicates_of([q.passage.article_id for q in quoted]) if store else {}
    groups = []
    for key, members in group_versions([(q.value, q) for q in quoted]):
        outlets = {q.passage.source for q in members}
        copies = [
            d.source
            for q in members
            for d in dups.get(q.passage.article_id, [])
            if d.source and d.source not in outlets
        ]
        n = len({story[q.passage.article_id] for q in members})
        groups.append(Group(key, tuple(members), tuple(dict.fromkeys(copies)), n))
    if len(groups) > 1:
        agreement: Agreement = "differ"
    elif groups[0].stories > 1:
        agreement = "agree"
    else:
        agreement = "single source"
    return Found(tuple(groups[:MAX_VERSIONS]), agreement)
