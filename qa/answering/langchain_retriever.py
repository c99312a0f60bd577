"""`NewsRetriever`: the hybrid retriever as a LangChain `BaseRetriever`, so it composes with chains."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.answering.retrieval import retrieve
from qa.core.schema import Passage
from qa.core.settings import Settings
from qa.store import Filters, Store


class NewsRetriever(BaseRetriever):
    """LangChain face of `retrieve`: composes with chains; documents carry exact offsets."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Settings
    store: Store
    k: int | None = None
    filters: Filters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        result = retrieve(
            query, settings=self.settings, store=self.store, k=self.k, filters=self.filters
        )
        return [
            Document(page_content=p.text, metadata={**p.to_dict(), "text": None}, id=p.chunk_id)
            for p in result.passages
        ]


def passages_from_documents(docs: Sequence[Document]) -> list[Passage]:
    """Back from LangChain documents to `Passage`s."""
    out = []
    for d in docs:
        meta = {k: v for k, v in d.metadata.items() if k != "text"}
        out.append(Passage(**{**meta, "text": d.page_content}))
    return out
