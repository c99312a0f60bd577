"""Evaluation metrics: answer normalisation and containment, article-level ranking, latency summaries.

Every function is pure and small, so the figures in a report can be checked by hand.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections.abc import Collection, Iterable, Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalisation: lower case, no punctuation, no articles (a/an/the), single spaces.

    Extended for news text: NFKC first, and every Unicode punctuation character (curly quotes,
    dashes) is removed, not only ASCII `string.punctuation`.
    """
    t = unicodedata.normalize("NFKC", text).lower()
    t = "".join(
        " " if unicodedata.category(c).startswith("P") or c in string.punctuation else c for c in t
    )
    t = _ARTICLES.sub(" ", t)
    return " ".join(t.split())


def contains(answer: str, gold: str) -> bool:
    """True when the normalised `gold` occurs in the normalised `answer` as whole words.

    Word-aligned, so "us" is not found in "bus". A gold text that normalises to nothing (e.g. "The")
    is compared lower-cased instead.
    """
    g = normalize_answer(gold)
    if not g:
        g = " ".join(gold.lower().split())
        return bool(g) and g in answer.lower()
    return f" {g} " in f" {normalize_answer(answer)} "


def contains_any(answer: str, golds: Iterable[str]) -> bool:
    """Containment of at least one of the gold alternatives."""
    return any(contains(answer, g) for g in golds)


def contains_all_groups(answer: str, groups: Sequence[Sequence[str]]) -> bool:
    """RGB's rule: every group must be contained, any alias of a group is enough."""
    return bool(groups) and all(contains_any(answer, g) for g in groups)


def distinct_in_order(ids: Iterable[str | None]) -> list[str]:
    """Ids in the order they first appear, without repeats or empties (passages -> articles)."""
    return list(dict.fromkeys(i for i in ids if i))


def gold_rank(ranked: Sequence[str], gold: Collection[str]) -> int | None:
    """1-based rank of the first gold id in `ranked`, or None when no gold id appears."""
    for i, key in enumerate(ranked, 1):
        if key in gold:
            return i
    return None


def hit_at(rank: int | None, k: int) -> float:
    """1.0 when the gold rank is within the first `k`, else 0.0 (a missing gold is a miss)."""
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None, k: int = 10) -> float:
    """1/rank when the gold rank is within the first `k` (MRR@k for one question), else 0."""
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def mean(values: Iterable[float]) -> float | None:
    """The arithmetic mean, or None for no values."""
    vals = list(values)
    return sum(vals) / len(vals) if vals else None


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between order statistics (numpy's
    default method); None for no values."""
    vals = sorted(values)
    if not vals:
        return None
    pos = (len(vals) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


def answer_words(text: str) -> int:
    """Words of an answer (tokens holding a letter or digit), not counting markers like `[1]`."""
    return sum(1 for w in _MARKER.sub(" ", text).split() if any(c.isalnum() for c in w))


def citation_precision(cited: Sequence[str], gold: Collection[str]) -> tuple[int, int]:
    """(citations inside a gold article, all citations) for one answer; sum over answers to get
    the micro-averaged precision."""
    return sum(1 for key in cited if key in gold), len(cited)


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator/denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None
