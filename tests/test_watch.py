"""`ingest.watch` in this process against a news site on loopback: what each round reads, stores
and skips, how sources fail one by one, the backoff, folders, the state file, the views' text."""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import pytest

from ingest import watch, watch_status
from ingest.watcher import Round
from qa import ConfigError, StoreBusyError, parse_duration
from qa.core.settings import Settings, load_settings
from qa.store import Store
from tests.feedserver import FeedSite

BRIDGE = (
    "The harbour bridge reopened on Friday after two years of repairs. Engineers replaced its "
    "cables and deck, and the city council said tolls will stay at their old level."
)
KEEPER = (
    "Margit Olsen kept the Skerry lighthouse for forty-one years. She retired on Saturday and "
    "hands the lamp to an automatic beacon that the coast guard installed in May."
)
FERRY = (
    "Ferry crews walked out on Monday over pay. Crossings to the islands were cancelled and the "
    "operator said talks with the union would resume on Thursday morning."
)


@pytest.fixture
def wsettings(settings: Settings) -> Settings:
    """The hash-embedder store, allowed to fetch from loopback, with short fetch limits."""
    return settings.model_copy(
        update={"allow_private_urls": True, "url_timeout": 3.0, "watch_jitter": 0.0}
    )


def once(sources: list[str], s: Settings) -> Round:
    r = watch(sources, s, once=True)
    assert r is not None
    return r


def titles(s: Settings) -> set[str]:
    with Store.open(s) as store:
        return {a.title for a in store.list_articles()}


def test_durations_read_as_people_write_them() -> None:
    assert parse_duration("15m") == 900
    assert parse_duration("1h30m") == 5400
    assert parse_duration("90") == 90
    assert parse_duration("0.5h") == 1800
    for bad in ("soon", "15 minutes", "0s", "-5", "m15"):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)


def test_watch_tables_in_newsqa_toml_are_what_watch_runs(
    tmp_path: Path, wsettings: Settings
) -> None:
    (Path.cwd() / "newsqa.toml").write_text(
        '[[watch]]\nsource = "https://example.org/feed.xml"\nevery = "5m"\n\n'
        '[[watch]]\nsource = "inbox/"\n',
        encoding="utf-8",
    )
    s = load_settings(watch_every="1h")
    assert [(w.source, w.every) for w in s.watch] == [
        ("https://example.org/feed.xml", 300.0),
        ("inbox/", None),
    ]
    assert s.watch_every == 3600.0
    with pytest.raises(ConfigError, match="nothing to watch"):
        watch([], wsettings, once=True)
    with pytest.raises(ConfigError, match="cannot watch ftp://x"):
        watch(["ftp://x/feed"], wsettings, once=True)


def test_a_feed_is_read_once_and_then_only_what_is_new(wsettings: Settings) -> None:
    with FeedSite() as site:
        site.add("Harbour bridge reopens", BRIDGE)
        site.add("Lighthouse keeper retires", KEEPER)
        feed = site.url("/feed.xml")
        first = once([feed], wsettings)
        assert first.counts()["ingested"] == 2 and first.ok, first.line()
        assert "2 new, 0 updated, 0 unchanged, 0 duplicate, 0 failed" in first.line()
        second = once([feed], wsettings)
        assert second.counts()["ingested"] == 0
        assert second.polls[0].not_modified and site.not_modified == 1  # a conditional GET: 304
        site.add("Ferry crews strike", FERRY)
        third = once([feed], wsettings)
        assert third.counts()["ingested"] == 1 and third.counts()["unchanged"] == 2
        # every article page was fetched exactly once: stored entries are not fetched again
        pages = {p: n for p, n in site.hits.items() if p.startswith("/news/")}
        assert sorted(pages.values()) == [1, 1, 1], pages
    assert titles(wsettings) == {
        "Harbour bridge reopens",
        "Lighthouse keeper retires",
        "Ferry crews strike",
    }
    src = watch_status(wsettings).sources[0]
    assert (src.kind, src.added, src.failures, src.last_error) == ("feed", 3, 0, None)


def test_an_entry_stored_by_another_ingest_is_not_fetched(wsettings: Settings) -> None:
    from ingest import ingest

    with FeedSite() as site:
        page = site.add("Harbour bridge reopens", BRIDGE)
        ingest([page], wsettings)  # a manual ingest of the page, before anything watched it
        assert site.hits["/news/story-1.html"] == 1
        r = once([site.url("/feed.xml")], wsettings)
        assert r.counts()["unchanged"] == 1 and r.counts()["ingested"] == 0
        assert site.hits["/news/story-1.html"] == 1


