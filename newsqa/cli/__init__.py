"""`newsqa`: the command line. A view only: every command calls the same functions Python users call.

main.py       the typer app, main() and the console-script entrypoint()
options.py    the options the commands share, and the settings and filters they become
output.py     what the commands print (item lines, listings, stats, answers, JSON)
storage.py    ingest, list, delete, stats, repair
questions.py  ask, chat
launchers.py  serve (the chat UI), eval (a public QA benchmark)
"""

from __future__ import annotations

from newsqa.cli.program import app, entrypoint, main

__all__ = ["app", "entrypoint", "main"]
