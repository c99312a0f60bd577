"""benchmarks.procs: the one helper that starts the servers tests and benchmarks talk to."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.procs import ServerError, free_port, serving, start, stop


def test_serving_waits_until_it_answers_and_stops_it(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "ok.txt").write_text("up", encoding="utf-8")
    cmd = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    url = f"http://127.0.0.1:{port}/ok.txt"
    with serving(cmd, ready_url=url, log_path=tmp_path / "log", timeout=60, cwd=tmp_path,
                 ready=lambda status: status == 200) as proc:  # fmt: skip
        assert proc.poll() is None
    assert proc.poll() is not None  # stopped on leaving


def test_a_child_that_exits_is_an_error_quoting_its_log(tmp_path: Path) -> None:
    cmd = [sys.executable, "-c", "import sys; print('bad flag --nope'); sys.exit(3)"]
    with pytest.raises(ServerError, match=r"exited with 3(.|\n)*bad flag --nope"):
        start(cmd, ready_url=f"http://127.0.0.1:{free_port()}/", log_path=tmp_path / "log",
              timeout=30)  # fmt: skip


def test_a_child_that_never_answers_times_out_and_is_stopped(tmp_path: Path) -> None:
    cmd = [sys.executable, "-c", "import time; print('sleeping', flush=True); time.sleep(600)"]
    with pytest.raises(ServerError, match=r"did not answer(.|\n)*sleeping"):
        start(cmd, ready_url=f"http://127.0.0.1:{free_port()}/", log_path=tmp_path / "log",
              timeout=2)  # fmt: skip
    stop(None)  # stopping nothing is harmless