def test_at_most_the_cap_per_poll_and_the_rest_in_the_next(wsettings: Settings) -> None:
    s = wsettings.model_copy(update={"watch_max_articles": 2})
    with FeedSite() as site:
        for i in range(5):
            site.add(f"Story {i} of the day", f"{KEEPER} Story {i} adds its own detail {i * 7}.")
        feed = site.url("/feed.xml")
        r1 = once([feed], s)
        assert r1.counts()["ingested"] == 2 and r1.polls[0].deferred == 3
        assert "3 left for the next round" in r1.line()
        r2 = once([feed], s)  # the feed did not change, but the backlog needs a full read
        assert not r2.polls[0].not_modified
        assert r2.counts()["ingested"] + r2.counts()["duplicate"] == 2
        r3 = once([feed], s)
        assert r3.polls[0].deferred == 0
        r4 = once([feed], s)
        assert r4.polls[0].not_modified  # all read: now the validators are kept
    with Store.open(s) as store:
        assert store.article_count() + store.stats().duplicates == 5


def _slow(seconds: float):  # type: ignore[no-untyped-def]
    def answer(h):  # type: ignore[no-untyped-def]
        time.sleep(seconds)
        FeedSite.reply(h, 200, "application/rss+xml", b"<rss></rss>")

    return answer


def _endless(h):  # type: ignore[no-untyped-def]
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.end_headers()
    h.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>')
    for _ in range(20000):
        h.wfile.write(b"<item><title>" + b"x" * 1000 + b"</title></item>")


def test_each_bad_source_is_its_own_error_and_the_others_go_on(wsettings: Settings) -> None:
    s = wsettings.model_copy(update={"max_file_bytes": 200_000})
    with FeedSite() as site:
        site.add("Harbour bridge reopens", BRIDGE)
        site.routes["/notafeed.xml"] = lambda h: FeedSite.reply(
            h, 200, "application/xml", b"<?xml version='1.0'?><catalog><book/></catalog>"
        )
        site.routes["/loop"] = lambda h: FeedSite.reply(
            h, 302, "text/plain", b"", {"Location": "/loop"}
        )
        site.routes["/slow.xml"] = _slow(6.0)
        site.routes["/endless.xml"] = _endless
        site.routes["/broken.xml"] = lambda h: FeedSite.reply(
            h,
            200,
            "application/rss+xml",
            b'<rss version="2.0"><channel><title>t</title>'
            b"<item><title>Gone</title><link>" + site.url("/news/missing-1.html").encode()
            + b"</link></item><item><title>Gone too</title><link>"
            + site.url("/news/missing-2.html").encode() + b"</link></item></channel></rss>",
        )  # fmt: skip
        bad = {
            "/dead.xml": "HTTP 404",
            "/notafeed.xml": "not an RSS or Atom feed",
            "/loop": "too many redirects",
            "/slow.xml": "timed out",
            "/endless.xml": "larger than the 200,000-byte limit",
            "/broken.xml": "all 2 articles failed",
        }
        sources = [site.url(p) for p in bad] + [site.url("/feed.xml")]
        r = once(sources, s)
    errors = {p.source.split(":", 2)[2].split("/", 1)[1]: p.error for p in r.polls}
    for path, message in bad.items():
        assert message in (errors[path.lstrip("/")] or ""), (path, errors)
    assert errors["feed.xml"] is None
    assert r.counts()["ingested"] == 1  # the good feed went on
    assert not r.ok and "failed:" in r.line() and "404" in r.line()
    status = {x.source: x for x in watch_status(s).sources}
    assert status[site.url("/dead.xml")].failures == 1
    assert "HTTP 404" in (status[site.url("/dead.xml")].last_error or "")


