"""`python -m ingest PATH_OR_URL...`: the same as `newsqa ingest` (options, output, exit codes),
built on the library's `ingest()` alone, so that ingest/ never imports the views.
`python -m ingest watch SOURCE... [--every 15m] [--once]` is `newsqa watch`.

Exit status: 0 when every item was stored (or unchanged), 1 when an item failed or newsqa
reported an error (one line on stderr), 2 for a usage error, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from ingest import ItemResult, Round, ingest, stop_on_signals, watch
from qa import NewsQAError, load_settings, parse_duration


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """`newsqa ingest`'s options: sources, --data-dir/-d, --json, --quiet/-q."""
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Read articles, chunk and embed them, and store them (as `newsqa ingest`).",
    )
    parser.add_argument(
        "sources",
        nargs="+",
        help="files, folders (read recursively), glob patterns, http(s) URLs, RSS/Atom feed "
        "URLs, or - for standard input",
    )
    parser.add_argument(
        "--data-dir", "-d", type=Path, help="store folder (default: NEWSQA_DATA_DIR or ./.newsqa)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars or item lines")
    return parser.parse_args(argv)


def item_line(it: ItemResult) -> str:
    """One item as `newsqa ingest` prints it."""
    extra = ""
    if it.status == "failed":
        extra = f": {it.reason}"
    elif it.status == "duplicate":
        extra = f" (duplicate of {it.duplicate_of}, similarity {it.similarity})"
    elif it.chunks:
        extra = f" ({it.chunks} chunk{'' if it.chunks == 1 else 's'})"
    return f"{it.status:>9}  {it.title or it.origin}{extra}"


def watch_main(argv: Sequence[str]) -> int:
    """`python -m ingest watch ...`: poll sources on a schedule; returns the exit status (with
    --once: 1 when a source or an article failed)."""
    parser = argparse.ArgumentParser(
        prog="python -m ingest watch",
        description="Poll feeds, page URLs and folders; ingest what is new or changed (as "
        "`newsqa watch`). With no sources, the [[watch]] tables of newsqa.toml.",
    )
    parser.add_argument("sources", nargs="*", help="RSS/Atom feed or page URLs, folders, files")
    parser.add_argument("--every", type=_duration, help="time between polls (default 15m)")
    parser.add_argument("--once", action="store_true", help="poll every source once, then exit")
    parser.add_argument(
        "--data-dir", "-d", type=Path, help="store folder (default: NEWSQA_DATA_DIR or ./.newsqa)"
    )
    args = parser.parse_args(argv)
    stop = threading.Event()
    last: list[Round] = []

    def show(r: Round) -> None:
        last.append(r)
        print(r.line(), flush=True)

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    try:
        settings = load_settings(data_dir=args.data_dir)
        with stop_on_signals(stop, say):
            watch(args.sources, settings, every=args.every, once=args.once, on_round=show,
                  stop=stop)  # fmt: skip
    except NewsQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 1 if args.once and last and not last[-1].ok else 0


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run an ingest (or `watch ...`) from the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["watch"]:
        return watch_main(argv[1:])
    args = parse_args(argv)
    try:
        settings = load_settings(data_dir=args.data_dir)
        report = ingest(args.sources, settings, progress=not args.quiet and not args.json)
    except NewsQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        if not args.quiet:
            items = report.items
            shown = [it for it in items if it.status != "unchanged"] if len(items) > 30 else items
            for it in shown:
                print(item_line(it), file=sys.stderr if it.status == "failed" else sys.stdout)
        print(f"{report.summary()} -> {settings.data_dir}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
