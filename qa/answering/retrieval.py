"""Hybrid retrieval: dense (Chroma) + keyword (BM25 postings in SQLite), fused by reciprocal rank fusion,
then news-aware boosts, per-article diversity and near-duplicate collapsing.

The LangChain face of this (`NewsRetriever`, a `BaseRetriever`) is in `qa/answering/langchain_retriever.py`, so that
asking a question does not pay for importing LangChain.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from qa.answering.question import TimeHint, keywords, time_hint
from qa.core.dates import day_of
from qa.core.embeddings import get_embedder
from qa.core.schema import ChunkRow, Passage
from qa.core.settings import Settings
from qa.core.text import normalize
from qa.store import Filters, Store


@dataclass
class Retrieval:
    """Ranked passages plus what the answerer reuses: the question vector and timings."""

    passages: list[Passage]
    query_vector: np.ndarray
    keywords: list[str]  # the question's own content words (not those carried from earlier turns)
    hint: TimeHint
    carried: list[str] = field(default_factory=list)  # words carried over from earlier turns
    timings: dict[str, float] = field(default_factory=dict)
    best_dense: float = 0.0
    dense_sims: dict[str, float] = field(default_factory=dict)  # chunk id -> cosine, passages only


def retrieve(
    question: str,
    *,
    settings: Settings,
    store: Store,
    k: int | None = None,
    filters: Filters | None = None,
    extra_terms: Sequence[str] = (),
    as_of: date | None = None,
) -> Retrieval:
    """Find the passages that best answer `question`.

    Args:
        question: what the user asked (already made standalone for follow-ups).
        settings: retrieval knobs (`retrieval_k`, `fetch_k`, `rrf_k`, weights, diversity).
        store: an open store.
        k: passages to return (default `settings.retrieval_k`).
        filters: date, outlet and article restrictions, applied inside both indexes.
        extra_terms: keywords carried over from earlier turns of a conversation.
        as_of: the day the question is asked from: "this week" and "latest" are read relative
            to it, and later articles get no recency bonus. Default: the newest candidate's day.
    """
    t0 = time.perf_counter()
    k = k or settings.retrieval_k
    fetch = max(settings.fetch_k, k * 4)
    filters = filters or Filters()
    emb = get_embedder(settings)
    dense_text = question if not extra_terms else question + " " + " ".join(extra_terms)
    qvec = emb.embed_query(dense_text)
    t1 = time.perf_counter()
    dense = store.dense_search(qvec, fetch, filters)
    t2 = time.perf_counter()
    own = keywords(question)
    words = own + [w for w in extra_terms if w not in own]
    keyword = store.keyword_search(" ".join(words), fetch, filters)
    t3 = time.perf_counter()

    fused: dict[str, float] = {}
    dense_rank: dict[str, int] = {}
    keyword_rank: dict[str, int] = {}
    for rank, (cid, _) in enumerate(dense):
        dense_rank[cid] = rank
        fused[cid] = fused.get(cid, 0.0) + settings.dense_weight / (settings.rrf_k + rank + 1)
    for rank, (cid, _) in enumerate(keyword):
        keyword_rank[cid] = rank
        fused[cid] = fused.get(cid, 0.0) + settings.keyword_weight / (settings.rrf_k + rank + 1)
    rows = store.chunk_rows(list(fused))  # drops vectors whose chunk is not (or no longer) stored

    hint = time_hint(question, as_of or _newest_day(rows) or date.today())
    if as_of is not None:
        hint = replace(hint, explicit=True)
    scored = []
    for cid, row in rows.items():
        s = fused[cid] * _time_boost(row.published, hint, settings)
        scored.append((s, cid, row))
    # an article whose several chunks match ranks above one with a single lucky chunk
    if settings.article_support_weight > 0:
        per: dict[str, list[float]] = {}
        for sc, _, row in scored:
            per.setdefault(row.article_id, []).append(sc)
        bonus = {}
        for aid, scores in per.items():
            scores.sort(reverse=True)
            bonus[aid] = settings.article_support_weight * sum(scores[1:3])
        scored = [(sc + bonus[row.article_id], cid, row) for sc, cid, row in scored]
    scored.sort(key=lambda x: (-x[0], x[1]))

    dense_sim = dict(dense)
    passages: list[Passage] = []
    per_article: dict[str, int] = {}
    seen_text: set[str] = set()
    for s, cid, row in scored:
        aid = row.article_id
        if per_article.get(aid, 0) >= settings.max_per_article:
            continue
        # the same passage from a republished copy; a copy that changes a figure is kept
        key = normalize(row.text)
        if key in seen_text:
            continue
        seen_text.add(key)
        per_article[aid] = per_article.get(aid, 0) + 1
        passages.append(
            Passage.from_row(
                row,
                score=round(s, 6),
                dense_rank=dense_rank.get(cid),
                keyword_rank=keyword_rank.get(cid),
            )
        )
        if len(passages) >= k:
            break
    passages = _group_by_article(passages)
    t4 = time.perf_counter()
    sims = {p.chunk_id: float(dense_sim.get(p.chunk_id, 0.0)) for p in passages}
    best_dense = max(sims.values(), default=0.0)
    return Retrieval(
        passages=passages,
        query_vector=qvec,
        keywords=own,
        carried=[w for w in extra_terms if w not in own],
        hint=hint,
        best_dense=best_dense,
        dense_sims=sims,
        timings={
            "embed_query": t1 - t0,
            "dense": t2 - t1,
            "keyword": t3 - t2,
            "fuse": t4 - t3,
            "retrieve": t4 - t0,
        },
    )


def _group_by_article(passages: list[Passage]) -> list[Passage]:
    """Keep the ranking of articles, but put an article's passages next to each other."""
    order: dict[str, int] = {}
    for i, p in enumerate(passages):
        order.setdefault(p.article_id, i)
    return sorted(passages, key=lambda p: (order[p.article_id], p.start))


def _newest_day(rows: dict[str, ChunkRow]) -> date | None:
    days = [r.published[:10] for r in rows.values() if r.published]
    return day_of(max(days)) if days else None


def _time_boost(published: str | None, hint: TimeHint, settings: Settings) -> float:
    if not (hint.start or hint.recency or (settings.freshness_prior and hint.explicit)):
        return 1.0
    day = day_of(published)
    if day is None:
        return 1.0
    boost = 1.0
    if settings.freshness_prior and hint.explicit and hint.reference is not None:
        age = (hint.reference - day).days
        if age >= 0:
            boost *= 1.0 + settings.freshness_prior * float(
                0.5 ** (age / settings.recency_half_life)
            )
    if hint.start and hint.end and hint.start <= day <= hint.end:
        boost *= settings.time_match_boost
    if hint.recency and hint.end is None and hint.reference is not None:
        # 1.0 on the reference day, halving every `recency_half_life` days before it
        age = (hint.reference - day).days
        if age >= 0:
            boost *= 1.0 + settings.recency_boost * float(0.5 ** (age / settings.recency_half_life))
    return boost
