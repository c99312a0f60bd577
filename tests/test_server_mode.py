"""Server mode: vectors on a real Chroma server (`chroma run` on loopback, started and stopped by
the tests), everything else unchanged; a server that is down or hung is a clear error and leaves
the local database as it was."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.procs import free_port, start, stop
from ingest import ingest
from newsqa import cli
from qa.answering.asking import ask
from qa.core.errors import NewsQAError, StoreNotFoundError
from qa.core.settings import Settings
from qa.store import Store, check, repair
from tests.conftest import SEEDS
from tests.test_store import _prepared

IRAN_Q = "Which country did Iran say it could export arms to?"


def chroma_executable() -> str:
    exe = Path(sys.executable).parent / "chroma"
    found = str(exe) if exe.exists() else shutil.which("chroma")
    if not found:
        pytest.skip("the chroma CLI (installed with chromadb) is not on this machine")
    return found


class ChromaServer:
    """`chroma run --path DIR --port PORT --host 127.0.0.1` as a child process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = path.parent / f"chroma-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 90.0) -> ChromaServer:
        """Start and wait until the heartbeat answers (bounded by `wait` seconds)."""
        cmd = [chroma_executable(), "run", "--path", str(self.path), "--port", str(self.port),
               "--host", "127.0.0.1"]  # fmt: skip
        self.proc = start(
            cmd, ready_url=self.url + "/api/v2/heartbeat", log_path=self.log, timeout=wait,
            ready=lambda status: status == 200,
        )  # fmt: skip
        return self

    def stop(self) -> None:
        stop(self.proc)
        self.proc = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    srv = ChromaServer(tmp_path / "chroma-server").start()
    try:
        yield srv
    finally:
        srv.stop()


def _settings(tmp_path: Path, url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "store",
        chroma_url=url,
        collection=f"t{uuid.uuid4().hex[:12]}",
        embedding_backend="hash",
        chunk_size=400,
        min_evidence=0.25,
        chroma_timeout=10.0,
    )


