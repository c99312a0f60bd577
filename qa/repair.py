"""`check()` and `repair()`: find what is wrong with a store and rebuild what can be rebuilt.

SQLite is the source of truth: it holds every article's text, its chunks' offsets and their
embeddings. So the vectors (Chroma) and the keyword index (FTS5) can always be rebuilt from it,
without embedding anything again. What cannot be rebuilt is text: when the database is gone, the
vectors that survive hold no text, and the report names the articles that were lost.

Every step is atomic: SQLite fixes run in one transaction, a salvaged database and a rebuilt
vector folder are written beside the old ones and swapped in by renaming, and whatever is
replaced is moved into `<data dir>/repair-<time>/`, never deleted.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import NewsQAError, StoreBusyError, StoreNotFoundError
from qa.settings import Settings

_TABLES = ("meta", "articles", "chunks", "lsh", "duplicates", "journal")  # salvage order


@dataclass(frozen=True)
class Finding:
    """One problem: which part of the store, what is wrong, and what repair does about it."""

    part: str  # "database", "vectors", "keyword index", "journal", "chunks"
    problem: str
    action: str
    fixable: bool = True


@dataclass
class RepairReport:
    """What `check()` found, or what `repair()` did."""

    data_dir: str
    repaired: bool = False
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int | None] = field(default_factory=dict)  # as the store is now
    lost_articles: list[str] = field(default_factory=list)  # ids whose text is gone for good
    reingest_file: str | None = None  # articles whose chunks were lost: ingest this file again
    saved_articles: list[str] = field(default_factory=list)  # the ids in `reingest_file`
    moved_aside: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """True when nothing is (or, after a repair, remains) wrong."""
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "healthy": self.healthy}

    def summary(self) -> str:
        lines = [f"store: {self.data_dir}"]
        for f in self.findings:
            lines.append(f"  {f.part}: {f.problem}")
            lines.append(f"    -> {f.action}" if f.fixable else f"    !! cannot fix: {f.action}")
        if not self.findings:
            lines.append("  no problems " + ("left" if self.repaired else "found"))
        if self.lost_articles:
            lines.append(
                f"  LOST: {len(self.lost_articles)} article(s) whose text no longer exists "
                "anywhere; ingest their sources again:"
            )
            lines.extend(f"    {a}" for a in self.lost_articles[:50])
            if len(self.lost_articles) > 50:
                lines.append(f"    ... and {len(self.lost_articles) - 50} more (see --json)")
        if self.reingest_file:
            lines.append(
                f"  articles whose chunks were lost were saved to {self.reingest_file}: "
                f"`newsqa ingest {self.reingest_file}` stores them again"
            )
        lines.extend(f"  moved aside: {p}" for p in self.moved_aside)
        lines.extend(f"  note: {n}" for n in self.notes)
        counts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        lines.append(f"  counts: {counts}")
        if self.findings:
            lines.append(
                f"  {len(self.findings)} problem(s) {'left' if self.repaired else 'found'}"
            )
        return "\n".join(lines)


def check(settings: Settings) -> RepairReport:
    """Inspect the store without changing it.

    Raises:
        StoreNotFoundError: there is no data directory.
    """
    if not settings.data_dir.is_dir():
        raise StoreNotFoundError(f"no article store at {settings.data_dir}: nothing to check")
    report = RepairReport(data_dir=str(settings.data_dir))
    report.notes.append(_lock_note(settings))
    db = _open_db(settings, report, readonly=True)
    vec, vec_items = _open_vectors(settings, report, create=False)
    try:
        if db is not None:
            _check_rows(db, report)
        _check_vectors(db, vec, vec_items, settings, report)
        report.counts = _counts(db, vec)
    finally:
        if db is not None:
            db.close()
        if vec is not None:
            vec.close()
    return report


def repair(settings: Settings) -> RepairReport:
    """Fix every problem `check()` finds that can be fixed, under the store's writer lock.

    Returns the report of what was done, with `findings` listing what is still wrong (empty
    when the store is healthy again) and `lost_articles` what can never come back.

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
    with _writer_lock(settings):
        _repair_database(settings, aside, report)
        db = _open_db(settings, report, readonly=False)
        if db is None:  # could not even create a fresh one; the findings say why
            report.findings.extend(f for f in before.findings if not f.fixable)
            return report
        try:
            _repair_rows(db, aside, report)
            if _repair_vectors(db, settings, aside, report):
                with _tx(db):
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


