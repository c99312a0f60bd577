"""The `newsqa` command (newsqa.cli) as a new user meets it: help text, listings, stats, delete,
and `python -m ingest` behaving as `newsqa ingest`. Fast: the hash embedder, tmp_path stores."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import typer

from newsqa import cli
from newsqa.cli.output import format_answer
from newsqa.cli.program import reflow
from tests.conftest import ROOT

LONG_OUTLET = "Riverton Daily Ledger - City Hall"
TRAM = """---
title: Council Backs the Northern Tram
source: Riverton Daily Ledger - City Hall
published: 2024-05-07T10:00:00+00:00
---

RIVERTON - The city council approved 40 million euros for the northern tram extension on Monday.
"""
PORT = """---
title: Dock Workers End Strike
source: Coastal Herald
published: 2024-05-01
---

VALDORA - Dock workers ended a nine-day strike on Friday after a pay rise of 7 percent.
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "tram.md").write_text(TRAM, encoding="utf-8")
    (folder / "port.md").write_text(PORT, encoding="utf-8")
    return folder


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The CLI's settings come from the environment: the hash embedder, a store in tmp_path."""
    monkeypatch.setenv("NEWSQA_EMBEDDING_BACKEND", "hash")
    monkeypatch.setenv("NEWSQA_CHUNK_SIZE", "400")
    return str(tmp_path / "store")


def unstyle(text: str) -> str:
    """`text` without terminal styles (what is printed when stdout is not a terminal)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def ids_of(data_dir: str) -> dict[str, str]:
    """Stored article ids by title."""
    from qa import Settings, Store

    with Store.open(Settings(data_dir=Path(data_dir), embedding_backend="hash")) as store:
        return {r["title"]: r["article_id"] for r in store.list_articles()}


# --- help ----------------------------------------------------------------------------------------


def _help_texts() -> dict[str, list[str]]:
    """Each command's help as written: its (reflowed) docstring and its options' help."""
    group = typer.main.get_command(cli.app)
    out: dict[str, list[str]] = {}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        out[name] = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
    return out


def test_ask_help_keeps_bracketed_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # one line per paragraph: nothing wraps mid-phrase
    code, out, _ = run(capsys, "ask", "--help")
    assert code == 0
    assert "Every [n] in the answer points at an exact quote" in out
    assert "pip install 'newsqa[llm]'" in out
    assert "\\[" not in out
    assert "Exits with status 3 when the articles don't answer the question." in out


def test_every_help_shows_its_bracketed_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rich reads `[word]` as a style: every literal bracket in any help must be escaped."""
    monkeypatch.setenv("COLUMNS", "250")
    for name, texts in _help_texts().items():
        code, out, _ = run(capsys, name, "--help")
        assert code == 0, name
        shown = " ".join(out.split())
        for text in texts:
            for bracketed in re.findall(r"\\?\[[^\]\s]*\]", text):
                assert bracketed.lstrip("\\") in shown, (name, bracketed)


def test_help_paragraphs_are_reflowed_and_examples_kept() -> None:
    doc = """Summary line
    goes on.

    Examples:

      newsqa ask "x"   --json
    """
    assert reflow(doc) == 'Summary line goes on.\n\nExamples:\n\n  newsqa ask "x"   --json'


def test_chat_offers_as_of(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "chat", "--help")
    assert code == 0 and "--as-of" in out


# --- listing, stats, delete ----------------------------------------------------------------------


def test_ingest_and_list_show_full_outlets_and_counted_nouns(
    capsys: pytest.CaptureFixture[str], hashed: str, corpus: Path
) -> None:
    code, out, _ = run(capsys, "ingest", str(corpus), "-d", hashed)
    assert code == 0
    assert re.search(r"ingested  Council Backs the Northern Tram \(1 chunk\)\n", out)
    code, out, _ = run(capsys, "list", "-d", hashed)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"2024-05-07   {LONG_OUTLET}  Council Backs the Northern Tram")
    assert lines[2].startswith("2024-05-01   Coastal Herald" + " " * (len(LONG_OUTLET) - 14))
    assert "1 chunk  id: " in lines[1] and "chunks" not in out
    assert lines[-1] == "2 articles"
    code, out, _ = run(capsys, "list", "-d", hashed, "--source", "Coastal Herald")
    assert out.splitlines()[-1] == "1 article"


def test_stats_prints_days_in_one_format(
    capsys: pytest.CaptureFixture[str], hashed: str, corpus: Path
) -> None:
    assert run(capsys, "ingest", str(corpus), "-d", hashed, "-q")[0] == 0
    code, out, _ = run(capsys, "stats", "-d", hashed)
    assert code == 0
    shown = dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in out.splitlines())
    assert shown["oldest"] == "2024-05-01" and shown["newest"] == "2024-05-07"
    assert shown["articles"] == "2" and shown["top sources"].startswith("Coastal Herald (1)")


def test_delete_names_what_it_deleted(
    capsys: pytest.CaptureFixture[str], hashed: str, corpus: Path
) -> None:
    assert run(capsys, "ingest", str(corpus), "-d", hashed, "-q")[0] == 0
    tram = ids_of(hashed)["Council Backs the Northern Tram"]
    code, out, _ = run(capsys, "delete", tram, "nope", "-d", hashed)
    assert code == 1  # an id given was not stored
    assert out.splitlines() == [
        f"deleted Council Backs the Northern Tram — {LONG_OUTLET}, 2024-05-07 ({tram})",
        "deleted 1 article; not found: nope",
    ]
    code, out, _ = run(capsys, "delete", "--all", "--yes", "-d", hashed)
    assert code == 0
    assert "deleted Dock Workers End Strike — Coastal Herald, 2024-05-01" in out
    assert out.splitlines()[-1] == "deleted 1 article"


