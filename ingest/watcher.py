"""`watch()`: poll feeds, page URLs and folders on a schedule and ingest what is new or changed,
one round at a time, until stopped (`newsqa watch`, `python -m ingest watch`, `newsqa serve
--watch`).

Each source has its own interval; a source that fails waits twice as long after each failure in
a row (up to `watch_max_backoff`) while the others go on; poll times are spread by a little
jitter. One watcher per data directory (an OS lock on `watch.lock`). A stop (the `stop` event,
or SIGINT/SIGTERM in the command line) ends the round after the article being stored: what was
read so far is committed, the rest is read by the next run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from ingest.polling import Poll, kind_of, poll
from ingest.report import STATUSES
from ingest.watchstate import BEAT_EVERY, SourceState, WatchState
from qa.core.durations import format_duration
from qa.core.errors import ConfigError, StoreBusyError
from qa.core.settings import Settings, WatchSource, load_settings

LOCK_FILE = "watch.lock"
BUSY_RETRY = 60.0  # seconds before a source whose store was busy is polled again
BACKLOG_RETRY = 30.0  # seconds before a source with articles left over is polled again
MAX_REASONS = 3  # failure reasons quoted in a round's line


@dataclass(frozen=True)
class Round:
    """One round: the sources that were due, polled one after another."""

    number: int
    started: float  # Unix seconds
    polls: tuple[Poll, ...]
    next_poll: float | None  # when the next source is due (None: no next round)

    def counts(self) -> dict[str, int]:
        """The articles of every poll of the round, by status."""
        out: dict[str, int] = {s: 0 for s in STATUSES}
        for p in self.polls:
            for k, v in p.counts.items():
                out[k] += v
        return out

    @property
    def ok(self) -> bool:
        """True when no source and no article failed."""
        return not any(p.error or p.failures for p in self.polls)

    def line(self) -> str:
        """The round in one line: when, the counts, what failed and why, when the next is due."""
        c = self.counts()
        words = {"ingested": "new"}
        at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        text = f"{at} round {self.number}: {len(self.polls)} source"
        text += "s" if len(self.polls) != 1 else ""
        text += " · " + ", ".join(f"{c[s]} {words.get(s, s)}" for s in STATUSES)
        same = sum(p.not_modified for p in self.polls)
        if same:
            text += f" · {same} not modified (304)"
        left = sum(p.deferred for p in self.polls)
        if left:
            text += f" · {left} left for the next round"
        reasons = [f"{p.source}: {p.error.replace(' from ' + p.source, '')}" for p in self.polls
                   if p.error]  # fmt: skip
        reasons += [f for p in self.polls if not p.error for f in p.failures]
        if reasons:
            more = len(reasons) - MAX_REASONS
            text += " · failed: " + "; ".join(_short(r) for r in reasons[:MAX_REASONS])
            text += f"; and {more} more" if more > 0 else ""
        if self.next_poll is not None:
            text += " · next poll " + time.strftime("%H:%M:%S", time.localtime(self.next_poll))
        return text


OnRound = Callable[[Round], None]


def watch(
    sources: Sequence[str | WatchSource] | None = None,
    settings: Settings | None = None,
    *,
    every: float | None = None,
    once: bool = False,
    on_round: OnRound | None = None,
    stop: threading.Event | None = None,
    rng: random.Random | None = None,
) -> Round | None:
    """Poll `sources` (default: `settings.watch`, the `[[watch]]` tables of newsqa.toml) and
    ingest what is new or changed, round after round, until `stop` is set (or after one round
    with `once`).

    Args:
        sources: feed or page URLs, folders or files; a `WatchSource` may carry its own interval.
        settings: defaults to `load_settings()`.
        every: seconds between polls of a source without its own interval (default:
            `settings.watch_every`).
        once: poll every source once, then return.
        on_round: called with each finished `Round` (the command line prints `Round.line()`).
        stop: set it to stop; the round ends after the article being stored.
        rng: the random numbers of the jitter (tests).

    Returns:
        The last round (None when stopped before the first one finished).

    Raises:
        ConfigError: no sources, or one that cannot be watched.
        StoreBusyError: another watcher is watching this data directory.
    """
    settings = settings or load_settings()
    plan = _plan(sources, settings, every)
    stop = stop or threading.Event()
    rng = rng or random.Random()
    last: Round | None = None
    with _one_watcher(settings.data_dir), WatchState(settings) as state:
        state.activate([(s, e) for s, e in plan])
        state.started()
        try:
            due = {s: 0.0 for s, _ in plan}  # every source is polled at the start
            intervals = dict(plan)
            number = 0
            while not stop.is_set():
                now = time.time()
                ready = [s for s, _ in plan if due[s] <= now]
                if ready:
                    number += 1
                    polls = []
                    for source in ready:
                        if stop.is_set():
                            break
                        p, due[source] = _poll_one(source, intervals[source], state, settings,
                                                   stop, rng)  # fmt: skip
                        polls.append(p)
                    last = Round(number, now, tuple(polls), None if once else min(due.values()))
                    if on_round is not None:
                        on_round(last)
                    if once:
                        break
                    continue
                state.beat()
                stop.wait(min(BEAT_EVERY, max(0.05, min(due.values()) - now)))
        finally:
            state.stopped()
    return last


def _plan(
    sources: Sequence[str | WatchSource] | None, settings: Settings, every: float | None
) -> list[tuple[str, float]]:
    given = list(sources) if sources else list(settings.watch)
    if not given:
        raise ConfigError(
            "nothing to watch: name feeds, URLs or folders (`newsqa watch URL...`), or add "
            '[[watch]] tables (source = "...", every = "15m") to newsqa.toml'
        )
    default = every or settings.watch_every
    plan: dict[str, float] = {}
    for item in given:
        ws = item if isinstance(item, WatchSource) else WatchSource(source=item)
        source = ws.source.strip()
        kind = kind_of(source)
        if kind is None:
            raise ConfigError(f"cannot watch {source}: only http(s) URLs, folders and files")
        if kind == "path":
            source = str(Path(source).expanduser().resolve())
        plan[source] = ws.every or default
    return list(plan.items())


def _poll_one(
    source: str,
    every: float,
    state: WatchState,
    settings: Settings,
    stop: threading.Event,
    rng: random.Random,
) -> tuple[Poll, float]:
    """Poll one source, record how it went, and say when it is due again."""
    state.beat()  # a long round still shows a running watcher
    prev = state.source(source)
    started = time.time()
    p = poll(source, prev, state, settings, stop)
    failures = (prev.failures if prev else 0) + 1 if p.error and not p.busy else 0
    if p.busy:
        wait = min(every, BUSY_RETRY)
    elif p.error:
        wait = min(every * 2**failures, max(settings.watch_max_backoff, every))
    elif p.deferred and not stop.is_set():
        wait = min(every, BACKLOG_RETRY)
    else:
        wait = every
    wait *= 1 + rng.uniform(-settings.watch_jitter, settings.watch_jitter)
    if p.error and not p.busy:
        p = _replace_error(p, f"{p.error} (retry in {format_duration(wait)})")
    next_poll = time.time() + wait
    state.record_poll(
        SourceState(
            source=source,
            kind=p.kind or (prev.kind if prev else None),
            every=every,
            active=True,
            last_poll=started,
            next_poll=next_poll,
            last_ok=(prev.last_ok if prev else None) if p.error else time.time(),
            last_error=p.error,
            failures=failures,
            added=(prev.added if prev else 0) + p.added,
            last_result=p.result(),
            etag=p.etag if not p.error else (prev.etag if prev else None),
            last_modified=p.last_modified
            if not p.error
            else (prev.last_modified if prev else None),
            body_hash=p.body_hash if not p.error else (prev.body_hash if prev else None),
        )
    )
    return p, next_poll


def _replace_error(p: Poll, error: str) -> Poll:
    from dataclasses import replace

    return replace(p, error=error)


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextlib.contextmanager
def _one_watcher(data_dir: Path) -> Iterator[None]:
    """Hold `watch.lock`: a second watcher on the same data directory is refused."""
    try:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        fd = os.open(Path(data_dir) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        from qa.core.errors import StoreWriteError

        raise StoreWriteError(f"cannot write in {data_dir}: {exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise StoreBusyError(
                f"another newsqa watcher (pid {pid}) is already watching {data_dir}; stop it "
                "first, or give it these sources"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event, say: Callable[[str], None]) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM set `stop` (the round ends cleanly); a second one
    interrupts at once (still safe: the journal undoes a half-done write). Main thread only."""
    seen: list[int] = []

    def handle(signum: int, frame: FrameType | None) -> None:
        if seen:
            raise KeyboardInterrupt
        seen.append(signum)
        stop.set()
        say("stopping after the article being stored (press Ctrl+C again to stop at once)")

    old = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