def _corpus(path: Path) -> Path:
    lines = []
    for i, topic in enumerate(["volcano", "harbour", "election", "drought"]):
        text = " ".join(
            f"The {topic} report {i} said {2000 + i} families moved in week {j}." for j in range(10)
        )
        lines.append(
            json.dumps({"title": f"{topic} report", "text": text, "url": f"https://srv.test/{i}"})
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _server_count(settings: Settings) -> int:
    import chromadb

    assert settings.chroma_url
    port = int(settings.chroma_url.rsplit(":", 1)[1])
    client = chromadb.HttpClient(host="127.0.0.1", port=port)
    try:
        return int(client.get_collection(settings.collection).count())
    finally:
        client.close()


def _local_rows(settings: Settings) -> dict[str, list[tuple]]:
    """Every row of the local database's own tables (to prove nothing changed)."""
    con = sqlite3.connect(settings.db_path)
    try:
        return {
            t: sorted(con.execute(f"SELECT * FROM {t}").fetchall())
            for t in ("meta", "articles", "chunks", "duplicates", "journal", "lsh")
        }
    finally:
        con.close()


def _consistent(settings: Settings) -> dict[str, int]:
    with Store.open(settings) as store:
        with store.writing():
            pass
        s = store.stats()
        ids = store.vectors.all_ids()
    assert s["chunks"] == s["vectors"] == s["keyword_index_rows"] == len(set(ids)) == len(ids)
    assert s["pending_journal"] == 0
    return s


def _cites(answer: object, article_id: str | None = None) -> bool:
    cits = answer.citations  # type: ignore[attr-defined]
    return bool(cits) and (article_id is None or any(c.article_id == article_id for c in cits))


@pytest.mark.e2e
def test_ingest_ask_delete_reingest_through_a_chroma_server(
    tmp_path: Path, server: ChromaServer
) -> None:
    settings = _settings(tmp_path, server.url)
    corpus = _corpus(tmp_path / "corpus.jsonl")
    report = ingest([str(SEEDS), str(corpus)], settings)
    assert report.counts()["ingested"] == 5, report.to_dict()
    assert not settings.chroma_path.exists()  # no embedded vector folder: they live on the server
    stats = _consistent(settings)
    assert _server_count(settings) == stats["chunks"]

    answer = ask(IRAN_Q, settings=settings)
    assert _cites(answer) and "Venezuela" in answer.text
    with Store.open(settings) as store:
        for c in answer.citations:
            art = store.get_article(c.article_id)
            assert art is not None and art.text[c.start : c.end] == c.quote
        seed_id = answer.citations[0].article_id
        seed_chunks = len(store._chunk_ids_of([seed_id]))
        with store.writing():
            assert store.delete_articles([seed_id]) == 1
    assert _server_count(settings) == stats["chunks"] - seed_chunks
    assert not _cites(ask(IRAN_Q, settings=settings), seed_id)

    again = ingest([str(SEEDS), str(corpus)], settings)
    assert again.counts()["ingested"] == 1 and again.counts()["unchanged"] == 4
    assert _consistent(settings)["chunks"] == stats["chunks"]
    assert _server_count(settings) == stats["chunks"]  # no duplicates on the server

    # the server keeps the vectors across a restart
    server.stop()
    server.start()
    assert _cites(ask(IRAN_Q, settings=settings), seed_id)
    assert _consistent(settings)["vectors"] == stats["chunks"]


@pytest.mark.e2e
def test_server_down_is_a_clear_error_and_changes_nothing_local(
    tmp_path: Path, server: ChromaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _settings(tmp_path, server.url)
    ingest([str(SEEDS)], settings)
    before = _local_rows(settings)
    server.stop()

    with pytest.raises(StoreNotFoundError, match="cannot reach the Chroma server at http://127"):
        ask(IRAN_Q, settings=settings)
    with pytest.raises(NewsQAError, match="Chroma server"):
        ingest([str(_corpus(tmp_path / "corpus.jsonl"))], settings)
    assert _local_rows(settings) == before

    env = {
        "NEWSQA_CHROMA_URL": server.url,
        "NEWSQA_COLLECTION": settings.collection,
        "NEWSQA_EMBEDDING_BACKEND": "hash",
    }
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        d = str(settings.data_dir)
        for argv in (
            ["ask", IRAN_Q, "--data-dir", d],
            ["ingest", str(tmp_path / "corpus.jsonl"), "--data-dir", d, "-q"],
            ["delete", "--all", "--yes", "--data-dir", d],
            ["repair", "--data-dir", d],
        ):
            assert cli.main(argv) != 0, argv
            out = capsys.readouterr()
            said = out.out + out.err
            assert "Chroma server" in said and "Traceback" not in said, (argv, said)
    assert _local_rows(settings) == before

    # the server dies while a writer is connected: the article is not written, and the journal
    # entry left behind is replayed once the server is back
    server.start()
    with Store.open(settings) as store, store.writing():
        server.stop()
        with pytest.raises(NewsQAError, match="Chroma server"):
            store.write_articles([_prepared("late", "A late story about floods. " * 20)])
    after = _local_rows(settings)
    assert after["articles"] == before["articles"] and after["chunks"] == before["chunks"]
    server.start()
    assert _consistent(settings)["articles"] == 1
    assert _cites(ask(IRAN_Q, settings=settings))


@pytest.mark.e2e
def test_repair_rebuilds_a_lost_server_collection(tmp_path: Path, server: ChromaServer) -> None:
    import chromadb

    settings = _settings(tmp_path, server.url)
    ingest([str(SEEDS), str(_corpus(tmp_path / "corpus.jsonl"))], settings)
    chunks = _consistent(settings)["chunks"]
    client = chromadb.HttpClient(host="127.0.0.1", port=server.port)
    client.delete_collection(settings.collection)
    client.close()
    found = check(settings)
    assert any("collection" in f.problem and "missing" in f.problem for f in found.findings)
    done = repair(settings)
    assert done.healthy and not done.lost_articles
    assert _server_count(settings) == chunks
    assert _cites(ask(IRAN_Q, settings=settings))


def test_hung_server_times_out_with_a_clear_error(tmp_path: Path) -> None:
    """A port that accepts connections but never answers: a bounded wait, then a clear error."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(listener.accept()[0])

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        port = listener.getsockname()[1]
        settings = Settings(
            data_dir=tmp_path / "store",
            chroma_url=f"http://127.0.0.1:{port}",
            embedding_backend="hash",
            chroma_timeout=0.5,
        )
        with (
            pytest.raises(StoreNotFoundError, match="ReadTimeout"),
            Store.open(settings, create=True) as store,
        ):
            store.vectors.count()
    finally:
        stop.set()
        t.join(timeout=5)
        for s in accepted:
            s.close()
        listener.close()


def test_bad_chroma_url_is_a_config_error(tmp_path: Path) -> None:
    from qa.core.errors import ConfigError

    settings = Settings(data_dir=tmp_path / "store", chroma_url="ftp://x", embedding_backend="hash")
    with (
        pytest.raises(ConfigError, match="http://host:port"),
        Store.open(settings, create=True) as store,
    ):
        store.vectors.count()
