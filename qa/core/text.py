"""Sentence segmentation with exact character offsets, and text normalisation helpers.

Shared by chunking (ingest) and the answerers (qa): a sentence is always a `(start, end)` span of the
original string, never a copy that could drift from it.
"""

from __future__ import annotations

import re
import unicodedata

# Words that end with a period without ending a sentence (lower-cased, without the period).
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "cmdr",
        "adm",
        "sgt",
        "cpl",
        "pvt",
        "sen",
        "rep",
        "gov",
        "pres",
        "supt",
        "det",
        "insp",
        "st",
        "jr",
        "sr",
        "mt",
        "ft",
        "rev",
        "hon",
        "fr",
        "messrs",
        "mme",
        "mlle",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
        "no",
        "nos",
        "vol",
        "vols",
        "p",
        "pp",
        "fig",
        "figs",
        "inc",
        "corp",
        "co",
        "ltd",
        "llc",
        "plc",
        "bros",
        "dept",
        "est",
        "approx",
        "ca",
        "cf",
        "vs",
        "etc",
        "al",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
        "u.s",
        "u.k",
        "u.n",
        "u.s.a",
        "e.u",
        "d.c",
        "n.y",
        "l.a",
    ]
)

_SENT_END = re.compile(
    r"""
    (?:
        [.!?\u2026]+                # terminal punctuation (and ellipsis)
        [\"'\u201d\u2019\u00bb)\]]* # closing quotes or brackets
        (?=\s|$)                    # followed by whitespace or the end
    )
    |
    (?:\n[ \t\r]*\n)                # a blank line: paragraph break
    """,
    re.VERBOSE,
)

_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


def _is_abbreviation(text: str, dot_index: int) -> bool:
    """True when the period at `dot_index` belongs to an abbreviation or an initial."""
    m = _WORD_BEFORE.search(text, max(0, dot_index - 12), dot_index + 1)
    if not m:
        return False
    word = m.group(1).lower()
    if word in _ABBREVIATIONS:
        return True
    # single-letter initials ("J. K. Rowling", "U.S.")
    return len(word.replace(".", "")) == 1 and m.group(1)[0].isupper()


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split `text[start:end]` into sentences and return their `(start, end)` offsets into `text`.

    Spans are stripped of surrounding whitespace, never empty, in order and non-overlapping. Line
    breaks end a sentence when the line ends with punctuation or the next line is blank; a single
    wrapped line break inside a sentence does not.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for m in _SENT_END.finditer(text, start, end):
        if m.group(0).startswith("\n"):
            cut = m.start()
        else:
            first_dot = m.start()
            if (
                text[first_dot] == "."
                and m.end() - m.start() == 1
                and _is_abbreviation(text, first_dot)
            ):
                continue
            # a lower-case continuation after the period means no sentence break ("approx. five")
            nxt = _next_non_space(text, m.end(), end)
            if nxt is not None and text[nxt].islower() and text[first_dot] == ".":
                continue
            cut = m.end()
        _add_span(text, cursor, cut, spans)
        cursor = cut
    _add_span(text, cursor, end, spans)
    return _split_lines(text, spans)


def _next_non_space(text: str, i: int, end: int) -> int | None:
    while i < end and text[i].isspace():
        i += 1
    return i if i < end else None


def _add_span(text: str, s: int, e: int, out: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        out.append((s, e))


def _split_lines(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Break spans at line breaks that end a line without wrapping (headlines, list items)."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        cur = s
        i = text.find("\n", s, e)
        while i != -1:
            before = text[cur:i].rstrip()
            # a short line (headline, byline) or one ending in punctuation is its own sentence
            if before and (
                before[-1] in '.!?:\u201d"' or (len(before) < 60 and "\n" not in before)
            ):
                _add_span(text, cur, i, out)
                cur = i + 1
            i = text.find("\n", i + 1, e)
        _add_span(text, cur, e, out)
    return out


_TOKEN = re.compile(r"[\w][\w'’.-]*[\w]|[\w]", re.UNICODE)


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse whitespace (for matching, not storage)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^\w\s']", " ", text)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    """Word tokens, lower-cased, for keyword overlap and shingling."""
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]
