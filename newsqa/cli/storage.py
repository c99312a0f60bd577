"""The commands over the stored articles: `newsqa ingest`, `list`, `delete`, `stats`, `repair`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from newsqa.cli.options import AsJson, DataDir, Since, Sources, Until, filters, settings
from newsqa.cli.output import (
    article_label,
    article_lines,
    echo_json,
    item_line,
    shown_items,
    stats_lines,
)
from newsqa.wording import plural

MAX_NAMED = 20  # `delete` names at most this many articles, then counts the rest


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

    s = settings(data_dir=data_dir)
    report = run_ingest(sources, s, progress=not quiet and not as_json)
    if as_json:
        echo_json(report.to_dict())
    else:
        if not quiet:
            for it in shown_items(report.items):
                typer.echo(item_line(it), err=it.status == "failed")
        typer.echo(f"{report.summary()} -> {s.data_dir}")
    if not report.ok:
        raise typer.Exit(1)


def list_(
    source: Sources = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int | None, typer.Option(help="At most this many articles.")] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """List stored articles, newest first, with their chunks and near-duplicates."""
    from qa import Store

    with Store.open(settings(data_dir=data_dir)) as store:
        rows = store.list_articles(filters(since, until, source), limit=limit)
    if as_json:
        echo_json([r.to_dict() for r in rows])
    elif not rows:
        typer.echo("no articles match")
    else:
        typer.echo("\n".join(article_lines(rows)))


def delete(
    ids: Annotated[
        list[str] | None,
        typer.Argument(help="Article ids (see `newsqa list`).", show_default=False),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            "-s",
            help="Delete every article of the outlets whose name contains this, in any case "
            "(`newsqa list --source` shows them first).",
        ),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Delete every article.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Delete articles: their text, chunks, keyword index entries and vectors, together.

    Names each deleted article (title, outlet, day, id). Exits with status 1 when an id given
    is not stored.
    """
    from qa import Filters, Store

    if not ids and not source and not all_:
        raise typer.BadParameter("give article ids, --source S or --all")
    s = settings(data_dir=data_dir)
    with Store.open(s) as store:
        if all_:
            targets = [r.article_id for r in store.list_articles()]
        elif source:
            targets = [r.article_id for r in store.list_articles(Filters(sources=(source,)))]
        else:
            targets = list(dict.fromkeys(ids or []))
        if (all_ or source) and not yes:
            if not sys.stdin.isatty():
                raise typer.BadParameter(
                    f"this deletes {plural(len(targets), 'article')}; add --yes to confirm"
                )
            typer.confirm(
                f"Delete {plural(len(targets), 'article')} from {s.data_dir}?", abort=True
            )
        found = store.get_articles(targets)
        with store.writing():
            deleted = store.delete_articles(targets)
    named = [found[i] for i in targets if i in found]
    for article in named[:MAX_NAMED]:
        typer.echo(f"deleted {article_label(article)}")
    if len(named) > MAX_NAMED:
        typer.echo(f"… and {len(named) - MAX_NAMED} more")
    missing = [i for i in targets if i not in found]
    typer.echo(
        f"deleted {plural(deleted, 'article')}"
        + (f"; not found: {', '.join(missing)}" if missing else "")
    )
    if ids and missing:
        raise typer.Exit(1)


def stats(data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """Counts of articles, chunks, vectors and keyword index rows (they agree in a healthy store)."""
    from qa import Store

    with Store.open(settings(data_dir=data_dir)) as store:
        s = store.stats()
        top = store.sources()[:10]
    if as_json:
        echo_json({**s.to_dict(), "top_sources": top})
    else:
        typer.echo("\n".join(stats_lines(s, top)))


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

    s = settings(data_dir=data_dir)
    report = check(s) if check_only else repair(s)
    reingested = None
    if report.reingest_file and not check_only:
        from ingest import ingest as run_ingest

        reingested = run_ingest([report.reingest_file], s)
    if as_json:
        out = report.to_dict()
        if reingested is not None:
            out["reingest"] = reingested.to_dict()
        echo_json(out)
    else:
        typer.echo(report.summary())
        if reingested is not None:
            typer.echo(f"re-ingested {report.reingest_file}: {reingested.summary()}")
    if not report.healthy:
        raise typer.Exit(2 if check_only else 1)
