"""The chat UI's own helpers (newsqa.ui): escaping, highlighting, validation, uploads, login and wiring.

Fast: no browser, no server, the hash embedder. The browser and gradio_client tests are in
test_ui_browser.py and test_app_client.py.
"""

from __future__ import annotations

import html
import re
import string
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import newsqa.ui as ui
from newsqa.ui import access, actions, escaping, fields, layout, library, render, serve, uploads
from qa import Answer, Citation, ConfigError, Passage, Settings
from tests.conftest import SEED_FILE, SEEDS

ARTICLE = (
    "LINDHAVEN (Lake Courier) – The council approved 40 million euros for the tram. "
    '<script>alert(1)</script> Critics said <img src=x onerror="alert(2)"> it was too much. '
    "The line opens in 2027."
)


def cite(n: int, start: int, end: int, text: str = ARTICLE, **kw: Any) -> Citation:
    fields: dict[str, Any] = {
        "article_id": "a1", "title": "Tram <b>plan</b>", "source": "Lake Courier",
        "published": "2024-05-07", "url": "https://example.org/tram?a=1&b=2", "score": 0.9,
    }  # fmt: skip
    fields.update(kw)
    return Citation(n=n, quote=text[start:end], start=start, end=end, **fields)


def passage(start: int, end: int, text: str = ARTICLE, article_id: str = "a1") -> Passage:
    return Passage(
        chunk_id=f"{article_id}:{start}", article_id=article_id, title="Tram <b>plan</b>",
        source="Lake Courier", published="2024-05-07", url=None, start=start, end=end,
        text=text[start:end], score=0.5,
    )  # fmt: skip