# --- python -m ingest is newsqa ingest ------------------------------------------------------------


def _normalised(text: str, data_dir: str) -> str:
    return re.sub(r"in \d+\.\d s", "in X s", text.replace(data_dir, "DIR"))


def test_python_m_ingest_is_newsqa_ingest(
    capsys: pytest.CaptureFixture[str], hashed: str, corpus: Path, tmp_path: Path
) -> None:
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.4")  # a failed item: exit status 1 for both
    code, out, err = run(capsys, "ingest", str(corpus), "-d", hashed)
    other = str(tmp_path / "other")
    done = subprocess.run(
        [sys.executable, "-m", "ingest", str(corpus), "-d", other],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (code, done.returncode) == (1, 1)
    assert _normalised(done.stdout, other) == _normalised(out, hashed)
    assert done.stderr == err and "scan.pdf" in err

    usage = subprocess.run(
        [sys.executable, "-m", "ingest"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert usage.returncode == run(capsys, "ingest")[0] == 2


def test_ingest_main_imports_no_view() -> None:
    source = (ROOT / "ingest" / "__main__.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import) (newsqa|cli|app)\b", source, re.M)


# --- answers -------------------------------------------------------------------------------------


def test_the_short_answer_is_printed_first_then_the_quoted_answer() -> None:
    from qa import Answer, Citation

    quote = "The council approved 40 million euros for the tram."
    a = quote.index("40")
    c = Citation(
        n=1, article_id="a1", title="Tram", source="Ledger", published="2024-05-07T10:00:00Z",
        url=None, quote=quote, start=0, end=len(quote), score=0.9, answer_start=a,
        answer_end=a + len("40 million euros"),
    )  # fmt: skip
    answer = Answer(
        question="How much?", text=f"{quote} [1]", citations=(c,), passages=(), answered=True,
        short_answer="40 million euros",
    )  # fmt: skip
    shown = unstyle(format_answer(answer)).splitlines()
    assert shown[:3] == ["40 million euros", "", f"{quote} [1]"]
    assert shown[4:6] == ["Sources:", "[1] Tram — Ledger, 2024-05-07"]
    assert "\x1b[1m40 million euros" in format_answer(answer)  # bold (stripped off a terminal)
    assert unstyle(format_answer(replace(answer, short_answer=None))).startswith(quote)


def test_the_versions_and_who_each_source_quotes_are_printed() -> None:
    from qa import Answer, Citation, Version

    def c(n: int, source: str, day: str, quote: str, speaker: str | None) -> Citation:
        return Citation(n=n, article_id=f"a{n}", title="Budget", source=source, published=day,
                        url=None, quote=quote, start=0, end=len(quote), score=0.9,
                        speaker=speaker)  # fmt: skip

    answer = Answer(
        question="How much?", text="Sources differ. ... [1] ... [2] ... [3]", passages=(),
        answered=True, short_answer="$48.1 million / $48.2 million", agreement="differ",
        citations=(c(1, "Herald", "2025-03-14", "It was $48.1 million.", None),
                   c(2, "Ledger", "2025-03-13", "It was $48.2 million, Tom Hadley said.", "Tom Hadley"),
                   c(3, "Metro", "2025-03-12", "It was 48.2m dollars.", None)),
        versions=(Version("$48.1 million", "num:48100000:usd", (1,), ("Herald",), "2025-03-14",
                          "2025-03-14", latest=True),
                  Version("$48.2 million", "num:48200000:usd", (2, 3), ("Ledger", "Metro"),
                          "2025-03-12", "2025-03-13", copies=("Copy Desk",))),
    )  # fmt: skip
    shown = unstyle(format_answer(answer)).splitlines()
    at = shown.index("Sources differ:")
    assert shown[at + 1] == "  $48.1 million — Herald, 2025-03-14, latest [1]"
    assert shown[at + 2] == (
        "  $48.2 million — Ledger, Metro, 2025-03-12 to 2025-03-13; copies: Copy Desk [2][3]"
    )
    assert "[2] Budget — Ledger, 2025-03-13 — quoting Tom Hadley" in shown
    assert "[1] Budget — Herald, 2025-03-14" in shown  # no speaker, nothing added
    single = replace(answer, agreement="single source")
    assert "Sources differ:" not in unstyle(format_answer(single))


def test_ask_json_has_the_short_answer_and_its_offsets(
    capsys: pytest.CaptureFixture[str], hashed: str, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSQA_MIN_EVIDENCE", "0")
    assert run(capsys, "ingest", str(corpus), "-d", hashed, "-q")[0] == 0
    code, out, _ = run(capsys, "ask", "How much did the council approve for the tram?", "-d",
                       hashed, "--json")  # fmt: skip
    data = json.loads(out)
    assert code == 0 and data["citations"]
    assert "short_answer" in data and "agreement" in data and isinstance(data["versions"], list)
    for c in data["citations"]:
        assert {"answer_start", "answer_end", "chunk_id", "speaker"} <= set(c)
