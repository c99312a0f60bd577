"""Chunks are exact spans of the article text, whatever the text looks like."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunking import chunk_article, chunk_id, chunk_spans
from qa.core.text import sentence_spans
from tests.conftest import SEED_FILE

SENTENCE_PARTS = st.sampled_from(
    [
        "Iran said on Sunday it has no restriction on exports.",
        "“We are ready,” he said.",
        "Mr. Baqeri met U.S. officials in Jan. 2022?",
        "Prices rose 3.5% in June!",
        "Ünïcödé façade naïve café — 東京 と 大阪。",
        "a" * 900,  # one very long "sentence" with no spaces
        ("word " * 300).strip(),  # very long sentence with spaces
        "\r\n",
        "\n\n",
        "  ",
        "Line without end",
        "\t",
        "😀 emoji 👍🏽.",
    ]
)


def _check(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    spans = chunk_spans(text, size, overlap)
    for s, e in spans:
        assert 0 <= s < e <= len(text)
        assert e - s <= size, (s, e, size)
        piece = text[s:e]
        assert piece == piece.strip(), "chunks start and end on non-space characters"
    # every non-space character is inside at least one chunk
    covered = [False] * len(text)
    for s, e in spans:
        for i in range(s, e):
            covered[i] = True
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))
    # chunks move forward
    assert [s for s, _ in spans] == sorted({s for s, _ in spans})
    return spans


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(SENTENCE_PARTS, max_size=40),
    glue=st.sampled_from([" ", "\n", "\r\n", "\n\n", "  "]),
    size=st.integers(min_value=40, max_value=1200),
    overlap=st.integers(min_value=0, max_value=300),
)
def test_spans_are_exact_on_sentence_mixes(
    parts: list[str], glue: str, size: int, overlap: int
) -> None:
    text = glue.join(parts)
    _check(text, size, min(overlap, size - 1))


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=3000),
    size=st.integers(min_value=1, max_value=500),
    overlap=st.integers(0, 200),
)
def test_spans_are_exact_on_random_text(text: str, size: int, overlap: int) -> None:
    _check(text, size, min(overlap, max(size - 1, 0)))


def test_chunk_text_equals_article_slice_on_seed() -> None:
    text = SEED_FILE.read_text(encoding="utf-8")
    chunks = chunk_article("id", text, "abc123", size=400, overlap=100)
    assert len(chunks) > 3
    for c in chunks:
        assert text[c.start : c.end] == c.text
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_overlap_repeats_whole_trailing_sentences() -> None:
    sents = [f"Sentence number {i} is here." for i in range(20)]
    text = " ".join(sents)
    no_overlap = chunk_spans(text, 120, 0)
    with_overlap = chunk_spans(text, 120, 60)
    assert len(with_overlap) > len(no_overlap)
    for (_, e1), (s2, _) in itertools.pairwise(with_overlap):
        assert s2 < e1, "consecutive chunks overlap"
        assert text[s2 - 1] == " " or s2 == 0, "overlap starts at a sentence start"
        assert text[s2:].startswith("Sentence"), "overlap is made of whole sentences"
    for (_, e1), (s2, _) in itertools.pairwise(no_overlap):
        assert s2 >= e1


def test_sentences_do_not_break_after_abbreviations() -> None:
    text = "Gen. Mohammad Baqeri met Mr. Smith of the U.S. Army on Tuesday. He left at 5 p.m. today. Done."
    sents = [text[s:e] for s, e in sentence_spans(text)]
    assert sents[0] == "Gen. Mohammad Baqeri met Mr. Smith of the U.S. Army on Tuesday."
    assert sents[-1] == "Done."


def test_quotes_close_the_sentence() -> None:
    text = "“The future world is a different world,” he asserted. Another one."
    sents = [text[s:e] for s, e in sentence_spans(text)]
    assert sents == ["“The future world is a different world,” he asserted.", "Another one."]


def test_chunk_ids_are_deterministic_and_depend_on_content() -> None:
    assert chunk_id("a", "h1", 0) == chunk_id("a", "h1", 0)
    assert chunk_id("a", "h1", 0) != chunk_id("a", "h2", 0)
    assert chunk_id("a", "h1", 0) != chunk_id("b", "h1", 0)
    assert chunk_id("a", "h1", 0) != chunk_id("a", "h1", 1)


def test_invalid_size_is_rejected() -> None:
    with pytest.raises(ValueError):
        chunk_spans("text", 0)
