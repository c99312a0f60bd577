"""Typed, frozen records shared by ingest, retrieval, answering and the views."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    """A stored news article. `text` is what every offset refers to."""

    article_id: str
    title: str
    text: str
    source: str | None = None
    place: str | None = None
    published: str | None = None  # ISO 8601 date or datetime; None = unknown
    url: str | None = None
    authors: tuple[str, ...] = ()
    content_hash: str = ""
    ingested_at: str = ""
    origin: str = ""  # the file or URL it was read from

    def to_dict(self, with_text: bool = True) -> dict[str, Any]:
        d = asdict(self)
        d["authors"] = list(self.authors)
        if not with_text:
            d.pop("text")
        return d


@dataclass(frozen=True)
class Chunk:
    """A span of an article: `article.text[start:end] == text` always holds."""

    chunk_id: str
    article_id: str
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the article it came from, for prompts and display."""

    chunk_id: str
    article_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    start: int
    end: int
    text: str
    score: float
    dense_rank: int | None = None
    keyword_rank: int | None = None

    @classmethod
    def from_row(
        cls,
        row: dict[str, Any],
        score: float,
        dense_rank: int | None = None,
        keyword_rank: int | None = None,
    ) -> Passage:
        """A passage from a `Store.chunk_rows` row (chunk offsets, text and article metadata)."""
        return cls(
            chunk_id=row["chunk_id"],
            article_id=row["article_id"],
            title=row["title"],
            source=row["source"],
            published=row["published"],
            url=row["url"],
            start=int(row["start"]),
            end=int(row["end"]),
            text=row["text"],
            score=score,
            dense_rank=dense_rank,
            keyword_rank=keyword_rank,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def cite(self, n: int, quote: str, start: int, end: int, score: float) -> Citation:
        """Citation `[n]` of the span `start:end` (article offsets) quoted from this passage."""
        return Citation(
            n=n,
            article_id=self.article_id,
            title=self.title,
            source=self.source,
            published=self.published,
            url=self.url,
            quote=quote,
            start=start,
            end=end,
            score=round(score, 4),
        )


@dataclass(frozen=True)
class Citation:
    """`[n]` in an answer: an exact quote of a stored article, `article_text[start:end] == quote`."""

    n: int
    article_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    quote: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """What `qa.ask` returns. `answered` is False for a refusal."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    answered: bool
    answerer: str = "extractive"
    standalone_question: str | None = None
    dropped_sentences: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "answered": self.answered,
            "answerer": self.answerer,
            "standalone_question": self.standalone_question,
            "dropped_sentences": self.dropped_sentences,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "timings": dict(self.timings),
        }
