"""`check()`: what is wrong with a store, part by part, without changing it; the report's types.

SQLite is the source of truth: it holds every article's text, its chunks' offsets and their
embeddings. So the vectors (Chroma) and the keyword index can always be rebuilt from it
(`qa.store.repair`); what cannot be rebuilt is text, and the report names what was lost.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qa.core.errors import NewsQAError, StoreNotFoundError
from qa.core.schema import RawArticle
from qa.core.settings import Settings
from qa.store import journal, keyword
from qa.store.database import connect, ensure_schema
from qa.store.vectors import VectorIndex

REBUILD_VECTORS = "rebuild every vector from the embeddings stored in the database"


@dataclass(frozen=True)
class Finding:
    """One problem: which part of the store, what is wrong, and what repair does about it."""

    part: str  # "database", "vectors", "keyword index", "journal", "chunks"
    problem: str
    action: str
    fixable: bool = True


@dataclass
class RepairReport:
    """What `check()` found, or what `repair()` did.

    `reingest` holds the articles whose chunks were lost (their text survived): pass them to
    `ingest.ingest_articles` to store them again. They are also saved to `reingest_file` for
    `newsqa ingest`.
    """

    data_dir: str
    repaired: bool = False
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int | None] = field(default_factory=dict)  # as the store is now
    lost_articles: list[str] = field(default_factory=list)  # ids whose text is gone for good
    reingest_file: str | None = None  # articles whose chunks were lost: ingest this file again
    saved_articles: list[str] = field(default_factory=list)  # the ids in `reingest_file`
    reingest: list[RawArticle] = field(default_factory=list)  # the same articles, in memory
    moved_aside: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """True when nothing is (or, after a repair, remains) wrong."""
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        out = {**asdict(self), "healthy": self.healthy}
        out["reingest"] = [{"title": a.title, "origin": a.origin} for a in self.reingest]
        return out

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
    report.notes.append(journal.lock_state(settings.data_dir))
    db = open_database(settings, report, readonly=True)
    vec, vec_items = open_vectors(settings, report, create=False)
    try:
        if db is not None:
            _check_rows(db, report)
        _check_vectors(db, vec, vec_items, settings, report)
        report.counts = counts(db, vec)
    finally:
        if db is not None:
            db.close()
        if vec is not None:
            vec.close()
    return report


def open_database(
    settings: Settings, report: RepairReport, *, readonly: bool
) -> sqlite3.Connection | None:
    """The store's database (read-only, or writable with its schema made complete), or None
    with a finding saying why it cannot be opened."""
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
        conn = connect(db, readonly=readonly, autocommit=True, checked=False)
        if not readonly:
            ensure_schema(conn)
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
    path = Path(db.execute("PRAGMA database_list").fetchone()[2])
    problem = keyword.problem(db, thorough=path)
    if problem:
        report.findings.append(
            Finding("keyword index", problem, "rebuild it from the stored chunks")
        )


def open_vectors(
    settings: Settings, report: RepairReport, *, create: bool
) -> tuple[VectorIndex | None, dict[str, dict[str, Any]]]:
    """The vector index and its `{id: metadata}`, or (None, {}) with a finding."""
    if settings.chroma_url is None and not settings.chroma_path.exists():
        report.findings.append(
            Finding(
                "vectors",
                f"the vector folder {settings.chroma_path.name}/ is missing",
                REBUILD_VECTORS,
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
        action = (
            REBUILD_VECTORS
            if fixable
            else "start the Chroma server, then run `newsqa repair` again"
        )
        report.findings.append(Finding("vectors", problem, action, fixable))
        return None, {}
    try:
        return vec, dict(vec.all_items())
    except NewsQAError as exc:  # opens, but its index files cannot be read (a kill mid-persist)
        vec.close()
        fixable = settings.chroma_url is None
        report.findings.append(
            Finding(
                "vectors",
                f"the vector store cannot be read ({exc})",
                REBUILD_VECTORS if fixable else "check the Chroma server, then run `newsqa repair`",
                fixable,
            )
        )
        return None, {}


def _check_vectors(
    db: sqlite3.Connection | None,
    vec: VectorIndex | None,
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


def counts(db: sqlite3.Connection | None, vec: VectorIndex | None) -> dict[str, int | None]:
    """The row counts of every part of the store (None for a part that cannot be read)."""

    def one(q: str) -> int | None:
        if db is None:
            return None
        try:
            return int(db.execute(q).fetchone()[0])
        except sqlite3.OperationalError:  # a missing table: the findings say so
            return None

    return {
        "articles": one("SELECT count(*) FROM articles"),
        "chunks": one("SELECT count(*) FROM chunks"),
        "keyword_index_rows": one("SELECT count(*) FROM keyword_chunks"),
        "vectors": vec.count() if vec is not None else None,
        "pending_journal": one("SELECT count(*) FROM journal"),
    }
