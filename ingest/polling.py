"""One poll of one watched source: a feed, a page URL, a folder or a file. It reads only what is
new or changed, stores it with the same ingest as `newsqa ingest`, and says what it did.

Cheap by design: a conditional GET (ETag / Last-Modified) for URLs, feed entries and files
already read are skipped without fetching or reading them again, a page whose body did not change
is not parsed again, and at most `settings.watch_max_articles` articles are read per poll (the
rest wait for the next one). A source that fails is one `Poll` with its `error`; nothing raises.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.feeds import FeedEntry, entry_articles, read_feed
from ingest.fetch import Fetched, fetch, is_http_url
from ingest.loaders import fetched_format, folder_files, load_fetched
from ingest.metadata import canonical_url
from ingest.pipeline import ingest_articles
from ingest.raw import LoadError, RawArticle, Upload
from ingest.report import STATUSES, IngestReport
from ingest.watchstate import SourceState, WatchState
from qa.core.errors import IngestError, NewsQAError, StoreBusyError, StoreNotFoundError
from qa.core.settings import Settings
from qa.store import Store

MAX_ATTEMPTS = 3  # an entry or file that failed this often is read again only once it changes


@dataclass(frozen=True)
class Poll:
    """What one poll of one source did."""

    source: str
    kind: str | None  # "feed", "page", "folder" or "file"
    counts: dict[str, int] = field(default_factory=lambda: _zero())
    error: str | None = None  # the source as a whole failed (or every article of it did)
    failures: tuple[str, ...] = ()  # "what: why" for each article that failed
    deferred: int = 0  # new articles left for the next poll (the per-poll cap, or a stop)
    not_modified: bool = False  # the server said 304: nothing was read
    busy: bool = False  # another process was writing the store: try again soon
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None

    @property
    def added(self) -> int:
        """Articles stored new or updated."""
        return self.counts["ingested"] + self.counts["updated"]

    def result(self) -> str:
        """The counts in words: "2 new, 0 updated, 5 unchanged, 0 duplicate, 1 failed"."""
        if self.error:
            return f"failed: {self.error}"
        if self.not_modified:
            return "not modified (HTTP 304): nothing to read"
        words = {"ingested": "new"}
        text = ", ".join(f"{self.counts[s]} {words.get(s, s)}" for s in STATUSES)
        if self.deferred:
            text += f", {self.deferred} left for the next poll"
        return text


def _zero() -> dict[str, int]:
    return {s: 0 for s in STATUSES}


def kind_of(source: str) -> str | None:
    """ "url" for an http(s) source, "path" for a file or folder, None for anything else."""
    if is_http_url(source):
        return "url"
    return "path" if "://" not in source else None


def poll(
    source: str,
    prev: SourceState | None,
    state: WatchState,
    settings: Settings,
    stop: threading.Event,
) -> Poll:
    """Poll `source` once: read what is new or changed since `prev` and store it.

    Never raises for a bad source: its problem is `Poll.error`.
    """
    try:
        if kind_of(source) == "url":
            return _poll_url(source, prev, state, settings, stop)
        if kind_of(source) == "path":
            return _poll_path(source, prev, state, settings, stop)
        return Poll(source, None, error="only http(s) URLs, folders and files can be watched")
    except StoreBusyError as exc:
        return Poll(source, prev.kind if prev else None, error=str(exc), busy=True)
    except NewsQAError as exc:  # the store cannot be written: say so, go on with the others
        return Poll(source, prev.kind if prev else None, error=str(exc))


# --- URLs: feeds and pages -------------------------------------------------------------------------
def _poll_url(
    url: str, prev: SourceState | None, state: WatchState, settings: Settings, stop: threading.Event
) -> Poll:
    known = prev.kind if prev else None
    try:
        got = fetch(
            url,
            settings,
            etag=prev.etag if prev else None,
            last_modified=prev.last_modified if prev else None,
        )
    except IngestError as exc:
        return Poll(url, known, error=str(exc))
    if got.not_modified:
        return Poll(
            url,
            known,
            not_modified=True,
            etag=got.etag,
            last_modified=got.last_modified,
            body_hash=prev.body_hash if prev else None,
        )
    digest = hashlib.sha256(got.body).hexdigest()
    if fetched_format(got) == "feed":
        return _poll_feed(url, got, digest, state, settings, stop)
    if known == "feed":
        what = got.content_type or "a document of unknown type"
        return Poll(
            url,
            known,
            error=f"{url} is no longer an RSS/Atom feed (it answered with {what}); check the "
            "address, the feed may have moved",
        )
    if prev is not None and prev.body_hash == digest and not prev.last_error:
        counts = _zero()
        counts["unchanged"] = 1
        return Poll(url, "page", counts, etag=got.etag, last_modified=got.last_modified,
                    body_hash=digest)  # fmt: skip
    read = load_fetched(got, url, settings)
    report, done = _store(read, settings, stop)
    poll = _summed(url, "page", read, report, done)
    if poll.error:
        return poll
    return _with(poll, etag=got.etag, last_modified=got.last_modified, body_hash=digest)


def _poll_feed(
    url: str,
    got: Fetched,
    digest: str,
    state: WatchState,
    settings: Settings,
    stop: threading.Event,
) -> Poll:
    feed = read_feed(got.body, url)
    if isinstance(feed, LoadError):
        return Poll(url, "feed", error=feed.reason)
    entries = feed.entries[: settings.max_feed_entries]
    seen = state.seen(url, [e.key for e in entries])
    todo: list[FeedEntry] = []
    skipped = 0
    for e in entries:
        before = seen.get(e.key)
        if (
            before
            and before[0] == e.fingerprint
            and (before[1] != "failed" or before[2] >= MAX_ATTEMPTS)
        ):
            skipped += 1
        else:
            todo.append(e)
    # entries never seen whose page is already stored (another ingest took it): not fetched
    stored = _stored_links([e for e in todo if e.key not in seen], settings)
    if stored:
        state.mark_seen(url, [(e.key, e.fingerprint, "unchanged") for e in stored])
        todo = [e for e in todo if e not in stored]
        skipped += len(stored)
    now = todo[: settings.watch_max_articles]
    origins = [e.link or f"{url}#{e.key}" for e in now]
    read = entry_articles(now, origins, feed.title, settings) if not stop.is_set() else []
    report, done = _store(read, settings, stop)
    statuses = _statuses(report, read, done)
    state.mark_seen(
        url,
        [
            (e.key, e.fingerprint, statuses[origin])
            for e, origin in zip(now, origins, strict=False)
            if origin in statuses
        ],
    )
    left = len(todo) - len(statuses)
    poll = _summed(url, "feed", read, report, done, skipped=skipped, deferred=left)
    if poll.error:
        return poll
    retry = left or poll.counts["failed"]  # the next poll must read the feed in full
    return _with(
        poll,
        etag=None if retry else got.etag,
        last_modified=None if retry else got.last_modified,
        body_hash=digest,
    )


def _stored_links(entries: Sequence[FeedEntry], settings: Settings) -> list[FeedEntry]:
    """The entries whose link is the id of an article the store holds."""
    if not entries:
        return []
    try:
        with Store.open(settings) as store:
            return [
                e
                for e in entries
                if (cid := canonical_url(e.link)) and store.article_state(cid) is not None
            ]
    except StoreNotFoundError:
        return []


# --- folders and files -----------------------------------------------------------------------------
def _poll_path(
    source: str,
    prev: SourceState | None,
    state: WatchState,
    settings: Settings,
    stop: threading.Event,
) -> Poll:
    path = Path(source)
    known = prev.kind if prev else None
    if not path.exists():
        what = "folder" if known == "folder" else "file" if known == "file" else "path"
        return Poll(
            source,
            known,
            error=f"the {what} {source} is gone (moved, deleted or unmounted?); the articles "
            "it gave stay stored, and it is polled again",
        )
    kind = "folder" if path.is_dir() else "file"
    prints: dict[str, str] = {}
    for f in [source] if kind == "file" else folder_files(path):
        try:
            st = os.stat(f)
        except OSError:
            continue  # gone between listing and reading: the next poll sees it
        prints[f] = f"{st.st_mtime_ns}:{st.st_size}"
    seen = state.seen(source, list(prints))
    todo = [
        f
        for f, fp in prints.items()
        if not (
            (before := seen.get(f))
            and before[0] == fp
            and (before[1] != "failed" or before[2] >= MAX_ATTEMPTS)
        )
    ]
    now = todo[: settings.watch_max_articles]
    done_files: list[str] = []

    def uploads() -> Iterator[RawArticle | Upload]:
        for f in now:
            if stop.is_set():
                return
            try:
                with open(f, "rb") as handle:
                    data = handle.read(settings.max_file_bytes + 1)
            except OSError as exc:
                failed_reads.append(f"{f}: cannot read it ({exc.strerror or exc})")
                done_files.append(f)
                continue
            done_files.append(f)
            yield Upload(f, data)

    failed_reads: list[str] = []
    report = ingest_articles(uploads(), settings=settings) if now else IngestReport()
    by_file: dict[str, str] = {}
    for it in report.items:  # a JSON Lines file gives "file:line N" items: the worst one counts
        owner = _file_of(it.origin, done_files)
        if owner is not None and by_file.get(owner) != "failed":
            by_file[owner] = it.status
    for msg in failed_reads:
        by_file[msg.split(": cannot read", 1)[0]] = "failed"
    # (a file that gave no item at all, e.g. an empty JSON list, counts as read)
    state.mark_seen(source, [(f, prints[f], by_file.get(f, "unchanged")) for f in done_files])
    counts = report.counts()
    counts["unchanged"] += len(prints) - len(now)
    counts["failed"] += len(failed_reads)
    failures = tuple(
        [f"{it.origin}: {it.reason}" for it in report.items if it.status == "failed"] + failed_reads
    )
    return Poll(source, kind, counts, failures=failures, deferred=len(todo) - len(done_files))


def _file_of(origin: str, files: Sequence[str]) -> str | None:
    best = None
    for f in files:
        inside = origin == f or origin.startswith((f + ":", f + "#"))
        if inside and (best is None or len(f) > len(best)):
            best = f
    return best


# --- storing ---------------------------------------------------------------------------------------
def _store(
    read: Sequence[RawArticle | LoadError], settings: Settings, stop: threading.Event
) -> tuple[IngestReport, list[str]]:
    """Ingest the articles read until `stop` is set; the report and the origins handed over (a
    stop leaves the rest for the next poll, and nothing half-written: the batch so far is
    committed as any ingest commits)."""
    done: list[str] = []

    def articles() -> Iterator[RawArticle]:
        for r in read:
            if stop.is_set():
                return
            done.append(r.origin)
            if isinstance(r, RawArticle):
                yield r

    if not any(isinstance(r, RawArticle) for r in read):
        done.extend(r.origin for r in read)
        return IngestReport(), done
    return ingest_articles(articles(), settings=settings), done


def _statuses(
    report: IngestReport, read: Sequence[RawArticle | LoadError], done: Sequence[str]
) -> dict[str, str]:
    """The status of each origin handed over (failed reads included)."""
    out: dict[str, str] = {}
    for r in read:
        if isinstance(r, LoadError) and r.origin in done:
            out[r.origin] = "failed"
    for it in report.items:
        out[it.origin] = it.status
    return out


def _summed(
    source: str,
    kind: str,
    read: Sequence[RawArticle | LoadError],
    report: IngestReport,
    done: Sequence[str],
    *,
    skipped: int = 0,
    deferred: int = 0,
) -> Poll:
    counts = report.counts()
    counts["unchanged"] += skipped
    failed = [f"{it.origin}: {it.reason}" for it in report.items if it.status == "failed"]
    failed += [
        f"{r.origin}: {r.reason}" for r in read if isinstance(r, LoadError) and r.origin in done
    ]
    counts["failed"] = len(failed)
    error = None
    if failed and len(failed) == sum(counts.values()) - skipped:
        n = len(failed)
        error = failed[0] if n == 1 else f"all {n} articles failed, the first: {failed[0]}"
    return Poll(source, kind, counts, error=error, failures=tuple(failed), deferred=deferred)


def _with(poll: Poll, **changes: object) -> Poll:
    from dataclasses import replace

    return replace(poll, **changes)  # type: ignore[arg-type]
