"""The options the `newsqa` commands share (typed once, reused), and the settings and the
`qa.Query` they turn into."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", "-d", help="Store folder (default: NEWSQA_DATA_DIR or ./.newsqa)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
DAYS = "2022-06-17; also 2022-06, 2022, June 17, 2022 or 17 June 2022"
Since = Annotated[
    str | None,
    typer.Option(
        help=f"Only articles published on or after this day ({DAYS}).", show_default=False
    ),
]
Until = Annotated[
    str | None,
    typer.Option(
        help="Only articles published on or before this day (a month or a year: its last day).",
        show_default=False,
    ),
]
Sources = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        "-s",
        help="Only outlets whose name contains this, in any case (repeatable).",
        show_default=False,
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Answer as on this day: later articles are left out, and 'this week' or 'latest' "
        "are read relative to it.",
        show_default=False,
    ),
]
TopK = Annotated[
    int | None, typer.Option("-k", help="Passages to retrieve (default: NEWSQA_RETRIEVAL_K).")
]
# help texts are Rich markup: a literal [ is written \[ (else "[llm]" is read as a style)
AnswererOpt = Annotated[
    str | None,
    typer.Option(
        "--answerer",
        help="extractive, local, openai or ollama (default: NEWSQA_ANSWERER); the LLM ones need "
        "`pip install 'newsqa\\[llm]'`.",
    ),
]


def settings(**overrides: Any) -> Any:
    """`qa.load_settings` with the command's overrides (None = not given)."""
    from qa import load_settings

    return load_settings(**overrides)


def query(question: str, **fields: Any) -> Any:
    """A `qa.Query` from the command's options (dates read by the one policy, `qa.parse_date`).

    Raises:
        typer.BadParameter: an option the library cannot read (exit status 2, as for any bad
            option), with the library's message.
    """
    from qa import Query, QueryError

    try:
        return Query.build(question, **fields)
    except QueryError as exc:
        raise typer.BadParameter(str(exc)) from None


def filters(since: str | None, until: str | None, sources: list[str] | None) -> Any:
    """The `qa.Filters` of `newsqa list`'s options: a query's filters, so that dates and outlets
    are read exactly as `ask` reads them.

    Raises:
        typer.BadParameter: as `query`.
    """
    return query("", since=since, until=until, outlets=sources).filters()
