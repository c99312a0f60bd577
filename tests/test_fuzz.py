"""Fuzzing every loader: random bytes, invalid UTF-8, random JSON and HTML trees, giant lines,
deep nesting, huge numbers and compression bombs. Every input ends as articles or a clear
`LoadError` within a time limit: never an exception, a hang or a traceback.

Small random inputs run in-process under hypothesis with an alarm per example; the giant
inputs each run in a child process with a hard timeout, so a hang fails the test instead of
stalling the suite. An atheris run (coverage-guided) is added when atheris is installed.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import signal
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import ingest
from ingest.loaders import FORMAT_BY_EXTENSION, LoadError, RawArticle, load_item, parse_bytes
from qa.core.settings import Settings
from tests.conftest import ROOT
from tests.test_fetch import LocalServer

FORMATS = [None, "txt", "md", "html", "json", "jsonl", "feed", "xml"]
EXTENSIONS = [*sorted(FORMAT_BY_EXTENSION), ".csv", ".pdf", ""]
PER_EXAMPLE_SECONDS = 30  # a hang guard on a shared 2-core machine, not a speed target
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
LIMITS = Settings(
    data_dir=Path("unused"),
    embedding_backend="hash",
    max_file_bytes=2_000_000,
    max_article_chars=500_000,
    allow_private_urls=True,  # the compression bombs are served from 127.0.0.1
    url_timeout=10.0,
)


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise `Hang` in this (main) thread when the block runs longer than `seconds`."""

    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def assert_clean(results: object, limits: Settings = LIMITS) -> None:
    """A loader's answer: a list of articles with text, or errors with a reason."""
    assert isinstance(results, list)
    for r in results:
        if isinstance(r, LoadError):
            assert isinstance(r.reason, str) and r.reason.strip(), r
            assert "Traceback" not in r.reason
        else:
            assert isinstance(r, RawArticle), r
            assert isinstance(r.text, str) and r.text.strip()
            assert len(r.text) <= limits.max_article_chars


def parse(data: bytes, fmt: str | None) -> list[RawArticle | LoadError]:
    with time_limit(PER_EXAMPLE_SECONDS):
        results = parse_bytes(data, "fuzz", fmt, LIMITS)
    assert_clean(results)
    return results


# --- hypothesis: random and structured inputs, in-process --------------------------------------


@FUZZ
@given(data=st.binary(max_size=4096), fmt=st.sampled_from(FORMATS))
def test_random_bytes(data: bytes, fmt: str | None) -> None:
    parse(data, fmt)


TEXT = st.text(
    st.characters(codec=None, exclude_categories=()),  # any code point, surrogates included
    max_size=800,
)


@FUZZ
@given(
    text=TEXT,
    encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1252", "utf-8-sig"]),
    junk=st.binary(min_size=1, max_size=8),
    at=st.integers(min_value=0, max_value=800),
    fmt=st.sampled_from(FORMATS),
)
def test_text_in_any_encoding_with_invalid_bytes(
    text: str, encoding: str, junk: bytes, at: int, fmt: str | None
) -> None:
    data = text.encode(encoding, errors="surrogatepass" if "utf" in encoding else "replace")
    parse(data, fmt)
    parse(data[:at] + junk + data[at:], fmt)  # invalid UTF-8 in the middle


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(["title", "text", "body", "url", "published", "date", "source", "x"])
            | st.text(max_size=8),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@FUZZ
@given(value=JSON, lines=st.integers(min_value=1, max_value=4))
def test_random_json_and_json_lines(value: Any, lines: int) -> None:
    doc = json.dumps(value, ensure_ascii=False).encode("utf-8", errors="surrogatepass")
    for fmt in ("json", None):
        parse(doc, fmt)
    parse(b"\n".join([doc] * lines), "jsonl")


TAGS = ["div", "p", "article", "script", "style", "table", "td", "b", "a", "nav", "svg", "!--"]


