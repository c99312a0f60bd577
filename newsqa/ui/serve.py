"""Serving the UI: the command line (`python app.py`, `newsqa serve`), the login and exposure
checks, seeding an empty store with seeds/, loading the model once, then launching gradio with
newsqa's theme and style sheet (style.css, package data)."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsqa.ui.access import exposure_warning
from qa import NewsQAError, Settings, StoreNotFoundError, load_settings

if TYPE_CHECKING:
    import gradio as gr

# the sample articles of a source checkout (absent from an installed wheel: then nothing is seeded)
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]


def style_sheet() -> str:
    """The UI's CSS (newsqa/ui/style.css, shipped as package data)."""
    return resources.files("newsqa.ui").joinpath("style.css").read_text(encoding="utf-8")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The server's options (`--help` lists them with the environment and examples)."""
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description=(
            "newsqa chat UI: ask questions about your news articles and get answers that quote "
            "them, with every [n] linked to its source. Opens on http://HOST:PORT; on an empty "
            "store it first ingests the bundled seeds/ article so it answers right away."
        ),
        epilog=(
            "environment:\n"
            "  NEWSQA_AUTH=user:password  require this login (set it whenever --host is not "
            "127.0.0.1)\n"
            "  NEWSQA_DATA_DIR=DIR        the article store (default ./.newsqa); every other "
            "NEWSQA_* setting applies too\n\n"
            "examples:\n"
            "  python app.py                                  only this computer, port 7860\n"
            "  NEWSQA_AUTH=desk:s3cret python app.py --host 0.0.0.0 --port 8080\n"
            "                                                 the newsroom network, with a login\n"
            "  python app.py --data-dir archive/ --no-seed    another store, as it is\n"
            "  python app.py --watch                          a news desk: also follow the\n"
            "                                                 [[watch]] sources of newsqa.toml"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this computer only; "
        "0.0.0.0 = every network interface, then set NEWSQA_AUTH)",
    )
    parser.add_argument("--port", type=int, default=7860, help="port to listen on (default: 7860)")
    parser.add_argument(
        "--share",
        action="store_true",
        help="also publish a temporary public *.gradio.live link through Gradio's "
        "relay servers (off by default; use only with NEWSQA_AUTH)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="the article store (default: NEWSQA_DATA_DIR or ./.newsqa)",
    )
    parser.add_argument(
        "--no-seed", action="store_true", help="do not ingest seeds/ when the store is empty"
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="also poll the [[watch]] sources of newsqa.toml (NEWSQA_WATCH) in this process, "
        "as `newsqa watch` does; the Library tab shows them",
    )
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, not {args.port}")
    return args


def store_is_empty(settings: Settings) -> bool:
    """True when the store holds no article (or does not exist yet)."""
    from qa import Store

    try:
        with Store.open(settings) as store:
            return store.article_count() == 0
    except StoreNotFoundError:
        return True


def launch(
    demo: gr.Blocks,
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    share: bool = False,
    prevent_thread_lock: bool = False,
) -> Any:
    """Start serving `demo` with newsqa's theme, limits and login."""
    import gradio as gr

    theme = gr.themes.Soft(
        primary_hue="blue",
        neutral_hue="slate",
        font=SYSTEM_FONTS,
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )
    return demo.queue(default_concurrency_limit=1).launch(
        server_name=host,
        server_port=port,
        share=share,
        auth=auth,
        auth_message="newsqa: sign in with the login from NEWSQA_AUTH." if auth else None,
        max_file_size=settings.max_file_bytes,
        show_error=True,
        ssr_mode=False,
        mcp_server=False,
        prevent_thread_lock=prevent_thread_lock,
        theme=theme,
        css=style_sheet(),
        footer_links=["api"],
        quiet=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`python app.py`: check the options, seed an empty store, then serve the UI until stopped."""
    args = parse_args(argv)
    try:
        settings = load_settings(data_dir=args.data_dir)
        auth = settings.login  # NEWSQA_AUTH, checked by the settings
    except NewsQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    warning = exposure_warning(args.host, auth, args.share)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    # Gradio keeps uploads in its own cache: keep that inside the data dir too, and stay offline.
    os.environ.setdefault(
        "GRADIO_TEMP_DIR", str((settings.data_dir / "uploads" / "gradio").resolve())
    )
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        if not args.no_seed and store_is_empty(settings) and SEEDS.is_dir():
            from ingest import ingest

            print(
                f"The store in {settings.data_dir} is empty: ingesting {SEEDS} …", file=sys.stderr
            )
            print(ingest([str(SEEDS)], settings).summary(), file=sys.stderr)
        from qa import get_embedder

        print("Loading the embedding model …", file=sys.stderr, flush=True)
        get_embedder(settings)  # loaded once here, so the first question is answered quickly
    except NewsQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.watch and not settings.watch:
        print(
            'error: --watch needs sources: add [[watch]] tables (source = "...", every = '
            '"15m") to newsqa.toml or set NEWSQA_WATCH, or run `newsqa watch SOURCE...` beside '
            "the app",
            file=sys.stderr,
        )
        return 2
    from newsqa.ui.layout import build_app  # imports gradio: only once the options are good

    demo = build_app(settings)
    try:
        _, local_url, share_url = launch(
            demo,
            settings,
            host=args.host,
            port=args.port,
            auth=auth,
            share=args.share,
            prevent_thread_lock=True,
        )
    except OSError as exc:
        print(
            f"error: cannot listen on {args.host}:{args.port}: {exc} (try another --port)",
            file=sys.stderr,
        )
        return 1
    login = " (login required)" if auth else ""
    print(f"newsqa is serving {settings.data_dir} on {local_url}{login}", file=sys.stderr)
    if share_url:
        print(f"public link: {share_url}", file=sys.stderr)
    if warning:
        print(warning, file=sys.stderr)
    watcher = start_watcher(settings) if args.watch else None
    print("Press Ctrl+C to stop.", file=sys.stderr, flush=True)
    try:
        demo.block_thread()
    finally:
        if watcher is not None:
            stop_watcher(*watcher)
    return 0


def start_watcher(settings: Settings) -> tuple[threading.Thread, threading.Event]:
    """Run `ingest.watch` over the configured sources in a thread of this process; each round's
    line goes to stderr, and an error ends the watcher (said on stderr) but not the app."""
    from ingest import watch

    stop = threading.Event()

    def run() -> None:
        try:
            watch(None, settings, stop=stop, on_round=lambda r: print(r.line(), file=sys.stderr,
                                                                       flush=True))  # fmt: skip
        except NewsQAError as exc:
            print(f"error: the watcher stopped: {exc}", file=sys.stderr, flush=True)

    thread = threading.Thread(target=run, name="newsqa-watch", daemon=True)
    thread.start()
    n = len(settings.watch)
    print(f"Watching {n} source{'s' if n != 1 else ''} in this process.", file=sys.stderr)
    return thread, stop


def stop_watcher(thread: threading.Thread, stop: threading.Event, wait: float = 30.0) -> None:
    """Ask the watcher to stop after the article being stored, and wait for it a while."""
    stop.set()
    thread.join(timeout=wait)
