"""Generated answers: an LCEL chain from retrieved passages to a checked, cited `Answer`.

    passages -> numbered, delimited prompt (prompts/answer.md) -> chat model -> text pieces
             -> claims with their [n] (qa.answering.citations) -> support check (qa.answering.support) -> Answer

Streaming: `answer_chain(...).stream(inputs)` yields the model's text pieces as they come, then the
final `Answer` (citations and support verdict) as the last item. Sentences the passages do not
back are dropped (or marked); when nothing supported remains the answer falls back to the
extractive answerer, and a model that says the passages don't cover the question gives a refusal.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from operator import itemgetter
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableGenerator,
    RunnableLambda,
    RunnablePassthrough,
)

from qa.answering import prompting
from qa.answering.citations import Quote, compose, is_refusal, split_claims, strip_markers
from qa.answering.extractive import REFUSAL, extractive_answer
from qa.answering.question import followup_terms, keywords, looks_like_followup
from qa.answering.retrieval import Retrieval
from qa.answering.support import SupportChecker
from qa.answering.timescope import in_scope, time_scope
from qa.core.dates import iso_day
from qa.core.embeddings import get_embedder
from qa.core.errors import LLMError, NewsQAError
from qa.core.schema import Answer, Diagnostics, Passage
from qa.core.settings import Settings
from qa.core.text import normalize, sentence_spans
from qa.store import Store

UNSUPPORTED_MARK = " [unsupported]"
_DELIMITERS = re.compile(r"</?\s*passages?\s*>", re.IGNORECASE)
_WORDS = re.compile(r"\S+")


# --- the prompt ----------------------------------------------------------------------------------
def prompt_passages(passages: Sequence[Passage], budget: int) -> list[Passage]:
    """The passages that fit in `budget` characters, in order, the last one cut at a sentence end.

    Cut passages keep exact offsets: `text` is still `article_text[start:end]`.
    """
    shown: list[Passage] = []
    left = budget
    for p in passages:
        if left < 150:
            break
        if len(p.text) <= left:
            shown.append(p)
            left -= len(p.text)
            continue
        cut = max((b for _, b in sentence_spans(p.text) if b <= left), default=0)
        if cut < 80:  # not even one sentence fits: cut at a word boundary
            cut = p.text.rfind(" ", 0, left) if not shown else 0
        if cut > 0:
            shown.append(replace(p, text=p.text[:cut], end=p.start + cut))
        break
    return shown


def format_passages(passages: Sequence[Passage]) -> str:
    """Numbered, delimited passages for the prompt: `[n] Title — Outlet, date` then the text."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        title = " ".join(_DELIMITERS.sub(" ", p.title or "untitled").split())
        outlet = " ".join(_DELIMITERS.sub(" ", p.source or "unknown outlet").split())
        body = " ".join(_DELIMITERS.sub(" ", p.text).split())
        blocks.append(f"[{n}] {title} — {outlet}, {iso_day(p.published)}\n{body}")
    return "\n\n".join(blocks)


def answer_messages(
    question: str, passages: Sequence[Passage], settings: Settings
) -> list[BaseMessage]:
    """The chat messages asking the model to answer `question` from `passages` only.

    The rules (prompts/system.md), one worked example (prompts/example.md: passages, question and
    answer, separated by `---` lines), then the passages and the question (prompts/answer.md).
    """
    example_passages, example_question, example_answer = (
        part.strip() for part in re.split(r"^---$", prompting.render("example"), flags=re.M)
    )
    words = str(settings.answer_max_words)
    return [
        SystemMessage(prompting.render("system")),
        HumanMessage(
            prompting.render(
                "answer", question=example_question, passages=example_passages, max_words=words
            )
        ),
        AIMessage(example_answer),
        HumanMessage(
            prompting.render(
                "answer", question=question, passages=format_passages(passages), max_words=words
            )
        ),
    ]


def _prompt_budget(settings: Settings, backend: str) -> int:
    budget = settings.llm_passage_chars
    if backend == "local":  # what fits in the local model's window (about 3 characters a token)
        budget = min(budget, (settings.llm_context_tokens - settings.llm_max_tokens - 400) * 3)
    return max(budget, 200)


