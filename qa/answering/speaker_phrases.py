"""Speaker phrases: the grammar that reads the speaker phrase next to a speech verb.

`_left_of_verb` finds the subject of a speech verb and whether it is a weak reading (a passive,
"... and said"), rejecting negated, subordinate and question uses; `_subject` parses leftwards from
the token before a verb ("Mayor Tom Hadley said", "officials in the city said", "X, the city's
spokesperson, said", with `_appositive` and `_pp_head` for commas and prepositions); `_forward`
parses rightwards after an inverted verb, "according to" or "by" ("said the city's spokesperson,
Jane Doe"); `_sentence_subject` and `_loose_description` cover "X ..., saying" and ", the diocese
said". Each returns a `_Phrase` (a name, a nameless description or a pronoun) or None. Built on
`qa.answering.name_phrases` and `qa.answering.speech_words`; used by `qa.answering.attribution`.
"""

from __future__ import annotations

from qa.answering.name_phrases import (
    _cap,
    _name,
    _Phrase,
    _run_left,
    _run_right,
    _speaker_noun_head,
    _Tok,
    _word,
)
from qa.answering.speech_words import (
    _BE,
    _BY_VERBS,
    _CLAUSE_ADVERBS,
    _CONJ,
    _DETS,
    _NEG,
    _OTHER_PRONOUNS,
    _PREPS,
    _QUESTION,
    _SKIP,
    _SPEAKER_NOUNS,
    _SUBORD,
    _TIME,
    _VERBS,
)


def _subject(toks: list[_Tok], j: int, depth: int = 0) -> _Phrase | None:
    """The speaker phrase that ends at token j (parsing leftwards), or None."""
    if j < 0 or depth > 3:
        return None
    t = toks[j]
    if t.text == ")":
        k = j - 1
        while k > 0 and toks[k].text != "(":
            k -= 1
        return _subject(toks, k - 1, depth + 1) if k > 0 else None
    if t.text == ",":
        return _appositive(toks, j, depth)
    if t.low in ("he", "she"):
        prev = toks[j - 1] if j > 0 else None
        if prev is None or not _word(prev) or prev.low in ("and", "but", "then", "so", "as"):
            return _Phrase("pronoun", j, t.start, t.end)
        return None  # "I don't think he said": not the sentence's attribution
    if t.low in _OTHER_PRONOUNS or not _word(t):
        return None
    if _speaker_noun_head(toks, j):
        i = j
        while i > 0 and j - i < 6:
            w = toks[i - 1]
            if (
                not _word(w)
                or w.low in _SUBORD
                or w.low in _PREPS
                or w.low in _BE
                or w.low in _CONJ
            ):
                break
            if w.low in _CLAUSE_ADVERBS or w.low == "that":
                break
            i -= 1
            if w.low in _DETS:
                break
        head = _pp_head(toks, i, depth)
        if head is not None and head.kind == "desc":
            return _Phrase("desc", head.first, head.start, t.end)
        return _Phrase("desc", i, toks[i].start, t.end) if head is not None else None
    if _cap(toks, j):
        i = _run_left(toks, j)
        head = _pp_head(toks, i, depth)
        if head is _NO_PP:
            return _name(toks, i, j)
        if head is None:
            return None  # "a transcription of Giuliani's message to Sellers says"
        return head if head.kind == "name" else _Phrase("desc", head.first, head.start, t.end)
    if t.text.islower():  # "supporters of alternative schools": the head is before the preposition
        for k in range(j - 1, max(j - 4, 0), -1):
            if toks[k].low in _PREPS:
                head = _subject(toks, k - 1, depth + 1)
                if head is not None and head.kind == "desc":
                    return _Phrase("desc", head.first, head.start, t.end)
                break
            if not _word(toks[k]):
                break
    return None


