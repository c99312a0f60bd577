"""`[n]` markers in generated text: split a draft into claims with the passages they cite, and
compose the final text with markers renumbered 1..N, one `Citation` (an exact quote) per marker."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from qa.answering.attribution import speaker
from qa.core.schema import Citation, Passage
from qa.core.text import normalize, sentence_spans

# [1], [1, 2], [1; 3], [Passage 2], [source 1]
_NUMS = r"\d{1,3}(?:\s*[,;]\s*(?:(?:passage|source)\s*)?\d{1,3})*"
MARKER = re.compile(r"\[\s*(?:(?:passage|source|doc(?:ument)?)\s*)?(" + _NUMS + r")\s*\]", re.I)
_LEADING_MARKERS = re.compile(r"^(?:\s*" + MARKER.pattern + r")+", re.I)
_SPECIAL_TOKENS = re.compile(r"<\|[^|>]{1,40}\|>|</?s>")
_LIST_PREFIX = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_ANSWER_PREFIX = re.compile(r"^\s*(?:answer|response)\s*:\s*", re.I)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
_REFUSAL_CUES = re.compile(
    r"\b(?:(?:don't|do not|doesn't|does not|didn't|did not)\s+(?:cover|say|mention|contain|"
    r"provide|answer|include)|no information|not (?:mentioned|stated|provided|specified|covered)|"
    r"(?:cannot|can't|unable to)\s+(?:answer|find|determine))\b",
    re.I,
)


@dataclass(frozen=True)
class Claim:
    """One sentence of a draft: its text without markers, and the passage numbers it cites."""

    text: str
    cites: tuple[int, ...]


def marker_numbers(text: str) -> list[int]:
    """The numbers of all `[n]` markers in `text`, in order (repeats kept)."""
    return [int(n) for m in MARKER.finditer(text) for n in re.findall(r"\d+", m.group(1))]


def strip_markers(text: str) -> str:
    """`text` without `[n]` markers, with the spaces they leave tidied."""
    out = MARKER.sub("", text)
    out = _SPACE_BEFORE_PUNCT.sub(r"\1", out)
    return " ".join(out.split())


def clean_draft(draft: str) -> str:
    """A model's reply without chat-template tokens, an "Answer:" prefix or Markdown emphasis."""
    text = _SPECIAL_TOKENS.sub("", draft)
    text = text.replace("**", "").replace("__", "")
    return _ANSWER_PREFIX.sub("", text).strip()


def split_claims(draft: str) -> list[Claim]:
    """Split a generated answer into sentences, each with the passage numbers it cites.

    Markers standing right after a sentence's end ("... Venezuela. [1] Next ...") belong to the
    sentence before them. Sentences with no words (a stray "1." of a list) are skipped.
    """
    text = clean_draft(draft)
    claims: list[tuple[str, list[int]]] = []
    for a, b in sentence_spans(text):
        piece = _LIST_PREFIX.sub("", text[a:b])
        lead = _LEADING_MARKERS.match(piece)
        if lead and claims:
            claims[-1][1].extend(marker_numbers(lead.group(0)))
            piece = piece[lead.end() :]
        cites = marker_numbers(piece)
        body = strip_markers(piece)
        if not any(c.isalpha() for c in body):
            if claims:
                claims[-1][1].extend(cites)
            continue
        claims.append((body, cites))
    return [Claim(body, tuple(dict.fromkeys(cites))) for body, cites in claims]


def is_refusal(sentence: str, refusal: str) -> bool:
    """True when a generated sentence says the passages don't answer (the refusal or a variant)."""
    norm = normalize(strip_markers(sentence))
    return normalize(refusal) in norm or bool(_REFUSAL_CUES.search(sentence))


@dataclass(frozen=True)
class Quote:
    """An exact span of a stored article that supports a sentence."""

    passage: Passage
    start: int  # offsets into the article text
    end: int
    text: str
    score: float


def compose(sentences: Sequence[tuple[str, Sequence[Quote]]]) -> tuple[str, list[Citation]]:
    """The answer text with `[n]` after each sentence, numbered 1..N in order of first appearance.

    The same quote cited twice keeps one number; every number has exactly one `Citation`, with
    the quote's speaker when it names one (`attribution.speaker`, read with the passage before
    it). A sentence with no quotes (kept and marked unsupported) gets no marker.
    """
    numbers: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    for text, quotes in sentences:
        marks: list[int] = []
        for q in quotes:
            key = (q.passage.article_id, q.start, q.end)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                p = q.passage
                said = speaker(q.text, p.text[: max(0, q.start - p.start)])
                cite = p.cite(numbers[key], q.text, q.start, q.end, q.score)
                citations.append(replace(cite, speaker=said))
            if numbers[key] not in marks:
                marks.append(numbers[key])
        parts.append(text + "".join(f" [{n}]" for n in marks))
    return " ".join(parts), citations
