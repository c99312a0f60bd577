"""Starting `python app.py` on a free loopback port for the browser and gradio_client tests."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from benchmarks.procs import free_port, serving

__all__ = ["ARTIFACTS", "CHROMIUM", "CHROMIUM_ARGS", "app_env", "free_port", "running_app"]

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
STARTUP_TIMEOUT = 180.0  # seeding the store and loading the model on a busy 2-core machine


def app_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for the app under test: its own store, offline, no developer NEWSQA_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSQA_", "GRADIO_"))}
    env.update(
        NEWSQA_DATA_DIR=str(data_dir),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def running_app(workdir: Path, *args: str, **env: str) -> Iterator[str]:
    """Run `python app.py --port PORT *args` with its store in `workdir/store`; yield its URL.

    The server's output goes to `workdir/app.log`, quoted when it fails to start. Any HTTP answer
    counts as up (401 when a login is required).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with serving(
        [sys.executable, str(ROOT / "app.py"), "--port", str(port), *args],
        ready_url=url + "config",
        log_path=workdir / "app.log",
        timeout=STARTUP_TIMEOUT,
        env=app_env(workdir / "store", **env),
        cwd=workdir,
    ):
        yield url