def _open_db(
    settings: Settings, report: RepairReport, *, readonly: bool
) -> sqlite3.Connection | None:
    db = settings.db_path
    if not db.exists() and readonly:
        report.findings.append(
            Finding(
                "database",
                f"the article database {db.name} is missing",
                "start an empty database; vectors without text are moved aside",
            )
        )
        return None
    try:
        if readonly:
            conn = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True, timeout=30.0)
        else:
            conn = sqlite3.connect(db, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            from qa.store import _SCHEMA

            conn.executescript(_SCHEMA)
            conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '1')")
        conn.row_factory = sqlite3.Row
        problems = [r[0] for r in conn.execute("PRAGMA quick_check(20)")]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError("; ".join(problems[:3]))
        conn.execute("SELECT count(*) FROM articles").fetchone()
        return conn
    except sqlite3.DatabaseError as exc:
        msg = str(exc)
        if "readonly" in msg or "unable to open" in msg:
            report.findings.append(
                Finding("database", f"cannot open {db}: {msg}", "fix the permissions", False)
            )
        else:
            report.findings.append(
                Finding(
                    "database",
                    f"the article database is damaged ({msg})",
                    "copy every readable row into a new database and swap it in; articles that "
                    "cannot be read are reported as lost",
                )
            )
        return None


def _check_rows(db: sqlite3.Connection, report: RepairReport) -> None:
    def one(q: str) -> int:
        return int(db.execute(q).fetchone()[0])

    pending = one("SELECT count(*) FROM journal")
    if pending:
        report.findings.append(
            Finding(
                "journal",
                f"{pending} vector write(s) interrupted by a crash are still pending",
                "replay them: remove vectors whose chunk was never stored",
            )
        )
    no_chunks = one(
        "SELECT count(*) FROM articles a WHERE NOT EXISTS "
        "(SELECT 1 FROM chunks c WHERE c.article_id = a.article_id)"
    )
    if no_chunks:
        report.findings.append(
            Finding(
                "chunks",
                f"{no_chunks} article(s) have text but no chunks (they are never found)",
                "save them to a file for `newsqa ingest` and remove them, so ingesting that "
                "file stores them again",
            )
        )
    orphans = one(
        "SELECT count(*) FROM chunks c WHERE NOT EXISTS "
        "(SELECT 1 FROM articles a WHERE a.article_id = c.article_id)"
    )
    if orphans:
        report.findings.append(
            Finding("chunks", f"{orphans} chunk(s) belong to no article", "remove them")
        )
    fts, chunks = one("SELECT count(*) FROM chunks_fts"), one("SELECT count(*) FROM chunks")
    missing = one(
        "SELECT count(*) FROM chunks c WHERE NOT EXISTS "
        "(SELECT 1 FROM chunks_fts f WHERE f.rowid = c.rowid)"
    )
    broken = _fts_integrity(db)
    if fts != chunks or missing or broken:
        report.findings.append(
            Finding(
                "keyword index",
                f"the keyword index has {fts} row(s) for {chunks} chunk(s){broken}",
                "rebuild it from the stored chunks",
            )
        )


def _fts_integrity(db: sqlite3.Connection) -> str:
    """FTS5's own integrity check (a write statement to SQLite, so run on a second connection
    inside a transaction that is rolled back); "" when fine or when it cannot run."""
    path = db.execute("PRAGMA database_list").fetchone()[2]
    try:
        rw = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    except sqlite3.Error:
        return ""
    try:
        rw.execute("BEGIN")
        rw.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")
        return ""
    except sqlite3.DatabaseError as exc:
        msg = str(exc)
        return "" if "readonly" in msg or "locked" in msg else f" (FTS5 integrity check: {msg})"
    finally:
        with contextlib.suppress(sqlite3.Error):
            rw.execute("ROLLBACK")
        rw.close()