def _appositive(toks: list[_Tok], j: int, depth: int) -> _Phrase | None:
    """Subject before "..., said" (token j is the comma): the clause's first comma-separated segment
    that is a whole speaker phrase ("Tammie Palmer of Colorado Springs, Colo., whose husband ...,
    said"); a name in apposition wins over a role ("His father, Robert Pelke, warned")."""
    k = j - 1
    while k >= 0 and j - k < 60 and not (toks[k].quote == "close" or toks[k].text in ";:—–"):
        k -= 1
    segments: list[tuple[int, int]] = []
    start = k + 1
    for m in range(k + 1, j + 1):
        if toks[m].text == ",":
            if m > start:
                segments.append((start, m - 1))
            start = m + 1
    for n, (a, b) in enumerate(segments[:-1] if len(segments) > 1 else []):
        while a < b and (
            toks[a].low in _CLAUSE_ADVERBS or toks[a].low in _TIME or toks[a].low == "on"
        ):
            a += 1  # "Earlier Thursday Southwest Airlines, which ..., announced"
        found = _subject(toks, b, depth + 1)
        if found is None or found.first != a or found.kind == "pronoun":
            continue
        if found.kind == "desc":
            c, d = segments[n + 1]
            inner = _subject(toks, d, depth + 1)
            if inner is not None and inner.kind == "name" and inner.first == c:
                return inner
        return found
    return None


_NO_PP = _Phrase("none", -1, -1, -1)


def _pp_head(toks: list[_Tok], i: int, depth: int) -> _Phrase | None:
    """When the phrase at token i is a preposition's object ("Lowe of Columbus"), the head before it;
    `_NO_PP` when the phrase is not a preposition's object; None when the head cannot speak."""
    k = i - 1
    while k > 0 and i - k <= 2 and toks[k].text.islower() and toks[k].low not in _PREPS:
        k -= 1  # "in metro Atlanta", "of the"
    if toks[k].low == "to" and k < i - 1 and toks[k + 1].low not in _DETS:
        return _NO_PP  # "to fire Sheriff David Taylor": an infinitive, not "adviser to the White House"
    if k <= 0 or toks[k].low not in _PREPS or not _word(toks[k - 1]):
        return _NO_PP  # no preposition, or an introductory one ("At the meeting Smith said")
    head = _subject(toks, k - 1, depth + 1)
    if head is None and k > 1 and toks[k - 1].low.endswith(("ing", "ed")):
        head = _subject(toks, k - 2, depth + 1)  # "analysts working with the Broad Foundation"
        if head is not None and head.kind != "desc":
            head = None
    return head if head is not None and head.kind != "pronoun" else None


def _forward(toks: list[_Tok], i: int, subject: bool = False) -> _Phrase | None:
    """The speaker phrase that starts at token i (after an inverted verb, "according to", "by")."""
    n = len(toks)
    j = i
    while j < n and toks[j].low in _DETS:
        j += 1
    name: tuple[int, int] | None = None
    head = -1
    k = j
    while k < n and _word(toks[k]) and k - i < 12:
        low = toks[k].low
        if _cap(toks, k):
            e = _run_right(toks, k)
            name, k = (k, e), e + 1
            if subject and not (k < n and toks[k].low in _SPEAKER_NOUNS and toks[k].text.islower()):
                break  # the sentence's subject ends before its verb ("Musk lawyer Andrew Rossman")
            continue
        if low in _SPEAKER_NOUNS:
            pass
        elif low in _SUBORD or low in _PREPS or low in _VERBS or low in ("and", "that", "by", "on"):
            break
        if k > j and low.endswith(("ed", "ing")) and low not in _SPEAKER_NOUNS:
            break
        name = None
        if low in _SPEAKER_NOUNS:
            head = k
        k += 1
    if name is not None and name[1] == k - 1:
        return _name(toks, name[0], name[1])
    if head < 0 or head != k - 1:
        return None
    if (
        k + 1 < n and toks[k].text == "," and _cap(toks, k + 1)
    ):  # "said the spokesperson, Jane Doe."
        e = _run_right(toks, k + 1)
        if e + 1 >= n or not _word(toks[e + 1]):
            return _name(toks, k + 1, e)
    end = toks[head].end
    if k + 1 < n and toks[k].low in ("for", "of", "at", "from", "in"):
        pp = _forward(toks, k + 1)
        if pp is not None:
            end = pp.end
    return _Phrase("desc", i, toks[i].start, end)


