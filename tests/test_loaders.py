"""Reading every input format into raw articles, and every bad input into a clear LoadError."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.htmltext import html_to_text
from ingest.loaders import LoadError, RawArticle, expand_sources, load_item, sniff_format
from qa.core.settings import Settings
from tests.conftest import SEED_FILE
from tests.test_fetch import LocalServer, free_port, html, limits

DATA = Path(__file__).parent / "data"
Result = RawArticle | LoadError
SUPPORTED = "newsqa reads txt, md, html, json, jsonl and RSS/Atom feeds"
BRIDGE_PARAGRAPHS = (
    "PORT ELLEN – The Harbour Bridge reopened to traffic on Friday morning",
    "Engineers replaced all 112 steel cables and resurfaced the deck",
    "“This bridge is the backbone of the town, and today it is stronger",
    "Local businesses said the closure had cost them customers.",
)
PAGE_JUNK = (
    "TRACKING-SCRIPT-MARKER",
    "INLINE-ARTICLE-SCRIPT-MARKER",
    "MENU-POLITICS-LINK",
    "MENU-SPORT-LINK",
    "SIDEBAR-MOST-READ-ONE",
    "ADVERTISEMENT-SIDEBAR-MARKER",
    "FOOTER-COPYRIGHT-MARKER",
    "Buy cheap sunglasses",
    "font-family",
    "<p>",
    "</",
)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A fresh local HTTP server per test."""
    with LocalServer() as srv:
        yield srv


def articles(results: list[Result]) -> list[RawArticle]:
    """The articles among `results`."""
    return [r for r in results if isinstance(r, RawArticle)]


def errors(results: list[Result]) -> list[LoadError]:
    """The errors among `results`."""
    return [r for r in results if isinstance(r, LoadError)]


def only_article(results: list[Result]) -> RawArticle:
    """The single article `results` must consist of."""
    assert len(results) == 1, results
    assert isinstance(results[0], RawArticle), results[0]
    return results[0]


def only_error(results: list[Result]) -> LoadError:
    """The single error `results` must consist of."""
    assert len(results) == 1, results
    assert isinstance(results[0], LoadError), results[0]
    return results[0]