def visible_text(fragment: str) -> str:
    """What a browser shows for an HTML fragment (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


# --- escaping ----------------------------------------------------------------------------------


@given(st.text())
def test_md_literal_shows_any_text_exactly_and_leaves_no_syntax(text: str) -> None:
    out = escaping.md_literal(text)
    assert html.unescape(out) == " ".join(re.sub(r"[\x00-\x08\x0e-\x1b\x7f]", "", text).split())
    assert not set(re.sub(r"&#\d+;", "", out)) & set(string.punctuation)


def test_md_literal_neutralises_markup_and_markdown() -> None:
    out = escaping.md_literal('<img src=x onerror="alert(1)"> [x](javascript:alert(2)) **b** $x$')
    assert "<" not in out and "](" not in out and "**" not in out and "$" not in out
    assert html.unescape(out) == '<img src=x onerror="alert(1)"> [x](javascript:alert(2)) **b** $x$'


def test_answer_links_known_citations_and_escapes_the_rest() -> None:
    citations = [cite(1, 0, 10), cite(2, 10, 20)]
    out = render.answer_html("Council <b>voted</b> [1] and *spent* [2] see [7]", citations, turn=3)
    assert '<a class="nq-cite" href="#nq-src-3-1"' in out
    assert 'href="#nq-src-3-2"' in out
    assert "nq-src-3-7" not in out  # no citation 7: the text stays text
    assert "<b>" not in out and "*spent*" not in out
    assert visible_text(out).replace("\xa0", " ") == (
        "Council <b>voted</b> [1] and *spent* [2] see [7]"
    )
    assert 'title="Lake Courier: Tram &lt;b&gt;plan&lt;/b&gt;"' in out


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/a?b=1", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        ("JAVASCRIPT:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//example.org/x", False),
        ("/relative/path", False),
        ("https://exa mple.org", False),
        ("", False),
        (None, False),
    ],
)
def test_safe_url_accepts_only_absolute_http_urls(url: str | None, ok: bool) -> None:
    assert (escaping.safe_url(url) is not None) is ok


def test_source_card_escapes_and_links_safely() -> None:
    card = render.source_card(
        title='Tram <script>alert("t")</script>', source="Lake <i>Courier</i>",
        published="2024-05-07T10:00:00", url="https://example.org/x?a=1&b=2",
        body_html="body",
    )  # fmt: skip
    assert "<script>" not in card and "<i>" not in card
    assert (
        'href="https://example.org/x?a=1&amp;b=2" target="_blank" rel="noopener noreferrer"' in card
    )
    assert "7 May 2024" in card and "example.org ↗" in card
    unsafe = render.source_card(
        title="T", source=None, published=None, url="javascript:alert(1)", body_html=""
    )
    assert "href" not in unsafe and "javascript" not in unsafe
    assert "unknown outlet · date unknown" in unsafe


# --- quotes highlighted in their passages -----------------------------------------------------


def test_highlight_marks_the_exact_quote_and_escapes_everything() -> None:
    start = ARTICLE.index("Critics")
    end = ARTICLE.index("too much.") + len("too much.")
    out = render.highlight(ARTICLE, [(start, end, 2)], turn=1)
    mark = re.search(r'<mark class="nq-quote" id="nq-src-1-2">(.*?)</mark>', out)
    assert mark and html.unescape(mark.group(1)) == ARTICLE[start:end]
    assert "<script>" not in out and "<img" not in out
    assert visible_text(out) == ARTICLE[:start] + "[2]" + ARTICLE[start:]


def test_highlight_trims_long_context_at_words() -> None:
    text = "word " * 200 + "THE QUOTE." + " tail" * 200
    start = text.index("THE QUOTE")
    out = render.highlight(text, [(start, start + 10, 1)], turn=1, context=50)
    shown = visible_text(out)
    assert shown.startswith("… word") and shown.endswith("tail …")
    assert len(shown) < 140
    assert "THE QUOTE." in shown


def test_highlight_many_quotes_in_one_passage() -> None:
    a, b = ARTICLE.index("The council"), ARTICLE.index("The line")
    out = render.highlight(ARTICLE, [(b, len(ARTICLE), 2), (a, a + 11, 1)], turn=4)
    assert out.index("nq-src-4-1") < out.index("nq-src-4-2")
    assert visible_text(out).count("[") == 2


def test_citation_cards_group_quotes_by_article_and_passage() -> None:
    split = ARTICLE.index("Critics")
    answer = Answer(
        question="q", text="x [1] y [2] z [3]", answered=True,
        citations=(cite(1, 0, 20), cite(2, split, split + 7),
                   cite(3, 0, 9, text="Other text here.", article_id="b2", title="Other")),
        passages=(passage(0, split), passage(split, len(ARTICLE))),
    )  # fmt: skip
    looked_up: list[str] = []

    def lookup(article_id: str) -> str | None:
        looked_up.append(article_id)
        return "Other text here." if article_id == "b2" else None

    out = render.citation_cards(answer, turn=5, article_text=lookup)
    assert out.count('<article class="nq-card') == 2  # one card per article
    assert out.count('<div class="nq-passage">') == 3  # two passages of a1, one of b2
    for n in (1, 2, 3):
        assert f'id="nq-src-5-{n}"' in out
    assert looked_up == ["b2"]  # the quote outside every passage is shown in its article text
    assert "[1][2]" in out and "Tram &lt;b&gt;plan&lt;/b&gt;" in out


def test_the_readers_short_answer_is_bold_above_the_answer_and_in_its_quote() -> None:
    start, end = ARTICLE.index("The council"), ARTICLE.index("tram.") + len("tram.")
    quote = ARTICLE[start:end]
    a = quote.index("40 million euros")
    c = cite(1, start, end, answer_start=a, answer_end=a + len("40 million euros"))
    answer = Answer(
        question="How much?", text=f"{quote} [1]", answered=True, citations=(c,),
        passages=(passage(0, len(ARTICLE)),), short_answer="40 million <b>euros</b>",
    )  # fmt: skip
    message = render.answer_message(answer, turn=2)
    short = re.search(r'<strong class="nq-short">(.*?)</strong><br>', message)
    assert short and message.startswith(short.group(0))  # above the answer
    assert html.unescape(short.group(1)) == "40 million <b>euros</b>"  # shown, not rendered
    assert "<b>" not in message

    cards = render.citation_cards(answer, turn=2, article_text=lambda _: None)
    mark = re.search(r'<mark class="nq-quote" id="nq-src-2-1">(.*?)</mark>', cards)
    assert mark and visible_text(mark.group(1)) == quote  # the quote is whole
    bold = re.search(r'<strong class="nq-answer">(.*?)</strong>', mark.group(1))
    assert bold and html.unescape(bold.group(1)) == "40 million euros"

    plain = render.answer_message(replace(answer, short_answer=None), turn=2)
    assert "nq-short" not in plain
    assert "nq-answer" not in render.citation_cards(
        replace(answer, citations=(replace(c, answer_start=None, answer_end=None),)),
        turn=2,
        article_text=lambda _: None,
    )
    api = actions.citation_dict(c)
    assert api["short_answer"] == "40 million euros"
    assert api["quote"][api["answer_start"] : api["answer_end"]] == "40 million euros"
    assert (
        actions.citation_dict(replace(c, answer_start=None, answer_end=None))["short_answer"]
        is None
    )


def test_source_cards_say_who_a_quote_is_from_and_the_note_says_sources_differ() -> None:
    from qa import Version

    start, end = ARTICLE.index("Critics"), ARTICLE.index("much.") + len("much.")
    c1 = cite(1, 0, 20, speaker="Mayor <i>Jo</i> Lind")
    c2 = cite(2, start, end, article_id="b2", source="Other Outlet", speaker=None)
    answer = Answer(
        question="q", text="Sources differ. x [1] y [2]", answered=True, citations=(c1, c2),
        passages=(passage(0, len(ARTICLE)),), agreement="differ",
        versions=(Version("40", "num:40:", (1,), ("Lake Courier",)),
                  Version("41", "num:41:", (2,), ("Other Outlet",))),
    )  # fmt: skip
    cards = render.citation_cards(answer, turn=1, article_text=lambda _: ARTICLE)
    metas = re.findall(r'<div class="nq-meta">(.*?)</div>', cards)
    assert "quoting Mayor <i>Jo</i> Lind [1]" in visible_text(metas[0])  # escaped, shown as text
    assert "<i>" not in cards and "quoting" not in metas[1]
    note = render.answer_message(answer, turn=1)
    assert "sources differ: 2 versions · 2 quotes from 2 articles" in visible_text(note)
    assert actions.citation_dict(c1)["speaker"] == "Mayor <i>Jo</i> Lind"


def test_a_refusal_shows_related_passages_one_per_article() -> None:
    answer = Answer(
        question="q", text="The ingested articles don't cover this.", answered=False,
        citations=(), passages=(passage(0, 40), passage(40, 90), passage(0, 30, article_id="b")),
    )  # fmt: skip
    out = render.sources_html(answer, "What <b>now</b>?", turn=1, article_text=lambda _: None)
    assert "Related, not an answer" in out
    assert out.count("nq-card nq-related") == 2
    assert "What &lt;b&gt;now&lt;/b&gt;?" in out


def test_sources_panel_shows_latest_and_folds_earlier_questions() -> None:
    turns = [
        {"id": 1, "question": "first <q>", "sources": "<p>S1</p>"},
        {"id": 2, "question": "second", "sources": "<p>S2</p>"},
        {"id": 3, "question": "third", "pending": True, "sources": ""},
    ]
    out = render.sources_panel(turns)
    assert "Searching the articles for “third”" in out
    assert out.index("S2") < out.index("S1")
    assert "Earlier: “first &lt;q&gt;”" in out
    assert render.sources_panel([]) == render.EMPTY_SOURCES
    error = render.sources_panel([{"id": 1, "question": "q", "error": True, "sources": ""}])
    assert "No sources" in error


def test_report_lists_every_item_escaped() -> None:
    from ingest import IngestReport, ItemResult

    report = IngestReport(items=[
        ItemResult("a.txt", "ingested", "id1", "<b>Title</b>", chunks=3),
        ItemResult("b.txt", "duplicate", "id2", "Copy", duplicate_of="id1", similarity=0.97),
        ItemResult("c.pdf", "failed", reason="not a supported <type>"),
    ], seconds=1.25)  # fmt: skip
    out = library.report_html(report, titles={"id1": "Original <i>story</i>"})
    assert "<b>" not in out and "<i>" not in out and "<type>" not in out
    assert "1 ingested" in out and "1 duplicate" in out and "1 failed" in out
    assert "3 passages indexed" in out
    assert "near-duplicate of “Original &lt;i&gt;story&lt;/i&gt;” (similarity 0.97)" in out
    assert "not a supported &lt;type&gt;" in out


# --- options ---------------------------------------------------------------------------------


def test_dates_go_through_the_one_policy_with_the_fields_named() -> None:
    """The UI reads dates as `qa.parse_date` does (lenient), and says which field was wrong."""
    from datetime import date

    q = fields.build_query("q", since="", until=" ")
    assert (q.since, q.until, q.as_of) == (None, None, None)
    q = fields.build_query("q", since="June 1, 2022", until="2022-06", as_of="17 June 2022")
    assert (q.since, q.until, q.as_of) == (date(2022, 6, 1), date(2022, 6, 30), date(2022, 6, 17))
    assert fields.build_query("q", k=0).k is None and fields.build_query("q", k=8.0).k == 8
    with pytest.raises(
        ConfigError, match=r"Published since: “June 1” is not a date; type it as YYYY-MM-DD"
    ):
        fields.build_query("q", since="June 1")
    with pytest.raises(
        ConfigError, match="Published until: 2022-02-30 is not a day of the calendar"
    ):
        fields.build_query("q", until="2022-02-30")
    with pytest.raises(ConfigError, match=r"Answer as of: “yesterday” is not a date"):
        fields.build_query("q", as_of="yesterday")
    with pytest.raises(ConfigError, match="is after until"):  # the library's own check
        fields.build_query("q", since="2022-07-01", until="2022-06-01")


def test_answerers_come_from_the_settings() -> None:
    from typing import get_args

    offered = fields.available_answerers()
    assert offered[0] == "extractive"
    assert set(offered) <= set(get_args(Settings.model_fields["answerer"].annotation))


def test_example_questions_are_built_from_titles() -> None:
    articles = [
        {"title": "Top General Says Iran Ready to Export Defense Equipment, Share Experiences "
                  "with Friendly Countries", "source": "Tasnim"},
        {"title": "Dock Workers End Strike - Coastal Herald", "source": None},
        {"title": "Short", "source": "X"},
        {"title": "Dock Workers End Strike - Coastal Herald", "source": None},
    ]  # fmt: skip
    assert library.example_questions(articles) == [
        "What did Tasnim report in “Top General Says Iran Ready to Export Defense Equipment”?",
        "What does “Dock Workers End Strike” say?",
    ]
    assert len(library.headline("word " * 40)) <= 71


def test_library_rows_search_and_delete_choices() -> None:
    articles = [
        {"article_id": "a1", "title": "Tram plan", "source": "Lake Courier",
         "published": "2024-05-07T10:00:00", "url": None, "chunks": 2,
         "duplicates": [{"source": "Wire"}, {"source": "Daily"}]},
        {"article_id": "b2", "title": "Port strike", "source": None, "published": None,
         "url": "https://example.org/port", "chunks": 1, "duplicates": []},
    ]  # fmt: skip
    assert library.article_rows(articles) == [
        ["Tram plan", "Lake Courier", "2024-05-07", 2, "2 (Daily, Wire)", "a1"],
        ["Port strike", "", "", 1, "0", "b2"],
    ]
    assert [r[5] for r in library.article_rows(articles, "COURIER tram")] == ["a1"]
    assert [r[5] for r in library.article_rows(articles, "example.org")] == ["b2"]
    assert library.article_rows(articles, "nothing") == []
    assert library.delete_choices(articles, "port") == [
        ("Port strike — unknown outlet, undated", "b2")
    ]


# --- uploads and pasted text stay inside the data dir ----------------------------------------


def test_uploads_are_copied_under_generated_names(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "store", max_file_bytes=1000)
    client = tmp_path / "client"
    client.mkdir()
    good = client / "..%2F..%2Fevil story.TXT"
    good.write_text("Headline\n\nBody text.", encoding="utf-8")
    big = client / "big.md"
    big.write_text("x" * 1001, encoding="utf-8")
    pdf = client / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    staged, rejected = uploads.stage_uploads([str(good), str(big), str(pdf)], settings)

    assert [name for _, name in staged] == ["..%2F..%2Fevil story.TXT"]
    path = staged[0][0]
    assert path.parent == (settings.data_dir / "uploads").resolve()
    assert re.fullmatch(r"[0-9a-f]{32}\.txt", path.name)
    assert path.read_text(encoding="utf-8") == "Headline\n\nBody text."
    reasons = dict(rejected)
    assert "1,001 bytes is over the 1,000-byte limit" in reasons["big.md"]
    assert "not a supported file type" in reasons["report.pdf"]
    assert "txt, md, html, htm, json, jsonl, xml, rss, atom" in reasons["report.pdf"]


def test_pasted_text_is_ingested_with_its_title_outlet_and_date(settings: Settings) -> None:
    from qa import Store

    body = 'Council <script>alert(1)</script> news: "quoted" --- *not bold*.'
    report = actions.Actions(settings).api_ingest_text(
        "Tram: plan? <b>yes</b>", body, "Lake Courier", "7 May 2024"
    )
    assert report["counts"]["ingested"] == 1
    assert report["items"][0]["origin"] == "pasted text"
    assert not any((settings.data_dir / "uploads").glob("*"))  # in memory: no file written
    with Store.open(settings) as store:
        article = store.get_article(report["items"][0]["article_id"] or "")
    assert article is not None
    assert (article.title, article.source, article.published) == (
        "Tram: plan? <b>yes</b>",
        "Lake Courier",
        "2024-05-07",
    )
    assert article.text == body  # kept verbatim; escaping happens only when shown


@pytest.mark.parametrize(
    ("title", "text", "published", "message"),
    [
        ("", "text", "", "title"),
        ("T", "   ", "", "text"),
        ("T", "text", "07/05/2024", "Published: “07/05/2024” is not a date; type it as YYYY-MM-DD"),
    ],
)
def test_pasted_text_problems_are_messages(
    title: str, text: str, published: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        uploads.pasted_article(title, text, published=published)


def test_uploads_are_ingested_in_one_call_with_progress(seeded: Settings, tmp_path: Path) -> None:
    """All files in one `ingest()`: the page's progress bar moves per file, then per chunk."""
    names = []
    for i, town in enumerate(("Valdora", "Merida", "Lindhaven")):
        f = tmp_path / f"story {i}.txt"
        f.write_text(f"{town} News\n\n{town.upper()} - The {town} harbour reopened on Monday.",
                     encoding="utf-8")  # fmt: skip
        names.append(str(f))
    calls: list[tuple[Any, str]] = []

    def progress(value: Any, desc: str = "", **_: Any) -> None:
        calls.append((value, desc))

    out, _ = actions.Actions(seeded).ingest_files(names, progress)
    assert "3 ingested" in out
    reading = [(v, d) for v, d in calls if d.startswith("Reading")]
    assert [v for v, _ in reading] == [(1, 3), (2, 3), (3, 3)]
    assert [d for _, d in reading] == [f"Reading story {i}.txt" for i in range(3)]  # user's names
    assert any(d == "Embedding and storing" for _, d in calls)


