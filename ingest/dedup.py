"""Near-duplicate detection: MinHash over word shingles (datasketch), LSH buckets kept in SQLite."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

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
