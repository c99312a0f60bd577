"""The systems under evaluation: newsqa (a store built by `ingest`, asked through `ask`) and the
LangChain tutorial baseline, each producing one record per question."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import metrics as m
from benchmarks.datasets import EvalArticle, EvalQuestion, EvalSet, normalize_url
from qa.core.errors import NewsQAError
from qa.core.settings import Settings

AskFn = Callable[..., Any]
_LINE = re.compile(r":line (\d+)$")
_MARKERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


# settings that change what a store holds; a kept store is reused only when these match
INGEST_FIELDS = (
    "collection",
    "chunk_size",
    "chunk_overlap",
    "embedding_backend",
    "embedding_model",
    "max_article_chars",
    "duplicate_threshold",
)
_MANIFEST = "run.json"


class StoreRun:
    """One newsqa store built from a list of articles, and how its ids map back to data set keys."""

    def __init__(
        self, settings: Settings, articles: Sequence[EvalArticle], report: Any, seconds: float
    ) -> None:
        self.settings = settings
        self.seconds = seconds
        self.report = report
        self.key_of: dict[str, str] = {}  # stored article id -> data set key
        self.alias: dict[str, str] = {}  # key of a near-duplicate -> key of the stored original
        if report is None:  # filled by `from_manifest`
            self.stored = self.duplicates = self.failed = self.chunks = 0
            return
        dup_of: dict[str, str] = {}
        for item in report.items:
            match = _LINE.search(item.origin or "")
            if not match or not item.article_id:
                continue
            art = articles[int(match.group(1)) - 1]
            self.key_of[item.article_id] = art.key
            if item.status == "duplicate" and item.duplicate_of:
                dup_of[art.key] = item.duplicate_of
        for key, original_id in dup_of.items():
            original = self.key_of.get(original_id, normalize_url(original_id))
            if original != key:
                self.alias[key] = original
        counts = report.counts()
        self.stored = counts["ingested"] + counts["updated"] + counts["unchanged"]
        self.duplicates = counts["duplicate"]
        self.failed = counts["failed"]
        self.chunks = int(report.chunks_written)

    def manifest(self, fingerprint: str) -> dict[str, Any]:
        """What `from_manifest` needs to score against this store without rebuilding it."""
        return {
            "fingerprint": fingerprint,
            "seconds": self.seconds,
            "key_of": self.key_of,
            "alias": self.alias,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "failed": self.failed,
            "chunks": self.chunks,
        }

    @classmethod
    def from_manifest(cls, settings: Settings, data: dict[str, Any]) -> StoreRun:
        """A run over a store built earlier (see `build_store(..., keep=True)`)."""
        run = cls(settings, [], None, float(data["seconds"]))
        run.key_of = dict(data["key_of"])
        run.alias = dict(data["alias"])
        for name in ("stored", "duplicates", "failed", "chunks"):
            setattr(run, name, int(data[name]))
        return run

    def key(self, article_id: str | None, url: str | None = None) -> str:
        """The data set key of a stored article (its own key if it is a near-duplicate's original)."""
        if article_id and article_id in self.key_of:
            return self.key_of[article_id]
        return normalize_url(url) or normalize_url(article_id)


def canonical(key: str, alias: dict[str, str]) -> str:
    """The key that stands for `key`'s near-duplicate group (the stored original's key)."""
    return alias.get(key, key)


def store_fingerprint(articles: Sequence[EvalArticle], settings: Settings) -> str:
    """A digest of the articles and the ingest settings: equal digests, equal stores."""
    h = hashlib.sha256()
    dumped = settings.model_dump(mode="json", include=set(INGEST_FIELDS))
    h.update(json.dumps(dumped, sort_keys=True).encode())
    for a in articles:
        h.update(json.dumps([a.key, a.to_record()], ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()


def build_store(
    articles: Sequence[EvalArticle],
    evalset: EvalSet,
    settings: Settings,
    folder: Path,
    progress: bool,
    keep: bool = False,
) -> StoreRun:
    """Ingest `articles` (written as JSON Lines) into a fresh store under `folder`.

    The embedding model is loaded before the clock starts, as the baseline's is, so the ingest
    time is reading, chunking, embedding and writing. With `keep`, the store and a manifest stay
    in `folder`, and a later call with the same articles and ingest settings reuses them (the
    reported ingest time is then the original build's).
    """
    from ingest import ingest
    from qa.core.embeddings import get_embedder

    store_settings = settings.model_copy(update={"data_dir": folder / "store"})
    manifest = folder / _MANIFEST
    fingerprint = store_fingerprint(articles, settings) if keep else ""
    if keep and manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("fingerprint") == fingerprint:
            if progress:
                print(f"newsqa: reusing the store in {folder}", file=sys.stderr)
            return StoreRun.from_manifest(store_settings, data)
    if keep and folder.exists():
        import shutil

        shutil.rmtree(folder)  # a store of other articles or settings: rebuilt from scratch
    folder.mkdir(parents=True)
    source = folder / "articles.jsonl"
    evalset.write_jsonl(source, articles)
    get_embedder(store_settings)
    started = time.perf_counter()
    report = ingest([str(source)], store_settings, progress=progress)
    run = StoreRun(store_settings, articles, report, time.perf_counter() - started)
    source.unlink()
    if keep:  # written last: a store without its manifest is never reused
        manifest.write_text(json.dumps(run.manifest(fingerprint)), encoding="utf-8")
    return run


def contained(text: str, q: EvalQuestion) -> bool:
    """Gold containment: RGB's every-group rule when the question has groups, else any answer."""
    if q.answer_groups:
        return m.contains_all_groups(text, q.answer_groups)
    return m.contains_any(text, q.answers)


def _failed(exc: Exception, wall: float) -> dict[str, Any]:
    """The record of a question whose `ask` raised: unanswered, nothing retrieved."""
    return {
        "answered": False,
        "answer": "",
        "contained": False,
        "words": 0,
        "rank": None,
        "retrieved": [],
        "citations": 0,
        "citations_in_gold": 0,
        "citations_exact": 0,
        "markers_cited": True,
        "latency": wall,
        "wall": wall,
        "timings": {},
        "diagnostics": {},
        "error": f"{type(exc).__name__}: {exc}",
    }


def ask_all(
    evalset: EvalSet,
    run: StoreRun,
    ask_fn: AskFn,
    answerer: str | None,
    k: int | None,
    progress: bool,
    label: str,
    settings: Settings | None = None,
) -> list[dict[str, Any]]:
    """Ask every question against one store; one record per question. `settings` replaces the
    run's own for the answer step (the same store, e.g. another answer scorer)."""
    from qa.store import Store

    records: list[dict[str, Any]] = []
    texts: dict[str, str | None] = {}
    asked = settings or run.settings
    store = Store.open(run.settings)
    try:
        for i, q in enumerate(evalset.questions, 1):
            t0 = time.perf_counter()
            try:
                # asked on the day the quiz asked it (RealTime QA's protocol), when the set says
                answer = ask_fn(
                    q.question,
                    settings=asked,
                    store=store,
                    answerer=answerer,
                    k=k,
                    as_of=q.date[:10] if q.date else None,
                )
            except NewsQAError as exc:  # recorded and reported, so one bad question is visible
                records.append(_failed(exc, time.perf_counter() - t0))
                continue
            wall = time.perf_counter() - t0
            gold = {canonical(g, run.alias) for g in q.gold_keys}
            ranked = m.distinct_in_order(run.key(p.article_id, p.url) for p in answer.passages)
            rank = m.gold_rank(ranked, gold)
            cited = [run.key(c.article_id, c.url) for c in answer.citations]
            in_gold, n_cit = m.citation_precision(cited, gold)
            exact = 0
            for c in answer.citations:
                if c.article_id not in texts:
                    art = store.get_article(c.article_id)
                    texts[c.article_id] = None if art is None else art.text
                text = texts[c.article_id]
                exact += int(text is not None and text[c.start : c.end] == c.quote)
            numbers = {int(n) for g in _MARKERS.findall(answer.text) for n in g.split(",")}
            records.append(
                {
                    "answered": bool(answer.answered),
                    "answer": answer.text,
                    "contained": bool(answer.answered) and contained(answer.text, q),
                    "words": m.answer_words(answer.text) if answer.answered else 0,
                    "rank": rank,
                    "retrieved": ranked[:10],
                    "citations": n_cit,
                    "citations_in_gold": in_gold,
                    "citations_exact": exact,
                    "markers_cited": numbers <= {c.n for c in answer.citations},
                    "latency": float(answer.timings.get("total", wall)),
                    "wall": wall,
                    "timings": {k_: round(float(v), 6) for k_, v in answer.timings.items()},
                    "diagnostics": answer.diagnostics.to_dict(),
                    "error": None,
                }
            )
            if progress:
                print(f"\r{label}: {i}/{len(evalset.questions)}", end="", file=sys.stderr)
    finally:
        store.close()
    if progress:
        print(file=sys.stderr)
    return records


def run_baseline(
    evalset: EvalSet, folder: Path, alias: dict[str, str], progress: bool, keep: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Build the tutorial store under `folder` and search every question (top-10, dense).

    Near-duplicates newsqa folded are scored as one article here too (`alias`), so both systems
    are matched against the same gold groups. With `keep`, a store built earlier from the same
    articles is reopened instead of rebuilt (its reported ingest is the original build's).
    """
    from benchmarks.baseline import BaselineIngest, TutorialBaseline

    base = TutorialBaseline(folder / "chroma")
    manifest = folder / _MANIFEST
    fingerprint = ""
    built: BaselineIngest | None = None
    if keep:
        h = hashlib.sha256()
        for a in evalset.articles:
            h.update(json.dumps([a.key, a.text], ensure_ascii=False).encode())
        fingerprint = h.hexdigest()
        if manifest.is_file():
            data = json.loads(manifest.read_text(encoding="utf-8"))
            if data.get("fingerprint") == fingerprint:
                if progress:
                    print(f"baseline: reusing the store in {folder}", file=sys.stderr)
                base.open()
                built = BaselineIngest(**data["ingest"])
        if built is None and folder.exists():
            import shutil

            shutil.rmtree(folder)
    if built is None:
        folder.mkdir(parents=True, exist_ok=True)
        built = base.build(evalset.articles)
        if keep:
            manifest.write_text(
                json.dumps({"fingerprint": fingerprint, "ingest": built.__dict__}),
                encoding="utf-8",
            )
    records = []
    for i, q in enumerate(evalset.questions, 1):
        t0 = time.perf_counter()
        hits = base.search(q.question)
        wall = time.perf_counter() - t0
        gold = {canonical(g, alias) for g in q.gold_keys}
        ranked = m.distinct_in_order(canonical(h.key, alias) for h in hits)
        top = hits[0].text if hits else ""
        records.append(
            {
                "answered": bool(hits),
                "answer": top,
                "contained": bool(hits) and contained(top, q),
                "words": m.answer_words(top),
                "rank": m.gold_rank(ranked, gold),
                "retrieved": ranked[:10],
                "latency": wall,
                "wall": wall,
            }
        )
        if progress:
            print(f"\rbaseline: {i}/{len(evalset.questions)}", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    ingest = {
        "articles": built.articles,
        "chunks": built.chunks,
        "seconds": built.seconds,
        "model_load_seconds": built.model_load_seconds,
        **{f"{k}_seconds": v for k, v in built.timings.items()},
    }
    return ingest, records
