"""Shared fixtures: every test gets its own store in tmp_path and a clean NEWSQA_* environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_a2cb458ec8047149.txt"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's NEWSQA_* variables or newsqa.toml, or writes to ./.newsqa."""
    for key in list(os.environ):
        if key.startswith("NEWSQA_"):
            monkeypatch.delenv(key)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a fresh store with the deterministic hash embedder.

    Bag-of-words vectors score lower than MiniLM's, so the refusal threshold is set for them.
    """
    return Settings(
        data_dir=tmp_path / "store", embedding_backend="hash", chunk_size=400, min_evidence=0.2
    )


@pytest.fixture
def real_settings(tmp_path: Path) -> Settings:
    """Settings for a fresh store with the real bundled MiniLM model."""
    return Settings(data_dir=tmp_path / "store")
