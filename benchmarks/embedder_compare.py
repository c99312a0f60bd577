"""The embedders side by side: cosine between the fast (ONNX int8) and the reference (torch)
vectors of real chunks, and the throughput of both, in one process."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.datasets import EvalArticle
from qa.core.settings import Settings


def sample_chunks(articles: Sequence[EvalArticle], settings: Settings, n: int) -> list[str]:
    """`n` chunk texts spread evenly over the corpus, as newsqa chunks and embeds them."""
    from ingest.chunking import chunk_article
    from qa.core.embeddings import embedding_text

    texts = [
        embedding_text(a.title, c.text)
        for a in articles
        for c in chunk_article(a.key, a.text, "", settings.chunk_size, settings.chunk_overlap)
    ]
    if len(texts) <= n:
        return texts
    return [texts[int(i)] for i in np.linspace(0, len(texts) - 1, n).round()]


def compare_embedders(
    fast: Any, reference: Any, texts: Sequence[str], repeat: int
) -> dict[str, Any]:
    """Cosine between the two embedders' vectors of `texts`, and the seconds each took to embed
    them all, alternating in this process (both loaded and warmed first)."""
    fast.embed_documents(list(texts[:8]))
    reference.embed_documents(list(texts[:8]))
    secs: dict[str, list[float]] = {"fast": [], "reference": []}
    vecs: dict[str, np.ndarray] = {}
    for r in range(max(1, repeat)):
        pair = [("fast", fast), ("reference", reference)]
        for name, emb in pair if r % 2 == 0 else pair[::-1]:
            t0 = time.perf_counter()
            vecs[name] = emb.embed_documents(list(texts))
            secs[name].append(time.perf_counter() - t0)
    cos = np.sum(vecs["fast"] * vecs["reference"], axis=1)
    return {
        "fast": fast.name,
        "reference": reference.name,
        "chunks": len(texts),
        "mean_cosine": float(cos.mean()),
        "min_cosine": float(cos.min()),
        "fast_seconds": secs["fast"],
        "reference_seconds": secs["reference"],
    }
