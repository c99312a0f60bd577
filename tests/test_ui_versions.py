"""Sources that differ, and who is quoted, in the chat UI: a real headless Chromium on `python
app.py` with a store holding three outlets' reports of one budget vote (the real embedding model
and reader). Screenshots: test-artifacts/ui-differ.png and test-artifacts/ui-speaker.png (the
README's docs/ui-differ.png and docs/ui-speaker.png are copies)."""

from __future__ import annotations

import os
from collections.abc import Iterator
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

ANSWER_TIMEOUT = 300_000  # ms, a busy shared machine
UI_TIMEOUT = 60_000

REPORTS = [
    {
        "title": "Council passes $48.2 million Riverton budget",
        "source": "Riverton Daily Ledger",
        "published": "2025-03-13",
        "url": "https://ledger.example/2025/03/13/budget",
        "text": "RIVERTON — The Riverton city council on Wednesday passed a $48.2 million budget for "
        "the coming year after a four-hour debate, Mayor Tom Hadley said. The budget year begins "
        "July 1. Two council members voted against the plan, saying it leaned too heavily on the "
        "city's reserves. “We are proud of this budget, which keeps every city pool open this "
        "summer,” said Mayor Tom Hadley. The plan also adds two police officers and repaves Main "
        "Street.",
    },
    {
        "title": "Riverton approves spending plan after late correction",
        "source": "Valley Herald",
        "published": "2025-03-14",
        "url": "https://herald.example/riverton-spending-plan",
        "text": "RIVERTON — Riverton's council approved its spending plan this week. The council "
        "passed a $48.1 million budget, according to the city's finance office, after a late "
        "correction to the parks line. The pools, which had been threatened with closure, will "
        "stay open.",
    },
    {
        "title": "Budget vote in Riverton",
        "source": "Metro Wire",
        "published": "2025-03-12",
        "url": "https://metrowire.example/riverton-budget-vote",
        "text": "Riverton lawmakers voted on the city budget on Wednesday night. The council passed "
        "a budget of 48.2m dollars, officials said. Critics warned that property taxes could rise "
        "next year.",
    },
]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from ingest import RawArticle, ingest_articles
    from qa.core.settings import Settings

    work = tmp_path_factory.mktemp("ui-versions")
    raws = [RawArticle(origin=r["url"], **r) for r in REPORTS]
    report = ingest_articles(raws, settings=Settings(data_dir=work / "store"))
    assert report.counts()["ingested"] == len(REPORTS)
    with running_app(work) as url:
        yield url


@pytest.fixture
def page(app_url: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(UI_TIMEOUT)
        pg = context.new_page()
        pg.goto(app_url, wait_until="domcontentloaded")
        pg.wait_for_selector("textarea", timeout=UI_TIMEOUT)
        yield pg
        browser.close()


def ask(pg: Any, question: str) -> Any:
    before = pg.locator('#nq-chat [data-testid="bot"]').count()
    pg.locator("#nq-question textarea").fill(question)
    pg.locator("#nq-ask").click()
    pg.wait_for_function(
        """n => {
            const bots = document.querySelectorAll('#nq-chat [data-testid="bot"]');
            return bots.length > n && !bots[bots.length - 1].querySelector('.nq-pending');
        }""",
        arg=before,
        timeout=ANSWER_TIMEOUT,
    )
    return pg.locator('#nq-chat [data-testid="bot"]').last


def test_sources_differ_in_the_chat_and_the_source_cards(page: Any) -> None:
    answer = ask(page, "How much was the Riverton budget?")
    text = answer.inner_text()
    assert "Sources differ." in text and "$48.1 million" in text and "$48.2 million" in text
    assert "Updated on 14 March 2025, Valley Herald" in text
    assert "sources differ: 2 versions" in text
    cards = page.locator(".nq-sources").inner_text()
    assert "Valley Herald" in cards and "Riverton Daily Ledger" in cards
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-differ.png"), full_page=True)


def test_a_quote_is_credited_to_its_speaker_in_the_answer_and_its_card(page: Any) -> None:
    answer = ask(page, "What did Mayor Hadley say about the city pools?")
    text = answer.inner_text()
    assert "Mayor Tom Hadley, quoted by Riverton Daily Ledger on 13 March 2025" in text
    assert "quoting Mayor Tom Hadley" in page.locator(".nq-sources").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-speaker.png"), full_page=True)
