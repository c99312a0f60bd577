"""The chat UI in a real headless Chromium (Debian `chromium`), driven by Playwright.

`python app.py` runs in a subprocess on a free loopback port with its own store (seeded from
seeds/ and the real embedding model), once for the module. Screenshots go to test-artifacts/.
Chromium: `apt-get update && apt-get install -y chromium` (the test never downloads a browser).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.uiutil import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_app

pytestmark = pytest.mark.e2e
sync_api = pytest.importorskip("playwright.sync_api")

if not CHROMIUM.exists():
    message = "no /usr/bin/chromium: apt-get update && apt-get install -y chromium"
    if os.environ.get("CI"):
        raise RuntimeError(message)
    pytest.skip(message, allow_module_level=True)

SEED_QUESTION = "Which country did Iran say it could export arms to?"
# Every wait is on a condition in the page, never a fixed sleep; the bounds are generous because
# the cores may be shared (a full test run, a training job): a busy machine once needed > 90 s.
ANSWER_TIMEOUT = 300_000  # ms; the first answer of a fresh process also warms the retriever
UI_TIMEOUT = 60_000  # ms; a tab switch, a table refresh, a cleared chat

UPLOADED_TITLE = "Dock Workers End Nine-Day Strike at the Port of Valdora"
UPLOADED_ARTICLE = f"""{UPLOADED_TITLE}

VALDORA (Coastal Herald) – Dock workers at the Port of Valdora ended a nine-day strike on Friday after the harbour authority agreed to a pay rise of 7 percent, union leader Marta Ilves said.

The strike had left more than forty container ships waiting outside the harbour, and grain exports from the region fell sharply during the stoppage.

"The workers have shown that the port cannot run without them," Ilves told reporters at the union hall. The harbour authority said cargo handling would return to normal within a week.
"""

MARKUP_TITLE = "Lindhaven Council Backs Tram Plan <b>bold</b> <script>window.__pwned=3</script>"
MARKUP_TEXT = """LINDHAVEN (Lake Courier) – The Lindhaven city council approved a budget of 40 million euros for the northern tram extension on Monday. <script>window.__pwned=1</script>

Councillor Ada Brenner said the line would open in 2027. <img src=x onerror="window.__pwned=2"> Critics posted [a link](javascript:window.__pwned=5) and **bold claims** online.
"""
MARKUP_QUESTION = 'How much money did the Lindhaven council approve for the tram? <img src=x onerror="window.__pwned=4">'


APP_LOG: list[Path] = []  # the running app's log, quoted when an answer does not come


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("ui")
    APP_LOG[:] = [workdir / "app.log"]
    with running_app(workdir) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    """A fresh browser session on the app; fails the test on any dialog (an alert() from markup)."""
    context = browser.new_context(viewport={"width": 1400, "height": 940})
    context.set_default_timeout(UI_TIMEOUT)  # clicks, fills and reads on a busy machine
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.goto(app_url, wait_until="domcontentloaded")
    pg.wait_for_selector("textarea", timeout=UI_TIMEOUT)
    yield pg
    context.close()
    assert not dialogs, f"a dialog opened: {dialogs}"


def shot(pg: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / name), full_page=True)


def ask(pg: Any, question: str) -> Any:
    """Type a question, press Ask, wait for its answer; returns the answer's message element."""
    before = pg.locator('#nq-chat [data-testid="bot"]').count()
    pg.locator("#nq-question textarea").fill(question)
    pg.locator("#nq-ask").click()
    try:
        pg.wait_for_function(
            """n => {
                const bots = document.querySelectorAll('#nq-chat [data-testid="bot"]');
                return bots.length > n && !bots[bots.length - 1].querySelector('.nq-pending');
            }""",
            arg=before,
            timeout=ANSWER_TIMEOUT,
        )
    except sync_api.TimeoutError as exc:  # say what the page and the server show, for the next run
        log = APP_LOG[0].read_text(errors="replace")[-3000:] if APP_LOG else "(no log)"
        chat = pg.locator("#nq-chat").inner_text()[-1500:]
        raise AssertionError(
            f"no answer to {question!r} in {ANSWER_TIMEOUT / 1000:.0f} s\n"
            f"--- the chat shows:\n{chat}\n--- app.log ends:\n{log}"
        ) from exc
    return pg.locator('#nq-chat [data-testid="bot"]').last


