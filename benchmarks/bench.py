"""Speed benchmark: newsqa against the LangChain tutorial pipeline, side by side in one run.

    python -m benchmarks.bench                                   # dev corpus, 3 repeats, 20k/200k/1M
    python -m benchmarks.bench --limit 40 --repeat 1 --scale 20000    # a quick smoke run
    python -m benchmarks.bench --limit 200 --profile             # where ingest and ask spend time

Corpus: the RealTime QA development articles (gold + gcs, deduplicated by normalised URL), read
where they lie; `--limit N` keeps the first N. Questions: those whose gold article is in the corpus.

Each system's ingest runs in its own subprocess (a fresh store, the embedding model loaded before
the clock starts), which prints its peak RSS; the repeats alternate which system goes first. The
machine is shared and noisy, so every speed is a median over `--repeat` runs and every ratio is
paired (computed within one repeat, then the median taken). The figures
(`benchmarks.bench_report.figures`):

- ingest: wall time of the indexing step (read, chunk, embed, write), articles/s, chunks/s (each
  system's own chunks), newsqa/tutorial articles/s, model load, process start to indexed (imports
  included), peak RSS of the process (max over repeats);
- re-ingest: newsqa ingesting the unchanged corpus again into the same store; first/re-ingest;
- retrieval: article-level hit@1/5/10 and MRR@10 (near-duplicates newsqa folds count as one
  article for both systems); newsqa asked with `as_of` = the question's date (the eval protocol)
  and without; the tutorial's dense top-10; newsqa on the torch reference embedder (once);
- ask: warm latency p50/p95 of `qa.ask` (retrieval + extractive answer) on an open store,
  with its stage medians; the tutorial's `similarity_search`;
- cold start: `newsqa ask "..."` in a fresh process, start to the first printed byte of the answer,
  and whether torch was imported on that path (`python -X importtime`);
- embeddings: cosine between the ONNX int8 and the torch embeddings of ~300 real chunks, and the
  raw throughput of both, alternating in one process;
- scale: ask latency with 20k/200k/1M chunks in one synthetic store grown size by size (the real
  chunks, then copies with perturbed vectors and the same texts in the keyword index), written
  through `Store.write_articles`. 1M chunks take about 6 GB of disk under `--workdir`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import metrics as m
from benchmarks.bench_report import MB, figures, format_table, latency
from benchmarks.datasets import EvalArticle, EvalSet, load_realtimeqa
from qa.core.errors import NewsQAError
from qa.core.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "realtimeqa"
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_SCALE = (20_000, 200_000, 1_000_000)
EMBED_SAMPLE = 300  # real chunks embedded by both embedders
SCALE_QUESTIONS = 100  # questions asked at each scale size
SCALE_NOISE = 0.35  # norm of the noise added to a copied vector (cosine to the original ~0.94)
WRITE_BATCH = 4000  # synthetic chunks per `write_articles` call
WARMUP_ASKS = 3


class BenchError(NewsQAError):
    """A benchmark step failed (a child process, the CLI, or the data)."""


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def peak_rss_bytes() -> int:
    """This process's peak resident set size (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def machine() -> dict[str, Any]:
    """Date, cores, CPU model, RAM, load and versions: what the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = round(int(line.split()[1]) / MB, 1)
    versions = {}
    for pkg in ("onnxruntime", "torch", "chromadb", "sentence-transformers", "langchain-chroma"):
        with contextlib.suppress(PackageNotFoundError):
            versions[pkg] = version(pkg)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": cpu,
        "ram_gb": ram,
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "versions": versions,
    }


# --- corpus ------------------------------------------------------------------------------------
def load_corpus(data: Path, limit: int | None = None) -> EvalSet:
    """The RealTime QA dev articles (first `limit`) and the questions whose gold is among them."""
    full = load_realtimeqa(Path(data))
    articles = full.articles[:limit] if limit else full.articles
    keys = {a.key for a in articles}
    questions = [q for q in full.questions if any(g in keys for g in q.gold_keys)]
    notes = [f"{len(articles)} of {len(full.articles)} articles; {len(questions)} questions"]
    return EvalSet("realtimeqa", articles, questions, notes)


def _write_corpus(evalset: EvalSet, path: Path) -> None:
    data = {
        "articles": [asdict(a) for a in evalset.articles],
        "questions": [{"question": q.question, "date": q.date} for q in evalset.questions],
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _read_corpus(path: Path) -> tuple[list[EvalArticle], list[tuple[str, str | None]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    arts = [EvalArticle(**{**a, "authors": tuple(a["authors"])}) for a in data["articles"]]
    return arts, [(q["question"], q["date"]) for q in data["questions"]]


def settings_dump(settings: Settings) -> dict[str, Any]:
    """Settings as JSON for a child process (the data directory is the child's own)."""
    return settings.model_dump(mode="json", exclude={"llm_api_key", "data_dir"})


def settings_env(settings: Settings) -> dict[str, str]:
    """NEWSQA_* variables reproducing `settings` (fields that differ from their defaults)."""
    env = {"NEWSQA_DATA_DIR": str(settings.data_dir)}
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        if name in ("data_dir", "llm_api_key") or value is None or value == info.default:
            continue
        env[f"NEWSQA_{name.upper()}"] = str(value)
    return env


# --- timed asks (shared by the children, the scale runs and the profile) -----------------------
def time_asks(
    questions: Sequence[tuple[str, str | None]],
    settings: Settings,
    store: Any,
    key: Callable[[Any], str] | None = None,
    modes: Sequence[str] = ("as_of", "no_as_of"),
) -> dict[str, dict[str, Any]]:
    """Ask every question through `qa.ask` on an open store, warm; per mode: the ranked
    article keys (with `key`), wall latencies and stage timings. Modes alternate per question."""
    from qa.answering.asking import ask

    for _ in range(WARMUP_ASKS):
        ask(questions[0][0] if questions else "warm up", settings=settings, store=store)
    out: dict[str, dict[str, Any]] = {
        mode: {"ranked": [], "latency": [], "stages": {}, "errors": 0} for mode in modes
    }
    for text, day in questions:
        for mode in modes:
            rec = out[mode]
            as_of = day[:10] if mode == "as_of" and day else None
            t0 = time.perf_counter()
            try:
                answer = ask(text, settings=settings, store=store, as_of=as_of)
            except NewsQAError:  # counted, and scored as a miss
                rec["errors"] += 1
                if key is not None:
                    rec["ranked"].append([])
                continue
            rec["latency"].append(time.perf_counter() - t0)
            if key is not None:
                rec["ranked"].append(m.distinct_in_order(key(p) for p in answer.passages)[:10])
            for stage, secs in answer.timings.items():
                rec["stages"].setdefault(stage, []).append(float(secs))
    return out


# --- one system's ingest + asks, in its own process --------------------------------------------
def _newsqa_job(job: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.systems import StoreRun
    from ingest import ingest
    from qa.core.embeddings import get_embedder
    from qa.store import Store

    articles, questions = _read_corpus(Path(job["corpus"]))
    work = Path(job["workdir"])
    settings = Settings(**job["settings"], data_dir=work / "store")
    source = work / "articles.jsonl"
    EvalSet("bench", articles, []).write_jsonl(source)
    t0 = time.perf_counter()
    get_embedder(settings).embed_query("warm up")  # loaded before the clock, as the tutorial's
    t1 = time.perf_counter()
    report = ingest([str(source)], settings)
    t2 = time.perf_counter()
    rss = peak_rss_bytes()
    run = StoreRun(settings, articles, report, t2 - t1)
    reingest = None
    if job.get("reingest", True):
        t3 = time.perf_counter()
        again = ingest([str(source)], settings)
        reingest = {
            "seconds": time.perf_counter() - t3,
            "unchanged": again.counts()["unchanged"],
            "chunks_written": again.chunks_written,
        }
    store = Store.open(settings)
    try:
        asked = time_asks(questions, settings, store, key=lambda p: run.key(p.article_id, p.url))
    finally:
        store.close()
    return {
        "articles": len(articles),
        "stored": run.stored,
        "duplicates": run.duplicates,
        "failed": run.failed,
        "chunks": run.chunks,
        "seconds": t2 - t1,
        "model_load_seconds": t1 - t0,
        "peak_rss_bytes": rss,
        "reingest": reingest,
        "alias": run.alias,
        "store": str(settings.data_dir),
        "embedder": get_embedder(settings).name,
        "asks": asked,
        "after_ingest_seconds": time.perf_counter() - t2,
    }


def _tutorial_job(job: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.baseline import TutorialBaseline

    articles, questions = _read_corpus(Path(job["corpus"]))
    base = TutorialBaseline(Path(job["workdir"]) / "chroma")
    built = base.build(articles)
    indexed = time.perf_counter()
    rss = peak_rss_bytes()
    for _ in range(WARMUP_ASKS):
        base.search(questions[0][0] if questions else "warm up")
    ranked, latency = [], []
    for text, _day in questions:
        t0 = time.perf_counter()
        hits = base.search(text)
        latency.append(time.perf_counter() - t0)
        ranked.append(m.distinct_in_order(h.key for h in hits)[:10])
    return {
        "articles": built.articles,
        "chunks": built.chunks,
        "seconds": built.seconds,
        "model_load_seconds": built.model_load_seconds,
        "peak_rss_bytes": rss,
        "timings": built.timings,
        "asks": {"plain": {"ranked": ranked, "latency": latency, "stages": {}, "errors": 0}},
        "after_ingest_seconds": time.perf_counter() - indexed,
    }


def run_job(job: dict[str, Any], isolate: bool = True) -> dict[str, Any]:
    """Run one system's job in a fresh `python -m benchmarks.bench --child` process (or in this
    one when `isolate` is False: then the RSS is this process's); the child prints its result as
    JSON on its last stdout line.

    Raises:
        BenchError: the child failed.
    """
    work = Path(job["workdir"])
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if not isolate:
        out = _newsqa_job(job) if job["system"] != "tutorial" else _tutorial_job(job)
        out["isolated"] = False
    else:
        spec = work / "job.json"
        spec.write_text(json.dumps(job), encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench", "--child", str(spec)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or not lines:
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise BenchError(f"the {job['system']} run failed (exit {proc.returncode}):\n{tail}")
        out = json.loads(lines[-1])
        out["isolated"] = True
    out["process_seconds"] = time.perf_counter() - t0
    return out


def _child_main(spec: Path) -> int:
    job = json.loads(spec.read_text(encoding="utf-8"))
    out = _tutorial_job(job) if job["system"] == "tutorial" else _newsqa_job(job)
    print(json.dumps(out))
    return 0


# --- cold start -------------------------------------------------------------------------------
def _newsqa_command() -> list[str]:
    script = Path(sys.executable).parent / "newsqa"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "newsqa.cli"]


def cold_start(settings: Settings, question: str, repeat: int) -> dict[str, Any]:
    """`newsqa ask QUESTION` in fresh processes on the store in `settings.data_dir`: seconds to
    the first printed byte of the answer and to exit (each run), and the imports on that path.

    Raises:
        BenchError: the command failed (exit status other than 0 or 3, "not answered").
    """
    env = {**os.environ, **settings_env(settings)}
    base = _newsqa_command()
    cmd = [*base, "ask", question]
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err)
            assert proc.stdout is not None
            proc.stdout.read(1)  # blocks until the answer is printed
            first = time.perf_counter() - t0
            proc.stdout.read()
            rc = proc.wait()
            total = time.perf_counter() - t0
            if rc not in (0, 3):
                err.seek(0)
                raise BenchError(f"`newsqa ask` failed (exit {rc}): {err.read().decode()[-800:]}")
        runs.append({"first_answer_seconds": first, "exit_seconds": total, "exit_status": rc})
    python_args = base[1:] if base[0] == sys.executable else base
    imports = subprocess.run(
        [sys.executable, "-X", "importtime", *python_args, "ask", question],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return {"question": question, "runs": runs, **import_summary(imports.stderr)}


def import_summary(importtime: str) -> dict[str, Any]:
    """From `python -X importtime` output: whether torch (and sentence-transformers) were
    imported, and the slowest top-level imports (cumulative seconds)."""
    names: set[str] = set()
    top: list[tuple[float, str]] = []
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line.split("|")
        raw = parts[-1]
        name = raw.strip()
        names.add(name)
        with contextlib.suppress(ValueError):
            if raw.startswith(" ") and not raw.startswith("  "):
                top.append((int(parts[1]) / 1e6, name))
    top.sort(reverse=True)
    return {
        "torch_imported": any(n == "torch" or n.startswith("torch.") for n in names),
        "sentence_transformers_imported": "sentence_transformers" in names,
        "slowest_imports": [[n, round(s, 3)] for s, n in top[:6]],
    }


# --- embeddings --------------------------------------------------------------------------------
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


# --- scale -------------------------------------------------------------------------------------
def _base_items(settings: Settings) -> tuple[list[tuple[Any, list[Any], np.ndarray]], str]:
    """Every stored article with its chunks and their stored vectors; the store's embedder."""
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
        raise BenchError(f"no chunks with vectors in {settings.data_dir} to copy for --scale")
    return items, embedder


def _synthetic(items: list[Any], seed: int = 0) -> Iterator[Any]:
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


def _folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def scale_bench(
    base: Settings,
    sizes: Sequence[int],
    questions: Sequence[tuple[str, str | None]],
    work: Path,
    repeat: int,
    budget: float = 0.0,
) -> dict[str, Any]:
    """Grow one synthetic store through `sizes` (chunks) and time `ask` at each size.

    A size is skipped (and said so in `notes`) when writing it is projected, from the write rate
    measured so far, to push the total writing time past `budget` seconds (0: no limit).
    """
    from qa.store import PreparedArticle, Store

    items, embedder = _base_items(base)
    name, _, dim = embedder.rpartition(":")
    settings = base.model_copy(update={"data_dir": work / "scale"})
    source = _synthetic(items)
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
                batch: list[Any] = []
                pending = 0
                while written < size:
                    item = next(source)
                    take = min(len(item.chunks), size - written)
                    if take < len(item.chunks):
                        item = PreparedArticle(
                            item.article, item.chunks[:take], item.embeddings[:take]
                        )
                    batch.append(item)
                    written += take
                    pending += take
                    if pending >= WRITE_BATCH or written >= size:
                        store.write_articles(batch)
                        batch, pending = [], 0
                        _log(f"scale: {written:,}/{size:,} chunks written")
        finally:
            store.close()
        write_seconds += time.perf_counter() - t0
        store = Store.open(settings)
        try:
            rounds = [
                time_asks(questions, settings, store, modes=("as_of",))["as_of"]
                for _ in range(repeat)
            ]
        finally:
            store.close()
        out["sizes"].append(
            {
                "chunks": written,
                "write_seconds_total": write_seconds,
                "disk_bytes": _folder_bytes(settings.data_dir),
                "rounds": rounds,
            }
        )
    return out


# --- the whole run ----------------------------------------------------------------------------
def run_benchmark(
    evalset: EvalSet,
    settings: Settings,
    work: Path,
    *,
    repeat: int = 3,
    scale: Sequence[int] = DEFAULT_SCALE,
    baseline: bool = True,
    reference: bool = True,
    embedders: tuple[Any, Any] | None = None,
    isolate: bool = True,
    scale_budget: float = 0.0,
    scale_questions: int = SCALE_QUESTIONS,
) -> dict[str, Any]:
    """Measure everything; returns the raw measurements that `figures` turns into the report.

    Args:
        embedders: (fast, reference) to compare; default the ONNX int8 and the torch MiniLM.
        isolate: run each ingest in its own process (False: in this one, for tests).
    """
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus.json"
    _write_corpus(evalset, corpus)
    raw: dict[str, Any] = {
        "machine": machine(),
        "corpus": {
            "name": "RealTime QA dev (gold + gcs, deduplicated by normalised URL)",
            "articles": len(evalset.articles),
            "questions": len(evalset.questions),
            "notes": evalset.notes,
        },
        "settings": {k: v for k, v in settings_dump(settings).items() if not k.startswith("llm_")},
        "repeat": repeat,
        "gold": [list(q.gold_keys) for q in evalset.questions],
        "runs": {"newsqa": [], "tutorial": [], "newsqa_torch": []},
    }
    job = {"corpus": str(corpus), "settings": settings_dump(settings)}
    kept: Path | None = None
    for r in range(repeat):
        order = ["newsqa", "tutorial"] if r % 2 == 0 else ["tutorial", "newsqa"]
        for system in order:
            if system == "tutorial" and not baseline:
                continue
            folder = work / f"{system}-{r}"
            _log(f"{system} ingest {r + 1}/{repeat} ({len(evalset.articles)} articles)")
            res = run_job({**job, "system": system, "workdir": str(folder)}, isolate)
            raw["runs"][system].append(res)
            _log(f"{system}: {res['chunks']} chunks in {res['seconds']:.1f} s")
            if system == "tutorial":
                shutil.rmtree(folder, ignore_errors=True)
            else:
                if kept is not None:
                    shutil.rmtree(kept, ignore_errors=True)
                kept = folder
    assert kept is not None
    store_settings = settings.model_copy(update={"data_dir": kept / "store"})
    if reference:
        ref = settings_dump(settings) | {"embedding_backend": "sentence-transformers"}
        _log("newsqa ingest with the torch reference embedder")
        raw["runs"]["newsqa_torch"].append(
            run_job(
                {
                    **job,
                    "settings": ref,
                    "system": "newsqa_torch",
                    "workdir": str(work / "ref"),
                    "reingest": False,
                },
                isolate,
            )
        )
        shutil.rmtree(work / "ref", ignore_errors=True)
    if evalset.questions:
        _log("cold start: newsqa ask")
        raw["cold"] = cold_start(store_settings, evalset.questions[0].question, repeat)
    if embedders is None:
        from qa.core.embeddings import get_embedder

        embedders = (
            get_embedder(settings.model_copy(update={"embedding_backend": "onnx"})),
            get_embedder(
                settings.model_copy(update={"embedding_backend": "sentence-transformers"})
            ),
        )
    _log("embeddings: fast vs reference")
    texts = sample_chunks(evalset.articles, settings, EMBED_SAMPLE)
    raw["embeddings"] = compare_embedders(embedders[0], embedders[1], texts, repeat)
    if scale:
        qs = [(q.question, q.date) for q in evalset.questions[:scale_questions]] or [("news", None)]
        raw["scale"] = scale_bench(store_settings, scale, qs, work, repeat, scale_budget)
    raw["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    return raw


# --- profile ----------------------------------------------------------------------------------
def _profiled(fn: Callable[[], Any], top: int) -> tuple[Any, str]:
    """Run `fn` under pyinstrument (if installed) or cProfile; the top costs as text."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        result = prof.runcall(fn)
        stats = pstats.Stats(prof)
        entries = stats.stats  # type: ignore[attr-defined]
        total = sum(v[2] for v in entries.values()) or 1.0

        def where(k: tuple[str, int, str]) -> str:
            path = k[0].split("site-packages/")[-1].replace(str(ROOT) + "/", "")
            return f"{k[2]} ({path}:{k[1]})" if k[1] else k[2]

        lines = [
            f"cProfile (pyinstrument is not installed), {total:.2f} s profiled",
            "  by self time:",
        ]
        for k, v in sorted(entries.items(), key=lambda kv: -kv[1][2])[:top]:
            lines.append(
                f"    {100 * v[2] / total:5.1f}%  {v[2]:8.3f} s  {v[1]:>8} calls  {where(k)}"
            )
        lines.append("  by cumulative time (own code and libraries' entry points):")
        for k, v in sorted(entries.items(), key=lambda kv: -kv[1][3])[: top * 2]:
            if "{" not in where(k) and "<" not in where(k):
                lines.append(f"    {100 * v[3] / total:5.1f}%  {v[3]:8.3f} s  {where(k)}")
        return result, "\n".join(lines[: 2 * top + 4])
    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        result = fn()
    finally:
        profiler.stop()
    return result, profiler.output_text(unicode=False, color=False, show_all=False)


def profile(evalset: EvalSet, settings: Settings, work: Path, top: int = 15) -> str:
    """One ingest of the corpus and one batch of asks, each profiled; the top costs as text."""
    from ingest import ingest
    from qa.core.embeddings import get_embedder
    from qa.store import Store

    s = settings.model_copy(update={"data_dir": work / "profile-store"})
    source = work / "profile.jsonl"
    evalset.write_jsonl(source)
    get_embedder(s).embed_query("warm up")
    report, ingest_text = _profiled(lambda: ingest([str(source)], s), top)
    questions = [(q.question, q.date) for q in evalset.questions] or [("news", None)]
    store = Store.open(s)
    try:
        asks, ask_text = _profiled(lambda: time_asks(questions, s, store, modes=("as_of",)), top)
    finally:
        store.close()
    lat = latency([asks["as_of"]])
    return "\n".join(
        [
            f"== ingest: {len(evalset.articles)} articles, {report.chunks_written} chunks, {report.seconds:.1f} s",
            ingest_text,
            "",
            f"== ask: {len(questions)} questions (+{WARMUP_ASKS} warm-up), as_of; p50 {lat['p50_ms'] or 0:.1f} ms",
            "   stage p50, ms: "
            + ", ".join(f"{k} {v:.1f}" for k, v in lat["stages_p50_ms"].items()),
            ask_text,
        ]
    )


# --- command line -----------------------------------------------------------------------------
def _sizes(text: str) -> list[int]:
    if text.strip().lower() in ("", "0", "none", "off"):
        return []
    out = []
    for part in text.split(","):
        p = part.strip().lower()
        mult = 1_000_000 if p.endswith("m") else 1000 if p.endswith("k") else 1
        out.append(int(float(p.rstrip("mk")) * mult))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m benchmarks.bench`: print the table, write the JSON; 1 on a newsqa error."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.bench", description=__doc__.split("\n")[0]
    )
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="RealTime QA folder")
    p.add_argument("--limit", type=int, default=None, help="first N articles only")
    p.add_argument("--repeat", type=int, default=3, help="repeats; medians are reported")
    p.add_argument(
        "--scale",
        type=_sizes,
        default=list(DEFAULT_SCALE),
        help="stored chunks for the scale runs, e.g. 20000,200000,1000000 or 20k,1M; none to skip",
    )
    p.add_argument(
        "--scale-budget",
        type=float,
        default=0.0,
        help="skip scale sizes projected to need more than this many seconds of writing (0: no limit)",
    )
    p.add_argument(
        "--json",
        type=Path,
        default=None,
        help="JSON output (default benchmarks/results/bench-DATE.json)",
    )
    p.add_argument("--no-baseline", action="store_true", help="skip the tutorial pipeline")
    p.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the newsqa store built with the torch embedder",
    )
    p.add_argument(
        "--profile", action="store_true", help="only profile one ingest and one batch of asks"
    )
    p.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where temporary stores go (default: system temp)",
    )
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return _child_main(args.child)
    try:
        settings = load_settings()
        evalset = load_corpus(args.data, args.limit)
        with tempfile.TemporaryDirectory(prefix="newsqa-bench-", dir=args.workdir) as tmp:
            if args.profile:
                print(profile(evalset, settings, Path(tmp)))
                return 0
            raw = run_benchmark(
                evalset,
                settings,
                Path(tmp),
                repeat=max(1, args.repeat),
                scale=args.scale,
                baseline=not args.no_baseline,
                reference=not args.no_reference,
                scale_budget=args.scale_budget,
            )
    except NewsQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    fig = figures(raw)
    fig["command"] = "python -m benchmarks.bench " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    print(format_table(fig))
    path = args.json or RESULTS / f"bench-{datetime.now(UTC):%Y-%m-%d}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fig, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nJSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
