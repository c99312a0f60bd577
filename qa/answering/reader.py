"""The reader: a small trained model that says whether a sentence answers a question, and where.

It reads `[CLS] question [SEP] sentence [SEP] title [SEP]` (the title of the sentence's article,
when the model was trained with it: `reader.json` says so) and gives the probability that the
sentence answers the question and the most likely answer span inside it (SQuAD 2.0 style: an
answerability head on [CLS] and start/end heads over the sentence's tokens; the title is context
only, never part of a span). The shipped file is MiniLM-L6
fine-tuned by `python -m benchmarks.train_reader`, int8 ONNX, run by ONNX Runtime: no torch on
the ask path. Its model card is `qa/models/READER.md`.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.core.errors import ConfigError

MODEL_DIR = Path(__file__).parent.parent / "models"  # qa/models
MODEL_FILE = MODEL_DIR / "reader.int8.onnx"
META_FILE = MODEL_DIR / "reader.json"
MAX_TOKENS = (
    128  # question + sentence; longer sentences are cut (the span must lie in what is read)
)
MAX_QUESTION_TOKENS = 40
MAX_TITLE_TOKENS = 16
MAX_SPAN_TOKENS = 30


@dataclass(frozen=True)
class ReaderScore:
    """How well one text answers the question: `p` in [0, 1], and the answer span inside the text
    (character offsets, `text[start:end]`), or None when the model finds none."""

    p: float
    start: int | None
    end: int | None


@dataclass(frozen=True)
class Encoded:
    """A padded batch of (question, text) pairs and what maps tokens back to the texts."""

    ids: np.ndarray
    mask: np.ndarray
    types: np.ndarray
    text_mask: np.ndarray  # 1 where the token belongs to the text (where a span may be)
    offsets: list[list[tuple[int, int]]]  # per pair, per token: offsets into the text


def load_tokenizer(model_dir: Path) -> Any:
    """The base model's WordPiece tokenizer, set up for (question, text) pairs."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """Lone surrogates (invalid in UTF-8) become U+FFFD, one for one, so offsets still hold."""
    return _SURROGATE.sub("\ufffd", text)