@st.composite
def html_trees(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    inner = "".join(
        draw(st.lists(st.one_of(TEXT, html_trees(depth + 1)) if depth < 4 else TEXT, max_size=4))
    )
    if tag == "!--":
        return f"<!--{inner}"  # comments are left open on purpose
    attrs = draw(st.sampled_from(["", ' class="x"', " href='javascript:alert(1)'", ' a="<"']))
    close = draw(st.booleans())
    return f"<{tag}{attrs}>{inner}" + (f"</{tag}>" if close else "")


@FUZZ
@given(tree=html_trees(), title=TEXT)
def test_random_html(tree: str, title: str) -> None:
    page = f"<html><head><title>{title}</title></head><body>{tree}</body></html>"
    parse(page.encode("utf-8", errors="surrogatepass"), "html")
    parse(page.encode("utf-8", errors="surrogatepass"), None)


@FUZZ
@given(data=st.binary(max_size=2048), ext=st.sampled_from(EXTENSIONS))
def test_load_item_on_random_files(tmp_path: Path, data: bytes, ext: str) -> None:
    path = tmp_path / f"item{ext}"
    path.write_bytes(data)
    with time_limit(PER_EXAMPLE_SECONDS):
        results = load_item(str(path), LIMITS)
    assert_clean(results)
    assert results, "every item yields at least an article or an error"


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    files=st.lists(
        st.tuples(st.sampled_from(EXTENSIONS), st.binary(max_size=1500) | TEXT.map(str.encode)),
        min_size=1,
        max_size=6,
    )
)
def test_ingest_survives_a_folder_of_junk(
    tmp_path_factory: pytest.TempPathFactory, files: list[tuple[str, bytes]]
) -> None:
    """The whole pipeline, store included: a report per item, never an exception."""
    work = tmp_path_factory.mktemp("junk")
    for i, (ext, data) in enumerate(files):
        (work / "in").mkdir(exist_ok=True)
        (work / "in" / f"f{i}{ext}").write_bytes(data)
    s = Settings(data_dir=work / "store", embedding_backend="hash")
    with time_limit(120):
        report = ingest([str(work / "in")], s)
    assert len(report.items) >= len(files)
    for it in report.items:
        assert it.status in ("ingested", "updated", "unchanged", "duplicate", "failed")
        if it.status == "failed":
            assert it.reason and "Traceback" not in it.reason


# --- giant inputs, each in a child process with a hard timeout ----------------------------------

# name -> (format, Python expression building the bytes in the child)
GIANT: dict[str, tuple[str | None, str]] = {
    "deep_json_array": ("json", "b'[' * 200_000 + b']' * 200_000"),
    "deep_json_object": ("json", "b'{\"a\":' * 100_000 + b'1' + b'}' * 100_000"),
    "deep_json_lines": ("jsonl", "(b'{\"a\":' * 50_000 + b'1' + b'}' * 50_000 + b'\\n') * 3"),
    "huge_json_integer": (
        "json",
        'b\'{"title":"t","text":"x y","published":\' + b\'9\' * 1_000_000 + b\'}\'',
    ),
    "huge_json_float": ("json", 'b\'{"title":"t","text":"words here","published":1e999999}\''),
    "json_number_as_text": ("json", "b'{\"title\":1e308,\"text\":' + b'1' * 4000 + b'}'"),
    "invalid_utf8_everywhere": (None, "bytes(range(128, 256)) * 4000"),
    "giant_line": ("txt", "b'Headline\\n' + b'word ' * 380_000"),
    "giant_word": ("txt", "b'Headline\\n' + b'x' * 1_900_000"),
    "many_json_lines": ("jsonl", 'b\'{"title":"t","text":"some words"}\\n\' * 50_000'),
    "deep_html": (
        "html",
        "b'<html><body>' + b'<div>' * 60_000 + b'deep text' + b'</div>' * 60_000",
    ),
    "unclosed_html": ("html", "b'<html><body>' + b'<b><i>' * 100_000 + b'text'"),
    "billion_laughs_feed": ("feed", "LAUGHS"),
    "external_entity_feed": ("feed", "XXE"),
    "yaml_alias_bomb": ("md", "YAML_BOMB"),
}

CHILD = textwrap.dedent(
    """
    import json, sys, tempfile
    from pathlib import Path
    from ingest.loaders import LoadError, RawArticle, load_item
    from qa.core.settings import Settings
    LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        + b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        + b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">'
        + b'<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">'
        + b'<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>'
        + b'<rss version="2.0"><channel><title>&i;</title><item><title>&i;</title>'
        + b'<description>&i; and text</description></item></channel></rss>')
    XXE = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><title>t</title><item><title>&x;</title>'
        b'<description>&x; text</description></item></channel></rss>')
    YAML_BOMB = b'---\\na: &a ["x","x","x","x","x","x","x","x","x"]\\n' + b''.join(
        b'%c: &%c [%s]\\n' % (98 + i, 98 + i, b','.join([b'*' + bytes([97 + i])] * 9))
        for i in range(8)) + b'title: t\\n---\\nbody text\\n'
    fmt, expr = sys.argv[1] or None, sys.argv[2]
    data = eval(expr)
    s = Settings(data_dir='unused', embedding_backend='hash', max_file_bytes=2_000_000,
                 max_article_chars=500_000)
    ext = {None: '.dat', 'feed': '.rss'}.get(fmt, '.' + str(fmt))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ('giant' + ext)
        path.write_bytes(data)
        out = load_item(str(path), s)
    kinds = [type(r).__name__ for r in out]
    assert all(isinstance(r, (LoadError, RawArticle)) for r in out), kinds
    texts = [r.text[:80] for r in out if isinstance(r, RawArticle)]
    reasons = [r.reason for r in out if isinstance(r, LoadError)]
    assert all(len(r.text) <= s.max_article_chars for r in out if isinstance(r, RawArticle))
    print(json.dumps({"kinds": sorted(set(kinds)), "n": len(out), "texts": texts[:3],
                      "reasons": reasons[:3]}))
    """
)


