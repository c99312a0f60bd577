"""Where ingest and ask spend their time: `python -m benchmarks.bench --profile` runs one ingest
and one batch of asks under pyinstrument (or cProfile) and prints the top costs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_report import latency
from benchmarks.datasets import EvalSet
from qa.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
WARMUP_ASKS = 3


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


def profile(
    evalset: EvalSet, settings: Settings, work: Path, top: int = 15, store_dir: Path | None = None
) -> str:
    """One ingest of the corpus (skipped with `store_dir`, an existing store), then the questions
    asked on each path (no `as_of`, as the UI and CLI ask; `as_of`), each profiled on its own;
    the top costs as text."""
    from benchmarks.bench import time_asks
    from ingest import ingest
    from qa.core.embeddings import get_embedder
    from qa.store import Store

    out = []
    s = settings.model_copy(update={"data_dir": store_dir or work / "profile-store"})
    get_embedder(s).embed_query("warm up")
    if store_dir is None:
        source = work / "profile.jsonl"
        evalset.write_jsonl(source)
        report, ingest_text = _profiled(lambda: ingest([str(source)], s), top)
        out += [
            f"== ingest: {len(evalset.articles)} articles, {report.chunks_written} chunks,"
            f" {report.seconds:.1f} s",
            ingest_text,
            "",
        ]
    questions = [(q.question, q.date) for q in evalset.questions] or [("news", None)]
    store = Store.open(s)
    try:
        for mode in ("no_as_of", "as_of"):

            def run(mode: str = mode) -> Any:
                return time_asks(questions, s, store, modes=(mode,))

            asks, text = _profiled(run, top)
            lat = latency([asks[mode]])
            out += [
                f"== ask, {mode}: {len(questions)} questions (+{WARMUP_ASKS} warm-up);"
                f" p50 {lat['p50_ms'] or 0:.1f} ms, stage p50 ms: "
                + ", ".join(f"{k} {v:.1f}" for k, v in lat["stages_p50_ms"].items()),
                text,
                "",
            ]
    finally:
        store.close()
    return "\n".join(out)
