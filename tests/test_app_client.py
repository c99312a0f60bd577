"""The app's API, used from `gradio_client` against `python app.py` running on loopback."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa.core.settings import Settings
from qa.store import Store
from tests.uiutil import running_app

pytestmark = pytest.mark.e2e
client_mod = pytest.importorskip("gradio_client")

SEED_QUESTION = "Which country did Iran say it could export arms to?"
PASTED_TEXT = (
    "MERIDA (Valley Post) – The Merida water board said on Tuesday that the new desalination "
    "plant will supply 120,000 households from next spring. Engineer Lucia Parra said the plant "
    "uses solar power for most of its energy."
)


LOGIN = ("desk", "s3cret:with-colon")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app with a login (NEWSQA_AUTH), so the tests also show that the login guards the API."""
    work = tmp_path_factory.mktemp("client")
    with running_app(work, NEWSQA_AUTH=":".join(LOGIN)) as url:
        yield url, work / "store"


@pytest.fixture(scope="module")
def served(server: tuple[str, Path]) -> tuple[Any, Path]:
    url, store_dir = server
    return client_mod.Client(url, auth=LOGIN, verbose=False), store_dir


@pytest.fixture
def client(served: tuple[Any, Path]) -> Any:
    return served[0]


def stored_text(store_dir: Path, article_id: str) -> str:
    with Store.open(Settings(data_dir=store_dir)) as store:
        article = store.get_article(article_id)
    assert article is not None
    return article.text


def test_the_login_guards_the_app_and_its_api(server: tuple[str, Path]) -> None:
    url, _ = server
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url + "config", timeout=10)
    assert refused.value.code in (401, 403)
    with pytest.raises(Exception):  # noqa: B017 (gradio_client raises a plain Exception here)
        client_mod.Client(url, auth=("desk", "wrong"), verbose=False)


def test_the_api_lists_the_documented_endpoints(client: Any) -> None:
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/ask", "/ingest_text", "/ingest_url", "/articles", "/delete_articles"} <= set(
        endpoints
    )
    ask_params = [p["parameter_name"] for p in endpoints["/ask"]["parameters"]]
    # as_of was added last, so clients written for the first seven keep working
    assert ask_params == [
        "question", "k", "since", "until", "outlets", "answerer", "history", "as_of"
    ]  # fmt: skip
    assert not any(name.startswith("/respond") for name in endpoints)  # UI events stay private


def test_ask_returns_text_and_exact_citations(served: tuple[Any, Path]) -> None:
    client, store_dir = served
    text, citations = client.predict(SEED_QUESTION, api_name="/ask")
    assert "Venezuela" in text
    cited = [c for c in citations if "Venezuela" in c["quote"]]
    assert len(cited) == 1
    c = cited[0]
    assert f"[{c['n']}]" in text
    assert c["source"] == "Tasnim"
    assert stored_text(store_dir, c["article_id"])[c["start"] : c["end"]] == c["quote"]
    assert c["quote"] in text  # the extractive answer quotes it word for word
    assert "short_answer" in c and {"answer_start", "answer_end", "chunk_id"} <= set(c)


def test_ask_takes_as_of_and_old_positional_calls_still_work(client: Any) -> None:
    text, citations = client.predict(SEED_QUESTION, 0, "", "", [], "", [], api_name="/ask")
    assert "Venezuela" in text and citations  # the seven arguments of the first version
    text, citations = client.predict(SEED_QUESTION, as_of="June 17, 2022", api_name="/ask")
    assert "Venezuela" in text and citations  # the seed is undated: as_of keeps it
    with pytest.raises(Exception, match="as of"):
        client.predict(SEED_QUESTION, as_of="someday", api_name="/ask")


def test_follow_up_uses_history(client: Any) -> None:
    first, _ = client.predict(SEED_QUESTION, api_name="/ask")
    text, citations = client.predict(
        "Who said that?", history=[[SEED_QUESTION, first]], api_name="/ask"
    )
    assert citations
    assert "Ashtiani" in text


def test_bad_options_come_back_as_clear_errors(client: Any) -> None:
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        client.predict(SEED_QUESTION, since="last week", api_name="/ask")
    with pytest.raises(Exception, match="is after until"):
        client.predict(SEED_QUESTION, since="2024-02-01", until="2024-01-01", api_name="/ask")
    with pytest.raises(Exception, match="http"):
        client.predict("file:///etc/passwd", api_name="/ingest_url")
    with pytest.raises(Exception, match="title"):
        client.predict("", "some text", api_name="/ingest_text")
    # and the app keeps serving
    _, citations = client.predict(SEED_QUESTION, api_name="/ask")
    assert citations


def test_ingest_text_list_ask_and_delete(served: tuple[Any, Path]) -> None:
    client, store_dir = served
    report = client.predict(
        "Merida Opens Solar Desalination Plant", PASTED_TEXT, "Valley Post", "2024-05-07",
        api_name="/ingest_text",
    )  # fmt: skip
    assert report["counts"]["ingested"] == 1
    item = report["items"][0]
    assert item["origin"] == "pasted text"  # no server path leaks into the report
    assert not list((store_dir / "uploads").glob("*.md"))  # the staged file is gone

    articles = client.predict("desalination", api_name="/articles")
    assert [a["title"] for a in articles] == ["Merida Opens Solar Desalination Plant"]
    assert articles[0]["source"] == "Valley Post"
    assert articles[0]["published"].startswith("2024-05-07")

    text, citations = client.predict(
        "How many households will the Merida plant supply?", outlets=["Valley Post"],
        since="2024-05-01", api_name="/ask",
    )  # fmt: skip
    assert "120,000 households" in text
    assert {c["article_id"] for c in citations} == {item["article_id"]}

    again = client.predict(
        "Merida Opens Solar Desalination Plant", PASTED_TEXT, "Valley Post", "2024-05-07",
        api_name="/ingest_text",
    )  # fmt: skip
    assert again["counts"]["unchanged"] == 1

    assert client.predict([item["article_id"]], api_name="/delete_articles") == 1
    assert client.predict("desalination", api_name="/articles") == []
