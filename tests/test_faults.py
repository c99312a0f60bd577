"""A full disk and a read-only data directory: a clear error, no traceback, no partial article,
and the store is whole again at the next write.

The disk is "filled" with RLIMIT_FSIZE in a child process (writes past the limit fail with
EFBIG, as on a full disk); the directory is made read-only with chmod, and, when the tests run
as root (who ignores file modes), the child also drops the capabilities that let root write
anyway.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest import ingest
from qa.core.settings import Settings
from qa.store import Store
from tests.conftest import ROOT, SEEDS


def _big_article(path: Path) -> Path:
    words = " ".join(f"term{i}" for i in range(20))
    text = " ".join(f"Sentence {i} about the harbour works and {words}." for i in range(3000))
    path.write_text(
        json.dumps({"title": "A very long report", "text": text, "url": "https://big.test/1"})
        + "\n",
        encoding="utf-8",
    )
    return path


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.update(
        NEWSQA_DATA_DIR=str(settings.data_dir),
        NEWSQA_EMBEDDING_BACKEND="hash",
        NEWSQA_CHUNK_SIZE=str(settings.chunk_size),
        PYTHONPATH=str(ROOT),
    )
    return env


def _rows(settings: Settings) -> dict[str, str]:
    with Store.open(settings) as store:
        return {a.article_id: a.text for a in store.get_articles(
            [r["article_id"] for r in store.list_articles()]
        ).values()}  # fmt: skip


def _whole(settings: Settings) -> dict[str, int]:
    """Open for writing (replaying any journal) and check every part agrees."""
    with Store.open(settings) as store:
        with store.writing():
            pass
        s = store.stats()
        ids = store.vectors.all_ids()
        chunk_ids = {r[0] for r in store._conn().execute("SELECT chunk_id FROM chunks")}
    assert s["chunks"] == s["vectors"] == s["keyword_index_rows"] and s["pending_journal"] == 0
    assert set(ids) == chunk_ids
    return {k: s[k] for k in ("articles", "duplicates", "chunks", "vectors", "keyword_index_rows")}


def _sizes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def _run_ingest(
    settings: Settings, source: Path, preexec: Callable[[], None] | None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingest", str(source), "--quiet"],
        env=_env(settings),
        cwd=ROOT,
        preexec_fn=preexec,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.fixture
def seeded(settings: Settings) -> Settings:
    ingest([str(SEEDS)], settings)
    return settings


@pytest.mark.parametrize("where", ["vectors", "database"])
def test_disk_full_during_ingest(seeded: Settings, tmp_path: Path, where: str) -> None:
    big = _big_article(tmp_path / "big.jsonl")
    before_rows = _rows(seeded)
    before = _whole(seeded)
    start = _sizes(seeded.data_dir)
    # measure how much each file grows on a copy, then set the limit so that either the vector
    # store's first write, or the database's, is the one that fails
    probe = seeded.model_copy(update={"data_dir": tmp_path / "probe"})
    shutil.copytree(seeded.data_dir, probe.data_dir)
    assert _run_ingest(probe, big, None).returncode == 0
    grown = _sizes(probe.data_dir)
    chroma_max = max(v for k, v in grown.items() if k.startswith("chroma"))
    db_growth = grown["newsqa.db"] - start["newsqa.db"]
    if where == "vectors":
        limit = max(start.values()) + 16_384
    else:
        limit = chroma_max + 65_536
        if db_growth <= limit:
            pytest.skip("the article is too small to fill the database before the vectors")
    # a few times: a failed Chroma write once made the next Chroma call in the process hang
    for _ in range(3 if where == "vectors" else 1):
        done = _run_ingest(seeded, big, _limit_file_size(limit))
        assert done.returncode == 1, (done.stdout, done.stderr)
        assert done.stderr.startswith("error: "), done.stderr
        assert "Traceback" not in done.stderr
        assert re.search(r"could not write|disk", done.stderr), done.stderr
        if where == "database":
            assert "could not write the store" in done.stderr
    # no partial article: the same articles, the same text, all parts in step
    assert _rows(seeded) == before_rows
    assert _whole(seeded) == before
    # with room again, the same ingest completes
    again = _run_ingest(seeded, big, None)
    assert again.returncode == 0, again.stderr
    after = _whole(seeded)
    assert after["articles"] == before["articles"] + 1


def _drop_root_write_power() -> None:
    """In the child: lose CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (root obeys file modes)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop = 24
    for cap in (1, 2):
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _read_only(path: Path, on: bool) -> None:
    for p in [path, *path.rglob("*")]:
        mode = p.stat().st_mode
        p.chmod(mode & ~0o222 if on else mode | 0o200)


def _can_write(folder: Path, preexec: Callable[[], None] | None) -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", f"open({str(folder / 'probe')!r}, 'w')"],
        preexec_fn=preexec,
        capture_output=True,
    )
    return probe.returncode == 0


def test_read_only_data_directory(seeded: Settings, tmp_path: Path) -> None:
    corpus = tmp_path / "more.jsonl"
    corpus.write_text(
        json.dumps({"title": "New", "text": "A new story about the port. " * 30}) + "\n",
        encoding="utf-8",
    )
    before_rows = _rows(seeded)
    before = _whole(seeded)
    preexec = _drop_root_write_power if os.geteuid() == 0 else None
    _read_only(seeded.data_dir, True)
    try:
        if _can_write(seeded.data_dir, preexec):
            pytest.skip("cannot make a directory read-only for this user here")
        done = _run_ingest(seeded, corpus, preexec)
        assert done.returncode == 1
        assert done.stderr.startswith("error: ") and "read-only" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        asked = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from newsqa import cli; sys.exit(cli.main(sys.argv[1:]))",
                "ask",
                "Iran",
            ],
            env=_env(seeded),
            cwd=ROOT,
            preexec_fn=preexec,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert asked.returncode == 1 and "read-only" in asked.stderr, asked.stderr
        assert "Traceback" not in asked.stderr
    finally:
        _read_only(seeded.data_dir, False)
    assert _rows(seeded) == before_rows
    assert _whole(seeded) == before
