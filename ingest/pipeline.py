"""`ingest()` and `ingest_articles()`: read sources (or take articles in memory), skip what is
stored already, chunk, embed and write articles safely."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

import numpy as np

from ingest.chunking import chunk_article
from ingest.dedup import Signature, changed_values, signature
from ingest.loaders import expand_sources, load_bytes, load_item
from ingest.metadata import finalize
from ingest.raw import LoadError, RawArticle, Upload
from ingest.report import IngestReport, ItemResult, OnProgress, Progress, Status
from qa.core.embeddings import Embedder, embedding_text, get_embedder
from qa.core.errors import IngestError
from qa.core.schema import Article
from qa.core.settings import Settings, load_settings
from qa.store import PreparedArticle, Store

FLUSH_CHUNKS = 512  # chunks embedded and written per store transaction


@dataclass
class _Pending:
    article: Article
    status: Status
    sig: Signature
    note: str | None = None  # why a near-duplicate is stored as an article of its own


@dataclass
class _Batch:
    """Articles waiting to be embedded, and duplicates of them waiting for their original."""

    pending: list[_Pending] = field(default_factory=list)
    duplicates: list[tuple[Article, str, float]] = field(default_factory=list)
    chunks: int = 0


def ingest(
    sources: Sequence[str],
    settings: Settings | None = None,
    *,
    on_progress: OnProgress | None = None,
    progress: bool = False,
    stdin: BinaryIO | None = None,
    embedder: Embedder | None = None,
    store: Store | None = None,
) -> IngestReport:
    """Ingest files, folders, globs, URLs, feeds or `-` (stdin) into the store.

    Re-ingesting an unchanged article does nothing; a changed one (same id) is replaced; a
    near-duplicate of a stored article is recorded as its duplicate and not embedded, unless it
    states a figure or a name differently (then it is stored, so that an answer can show both
    versions; its item's `reason` says so). Bad items are reported one by one and never stop the
    rest.

    Args:
        sources: paths, folders, glob patterns, http(s) URLs, or "-".
        settings: defaults to the store's settings, else `load_settings()`.
        on_progress: called with a `Progress` after each input read and each batch embedded.
        progress: without `on_progress`, show progress bars on stderr (when it is a terminal).
        stdin: where "-" reads from (default: standard input).
        embedder: override the embedder (tests).
        store: an open store to write into (otherwise one is opened, created if need be, and
            closed).

    Raises:
        NewsQAError: the store cannot be opened or written (per-item problems are in the report).
    """
    settings = settings or (store.settings if store is not None else load_settings())
    items = list(expand_sources(sources, settings))

    def records() -> Iterator[tuple[str, list[RawArticle | LoadError]]]:
        for item in items:
            if isinstance(item, LoadError):
                yield item.origin, [item]
            else:
                yield item, load_item(item, settings, stdin=stdin)

    callback = on_progress or (_bars(len(items)) if progress and sys.stderr.isatty() else None)
    return _ingest(records(), len(items), settings, store, embedder, callback)


def ingest_articles(
    articles: Iterable[RawArticle | Upload],
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    on_progress: OnProgress | None = None,
    embedder: Embedder | None = None,
) -> IngestReport:
    """Ingest articles held in memory (pasted text, uploads, a repair's `reingest`): no files.

    Each `RawArticle` gives the text and what is known of it: title, `source` (the outlet),
    `published` (a date, or text such as "2022-06-17" or "June 17, 2022"), url, authors, and
    `origin` (what the report calls it). An `Upload` (a file's name and bytes) is read as that
    file would be, its name the origin. Stored, skipped and failed exactly as `ingest` does
    with articles read from files.

    Args:
        articles: the articles; a list gives `Progress.total`, an iterator does not.
        settings: defaults to the store's settings, else `load_settings()`.
        store: an open store to write into (otherwise one is opened, created if need be, and
            closed).
        on_progress: called with a `Progress` after each article read and each batch embedded.
        embedder: override the embedder (tests).

    Raises:
        NewsQAError: the store cannot be opened or written (per-article problems are in the
            report).
    """
    settings = settings or (store.settings if store is not None else load_settings())
    total = len(articles) if isinstance(articles, Sized) else None
    limit = settings.max_article_chars

    def records() -> Iterator[tuple[str, list[RawArticle | LoadError]]]:
        for n, art in enumerate(articles, 1):
            if isinstance(art, Upload):
                yield art.name, load_bytes(art.data, art.name, settings)
                continue
            origin = art.origin or f"article {n}"
            if not art.origin:
                art = replace(art, origin=origin)
            if len(art.text) > limit:
                reason = (
                    f"article text is {len(art.text):,} characters, longer than the "
                    f"{limit:,}-character limit; split it or raise NEWSQA_MAX_ARTICLE_CHARS"
                )
                yield origin, [LoadError(origin, reason)]
            else:
                yield origin, [art]

    return _ingest(records(), total, settings, store, embedder, on_progress)


def _bars(total: int) -> OnProgress:
    """The default progress display: two tqdm bars on stderr (reading, embedding)."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def show(p: Progress) -> None:
        bar = bars.get(p.stage)
        if bar is None:
            reading = p.stage == "reading"
            bar = bars[p.stage] = tqdm(
                total=total if reading else None,
                unit="item" if reading else "chunk",
                desc=p.stage,
                leave=False,
                position=0 if reading else 1,
            )
        bar.update(p.done - bar.n)
        if p.stage == "reading" and p.done == total:
            bar.close()

    return show


def _ingest(
    records: Iterator[tuple[str, list[RawArticle | LoadError]]],
    total: int | None,
    settings: Settings,
    store: Store | None,
    embedder: Embedder | None,
    on_progress: OnProgress | None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport(data_dir=str(settings.data_dir))
    own = store is None
    store = store or Store.open(settings, create=True)
    try:
        emb = embedder or get_embedder(settings)
        with store.writing():
            store.check_embedder(emb.name, emb.dim)
            _run(records, total, settings, store, emb, report, on_progress or _quiet)
    finally:
        if own:
            store.close()
    report.seconds = time.perf_counter() - started
    return report


def _quiet(_: Progress) -> None:
    pass


def _run(
    records: Iterator[tuple[str, list[RawArticle | LoadError]]],
    total: int | None,
    settings: Settings,
    store: Store,
    emb: Embedder,
    report: IngestReport,
    on_progress: OnProgress,
) -> None:
    batch = _Batch()
    seen: dict[str, str] = {}  # article_id -> content hash, for repeats inside this run
    embedded = [0]  # chunks embedded so far, for progress

    def flush(batch: _Batch) -> None:
        _flush(batch, settings, store, emb, report, embedded, on_progress)

    for done, (name, results) in enumerate(records, 1):
        for rec in results:
            if isinstance(rec, LoadError):
                report.items.append(ItemResult(rec.origin, "failed", reason=rec.reason))
                continue
            pending = _classify(rec, settings, store, batch, seen, report)
            if pending is None:
                continue
            batch.pending.append(pending)
            batch.chunks += max(1, len(pending.article.text) // settings.chunk_size)
            if batch.chunks >= FLUSH_CHUNKS:
                flush(batch)
                batch = _Batch()
        on_progress(Progress("reading", done, total, name))
    flush(batch)


def _classify(
    rec: RawArticle,
    settings: Settings,
    store: Store,
    batch: _Batch,
    seen: dict[str, str],
    report: IngestReport,
) -> _Pending | None:
    """Decide what to do with one article; record unchanged, duplicate and failed ones."""
    try:
        art = finalize(rec)
    except (ValueError, IngestError) as exc:
        report.items.append(ItemResult(rec.origin, "failed", reason=str(exc)))
        return None
    if not art.text.strip():
        report.items.append(ItemResult(rec.origin, "failed", reason="no article text"))
        return None
    if len(art.text) > settings.max_article_chars:
        report.items.append(
            ItemResult(
                rec.origin,
                "failed",
                reason=f"article longer than {settings.max_article_chars} characters "
                "(raise NEWSQA_MAX_ARTICLE_CHARS to accept it)",
            )
        )
        return None

    def result(status: Status, **kw: Any) -> ItemResult:
        return ItemResult(art.origin, status, art.article_id, art.title, **kw)

    if seen.get(art.article_id) == art.content_hash:
        report.items.append(result("unchanged", reason="repeated in this run"))
        return None
    state = store.article_state(art.article_id)
    if state is not None and state[0] == art.content_hash:
        report.items.append(result("unchanged"))
        seen[art.article_id] = art.content_hash
        return None
    sig = signature(art.text)
    note = None
    if state is None or state[1] == "duplicate":
        original, sim = _near_duplicate(art, sig, settings, store, batch.pending)
        changes = _changes(art, original, store, batch.pending) if original is not None else []
        if changes:  # the same story with another figure or name: kept, so both can be quoted
            was, now = changes[0]
            note = (
                f"near-duplicate of {original} (similarity {sim:.3f}) that states "
                f"{now!r} where it has {was!r}: kept as an article of its own"
            )
        elif original is not None:
            if any(p.article.article_id == original for p in batch.pending):
                batch.duplicates.append((art, original, sim))  # written after its original
            else:
                store.add_duplicate(art, original, sim)
            report.items.append(
                result("duplicate", duplicate_of=original, similarity=round(sim, 3))
            )
            seen[art.article_id] = art.content_hash
            return None
    # a second version of an article already queued in this batch replaces the queued one
    batch.pending[:] = [p for p in batch.pending if p.article.article_id != art.article_id]
    seen[art.article_id] = art.content_hash
    status: Status = "updated" if state is not None and state[1] == "article" else "ingested"
    return _Pending(art, status, sig, note)


def _changes(
    art: Article, original_id: str, store: Store, batch: list[_Pending]
) -> list[tuple[str, str]]:
    """The figures and names `art` states differently from its near-duplicate original."""
    queued = [p.article for p in batch if p.article.article_id == original_id]
    original = queued[0] if queued else store.get_article(original_id)
    if original is None or original.content_hash == art.content_hash:
        return []
    outlets = [o for o in (original.source, art.source) if o]
    return changed_values(original.text, art.text, ignore=outlets)


def _near_duplicate(
    art: Article, sig: Signature, settings: Settings, store: Store, batch: list[_Pending]
) -> tuple[str | None, float]:
    exact = store.find_by_hash(art.content_hash)
    if exact is not None and exact != art.article_id:
        return exact, 1.0
    best: tuple[str | None, float] = (None, 0.0)
    for other_id, blob in store.lsh_candidates(sig.buckets):
        if other_id == art.article_id:
            continue
        sim = sig.similarity(Signature.from_bytes(blob))
        if sim > best[1]:
            best = (other_id, sim)
    for p in batch:
        if p.article.article_id != art.article_id:
            sim = sig.similarity(p.sig)
            if sim > best[1]:
                best = (p.article.article_id, sim)
    if best[0] is not None and best[1] >= settings.duplicate_threshold:
        return best
    return None, 0.0


def _flush(
    batch: _Batch,
    settings: Settings,
    store: Store,
    emb: Embedder,
    report: IngestReport,
    embedded: list[int],
    on_progress: OnProgress,
) -> None:
    """Chunk, embed and write one batch of articles in one store transaction."""
    if not batch.pending:
        return
    prepared: list[PreparedArticle] = []
    texts: list[str] = []
    for p in batch.pending:
        a = p.article
        chunks = chunk_article(
            a.article_id, a.text, a.content_hash, settings.chunk_size, settings.chunk_overlap
        )
        texts.extend(embedding_text(a.title, c.text) for c in chunks)
        prepared.append(
            PreparedArticle(
                a,
                chunks,
                embeddings=np.zeros((0, emb.dim), dtype=np.float32),  # filled below
                minhash=p.sig.to_bytes(),
                lsh_buckets=p.sig.buckets,
            )
        )
    vectors = []
    step = settings.embed_batch_size * 4
    for i in range(0, len(texts), step):
        vectors.append(emb.embed_documents(texts[i : i + step]))
        embedded[0] += len(texts[i : i + step])
        on_progress(Progress("embedding", embedded[0]))
    allv = np.concatenate(vectors) if vectors else np.zeros((0, emb.dim), dtype=np.float32)
    row = 0
    for pa in prepared:
        n = len(pa.chunks)
        pa.embeddings = allv[row : row + n]
        row += n
    store.write_articles(prepared)
    for art, original, sim in batch.duplicates:
        store.add_duplicate(art, original, sim)
    for p, pa in zip(batch.pending, prepared, strict=True):
        report.items.append(
            ItemResult(
                p.article.origin,
                p.status,
                p.article.article_id,
                p.article.title,
                chunks=len(pa.chunks),
                reason=p.note,
            )
        )
