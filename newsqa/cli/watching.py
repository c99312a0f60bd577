"""`newsqa watch`: poll feeds, page URLs and folders on a schedule (the library's `ingest.watch`),
one line per round; `--status` shows how each watched source is doing."""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any

import typer

from newsqa.cli.options import AsJson, DataDir, settings
from newsqa.wording import plural, relative


def _duration(text: str | None) -> float | None:
    from qa import parse_duration

    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def watch(
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="RSS/Atom feed URLs, page URLs, folders or files. None: the watch tables of "
            "newsqa.toml.",
            show_default=False,
        ),
    ] = None,
    every: Annotated[
        str | None,
        typer.Option(
            help="Time between polls of each source: 30s, 15m, 1h (default 15m).",
            show_default=False,
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Poll every source once, then exit.")
    ] = False,
    status: Annotated[
        bool,
        typer.Option("--status", help="Show each watched source's last and next poll, then exit."),
    ] = False,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Follow feeds, pages and folders: each round ingests what is new or changed and prints one
    line (new / updated / unchanged / duplicate / failed, with reasons).

    Entries and files already read are not fetched again; a feed that has not changed answers
    304; a failing source is retried later and later while the others go on. Ctrl+C (or SIGTERM)
    stops after the article being stored. With --once the exit status is 1 when anything failed.

    Examples:

      newsqa watch https://example.org/feed.xml inbox/ --every 10m

      newsqa watch --once

      newsqa watch --status
    """
    s = settings(data_dir=data_dir)
    if status:
        _show_status(s, as_json)
        return
    from ingest import Round, stop_on_signals
    from ingest import watch as run_watch

    interval = _duration(every)
    stop = threading.Event()
    last: list[Round] = []

    def show(r: Round) -> None:
        last.append(r)
        if as_json:
            from newsqa.cli.output import echo_json

            echo_json(_round_dict(r))
        else:
            typer.echo(r.line())

    def say(text: str) -> None:
        typer.echo(text, err=True)

    if not as_json:
        n = len(sources or s.watch)
        if n:
            typer.echo(f"watching {plural(n, 'source')} into {s.data_dir}; Ctrl+C stops", err=True)
    with stop_on_signals(stop, say):
        run_watch(sources, s, every=interval, once=once, on_round=show, stop=stop)
    if once and last and not last[-1].ok:
        raise typer.Exit(1)


def _round_dict(r: Any) -> dict[str, Any]:
    return {
        "round": r.number,
        "started": r.started,
        "counts": r.counts(),
        "next_poll": r.next_poll,
        "sources": [
            {
                "source": p.source,
                "kind": p.kind,
                "counts": p.counts,
                "error": p.error,
                "failures": list(p.failures),
                "deferred": p.deferred,
                "not_modified": p.not_modified,
            }
            for p in r.polls
        ],
    }


def _show_status(s: Any, as_json: bool) -> None:
    from dataclasses import asdict

    from ingest import watch_status

    st = watch_status(s)
    now = time.time()
    running = st.watcher is not None and st.watcher.running(now)
    if as_json:
        from newsqa.cli.output import echo_json

        echo_json(
            {
                "watcher": asdict(st.watcher) if st.watcher else None,
                "running": running,
                "sources": [
                    {**asdict(src), "health": src.health(now, running)} for src in st.sources
                ],
            }
        )
        return
    if not st.sources:
        typer.echo(f"nothing watched in {s.data_dir} yet: run `newsqa watch SOURCE...`")
        return
    w = st.watcher
    if w is not None and running:
        typer.echo(f"watcher: running (pid {w.pid} on {w.host}, since {relative(w.started, now)})")
    elif w is not None:
        typer.echo(f"watcher: not running (last seen {relative(w.stopped or w.beat, now)})")
    for src in st.sources:
        typer.echo(
            f"{src.health(now, running):>8}  {src.source}  [{src.kind or '?'}]  "
            f"last poll {relative(src.last_poll, now)}, next {relative(src.next_poll, now)}, "
            f"{plural(src.added, 'article')} added"
        )
        if src.last_error:
            typer.echo(f"          error: {src.last_error}")
        elif src.last_result:
            typer.echo(f"          last poll: {src.last_result}")
