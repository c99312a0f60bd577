"""The words the keyword index holds: tokens, stems, and each chunk's BM25 term weights.

Text is cut into Unicode word tokens, lower-cased, stripped of accents, with English function
words and one-character tokens left out, then Porter-stemmed (as SQLite FTS5's `porter unicode61
remove_diacritics 2` tokenizer did, so "exported" finds "exporting"). A question's words go
through the same steps, so the two always meet.

Each chunk's weight for a term is the term-frequency half of BM25, fixed at write time:
`f (k1 + 1) / (f + k1 (1 - b + b D / AVGDL))`, with `f` the term's count in the chunk text plus
half its count in the title (FTS5's column weights 1.0 and 0.5 of before) and `D` the chunk's
token count. AVGDL is a constant (the mean over the RealTime QA development chunks of 700
characters), not the live mean, so a weight never changes after it is written and the postings
stay sorted by it. The question side multiplies by the inverse document frequency at search time.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter

K1 = 1.2
B = 0.75
AVGDL = 70.0  # mean tokens per chunk (text + title, function words left out) of 700-char chunks
TITLE_WEIGHT = 0.5
SCALE = 10_000  # weights are stored as integers: weight * SCALE (two bytes in SQLite)
MAX_WEIGHT = int((K1 + 1) * SCALE) + 1  # above any stored weight

_WORD = re.compile(r"\w+")

# English function words: they carry no topic and would fill the postings
_FUNCTION_WORDS = """a about above after again against all am an and any are aren as at be because been
    before being below between both but by can cannot could couldn did didn do does doesn doing
    don down during each few for from further had hadn has hasn have haven having he her here
    hers herself him himself his how if in into is isn it its itself let ll me more most mustn
    my myself no nor not of off on once only or other ought our ours ourselves out over own re
    same shan she should shouldn so some such than that the their theirs them themselves then
    there these they this those through to too under until up ve very was wasn we were weren
    what when where which while who whom why will with won would wouldn you your yours yourself
    yourselves"""
STOP = frozenset(_FUNCTION_WORDS.split())

_local = threading.local()  # PyStemmer objects are not thread-safe: one per thread
_CACHE_MAX = 500_000  # tokens remembered per thread (token -> term, "" for a left-out token)


def _plain(token: str) -> str:
    """`token` without accents ("café" -> "cafe")."""
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _learn(cache: dict[str, str], tokens: list[str]) -> None:
    """Add the terms of `tokens` (lower-cased words) to this thread's cache."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("porter")
    if len(cache) > _CACHE_MAX:
        cache.clear()
    keep = []
    for tok in dict.fromkeys(tokens):
        word = tok if tok.isascii() else _plain(tok)
        if len(word) > 1 and word not in STOP and "_" not in word:
            keep.append((tok, word))
        else:
            cache[tok] = ""
    for (tok, _), stem in zip(keep, stemmer.stemWords([w for _, w in keep]), strict=True):
        cache[tok] = stem


def analyze(text: str) -> list[str]:
    """The index terms of `text`, in order, with repeats (stems of its content words)."""
    cache: dict[str, str] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    tokens = _WORD.findall(text.lower())
    try:
        return [t for t in map(cache.__getitem__, tokens) if t]
    except KeyError:
        _learn(cache, [t for t in tokens if t not in cache])
        return [t for t in map(cache.__getitem__, tokens) if t]


def query_terms(text: str) -> list[str]:
    """The distinct index terms of a question's words, in order."""
    return list(dict.fromkeys(analyze(text)))


def weights(text: str, title: str) -> dict[str, int]:
    """A chunk's stored BM25 term weights (times SCALE), one per distinct term."""
    body, head = analyze(text), analyze(title)
    freq: dict[str, float] = dict(Counter(body))
    for t in head:
        freq[t] = freq.get(t, 0.0) + TITLE_WEIGHT
    norm = K1 * (1.0 - B + B * (len(body) + len(head)) / AVGDL)
    return {t: max(1, round(SCALE * f * (K1 + 1.0) / (f + norm))) for t, f in freq.items()}


def idf(df: int, n: int) -> float:
    """BM25's inverse document frequency of a term in `df` of `n` chunks, as FTS5 computes it:
    a term in half the chunks or more still counts, a millionth."""
    return max(1e-6, math.log((n - df + 0.5) / (df + 0.5)))
