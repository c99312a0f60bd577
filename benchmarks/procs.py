"""Child processes that serve on a loopback port: start one, wait until it answers, stop it.

One helper for everything the benchmarks and tests start: the app (`python app.py`), llama.cpp's
OpenAI-compatible server and `chroma run`.

    with serving([sys.executable, "app.py", "--port", str(port)],
                 ready_url=f"http://127.0.0.1:{port}/config", log_path=log) as proc:
        ...
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

__all__ = ["ServerError", "free_port", "serving", "start", "stop", "tail"]


class ServerError(RuntimeError):
    """The child exited or did not answer in time; the message quotes the end of its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log file (or a note that there is none)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _status(url: str) -> int | None:
    """The HTTP status `url` answers with, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return None


def start(
    cmd: Sequence[str],
    *,
    ready_url: str,
    log_path: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    ready: Callable[[int], bool] = lambda status: True,
) -> subprocess.Popen[bytes]:
    """Start `cmd` (output to `log_path`) and wait until `ready_url` answers with a `ready` status.

    Raises:
        ServerError: the process exited, or did not answer within `timeout` seconds (it is then
            stopped).
    """
    name = Path(cmd[0]).name if len(cmd) < 2 else " ".join(Path(c).name for c in cmd[:2])
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise ServerError(f"{name} exited with {proc.returncode}:\n{tail(log_path)}")
        status = _status(ready_url)
        if status is not None and ready(status):
            return proc
        if time.monotonic() > deadline:
            stop(proc)
            raise ServerError(
                f"{name} did not answer on {ready_url} in {timeout:.0f} s:\n{tail(log_path)}"
            )
        time.sleep(0.3)


def stop(proc: subprocess.Popen[bytes] | None, grace: float = 15.0) -> None:
    """Terminate `proc`, and kill it when it does not exit within `grace` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace)


@contextlib.contextmanager
def serving(
    cmd: Sequence[str],
    *,
    ready_url: str,
    log_path: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    ready: Callable[[int], bool] = lambda status: True,
) -> Iterator[subprocess.Popen[bytes]]:
    """`start` ... `stop` as a context manager."""
    proc = start(
        cmd, ready_url=ready_url, log_path=log_path, timeout=timeout, env=env, cwd=cwd, ready=ready
    )
    try:
        yield proc
    finally:
        stop(proc)
