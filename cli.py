"""`newsqa`: the command line. A view only: every command calls the same functions Python users call."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from qa import NewsQAError

app = typer.Typer(
    name="newsqa",
    help=(
        "Ask questions about news articles and get answers that quote them.\n\n"
        'Start with `newsqa ingest seeds/`, then `newsqa ask "..."`. Settings come from NEWSQA_* '
        "environment variables or ./newsqa.toml; the store lives in ./.newsqa by default."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", "-d", help="Store folder (default: NEWSQA_DATA_DIR or ./.newsqa)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _settings(**overrides: Any) -> Any:
    from qa import load_settings

    return load_settings(**overrides)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@app.command()
def ingest(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders (read recursively), glob patterns, http(s) URLs, RSS/Atom feed URLs, "
            "or - for standard input. Formats: txt, md, html, json, jsonl, RSS/Atom.",
            show_default=False,
        ),
    ],
    data_dir: DataDir = None,
    as_json: AsJson = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bars or item lines.")
    ] = False,
) -> None:
    """Read articles, chunk and embed them, and store them.

    Re-running on the same articles changes nothing; a changed article replaces its old version;
    a near-duplicate of a stored article (the same wire story from another outlet) is listed with
    the original instead of being stored twice. Exits with status 1 when any item failed.

    Examples:

      newsqa ingest seeds/

      newsqa ingest 'archive/**/*.html' https://example.org/feed.xml

      cat story.txt | newsqa ingest -
    """
    from ingest import ingest as run_ingest

    settings = _settings(data_dir=data_dir)
    report = run_ingest(sources, settings, progress=not quiet and not as_json)
    if as_json:
        _echo_json(report.to_dict())
    else:
        items = report.items
        shown = [it for it in items if it.status != "unchanged"] if len(items) > 30 else items
        if not quiet:
            for it in shown:
                label = it.title or it.origin
                extra = ""
                if it.status == "failed":
                    extra = f": {it.reason}"
                elif it.status == "duplicate":
                    extra = f" (duplicate of {it.duplicate_of}, similarity {it.similarity})"
                elif it.chunks:
                    extra = f" ({it.chunks} chunks)"
                typer.echo(f"{it.status:>9}  {label}{extra}", err=it.status == "failed")
        typer.echo(f"{report.summary()} -> {settings.data_dir}")
    if not report.ok:
        raise typer.Exit(1)


@app.command("list")
def list_(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this outlet (repeatable).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Published on or after this day (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Published on or before this day (YYYY-MM-DD).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many articles.")] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """List stored articles, newest first, with their chunks and near-duplicates."""
    from qa import Store

    settings = _settings(data_dir=data_dir)
    with Store.open(settings) as store:
        rows = store.list_articles(_filters(since, until, source), limit=limit)
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        typer.echo("no articles match")
        return
    for r in rows:
        date = (r["published"] or "undated")[:10]
        dup = f"  +{len(r['duplicates'])} duplicate(s)" if r["duplicates"] else ""
        typer.echo(f"{date:<12} {(r['source'] or '-')[:18]:<18} {r['title'][:70]}{dup}")
        typer.echo(f"{'':<12} {r['chunks']} chunks  id: {r['article_id']}")
        for d in r["duplicates"]:
            typer.echo(
                f"{'':<12} duplicate: {(d['source'] or '-')} {d['title'][:60]} ({d['article_id']})"
            )
    typer.echo(f"{len(rows)} article(s)")


@app.command()
def delete(
    ids: Annotated[
        list[str] | None,
        typer.Argument(help="Article ids (see `newsqa list`).", show_default=False),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", "-s", help="Delete every article of this outlet.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Delete every article.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Delete articles: their text, chunks, keyword index entries and vectors, together."""
    from qa import Filters, Store

    if not ids and not source and not all_:
        raise typer.BadParameter("give article ids, --source S or --all")
    settings = _settings(data_dir=data_dir)
    with Store.open(settings) as store:
        if all_:
            targets = [r["article_id"] for r in store.list_articles()]
        elif source:
            targets = [r["article_id"] for r in store.list_articles(Filters(sources=(source,)))]
        else:
            targets = list(ids or [])
        if (all_ or source) and not yes:
            if not sys.stdin.isatty():
                raise typer.BadParameter(
                    f"this deletes {len(targets)} article(s); add --yes to confirm"
                )
            typer.confirm(f"Delete {len(targets)} article(s) from {settings.data_dir}?", abort=True)
        with store.writing():
            deleted = store.delete_articles(targets)
    missing = len(set(targets)) - deleted
    typer.echo(
        f"deleted {deleted} article(s)" + (f"; {missing} id(s) not found" if missing else "")
    )
    if ids and missing:
        raise typer.Exit(1)


