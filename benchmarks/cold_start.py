"""Cold start of the speed benchmark: `newsqa ask` in a fresh process, start to the first printed
byte of the answer, and what it imported on the way (`python -X importtime`)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from qa.core.errors import NewsQAError
from qa.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


class CommandError(NewsQAError):
    """`newsqa ask` failed in the cold-start run."""


def settings_env(settings: Settings) -> dict[str, str]:
    """NEWSQA_* variables reproducing `settings` (fields that differ from their defaults)."""
    env = {"NEWSQA_DATA_DIR": str(settings.data_dir)}
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        if name in ("data_dir", "llm_api_key") or value is None or value == info.default:
            continue
        env[f"NEWSQA_{name.upper()}"] = str(value)
    return env


def _newsqa_command() -> list[str]:
    script = Path(sys.executable).parent / "newsqa"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "newsqa.cli"]


def cold_start(settings: Settings, question: str, repeat: int) -> dict[str, Any]:
    """`newsqa ask QUESTION` in fresh processes on the store in `settings.data_dir`: seconds to
    the first printed byte of the answer and to exit (each run), and the imports on that path.

    Raises:
        CommandError: the command failed (exit status other than 0 or 3, "not answered").
    """
    env = {**os.environ, **settings_env(settings)}
    base = _newsqa_command()
    cmd = [*base, "ask", question]
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err)
            assert proc.stdout is not None
            proc.stdout.read(1)  # blocks until the answer is printed
            first = time.perf_counter() - t0
            proc.stdout.read()
            rc = proc.wait()
            total = time.perf_counter() - t0
            if rc not in (0, 3):
                err.seek(0)
                raise CommandError(f"`newsqa ask` failed (exit {rc}): {err.read().decode()[-800:]}")
        runs.append({"first_answer_seconds": first, "exit_seconds": total, "exit_status": rc})
    python_args = base[1:] if base[0] == sys.executable else base
    imports = subprocess.run(
        [sys.executable, "-X", "importtime", *python_args, "ask", question],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return {"question": question, "runs": runs, **import_summary(imports.stderr)}


def import_summary(importtime: str) -> dict[str, Any]:
    """From `python -X importtime` output: whether torch (and sentence-transformers) were
    imported, and the slowest top-level imports (cumulative seconds)."""
    names: set[str] = set()
    top: list[tuple[float, str]] = []
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line.split("|")
        raw = parts[-1]
        name = raw.strip()
        names.add(name)
        with contextlib.suppress(ValueError):
            if raw.startswith(" ") and not raw.startswith("  "):
                top.append((int(parts[1]) / 1e6, name))
    top.sort(reverse=True)
    return {
        "torch_imported": any(n == "torch" or n.startswith("torch.") for n in names),
        "sentence_transformers_imported": "sentence_transformers" in names,
        "slowest_imports": [[n, round(s, 3)] for s, n in top[:6]],
    }
