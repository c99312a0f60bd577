"""`ask()` and `ask_stream()`: a `Query` (or a question and its options) in, a cited `Answer` out."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from qa.answering.query import Query, as_query
from qa.answering.question import followup_terms, keywords
from qa.core.errors import StoreNotFoundError
from qa.core.schema import Answer, Diagnostics
from qa.core.settings import Settings, load_settings
from qa.store import Store, shared_store

REFUSAL_HINT = " Ask a question about the news."


def ask(
    query: Query | str,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    on_token: Callable[[str], None] | None = None,
    **fields: Any,
) -> Answer:
    """Answer a question from the stored articles, citing exact quotes, or refuse.

    Args:
        query: a `Query`, or the question text with its options as keyword `fields`: `since`,
            `until` (dates, or text such as "2022-06" or "June 17, 2022"), `outlets` (or
            `sources`: outlet names matched by case-insensitive substring), `article_ids`,
            `as_of` (answer as the store stood that day: later articles are left out, undated
            ones stay, and "this week" or "latest" are read from it), `k`, `answerer`
            ("extractive", "local", "openai", "ollama") and `history` (earlier (question,
            answer) turns, oldest first). Fields given beside a `Query` override its own.
        settings: defaults to `load_settings()`.
        store: an open store to reuse (otherwise one is opened and closed).
        on_token: called with each piece of text as an LLM answerer generates it.

    Undated articles are left out by `since`/`until`; the answer counts them
    (`diagnostics.undated_left_out`) and says so in `diagnostics.notes` (and, for a refusal, in
    its text).

    Raises:
        StoreNotFoundError: nothing has been ingested yet.
        QueryError: an option cannot be read (a `ConfigError`).
        ConfigError: a bad setting.
    """
    from qa.answering.extractive import REFUSAL, extractive_answer
    from qa.answering.retrieval import retrieve

    t0 = time.perf_counter()
    q = as_query(query, fields)
    settings = settings or load_settings()
    question = q.question
    if not question or (not keywords(question) and len(question) < 3):
        return Answer(
            question=question,
            text=REFUSAL + REFUSAL_HINT,
            citations=(),
            passages=(),
            answered=False,
        )
    question = question[:2000]  # longer input adds nothing but cost
    kind = q.answerer or settings.answerer
    filters = q.filters()
    own = store is None
    # opening a store costs more than a question: one per data directory is kept per process
    store = store or shared_store(settings)
    if own and store.article_count() == 0:
        raise StoreNotFoundError(
            f"no articles in {settings.data_dir} yet: run `newsqa ingest seeds/`"
        )
    undated = store.count_undated(filters) if (q.since or q.until) else 0
    if kind == "extractive":
        carried = followup_terms(question, q.history)
        standalone = f"{question} ({' '.join(carried)})" if carried else None
        retrieval = retrieve(
            question,
            settings=settings,
            store=store,
            k=q.k,
            filters=filters,
            extra_terms=carried,
            as_of=q.as_of,
        )
        previous = q.history[-1][0] if carried and q.history else None
        answer = extractive_answer(
            question, retrieval, settings=settings, store=store, previous=previous
        )
    else:
        from qa.answering.generation import condense_question, generated_answer

        standalone = condense_question(question, q.history, settings=settings, backend=kind)
        retrieval = retrieve(
            standalone or question,
            settings=settings,
            store=store,
            k=q.k,
            filters=filters,
            as_of=q.as_of,
        )
        answer = generated_answer(
            question,
            retrieval,
            settings=settings,
            store=store,
            backend=kind,
            on_token=on_token,
            standalone=standalone,
        )
    timings = {**answer.timings, "total": time.perf_counter() - t0}
    answer = replace(answer, standalone_question=standalone, timings=timings)
    return _with_undated_note(answer, undated)


def undated_note(n: int) -> str:
    """What the answer says when the date filter left out `n` undated articles."""
    articles = "article was" if n == 1 else "articles were"
    return (
        f"{n} undated {articles} left out by the date filter (since/until); "
        "ask without it to include them."
    )


def _with_undated_note(answer: Answer, undated: int) -> Answer:
    if not undated:
        return answer
    note = undated_note(undated)
    diagnostics: Diagnostics = replace(
        answer.diagnostics, undated_left_out=undated, notes=(*answer.diagnostics.notes, note)
    )
    text = answer.text if answer.answered else f"{answer.text} {note}"
    return replace(answer, text=text, diagnostics=diagnostics)


def ask_stream(query: Query | str, **kwargs: Any) -> Iterator[str | Answer]:
    """Like `ask`, but yields the answer text as it is generated, then the final `Answer`.

    With the extractive answerer there are no partial pieces: the `Answer` comes at once. The final
    `Answer` (with citations and the support verdict) is always the last item.

    Raises:
        NewsQAError: as `ask` does (raised from the generator).
    """
    q = as_query(query, {k: v for k, v in kwargs.items() if k not in _ASK_OPTIONS})
    options = {k: v for k, v in kwargs.items() if k in _ASK_OPTIONS}
    pieces: queue.Queue[tuple[str, object]] = queue.Queue()

    def run() -> None:
        try:
            result = ask(q, on_token=lambda t: pieces.put(("token", t)), **options)
            pieces.put(("answer", result))
        except BaseException as exc:  # handed to the consumer's thread
            pieces.put(("error", exc))

    worker = threading.Thread(target=run, name="newsqa-ask", daemon=True)
    worker.start()
    while True:
        kind, value = pieces.get()
        if kind == "token":
            yield str(value)
        elif kind == "answer":
            assert isinstance(value, Answer)
            yield value
            return
        else:
            assert isinstance(value, BaseException)
            raise value


_ASK_OPTIONS = ("settings", "store")
