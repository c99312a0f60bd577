"""The `newsqa` typer app: its commands (from newsqa.cli.storage, questions and launchers), and
`main()`, which turns newsqa's errors into one line on stderr and an exit status."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any

import typer

from newsqa.cli.launchers import eval_, serve
from newsqa.cli.questions import ask, chat
from newsqa.cli.storage import delete, ingest, list_, repair, stats
from newsqa.cli.watching import watch
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


def reflow(doc: str | None) -> str:
    """A docstring as --help text: each paragraph on one line (Rich keeps line breaks), but an
    indented paragraph (an example command) kept as written."""
    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    return "\n\n".join(p if p.startswith(" ") else " ".join(p.split()) for p in paragraphs)


def command(fn: Callable[..., Any], name: str | None = None) -> None:
    """Register `fn` as a command, its docstring (reflowed) as its help."""
    app.command(name, help=reflow(fn.__doc__))(fn)


command(ingest)
command(watch)
command(list_, "list")
command(delete)
command(stats)
command(repair)
command(ask)
command(chat)
command(eval_, "eval")
command(serve)


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