def test_a_failing_source_backs_off_and_recovers(wsettings: Settings) -> None:
    s = wsettings.model_copy(update={"watch_max_backoff": 3600.0})
    with FeedSite() as site:
        site.add("Harbour bridge reopens", BRIDGE)
        url = site.url("/flaky.xml")
        waits = []
        for _ in range(3):
            t0 = time.time()
            once([url], s.model_copy(update={"watch_every": 60.0}))
            src = watch_status(s).sources[0]
            assert src.next_poll is not None
            waits.append(src.next_poll - t0)
        assert src.failures == 3
        assert 110 < waits[0] < 130 and 230 < waits[1] < 250 and 470 < waits[2] < 490, waits
        site.routes["/flaky.xml"] = lambda h: FeedSite.reply(
            h, 200, "application/rss+xml", site.feed_xml()
        )
        r = once([url], s.model_copy(update={"watch_every": 60.0}))
        assert r.ok and r.counts()["ingested"] == 1
        src = watch_status(s).sources[0]
        assert src.failures == 0 and src.last_error is None and src.next_poll - time.time() < 61


def test_jitter_spreads_the_next_poll(wsettings: Settings) -> None:
    s = wsettings.model_copy(update={"watch_jitter": 0.2, "watch_every": 100.0})
    folder = Path(s.data_dir).parent / "empty"
    folder.mkdir()
    nexts = []
    for seed in range(4):
        t0 = time.time()
        watch([str(folder)], s, once=True, rng=random.Random(seed))
        nexts.append(watch_status(s).sources[0].next_poll - t0)  # type: ignore[operator]
    assert all(79 < n < 121 for n in nexts), nexts
    assert len({round(n) for n in nexts}) > 1


def test_a_folder_new_changed_and_gone(wsettings: Settings, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "bridge.txt").write_text(f"Harbour bridge reopens\n\n{BRIDGE}", encoding="utf-8")
    r1 = once([str(inbox)], wsettings)
    assert r1.counts()["ingested"] == 1
    (inbox / "keeper.txt").write_text(f"Lighthouse keeper retires\n\n{KEEPER}", encoding="utf-8")
    r2 = once([str(inbox)], wsettings)
    assert (r2.counts()["ingested"], r2.counts()["unchanged"]) == (1, 1)
    bridge = inbox / "bridge.txt"
    bridge.write_text(f"Harbour bridge reopens\n\n{BRIDGE} Tolls rise next year.", encoding="utf-8")
    os.utime(bridge, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    r3 = once([str(inbox)], wsettings)
    c = r3.counts()  # read again (without a URL its id is its text: a near-duplicate of itself)
    assert c["unchanged"] == 1 and c["ingested"] + c["updated"] + c["duplicate"] == 1, c
    for f in inbox.iterdir():
        f.unlink()
    inbox.rmdir()
    r4 = once([str(inbox)], wsettings)
    assert "is gone" in (r4.polls[0].error or "") and "stay stored" in (r4.polls[0].error or "")
    assert titles(wsettings) >= {"Harbour bridge reopens", "Lighthouse keeper retires"}


def test_one_watcher_per_data_directory(wsettings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    stop = threading.Event()
    rounds: list[Round] = []
    t = threading.Thread(
        target=watch,
        args=([str(folder)], wsettings),
        kwargs={"stop": stop, "on_round": rounds.append, "every": 3600.0},
    )
    t.start()
    try:
        deadline = time.time() + 30
        while not rounds and time.time() < deadline:
            time.sleep(0.05)
        assert rounds
        status = watch_status(wsettings)
        assert status.watcher is not None and status.watcher.running()
        assert status.watcher.pid == os.getpid()
        with pytest.raises(StoreBusyError, match=f"pid {os.getpid()}.*already watching"):
            watch([str(folder)], wsettings, once=True)
    finally:
        stop.set()
        t.join(timeout=30)
    assert not t.is_alive()
    watcher = watch_status(wsettings).watcher
    assert watcher is not None and not watcher.running()


def test_the_views_show_health_and_errors(wsettings: Settings) -> None:
    from newsqa.ui.watchview import watch_html

    with FeedSite() as site:
        site.add("Harbour bridge reopens", BRIDGE)
        once([site.url("/feed.xml"), site.url("/gone.xml")], wsettings)
    html = watch_html(watch_status(wsettings), time.time())
    assert "no watcher running" in html  # --once: no watcher left running
    assert "nq-health-failing" in html and "HTTP 404" in html
    assert "1 article" in html and site.url("/feed.xml") in html
    empty = watch_html(watch_status(wsettings.model_copy(update={"data_dir": Path("nowhere")})), 0)
    assert "No watched sources yet" in empty
