"""Near-duplicate detection: MinHash over word shingles (datasketch), LSH buckets kept in SQLite;
and what a near-duplicate changes (`changed_values`): a copy that changes a figure or a name is
not the same story for a reader and is kept as its own article."""

from __future__ import annotations

import difflib
import hashlib
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from qa.answering.agreement import compare
from qa.core.text import normalize

NUM_PERM = 128
BANDS = 16  # 16 bands x 8 rows: pairs at Jaccard 0.9 share a bucket with probability > 0.9999
ROWS = NUM_PERM // BANDS
SHINGLE = 3
_SEED = 1


@dataclass(frozen=True)
class Signature:
    """A MinHash signature and the LSH buckets derived from it."""

    hashvalues: np.ndarray

    @property
    def buckets(self) -> list[int]:
        out = []
        for b in range(BANDS):
            band = self.hashvalues[b * ROWS : (b + 1) * ROWS].astype(np.uint64).tobytes()
            out.append(struct.unpack("<q", hashlib.blake2b(band, digest_size=8).digest())[0])
        return out

    def to_bytes(self) -> bytes:
        return self.hashvalues.astype(np.uint64).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        return cls(np.frombuffer(data, dtype=np.uint64))

    def similarity(self, other: Signature) -> float:
        """Estimated Jaccard similarity of the two shingle sets."""
        return float(np.mean(self.hashvalues == other.hashvalues))


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    """Word `size`-grams of the normalised text (the whole text when it is shorter)."""
    words = normalize(text).split()
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def signature(text: str) -> Signature:
    """The MinHash signature of an article body."""
    m = MinHash(num_perm=NUM_PERM, seed=_SEED)
    m.update_batch(list(shingles(text)))
    return Signature(m.hashvalues.copy())


# a replaced stretch longer than this is a rewritten passage, not a changed value
_MAX_CHANGE_WORDS = 6
# a changed name counts only inside text both copies share (not in a byline or a credit line)
_CONTEXT_WORDS = 3


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NUMBER_WORDS = _wordset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million billion trillion dozen half percent"
)
_TIME_OF_DAY = re.compile(r"^\d{1,2}:\d{2}")  # an "Updated 10:32 AM" stamp is not a claim
_WORD = re.compile(r"[^\W_][\w'’.-]*")


def _word(w: str) -> str:
    m = _WORD.search(w)
    return m.group().strip(".") if m else ""


def _figure(w: str) -> bool:
    return (any(c.isdigit() for c in w) and not _TIME_OF_DAY.match(w.lstrip("(["))) or (
        _word(w).lower() in _NUMBER_WORDS
    )


def changed_values(old: str, new: str, *, ignore: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The figures and names that `new`, a near-copy of `old`, states differently.

    Compares the two texts word by word and returns each short replaced stretch (at most
    `_MAX_CHANGE_WORDS` words on either side) that carries a figure (a digit or a number word,
    not a time of day) or a name (a capitalised word that does not start a sentence, inside
    stretches of text both share), as (old words, new words), unless both say the same value
    (`qa.answering.agreement.compare`: "five" and "5"). Added or removed passages are not
    changes of value; nor are words in `ignore` (the outlets' own names, as in a credit line).

    Args:
        old: the stored article's text.
        new: the near-duplicate's text.
        ignore: names to leave out of the comparison (lowercase match).

    Returns:
        [(old words, new words), ...]: empty when the copy states the same figures and names.
    """
    skip = {_word(w).lower() for name in ignore for w in name.split()} - {""}
    a, b = old.split(), new.split()
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    out = []
    for i, (op, i1, i2, j1, j2) in enumerate(ops):
        if op != "replace" or max(i2 - i1, j2 - j1) > _MAX_CHANGE_WORDS:
            continue
        was, now = a[i1:i2], b[j1:j2]
        words = [w for w in was + now if _word(w).lower() not in skip]
        inside = (
            0 < i < len(ops) - 1
            and ops[i - 1][0] == ops[i + 1][0] == "equal"
            and min(ops[i - 1][2] - ops[i - 1][1], ops[i + 1][2] - ops[i + 1][1]) >= _CONTEXT_WORDS
        )
        sentence_start = i1 == 0 or a[i1 - 1].endswith((".", "!", "?", ":", '"', "”"))
        named = inside and any(
            _word(w)[:1].isupper() for w in (words[1:] if sentence_start else words)
        )
        if (any(_figure(w) for w in words) or named) and not compare(" ".join(was), " ".join(now)):
            out.append((" ".join(was), " ".join(now)))  # ("five" and "5" say the same)
    return out