def write(path: Path, content: str | bytes) -> str:
    """Write a fixture file (creating folders) and return its path as a string."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return str(path)


# --- expand_sources -------------------------------------------------------------------------------


def test_expand_folder_is_recursive_sorted_and_skips_hidden(
    tmp_path: Path, settings: Settings
) -> None:
    root = tmp_path / "corpus"
    for name in [
        "b.txt",
        "a.md",
        "sub/c.json",
        "sub/deeper/d.html",
        ".hidden.txt",
        ".git/config.txt",
        "sub/.secret/e.txt",
    ]:
        write(root / name, "x")
    items = list(expand_sources([str(root)], settings))
    assert items == [
        str(root / "a.md"),
        str(root / "b.txt"),
        str(root / "sub" / "c.json"),
        str(root / "sub" / "deeper" / "d.html"),
    ]


def test_expand_glob_supports_recursive_star_star(tmp_path: Path, settings: Settings) -> None:
    for name in ["2022/06/a.txt", "2022/b.txt", "2022/06/c.md", "z.txt"]:
        write(tmp_path / name, "x")
    items = list(expand_sources([f"{tmp_path}/**/*.txt"], settings))
    assert items == [
        str(tmp_path / "2022/06/a.txt"),
        str(tmp_path / "2022/b.txt"),
        str(tmp_path / "z.txt"),
    ]


def test_expand_reports_missing_empty_and_unmatched(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "empty").mkdir()
    items = list(
        expand_sources(
            [str(tmp_path / "nope.txt"), f"{tmp_path}/*.xyz", str(tmp_path / "empty")], settings
        )
    )
    assert all(isinstance(i, LoadError) for i in items)
    reasons = [i.reason for i in items if isinstance(i, LoadError)]
    assert reasons[0].startswith("no such file or folder")
    assert reasons[1] == "no files match this pattern"
    assert "holds no files" in reasons[2]
    assert items[0].origin == str(tmp_path / "nope.txt")  # type: ignore[union-attr]


def test_expand_urls_stdin_and_refused_schemes(settings: Settings) -> None:
    sources = [
        "-",
        "https://news.example/a",
        "http://news.example/b",
        "file:///etc/passwd",
        "ftp://news.example/c.txt",
        "javascript:alert(1)",
    ]
    items = list(expand_sources(sources, settings))
    assert items[:3] == ["-", "https://news.example/a", "http://news.example/b"]
    refused = items[3:]
    assert [e.origin for e in refused if isinstance(e, LoadError)] == sources[3:]
    for err in refused:
        assert isinstance(err, LoadError)
        assert "only http(s) URLs can be ingested" in err.reason


def test_expand_deduplicates_the_same_file(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "news" / "a.txt", "Title\n\nBody.")
    monkeypatch.chdir(tmp_path)
    items = list(
        expand_sources(
            [
                "news",
                "news/a.txt",
                "./news/../news/a.txt",
                path,
                "news/*.txt",
                "https://x.example/",
                "https://x.example/",
            ],
            settings,
        )
    )
    assert items == [str(Path("news") / "a.txt"), "https://x.example/"]


# --- plain text -----------------------------------------------------------------------------------


def test_seed_text_title_once_and_dateline_kept(settings: Settings) -> None:
    art = only_article(load_item(str(SEED_FILE), settings))
    title = "Top General Says Iran Ready to Export Defense Equipment, Share Experiences with Friendly Countries"
    assert art.title == title
    assert art.text.startswith("TEHRAN (Tasnim) – Iran’s top general highlighted")
    assert title not in art.text
    assert art.text == art.text.strip()
    assert art.origin == str(SEED_FILE)
    assert (art.url, art.published, art.source, art.authors) == (None, None, None, ())


def test_text_whose_first_line_is_a_sentence_has_no_title(
    tmp_path: Path, settings: Settings
) -> None:
    body = (
        "The council met on Tuesday and agreed the budget after a long debate about the harbour, "
        "the schools and the roads, which took most of the evening.\n\nA second paragraph."
    )
    art = only_article(load_item(write(tmp_path / "a.txt", body), settings))
    assert art.title is None
    assert art.text == body


def test_text_hard_wrapped_first_line_is_not_a_title(tmp_path: Path, settings: Settings) -> None:
    body = "Fishermen blocked the harbour on Monday\nto protest against new quotas.\n"
    art = only_article(load_item(write(tmp_path / "wrapped.txt", body), settings))
    assert art.title is None
    assert art.text == body.strip()


def test_file_without_extension_reads_as_text(tmp_path: Path, settings: Settings) -> None:
    art = only_article(
        load_item(write(tmp_path / "ARTICLE", "Short Headline\n\nThe body text."), settings)
    )
    assert (art.title, art.text) == ("Short Headline", "The body text.")


def test_cp1252_text_decodes_correctly(tmp_path: Path, settings: Settings) -> None:
    text = (
        "Café Owners Protest\n\nThe owner of the “Petit Café” said it’s “unfair” – and Zoë agreed."
    )
    path = write(tmp_path / "latin.txt", text.encode("cp1252"))
    art = only_article(load_item(path, settings))
    assert art.title == "Café Owners Protest"
    assert art.text == "The owner of the “Petit Café” said it’s “unfair” – and Zoë agreed."


def test_utf8_bom_and_crlf_and_utf16_are_handled(tmp_path: Path, settings: Settings) -> None:
    text = "Headline Here\r\n\r\nFirst line of the story.\r\nSecond line."
    bom = only_article(
        load_item(write(tmp_path / "bom.txt", b"\xef\xbb\xbf" + text.encode()), settings)
    )
    assert bom.title == "Headline Here"
    assert bom.text == "First line of the story.\nSecond line."
    utf16 = only_article(load_item(write(tmp_path / "u16.txt", text.encode("utf-16")), settings))
    assert (utf16.title, utf16.text) == (bom.title, bom.text)


# --- Markdown -------------------------------------------------------------------------------------


def test_markdown_front_matter(settings: Settings) -> None:
    art = only_article(load_item(str(DATA / "article_frontmatter.md"), settings))
    assert art.title == "Council Approves New Cycle Lanes"
    assert art.published == "2022-06-17"
    assert art.source == "The Coastal Herald"
    assert art.url == "https://coastalherald.example/news/cycle-lanes"
    assert art.authors == ("Maria Lopez", "Tom Reed")
    assert art.extra["tags"] == "transport, council"
    # the heading repeating the title is dropped; the rest stays Markdown
    assert art.text.startswith(
        "The city council voted 9 to 4 on Thursday to build **twelve kilometres**"
    )
    assert "## Cost" in art.text
    assert "---" not in art.text and "title:" not in art.text


def test_markdown_without_front_matter_takes_heading_as_title(settings: Settings) -> None:
    art = only_article(load_item(str(DATA / "article_heading.md"), settings))
    assert art.title == "Fishermen Protest Quota Cuts"
    assert not art.text.startswith("#")
    assert art.text.startswith("Hundreds of fishermen blocked the harbour entrance")
    assert "- Boats from six ports took part." in art.text
    assert art.published is None and art.authors == ()


def test_markdown_with_broken_front_matter_is_an_error(tmp_path: Path, settings: Settings) -> None:
    path = write(tmp_path / "bad.md", "---\ntitle: [unclosed\n---\n\nBody text.\n")
    err = only_error(load_item(path, settings))
    assert err.origin == path
    assert err.reason.startswith("invalid YAML front matter")


# --- HTML -----------------------------------------------------------------------------------------


def test_html_page_main_text_and_metadata(settings: Settings) -> None:
    art = only_article(load_item(str(DATA / "news_page.html"), settings))
    assert art.title == "Harbour Bridge Reopens After Two-Year Repair"
    assert art.published == "2022-06-17"
    assert art.source == "The Coastal Herald"
    assert art.authors == ("Maria Lopez",)
    assert art.url == "https://coastalherald.example/news/2022/06/17/harbour-bridge-reopens"
    paragraphs = art.text.split("\n\n")
    assert len(paragraphs) == 4
    for paragraph, start in zip(paragraphs, BRIDGE_PARAGRAPHS, strict=True):
        assert paragraph.startswith(start)
    for junk in PAGE_JUNK:
        assert junk not in art.text


def test_html_without_main_text_falls_back_to_body_text(tmp_path: Path, settings: Settings) -> None:
    page = (
        "<html><body><h1>Road closed until Friday</h1><script>var TRACK = 1;</script></body></html>"
    )
    art = only_article(load_item(write(tmp_path / "notice.htm", page), settings))
    assert art.text == "Road closed until Friday"


def test_html_without_any_text_is_an_error(tmp_path: Path, settings: Settings) -> None:
    page = (
        "<html><head><title>x</title><script>var a = 'hidden';</script></head><body> </body></html>"
    )
    err = only_error(load_item(write(tmp_path / "blank.html", page), settings))
    assert err.reason == "no article text found in the HTML"


def test_html_meta_charset_cp1252(tmp_path: Path, settings: Settings) -> None:
    page = (
        '<html><head><meta charset="windows-1252"><title>Café Society</title></head><body>'
        "<article><h1>Café Society</h1><p>The “Grand Café” on the quay reopened on Saturday after "
        "a fire in March, its owner Zoë Martin said, and queues formed before nine.</p><p>Regulars "
        "said the new terrace was the town’s best.</p></article></body></html>"
    )
    art = only_article(load_item(write(tmp_path / "cafe.html", page.encode("cp1252")), settings))
    assert art.title == "Café Society"
    assert art.text.startswith("The “Grand Café” on the quay reopened on Saturday")
    assert "Zoë Martin" in art.text and "town’s best" in art.text


def test_html_to_text_drops_scripts_styles_and_keeps_blocks() -> None:
    text = html_to_text(
        "<div>One<br>two</div><style>p{}</style><p>Three &amp; four</p>"
        "<script>bad()</script><ul><li>Five</li><li>Six</li></ul>"
    )
    assert text == "One\ntwo\n\nThree & four\n\nFive\n\nSix"


# --- JSON and JSON Lines --------------------------------------------------------------------------


def test_json_object_with_html_body_and_nested_publisher(settings: Settings) -> None:
    art = only_article(load_item(str(DATA / "article.json"), settings))
    assert art.title == "Storm Closes Schools Across the Region"
    assert art.text == (
        "All 48 schools in the region were closed on Tuesday as a storm brought winds "
        "of up to 120 km/h.\n\nThe weather service said the storm would weaken by "
        "Wednesday evening."
    )
    assert art.url == "https://coastalherald.example/news/storm-schools"
    assert art.published == "Tue, 21 Jun 2022 10:00:00 GMT"
    assert art.source == "The Coastal Herald"
    assert art.authors == ("Sam Patel",)
    assert art.origin == str(DATA / "article.json")


def test_json_list_reports_bad_items_by_index(settings: Settings) -> None:
    path = str(DATA / "articles_list.json")
    results = load_item(path, settings)
    assert [r.origin for r in results] == [f"{path}#1", f"{path}#2", f"{path}#3", f"{path}#4"]
    first, no_text, not_object, last = results
    assert isinstance(first, RawArticle) and first.authors == ("Ana Brooks", "Tom Reed")
    assert first.published == "2022-06-15" and first.source == "The Coastal Herald"
    assert isinstance(no_text, LoadError) and "no article text" in no_text.reason
    assert isinstance(not_object, LoadError) and "found a JSON string" in not_object.reason
    assert isinstance(last, RawArticle)
    assert (last.title, last.source, last.published) == (
        "Market Moves Indoors",
        "Harbour Weekly",
        "2022-06-16T07:00:00Z",
    )


def test_json_object_with_articles_list(settings: Settings) -> None:
    path = str(DATA / "articles_wrapped.json")
    results = load_item(path, settings)
    arts = articles(results)
    assert len(arts) == len(results) == 2
    assert [a.title for a in arts] == [
        "Ferry Timetable Returns to Normal",
        "Beach Clean-up Draws 300 Volunteers",
    ]
    assert arts[0].text.startswith("Ferries will return") and arts[0].source == "Harbour Weekly"
    assert arts[1].published == "2022-06-19"
    assert [a.origin for a in arts] == [f"{path}#1", f"{path}#2"]


def test_jsonl_malformed_line_is_reported_and_others_load(settings: Settings) -> None:
    path = str(DATA / "records.jsonl")
    results = load_item(path, settings)
    by_origin = {r.origin: r for r in results}
    assert list(by_origin) == [f"{path}:line {n}" for n in (1, 3, 4, 6, 7)]  # blank lines skipped
    bad = by_origin[f"{path}:line 3"]
    assert isinstance(bad, LoadError) and "invalid JSON on this line" in bad.reason
    assert "Unterminated string" in bad.reason
    assert [a.title for a in articles(results)] == ["Port Traffic Rises 8%", "New Lifeboat Named"]
    assert articles(results)[1].authors == ("Tom Reed",)
    assert "no article text" in by_origin[f"{path}:line 6"].reason  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"title": "x", "text": ', "not valid JSON"),
        ('"just a string"', "JSON must be an article object"),
        ("[]", "holds no articles"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"text": "t", "n": ' + "9" * 5000 + "}", "cannot read this JSON"),
    ],
)
def test_bad_json_is_an_error_never_a_crash(
    tmp_path: Path, settings: Settings, content: str, expected: str
) -> None:
    err = only_error(load_item(write(tmp_path / "bad.json", content), settings))
    assert expected in err.reason


# --- feeds from files -----------------------------------------------------------------------------


def test_atom_feed_with_full_content(settings: Settings) -> None:
    path = str(DATA / "feed_full.atom")
    arts = articles(load_item(path, settings))
    assert [a.origin for a in arts] == [f"{path}#entry-1", f"{path}#entry-2"]
    first, second = arts
    assert first.title == "Lighthouse Restoration Completed"
    assert first.url == "https://harbourweekly.example/lighthouse"
    assert first.published == "2022-06-20T09:00:00Z"
    assert first.source == "Harbour Weekly"
    assert first.authors == ("Ana Brooks",)
    assert first.text.startswith("The restoration of the 150-year-old lighthouse")
    assert "\n\nWorkers replaced the lantern glazing" in first.text
    assert "FEED-SCRIPT-MARKER" not in first.text and "<p>" not in first.text
    assert second.published == "2022-06-19T16:30:00Z"  # only <updated>
    assert "fetch_error" not in second.extra  # long enough: its link was not fetched


def test_empty_feed_unparseable_feed_and_plain_xml(tmp_path: Path, settings: Settings) -> None:
    assert (
        only_error(load_item(str(DATA / "feed_empty.rss"), settings)).reason
        == "feed has no entries"
    )
    broken = only_error(load_item(write(tmp_path / "broken.rss", "<rss><chan"), settings))
    assert broken.reason.startswith(("not a readable RSS/Atom feed", "feed has no entries"))
    xml = only_error(
        load_item(write(tmp_path / "data.xml", "<?xml version='1.0'?><catalog/>"), settings)
    )
    assert "not an RSS or Atom feed" in xml.reason


def test_feed_with_recoverable_errors_still_loads(tmp_path: Path, settings: Settings) -> None:
    long_text = "Text of the story. " * 40
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Tom & Jerry News</title>"
        f"<item><title>Cats & Dogs</title><description>{long_text}</description></item>"
        "</channel></rss>"
    )  # the bare "&" makes it not well-formed
    art = only_article(load_item(write(tmp_path / "bozo.xml", feed), settings))
    assert art.title == "Cats & Dogs"
    assert art.text == long_text.strip()


def test_feed_entries_are_capped(tmp_path: Path) -> None:
    items = "".join(
        f"<item><title>Story {n}</title><description>{'Words here. ' * 50}</description></item>"
        for n in range(1, 8)
    )
    feed = (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>{items}</channel></rss>"
    )
    results = load_item(write(tmp_path / "many.rss", feed), limits(tmp_path, max_feed_entries=3))
    assert [a.title for a in articles(results)] == ["Story 1", "Story 2", "Story 3"]
    note = only_error(errors(results))  # type: ignore[arg-type]
    assert "7 entries; only the first 3" in note.reason and "NEWSQA_MAX_FEED_ENTRIES" in note.reason


# --- bad files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  "])
def test_empty_and_whitespace_files(tmp_path: Path, settings: Settings, content: bytes) -> None:
    for name in ("a.txt", "a.md", "a.json", "a.html", "a.rss"):
        err = only_error(load_item(write(tmp_path / name, content), settings))
        assert err.reason == "empty file"


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), bytes(range(1, 32)) * 200],
)
def test_binary_content_is_refused(tmp_path: Path, settings: Settings, content: bytes) -> None:
    for name in ("photo.txt", "data.json", "page.html", "x.bin2"):
        err = only_error(load_item(write(tmp_path / name, content), settings))
        assert err.reason.startswith("binary file, not text")


def test_file_over_the_size_cap(tmp_path: Path) -> None:
    path = write(tmp_path / "big.txt", "Title\n\n" + "word " * 400)
    err = only_error(load_item(path, limits(tmp_path, max_file_bytes=1000)))
    assert "larger than the 1,000-byte limit" in err.reason
    assert "NEWSQA_MAX_FILE_BYTES" in err.reason


def test_article_over_the_character_cap(tmp_path: Path) -> None:
    path = write(tmp_path / "long.txt", "Title\n\n" + "x" * 150)
    err = only_error(load_item(path, limits(tmp_path, max_article_chars=100)))
    assert "150 characters" in err.reason and "100-character limit" in err.reason
    assert "NEWSQA_MAX_ARTICLE_CHARS" in err.reason
    ok = only_article(load_item(path, limits(tmp_path, max_article_chars=150)))
    assert len(ok.text) == 150


@pytest.mark.parametrize(
    "name", ["scan.pdf", "story.docx", "photo.PNG", "archive.zip", "setup.exe"]
)
def test_unsupported_extensions(tmp_path: Path, settings: Settings, name: str) -> None:
    err = only_error(load_item(write(tmp_path / name, b"%PDF-1.4 whatever"), settings))
    ext = Path(name).suffix.lower()
    assert err.reason == f"unsupported file type {ext}; {SUPPORTED}"


def test_missing_file_folder_and_bad_scheme_items(tmp_path: Path, settings: Settings) -> None:
    assert only_error(load_item(str(tmp_path / "gone.txt"), settings)).reason.startswith(
        "no such file"
    )
    assert "is a folder" in only_error(load_item(str(tmp_path), settings)).reason
    err = only_error(load_item("file:///etc/passwd", settings))
    assert err.reason == "only http(s) URLs can be ingested, not file: URLs"


def test_unknown_extensions_are_sniffed(tmp_path: Path, settings: Settings) -> None:
    page = only_article(
        load_item(write(tmp_path / "page.dat", (DATA / "news_page.html").read_bytes()), settings)
    )
    assert page.title == "Harbour Bridge Reopens After Two-Year Repair"
    feed = load_item(write(tmp_path / "feed.dat", (DATA / "feed_full.atom").read_bytes()), settings)
    assert len(articles(feed)) == 2
    assert sniff_format('{"a": 1}\n{"b": 2}\n') == "jsonl"
    assert sniff_format('{\n  "a": 1\n}') == "json"
    assert sniff_format("---\ntitle: x\n---\nbody") == "md"
    assert sniff_format("Just a headline\n\nAnd text.") == "txt"


@pytest.mark.parametrize("name", ["x.json", "x.jsonl", "x.md", "x.html", "x.rss", "x.txt", "x.xml"])
def test_garbage_never_raises(tmp_path: Path, settings: Settings, name: str) -> None:
    for content in [
        b"{[<<>>]}",
        b"<<<?xml \xff\xfe garbage",
        b"---\n: : :\n---\n",
        b"\xc3\x28" * 50,
    ]:
        results = load_item(write(tmp_path / name, content), settings)
        assert results and all(isinstance(r, (RawArticle, LoadError)) for r in results)


# --- stdin ----------------------------------------------------------------------------------------


def test_stdin_text_json_and_feed(settings: Settings) -> None:
    art = only_article(load_item("-", settings, stdin=io.BytesIO(SEED_FILE.read_bytes())))
    assert art.origin == "<stdin>" and art.text.startswith("TEHRAN (Tasnim)")
    record = json.dumps({"title": "From a pipe", "text": "Piped article text."}).encode()
    piped = only_article(load_item("-", settings, stdin=io.BytesIO(record)))
    assert (piped.title, piped.text, piped.origin) == (
        "From a pipe",
        "Piped article text.",
        "<stdin>",
    )
    feed = load_item("-", settings, stdin=io.BytesIO((DATA / "feed_full.atom").read_bytes()))
    assert [a.origin for a in articles(feed)] == ["<stdin>#entry-1", "<stdin>#entry-2"]


def test_stdin_empty_and_too_large(tmp_path: Path, settings: Settings) -> None:
    assert "empty input" in only_error(load_item("-", settings, stdin=io.BytesIO(b" \n"))).reason
    big = only_error(
        load_item("-", limits(tmp_path, max_file_bytes=10), stdin=io.BytesIO(b"x" * 11))
    )
    assert big.origin == "<stdin>" and "NEWSQA_MAX_FILE_BYTES" in big.reason


# --- URLs -----------------------------------------------------------------------------------------


def test_url_html_page_uses_canonical_url(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/news/bridge"] = html((DATA / "news_page.html").read_text(encoding="utf-8"))
    art = only_article(load_item(server.url("/news/bridge"), limits(tmp_path)))
    assert art.origin == server.url("/news/bridge")
    assert art.url == "https://coastalherald.example/news/2022/06/17/harbour-bridge-reopens"
    assert art.title == "Harbour Bridge Reopens After Two-Year Repair"
    assert all(junk not in art.text for junk in PAGE_JUNK)


def test_url_without_canonical_uses_final_url(server: LocalServer, tmp_path: Path) -> None:
    page = (
        "<html><head><title>Mayor Resigns</title></head><body><article><h1>Mayor Resigns</h1>"
        "<p>The mayor of Port Ellen resigned on Monday, citing ill health, after eleven years in "
        "office.</p><p>An election will be held in September.</p></article></body></html>"
    )
    server.routes["/story"] = html(page, charset="iso-8859-1")
    server.routes["/short-link"] = (302, {"Location": "/story"}, b"")
    art = only_article(load_item(server.url("/short-link"), limits(tmp_path)))
    assert art.url == server.url("/story")
    assert art.origin == server.url("/short-link")
    assert art.text.startswith("The mayor of Port Ellen resigned on Monday")


def test_url_json_text_and_latin1(server: LocalServer, tmp_path: Path) -> None:
    record = {"title": "API Story", "body": "Served as JSON.", "url": "https://api.example/1"}
    server.routes["/api"] = (200, {"Content-Type": "application/json"}, json.dumps(record).encode())
    server.routes["/plain"] = (
        200,
        {"Content-Type": "text/plain; charset=iso-8859-1"},
        "Caf\u00e9 Reopens\n\nThe caf\u00e9 reopened.".encode("latin-1"),
    )
    api = only_article(load_item(server.url("/api"), limits(tmp_path)))
    assert (api.title, api.text, api.url) == (
        "API Story",
        "Served as JSON.",
        "https://api.example/1",
    )
    plain = only_article(load_item(server.url("/plain"), limits(tmp_path)))
    assert (plain.title, plain.text) == ("Café Reopens", "The café reopened.")
    assert plain.url == server.url("/plain")


def test_url_with_binary_content_type(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/photo"] = (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n")
    err = only_error(load_item(server.url("/photo"), limits(tmp_path)))
    assert err.reason.startswith("unsupported content type image/png")


def test_feed_url_fetches_linked_articles_for_short_summaries(
    server: LocalServer, tmp_path: Path
) -> None:
    feed = (DATA / "feed_summaries.rss").read_text(encoding="utf-8").replace("{base}", server.base)
    server.routes["/feed.rss"] = (200, {"Content-Type": "application/rss+xml"}, feed.encode())
    server.routes["/news/bridge.html"] = html((DATA / "news_page.html").read_text(encoding="utf-8"))
    feed_url = server.url("/feed.rss")
    results = load_item(feed_url, limits(tmp_path))
    assert [r.origin for r in results] == [f"{feed_url}#entry-{n}" for n in (1, 2, 3)]
    bridge, kayak, gone = results
    # 1: the summary was one sentence, so the linked page was fetched and its article extracted
    assert isinstance(bridge, RawArticle)
    for start in BRIDGE_PARAGRAPHS:
        assert start in bridge.text
    assert "The bridge is open again." not in bridge.text
    assert all(junk not in bridge.text for junk in PAGE_JUNK)
    assert bridge.title == "Harbour Bridge Reopens After Two-Year Repair"
    assert bridge.published == "Fri, 17 Jun 2022 08:30:00 GMT"  # the feed's date, raw
    assert bridge.source == "The Coastal Herald"
    assert bridge.url == "https://coastalherald.example/news/2022/06/17/harbour-bridge-reopens"
    # 2: the link is gone, the short summary is kept and the failure noted
    assert isinstance(kayak, RawArticle)
    assert kayak.text == "Two kayakers were rescued off Gull Point on Sunday."
    assert kayak.url == server.url("/news/missing-page.html")
    assert "HTTP 404 Not Found" in kayak.extra["fetch_error"]
    # 3: no summary and the link is gone
    assert isinstance(gone, LoadError)
    assert "entry has no text" in gone.reason and "HTTP 404 Not Found" in gone.reason
    fetched = sorted(path for path, _headers in server.requests)
    assert fetched == [
        "/feed.rss",
        "/news/also-missing.html",
        "/news/bridge.html",
        "/news/missing-page.html",
    ]


def test_feed_url_with_full_content_fetches_nothing_else(
    server: LocalServer, tmp_path: Path
) -> None:
    server.routes["/atom"] = (
        200,
        {"Content-Type": "text/html"},
        (DATA / "feed_full.atom").read_bytes(),
    )
    results = load_item(server.url("/atom"), limits(tmp_path))  # served as text/html: sniffed
    assert [a.title for a in articles(results)] == [
        "Lighthouse Restoration Completed",
        "Harbour Dues to Rise",
    ]
    assert [path for path, _headers in server.requests] == ["/atom"]


def test_empty_feed_url(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/empty.rss"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        (DATA / "feed_empty.rss").read_bytes(),
    )
    err = only_error(load_item(server.url("/empty.rss"), limits(tmp_path)))
    assert (err.origin, err.reason) == (server.url("/empty.rss"), "feed has no entries")


def test_url_failures_become_load_errors(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    server.routes["/to-file"] = (302, {"Location": "file:///etc/passwd"}, b"")
    server.routes["/big"] = (200, {"Content-Type": "text/html"}, b"<p>" + b"a" * 20_000 + b"</p>")
    cases = {
        server.url("/missing"): f"HTTP 404 Not Found from {server.url('/missing')}",
        server.url("/loop"): "too many redirects (3)",
        server.url("/to-file"): "refused redirect",
        server.url("/big"): "larger than the 10,000-byte limit (NEWSQA_MAX_FILE_BYTES)",
        f"http://127.0.0.1:{free_port()}/x": "cannot reach 127.0.0.1",
    }
    settings = limits(tmp_path, max_file_bytes=10_000)
    for url, expected in cases.items():
        err = only_error(load_item(url, settings))
        assert err.origin == url
        assert expected in err.reason, (url, err.reason)


def test_slow_url_times_out(server: LocalServer, tmp_path: Path) -> None:
    def slow(handler: object) -> None:
        import time

        time.sleep(2)

    server.routes["/slow"] = slow  # type: ignore[assignment]
    err = only_error(load_item(server.url("/slow"), limits(tmp_path, url_timeout=0.5)))
    assert "timed out after 0.5 s" in err.reason
