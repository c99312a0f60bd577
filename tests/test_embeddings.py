"""Embedders: the fast ONNX int8 model agrees with the torch reference; asking never imports torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ingest import ingest
from qa.core.embeddings import (
    HashEmbedder,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    bundled_model_dir,
)
from qa.core.settings import Settings
from tests.conftest import ROOT, SEED_FILE


def test_hash_embedder_is_deterministic_and_lexical() -> None:
    e = HashEmbedder()
    a, b, c = e.embed_documents(
        ["Iran exports drones", "drones Iran exports", "floods in Pakistan"]
    )
    assert np.allclose(a, b) and abs(float(np.linalg.norm(a)) - 1) < 1e-5
    assert float(a @ c) < 0.5
    assert e.embed_documents([]).shape == (0, e.dim)


@pytest.mark.e2e
def test_onnx_int8_agrees_with_torch_reference() -> None:
    text = SEED_FILE.read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if len(p) > 40]
    ref = SentenceTransformerEmbedder(bundled_model_dir()).embed_documents(paragraphs)
    fast = OnnxEmbedder(bundled_model_dir()).embed_documents(paragraphs)
    cos = (ref * fast).sum(axis=1)
    assert fast.shape == ref.shape
    assert cos.mean() >= 0.98 and cos.min() >= 0.95, cos
    # rankings agree: the nearest paragraph to a question is the same
    q = "Which country did Iran say it could export arms to?"
    r_q = SentenceTransformerEmbedder(bundled_model_dir()).embed_query(q)
    f_q = OnnxEmbedder(bundled_model_dir()).embed_query(q)
    assert int(np.argmax(ref @ r_q)) == int(np.argmax(fast @ f_q))


@pytest.mark.e2e
def test_asking_does_not_import_torch(real_settings: Settings, tmp_path: Path) -> None:
    assert real_settings.embedding_backend == "onnx"
    assert ingest([str(SEED_FILE)], real_settings).counts()["ingested"] == 1
    code = (
        "import sys; from qa import ask, Settings;"
        f"a = ask('Which country did Iran say it could export arms to?', settings=Settings(data_dir={str(real_settings.data_dir)!r}));"
        "assert a.answered and 'Venezuela' in a.text, a.text;"
        "print('torch' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


@pytest.mark.e2e
def test_the_first_onnx_export_says_one_line_and_nothing_else(tmp_path: Path) -> None:
    """`python -m qa.core.onnx_export` (the install script runs it) into a fresh cache folder
    (NEWSQA_CACHE_DIR, through the settings): one line on stderr, no third-party warnings; a
    second run finds the file and says nothing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.update({"PYTHONPATH": str(ROOT), "NEWSQA_CACHE_DIR": str(tmp_path / "cache")})
    runs = [
        subprocess.run(
            [sys.executable, "-m", "qa.core.onnx_export"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        for _ in range(2)
    ]
    first, second = runs
    lines = first.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "newsqa: preparing the fast embedder, one time, about"
    ), first.stderr
    path = Path(first.stdout.strip())
    assert path.is_file() and (tmp_path / "cache") in path.parents
    assert second.stderr == "" and Path(second.stdout.strip()) == path
    # the embedder built from these settings uses that file
    s = Settings(data_dir=tmp_path / "store", cache_dir=tmp_path / "cache")
    assert OnnxEmbedder(bundled_model_dir(), cache=s.cache_dir).embed_query("Iran").shape == (384,)
