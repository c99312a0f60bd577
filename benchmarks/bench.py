"""Speed benchmark: newsqa against the LangChain tutorial pipeline, side by side in one run.

    python -m benchmarks.bench                                   # dev corpus, 3 repeats, 20k/200k/1M
    python -m benchmarks.bench --limit 40 --repeat 1 --scale 20000    # a quick smoke run
    python -m benchmarks.bench --limit 200 --profile             # where ingest and ask spend time
    python -m benchmarks.bench --profile --store STORE           # each ask path on a built store
    python -m benchmarks.bench --scale-stores DIR                # scale rows on stores built before

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
- ask: warm latency p50/p95 of `qa.ask` (retrieval + extractive answer) on an open store, on
  both paths (no `as_of`, as the UI and CLI ask; `as_of` the quiz day), with their stage
  medians; the tutorial's `similarity_search`;
- cold start: `newsqa ask "..."` in a fresh process, start to the first printed byte of the answer,
  and whether torch was imported on that path (`python -X importtime`);
- embeddings: cosine between the ONNX int8 and the torch embeddings of ~300 real chunks, and the
  raw throughput of both, alternating in one process;
- scale (`benchmarks.scale`): ask latency on both paths, and the dense and keyword stages on
  their own, with 20k/200k/1M chunks in one synthetic store grown size by size (the real chunks,
  then copies with perturbed vectors and the same texts), written through
  `Store.write_articles`; beside newsqa's keyword search, the FTS5 search it replaced on the same
  chunks. 1M chunks take about 8 GB of disk under `--workdir`, and growing them takes an hour or
  more on two busy cores: `python -m benchmarks.scale build BASE_STORE DIR SIZES` builds them
  once, `--scale-stores DIR` asks on them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import metrics as m
from benchmarks.bench_report import figures, format_table
from benchmarks.cold_start import cold_start
from benchmarks.datasets import EvalArticle, EvalSet, load_realtimeqa
from benchmarks.embedder_compare import compare_embedders, sample_chunks
from benchmarks.machine import machine, peak_rss_bytes
from benchmarks.profiling import profile
from benchmarks.scale import measure_built, scale_bench
from qa.core.errors import NewsQAError
from qa.core.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "realtimeqa"
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_SCALE = (20_000, 200_000, 1_000_000)
EMBED_SAMPLE = 300  # real chunks embedded by both embedders
SCALE_QUESTIONS = 100  # questions asked at each scale size
WARMUP_ASKS = 3


class BenchError(NewsQAError):
    """A benchmark step failed (a child process, the CLI, or the data)."""


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


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
    scale_stores: Path | None = None,
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
        if scale_stores is not None:
            built = [scale_stores / f"scale-{n}" for n in scale]
            missing = [str(f) for f in built if not f.is_dir()]
            if missing:
                raise BenchError(f"no built scale store at {', '.join(missing)}")
            raw["scale"] = measure_built(built, store_settings, qs, repeat)
        else:
            raw["scale"] = scale_bench(store_settings, scale, qs, work, repeat, scale_budget)
    raw["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    return raw


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
    p.add_argument(
        "--scale-stores",
        type=Path,
        default=None,
        help="ask on synthetic stores built before (DIR/scale-N for each --scale size, by"
        " `python -m benchmarks.scale build`) instead of growing one in the run",
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
    p.add_argument(
        "--store", type=Path, default=None, help="with --profile: ask on this built store"
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
                print(profile(evalset, settings, Path(tmp), store_dir=args.store))
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
                scale_stores=args.scale_stores,
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
