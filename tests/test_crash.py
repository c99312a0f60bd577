"""Crash safety: `kill -9` an ingest at random moments; the store always opens, its parts agree,
and a rerun finishes the job with no duplicates."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa.core.errors import StoreCorruptError
from qa.core.settings import Settings
from qa.store import Store, repair
from tests.conftest import ROOT

TOPICS = [
    "drones",
    "floods",
    "elections",
    "inflation",
    "wildfires",
    "vaccines",
    "satellites",
    "tariffs",
]


def _corpus(path: Path, n: int = 240) -> Path:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            topic = TOPICS[i % len(TOPICS)]
            words = " ".join(
                rng.choice([*TOPICS, "officials", "said", "Monday", "report", str(i)])
                for _ in range(40)
            )
            text = " ".join(
                f"Story {i} sentence {j} about {topic}: {words}." for j in range(rng.randint(2, 6))
            )
            rec = {
                "title": f"Story {i} on {topic}",
                "text": text,
                "url": f"https://crash.example/{i}",
                "published": f"2022-06-{1 + i % 28:02d}",
                "source": "Wire",
            }
            f.write(json.dumps(rec) + "\n")
    return path


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.update(
        NEWSQA_DATA_DIR=str(data_dir),
        NEWSQA_EMBEDDING_BACKEND="hash",
        NEWSQA_CHUNK_SIZE="300",
        PYTHONPATH=str(ROOT),
    )
    return env


def _ingest_cmd(corpus: Path) -> list[str]:
    return [sys.executable, "-m", "ingest", str(corpus), "--quiet"]


def _check_consistent(settings: Settings) -> dict[str, int]:
    with Store.open(settings) as store:
        with store.writing():  # replays the journal of the killed run
            pass
        s = store.stats()
        conn = store._conn()
        orphans = conn.execute(
            "SELECT count(*) FROM articles a WHERE NOT EXISTS "
            "(SELECT 1 FROM chunks c WHERE c.article_id = a.article_id)"
        ).fetchone()[0]
        assert orphans == 0, "an article without chunks"
        assert s["chunks"] == s["vectors"] == s["keyword_index_rows"], s
        assert s["pending_journal"] == 0
        ids = store.vectors.all_ids()
        assert len(ids) == len(set(ids)) == s["chunks"]
        assert set(ids) == {r[0] for r in conn.execute("SELECT chunk_id FROM chunks")}
        return {k: s[k] for k in ("articles", "chunks", "vectors", "keyword_index_rows")}


def _check_or_repair(settings: Settings, repaired: list[str]) -> None:
    """The store is consistent; or, when Chroma's own files were left unreadable (a kill landing
    while Chroma persists its index, rare), newsqa says so and `newsqa repair` rebuilds the
    vectors from SQLite with nothing lost."""
    try:
        _check_consistent(settings)
    except StoreCorruptError as exc:
        assert "newsqa repair" in str(exc)
        fresh = subprocess.run(  # is the damage on disk, or only in this process's Chroma?
            [
                sys.executable,
                "-c",
                "import sys; from newsqa import cli; sys.exit(cli.main(sys.argv[1:]))",
                "stats",
            ],
            env=_env(settings.data_dir),
            capture_output=True,
            text=True,
        )
        repaired.append(f"{exc} (a fresh process: exit {fresh.returncode})")
        report = repair(settings)
        assert report.healthy and not report.lost_articles, (repaired, report.summary())
        _check_consistent(settings)


def kill_nine_after(cmd: list[str], env: dict[str, str], seconds: float) -> bool:
    """Run `cmd`, and `kill -9` it after `seconds` unless it has ended; whether it was killed."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return killed


def _trials(tmp_path: Path, n: int) -> None:
    corpus = _corpus(tmp_path / "corpus.jsonl")
    clean_dir = tmp_path / "clean"
    subprocess.run(_ingest_cmd(corpus), env=_env(clean_dir), check=True, capture_output=True)
    expected = _check_consistent(
        Settings(data_dir=clean_dir, embedding_backend="hash", chunk_size=300)
    )
    assert expected["articles"] == 240

    rng = random.Random(1234)
    data_dir = tmp_path / "killed"
    settings = Settings(data_dir=data_dir, embedding_backend="hash", chunk_size=300)
    killed_mid_run = 0
    repaired: list[str] = []
    for _ in range(n):
        killed_mid_run += kill_nine_after(
            _ingest_cmd(corpus), _env(data_dir), rng.uniform(0.3, 3.5)
        )
        if settings.db_path.exists():
            _check_or_repair(settings, repaired)
        # start over from scratch now and then, so kills also land early in a run
        if rng.random() < 0.5:
            import shutil

            shutil.rmtree(data_dir, ignore_errors=True)
    done = subprocess.run(_ingest_cmd(corpus), env=_env(data_dir), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _check_consistent(settings) == expected
    assert killed_mid_run >= 1
    assert len(repaired) <= max(1, n // 10), repaired  # Chroma damage stays the exception


def test_kill_nine_during_ingest(tmp_path: Path) -> None:
    _trials(tmp_path, 4)


@pytest.mark.slow
def test_kill_nine_during_ingest_many_times(tmp_path: Path) -> None:
    _trials(tmp_path, 20)
