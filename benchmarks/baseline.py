"""The plain LangChain RAG tutorial pipeline, measured beside newsqa on the same data.

Built as the tutorial builds it: `RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200,
add_start_index=True)`, `HuggingFaceEmbeddings` on the same bundled all-MiniLM-L6-v2 (CPU),
`Chroma.from_documents(...)` in a temporary folder, and dense `similarity_search(question, k=10)`.
No title prefix, no keyword search, no re-ranking. It has no answerer: its "answer" is the text of
the top-ranked chunk. The only departure from the tutorial is Chroma's telemetry switched off,
which changes nothing measured.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.datasets import EvalArticle

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 10


@dataclass(frozen=True)
class BaselineHit:
    """One retrieved chunk: the key of its article and its text."""

    key: str
    text: str


@dataclass
class BaselineIngest:
    """What building the tutorial store took."""

    articles: int
    chunks: int
    seconds: float  # split + embed + write (the tutorial's indexing step)
    model_load_seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def _embeddings(model_dir: Path) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=str(model_dir), model_kwargs={"device": "cpu"})


class TutorialBaseline:
    """The tutorial pipeline over one corpus, persisted in `persist_dir` (use a temporary folder)."""

    def __init__(self, persist_dir: Path, model_dir: Path | None = None) -> None:
        if model_dir is None:
            from qa.core.embeddings import bundled_model_dir

            model_dir = bundled_model_dir()
        self.persist_dir = Path(persist_dir)
        self.model_dir = model_dir
        self._store: Any = None

    def build(self, articles: Sequence[EvalArticle]) -> BaselineIngest:
        """Split, embed and store `articles`; returns the counts and the wall time."""
        import chromadb
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        started = time.perf_counter()
        embeddings = _embeddings(self.model_dir)
        embeddings.embed_query("warm up")  # the model loads lazily in some versions
        loaded = time.perf_counter()
        docs = [
            Document(page_content=a.text, metadata={"key": a.key, "source": a.url or a.key})
            for a in articles
        ]
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
        )
        splits = splitter.split_documents(docs)
        split_done = time.perf_counter()
        self._store = Chroma.from_documents(
            documents=splits,
            embedding=embeddings,
            persist_directory=str(self.persist_dir),
            client_settings=chromadb.config.Settings(anonymized_telemetry=False),
        )
        done = time.perf_counter()
        return BaselineIngest(
            articles=len(docs),
            chunks=len(splits),
            seconds=done - loaded,
            model_load_seconds=loaded - started,
            timings={"split": split_done - loaded, "embed_and_store": done - split_done},
        )

    def open(self) -> None:
        """Reopen a store an earlier `build` persisted in `persist_dir`."""
        import chromadb
        from langchain_chroma import Chroma

        self._store = Chroma(
            embedding_function=_embeddings(self.model_dir),
            persist_directory=str(self.persist_dir),
            client_settings=chromadb.config.Settings(anonymized_telemetry=False),
        )

    def search(self, question: str, k: int = TOP_K) -> list[BaselineHit]:
        """Dense top-`k` chunks for `question`, best first.

        Raises:
            RuntimeError: `build` was not called.
        """
        if self._store is None:
            raise RuntimeError("call build() before search()")
        docs = self._store.similarity_search(question, k=k)
        return [BaselineHit(str(d.metadata.get("key", "")), d.page_content) for d in docs]