def _left_of_verb(toks: list[_Tok], v: int, sentence: str) -> tuple[_Phrase, bool] | None:
    """The subject of the speech verb at token v, and whether it is a weak reading (a passive "was
    announced by X", or the sentence's subject before "... and said")."""
    j = v - 1
    passive = False
    while j >= 0 and v - j <= 6:
        low = toks[j].low
        if low in _NEG or low.endswith(("n't", "n’t")):
            return None
        if low in _BE:
            # "X was quoted as saying" is active in meaning
            passive = passive or not (toks[v].low == "quoted" and _follows(toks, v, "as", "saying"))
        elif low not in _SKIP and low not in _TIME:
            break
        j -= 1
    if passive:
        if v + 2 < len(toks) and toks[v + 1].low == "by" and toks[v].low in _BY_VERBS:
            found = _forward(toks, v + 2)
            return (found, True) if found is not None else None
        return None
    k = v + 1
    while k < len(toks) and (toks[k].low in _TIME or toks[k].low in ("last", "this", "week")):
        k += 1
    if k < len(toks) and (
        toks[k].low == "by"
        or (toks[k].low == "to" and k + 1 < len(toks) and toks[k + 1].low in ("be", "have"))
    ):
        return None  # a participle: "The task force announced Monday by ...", "a person confirmed to be"
    if j >= 0 and toks[j].low in ("and", "but"):
        first = _sentence_subject(toks)  # "The vice president condemned the violence and said"
        return (first, True) if first is not None and first.kind != "pronoun" else None
    found = _subject(toks, j)
    if found is None and j >= 0 and _tail(toks, v) and toks[j].text.islower() and _word(toks[j]):
        found = _loose_description(toks, j)  # ", the diocese said."
    if found is None and j > 1 and toks[j].low == "who" and toks[j - 1].text == ",":
        found = _subject(toks, j - 2)  # "Donald Trump Jr., who wrote that ..."
        return (found, False) if found is not None and found.kind == "name" else None
    if found is None:
        return None
    if sentence[found.start : found.end].endswith(("'s", "’s")):
        return None  # "North Korea's claims": a noun, not a verb
    p = found.first - 1
    while p >= 0 and toks[p].low in ("the", "a", "an"):
        p -= 1
    prev = toks[p].low if p >= 0 else ""
    if prev in _QUESTION or prev == "that" or (prev in _SUBORD and prev != "as"):
        return None
    if prev == "as" and p > 0 and toks[p - 1].text != ",":
        return None  # "As X said, ..." attributes; "rose as X said" does not
    return found, False


def _follows(toks: list[_Tok], v: int, *words: str) -> bool:
    return [t.low for t in toks[v + 1 : v + 1 + len(words)]] == list(words)


def _tail(toks: list[_Tok], v: int) -> bool:
    """The verb at v closes the sentence ("..., the diocese said in a statement.")."""
    rest = [t for t in toks[v + 1 :] if _word(t)]
    return len(rest) <= 4 and not any(t.quote == "open" for t in toks[v + 1 :])


def _loose_description(toks: list[_Tok], j: int) -> _Phrase | None:
    """A nameless speaker whose head is not in `_SPEAKER_NOUNS`, accepted only in a closing ", X said"."""
    if toks[j].low in _SKIP or toks[j].low.endswith("ly"):
        return None
    i = j
    while i > 0 and j - i < 4 and _word(toks[i - 1]) and toks[i - 1].text.islower():
        if toks[i - 1].low in _SUBORD or toks[i - 1].low in _PREPS or toks[i - 1].low in _CONJ:
            break
        i -= 1
        if toks[i].low in _DETS:
            break
    if toks[i].low not in _DETS or i == 0 or toks[i - 1].text not in ',”"':
        return None
    return _Phrase("desc", i, toks[i].start, toks[j].end)


def _sentence_subject(toks: list[_Tok]) -> _Phrase | None:
    """The subject at the start of the sentence, for "X addressed ..., saying ..."."""
    i = 0
    if toks and (toks[0].low in _PREPS or toks[0].low in _SUBORD or toks[0].low in _CLAUSE_ADVERBS):
        while i < len(toks) and toks[i].text != ",":
            i += 1
        i += 1
    if i >= len(toks) or toks[i].low in _OTHER_PRONOUNS:
        return None
    found = _forward(toks, i, subject=True)
    if found is None:
        return None
    e = next((k for k in range(found.first, len(toks)) if toks[k].start >= found.end), len(toks))
    return found if e < len(toks) and toks[e].text.islower() and _word(toks[e]) else None


def _ends_phrase(toks: list[_Tok], phrase: _Phrase) -> bool:
    """An inverted subject ("..., said Smith") is followed by punctuation or a modifier, not a verb."""
    e = next((k for k in range(phrase.first, len(toks)) if toks[k].start >= phrase.end), len(toks))
    if e >= len(toks) or not _word(toks[e]):
        return True
    low = toks[e].low
    return (
        low in _PREPS
        or low in _SUBORD
        or low in _TIME
        or low in _CONJ
        or low in ("on", "during", "to")
    )
