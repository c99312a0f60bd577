"""`repair()`: rebuild what `check()` finds broken, from what survives, under the writer lock.

Vectors and the keyword index are rebuilt from the database (nothing is embedded again). Every
step is atomic: SQLite fixes run in one transaction, a salvaged database and a rebuilt vector
folder are written beside the old ones and swapped in by renaming, and whatever is replaced is
moved into `<data dir>/repair-<time>/`, never deleted. Articles whose chunks were lost but whose
text survived come back as `RepairReport.reingest`, for `ingest.ingest_articles`.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from qa.core.schema import RawArticle
from qa.core.settings import Settings
from qa.store import journal, keyword
from qa.store.database import TABLES, batches, ensure_schema, marks, transaction
from qa.store.health import RepairReport, check, open_database, open_vectors
from qa.store.vectors import VectorIndex, vector_metadata

REPAIR_THEN = "let it finish (or stop it), then run `newsqa repair` again"


def repair(settings: Settings) -> RepairReport:
    """Fix every problem `check()` finds that can be fixed, under the store's writer lock.

    Returns the report of what was done, with `findings` listing what is still wrong (empty
    when the store is healthy again), `lost_articles` what can never come back, and `reingest`
    the articles to pass to `ingest.ingest_articles` (their chunks were lost, their text not).

    Raises:
        StoreNotFoundError: there is no data directory.
        StoreBusyError: another process is writing to the store.
        NewsQAError: a part could not be rewritten (disk full, read-only, server down).
    """
    before = check(settings)
    report = RepairReport(data_dir=str(settings.data_dir), repaired=True)
    if before.healthy:
        report.counts = before.counts
        report.notes = before.notes
        return report
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = settings.data_dir / f"repair-{stamp}"
    with journal.writer_lock(settings.data_dir, wait=0.0, then=REPAIR_THEN):
        _repair_database(settings, aside, report)
        db = open_database(settings, report, readonly=False)
        if db is None:  # could not even create a fresh one; the findings say why
            report.findings.extend(f for f in before.findings if not f.fixable)
            return report
        try:
            _repair_rows(db, aside, report)
            if _repair_vectors(db, settings, aside, report):
                with transaction(db, settings.db_path):
                    db.execute("DELETE FROM journal")  # vectors now match the chunks exactly
        finally:
            db.close()
    if report.lost_articles:
        aside.mkdir(parents=True, exist_ok=True)
        (aside / "lost-articles.txt").write_text("\n".join(report.lost_articles) + "\n")
    after = check(settings)
    report.findings = after.findings
    report.counts = after.counts
    report.notes += after.notes
    return report


# --- the database -------------------------------------------------------------------------------
def _repair_database(settings: Settings, aside: Path, report: RepairReport) -> None:
    """Replace a missing or damaged database with a fresh or salvaged one."""
    db = settings.db_path
    probe = RepairReport(data_dir=report.data_dir)
    conn = open_database(settings, probe, readonly=True)
    if conn is not None:
        conn.close()
        return
    if db.exists() and not any(f.fixable for f in probe.findings):
        report.findings.extend(probe.findings)
        return
    fresh = db.with_name(db.name + ".repair-tmp")
    for leftover in _db_files(fresh):
        leftover.unlink()
    new = sqlite3.connect(fresh, isolation_level=None)
    try:
        ensure_schema(new)
        salvaged = _salvage(db, new) if db.exists() else {}
    finally:
        new.close()
    for part in _db_files(db):
        _move_aside(part, aside, report)
    os.replace(fresh, db)
    if salvaged:
        report.notes.append(
            "salvaged from the damaged database: "
            + ", ".join(f"{n} {t}" for t, n in salvaged.items())
        )


def _db_files(db: Path) -> list[Path]:
    return [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]


def _salvage(path: Path, new: sqlite3.Connection) -> dict[str, int]:
    """Copy every readable row of the damaged database at `path` into `new`."""
    copied: dict[str, int] = {}
    try:
        old = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return copied
    try:
        for table in TABLES:
            try:
                cols = [r[1] for r in old.execute(f"PRAGMA table_info({table})")]
            except sqlite3.DatabaseError:
                continue
            if not cols:
                continue
            keep = ["rowid", *cols] if table == "chunks" else cols
            insert = (
                f"INSERT OR IGNORE INTO {table}({', '.join(keep)}) "
                f"VALUES ({', '.join('?' * len(keep))})"
            )
            n = 0
            with transaction(new):
                for row in _readable_rows(old, table, cols):
                    new.execute(insert, row if table == "chunks" else row[1:])
                    n += 1
            copied[table] = n
    finally:
        old.close()
    return copied


def _readable_rows(old: sqlite3.Connection, table: str, cols: list[str]) -> Iterator[tuple]:
    """Rows in rowid order, stepping over damaged pages (bounded number of attempts)."""
    last, skip, attempts = 0, 1, 0
    select = f"SELECT rowid, {', '.join(cols)} FROM {table} WHERE rowid > ? ORDER BY rowid"
    while attempts < 64:
        try:
            for row in old.execute(select, (last,)):
                last, skip = int(row[0]), 1
                yield tuple(row)
            return
        except sqlite3.DatabaseError:
            attempts += 1
            last += skip
            skip *= 2


def _repair_rows(db: sqlite3.Connection, aside: Path, report: RepairReport) -> None:
    """In one transaction: drop orphans, set aside articles without chunks, rebuild the keyword
    index."""
    dim = _embedding_dim(db)
    with transaction(db):
        db.execute("DELETE FROM chunks WHERE article_id NOT IN (SELECT article_id FROM articles)")
        bad_blob = (
            f"OR EXISTS (SELECT 1 FROM chunks c WHERE c.article_id = a.article_id "
            f"AND length(c.embedding) != {4 * dim})"
            if dim
            else ""
        )
        rows = db.execute(
            "SELECT * FROM articles a WHERE NOT EXISTS "
            f"(SELECT 1 FROM chunks c WHERE c.article_id = a.article_id) {bad_blob}"
        ).fetchall()
        if rows:
            _save_for_reingest(rows, aside, report)
            for part in batches([r["article_id"] for r in rows]):
                m = marks(part)
                db.execute(f"DELETE FROM chunks WHERE article_id IN ({m})", part)
                db.execute(
                    f"DELETE FROM duplicates WHERE original_id IN ({m}) OR article_id IN ({m})",
                    part + part,
                )
                db.execute(f"DELETE FROM lsh WHERE article_id IN ({m})", part)
                db.execute(f"DELETE FROM articles WHERE article_id IN ({m})", part)
        db.execute("DELETE FROM lsh WHERE article_id NOT IN (SELECT article_id FROM articles)")
        db.execute(
            "DELETE FROM duplicates WHERE original_id NOT IN (SELECT article_id FROM articles)"
        )
        keyword.rebuild(db)  # derived data: rebuilt whole from articles and chunks


def _save_for_reingest(rows: list[sqlite3.Row], aside: Path, report: RepairReport) -> None:
    """Articles about to be removed for want of chunks: kept as `reingest` and in a file."""
    report.reingest = [
        RawArticle(
            text=r["text"],
            title=r["title"],
            url=r["url"],
            published=r["published"],
            source=r["source"],
            authors=tuple(json.loads(r["authors"] or "[]")),
            origin=r["origin"] or r["article_id"],
            extra={"format": "repair"},
        )
        for r in rows
    ]
    aside.mkdir(parents=True, exist_ok=True)
    out = aside / "reingest.jsonl"
    with out.open("w", encoding="utf-8") as f:
        for a in report.reingest:
            rec = {
                "title": a.title,
                "text": a.text,
                "url": a.url,
                "published": a.published,
                "source": a.source,
                "authors": list(a.authors),
            }
            f.write(json.dumps({k: v for k, v in rec.items() if v}) + "\n")
    report.reingest_file = str(out)
    report.saved_articles = [r["article_id"] for r in rows]


def _embedding_dim(db: sqlite3.Connection) -> int | None:
    row = db.execute("SELECT value FROM meta WHERE key = 'embedder'").fetchone()
    try:
        return int(str(row[0]).rsplit(":", 1)[1]) if row else None
    except (IndexError, ValueError):
        return None


# --- the vectors --------------------------------------------------------------------------------
def _repair_vectors(
    db: sqlite3.Connection, settings: Settings, aside: Path, report: RepairReport
) -> bool:
    """Make the vectors match the stored chunks exactly; False when they cannot be reached."""
    probe = RepairReport(data_dir=report.data_dir)
    vec, items = open_vectors(settings, probe, create=True)
    unfixable = [f for f in probe.findings if not f.fixable]
    if unfixable:
        report.findings.extend(unfixable)
        return False
    stored = {r[0] for r in db.execute("SELECT chunk_id FROM chunks")}
    texts = {r[0] for r in db.execute("SELECT article_id FROM articles")}
    pending = journal.pending_ids(db)
    orphans = [i for i in items if i not in stored]
    # vectors of a write a crash interrupted were never an article: not lost, just undone
    lost = {str(items[i].get("article_id")) for i in orphans if i not in pending}
    lost -= texts | set(report.saved_articles) | {"None"}
    report.lost_articles = sorted(set(report.lost_articles) | lost)
    if vec is not None and settings.chroma_url is None and not stored and orphans:
        vec.close()  # only vectors without text: keep them aside, start an empty folder
        _move_aside(settings.chroma_path, aside, report)
        vec, items, orphans = None, {}, []
    if vec is None:  # embedded folder missing or unreadable: build a new one beside it
        target = settings.chroma_path
        tmp = target.with_name(target.name + ".rebuild-tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        vec = VectorIndex(path=tmp, url=None, collection=settings.collection)
        try:
            _upsert_from_db(db, vec, None)
        finally:
            vec.close()
        if target.exists():
            _move_aside(target, aside, report)
        os.replace(tmp, target)
        return True
    try:
        if orphans:
            vec.delete(orphans)
        missing = [c for c in stored if c not in items]
        if missing:
            _upsert_from_db(db, vec, set(missing))
    finally:
        vec.close()
    return True


def _upsert_from_db(db: sqlite3.Connection, vec: VectorIndex, only: set[str] | None) -> None:
    """Write vectors for stored chunks (all, or `only` these ids) from their stored embeddings."""
    rows = db.execute(
        "SELECT c.chunk_id, c.embedding, c.article_id, a.source, a.published FROM chunks c"
        " JOIN articles a ON a.article_id = c.article_id ORDER BY c.rowid"
    )
    while batch := rows.fetchmany(2000):
        batch = [r for r in batch if only is None or r[0] in only]
        if not batch:
            continue
        ids = [r[0] for r in batch]
        vecs = np.stack([np.frombuffer(r[1], dtype=np.float32) for r in batch])
        vec.upsert(ids, vecs, [vector_metadata(r[2], r[3], r[4]) for r in batch])


def _move_aside(path: Path, aside: Path, report: RepairReport) -> None:
    aside.mkdir(parents=True, exist_ok=True)
    dest = aside / path.name
    os.replace(path, dest)
    report.moved_aside.append(str(dest))