# --- the chain -----------------------------------------------------------------------------------
def answer_chain(
    model: BaseChatModel,
    *,
    settings: Settings,
    store: Store,
    backend: str,
) -> Runnable[dict[str, Any], str | Answer]:
    """The LCEL chain of a generated answer.

    Input: `{"question": str, "retrieval": Retrieval, "passages": [Passage, ...]}` (the passages
    to show the model, numbered from 1). Stream it: text pieces (str) as the model writes them,
    then the checked `Answer` as the last item.
    """

    def messages(inputs: dict[str, Any]) -> list[BaseMessage]:
        return answer_messages(inputs["question"], inputs["passages"], settings)

    def finish(chunks: Iterator[dict[str, Any]]) -> Iterator[str | Answer]:
        state: dict[str, Any] = {}
        pieces: list[str] = []
        t_first: float | None = None
        t0 = time.perf_counter()
        for chunk in chunks:
            for key, value in chunk.items():
                if key == "draft":
                    if t_first is None:
                        t_first = time.perf_counter() - t0
                    pieces.append(value)
                    yield value
                else:
                    state[key] = value
        t_gen = time.perf_counter() - t0
        answer = check_draft(
            state["question"],
            "".join(pieces),
            state["passages"],
            state["retrieval"],
            settings=settings,
            store=store,
            backend=backend,
        )
        timings = {**answer.timings, "generate": t_gen}
        if t_first is not None:
            timings["first_token"] = t_first
        yield replace(answer, timings=timings)

    def generate(messages: list[BaseMessage], config: RunnableConfig) -> Iterator[str]:
        """The model step: the chat model's text as it streams, its failures as `LLMError`."""
        from qa.answering.llm import failure_hint

        try:
            for chunk in model.stream(messages, config):
                if chunk.text:
                    yield chunk.text
        except NewsQAError:
            raise
        except Exception as exc:  # unreachable server, context overflow, ...: say what to check
            raise LLMError(
                f"the {backend!r} answerer failed: {exc.__class__.__name__}: {exc} — "
                f"{failure_hint(settings, backend)}"
            ) from exc

    draft = itemgetter("messages") | RunnableLambda(generate, name=f"chat-{backend}")
    return (
        RunnablePassthrough.assign(messages=RunnableLambda(messages))
        | RunnablePassthrough.assign(draft=draft)
        | RunnableGenerator(finish)
    ).with_config(run_name="newsqa-answer")


def generated_answer(
    question: str,
    retrieval: Retrieval,
    *,
    settings: Settings,
    store: Store,
    backend: str,
    on_token: Callable[[str], None] | None = None,
    model: BaseChatModel | None = None,
    standalone: str | None = None,
) -> Answer:
    """Answer `question` from `retrieval` with the chat model of `backend`, checked sentence by sentence.

    Args:
        question: what the user asked.
        retrieval: the retrieved passages (the first ones that fit `llm_passage_chars` are shown).
        settings: LLM and support-check settings.
        store: the open store (for the extractive fallback).
        backend: "local", "openai" or "ollama"; names the `Answer.answerer`.
        on_token: called with each piece of text as the model writes it.
        model: a chat model to use instead of the backend's (tests use scripted fakes).
        standalone: the follow-up rewritten as a standalone question, which the reader judges.

    Raises:
        ConfigError: the backend's extra is missing or its settings are wrong.
        LLMError: the model failed or could not be reached.
    """
    from qa.answering.llm import chat_model

    t0 = time.perf_counter()
    # a question about a time is answered only from articles of that time (as the extractive one)
    scope = time_scope(retrieval.hint, settings)
    usable = [p for p in retrieval.passages if in_scope(p, scope)]
    shown = prompt_passages(usable, _prompt_budget(settings, backend))
    if not shown:  # nothing (of that time) retrieved: nothing for a model to read
        return _fallback(question, retrieval, settings=settings, store=store, backend=backend)
    if settings.answer_scorer == "reader":
        # the reader decides answerability for generated answers too: when no retrieved sentence
        # reaches its calibrated threshold, the answer is the same refusal and no model is asked
        judged = extractive_answer(
            standalone or question, retrieval, settings=settings, store=store
        )
        if not judged.answered:
            return replace(judged, question=question, answerer=backend)
    # an answer of `answer_max_words` words needs about 1.3 tokens a word plus its markers; text
    # past the word limit is dropped anyway, so the model is not left to write it
    limit = min(settings.llm_max_tokens, max(16, 2 * settings.answer_max_words))
    model = model or chat_model(settings, backend, max_tokens=limit)
    chain = answer_chain(model, settings=settings, store=store, backend=backend)
    answer: Answer | None = None
    for piece in chain.stream({"question": question, "retrieval": retrieval, "passages": shown}):
        if isinstance(piece, Answer):
            answer = piece
        elif on_token is not None and piece:
            on_token(piece)
    assert answer is not None  # the chain always ends with the Answer
    return replace(answer, timings={**answer.timings, "answer": time.perf_counter() - t0})