# --- login and exposure ----------------------------------------------------------------------


def test_auth_is_read_from_user_colon_password() -> None:
    assert access.parse_auth(None) is None and access.parse_auth("  ") is None
    assert access.parse_auth("desk:pa:ss") == ("desk", "pa:ss")
    for bad in ("desk", ":pw", "desk:"):
        with pytest.raises(ConfigError, match="user:password"):
            access.parse_auth(bad)


def test_a_loud_warning_only_when_exposed_without_login() -> None:
    assert access.exposure_warning("127.0.0.1", None, share=False) is None
    assert access.exposure_warning("localhost", None, share=False) is None
    assert access.exposure_warning("::1", None, share=False) is None
    assert access.exposure_warning("0.0.0.0", ("u", "p"), share=False) is None
    warning = access.exposure_warning("0.0.0.0", None, share=False)
    assert warning and "WITHOUT A LOGIN" in warning and "NEWSQA_AUTH" in warning
    shared = access.exposure_warning("127.0.0.1", None, share=True)
    assert shared and "gradio.live" in shared


def test_command_line_defaults_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    args = serve.parse_args([])
    assert (args.host, args.port, args.share, args.no_seed) == ("127.0.0.1", 7860, False, False)
    with pytest.raises(SystemExit) as done:
        serve.parse_args(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "NEWSQA_AUTH=user:password" in out and "--share" in out and "127.0.0.1" in out
    with pytest.raises(SystemExit):
        serve.parse_args(["--port", "70000"])


def test_main_refuses_a_malformed_login(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("NEWSQA_AUTH", "no-colon")
    assert serve.main(["--data-dir", str(tmp_path / "s"), "--no-seed"]) == 2
    assert "NEWSQA_AUTH must look like user:password" in capsys.readouterr().err


# --- the chat handler and the app ------------------------------------------------------------


@pytest.fixture
def seeded(tmp_path: Path) -> Settings:
    """A hash-embedder store holding the seed; min_evidence 0 so the extractive answerer answers."""
    from ingest import ingest

    s = Settings(data_dir=tmp_path / "store", embedding_backend="hash", chunk_size=400,
                 min_evidence=0.0)  # fmt: skip
    assert ingest([str(SEEDS)], s).ok
    return s


def test_respond_yields_searching_then_a_cited_answer(seeded: Settings) -> None:
    handlers = actions.Actions(seeded)
    steps = list(handlers.respond("Which country could Iran export arms to?", [], "extractive", 8,
                                 "", "", []))  # fmt: skip
    assert len(steps) == 2
    box, chat, panel, turns = steps[0]
    assert box == "" and chat[-1]["content"] == render.PENDING_ANSWER and "Searching" in panel
    box, chat, panel, turns = steps[-1]
    assert chat[0] == {
        "role": "user",
        "content": escaping.md_literal("Which country could Iran export arms to?"),
    }
    assert 'class="nq-cite" href="#nq-src-1-1"' in chat[1]["content"]
    assert 'id="nq-src-1-1"' in panel
    seed = SEED_FILE.read_text(encoding="utf-8")
    quotes = re.findall(r'<mark class="nq-quote"[^>]*>(.*?)</mark>', panel)
    assert quotes
    for quote in quotes:  # the short answer is marked inside the quote: the text is still verbatim
        assert html.unescape(re.sub(r"</?strong[^>]*>", "", quote)) in seed

    follow = list(handlers.respond("Who said that?", turns, "extractive", 8, "", "", []))[-1]
    assert len(follow[3]) == 2 and "Earlier:" in follow[2]
    retried = list(handlers.retry(follow[3], "extractive", 8, "", "", []))[-1]
    assert [t["question"] for t in retried[3]] == [t["question"] for t in follow[3]]
    assert actions.Actions.clear() == ("", [], render.EMPTY_SOURCES, [])


def test_respond_turns_errors_into_messages(settings: Settings) -> None:
    handlers = actions.Actions(settings)  # nothing ingested yet
    *_, (_, chat, panel, turns) = handlers.respond("Anything?", [], "extractive", 8, "", "", [])
    assert "nq-error" in chat[-1]["content"] and "Library tab" in html.unescape(chat[-1]["content"])
    assert turns[-1]["error"] and "No sources" in panel
    *_, (_, chat, _, _) = handlers.respond("Anything?", [], "extractive", 8, "last week", "", [])
    assert "YYYY&#45;MM&#45;DD" in chat[-1]["content"]
    *_, (_, chat, _, _) = handlers.respond("Anything?", [], "nonsense", 8, "", "", [])
    assert "unknown answerer" in html.unescape(chat[-1]["content"])
    empty = list(handlers.respond("   ", [], "extractive", 8, "", "", []))
    assert empty == [("", [], render.EMPTY_SOURCES, [])]


def test_ingest_files_reports_accepted_and_rejected_uploads(
    seeded: Settings, tmp_path: Path
) -> None:
    story = tmp_path / "port story.txt"
    story.write_text("Port Strike Ends\n\nVALDORA (Coastal Herald) – Dock workers went back.",
                     encoding="utf-8")  # fmt: skip
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF")
    out, cleared = actions.Actions(seeded).ingest_files([str(story), str(bad)])
    assert cleared is None
    assert "port story.txt" in out and "scan.pdf" in out and "not a supported file type" in out
    assert "1 ingested" in out and "1 failed" in out
    assert str(seeded.data_dir) not in out  # the server path of the staged copy is not shown
    assert not any((seeded.data_dir / "uploads").iterdir())  # staged copies are removed


def test_build_app_exposes_the_documented_api(seeded: Settings) -> None:
    demo = layout.build_app(seeded)
    public = {
        fn.api_name for fn in demo.fns.values() if getattr(fn, "api_visibility", "") == "public"
    }
    assert public == {"ask", "ingest_text", "ingest_url", "articles", "delete_articles"}
    for name in public:
        assert f"/{name}(" in ui.__doc__


def test_add_text_clears_every_field_once_stored(seeded: Settings) -> None:
    handlers = actions.Actions(seeded)
    body = "MERIDA (Valley Post) – The water board said the plant will supply 120,000 households."
    out, *fields_left = handlers.ui_ingest_text("Merida Plant", body, "Valley Post", "2024-05-07")
    assert "1 ingested" in out
    assert fields_left == ["", "", "", ""]  # title, text, outlet and date
    out, *fields_left = handlers.ui_ingest_text("T", body, "Valley Post", "07/05/2024")
    assert "YYYY-MM-DD" in out
    assert fields_left == ["T", body, "Valley Post", "07/05/2024"]  # kept to fix and retry
