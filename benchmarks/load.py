"""Load on the running chat app: N concurrent chat sessions asking through `gradio_client`.

    python -m benchmarks.load                          # starts app.py on a free loopback port
    python -m benchmarks.load --sessions 1,8,16 --requests 96 --seconds 120
    python -m benchmarks.load --url http://127.0.0.1:7860/    # an app that is already running

Each session is its own `gradio_client.Client` (its own connection and queue position) asking
`/ask` in a loop, one question at a time, from a pool of on-topic questions (answers must cite
the seed article), follow-ups and off-topic ones (which the app must refuse). Every level is
bounded by a number of requests and a number of seconds, and each request by a timeout. The
table reports latency percentiles, throughput and errors per level, against one session measured
in the same run as the baseline.

Only loopback: a spawned app listens on 127.0.0.1, and --url must be a loopback URL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.procs import ServerError, free_port, serving

ROOT = Path(__file__).resolve().parents[1]

# (question, history, a word the answer must contain, or None when it must be refused)
QUESTIONS: list[tuple[str, list[list[str]], str | None]] = [
    ("Which country did Iran say it could export arms to?", [], "Venezuela"),
    ("What did the Iranian defense minister say about military exports?", [], "Venezuela"),
    ("Who is Iran's defense minister?", [], "Ashtiani"),
    (
        "What about Venezuela?",
        [["Which countries could Iran export arms to?", "Iran said it could export arms."]],
        "Venezuela",
    ),
    ("What is the recipe for a lemon meringue pie?", [], None),
    ("Who won the 1966 football world cup?", [], None),
]


@dataclass
class Level:
    """What one level (a number of concurrent sessions) measured."""

    sessions: int
    requests: int = 0
    errors: int = 0
    wrong: int = 0  # answered when it should refuse, refused or missing the expected word
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    error_kinds: dict[str, int] = field(default_factory=dict)

    def pct(self, q: float) -> float:
        """Nearest-rank percentile of the successful requests' latency, in ms."""
        xs = sorted(self.latencies_ms)
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, max(0, round(q / 100 * len(xs) + 0.5) - 1))]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def row(self) -> dict[str, object]:
        return {
            "sessions": self.sessions,
            "requests": self.requests,
            "errors": self.errors,
            "wrong": self.wrong,
            "p50_ms": round(self.pct(50), 1),
            "p95_ms": round(self.pct(95), 1),
            "max_ms": round(max(self.latencies_ms, default=float("nan")), 1),
            "req_per_s": round(self.throughput, 2),
        }


def run_level(url: str, sessions: int, requests: int, seconds: float, timeout: float) -> Level:
    """`sessions` threads, each with its own client, share a budget of `requests` and `seconds`."""
    from gradio_client import Client

    level = Level(sessions=sessions)
    lock = threading.Lock()
    budget = [requests]
    start = threading.Barrier(sessions + 1)
    deadline = [0.0]

    def take() -> bool:
        with lock:
            if budget[0] <= 0 or time.monotonic() > deadline[0]:
                return False
            budget[0] -= 1
            return True

    def session(n: int) -> None:
        rng = random.Random(n)
        try:
            client = Client(url, verbose=False)
        except Exception as exc:
            start.wait()
            record_error(exc)
            return
        start.wait()
        while take():
            question, history, expect = rng.choice(QUESTIONS)
            t0 = time.perf_counter()
            try:
                job = client.submit(question, history=history, api_name="/ask")
                text, citations = job.result(timeout=timeout)
            except Exception as exc:
                record_error(exc)
                continue
            ms = (time.perf_counter() - t0) * 1000
            ok = (not citations) if expect is None else (bool(citations) and expect in text)
            with lock:
                level.requests += 1
                level.latencies_ms.append(ms)
                level.wrong += 0 if ok else 1
        with contextlib.suppress(Exception):
            client.close()

    def record_error(exc: BaseException) -> None:
        kind = f"{type(exc).__name__}: {str(exc)[:80]}"
        with lock:
            level.requests += 1
            level.errors += 1
            level.error_kinds[kind] = level.error_kinds.get(kind, 0) + 1

    threads = [threading.Thread(target=session, args=(n,), daemon=True) for n in range(sessions)]
    for t in threads:
        t.start()
    deadline[0] = time.monotonic() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join(timeout=seconds + timeout + 30)
    level.seconds = time.perf_counter() - t0
    return level


# --- the app under test --------------------------------------------------------------------------


