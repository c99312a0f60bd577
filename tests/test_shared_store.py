"""One open store per data directory per process (`qa.store.shared_store`), refreshed when
another writer changes the directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import ingest
from qa import ask
from qa.core.settings import Settings
from qa.store import close_shared, shared_store
from tests.conftest import ROOT

FIRST = {
    "title": "Harbour bridge reopens",
    "source": "Coast Times",
    "published": "2025-05-02",
    "text": "The harbour bridge reopened on Friday after two years of repairs. Engineers replaced "
    "its cables and deck.",
}
SECOND = {
    "title": "Lighthouse keeper retires",
    "source": "Coast Times",
    "published": "2025-05-03",
    "text": "Margit Olsen kept the Skerry lighthouse for forty-one years. She retired on Saturday "
    "and hands the lamp to an automatic beacon.",
}


@pytest.fixture(autouse=True)
def _fresh() -> object:
    close_shared()
    yield
    close_shared()


def _write(path: Path, *articles: dict[str, str]) -> Path:
    path.write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")
    return path


def test_the_same_open_store_serves_every_question(settings: Settings, tmp_path: Path) -> None:
    ingest([str(_write(tmp_path / "a.jsonl", FIRST))], settings)
    a = shared_store(settings)
    assert shared_store(settings) is a
    # answer settings do not matter to the store: the same one serves both
    assert shared_store(settings.model_copy(update={"retrieval_k": 3})) is a
    other = settings.model_copy(update={"collection": "other"})
    assert shared_store(other) is not a  # another collection is another store


def test_a_write_by_another_store_reopens_the_vectors_and_is_found(
    settings: Settings, tmp_path: Path
) -> None:
    ingest([str(_write(tmp_path / "a.jsonl", FIRST))], settings)
    assert ask("When did the harbour bridge reopen?", settings=settings).answered
    store = shared_store(settings)
    vectors = store.vectors
    ingest([str(_write(tmp_path / "b.jsonl", SECOND))], settings)  # its own Store, then closed
    assert shared_store(settings) is store
    assert store.vectors is not vectors  # reopened: Chroma reads the folder afresh
    assert store.article_count() == 2


def test_a_removed_and_rebuilt_store_is_opened_anew(settings: Settings, tmp_path: Path) -> None:
    ingest([str(_write(tmp_path / "a.jsonl", FIRST))], settings)
    a = shared_store(settings)
    assert shared_store(settings) is a
    shutil.rmtree(settings.data_dir)
    ingest([str(_write(tmp_path / "b.jsonl", SECOND))], settings)  # a new database file
    b = shared_store(settings)
    assert b is not a
    assert b.article_count() == 1
    assert "Olsen" in ask("Who kept the Skerry lighthouse?", settings=settings).passages[0].text


@pytest.mark.e2e
def test_another_process_ingests_and_a_long_lived_asker_finds_it_by_meaning(
    real_settings: Settings, tmp_path: Path
) -> None:
    ingest([str(_write(tmp_path / "a.jsonl", FIRST))], real_settings)
    question = "Who looked after the sea light for four decades?"  # no keyword of SECOND's
    before = ask(question, settings=real_settings, answerer="extractive")
    assert all("Olsen" not in p.text for p in before.passages)
    env = {**os.environ, "NEWSQA_DATA_DIR": str(real_settings.data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "ingest", str(_write(tmp_path / "b.jsonl", SECOND))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    after = ask(question, settings=real_settings, answerer="extractive")
    dense = [p for p in after.passages if "Olsen" in p.text]
    assert dense, [p.text for p in after.passages]