def run_child(fmt: str | None, expr: str, timeout: float = 240) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, fmt or "", expr],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the loader was still running after {timeout} s (a hang)")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("name", list(GIANT))
def test_giant_input(name: str) -> None:
    fmt, expr = GIANT[name]
    out = run_child(fmt, expr)
    assert out["n"] >= 1
    if name.startswith(("deep_json", "huge_json_integer")):
        assert out["kinds"] == ["LoadError"], out
    if name in ("billion_laughs_feed", "external_entity_feed"):
        # entities are never expanded: no gigabyte of "a", no /etc/passwd
        assert all("aaaaaaaaaaaaaaaaaaaa" not in t and "root:" not in t for t in out["texts"]), out


# --- compression bombs over HTTP ---------------------------------------------------------------


def _bomb(encoding: str, megabytes: int = 64) -> bytes:
    zeros = b"\0" * (megabytes * 1_000_000)
    if encoding == "gzip":
        return gzip.compress(zeros, compresslevel=9)
    if encoding == "gzip, gzip":
        return gzip.compress(gzip.compress(zeros, compresslevel=9), compresslevel=9)
    if encoding == "deflate":
        return zlib.compress(zeros, 9)
    raise ValueError(encoding)


@pytest.mark.parametrize("encoding", ["gzip", "gzip, gzip", "deflate"])
def test_compression_bomb_over_http_is_cut_at_the_size_limit(encoding: str) -> None:
    body = _bomb(encoding)
    assert len(body) < LIMITS.max_file_bytes  # small on the wire, 64 MB once decoded
    with LocalServer() as server:
        server.routes["/bomb"] = (
            200,
            {"Content-Type": "text/html", "Content-Encoding": encoding},
            body,
        )
        with time_limit(PER_EXAMPLE_SECONDS):
            results = load_item(server.url("/bomb"), LIMITS)
    assert_clean(results)
    assert len(results) == 1 and isinstance(results[0], LoadError)
    assert "larger than the 2,000,000-byte limit" in results[0].reason


# --- atheris: coverage-guided, bounded ---------------------------------------------------------

ATHERIS_HARNESS = textwrap.dedent(
    """
    import sys
    import atheris
    with atheris.instrument_imports():
        from ingest.loaders import LoadError, RawArticle, parse_bytes
        from qa.core.settings import Settings
    FORMATS = [None, "txt", "md", "html", "json", "jsonl", "feed", "xml"]
    S = Settings(data_dir="unused", embedding_backend="hash", max_file_bytes=100_000)

    def one(data: bytes) -> None:
        if not data:
            return
        fmt = FORMATS[data[0] % len(FORMATS)]
        for r in parse_bytes(data[1:], "atheris", fmt, S):
            assert isinstance(r, (LoadError, RawArticle))
            if isinstance(r, RawArticle):
                assert r.text.strip()

    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
    """
)


@pytest.mark.slow
def test_atheris_loaders(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    seeds = tmp_path / "corpus"
    seeds.mkdir()
    for i, sample in enumerate(
        [
            b"\x00Headline\nTEHRAN (Tasnim) - Text of the story.",
            b"\x03<html><body><p>Para</p></body></html>",
            b'\x04{"title": "t", "text": "x"}',
            b'\x05{"title": "t", "text": "x"}\n{"text": "y"}',
            b'\x06<rss version="2.0"><channel><item><title>t</title></item></channel></rss>',
            b"\x02---\ntitle: t\n---\nbody",
        ]
    ):
        (seeds / f"s{i}").write_bytes(sample)
    harness = tmp_path / "harness.py"
    harness.write_text(ATHERIS_HARNESS)
    try:
        done = subprocess.run(
            [
                sys.executable,
                str(harness),
                "-runs=5000",
                "-max_len=2048",
                "-rss_limit_mb=4096",
                str(seeds),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=420,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("atheris did not finish 5000 runs in 420 s (a hang?)")
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Done 5000 runs" in done.stderr, done.stderr[-2000:]
