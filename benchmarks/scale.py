"""The scale part of the speed benchmark: `ask` on one synthetic store grown to 20k, 200k, 1M chunks.

The store starts with the real chunks of a built dev store (text, offsets, stored vectors), then
copies of them with perturbed vectors and the same texts, written through `Store.write_articles`
(so the keyword index, vectors and journal are written as an ingest writes them). At each size
every question is asked both ways (no `as_of`, as the UI and CLI ask; `as_of` its quiz day),
alternating, `repeat` rounds; the stage timings of each answer give the dense and the keyword
search on their own. Beside them, the same questions' keyword search through the FTS5 index that
newsqa used before (`fts5_search`: its query and filter logic, kept here as the reference), in an
FTS5 table of the same chunks inside the same database.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from qa.core.errors import NewsQAError
from qa.core.settings import Settings

SCALE_NOISE = 0.35  # norm of the noise added to a copied vector (cosine to the original ~0.94)
WRITE_BATCH = 4000  # synthetic chunks per `write_articles` call
MODES = ("no_as_of", "as_of")
_BM25 = "bm25(bench_fts5, 1.0, 0.5)"


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def base_items(settings: Settings) -> tuple[list[tuple[Any, list[Any], np.ndarray]], str]:
    """Every stored article with its chunks and their stored vectors; the store's embedder.

    Raises:
        NewsQAError: the store holds no chunk with a vector.
    """
    from ingest.chunking import chunk_article
    from qa.store import Store

    store = Store.open(settings)
    try:
        ids = [r["article_id"] for r in store.list_articles()]
        arts = store.get_articles(ids)
        items = []
        for aid in ids:
            a = arts[aid]
            chunks = chunk_article(
                aid, a.text, a.content_hash, settings.chunk_size, settings.chunk_overlap
            )
            vecs = store.chunk_embeddings([c.chunk_id for c in chunks])
            kept = [c for c in chunks if c.chunk_id in vecs]
            if kept:
                items.append((a, kept, np.stack([vecs[c.chunk_id] for c in kept])))
        embedder = store.embedder_name() or "unknown:0"
    finally:
        store.close()
    if not items:
        raise NewsQAError(f"no chunks with vectors in {settings.data_dir} to copy for --scale")
    return items, embedder


def synthetic(items: list[Any], seed: int = 0) -> Iterator[Any]:
    """The real articles first, then endless copies with perturbed vectors and the same texts."""
    from qa.store import PreparedArticle

    rng = np.random.default_rng(seed)
    copy = 0
    while True:
        for i, (art, chunks, vecs) in enumerate(items):
            if copy == 0:
                yield PreparedArticle(art, chunks, vecs)
                continue
            aid = f"synthetic-{copy:06d}-{i:05d}"
            noisy = vecs + rng.normal(0.0, SCALE_NOISE / np.sqrt(vecs.shape[1]), vecs.shape)
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            yield PreparedArticle(
                replace(art, article_id=aid, origin="benchmarks.bench synthetic copy"),
                [replace(c, chunk_id=f"{aid}-{c.index:05d}", article_id=aid) for c in chunks],
                noisy.astype(np.float32),
            )
        copy += 1


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# --- the FTS5 reference -------------------------------------------------------------------------
def fts5_fill(db: Path) -> float:
    """Bring the reference FTS5 table of the store at `db` up to its chunks; seconds taken."""
    t0 = time.perf_counter()
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS bench_fts5 USING fts5("
            "text, title, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        last = conn.execute("SELECT coalesce(max(rowid), 0) FROM bench_fts5").fetchone()[0]
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO bench_fts5(rowid, text, title) SELECT c.rowid,"
            " substr(a.text, c.start + 1, c.end - c.start), a.title"
            " FROM chunks c JOIN articles a ON a.article_id = c.article_id WHERE c.rowid > ?",
            (last,),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return time.perf_counter() - t0


def fts5_search(conn: sqlite3.Connection, words: Sequence[str], k: int, filters: Any) -> int:
    """The keyword search newsqa did before its postings index (FTS5 BM25 over an OR of the
    quoted words; a filter over-fetched 4x, then searched inside the index); the hits found."""
    match = " OR ".join('"' + w.replace('"', "") + '"' for w in words if w.replace('"', ""))
    if not match:
        return 0
    where, args = filters.sql("a")
    top = f"SELECT rowid FROM bench_fts5 WHERE bench_fts5 MATCH ? ORDER BY {_BM25} LIMIT ?"
    if where == "1":
        return len(conn.execute(top, [match, k]).fetchall())
    hits = [r[0] for r in conn.execute(top, [match, 4 * k])]
    if hits:
        ok = conn.execute(
            "SELECT count(*) FROM chunks c JOIN articles a ON a.article_id = c.article_id"
            f" WHERE c.rowid IN ({','.join('?' * len(hits))}) AND {where}",
            [*hits, *args],
        ).fetchone()[0]
        if ok >= k or len(hits) < 4 * k:
            return int(min(ok, k))
    rows = conn.execute(
        "SELECT c.chunk_id FROM bench_fts5 f JOIN chunks c ON c.rowid = f.rowid"
        " JOIN articles a ON a.article_id = c.article_id"
        f" WHERE bench_fts5 MATCH ? AND {where} ORDER BY {_BM25} LIMIT ?",
        [match, *args, k],
    ).fetchall()
    return len(rows)


def time_fts5(
    db: Path, questions: Sequence[tuple[str, str | None]], settings: Settings
) -> dict[str, list[float]]:
    """Seconds of the FTS5 reference search for each question, per mode, as `ask` would search."""
    from qa.answering.query import Query
    from qa.answering.question import keywords

    conn = sqlite3.connect(db)
    conn.create_function("casefold", 1, lambda v: v.casefold() if isinstance(v, str) else None)
    k = max(settings.fetch_k, settings.retrieval_k * 4)
    out: dict[str, list[float]] = {m: [] for m in MODES}
    try:
        for text, day in questions:
            for mode in MODES:
                q = Query.build(text, as_of=day[:10] if mode == "as_of" and day else None)
                t0 = time.perf_counter()
                fts5_search(conn, keywords(text), k, q.filters())
                out[mode].append(time.perf_counter() - t0)
    finally:
        conn.close()
    return out


# --- the run ------------------------------------------------------------------------------------
def measure(
    settings: Settings, questions: Sequence[tuple[str, str | None]], repeat: int, reference: bool
) -> dict[str, Any]:
    """`ask` on the store in `settings.data_dir`, both paths, `repeat` rounds; with
    `reference`, the FTS5 keyword search of the same questions on the same chunks."""
    from benchmarks.bench import time_asks
    from qa.store import Store

    fts5_seconds = fts5_fill(settings.db_path) if reference else 0.0
    store = Store.open(settings)
    try:
        chunks = store.stats().chunks
        rounds = [time_asks(questions, settings, store, modes=MODES) for _ in range(repeat)]
    finally:
        store.close()
    fts5 = (
        [time_fts5(settings.db_path, questions, settings) for _ in range(repeat)]
        if reference
        else []
    )
    _log(f"scale: {chunks:,} chunks asked")
    return {
        "chunks": chunks,
        "fts5_build_seconds": fts5_seconds,
        "rounds": {m: [r[m] for r in rounds] for m in MODES},
        "fts5_rounds": {m: [r[m] for r in fts5] for m in MODES},
    }


def measure_built(
    folders: Sequence[Path],
    base: Settings,
    questions: Sequence[tuple[str, str | None]],
    repeat: int,
    reference: bool = True,
) -> dict[str, Any]:
    """`measure` on synthetic stores built before (`python -m benchmarks.scale build`): when
    growing one inside the run would take longer than the run may."""
    out: dict[str, Any] = {"base_chunks": None, "sizes": [], "notes": []}
    for folder in folders:
        settings = base.model_copy(update={"data_dir": folder})
        disk = folder_bytes(folder)
        row = measure(settings, questions, repeat, reference)
        out["sizes"].append({**row, "write_seconds_total": None, "disk_bytes": disk})
    out["sizes"].sort(key=lambda r: r["chunks"])
    out["notes"].append(
        "stores built before the run by `python -m benchmarks.scale build` (this code): "
        + ", ".join(str(f) for f in folders)
    )
    return out


def _grow(
    store: Any, source: Iterator[Any], written: int, size: int, label: str, log_every: int
) -> int:
    """Write articles from `source` into `store` (open for writing, holding `written` chunks)
    until it holds `size` chunks, `WRITE_BATCH` chunks per write, the last article cut to fit;
    log after every `log_every`-th write and the last. Returns the chunks written in all."""
    from qa.store import PreparedArticle

    batch: list[Any] = []
    pending = 0
    while written < size:
        item = next(source)
        take = min(len(item.chunks), size - written)
        if take < len(item.chunks):
            item = PreparedArticle(item.article, item.chunks[:take], item.embeddings[:take])
        batch.append(item)
        written += take
        pending += take
        if pending >= WRITE_BATCH or written >= size:
            store.write_articles(batch)
            batch, pending = [], 0
            if written % (log_every * WRITE_BATCH) < WRITE_BATCH or written >= size:
                _log(f"{label}: {written:,}/{size:,} chunks written")
    return written


def build(base_dir: Path, out: Path, sizes: Sequence[int]) -> None:
    """Grow a synthetic store from the built dev store in `base_dir`, copying it to
    `out/scale-N` at each size N (for `python -m benchmarks.bench --scale-stores`)."""
    import shutil

    from qa.store import Store

    base = Settings(data_dir=base_dir)
    items, embedder = base_items(base)
    name, _, dim = embedder.rpartition(":")
    settings = base.model_copy(update={"data_dir": out / "growing"})
    source = synthetic(items)
    written = 0
    for size in sorted(sizes):
        with Store.open(settings, create=True) as store, store.writing():
            store.check_embedder(name, int(dim or 0))
            written = _grow(store, source, written, size, "scale build", log_every=1)
        shutil.copytree(settings.data_dir, out / f"scale-{size}", dirs_exist_ok=True)


def scale_bench(
    base: Settings,
    sizes: Sequence[int],
    questions: Sequence[tuple[str, str | None]],
    work: Path,
    repeat: int,
    budget: float = 0.0,
    reference: bool = True,
) -> dict[str, Any]:
    """Grow one synthetic store through `sizes` (chunks) and time `ask` at each size.

    A size is skipped (and said so in `notes`) when writing it is projected, from the write rate
    measured so far, to push the total writing time past `budget` seconds (0: no limit).
    `reference`: time the FTS5 keyword search beside newsqa's own at each size.
    """
    from qa.store import Store

    items, embedder = base_items(base)
    name, _, dim = embedder.rpartition(":")
    settings = base.model_copy(update={"data_dir": work / "scale"})
    source = synthetic(items)
    written, write_seconds = 0, 0.0
    out: dict[str, Any] = {
        "base_chunks": sum(len(c) for _, c, _ in items),
        "sizes": [],
        "notes": [],
    }
    for size in sorted(sizes):
        if write_seconds and budget:
            projected = (size - written) * write_seconds / written
            if write_seconds + projected > budget:
                out["notes"].append(
                    f"skipped {size:,} chunks: writing them was projected to take {projected:,.0f} s "
                    f"more at {written / write_seconds:,.0f} chunks/s (--scale-budget {budget:,.0f} s)"
                )
                break
        t0 = time.perf_counter()
        store = Store.open(settings, create=True)
        try:
            with store.writing():
                store.check_embedder(name, int(dim or 0))
                written = _grow(store, source, written, size, "scale", log_every=25)
        finally:
            store.close()
        write_seconds += time.perf_counter() - t0
        disk = folder_bytes(settings.data_dir)  # without the reference table
        row = measure(settings, questions, repeat, reference)
        out["sizes"].append({**row, "write_seconds_total": write_seconds, "disk_bytes": disk})
    return out


def main(argv: Sequence[str]) -> int:
    """`python -m benchmarks.scale build BASE_STORE OUT_DIR SIZES` grows the synthetic stores;
    `python -m benchmarks.scale measure OUT_DIR SIZES [REPEAT]` asks on them and prints the
    scale rows (what `python -m benchmarks.bench --scale-stores` does inside a full run)."""
    import json

    from benchmarks.bench import load_corpus
    from benchmarks.bench_report import format_scale, scale_figures

    if len(argv) >= 4 and argv[0] == "build":
        build(Path(argv[1]), Path(argv[2]), [int(x) for x in argv[3].split(",")])
        return 0
    if len(argv) >= 3 and argv[0] == "measure":
        folder, sizes = Path(argv[1]), [int(x) for x in argv[2].split(",")]
        repeat = int(argv[3]) if len(argv) > 3 else 1
        evalset = load_corpus(
            Path(__file__).resolve().parents[2] / "shared" / "eval" / "realtimeqa"
        )
        qs = [(q.question, q.date) for q in evalset.questions[:100]]
        raw = measure_built([folder / f"scale-{n}" for n in sizes], Settings(), qs, repeat)
        fig = scale_figures(raw)
        assert fig is not None
        print("\n".join(format_scale(fig)))
        out = folder / "scale-measure.json"
        out.write_text(json.dumps(fig, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"JSON: {out}")
        return 0
    print(main.__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