def _repair_database(settings: Settings, aside: Path, report: RepairReport) -> None:
    """Replace a missing or damaged database with a fresh or salvaged one."""
    db = settings.db_path
    probe = RepairReport(data_dir=report.data_dir)
    conn = _open_db(settings, probe, readonly=True)
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
        from qa.store import _SCHEMA

        new.executescript(_SCHEMA)
        salvaged = _salvage(db, new) if db.exists() else {}
        new.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '1')")
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
        for table in _TABLES:
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
            new.execute("BEGIN")
            for row in _readable_rows(old, table, cols):
                new.execute(insert, row if table == "chunks" else row[1:])
                n += 1
            new.execute("COMMIT")
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
    """In one transaction: drop orphans, set aside articles without chunks, rebuild FTS."""
    dim = _embedding_dim(db)
    with _tx(db):
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
            aside.mkdir(parents=True, exist_ok=True)
            out = aside / "reingest.jsonl"
            with out.open("w", encoding="utf-8") as f:
                for r in rows:
                    rec = {
                        "title": r["title"],
                        "text": r["text"],
                        "url": r["url"],
                        "published": r["published"],
                        "source": r["source"],
                        "authors": json.loads(r["authors"] or "[]"),
                    }
                    f.write(json.dumps({k: v for k, v in rec.items() if v}) + "\n")
            report.reingest_file = str(out)
            ids = [r["article_id"] for r in rows]
            report.saved_articles = ids
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                marks = ",".join("?" * len(part))
                db.execute(f"DELETE FROM chunks WHERE article_id IN ({marks})", part)
                db.execute(
                    f"DELETE FROM duplicates WHERE original_id IN ({marks}) "
                    f"OR article_id IN ({marks})",
                    part + part,
                )
                db.execute(f"DELETE FROM lsh WHERE article_id IN ({marks})", part)
                db.execute(f"DELETE FROM articles WHERE article_id IN ({marks})", part)
        db.execute("DELETE FROM lsh WHERE article_id NOT IN (SELECT article_id FROM articles)")
        db.execute(
            "DELETE FROM duplicates WHERE original_id NOT IN (SELECT article_id FROM articles)"
        )
        # the keyword index is derived data: rebuild it whole from articles and chunks
        db.execute("DELETE FROM chunks_fts")
        db.execute(
            "INSERT INTO chunks_fts(rowid, text, title) SELECT c.rowid,"
            " substr(a.text, c.start + 1, c.end - c.start), a.title"
            " FROM chunks c JOIN articles a ON a.article_id = c.article_id"
        )


def _embedding_dim(db: sqlite3.Connection) -> int | None:
    row = db.execute("SELECT value FROM meta WHERE key = 'embedder'").fetchone()
    try:
        return int(str(row[0]).rsplit(":", 1)[1]) if row else None
    except (IndexError, ValueError):
        return None


# --- the vectors --------------------------------------------------------------------------------


def _open_vectors(
    settings: Settings, report: RepairReport, *, create: bool
) -> tuple[Any, dict[str, dict[str, Any]]]:
    """The vector index and its `{id: metadata}`, or (None, {}) with a finding."""
    from qa.vectors import VectorIndex

    if settings.chroma_url is None and not settings.chroma_path.exists():
        report.findings.append(
            Finding(
                "vectors",
                f"the vector folder {settings.chroma_path.name}/ is missing",
                "rebuild every vector from the embeddings stored in the database",
            )
        )
        return None, {}
    try:
        vec = VectorIndex(
            path=None if settings.chroma_url else settings.chroma_path,
            url=settings.chroma_url,
            collection=settings.collection,
            timeout=settings.chroma_timeout,
            create=create,
        )
    except NewsQAError as exc:
        cause = type(exc.__cause__).__name__ if exc.__cause__ else ""
        if cause == "NotFoundError" or "does not exist" in str(exc):
            problem, fixable = f"the collection {settings.collection!r} is missing", True
        elif settings.chroma_url:
            problem, fixable = str(exc), False
        else:
            problem, fixable = f"the vector store cannot be opened ({exc})", True
        report.findings.append(
            Finding(
                "vectors",
                problem,
                "rebuild every vector from the embeddings stored in the database"
                if fixable
                else "start the Chroma server, then run `newsqa repair` again",
                fixable,
            )
        )
        return None, {}
    return vec, dict(vec.all_items())


