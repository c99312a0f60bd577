"""The commands that answer: `newsqa ask` (one question) and `newsqa chat` (a conversation)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from newsqa.cli.options import (
    AnswererOpt,
    AsJson,
    AsOf,
    DataDir,
    Since,
    Sources,
    TopK,
    Until,
    query,
    settings,
)
from newsqa.cli.output import echo_json, format_answer
from newsqa.wording import plural
from qa import NewsQAError

if TYPE_CHECKING:
    from qa import Query


def ask_streaming(q: Query, **kwargs: Any) -> Any:
    """`qa.ask_stream`: an LLM's draft goes to stderr as it is written; returns the checked
    `Answer` (printed by the caller, with its sources, on stdout)."""
    from qa import ask_stream

    answer: Any = None
    drafted = False
    for item in ask_stream(q, **kwargs):
        if isinstance(item, str):
            typer.echo(item, nl=False, err=True)
            drafted = True
        else:
            answer = item
    if drafted:
        dropped = getattr(answer, "dropped_sentences", 0)
        note = f"; {plural(dropped, 'unsupported sentence')} dropped" if dropped else ""
        typer.echo(f"\n--- checked against the sources{note} ---", err=True)
    return answer


# docstrings are Rich markup in --help: a literal [ is written \[ (else "[n]" is read as a style)
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in quotes.", show_default=False)],
    since: Since = None,
    until: Until = None,
    source: Sources = None,
    as_of: AsOf = None,
    k: TopK = None,
    answerer: AnswererOpt = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Answer a question from the stored articles, quoting them; or say they don't cover it.

    Every \\[n] in the answer points at an exact quote listed under Sources. Exits with status 3
    when the articles don't answer the question.

    Examples:

      newsqa ask "Which country did Iran say it could export arms to?"

      newsqa ask "What happened in Sri Lanka?" --since 2022-07-01 --source CNN --json

      newsqa ask "Who leads Sri Lanka now?" --answerer local

      newsqa ask "What did Iran say about arms exports this week?" --as-of 2022-06-16
    """
    from qa import ask as run_ask

    q = query(
        question, since=since, until=until, outlets=source, as_of=as_of, k=k, answerer=answerer
    )
    ask_fn = run_ask if as_json else ask_streaming
    answer = ask_fn(q, settings=settings(data_dir=data_dir))
    if as_json:
        echo_json(answer.to_dict())
    else:
        typer.echo(format_answer(answer))
    if not answer.answered:
        raise typer.Exit(3)


def chat(
    since: Since = None,
    until: Until = None,
    source: Sources = None,
    as_of: AsOf = None,
    k: TopK = None,
    answerer: AnswererOpt = None,
    data_dir: DataDir = None,
) -> None:
    """Ask questions one after another; follow-ups ("what about Venezuela?") use the conversation.

    Type /clear to forget the conversation, /quit (or Ctrl-D) to leave.
    """
    from qa import Store

    s = settings(data_dir=data_dir)
    options = query(
        "", since=since, until=until, outlets=source, as_of=as_of, k=k, answerer=answerer
    )
    history: list[tuple[str, str]] = []
    with Store.open(s) as store:
        typer.echo(
            f"newsqa chat over {plural(store.article_count(), 'article')} in {s.data_dir}. "
            "/quit to leave."
        )
        while True:
            try:
                question = input("\nyou> ").strip()
            except EOFError:
                typer.echo("")
                return
            if not question:
                continue
            if question in ("/quit", "/exit", "/q"):
                return
            if question == "/clear":
                history.clear()
                typer.echo("(conversation cleared)")
                continue
            try:
                q = replace(options, question=question, history=tuple(history))
                # no store=: the process's shared store, which sees other processes' writes
                answer = ask_streaming(q, settings=s)
            except NewsQAError as exc:
                typer.echo(f"error: {exc}", err=True)
                continue
            typer.echo(format_answer(answer))
            history.append((question, answer.text))
