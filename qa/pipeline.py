"""`ask()`: a question (and the conversation so far) in, a cited `Answer` out."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date

from qa.errors import ConfigError, StoreNotFoundError
from qa.query import keywords, looks_like_followup
from qa.schema import Answer
from qa.settings import Settings, load_settings
from qa.store import Filters, Store

Turn = tuple[str, str]  # (question, answer text)

ANSWERERS = ("extractive", "local", "openai", "ollama")


def followup_terms(question: str, history: Sequence[Turn]) -> list[str]:
    """Key terms of the previous turns that a follow-up question leans on.

    "What about Venezuela?" after "Which countries does Iran export arms to?" keeps "iran",
    "export" and "arms"; a self-contained question carries nothing over.
    """
    if not history or not looks_like_followup(question):
        return []
    own = set(keywords(question))
    carried: list[str] = []
    for prev_q, _ in reversed(history[-2:]):
        for w in keywords(prev_q):
            if w not in own and w not in carried:
                carried.append(w)
    return carried[:8]


def _as_day(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ConfigError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


def ask(
    question: str,
    *,
    settings: Settings | None = None,
    history: Sequence[Turn] = (),
    k: int | None = None,
    since: date | str | None = None,
    until: date | str | None = None,
    sources: Sequence[str] = (),
    article_ids: Sequence[str] = (),
    as_of: date | str | None = None,
    answerer: str | None = None,
    store: Store | None = None,
    on_token: Callable[[str], None] | None = None,
) -> Answer:
    """Answer `question` from the stored articles, citing exact quotes, or refuse.

    Args:
        question: the question; a follow-up is resolved with `history`.
        settings: defaults to `load_settings()`.
        history: earlier `(question, answer)` turns of the conversation, oldest first.
        k: passages to retrieve (default `settings.retrieval_k`).
        since, until: only articles published in this range (dates or YYYY-MM-DD).
        sources: only these outlets.
        article_ids: only these articles.
        as_of: answer as on this day: articles published after it are left out (undated ones
            stay), and "this week", "latest" and freshness are read relative to it; default:
            relative phrases refer to the newest matching article.
        answerer: override `settings.answerer` ("extractive", "local", "openai", "ollama").
        store: an open store to reuse (otherwise one is opened and closed).
        on_token: called with each piece of text as an LLM answerer generates it.

    Raises:
        StoreNotFoundError: nothing has been ingested yet.
        ConfigError: a bad argument or setting.
    """
    from qa.answering import REFUSAL, extractive_answer
    from qa.retrieval import retrieve

    t0 = time.perf_counter()
    settings = settings or load_settings()
    question = " ".join((question or "").split())
    filters = Filters(
        since=_as_day(since),
        until=_as_day(until),
        sources=tuple(sources),
        article_ids=tuple(article_ids),
        not_after=_as_day(as_of),
    )
    kind = answerer or settings.answerer
    if kind not in ANSWERERS:
        raise ConfigError(f"unknown answerer {kind!r}; available: {', '.join(ANSWERERS)}")
    if not question or (not keywords(question) and len(question) < 3):
        from qa.schema import Answer as _Answer

        return _Answer(
            question=question,
            text=REFUSAL + " Ask a question about the news.",
            citations=(),
            passages=(),
            answered=False,
        )
    question = question[:2000]  # longer input adds nothing but cost
    own = store is None
    store = store or Store.open(settings)
    try:
        if own and store.article_count() == 0:
            raise StoreNotFoundError(
                f"no articles in {settings.data_dir} yet: run `newsqa ingest seeds/`"
            )
        if kind == "extractive":
            carried = followup_terms(question, history)
            standalone = f"{question} ({' '.join(carried)})" if carried else None
            retrieval = retrieve(
                question,
                settings=settings,
                store=store,
                k=k,
                filters=filters,
                extra_terms=carried,
                as_of=_as_day(as_of),
            )
            answer = extractive_answer(question, retrieval, settings=settings, store=store)
        else:
            from qa.generation import condense_question, generated_answer

            standalone = condense_question(question, history, settings=settings, backend=kind)
            retrieval = retrieve(
                standalone or question,
                settings=settings,
                store=store,
                k=k,
                filters=filters,
                as_of=_as_day(as_of),
            )
            answer = generated_answer(
                question, retrieval, settings=settings, store=store, backend=kind, on_token=on_token
            )
    finally:
        if own:
            store.close()
    timings = {**answer.timings, "total": time.perf_counter() - t0}
    from dataclasses import replace

    return replace(answer, standalone_question=standalone, timings=timings)


def ask_stream(question: str, **kwargs: object) -> Iterator[str | Answer]:
    """Like `ask`, but yields the answer text as it is generated, then the final `Answer`.

    With the extractive answerer there are no partial pieces: the `Answer` comes at once. The final
    `Answer` (with citations and the support verdict) is always the last item.

    Raises:
        NewsQAError: as `ask` does (raised from the generator).
    """
    pieces: queue.Queue[tuple[str, object]] = queue.Queue()

    def run() -> None:
        try:
            result = ask(question, on_token=lambda t: pieces.put(("token", t)), **kwargs)  # type: ignore[arg-type]
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