def open_library(pg: Any) -> None:
    pg.get_by_role("tab", name="Library").click()
    pg.wait_for_selector("#nq-add-text", timeout=UI_TIMEOUT)


def open_ask(pg: Any) -> None:
    pg.get_by_role("tab", name="Ask").click()
    pg.wait_for_selector("#nq-question textarea", timeout=UI_TIMEOUT)


def wait_for_report(pg: Any, status: str) -> str:
    pg.wait_for_function(
        "s => (document.querySelector('#nq-report')?.innerText || '').includes(s)",
        arg=status,
        timeout=ANSWER_TIMEOUT,
    )
    return str(pg.locator("#nq-report").inner_text())


def test_seed_question_is_answered_with_linked_highlighted_quote(page: Any) -> None:
    examples = page.locator("#nq-examples")
    examples.wait_for(timeout=UI_TIMEOUT)
    assert "Tasnim" in examples.inner_text()  # example questions come from the stored articles

    answer = ask(page, SEED_QUESTION)
    assert "Venezuela" in answer.inner_text()
    cites = answer.locator("a.nq-cite")
    assert cites.first.inner_text() == "[1]"

    venezuela = page.locator("#nq-sources mark.nq-quote").filter(has_text="Venezuela")
    assert venezuela.count() == 1
    card = page.locator("#nq-sources article.nq-card").filter(
        has=page.locator("mark.nq-quote", has_text="Venezuela")
    )
    assert "Tasnim" in card.locator(".nq-meta").inner_text()
    assert "Iran" in card.locator(".nq-title").inner_text()

    quote_id = venezuela.get_attribute("id")
    link = answer.locator(f'a.nq-cite[href="#{quote_id}"]')
    assert link.count() == 1  # the [n] in the answer points at this very quote
    link.click()
    page.wait_for_function("id => location.hash === '#' + id", arg=quote_id, timeout=UI_TIMEOUT)
    assert venezuela.evaluate("el => el.matches(':target')")
    shot(page, "ui-answer.png")


def test_follow_up_refusal_and_bad_date_are_shown(page: Any) -> None:
    ask(page, SEED_QUESTION)
    follow = ask(page, "Who said that?")
    assert follow.locator("a.nq-cite").count() >= 1
    assert page.locator("#nq-sources details.nq-earlier").count() == 1  # earlier sources folded

    ask(page, "What is the recipe for a Victoria sponge cake?")
    panel = page.locator("#nq-sources")
    assert "Related, not an answer" in panel.inner_text()
    assert page.locator("#nq-sources article.nq-related").count() >= 1
    shot(page, "ui-refusal.png")

    page.locator("#nq-options").get_by_text("Options").click()
    page.locator("#nq-since input, #nq-since textarea").first.fill("2022-13-45")
    error = ask(page, SEED_QUESTION)
    assert "Published since: 2022-13-45 is not a day of the calendar" in error.inner_text()
    shot(page, "ui-bad-date.png")
    page.locator("#nq-clear").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#nq-chat [data-testid=\"bot\"]').length === 0",
        timeout=UI_TIMEOUT,
    )


