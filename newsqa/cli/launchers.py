"""The commands that start a bigger program: `newsqa serve` (the chat UI) and `newsqa eval`
(a public QA benchmark, newsqa beside the tutorial baseline)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from newsqa.cli.options import DataDir, TopK, settings


def eval_(
    dataset: Annotated[str, typer.Argument(help="realtimeqa, xquad or rgb.", show_default=False)],
    data: Annotated[
        Path, typer.Option("--data", help="The data set folder (realtimeqa) or file (xquad, rgb).")
    ],
    limit: Annotated[
        int | None, typer.Option(help="Only the first N questions (a quick run).")
    ] = None,
    negatives: Annotated[
        bool,
        typer.Option(
            "--negatives", help="Also measure refusals with half the gold articles left out."
        ),
    ] = False,
    baseline: Annotated[
        bool,
        typer.Option(
            "--baseline/--no-baseline", help="Run the LangChain tutorial pipeline side by side."
        ),
    ] = True,
    answerer: Annotated[
        str | None, typer.Option(help="Answer backend (default: NEWSQA_ANSWERER).")
    ] = None,
    k: TopK = None,
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Write every figure and per-question record to this file."),
    ] = None,
    workdir: Annotated[
        Path | None,
        typer.Option(
            help="Keep the stores in this folder and reuse them on the next run with the same "
            "data and ingest settings (try other answer settings without re-ingesting)."
        ),
    ] = None,
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
        settings=settings(),
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
        json_path.write_text(
            json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        typer.echo(f"wrote {json_path}")


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; beyond 127.0.0.1 set NEWSQA_AUTH.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
    data_dir: DataDir = None,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            help="Also poll the sources in the watch tables of newsqa.toml in the app's process "
            "(as `newsqa watch`).",
        ),
    ] = False,
) -> None:
    """Open the chat UI (the same as `python app.py`); ingests seeds/ first into an empty store.
    With --watch it is a one-command news desk: the configured feeds are followed as well."""
    from newsqa.ui.serve import main as serve_ui

    argv = ["--host", host, "--port", str(port)]
    if data_dir:
        argv += ["--data-dir", str(data_dir)]
    if watch:
        argv.append("--watch")
    rv = serve_ui(argv)
    if rv:
        raise typer.Exit(int(rv))
