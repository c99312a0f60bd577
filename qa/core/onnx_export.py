"""Export the bundled all-MiniLM-L6-v2 to ONNX with dynamic int8 weights, once, and cache it.

The ONNX file is exported from the bundled model (`torch.onnx`, no download), quantised with
`onnxruntime.quantization`, and kept in the cache folder (`Settings.cache_dir`). Embedding with it
(`qa.core.embeddings.OnnxEmbedder`) then needs only `tokenizers` and `onnxruntime`: asking a
question never imports torch.

    python -m qa.core.onnx_export         # export now (the install script does this)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qa.core.errors import ConfigError

_FORMAT = "v2-int8-matmul-per-channel"
EXPORT_SECONDS = 15  # about what the export takes on two busy CPU cores (told to the user)


def cache_dir(configured: Path | None = None) -> Path:
    """Where exported models are kept: `configured` (`Settings.cache_dir`, NEWSQA_CACHE_DIR), else
    inside the Python environment newsqa is installed in (so the export lives and dies with the
    installation), else ~/.cache/newsqa when that environment is read-only."""
    if configured is not None:
        return Path(configured)
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


def onnx_path(model_dir: Path, cache: Path | None = None) -> Path:
    """The cached int8 ONNX file for this model folder (it may not exist yet)."""
    return cache_dir(cache) / "onnx" / _fingerprint(model_dir) / "model.int8.onnx"


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
    print(
        f"newsqa: preparing the fast embedder, one time, about {EXPORT_SECONDS} s ...",
        file=sys.stderr,
        flush=True,
    )
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp, _quiet_export():
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


class _DropRecords(logging.Filter):
    """Drops log records whose message starts with one of `prefixes`."""

    def __init__(self, *prefixes: str) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefixes)


@contextlib.contextmanager
def _quiet_export() -> Iterator[None]:
    """Silence, during the export only, what torch, transformers and ONNX Runtime say about it.

    TorchScript's deprecation notice, the tracer's warnings about Python booleans, the note on
    advanced indexing, transformers' weight-loading progress bar and ONNX Runtime's advice to
    pre-process before quantising: none of them is about anything a newsqa user can act on.
    """
    from transformers.utils import logging as hf_logging

    advice = _DropRecords("Please consider to run pre-processing before quantization")
    root = logging.getLogger()
    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*legacy TorchScript-based ONNX export")
        warnings.filterwarnings("ignore", message=r"Converting a tensor to a Python boolean")
        warnings.filterwarnings("ignore", message=r"Exporting aten::index operator")
        with contextlib.suppress(ImportError):
            from torch.jit import TracerWarning

            warnings.filterwarnings("ignore", category=TracerWarning)
        root.addFilter(advice)
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            yield
        finally:
            root.removeFilter(advice)
            hf_logging.set_verbosity(verbosity)
            if bars:
                hf_logging.enable_progress_bar()


def main() -> int:
    """Export the bundled model into the configured cache now; prints the file's path."""
    from qa.core.bundled_model import bundled_model_dir
    from qa.core.settings import load_settings

    model = bundled_model_dir()
    print(export(model, onnx_path(model, load_settings().cache_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
