"""The live news desk with real processes on one data directory: a news site on loopback,
`newsqa watch` following its feed, the app (started before the news) answering from it, a
delete by a third process, `kill -9` and SIGTERM of the watcher mid-round, a watch and a manual
ingest writing at once, and `newsqa serve --watch`."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest import watch_status
from qa.core.settings import Settings
from qa.store import Store
from tests.conftest import ROOT
from tests.feedserver import FeedSite
from tests.test_crash import _check_or_repair, kill_nine_after
from tests.uiutil import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, app_env, running_app

CLI = "import sys; from newsqa import cli; sys.exit(cli.main(sys.argv[1:]))"
WAIT = 240.0  # seconds; generous, the cores are shared (never a timing assertion)

BRIDGE = (
    "The harbour bridge in Port Elling reopened on Friday after two years of repairs. Engineers "
    "replaced its steel cables and the whole road deck, the city council said."
)
KEEPER = (
    "Margit Olsen kept the Skerry lighthouse for forty-one years. She retired on Saturday and "
    "handed the lamp over to an automatic beacon."
)
DENSE_QUESTION = "Who looked after the sea light for four decades?"  # no keyword of KEEPER's


def newsqa(*args: str) -> list[str]:
    return [sys.executable, "-c", CLI, *args]


def wait_for(what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"waited {timeout:.0f} s for {what}")


def hash_env(data_dir: Path, **extra: str) -> dict[str, str]:
    return app_env(
        data_dir,
        NEWSQA_EMBEDDING_BACKEND="hash",
        NEWSQA_CHUNK_SIZE="300",
        NEWSQA_ALLOW_PRIVATE_URLS="true",
        PYTHONPATH=str(ROOT),
        **extra,
    )


def consistent(data_dir: Path) -> dict[str, int]:
    """The store opens, its parts agree (after replaying a killed writer's journal), no duplicates."""
    s = Settings(data_dir=data_dir, embedding_backend="hash", chunk_size=300)
    repaired: list[str] = []
    _check_or_repair(s, repaired)
    with Store.open(s) as store:
        st = store.stats()
        ids = store.vectors.all_ids()
        assert len(ids) == len(set(ids)) == st.chunks == st.vectors
        return {"articles": st.articles, "duplicates": st.duplicates, "chunks": st.chunks}


def busy_site(n: int, page_delay: float) -> FeedSite:
    """A feed of `n` entries whose pages answer slowly, so that a round takes a while."""
    site = FeedSite("Wire")
    rng = random.Random(3)
    words = ["port", "council", "ferry", "storm", "budget", "school", "bridge", "vote"]
    for i in range(n):
        text = " ".join(
            f"Report {i} part {j}: " + " ".join(rng.choice(words) for _ in range(30)) + "."
            for j in range(4)
        )
        site.add(f"Report number {i}", text)
    original = site._page

    def slow_page(h: Any) -> None:
        time.sleep(page_delay)
        original(h)

    site._page = slow_page  # type: ignore[method-assign]
    return site


# --- the desk: a feed, a watcher process and the app, on one data directory ------------------------
@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    client_mod = pytest.importorskip("gradio_client")
    work = tmp_path_factory.mktemp("desk")
    data_dir = work / "store"
    env = app_env(data_dir, NEWSQA_ALLOW_PRIVATE_URLS="true", PYTHONPATH=str(ROOT))
    with FeedSite() as site:
        site.add("Harbour bridge reopens in Port Elling", BRIDGE)
        feed = site.url("/feed.xml")
        log = (work / "watch.log").open("wb")
        watcher = subprocess.Popen(
            newsqa("watch", feed, site.url("/dead.xml"), "--every", "2s"),
            env=env,
            cwd=work,
            stdout=log,
            stderr=log,
        )
        try:
            wait_for(
                "the watcher's first round",
                lambda: any(s.added for s in watch_status(Settings(data_dir=data_dir)).sources),
            )
            with running_app(work, "--no-seed", NEWSQA_ALLOW_PRIVATE_URLS="true") as url:
                client = client_mod.Client(url, verbose=False)
                yield {
                    "site": site,
                    "client": client,
                    "url": url,
                    "data_dir": data_dir,
                    "env": env,
                    "work": work,
                    "watcher": watcher,
                }
        finally:
            if watcher.poll() is None:
                watcher.send_signal(signal.SIGTERM)
                watcher.wait(timeout=120)
            log.close()


def titles_listed(client: Any) -> dict[str, str]:
    return {a["title"]: a["article_id"] for a in client.predict("", api_name="/articles")}


def cited_titles(client: Any, question: str) -> tuple[str, set[str]]:
    text, citations = client.predict(question, api_name="/ask")
    return text, {c["title"] for c in citations}


@pytest.mark.e2e
def test_a_new_feed_entry_is_listed_and_answered_by_an_app_started_before_it(
    desk: dict[str, Any],
) -> None:
    client, site = desk["client"], desk["site"]
    text, cited = cited_titles(client, "When did the harbour bridge in Port Elling reopen?")
    assert "Harbour bridge reopens in Port Elling" in cited, text  # the app's store is open now
    assert "Lighthouse keeper retires" not in titles_listed(client)
    site.add("Lighthouse keeper retires", KEEPER)
    wait_for(
        "the new entry in the app's list",
        lambda: "Lighthouse keeper retires" in titles_listed(client),
    )
    text, cited = cited_titles(client, DENSE_QUESTION)
    assert "Lighthouse keeper retires" in cited and "Olsen" in text, text


@pytest.mark.e2e
def test_a_delete_by_another_process_leaves_the_apps_answers(desk: dict[str, Any]) -> None:
    client = desk["client"]
    article_id = wait_for(
        "the new entry", lambda: titles_listed(client).get("Lighthouse keeper retires")
    )
    done = subprocess.run(
        newsqa("delete", article_id, "--yes"),
        env=desk["env"],
        cwd=desk["work"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Lighthouse keeper retires" not in titles_listed(client)
    for question in (DENSE_QUESTION, "Who kept the Skerry lighthouse?"):
        text, cited = cited_titles(client, question)
        assert "Lighthouse keeper retires" not in cited and "Olsen" not in text, text
    # the watcher goes on polling and does not bring the deleted entry back
    log = desk["work"] / "watch.log"
    rounds = log.read_text().count(" round ")
    wait_for("two more rounds", lambda: log.read_text().count(" round ") >= rounds + 2)
    assert "Lighthouse keeper retires" not in titles_listed(client)
    assert desk["watcher"].poll() is None, log.read_text()[-2000:]


@pytest.mark.e2e
def test_the_library_tab_shows_the_watched_feed(desk: dict[str, Any]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    site = desk["site"]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(desk["url"], wait_until="domcontentloaded")
            page.wait_for_selector("textarea")
            page.get_by_role("tab", name="Library").click()
            page.wait_for_function(
                "() => (document.querySelector('#nq-watch')?.innerText || '')"
                ".includes('watcher running')"
            )
            shown = page.locator("#nq-watch").inner_text()
            assert site.url("/feed.xml") in shown and "2 articles" in shown, shown
            assert "failing" in shown and "HTTP 404" in shown, shown  # the dead feed, by name
            page.locator("#nq-watch").scroll_into_view_if_needed()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "ui-watch.png"), full_page=True)
        finally:
            browser.close()


# --- faults: kill -9 and SIGTERM mid-round, two writers at once ------------------------------------
def test_kill_nine_mid_round_leaves_a_store_that_opens_and_a_rerun_has_no_duplicates(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "store"
    env = hash_env(data_dir, NEWSQA_WATCH_MAX_ARTICLES="500")
    rng = random.Random(11)
    with busy_site(60, page_delay=0.03) as site:
        feed = site.url("/feed.xml")
        killed = 0
        for _ in range(3):
            killed += kill_nine_after(
                newsqa("watch", feed, "--every", "1s"), env, rng.uniform(1.5, 4.0)
            )
            if (data_dir / "newsqa.db").exists():
                consistent(data_dir)
        assert killed == 3
        done = subprocess.run(
            newsqa("watch", feed, "--once"), env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        again = subprocess.run(
            newsqa("watch", feed, "--once"), env=env, capture_output=True, text=True, timeout=300
        )
        assert " 0 new, 0 updated" in again.stdout and "0 failed" in again.stdout, again.stdout
    counts = consistent(data_dir)
    assert counts["articles"] + counts["duplicates"] == 60, counts


def test_sigterm_mid_round_stops_cleanly_and_the_next_run_finishes(tmp_path: Path) -> None:
    data_dir = tmp_path / "store"
    env = hash_env(data_dir, NEWSQA_WATCH_MAX_ARTICLES="500")
    with busy_site(40, page_delay=0.25) as site:  # ~2.5 s of page fetches per round
        feed = site.url("/feed.xml")
        proc = subprocess.Popen(
            newsqa("watch", feed, "--every", "1h"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for("the first page fetch", lambda: any(p.startswith("/news/") for p in site.hits))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "stopping after the article being stored" in err
        if (data_dir / "newsqa.db").exists():  # stopped before the round's articles were stored
            assert consistent(data_dir)["articles"] < 40
        status = watch_status(Settings(data_dir=data_dir))
        assert status.watcher is not None and status.watcher.stopped is not None
        done = subprocess.run(
            newsqa("watch", feed, "--once"), env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
    counts = consistent(data_dir)
    assert counts["articles"] + counts["duplicates"] == 40, counts


def test_a_watch_and_a_manual_ingest_at_once_are_serialised(tmp_path: Path) -> None:
    data_dir = tmp_path / "store"
    env = hash_env(data_dir, NEWSQA_WATCH_MAX_ARTICLES="500")
    corpus = tmp_path / "manual.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps(
                {
                    "title": f"Manual story {i}",
                    "url": f"https://manual.example/{i}",
                    "text": f"Manual story {i} about the {['dam', 'mill', 'quay'][i % 3]} "
                    f"project number {i}, with figures {i * 13} and {i * 31}. " * 6,
                }
            )
            for i in range(60)
        ),
        encoding="utf-8",
    )
    with busy_site(60, page_delay=0.01) as site:
        watch_proc = subprocess.Popen(
            newsqa("watch", site.url("/feed.xml"), "--once"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        ingest_proc = subprocess.Popen(
            [sys.executable, "-m", "ingest", str(corpus), "--quiet"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        w_out, w_err = watch_proc.communicate(timeout=300)
        i_out, i_err = ingest_proc.communicate(timeout=300)
    # each either waited for the other (the writer lock) or said clearly that it is busy
    for code, out, err in ((watch_proc.returncode, w_out, w_err),
                           (ingest_proc.returncode, i_out, i_err)):  # fmt: skip
        assert code == 0 or "another newsqa process is writing" in out + err, (out, err)
    counts = consistent(data_dir)
    expected = (60 if watch_proc.returncode == 0 else 0) + (
        60 if ingest_proc.returncode == 0 else 0
    )
    assert counts["articles"] + counts["duplicates"] == expected, (counts, w_out, i_out)
    assert expected >= 60


def test_serve_watch_follows_the_configured_folder(tmp_path: Path) -> None:
    client_mod = pytest.importorskip("gradio_client")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watch_list = json.dumps([{"source": str(inbox), "every": "1s"}])
    with running_app(
        tmp_path,
        "--no-seed",
        "--watch",
        NEWSQA_EMBEDDING_BACKEND="hash",
        NEWSQA_WATCH=watch_list,
    ) as url:
        client = client_mod.Client(url, verbose=False)
        (inbox / "keeper.txt").write_text(
            f"Lighthouse keeper retires\n\n{KEEPER}", encoding="utf-8"
        )
        wait_for(
            "the dropped file in the app's list",
            lambda: "Lighthouse keeper retires" in titles_listed(client),
        )
        status = watch_status(Settings(data_dir=tmp_path / "store"))
        assert status.watcher is not None and status.watcher.running()
        assert status.sources[0].source == str(inbox.resolve()) and status.sources[0].added == 1
    log = (tmp_path / "app.log").read_text()
    assert "Watching 1 source in this process" in log and "round 1" in log