def test_uploaded_article_can_be_asked_about(page: Any, tmp_path: Path) -> None:
    story = tmp_path / "valdora strike.txt"
    story.write_text(UPLOADED_ARTICLE, encoding="utf-8")
    open_library(page)
    page.locator("#nq-files input[type=file]").set_input_files(str(story))
    page.wait_for_function(  # the upload has reached the server before the click is handled
        "name => (document.querySelector('#nq-files')?.innerText || '').includes(name)",
        arg=story.name,
        timeout=UI_TIMEOUT,
    )
    page.locator("#nq-add-files").click()
    report = wait_for_report(page, "ingested")
    assert "valdora strike.txt" in report  # the report names the file as the user did
    assert UPLOADED_TITLE in report
    page.wait_for_function(
        "t => document.querySelector('#nq-table').innerText.includes(t)",
        arg=UPLOADED_TITLE,
        timeout=UI_TIMEOUT,
    )
    shot(page, "ui-library.png")

    open_ask(page)
    answer = ask(page, "How big a pay rise did the Valdora dock workers get?")
    assert "7 percent" in answer.inner_text()
    card = page.locator("#nq-sources article.nq-card").filter(
        has=page.locator("mark.nq-quote", has_text="7 percent")
    )
    assert card.count() >= 1
    assert UPLOADED_TITLE in card.first.locator(".nq-title").inner_text()
    assert "Coastal Herald" in card.first.locator(".nq-meta").inner_text()
    shot(page, "ui-uploaded-answer.png")


def test_markup_in_articles_and_questions_is_shown_as_text(page: Any) -> None:
    open_library(page)
    page.locator("#nq-paste-title input, #nq-paste-title textarea").first.fill(MARKUP_TITLE)
    page.locator("#nq-paste-text textarea").fill(MARKUP_TEXT)
    page.locator("#nq-paste-outlet input, #nq-paste-outlet textarea").first.fill("Lake Courier")
    page.locator("#nq-paste-date input, #nq-paste-date textarea").first.fill("2024-05-07")
    page.locator("#nq-add-text").click()
    wait_for_report(page, "ingested")
    for field in ("#nq-paste-title", "#nq-paste-text", "#nq-paste-outlet", "#nq-paste-date"):
        box = page.locator(f"{field} input, {field} textarea").first
        page.wait_for_function("el => el.value === ''", arg=box.element_handle())  # cleared
    page.wait_for_function(
        "() => document.querySelector('#nq-table').innerText.includes('<script>window.__pwned=3')",
        timeout=UI_TIMEOUT,
    )
    shot(page, "ui-markup-library.png")

    open_ask(page)
    answer = ask(page, MARKUP_QUESTION)
    assert "40 million euros" in answer.inner_text()
    question_shown = page.locator('#nq-chat [data-testid="user"]').last.inner_text()
    assert '<img src=x onerror="window.__pwned=4">' in question_shown

    panel = page.locator("#nq-sources").inner_text()
    assert "<script>window.__pwned=1</script>" in panel
    assert '<img src=x onerror="window.__pwned=2">' in panel
    assert "<script>window.__pwned=3</script>" in panel  # in the title
    assert "[a link](javascript:window.__pwned=5)" in panel
    assert "**bold claims**" in panel

    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert page.locator("#nq-sources b, #nq-chat b").count() == 0
    shot(page, "ui-markup.png")


def test_selected_articles_can_be_deleted(page: Any) -> None:
    open_library(page)
    table = page.locator("#nq-table")
    table.get_by_text("Lake Courier").first.click()  # selects the row for deletion
    picked = page.locator("#nq-delete-pick")
    page.wait_for_function(
        "() => document.querySelector('#nq-delete-pick').innerText.includes('Lindhaven')",
        timeout=UI_TIMEOUT,
    )
    assert "Tasnim" not in picked.inner_text()
    page.locator("#nq-delete").click()
    page.wait_for_function(
        "() => document.querySelector('#nq-delete-msg').innerText.includes('Deleted 1 article')",
        timeout=ANSWER_TIMEOUT,
    )
    page.wait_for_function(
        "() => !document.querySelector('#nq-table').innerText.includes('Lindhaven')",
        timeout=UI_TIMEOUT,
    )
    assert "Top General Says Iran" in table.inner_text()
    shot(page, "ui-deleted.png")