@app.command()
def stats(data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """Counts of articles, chunks, vectors and keyword index rows (they agree in a healthy store)."""
    from qa import Store

    settings = _settings(data_dir=data_dir)
    with Store.open(settings) as store:
        s = store.stats()
        s["top_sources"] = store.sources()[:10]
    if as_json:
        _echo_json(s)
        return
    for key in (
        "data_dir",
        "articles",
        "duplicates",
        "chunks",
        "vectors",
        "keyword_index_rows",
        "pending_journal",
        "sources",
        "oldest",
        "newest",
        "undated",
        "embedder",
        "db_bytes",
    ):
        typer.echo(f"{key:<20} {s[key]}")
    if s["top_sources"]:
        typer.echo("top sources          " + ", ".join(f"{n} ({c})" for n, c in s["top_sources"]))


@app.command()
def repair(
    check_only: Annotated[
        bool, typer.Option("--check", help="Only report problems; change nothing.")
    ] = False,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Find and fix a damaged store: a missing or corrupt database, a deleted vector folder,
    vectors and chunks out of step, a stale keyword index, writes interrupted by a crash.

    Vectors and the keyword index are rebuilt from the database (nothing is embedded again);
    articles whose text is gone are listed as lost. Replaced parts are moved into
    <data dir>/repair-<time>/, never deleted. Stop the app and any ingest first.
    Exits 0 when the store is healthy, 2 when --check found problems, 1 when some remain.
    """
    from qa import check, repair

    settings = _settings(data_dir=data_dir)
    report = check(settings) if check_only else repair(settings)
    reingested = None
    if report.reingest_file and not check_only:
        from ingest import ingest as run_ingest

        reingested = run_ingest([report.reingest_file], settings)
    if as_json:
        out = report.to_dict()
        if reingested is not None:
            out["reingest"] = reingested.to_dict()
        _echo_json(out)
    else:
        typer.echo(report.summary())
        if reingested is not None:
            typer.echo(f"re-ingested {report.reingest_file}: {reingested.summary()}")
    if not report.healthy:
        raise typer.Exit(2 if check_only else 1)


Since = Annotated[
    str | None, typer.Option(help="Only articles published on or after this day (YYYY-MM-DD).")
]
Until = Annotated[
    str | None, typer.Option(help="Only articles published on or before this day (YYYY-MM-DD).")
]
Sources = Annotated[
    list[str] | None, typer.Option("--source", "-s", help="Only this outlet (repeatable).")
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Answer as on this day (YYYY-MM-DD): later articles are left out, and 'this week' "
        "or 'latest' are read relative to it.",
    ),
]
TopK = Annotated[
    int | None, typer.Option("-k", help="Passages to retrieve (default: NEWSQA_RETRIEVAL_K).")
]
AnswererOpt = Annotated[
    str | None,
    typer.Option(
        "--answerer",
        help="extractive, local, openai or ollama (default: NEWSQA_ANSWERER); the LLM ones need "
        "`pip install 'newsqa[llm]'`.",
    ),
]


def _ask_streaming(question: str, **kwargs: Any) -> Any:
    """`qa.pipeline.ask_stream`: an LLM's draft goes to stderr as it is written; returns the
    checked `Answer` (printed by the caller, with its sources, on stdout)."""
    from qa import ask_stream

    answer: Any = None
    drafted = False
    for item in ask_stream(question, **kwargs):
        if isinstance(item, str):
            typer.echo(item, nl=False, err=True)
            drafted = True
        else:
            answer = item
    if drafted:
        dropped = getattr(answer, "dropped_sentences", 0)
        note = f"; {dropped} unsupported sentence(s) dropped" if dropped else ""
        typer.echo(f"\n--- checked against the sources{note} ---", err=True)
    return answer


def _format_answer(answer: Any) -> str:
    lines = [answer.text, ""]
    if answer.citations:
        lines.append("Sources:")
        for c in answer.citations:
            when = c.published[:10] if c.published else "date unknown"
            lines.append(f"[{c.n}] {c.title} — {c.source or 'unknown outlet'}, {when}")
            lines.append(f"    “{c.quote}”")
            if c.url:
                lines.append(f"    {c.url}")
    elif answer.passages:
        lines.append("Related, not an answer:")
        seen: set[str] = set()
        for p in answer.passages:
            if p.article_id in seen:
                continue
            seen.add(p.article_id)
            lines.append(
                f"  - {p.title} — {p.source or 'unknown outlet'}, {p.published[:10] if p.published else 'date unknown'}"
            )
            if len(seen) == 3:
                break
    return "\n".join(lines).rstrip()


@app.command()
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

    Every [n] in the answer points at an exact quote listed under Sources. Exits with status 3
    when the articles don't answer the question.

    Examples:

      newsqa ask "Which country did Iran say it could export arms to?"

      newsqa ask "What happened in Sri Lanka?" --since 2022-07-01 --source CNN --json

      newsqa ask "Who leads Sri Lanka now?" --answerer local

      newsqa ask "What did Iran say about arms exports this week?" --as-of 2022-06-16
    """
    from qa import ask as run_ask

    settings = _settings(data_dir=data_dir, answerer=answerer)
    f = _filters(since, until, source, as_of)
    ask_fn = run_ask if as_json else _ask_streaming
    answer = ask_fn(
        question,
        settings=settings,
        k=k,
        since=f.since,
        until=f.until,
        sources=f.sources,
        as_of=f.not_after,
    )
    if as_json:
        _echo_json(answer.to_dict())
    else:
        typer.echo(_format_answer(answer))
    if not answer.answered:
        raise typer.Exit(3)


@app.command()
def chat(
    since: Since = None,
    until: Until = None,
    source: Sources = None,
    k: TopK = None,
    answerer: AnswererOpt = None,
    data_dir: DataDir = None,
) -> None:
    """Ask questions one after another; follow-ups ("what about Venezuela?") use the conversation.

    Type /clear to forget the conversation, /quit (or Ctrl-D) to leave.
    """
    from qa import Store

    settings = _settings(data_dir=data_dir, answerer=answerer)
    f = _filters(since, until, source)
    history: list[tuple[str, str]] = []
    with Store.open(settings) as store:
        typer.echo(
            f"newsqa chat over {store.article_count()} article(s) in {settings.data_dir}. /quit to leave."
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
                answer = _ask_streaming(
                    question,
                    settings=settings,
                    history=history,
                    k=k,
                    since=f.since,
                    until=f.until,
                    sources=f.sources,
                    store=store,
                )
            except NewsQAError as exc:
                typer.echo(f"error: {exc}", err=True)
                continue
            typer.echo(_format_answer(answer))
            history.append((question, answer.text))


@app.command("eval")
def eval_(
    dataset: Annotated[str, typer.Argument(help="realtimeqa, xquad or rgb.", show_default=False)],
    data: Annotated[Path, typer.Option("--data", help="The data set folder (realtimeqa) or file (xquad, rgb).")],
    limit: Annotated[int | None, typer.Option(help="Only the first N questions (a quick run).")] = None,
    negatives: Annotated[bool, typer.Option("--negatives", help="Also measure refusals with half the gold articles left out.")] = False,
    baseline: Annotated[bool, typer.Option("--baseline/--no-baseline", help="Run the LangChain tutorial pipeline side by side.")] = True,
    answerer: Annotated[str | None, typer.Option(help="Answer backend (default: NEWSQA_ANSWERER).")] = None,
    k: TopK = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write every figure and per-question record to this file.")] = None,
    workdir: Annotated[Path | None, typer.Option(help="Keep the stores in this folder and reuse them on the next run with the same data and ingest settings (try other answer settings without re-ingesting).")] = None,
) -> None:
    """Measure retrieval and answers on a public QA benchmark, newsqa beside the tutorial baseline.

    Stores are built in temporary folders from the data where it lies (it is never copied);
    with --workdir they are kept and reused by the next run.

    Examples:

      newsqa eval realtimeqa --data ../shared/eval/realtimeqa --negatives --json rtqa.json

      newsqa eval xquad --data ../shared/eval/xquad-en/xquad.en.json --limit 200
    """
    from benchmarks.evaluate import format_report, run_eval

    if dataset not in ("realtimeqa", "xquad", "rgb"):
        raise typer.BadParameter("dataset must be realtimeqa, xquad or rgb")
    if not data.exists():
        raise typer.BadParameter(f"{data} does not exist")
    result = run_eval(
        dataset,  # type: ignore[arg-type]
        data,
        settings=_settings(),
        negatives=negatives,
        baseline=baseline,
        answerer=answerer,
        limit=limit,
        k=k,
        progress=sys.stderr.isatty(),
        workdir=workdir,
    )
    typer.echo(format_report(result))
    if json_path:
        json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        typer.echo(f"wrote {json_path}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; beyond 127.0.0.1 set NEWSQA_AUTH.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
    data_dir: DataDir = None,
) -> None:
    """Open the chat UI (the same as `python app.py`); ingests seeds/ first into an empty store."""
    import app as webapp

    argv = ["--host", host, "--port", str(port)]
    if data_dir:
        argv += ["--data-dir", str(data_dir)]
    rv = webapp.main(argv)
    if rv:
        raise typer.Exit(int(rv))


def _filters(
    since: str | None, until: str | None, sources: list[str] | None, as_of: str | None = None
) -> Any:
    from qa import Filters

    def parse_day(value: str) -> Any:
        try:  # ISO days need no date parser (and the ask path stays free of ingest's imports)
            return date.fromisoformat(value)
        except ValueError:
            from ingest import parse_day as parse_any

            return parse_any(value)

    try:
        return Filters(
            since=parse_day(since) if since else None,
            until=parse_day(until) if until else None,
            sources=tuple(sources or ()),
            not_after=parse_day(as_of) if as_of else None,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; NewsQA errors become one line on stderr and exit status 1."""
    try:
        rv = app(args=argv, prog_name="newsqa", standalone_mode=False)
    except NewsQAError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 1
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except Exception as exc:
        # usage errors (click's ClickException, vendored by recent typer) carry their exit code
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            return code
        raise
    return rv if isinstance(rv, int) else 0


def entrypoint() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    entrypoint()
