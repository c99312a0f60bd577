"""What the Library tab hands to the library: uploaded files, copied under generated names into
`<data dir>/uploads` (the only place the app writes files; a client's file name picks the type
and names the report row, never a path), and pasted text as an in-memory `RawArticle`."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

from newsqa.ui.fields import parse_day
from qa import ConfigError, RawArticle, Settings

UPLOAD_TYPES = ("txt", "md", "html", "htm", "json", "jsonl", "xml", "rss", "atom")
PASTED = "pasted text"  # the origin of a pasted article in reports


def upload_dir(settings: Settings) -> Path:
    """`<data dir>/uploads`, created when missing: the only place the app writes files."""
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _staged_path(settings: Settings, ext: str) -> Path:
    folder = upload_dir(settings).resolve()
    path = (folder / f"{uuid.uuid4().hex}.{ext}").resolve()
    if path.parent != folder:  # cannot happen with a generated name; refuse rather than trust it
        raise ConfigError("refusing to write outside the uploads folder")
    return path


def stage_uploads(
    paths: Sequence[str], settings: Settings
) -> tuple[list[tuple[Path, str]], list[tuple[str, str]]]:
    """Copy uploaded files into the data dir's uploads folder under generated names.

    The client's file name is only used to pick the type from its extension and to name the file
    in the report, never as a path. Returns `[(staged path, shown name)]` and
    `[(shown name, reason)]` for rejected files (wrong type, too large, unreadable).
    """
    staged: list[tuple[Path, str]] = []
    rejected: list[tuple[str, str]] = []
    for raw in paths:
        name = Path(str(raw)).name or "upload"
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in UPLOAD_TYPES:
            rejected.append((name, f"not a supported file type; upload {', '.join(UPLOAD_TYPES)}"))
            continue
        try:
            size = os.path.getsize(raw)
            if size > settings.max_file_bytes:
                rejected.append(
                    (
                        name,
                        f"{size:,} bytes is over the {settings.max_file_bytes:,}-byte "
                        "limit (NEWSQA_MAX_FILE_BYTES)",
                    )
                )
                continue
            target = _staged_path(settings, ext)
            shutil.copyfile(raw, target)
        except OSError as exc:
            rejected.append((name, f"could not read the upload: {exc.strerror or exc}"))
            continue
        staged.append((target, name))
    return staged, rejected


def pasted_article(title: str, text: str, outlet: str = "", published: str = "") -> RawArticle:
    """The pasted text as an article for `ingest.ingest_articles` (nothing is written to disk).

    Raises:
        ConfigError: no title or no text.
        QueryError: a published date that cannot be read (a ConfigError too).
    """
    title = " ".join((title or "").split())
    body = (text or "").strip()
    if not title:
        raise ConfigError("Give the pasted article a title.")
    if not body:
        raise ConfigError("Paste the article's text into the text box.")
    return RawArticle(
        text=body,
        title=title,
        source=" ".join((outlet or "").split()) or None,
        published=parse_day("Published", published),
        origin=PASTED,
    )
