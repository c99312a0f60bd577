"""`ingest()`: read sources, skip what is stored already, chunk, embed and write articles safely."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO, Literal

import numpy as np

from ingest.chunking import chunk_article
from ingest.dedup import Signature, signature
from ingest.loaders import LoadError, RawArticle, expand_sources, load_item
from ingest.metadata import finalize
from qa.embeddings import Embedder, embedding_text, get_embedder
from qa.errors import IngestError
from qa.schema import Article
from qa.settings import Settings, load_settings
from qa.store import PreparedArticle, Store

Status = Literal["ingested", "updated", "unchanged", "duplicate", "failed"]
STATUSES: tuple[Status, ...] = ("ingested", "updated", "unchanged", "duplicate", "failed")

FLUSH_CHUNKS = 512  # chunks embedded and written per store transaction


@dataclass(frozen=True)
class ItemResult:
    """What happened to one article (or one input that yielded none)."""

    origin: str
    status: Status
    article_id: str | None = None
    title: str | None = None
    chunks: int = 0
    reason: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None


@dataclass
class IngestReport:
    """The outcome of one `ingest()` run, item by item."""

    items: list[ItemResult] = field(default_factory=list)
    seconds: float = 0.0
    data_dir: str = ""

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {s: 0 for s in STATUSES}
        for it in self.items:
            out[it.status] += 1
        return out

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not any(it.status == "failed" for it in self.items)

    @property
    def chunks_written(self) -> int:
        return sum(it.chunks for it in self.items if it.status in ("ingested", "updated"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "data_dir": self.data_dir,
            "seconds": round(self.seconds, 3),
            "counts": self.counts(),
            "chunks_written": self.chunks_written,
            "items": [asdict(it) for it in self.items],
        }

    def summary(self) -> str:
        c = self.counts()
        line = ", ".join(f"{c[s]} {s}" for s in STATUSES)
        return f"{line} ({self.chunks_written} chunks embedded in {self.seconds:.1f} s)"


@dataclass
class _Pending:
    article: Article
    status: Status
    sig: Signature


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
    progress: bool = False,
    stdin: BinaryIO | None = None,
    embedder: Embedder | None = None,
) -> IngestReport:
    """Ingest files, folders, globs, URLs, feeds or `-` (stdin) into the store.

    Re-ingesting an unchanged article does nothing; a changed one (same id) is replaced; a
    near-duplicate of a stored article is recorded as its duplicate and not embedded. Bad items are
    reported one by one and never stop the rest.

    Args:
        sources: paths, folders, glob patterns, http(s) URLs, or "-".
        settings: defaults to `load_settings()`.
        progress: show progress bars on stderr (only when it is a terminal).
        stdin: where "-" reads from (default: standard input).
        embedder: override the embedder (tests).

    Raises:
        NewsQAError: the store cannot be opened or written (per-item problems are in the report).
    """
    settings = settings or load_settings()
    started = time.perf_counter()
    report = IngestReport(data_dir=str(settings.data_dir))
    show = progress and sys.stderr.isatty()
    store = Store.open(settings, create=True)
    try:
        emb = embedder or get_embedder(settings)
        with store.writing():
            store.check_embedder(emb.name, emb.dim)
            _run(sources, settings, store, emb, report, show, stdin)
    finally:
        store.close()
    report.seconds = time.perf_counter() - started
    return report


def _run(
    sources: Sequence[str],
    settings: Settings,
    store: Store,
    emb: Embedder,
    report: IngestReport,
    show: bool,
    stdin: BinaryIO | None,
) -> None:
    from tqdm import tqdm

    items = list(expand_sources(sources, settings))
    batch = _Batch()
    seen: dict[str, str] = {}  # article_id -> content hash, for repeats inside this run
    file_bar = tqdm(total=len(items), unit="item", desc="reading", disable=not show, leave=False)
    chunk_bar = tqdm(unit="chunk", desc="embedding", disable=not show, leave=False, position=1)
    try:
        for item in items:
            file_bar.update(1)
            if isinstance(item, LoadError):
                report.items.append(ItemResult(item.origin, "failed", reason=item.reason))
                continue
            for rec in load_item(item, settings, stdin=stdin):
                if isinstance(rec, LoadError):
                    report.items.append(ItemResult(rec.origin, "failed", reason=rec.reason))
                    continue
                pending = _classify(rec, settings, store, batch, seen, report)
                if pending is None:
                    continue
                batch.pending.append(pending)
                batch.chunks += max(1, len(pending.article.text) // settings.chunk_size)
                if batch.chunks >= FLUSH_CHUNKS:
                    _flush(batch, settings, store, emb, report, chunk_bar)
                    batch = _Batch()
        _flush(batch, settings, store, emb, report, chunk_bar)
    finally:
        file_bar.close()
        chunk_bar.close()


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
    if state is None or state[1] == "duplicate":
        original, sim = _near_duplicate(art, sig, settings, store, batch.pending)
        if original is not None:
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
    return _Pending(art, status, sig)


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
    chunk_bar: Any,
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
        chunk_bar.update(len(texts[i : i + step]))
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
            )
        )
