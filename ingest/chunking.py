"""Sentence-aware chunking with exact offsets: `text[chunk.start:chunk.end] == chunk.text`."""

from __future__ import annotations

import hashlib

from qa.core.schema import Chunk
from qa.core.text import sentence_spans


def chunk_spans(text: str, size: int, overlap: int = 0) -> list[tuple[int, int]]:
    """Pack whole sentences into spans of at most `size` characters.

    A sentence longer than `size` is cut at whitespace (or hard, when a run has none). With
    `overlap > 0`, each chunk after the first starts with the trailing whole sentences of the
    previous chunk whose total length is at most `overlap` characters.

    Args:
        text: the article text every offset refers to.
        size: the largest chunk, in characters.
        overlap: characters of whole sentences repeated from the previous chunk.
    """
    if size < 1:
        raise ValueError("size must be positive")
    pieces: list[tuple[int, int]] = []
    for s, e in sentence_spans(text):
        if e - s <= size:
            pieces.append((s, e))
        else:
            pieces.extend(_split_long(text, s, e, size))

    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(pieces):
        start = pieces[i][0]
        j = i
        while j + 1 < len(pieces) and pieces[j + 1][1] - start <= size:
            j += 1
        spans.append((start, pieces[j][1]))
        if j + 1 >= len(pieces):
            break
        nxt = j + 1
        if overlap > 0:
            # step back over whole sentences that fit into the overlap, keeping progress
            k = j
            while k > i and pieces[j][1] - pieces[k][0] <= overlap:
                k -= 1
            back = k + 1
            # the next chunk must still reach a new sentence, or the overlap is dropped
            while back <= j and pieces[j + 1][1] - pieces[back][0] > size:
                back += 1
            if i < back <= j:
                nxt = back
        i = nxt
    return spans


def _split_long(text: str, s: int, e: int, size: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence into pieces of at most `size` characters at whitespace."""
    out: list[tuple[int, int]] = []
    while e - s > size:
        cut = s + size
        ws = text.rfind(" ", s + size // 2, cut + 1)
        if ws > s:
            cut = ws
        piece_end = cut
        while piece_end > s and text[piece_end - 1].isspace():
            piece_end -= 1
        out.append((s, piece_end))
        s = cut
        while s < e and text[s].isspace():
            s += 1
    if e > s:
        out.append((s, e))
    return out


def chunk_id(article_id: str, content_hash: str, index: int) -> str:
    """Deterministic chunk id: the same article text always yields the same ids."""
    key = hashlib.sha1(article_id.encode("utf-8")).hexdigest()[:16]
    return f"{key}-{content_hash[:12]}-{index:05d}"


def chunk_article(
    article_id: str, text: str, content_hash: str, size: int, overlap: int = 0
) -> list[Chunk]:
    """Chunk one article's text into `Chunk`s with deterministic ids and exact offsets."""
    return [
        Chunk(
            chunk_id=chunk_id(article_id, content_hash, i),
            article_id=article_id,
            index=i,
            start=s,
            end=e,
            text=text[s:e],
        )
        for i, (s, e) in enumerate(chunk_spans(text, size, overlap))
    ]
