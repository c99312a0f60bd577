"""The Ask tab's handlers: a question (with the conversation so far) as a `qa.Query` through
`qa.ask_stream`, shown as 'Searching…', then the draft of an LLM as it is written, then the
checked answer with its sources."""

# no `from __future__ import annotations`: gradio reads these handlers' annotations at run
# time (gr.api derives the API's inputs and outputs from them), so they must be real objects
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from newsqa.ui.failures import describe
from newsqa.ui.fields import build_query
from newsqa.ui.render import (
    EMPTY_SOURCES,
    PENDING_ANSWER,
    answer_message,
    chat_messages,
    draft_message,
    error_message,
    sources_html,
    sources_panel,
)
from qa import Settings

if TYPE_CHECKING:
    from qa import Answer, Query


class ChatActions:
    """The chat handlers over the store in `settings.data_dir`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def article_text(self) -> Callable[[str], str | None]:
        """A lookup of stored article texts by id, cached for one answer."""
        from qa import Store

        cache: dict[str, str | None] = {}

        def lookup(article_id: str) -> str | None:
            if article_id not in cache:
                with Store.open(self.settings) as store:
                    art = store.get_article(article_id)
                cache[article_id] = art.text if art else None
            return cache[article_id]

        return lookup

    # --- asking -------------------------------------------------------------------------------
    def run_ask(self, query: "Query") -> "Answer":
        """`qa.ask` over this app's store.

        Raises:
            NewsQAError: an empty store, or a failing backend.
        """
        from qa import ask

        return ask(query, settings=self.settings)

    def run_ask_stream(self, query: "Query") -> Iterator["str | Answer"]:
        """`qa.ask_stream` over this app's store: an LLM's text pieces as they are written, then
        the checked `Answer`.

        Raises:
            NewsQAError: as `run_ask` (from the iterator).
        """
        from qa import ask_stream

        yield from ask_stream(query, settings=self.settings)

    def respond(
        self,
        question: str,
        turns: list[dict[str, Any]] | None,
        answerer: str,
        k: float,
        since: str,
        until: str,
        outlets: list[str] | None,
        as_of: str = "",
    ) -> Iterator[tuple[Any, ...]]:
        """Chat handler: yields (textbox, chat, sources panel, turns), first 'Searching…', then the answer.

        A generator so that a streaming backend can yield partial answers in between. A bad
        option (a date that cannot be read, say) is shown in the chat like any failure.
        """
        question = " ".join((question or "").split())
        turns = list(turns or [])
        if not question:
            yield "", chat_messages(turns), sources_panel(turns), turns
            return
        tid = (turns[-1]["id"] + 1) if turns else 1
        pending = {
            "id": tid,
            "question": question,
            "html": PENDING_ANSWER,
            "text": "",
            "sources": "",
            "pending": True,
        }
        yield "", chat_messages([*turns, pending]), sources_panel([*turns, pending]), turns
        history = [(t["question"], t["text"]) for t in turns if not t.get("error")]
        try:
            answer = None
            draft = ""
            query = build_query(
                question,
                history=history,
                k=k,
                since=since,
                until=until,
                outlets=outlets or (),
                answerer=answerer,
                as_of=as_of,
            )
            for piece in self.run_ask_stream(query):
                if not isinstance(piece, str):
                    answer = piece
                    continue
                # an LLM's draft as it is written; the checked answer replaces it at the end
                draft += piece
                writing = {**pending, "html": draft_message(draft)}
                yield "", chat_messages([*turns, writing]), sources_panel([*turns, pending]), turns
            assert answer is not None  # ask_stream always ends with the Answer
            done = {
                "id": tid,
                "question": question,
                "html": answer_message(answer, tid),
                "text": answer.text,
                "answered": answer.answered,
                "sources": sources_html(answer, question, tid, self.article_text()),
            }
        except Exception as exc:  # shown in the chat; the app keeps serving
            done = {
                "id": tid,
                "question": question,
                "html": error_message(describe(exc)),
                "text": "",
                "sources": "",
                "error": True,
            }
        turns = [*turns, done]
        yield "", chat_messages(turns), sources_panel(turns), turns

    def retry(
        self,
        turns: list[dict[str, Any]] | None,
        answerer: str,
        k: float,
        since: str,
        until: str,
        outlets: list[str] | None,
        as_of: str = "",
    ) -> Iterator[tuple[Any, ...]]:
        """Ask the last question again (with the current options)."""
        turns = list(turns or [])
        if not turns:
            yield "", [], EMPTY_SOURCES, []
            return
        last = turns.pop()
        yield from self.respond(last["question"], turns, answerer, k, since, until, outlets, as_of)

    @staticmethod
    def clear() -> tuple[Any, ...]:
        """Forget the conversation: (textbox, chat, sources panel, turns) emptied."""
        return "", [], EMPTY_SOURCES, []