# --- checking a draft ----------------------------------------------------------------------------
def check_draft(
    question: str,
    draft: str,
    shown: Sequence[Passage],
    retrieval: Retrieval,
    *,
    settings: Settings,
    store: Store,
    backend: str,
) -> Answer:
    """Turn a model's reply into an `Answer` whose every sentence is backed by an exact quote.

    Markers that point at no passage are removed; each sentence is checked against the passages
    it cites (all shown passages when it cites none) and dropped or marked when unsupported. A
    reply that refuses gives a refusal; one with nothing supported falls back to the extractive
    answer. Renumbers the markers 1..N in order of appearance, one `Citation` each.
    """
    t0 = time.perf_counter()
    claims = split_claims(draft)
    if not claims:
        return _fallback(question, retrieval, settings=settings, store=store, backend=backend)
    refused = is_refusal(claims[0].text, REFUSAL)
    checker = SupportChecker(shown, get_embedder(settings), min_score=settings.support_min_score)
    kept: list[tuple[str, list[Quote]]] = []
    dropped = 0
    supported = 0
    words = 0
    # "X isn't said" is no claim; a sentence said twice (small models loop) counts once
    unique = {normalize(c.text): c for c in reversed(claims) if not is_refusal(c.text, REFUSAL)}
    claims = [c for c in claims if unique.get(normalize(c.text)) is c]
    verdicts = checker.check_all([(c.text, c.cites) for c in claims])
    for claim, verdict in zip(claims, verdicts, strict=True):
        if verdict.supported:
            n_words = len(_WORDS.findall(claim.text))
            if supported and words + n_words > settings.answer_max_words:
                continue  # over the length limit: keep the answer short rather than complete
            kept.append((claim.text, list(verdict.quotes)))
            supported += 1
            words += n_words
        else:
            dropped += 1
            if settings.support == "mark":
                kept.append((strip_markers(claim.text) + UNSUPPORTED_MARK, []))
    # what the support check saw, for evaluation: generated sentences and how many it dropped
    n_claims = len(claims)
    if not supported:
        if refused:  # the model says the passages don't answer: believe it
            out = _refusal(question, retrieval, backend, t0, dropped)
            return replace(
                out, diagnostics=replace(out.diagnostics, claims=n_claims, dropped=dropped)
            )
        fallback = _fallback(question, retrieval, settings=settings, store=store, backend=backend)
        return replace(
            fallback,
            dropped_sentences=dropped,
            diagnostics=replace(fallback.diagnostics, claims=n_claims, dropped=dropped),
        )
    text, citations = compose(kept)
    return Answer(
        question=question,
        text=text,
        citations=tuple(citations),
        passages=tuple(retrieval.passages),
        answered=True,
        answerer=backend,
        dropped_sentences=dropped,
        timings={**retrieval.timings, "support": time.perf_counter() - t0},
        diagnostics=Diagnostics(claims=n_claims, dropped=dropped),
    )


def _refusal(
    question: str, retrieval: Retrieval, backend: str, t0: float, dropped: int = 0
) -> Answer:
    return Answer(
        question=question,
        text=REFUSAL,
        citations=(),
        passages=tuple(retrieval.passages),
        answered=False,
        answerer=backend,
        dropped_sentences=dropped,
        timings={**retrieval.timings, "support": time.perf_counter() - t0},
    )


def _fallback(
    question: str, retrieval: Retrieval, *, settings: Settings, store: Store, backend: str
) -> Answer:
    """The extractive answer (or its refusal), reported under `backend` with `diagnostics.fallback`."""
    answer = extractive_answer(question, retrieval, settings=settings, store=store)
    return replace(answer, answerer=backend, diagnostics=replace(answer.diagnostics, fallback=True))


# --- follow-up questions -------------------------------------------------------------------------
_QUESTION_PREFIX = re.compile(r"^\s*(?:standalone\s+question|question|rewritten)\s*:\s*", re.I)


def _history_text(history: Sequence[tuple[str, str]], turns: int = 3) -> str:
    lines = []
    for q, a in history[-turns:]:
        answer = strip_markers(a)
        if len(answer) > 300:
            answer = answer[:300].rsplit(" ", 1)[0] + " …"
        lines.append(f"User: {' '.join(q.split())}\nAssistant: {answer}")
    return "\n".join(lines)


def condense_question(
    question: str,
    history: Sequence[tuple[str, str]],
    *,
    settings: Settings,
    backend: str,
    model: BaseChatModel | None = None,
) -> str | None:
    """A standalone version of a follow-up question, written by the chat model from the history.

    Returns None when there is no history or the question does not lean on it. A rewrite that
    drops every content word of the conversation and the question (a model gone astray) is
    replaced by the question plus the previous question's key terms.

    Raises:
        ConfigError, LLMError: as `generated_answer`.
    """
    if not history or not looks_like_followup(question):
        return None
    from qa.answering.llm import chat_model, failure_hint

    model = model or chat_model(settings, backend, max_tokens=64)

    def messages(values: dict[str, str]) -> list[BaseMessage]:
        return [HumanMessage(prompting.render("condense", **values))]

    chain = RunnableLambda(messages) | model | StrOutputParser()
    try:
        raw = chain.invoke({"history": _history_text(history), "question": question})
    except NewsQAError:
        raise
    except Exception as exc:
        raise LLMError(
            f"the {backend!r} answerer failed to rewrite the follow-up: {exc} — "
            f"{failure_hint(settings, backend)}"
        ) from exc
    lines = [
        ln for ln in (_QUESTION_PREFIX.sub("", x).strip(" \"'“”") for x in raw.splitlines()) if ln
    ]
    rewrite = lines[0] if lines else ""
    own = set(keywords(question))
    context = {w for q, _ in history[-3:] for w in keywords(q)} - own
    # a useful rewrite brings in something from the conversation the question left out
    if rewrite and len(rewrite) <= 400 and set(keywords(rewrite)) & context:
        return rewrite
    carried = followup_terms(question, history)
    return f"{question} ({' '.join(carried)})" if carried else None
