"""`ask()` from many threads while an ingest runs in the same process: every answer is correct
and cited, no call fails, and the store ends consistent."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest import ingest
from qa.answering.asking import ask
from qa.core.schema import Answer
from qa.core.settings import Settings
from qa.store import Store
from tests.conftest import SEEDS

THREADS = 16
TOPICS = [
    "volcano eruption in Iceland",
    "central bank interest rate decision",
    "football cup final in Lisbon",
    "wildfire near Sacramento",
    "election count in Recife",
    "chip factory opening in Hsinchu",
    "drought relief in Turkana",
    "rocket launch from Kourou",
]


def _base(path: Path) -> Path:
    """One article per topic, each with its own number of people affected."""
    with path.open("w", encoding="utf-8") as f:
        for i, topic in enumerate(TOPICS):
            text = (
                f"The {topic} made headlines on Monday. "
                f"Officials said the {topic} affected {1000 + i} people. "
                f"Local reporters followed the {topic} through the week."
            )
            rec = {
                "title": f"Report on the {topic}",
                "text": text,
                "url": f"https://load.test/{i}",
                "source": "Wire",
                "published": f"2022-06-{i + 1:02d}",
            }
            f.write(json.dumps(rec) + "\n")
    return path


def _unrelated(path: Path, n: int) -> Path:
    """Articles on another subject, ingested while the questions run."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            text = " ".join(
                f"Gardening column {i}, tip {j}: tomato seedlings {i}-{j} like compost and sun."
                for j in range(12)
            )
            rec = {"title": f"Garden tips {i}", "text": text, "url": f"https://garden.test/{i}"}
            f.write(json.dumps(rec) + "\n")
    return path


def _question(i: int) -> str:
    return f"How many people did the {TOPICS[i % len(TOPICS)]} affect?"


def _check(answer: Answer, i: int, texts: dict[str, str]) -> None:
    want = f"https://load.test/{i % len(TOPICS)}"
    assert answer.answered and answer.citations, answer.text
    assert answer.citations[0].article_id == want, (answer.text, answer.citations)
    assert str(1000 + i % len(TOPICS)) in answer.text
    for c in answer.citations:
        assert texts[c.article_id][c.start : c.end] == c.quote


def _hammer(
    settings: Settings,
    extra: Path,
    per_thread: int,
    call: Callable[[str], Answer],
) -> tuple[list[str], int]:
    """THREADS threads ask `per_thread` questions each while `extra` is ingested."""
    with Store.open(settings) as store:
        texts = {
            a: store.get_article(a).text for a in (r["article_id"] for r in store.list_articles())
        }  # type: ignore[union-attr]
    errors: list[str] = []
    done = [0]
    lock = threading.Lock()
    start = threading.Barrier(THREADS + 1)

    def asker(n: int) -> None:
        start.wait()
        for k in range(per_thread):
            i = n + k * THREADS
            try:
                _check(call(_question(i)), i, texts)
            except BaseException as exc:  # collected, reported by the main thread
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
            else:
                with lock:
                    done[0] += 1

    ingested: list[object] = []

    def writer() -> None:
        start.wait()
        try:
            ingested.append(ingest([str(extra)], settings))
        except BaseException as exc:
            with lock:
                errors.append(f"ingest {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=asker, args=(n,)) for n in range(THREADS)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert ingested and ingested[0].ok  # type: ignore[attr-defined]
    return errors, done[0]


def _consistent(settings: Settings) -> dict[str, int]:
    with Store.open(settings) as store:
        s = store.stats()
    assert s["chunks"] == s["vectors"] == s["keyword_index_rows"] and s["pending_journal"] == 0
    return s


def test_sixteen_threads_ask_while_ingesting(tmp_path: Path, settings: Settings) -> None:
    ingest([str(_base(tmp_path / "base.jsonl"))], settings)
    extra = _unrelated(tmp_path / "extra.jsonl", 150)
    errors, answered = _hammer(settings, extra, 6, lambda q: ask(q, settings=settings))
    assert errors == []
    assert answered == THREADS * 6
    assert _consistent(settings)["articles"] == len(TOPICS) + 150


def test_sixteen_threads_share_one_open_store(tmp_path: Path, settings: Settings) -> None:
    ingest([str(_base(tmp_path / "base.jsonl"))], settings)
    extra = _unrelated(tmp_path / "extra.jsonl", 150)
    with Store.open(settings) as shared:
        errors, answered = _hammer(
            settings, extra, 6, lambda q: ask(q, settings=settings, store=shared)
        )
    assert errors == []
    assert answered == THREADS * 6
    _consistent(settings)


def test_two_ingests_in_one_process_take_turns(tmp_path: Path, settings: Settings) -> None:
    a = _unrelated(tmp_path / "a.jsonl", 60)
    b = _base(tmp_path / "b.jsonl")
    reports: list[object] = []
    threads = [
        threading.Thread(target=lambda p=p: reports.append(ingest([str(p)], settings)))
        for p in (a, b)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert len(reports) == 2 and all(r.ok for r in reports)  # type: ignore[attr-defined]
    assert _consistent(settings)["articles"] == 60 + len(TOPICS)


@pytest.mark.e2e
def test_concurrent_questions_on_the_real_model(tmp_path: Path, real_settings: Settings) -> None:
    """The bundled embedding model, shared by 16 threads while it also embeds an ingest."""
    ingest([str(SEEDS), str(_base(tmp_path / "base.jsonl"))], real_settings)
    extra = _unrelated(tmp_path / "extra.jsonl", 20)
    errors, answered = _hammer(real_settings, extra, 2, lambda q: ask(q, settings=real_settings))
    assert errors == []
    assert answered == THREADS * 2
    _consistent(real_settings)