def _check_vectors(
    db: sqlite3.Connection | None,
    vec: Any,
    items: dict[str, dict[str, Any]],
    settings: Settings,
    report: RepairReport,
) -> None:
    if db is None and settings.db_path.exists():
        report.notes.append(
            "the database is damaged: `newsqa repair` keeps every row it can read and then "
            "reports the articles that are lost"
        )
        return
    if db is None:
        lost = sorted({str(m.get("article_id")) for m in items.values() if m.get("article_id")})
        if lost:
            report.findings.append(
                Finding(
                    "vectors",
                    f"{len(items)} vector(s) of {len(lost)} article(s) survive without their "
                    "text: those articles are lost",
                    "list them, and move the vectors aside",
                )
            )
            report.lost_articles = lost
        return
    if vec is None:
        return
    chunk_ids = {r[0] for r in db.execute("SELECT chunk_id FROM chunks")}
    extra = len(items.keys() - chunk_ids)
    missing = len(chunk_ids - items.keys())
    if extra:
        report.findings.append(
            Finding("vectors", f"{extra} vector(s) have no chunk", "delete those vectors")
        )
    if missing:
        report.findings.append(
            Finding(
                "vectors",
                f"{missing} chunk(s) have no vector",
                "add their vectors from the embeddings stored in the database",
            )
        )


def _repair_vectors(
    db: sqlite3.Connection, settings: Settings, aside: Path, report: RepairReport
) -> bool:
    """Make the vectors match the stored chunks exactly; False when they cannot be reached."""
    from qa.vectors import VectorIndex

    probe = RepairReport(data_dir=report.data_dir)
    vec, items = _open_vectors(settings, probe, create=True)
    unfixable = [f for f in probe.findings if not f.fixable]
    if unfixable:
        report.findings.extend(unfixable)
        return False
    stored = {r[0] for r in db.execute("SELECT chunk_id FROM chunks")}
    texts = {r[0] for r in db.execute("SELECT article_id FROM articles")}
    pending = {i for r in db.execute("SELECT ids FROM journal") for i in json.loads(r[0])}
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
        _remove_tree(tmp)
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


def _upsert_from_db(db: sqlite3.Connection, vec: Any, only: set[str] | None) -> None:
    """Write vectors for stored chunks (all, or `only` these ids) from their stored embeddings."""
    from qa.store import published_day

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
        metas = [
            {
                "article_id": r[2],
                "source_key": (r[3] or "").lower(),
                "published_day": published_day(r[4]),
            }
            for r in batch
        ]
        vec.upsert(ids, vecs, metas)


# --- helpers ------------------------------------------------------------------------------------


def _counts(db: sqlite3.Connection | None, vec: Any) -> dict[str, int | None]:
    def one(q: str) -> int | None:
        if db is None:
            return None
        return int(db.execute(q).fetchone()[0])

    return {
        "articles": one("SELECT count(*) FROM articles"),
        "chunks": one("SELECT count(*) FROM chunks"),
        "keyword_index_rows": one("SELECT count(*) FROM chunks_fts"),
        "vectors": vec.count() if vec is not None else None,
        "pending_journal": one("SELECT count(*) FROM journal"),
    }


@contextlib.contextmanager
def _tx(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextlib.contextmanager
def _writer_lock(settings: Settings) -> Iterator[None]:
    """The same OS lock `Store.writing()` takes: no ingest runs while repairing."""
    fd = os.open(settings.data_dir / "write.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusyError(
                f"another newsqa process is writing to {settings.data_dir}; "
                "let it finish (or stop it), then run `newsqa repair` again"
            ) from None
        yield
    finally:
        os.close(fd)


def _lock_note(settings: Settings) -> str:
    lock = settings.data_dir / "write.lock"
    if not lock.exists():
        return "no writer lock file"
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError as exc:
        return f"cannot open the writer lock: {exc}"
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return "the writer lock is free (a lock left by a killed process is released with it)"
    except BlockingIOError:
        return "another newsqa process is writing right now (writer lock held)"
    finally:
        os.close(fd)


def _move_aside(path: Path, aside: Path, report: RepairReport) -> None:
    aside.mkdir(parents=True, exist_ok=True)
    dest = aside / path.name
    os.replace(path, dest)
    report.moved_aside.append(str(dest))


def _remove_tree(path: Path) -> None:
    import shutil

    if path.exists():
        shutil.rmtree(path)