def encode_pairs(
    tokenizer: Any,
    question: str,
    texts: Sequence[str],
    titles: Sequence[str] | None = None,
) -> Encoded:
    """Tokenise `question` with each text (and, when given, its title after the text), the
    question cut to MAX_QUESTION_TOKENS, the title to MAX_TITLE_TOKENS and the text to what fits in
    MAX_TOKENS. Training uses this function too, so both read alike."""
    question = _clean(question)
    texts = [_clean(t) for t in texts]
    q = tokenizer.encode(question, add_special_tokens=False)
    q_ids = q.ids[:MAX_QUESTION_TOKENS]
    cls_id = tokenizer.token_to_id("[CLS]")
    sep_id = tokenizer.token_to_id("[SEP]")
    if titles is not None:
        title_ids = [
            enc.ids[:MAX_TITLE_TOKENS] if t else []
            for t, enc in zip(
                titles,
                tokenizer.encode_batch([_clean(t or "") for t in titles], add_special_tokens=False),
                strict=True,
            )
        ]
    else:
        title_ids = [[] for _ in texts]
    rows: list[list[int]] = []
    types: list[list[int]] = []
    tmask: list[list[int]] = []
    offsets: list[list[tuple[int, int]]] = []
    encoded = tokenizer.encode_batch(list(texts), add_special_tokens=False)
    for enc, t_title in zip(encoded, title_ids, strict=True):
        tail = [*t_title, sep_id] if t_title else []
        room = MAX_TOKENS - len(q_ids) - 3 - len(tail)
        t_ids = enc.ids[:room]
        t_off = enc.offsets[:room]
        rows.append([cls_id, *q_ids, sep_id, *t_ids, sep_id, *tail])
        types.append([0] * (len(q_ids) + 2) + [1] * (len(t_ids) + 1 + len(tail)))
        tmask.append([0] * (len(q_ids) + 2) + [1] * len(t_ids) + [0] * (1 + len(tail)))
        offsets.append([(0, 0)] * (len(q_ids) + 2) + list(t_off) + [(0, 0)] * (1 + len(tail)))
    width = max((len(r) for r in rows), default=0)
    n = len(rows)
    ids = np.zeros((n, width), dtype=np.int64)
    mask = np.zeros((n, width), dtype=np.int64)
    tt = np.zeros((n, width), dtype=np.int64)
    tm = np.zeros((n, width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
        tt[i, : len(r)] = types[i]
        tm[i, : len(r)] = tmask[i]
    return Encoded(ids, mask, tt, tm, offsets)


def best_spans(
    start_logits: np.ndarray, end_logits: np.ndarray, text_mask: np.ndarray
) -> list[tuple[int, int] | None]:
    """The highest-scoring (start, end) token pair per row, start <= end < start + MAX_SPAN_TOKENS,
    both inside the text."""
    out: list[tuple[int, int] | None] = []
    neg = np.float32(-1e9)
    for s_log, e_log, tm in zip(start_logits, end_logits, text_mask, strict=True):
        valid = tm.astype(bool)
        if not valid.any():
            out.append(None)
            continue
        s = np.where(valid, s_log, neg)
        e = np.where(valid, e_log, neg)
        n = len(s)
        pair = s[:, None] + e[None, :]
        i, j = np.indices((n, n))
        pair = np.where((j >= i) & (j < i + MAX_SPAN_TOKENS), pair, neg)
        k = int(np.argmax(pair))
        out.append((k // n, k % n))
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class Reader:
    """The int8 ONNX reader, loaded on first use; thread-safe."""

    def __init__(self, model_file: Path = MODEL_FILE, tokenizer_dir: Path | None = None) -> None:
        self.model_file = model_file
        self._tokenizer_dir = tokenizer_dir
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        meta = reader_meta(model_file.with_name(META_FILE.name))
        # models trained before titles were read have no "context" entry
        self.reads_titles = meta.get("context") == "title"

    def _load(self) -> None:
        if not self.model_file.is_file():
            raise ConfigError(
                f"the reader model {self.model_file} is missing: reinstall newsqa, or rebuild it "
                "with `python -m benchmarks.train_reader`"
            )
        import onnxruntime as ort

        from qa.core.embeddings import bundled_model_dir

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(self.model_file), opts, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = load_tokenizer(self._tokenizer_dir or bundled_model_dir())

    def score(
        self, question: str, texts: Sequence[str], titles: Sequence[str] | None = None
    ) -> list[ReaderScore]:
        """Score each text against the question (one batch). `titles` (one per text: the title
        of its article) are read as context when the model was trained with them."""
        if not texts:
            return []
        with self._lock:
            if self._session is None:
                self._load()
            enc = encode_pairs(
                self._tokenizer, question, texts, titles if self.reads_titles else None
            )
            answer, start, end = self._session.run(
                ["answer_logit", "start_logits", "end_logits"],
                {"input_ids": enc.ids, "attention_mask": enc.mask, "token_type_ids": enc.types},
            )
        probs = _sigmoid(answer.reshape(-1))
        out = []
        for i, span in enumerate(best_spans(start, end, enc.text_mask)):
            if span is None:
                out.append(ReaderScore(float(probs[i]), None, None))
                continue
            a = enc.offsets[i][span[0]][0]
            b = enc.offsets[i][span[1]][1]
            out.append(ReaderScore(float(probs[i]), a, b))
        return out


@lru_cache(maxsize=4)
def _reader(model_file: str) -> Reader:
    return Reader(Path(model_file))


def get_reader(model_file: Path | None = None) -> Reader:
    """One reader per model file per process (expensive to load, cheap to keep); `None` is the
    shipped model."""
    return _reader(str(model_file or MODEL_FILE))


def calibrated_threshold(model_file: Path | None = None) -> float:
    """The refusal threshold the training run calibrated on held-out data for `model_file` (the
    shipped model when None; 0.5 if unrecorded)."""
    meta = (model_file or MODEL_FILE).with_name(META_FILE.name)
    return float(reader_meta(meta).get("threshold", 0.5))


@lru_cache(maxsize=8)
def reader_meta(meta_file: Path = META_FILE) -> dict[str, Any]:
    """What the training run recorded beside the model (threshold, metrics, sha256)."""
    if not meta_file.is_file():
        return {}
    data: dict[str, Any] = json.loads(meta_file.read_text(encoding="utf-8"))
    return data
