"""newsqa chat UI: ask questions about your news articles; every answer quotes its sources.

    python app.py                          # http://127.0.0.1:7860 (ingests seeds/ into an empty store)
    NEWSQA_AUTH=editor:secret python app.py --host 0.0.0.0 --port 8080

A view only: answers come from `qa.ask`, articles go in through `ingest.ingest`, and the library
is read from `qa.Store`, exactly as a Python user would call them. Article text is untrusted:
every piece of it is HTML-escaped before the browser sees it.

    escaping.py   esc, md_literal, safe_url: untrusted text made safe for the page
    render.py     answers with linked [n], source cards with the quotes highlighted
    library.py    the Library tab's reports, table, delete picker, header, example questions
    fields.py     the Ask tab's typed-in options checked and turned into ask()'s arguments
    uploads.py    uploads and pasted text staged under generated names in <data dir>/uploads
    failures.py   how a failure is shown
    chat.py       the chat handlers (ask, retry, clear)
    actions.py    every handler and API endpoint (the chat's, ingest, list, delete)
    layout.py     the gr.Blocks page and its wiring
    access.py     the login (NEWSQA_AUTH) and the exposure warning
    serve.py      the command line, seeding, launching; style.css the page's style sheet

Programmatic use (`pip install gradio_client`):

    from gradio_client import Client
    client = Client("http://127.0.0.1:7860/")      # add auth=("user", "password") with NEWSQA_AUTH
    text, citations = client.predict(
        "Which country did Iran say it could export arms to?", api_name="/ask"
    )

Endpoints (errors arrive as `gradio_client` exceptions carrying newsqa's message):

    /ask(question: str, k: int = 0, since: str = "", until: str = "", outlets: list[str] = [],
         answerer: str = "", history: list[list[str]] = [], as_of: str = "")
         -> (text: str, citations: list[dict])
        The answer text with [n] markers, and one dict per citation: n, article_id, title, source,
        published, url, quote, start, end, score (`article_text[start:end] == quote`), chunk_id,
        the reader's short answer inside the quote: short_answer (None when there is none) =
        quote[answer_start:answer_end], and speaker: who the quoted sentence says makes the claim
        (None when it names no one; the outlet, `source`, is who reports it). When sources
        differ, the text says so and gives each version with its own citations. No citations
        means the articles don't answer the question. k = passages to retrieve (0 = the default); since/until = days, read as
        `qa.parse_date` reads them (2022-06-17, 2022-06, 2022, June 17, 2022, 17 June 2022);
        outlets = parts of outlet names, any case (see /articles); history = earlier
        [question, answer text] pairs, oldest first, for follow-up questions; as_of = answer as
        the store stood that day (later articles left out, "this week" read from it). as_of
        comes last so that clients written before it keep working.
    /ingest_text(title: str, text: str, outlet: str = "", published: str = "") -> report: dict
        Store one pasted article; the report lists each item's status (ingested, updated,
        unchanged, duplicate, failed) and reason, as `IngestReport.to_dict()`.
    /ingest_url(url: str) -> report: dict
        Fetch an http(s) article page or RSS/Atom feed and store what it holds.
    /articles(search: str = "") -> list[dict]
        Stored articles, newest first (article_id, title, source, published, url, chunks,
        duplicates), optionally only those whose title, outlet, id or URL contain every word.
    /delete_articles(article_ids: list[str]) -> deleted: int
        Delete articles (text, chunks, vectors and duplicate records) by id.
"""

from __future__ import annotations

from newsqa.ui.serve import main

__all__ = ["main"]