def rss_mb(pid: int) -> float | None:
    """Resident memory of process `pid` in MB (Linux /proc), None where unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


SPAWNED: dict[str, int] = {}  # "pid" of the app `spawned_app` started, for its memory


@contextlib.contextmanager
def spawned_app(data_dir: Path | None, startup: float = 300.0) -> Iterator[str]:
    """`python app.py` on a free loopback port with its own store (seeded on first start)."""
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="newsqa-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADIO_")}
    env.update(
        NEWSQA_DATA_DIR=str(data_dir or work / "store"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        with serving(
            [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)],
            ready_url=url + "config",
            log_path=work / "app.log",
            timeout=startup,
            env=env,
            cwd=work,
            ready=lambda status: status < 500,
        ) as proc:
            SPAWNED["pid"] = proc.pid
            yield url
    except ServerError as exc:
        raise SystemExit(f"{exc}\n(log: {work / 'app.log'})") from None


def _check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"--url must be a loopback URL (127.0.0.1), not {host!r}")


# --- report --------------------------------------------------------------------------------------


def table(levels: list[Level]) -> str:
    base = levels[0].pct(50) if levels else float("nan")
    head = (
        f"{'sessions':>8} {'requests':>8} {'errors':>6} {'wrong':>5} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'max ms':>8} {'req/s':>6} {'p50 vs 1':>8}"
    )
    lines = [head, "-" * len(head)]
    for lv in levels:
        r = lv.row()
        ratio = lv.pct(50) / base if base == base and base > 0 else float("nan")
        lines.append(
            f"{r['sessions']:>8} {r['requests']:>8} {r['errors']:>6} {r['wrong']:>5} "
            f"{r['p50_ms']:>8} {r['p95_ms']:>8} {r['max_ms']:>8} {r['req_per_s']:>6} "
            f"{ratio:>7.1f}x"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.load", description=__doc__.split("\n")[0]
    )
    p.add_argument("--url", help="a running app on loopback (default: start one)")
    p.add_argument("--data-dir", type=Path, help="store for the spawned app (default: a temp one)")
    p.add_argument("--sessions", default="1,8,16", help="comma-separated levels; 1 is the baseline")
    p.add_argument("--requests", type=int, default=64, help="requests per level (max)")
    p.add_argument("--seconds", type=float, default=120.0, help="seconds per level (max)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per request (max)")
    p.add_argument("--warmup", type=int, default=3, help="requests before measuring")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = p.parse_args(argv)
    levels_wanted = [int(x) for x in args.sessions.split(",") if x.strip()]
    if any(n < 1 or n > 256 for n in levels_wanted):
        p.error("sessions must be between 1 and 256")

    with contextlib.ExitStack() as stack:
        if args.url:
            _check_loopback(args.url)
            url = args.url
        else:
            print("starting app.py (seeds an empty store, loads the model) ...", file=sys.stderr)
            url = stack.enter_context(spawned_app(args.data_dir))
        print(f"app: {url}  cores: {os.cpu_count()}", file=sys.stderr)
        memory: dict[str, float | None] = {}
        if "pid" in SPAWNED:  # the app's memory, idle once it is up, and after the load
            memory["idle_mb"] = rss_mb(SPAWNED["pid"])
        run_level(url, 1, args.warmup, args.seconds, args.timeout)  # model and caches warm
        levels = []
        for n in levels_wanted:
            lv = run_level(url, n, args.requests, args.seconds, args.timeout)
            levels.append(lv)
            print(
                f"  {n} session(s): {lv.requests} requests in {lv.seconds:.1f} s", file=sys.stderr
            )
        if "pid" in SPAWNED:
            memory["after_load_mb"] = rss_mb(SPAWNED["pid"])
    print(table(levels))
    if memory:
        print(
            "app memory (RSS): "
            + ", ".join(f"{k[:-3].replace('_', ' ')} {v:.0f} MB" for k, v in memory.items() if v)
        )
    for lv in levels:
        for kind, count in lv.error_kinds.items():
            print(f"  {lv.sessions} sessions: {count} x {kind}")
    if args.json:
        rows = [{**lv.row(), "error_kinds": lv.error_kinds} for lv in levels]
        payload = {"url": url, "cores": os.cpu_count(), "levels": rows, "memory": memory}
        args.json.write_text(json.dumps(payload, indent=2))
    return 1 if any(lv.errors for lv in levels) else 0


if __name__ == "__main__":
    sys.exit(main())
