"""Warm ask latency on a built store, the way users ask: `from qa import ask; ask(question)`.

    python -m benchmarks.ask_latency --data-dir STORE --questions ../shared/eval/realtimeqa

Asks every question of a RealTime QA folder (or the first `--limit`) through the documented
Python API, without `store=` (so the per-process store is part of what is measured), on both
paths (no `as_of`, as the CLI and UI ask; and `as_of` the quiz day, as the evaluation asks), with
the reader and with the heuristic scorer, interleaved question by question so that machine noise
falls on all four alike. Prints p50/p95 per configuration and the reader's added p50.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import metrics as m
from benchmarks.datasets import load_dataset


def measure(
    data_dir: Path, questions: Sequence[tuple[str, str | None]], rounds: int = 1
) -> dict[str, dict[str, float]]:
    """p50/p95 ms of `ask` per (scorer, path) over `questions` (text, as_of day)."""
    from qa import ask, load_settings

    base = load_settings(data_dir=data_dir)
    configs = {
        f"{scorer}, {path}": (base.model_copy(update={"answer_scorer": scorer}), path)
        for scorer in ("reader", "heuristic")
        for path in ("no as_of", "as_of")
    }
    for settings, _ in configs.values():  # warm: models loaded, store open, caches filled
        ask(questions[0][0], settings=settings)
    times: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(rounds):
        for text, day in questions:
            for name, (settings, path) in configs.items():
                t0 = time.perf_counter()
                ask(text, settings=settings, as_of=day if path == "as_of" else None)
                times[name].append((time.perf_counter() - t0) * 1000)
    return {
        name: {
            "p50_ms": round(m.percentile(ts, 50) or 0.0, 1),
            "p95_ms": round(m.percentile(ts, 95) or 0.0, 1),
            "mean_ms": round(statistics.fmean(ts), 1),
            "n": len(ts),
        }
        for name, ts in times.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ask_latency", description=__doc__)
    ap.add_argument("--data-dir", type=Path, required=True, help="a built newsqa store")
    ap.add_argument("--questions", type=Path, required=True, help="a RealTime QA folder")
    ap.add_argument("--limit", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    evalset = load_dataset("realtimeqa", args.questions, None)
    qs = [(q.question, q.date[:10] if q.date else None) for q in evalset.questions][: args.limit]
    result = measure(args.data_dir, qs, args.rounds)
    print(f"warm ask, {len(qs)} questions x {args.rounds}, store {args.data_dir}")
    print(f"{'configuration':<24}{'p50 ms':>9}{'p95 ms':>9}")
    for name, r in result.items():
        print(f"{name:<24}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}")
    for path in ("no as_of", "as_of"):
        added = result[f"reader, {path}"]["p50_ms"] - result[f"heuristic, {path}"]["p50_ms"]
        print(f"reader adds {added:+.1f} ms p50 ({path}; target <= 25)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
