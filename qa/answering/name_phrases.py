"""Name phrases: a sentence's tokens and the capitalised name runs found among them.

`_tokens` splits a sentence into `_Tok`s (text, lowercase, character offsets, quotation side);
`_cap` says whether a token is a capitalised name word, and `_run_left` / `_run_right` extend one
to the maximal run of capitalised words, particles and joining words ("Department of the
Interior", "von der Leyen") that `qa.answering.attribution` returns as a speaker's name. `_Phrase`
is the span such a scan yields. Built on `qa.answering.speech_words`, standard library only.
"""

from __future__ import annotations

from typing import NamedTuple

from qa.answering.speech_words import (
    _CLOSERS,
    _OPENERS,
    _ORG,
    _PARTICLES,
    _PERSON_TITLES,
    _SPEAKER_NOUNS,
    _START_STOP,
    _TIME,
    _TOKEN,
)


class _Tok(NamedTuple):
    text: str
    low: str
    start: int
    end: int
    quote: str  # "open", "close" or ""


class _Phrase(NamedTuple):
    kind: str  # "name", "desc" or "pronoun"
    first: int  # index of its first token
    start: int  # character offsets in the sentence
    end: int


def _tokens(sentence: str) -> list[_Tok]:
    out = []
    for m in _TOKEN.finditer(sentence):
        text, a, b = m.group(), m.start(), m.end()
        quote = ""
        if text in _OPENERS:
            quote = "open"
        elif text in _CLOSERS:
            quote = "close"
        elif text in "\"'":
            quote = (
                "open"
                if a == 0 or sentence[a - 1].isspace() or sentence[a - 1] in "([—–"
                else "close"
            )
        out.append(_Tok(text, text.lower(), a, b, quote))
    return out


def _word(t: _Tok) -> bool:
    return t.text[0].isalnum()


def _at_start(toks: list[_Tok], i: int) -> bool:
    return i == 0 or toks[i - 1].quote == "open" or toks[i - 1].text in ":(—–"


def _cap(toks: list[_Tok], i: int) -> bool:
    """Token i is a capitalised name word: not a day or month, and not a sentence-initial word that
    would be lowercase mid-sentence ("But", "Former", "Historian James H. McClintock")."""
    t = toks[i]
    if not t.text[0].isupper() or t.low in _TIME:
        return False
    if not _at_start(toks, i):
        return True
    if t.low in _START_STOP:
        return False
    if t.low in _SPEAKER_NOUNS and t.low not in _PERSON_TITLES and t.text[1:].islower():
        nxt = toks[i + 1].low.rstrip(".") if i + 1 < len(toks) else ""
        return nxt in _ORG or nxt in _PERSON_TITLES  # "Police Chief Lee White", "City Manager ..."
    return True


def _particle(toks: list[_Tok], i: int) -> bool:
    return toks[i].low in _PARTICLES or toks[i].low.startswith(("al-", "el-", "ad-"))


def _connects(toks: list[_Tok], k: int, left: int) -> bool:
    """Token k joins two capitalised words (left is the one before it) into one name."""
    low = toks[k].low
    if _particle(toks, k) or low in ("and", "&"):
        return True
    return low in ("of", "for", "on", "the") and toks[left].low.rstrip(".") in _ORG


def _run_left(toks: list[_Tok], j: int) -> int:
    """Index of the first word of the capitalised name run that ends at token j."""
    i = j
    while i > 0:
        k = i - 1
        if toks[k].low == "the":
            if (
                k > 1
                and toks[k - 1].low in ("of", "for")
                and _cap(toks, k - 2)
                and _connects(toks, k - 1, k - 2)
            ):
                i = k - 2  # "Department of the Interior"
                continue
            break
        if _cap(toks, k):
            i = k
        elif _particle(toks, k) and k > 1 and _particle(toks, k - 1) and _cap(toks, k - 2):
            i = k - 2  # "von der Leyen"
        elif k > 0 and _cap(toks, k - 1) and _connects(toks, k, k - 1):
            i = k - 1
        else:
            break
    while i < j and (toks[i].low == "the" or not _cap(toks, i)):
        i += 1
    while i > 0 and i > j - 3 and _particle(toks, i - 1) and toks[i - 1].text.islower():
        i -= 1  # "von der Leyen said", "de Blasio said"
    return i


def _run_right(toks: list[_Tok], i: int) -> int:
    """Index of the last word of the capitalised name run that starts at token i."""
    j, n = i, len(toks)
    while j + 1 < n:
        k = j + 1
        if _cap(toks, k) and toks[k].low != "the":
            j = k
        elif k + 2 < n and _particle(toks, k) and _particle(toks, k + 1) and _cap(toks, k + 2):
            j = k + 2
        elif k + 1 < n and _connects(toks, k, j) and _cap(toks, k + 1):
            j = k + 1
        elif k + 2 < n and _connects(toks, k, j) and toks[k + 1].low == "the" and _cap(toks, k + 2):
            j = k + 2
        else:
            break
    return j


def _name(toks: list[_Tok], i: int, j: int) -> _Phrase:
    end = toks[j].end
    if toks[j].text.endswith(("'s", "’s")) and i == j:
        end -= 2
    return _Phrase("name", i, toks[i].start, end)


def _speaker_noun_head(toks: list[_Tok], j: int) -> bool:
    t = toks[j]
    return t.low in _SPEAKER_NOUNS and (
        t.text.islower() or (_at_start(toks, j) and t.text[1:].islower())
    )
