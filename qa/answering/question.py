"""What a question asks for: its keywords, time hints and follow-up cues."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from qa.core.dates import MONTHS
from qa.core.text import tokens

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "he'd",
        "he'll",
        "he's",
        "her",
        "here",
        "here's",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "how's",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "let's",
        "me",
        "more",
        "most",
        "mustn't",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "shan't",
        "she",
        "she'd",
        "she'll",
        "she's",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasn't",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "when's",
        "where",
        "where's",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "why",
        "why's",
        "with",
        "won't",
        "would",
        "wouldn't",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "says",
        "said",
        "say",
        "tell",
        "told",
        "according",
        "reported",
        "report",
        "news",
        "article",
        "articles",
        "week",
        "weeks",
        "year",
        "years",
        "month",
        "months",
        "day",
        "days",
        "today",
        "yesterday",
        "recently",
        "recent",
        "latest",
        "last",
        "new",
        "newest",
        "current",
        "currently",
        "many",
        "much",
        "one",
        "two",
        "three",
        "first",
        "whose",
        "will",
        "may",
        "might",
        "just",
        "now",
        "ago",
    ]
)

_RECENCY = re.compile(
    r"\b(latest|most recent|recent|recently|newest|currently|current|now|today|this week|"
    r"this month|right now|so far|update|updates|soon|upcoming)\b",
    re.IGNORECASE,
)
_IN_MONTH = re.compile(
    r"\b(?:in|during|since|from|of)\s+("
    + "|".join(sorted(MONTHS, key=len, reverse=True))
    + r")\b(?:\s+(\d{4}))?",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:in|during|of)\s+((?:19|20)\d{2})\b", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(last|past|this)\s+(week|month|year)\b", re.IGNORECASE)

_FOLLOWUP_START = re.compile(
    r"^\s*(and|but|also|so|what about|how about|and what about|why|who said|when was|"
    r"where was|what else|tell me more|more on|any more)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(
    r"\b(he|she|they|him|her|them|his|hers|their|it|its|that|this|those|these|there|the same)\b",
    re.IGNORECASE,
)


_ELLIPTICAL = re.compile(
    r"^\s*(?:and\s+)?(?:(?:what|how)\s+about|and)\s+(?!who\b|what\b|when\b|where\b|why\b|how\b|"
    r"which\b)(.+?)\s*\??\s*$",
    re.IGNORECASE,
)


def without_time(question: str) -> str:
    """The question without the periods it names ("in July 2022", "this week"): whether an
    article is from that time is checked against its date, apart from what it says."""
    q = _RELATIVE.sub(" ", _YEAR.sub(" ", _IN_MONTH.sub(" ", question)))
    q = " ".join(q.split())
    return q.replace(" ?", "?") or question


def elliptical_subject(question: str) -> str | None:
    """What an elliptical follow-up asks about: "what about Venezuela?" -> "Venezuela" (None for
    a question of its own, such as "and who is acting president now?")."""
    m = _ELLIPTICAL.match(question)
    return m.group(1) if m else None


@dataclass(frozen=True)
class TimeHint:
    """A period a question names ("in June", "last week") or a wish for the newest news."""

    start: date | None = None
    end: date | None = None
    recency: bool = False
    reference: date | None = (
        None  # "today" for relative hints: as_of, else the newest candidate's day
    )
    explicit: bool = False  # the reference is the real day of asking (as_of), not a stand-in
    relative: bool = False  # start/end were counted back from the reference ("this week")


def keywords(text: str) -> list[str]:
    """Content words of a question, lower-cased, in order, without repeats."""
    seen: dict[str, None] = {}
    for t in tokens(text):
        t = t.strip("'’.-")
        if t.endswith("'s"):
            t = t[:-2]
        if len(t) < 2 or t in STOPWORDS:
            continue
        seen.setdefault(t, None)
    return list(seen)


def time_hint(question: str, today: date) -> TimeHint:
    """Read a time hint from the question, relative to `today` (the newest article date)."""
    recency = bool(_RECENCY.search(question))
    m = _IN_MONTH.search(question)
    if m:
        month = MONTHS[m.group(1).lower()]
        year = (
            int(m.group(2))
            if m.group(2)
            else (today.year if month <= today.month else today.year - 1)
        )
        start = date(year, month, 1)
        end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
        return TimeHint(start, end, recency, today)
    m = _YEAR.search(question)
    if m:
        y = int(m.group(1))
        return TimeHint(date(y, 1, 1), date(y, 12, 31), recency, today)
    m = _RELATIVE.search(question)
    if m:
        span = {"week": 7, "month": 31, "year": 366}[m.group(2).lower()]
        return TimeHint(today - timedelta(days=span), today, True, today, relative=True)
    return TimeHint(recency=recency, reference=today)


def looks_like_followup(question: str) -> bool:
    """True for questions that lean on the conversation ("who said that?", "what about Venezuela?")."""
    words = keywords(question)
    if _FOLLOWUP_START.search(question):
        return True
    return bool(_PRONOUN.search(question)) and len(words) <= 3


def followup_terms(question: str, history: Sequence[tuple[str, str]]) -> list[str]:
    """Key terms of the previous turns that a follow-up question leans on.

    "What about Venezuela?" after "Which countries does Iran export arms to?" keeps "iran",
    "export" and "arms"; a self-contained question carries nothing over.
    """
    if not history or not looks_like_followup(question):
        return []
    own = set(keywords(question))
    carried: list[str] = []
    for prev_q, _ in reversed(history[-2:]):
        for w in keywords(prev_q):
            if w not in own and w not in carried:
                carried.append(w)
    return carried[:8]
