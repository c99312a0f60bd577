"""Typed, frozen records shared by ingest, retrieval, answering and the views."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any, Literal


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
class RawArticle:
    """An article as given to `ingest` (read from a file or a feed, or held in memory), before
    its metadata is normalised: the input of `ingest.ingest_articles`.

    `published` is taken as found (ISO, RFC 822, "June 17, 2022", a `date`); `origin` names where
    it came from (a path, a URL, "path:line 7", an uploaded file's name); `source` is the outlet.
    """

    text: str
    title: str | None = None
    url: str | None = None
    published: str | date | None = None
    source: str | None = None  # outlet / site name when the input says
    authors: tuple[str, ...] = ()
    origin: str = ""
    extra: dict[str, str] = field(default_factory=dict)


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
        row: ChunkRow,
        score: float,
        dense_rank: int | None = None,
        keyword_rank: int | None = None,
    ) -> Passage:
        """A passage from a `Store.chunk_rows` row (chunk offsets, text and article metadata)."""
        return cls(
            chunk_id=row.chunk_id,
            article_id=row.article_id,
            title=row.title,
            source=row.source,
            published=row.published,
            url=row.url,
            start=int(row.start),
            end=int(row.end),
            text=row.text,
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
            chunk_id=self.chunk_id,
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
    # the short answer (the reader's span) inside `quote`: `quote[answer_start:answer_end]`
    answer_start: int | None = None
    answer_end: int | None = None
    chunk_id: str | None = None  # the stored chunk the quote was taken from
    # who the quoted sentence says makes its claim ("Mayor Tom Hadley", "the ministry"), or None
    # when it attributes nothing: the outlet (`source`) reports it, the speaker says it
    speaker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Agreement = Literal["agree", "differ", "single source"]


@dataclass(frozen=True)
class Version:
    """One value the sources give for the answer, with who gives it.

    `value` is the short answer as the first citing source writes it ("$48.2 million") and `key`
    its normalised form ("num:48200000:usd"); `citations` are the numbers `n` of the answer's
    citations that state it; `outlets` the outlets behind them, and `copies` the outlets of
    near-duplicate copies of those articles (one wire story: counted once with its original);
    `first_published` / `last_published` the earliest and latest dates of its reports (None when
    undated); `latest` is True for the version reported last when the versions differ and are
    dated.
    """

    value: str
    key: str
    citations: tuple[int, ...]
    outlets: tuple[str, ...]
    first_published: str | None = None
    last_published: str | None = None
    copies: tuple[str, ...] = ()
    latest: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("citations", "outlets", "copies"):
            d[k] = list(d[k])
        return d


@dataclass(frozen=True)
class Diagnostics:
    """What an answer's making measured besides time: for evaluation, benchmarks and notes.

    `evidence` is the extractive answerer's evidence score (None when it did not score one);
    `claims` and `dropped` count the generated sentences the support check saw and dropped;
    `fallback` is True when an LLM answer fell back to the extractive answerer;
    `undated_left_out` counts undated articles a since/until filter left out; `notes` are
    sentences for the person asking (such as why nothing was found).
    """

    evidence: float | None = None
    claims: int | None = None
    dropped: int = 0
    fallback: bool = False
    undated_left_out: int = 0
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["notes"] = list(self.notes)
        return d


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
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, nothing else
    short_answer: str | None = None  # the reader's answer span, when it found one
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    # the values the sources give for the short answer, and whether they agree; `agreement` is
    # None when there is no short answer to compare (a refusal, a yes/no question, an LLM answer)
    versions: tuple[Version, ...] = ()
    agreement: Agreement | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "short_answer": self.short_answer,
            "agreement": self.agreement,
            "versions": [v.to_dict() for v in self.versions],
            "answered": self.answered,
            "answerer": self.answerer,
            "standalone_question": self.standalone_question,
            "dropped_sentences": self.dropped_sentences,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "timings": dict(self.timings),
            "diagnostics": self.diagnostics.to_dict(),
        }


# --- what the store's reads return ---------------------------------------------------------------
class _Row(Mapping[str, Any]):
    """A typed, frozen record that can also be read by key (`row["title"]`, `row.get(...)`,
    `dict(row)`), for code written against the dicts the store used to return. New code reads
    the attributes; `to_dict()` gives plain JSON-ready values."""

    def __getitem__(self, key: str) -> Any:
        if key not in self._names():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def _names(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self))  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)  # type: ignore[call-overload]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


@dataclass(frozen=True, eq=True)
class DuplicateRecord(_Row):
    """A near-duplicate of a stored article: recorded, not stored (no text, no vectors)."""

    article_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    similarity: float


@dataclass(frozen=True, eq=True)
class ArticleSummary(_Row):
    """A stored article without its text (`Store.list_articles`), with its chunk count and the
    near-duplicates recorded for it."""

    article_id: str
    title: str
    source: str | None
    place: str | None
    published: str | None
    url: str | None
    authors: tuple[str, ...]
    content_hash: str
    ingested_at: str
    origin: str
    chars: int
    chunks: int
    duplicates: tuple[DuplicateRecord, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["duplicates"] = [d.to_dict() for d in self.duplicates]
        return out


@dataclass(frozen=True, eq=True)
class ChunkRow(_Row):
    """A stored chunk with its text and its article's metadata (`Store.chunk_rows`):
    `text` is `article.text[start:end]`."""

    chunk_id: str
    article_id: str
    index: int
    start: int
    end: int
    title: str
    source: str | None
    published: str | None
    url: str | None
    text: str


@dataclass(frozen=True, eq=True)
class StoreStats(_Row):
    """Counts of every part of the store (`Store.stats`): they agree unless a repair is needed.

    `keyword_index` is "ok" or what is wrong with the keyword index (with what to run);
    `keyword_index_rows` is None when that index cannot be read.
    """

    data_dir: str
    articles: int
    duplicates: int
    chunks: int
    keyword_index_rows: int | None
    keyword_index: str
    vectors: int
    pending_journal: int
    sources: int
    oldest: str | None
    newest: str | None
    undated: int
    embedder: str | None
    db_bytes: int | None

    @property
    def healthy(self) -> bool:
        """True when the counts agree, nothing is pending and the keyword index is fine."""
        return (
            self.keyword_index == "ok"
            and self.chunks == self.vectors == self.keyword_index_rows
            and self.pending_journal == 0
        )
