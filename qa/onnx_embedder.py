"""all-MiniLM-L6-v2 on ONNX Runtime with dynamic int8 quantisation: the fast embedder.

The ONNX file is exported once from the bundled model (`torch.onnx`, no download), quantised with
`onnxruntime.quantization`, and cached. Embedding then needs only `tokenizers` and `onnxruntime`:
asking a question never imports torch.

    python -m qa.onnx_embedder            # export now (the install script does this)
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import ConfigError

MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length
BATCH = 32
_FORMAT = "v2-int8-matmul-per-channel"


def cache_dir() -> Path:
    """Where exported models are kept: NEWSQA_CACHE_DIR, else inside the Python environment
    newsqa is installed in (so the export lives and dies with the installation), else
    ~/.cache/newsqa when that environment is read-only."""
    env = os.environ.get("NEWSQA_CACHE_DIR")
    if env:
        return Path(env)
    prefix = Path(sys.prefix) / "share" / "newsqa"
    if prefix.is_dir() or os.access(sys.prefix, os.W_OK):
        return prefix
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsqa"


def _fingerprint(model_dir: Path) -> str:
    h = hashlib.sha256(_FORMAT.encode())
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        f = model_dir / name
        if f.is_file():
            st = f.stat()
            h.update(f"{name}:{st.st_size}".encode())
            with f.open("rb") as fh:  # the first MiB identifies the weights well enough
                h.update(fh.read(1 << 20))
    return h.hexdigest()[:16]


def onnx_path(model_dir: Path) -> Path:
    """The cached int8 ONNX file for this model folder (it may not exist yet)."""
    return cache_dir() / "onnx" / _fingerprint(model_dir) / "model.int8.onnx"


def export(model_dir: Path, target: Path | None = None) -> Path:
    """Export `model_dir` to ONNX and quantise it to dynamic int8; atomic, idempotent.

    Raises:
        ConfigError: torch or onnx is missing, or the export failed.
    """
    target = target or onnx_path(model_dir)
    if target.is_file():
        return target
    try:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel
    except ImportError as exc:
        raise ConfigError(
            f"exporting the ONNX embedder needs torch, transformers and onnx ({exc}); "
            "reinstall newsqa with `bash scripts/install.sh`"
        ) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
        bert.eval()

        class _Encoder(torch.nn.Module):
            """Keyword arguments only: transformers reorders positional ones between releases."""

            def __init__(self) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                out = self.bert(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                )
                return out.last_hidden_state

        model = _Encoder().eval()
        ids = torch.ones((2, 8), dtype=torch.long)
        mask = torch.ones((2, 8), dtype=torch.long)
        types = torch.zeros((2, 8), dtype=torch.long)
        axes = {0: "batch", 1: "tokens"}
        with torch.no_grad():
            torch.onnx.export(
                model,
                (ids, mask, types),
                str(fp32),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "last_hidden_state": {0: "batch", 1: "tokens"},
                },
                opset_version=17,
                dynamo=False,
            )
        int8 = Path(tmp) / "model.int8.onnx"
        # int8 weights per output channel, MatMul only: mean cosine 0.993 to the float model on
        # news chunks, where per-tensor weights or quantised embeddings lose far more (0.95)
        quantize_dynamic(
            str(fp32),
            str(int8),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
        os.replace(int8, target)
    (target.parent / "source.json").write_text(
        json.dumps({"model_dir": str(model_dir), "format": _FORMAT}), encoding="utf-8"
    )
    return target


class OnnxEmbedder:
    """Mean-pooled, L2-normalised MiniLM embeddings from the int8 ONNX model."""

    def __init__(self, model_dir: Path, batch_size: int = BATCH) -> None:
        from qa.embeddings import _pooling_dim

        self.model_dir = model_dir
        self.dim = _pooling_dim(model_dir)
        self.name = (
            "onnx-int8:all-MiniLM-L6-v2"
            if model_dir.name == "model"
            else f"onnx-int8:{model_dir.name}"
        )
        self.batch_size = batch_size
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = onnx_path(self.model_dir)
        if not path.is_file():
            print("newsqa: preparing the fast embedder (one-time ONNX export)...", file=sys.stderr)
            export(self.model_dir, path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tok.enable_truncation(max_length=MAX_TOKENS)
        tok.no_padding()
        self._tokenizer = tok
        self._inputs = {i.name for i in self._session.get_inputs()}

    def _run(self, texts: list[str]) -> np.ndarray:
        encs = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(["last_hidden_state"], feeds)[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if self._session is None:
                self._load()
            # length-sorted batches: padding costs little when neighbours have similar lengths
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            out = np.zeros((len(texts), self.dim), dtype=np.float32)
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                out[idx] = self._run([texts[i] for i in idx])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


if __name__ == "__main__":
    from qa.embeddings import bundled_model_dir

    print(export(bundled_model_dir()))
