"""The page: the Ask and Library tabs as one gr.Blocks, wired to newsqa.ui.actions, and the five
public API endpoints (/ask, /ingest_text, /ingest_url, /articles, /delete_articles). Every UI
event is private (not part of the API)."""

# no `from __future__ import annotations` here: gradio reads the handlers' annotations at run
# time (gr.SelectData, gr.Progress), so they must be real objects
from typing import Any

import gradio as gr

from newsqa.ui.actions import Actions
from newsqa.ui.fields import available_answerers
from newsqa.ui.library import N_EXAMPLES, status_html
from newsqa.ui.render import EMPTY_SOURCES
from newsqa.ui.uploads import UPLOAD_TYPES
from qa import Settings

DATE_HINT = "e.g. 2022-06-17"  # June 17, 2022, 2022-06 and 2022 are read too (qa.parse_date)
DATE_CHARS = 40
WATCH_REFRESH = 5.0  # seconds between updates of the watch view


def build_app(settings: Settings) -> gr.Blocks:
    """The Gradio app over the store in `settings.data_dir` (serve it with newsqa.ui.serve)."""
    actions = Actions(settings)
    answerers = available_answerers()
    private = "private"
    with gr.Blocks(title="newsqa", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        status = gr.HTML(status_html(0, 0, settings))
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=420):
                    chatbot = gr.Chatbot(
                        label="Conversation",
                        show_label=False,
                        height=520,
                        latex_delimiters=[],
                        allow_tags=False,
                        sanitize_html=True,
                        feedback_options=None,
                        buttons=[],
                        elem_id="nq-chat",
                        placeholder="**Ask about the news.** Every answer quotes the articles; "
                        "click a number like [1] to see the quote in its article.",
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            show_label=False,
                            scale=6,
                            lines=1,
                            max_lines=4,
                            autofocus=True,
                            placeholder="Ask a question about the stored articles…",
                            elem_id="nq-question",
                            max_length=2000,
                        )
                        ask_btn = gr.Button(
                            "Ask", variant="primary", scale=1, min_width=80, elem_id="nq-ask"
                        )
                    with gr.Row():
                        retry_btn = gr.Button("↻ Retry", size="sm", elem_id="nq-retry")
                        clear_btn = gr.Button("✕ Clear conversation", size="sm", elem_id="nq-clear")
                    with gr.Column(visible=False, elem_id="nq-examples") as example_group:
                        gr.HTML('<div class="nq-try">Try asking</div>')
                        example_btns = [
                            gr.Button("", size="sm", visible=False, elem_classes=["nq-example"])
                            for _ in range(N_EXAMPLES)
                        ]
                    with gr.Accordion(
                        "Options: answer backend, passages, dates, outlets, as of",
                        open=False,
                        elem_id="nq-options",
                    ):
                        with gr.Row():
                            answerer = gr.Dropdown(
                                answerers,
                                value=settings.answerer
                                if settings.answerer in answerers
                                else answerers[0],
                                label="Answer backend",
                            )
                            k = gr.Slider(
                                1, 30, value=settings.retrieval_k, step=1, label="Passages to read"
                            )
                        with gr.Row():
                            since = gr.Textbox(
                                label="Published since",
                                placeholder=DATE_HINT,
                                max_length=DATE_CHARS,
                                elem_id="nq-since",
                            )
                            until = gr.Textbox(
                                label="Published until",
                                placeholder=DATE_HINT,
                                max_length=DATE_CHARS,
                                elem_id="nq-until",
                            )
                            outlets = gr.Dropdown(
                                [],
                                multiselect=True,
                                label="Outlets",
                                info="empty = all outlets",
                                elem_id="nq-outlets",
                            )
                        as_of = gr.Textbox(
                            label="Answer as of",
                            info="as the articles stood that day: later ones are left out, "
                            "and “this week” or “latest” are read from it",
                            placeholder=DATE_HINT,
                            max_length=DATE_CHARS,
                            elem_id="nq-as-of",
                        )
                with gr.Column(scale=2, min_width=340):
                    sources = gr.HTML(EMPTY_SOURCES, elem_id="nq-sources")
            with gr.Tab("Library", id="library"):
                with gr.Row(equal_height=False):
                    with gr.Column():
                        gr.Markdown("#### Upload files")
                        files = gr.File(
                            file_count="multiple",
                            file_types=[f".{t}" for t in UPLOAD_TYPES],
                            label=f"{', '.join(UPLOAD_TYPES)} · up to "
                            f"{settings.max_file_bytes / 1e6:g} MB each",
                            height=170,
                            elem_id="nq-files",
                        )
                        files_btn = gr.Button(
                            "Add files", variant="primary", elem_id="nq-add-files"
                        )
                        gr.Markdown("#### Article or feed URL")
                        url = gr.Textbox(
                            show_label=False,
                            placeholder="https://example.org/news/story.html",
                            elem_id="nq-url",
                        )
                        url_btn = gr.Button("Fetch and add")
                    with gr.Column():
                        gr.Markdown("#### Paste an article")
                        paste_title = gr.Textbox(
                            label="Title", max_length=300, elem_id="nq-paste-title"
                        )
                        with gr.Row():
                            paste_outlet = gr.Textbox(
                                label="Outlet (optional)",
                                max_length=120,
                                elem_id="nq-paste-outlet",
                            )
                            paste_date = gr.Textbox(
                                label="Published (optional)",
                                placeholder=DATE_HINT,
                                max_length=DATE_CHARS,
                                elem_id="nq-paste-date",
                            )
                        paste_text = gr.Textbox(
                            label="Text", lines=6, max_lines=14, elem_id="nq-paste-text"
                        )
                        paste_btn = gr.Button("Add text", elem_id="nq-add-text")
                report = gr.HTML(elem_id="nq-report")
                gr.Markdown("#### Watched sources")
                watched = gr.HTML(elem_id="nq-watch")
                watch_timer = gr.Timer(WATCH_REFRESH)
                gr.Markdown("#### Stored articles")
                with gr.Row():
                    search = gr.Textbox(
                        show_label=False,
                        placeholder="Search titles, outlets, ids…",
                        scale=4,
                        elem_id="nq-search",
                    )
                    refresh_btn = gr.Button("Refresh", size="sm", scale=1)
                table = gr.Dataframe(
                    headers=["Title", "Outlet", "Published", "Chunks", "Duplicates", "Id"],
                    datatype=["str", "str", "str", "number", "str", "str"],
                    type="array",
                    interactive=False,
                    wrap=True,
                    max_height=420,
                    elem_id="nq-table",
                    column_widths=["40%", "12%", "10%", "7%", "11%", "20%"],
                )
                with gr.Row():
                    to_delete = gr.Dropdown(
                        [],
                        multiselect=True,
                        label="Selected for deletion",
                        scale=4,
                        elem_id="nq-delete-pick",
                    )
                    delete_btn = gr.Button(
                        "Delete selected", variant="stop", scale=1, elem_id="nq-delete"
                    )
                delete_msg = gr.HTML(elem_id="nq-delete-msg")

        chat_in = [question, turns, answerer, k, since, until, outlets, as_of]
        chat_out = [question, chatbot, sources, turns]
        views = [status, example_group, *example_btns, outlets, table, to_delete]
        for trigger in (question.submit, ask_btn.click):
            trigger(
                actions.respond, chat_in, chat_out, api_visibility=private, show_progress="hidden"
            )
        retry_btn.click(
            actions.retry, chat_in[1:], chat_out, api_visibility=private, show_progress="hidden"
        )
        clear_btn.click(actions.clear, None, chat_out, api_visibility=private)
        chatbot.clear(actions.clear, None, chat_out, api_visibility=private)
        for btn in example_btns:
            btn.click(lambda text: text, btn, question, api_visibility=private).then(
                actions.respond, chat_in, chat_out, api_visibility=private, show_progress="hidden"
            )

        # gr.Progress is handed in only to a parameter whose default is a gr.Progress()
        def add_files(paths: list[str] | None, progress: Any = gr.Progress()) -> tuple[str, None]:  # noqa: B008
            return actions.ingest_files(paths, progress)

        def add_url(link: str, progress: Any = gr.Progress()) -> tuple[str, str]:  # noqa: B008
            return actions.ui_ingest_url(link, progress)

        def add_text(
            title: str,
            text: str,
            outlet: str,
            published: str,
            progress: Any = gr.Progress(),  # noqa: B008
        ) -> tuple[str, str, str, str, str]:
            return actions.ui_ingest_text(title, text, outlet, published, progress)

        files_btn.click(add_files, files, [report, files], api_visibility=private).then(
            actions.refresh, search, views, api_visibility=private
        )
        url_btn.click(add_url, url, [report, url], api_visibility=private).then(
            actions.refresh, search, views, api_visibility=private
        )
        paste_btn.click(
            add_text,
            [paste_title, paste_text, paste_outlet, paste_date],
            [report, paste_title, paste_text, paste_outlet, paste_date],
            api_visibility=private,
        ).then(actions.refresh, search, views, api_visibility=private)
        search.change(
            actions.refresh, search, views, api_visibility=private, show_progress="hidden"
        )
        refresh_btn.click(actions.refresh, search, views, api_visibility=private)

        def select_row(evt: gr.SelectData, selected: list[str] | None) -> list[str]:
            """A click on a table row adds its article (the Id column) to the delete picker."""
            selected = list(selected or [])
            row = evt.row_value or []
            article_id = str(row[5]) if len(row) > 5 else ""
            if article_id and article_id not in selected:
                selected.append(article_id)
            return selected

        table.select(select_row, to_delete, to_delete, api_visibility=private)
        delete_btn.click(
            actions.ui_delete, [to_delete, search], [delete_msg, *views], api_visibility=private
        ).then(lambda: [], None, to_delete, api_visibility=private)
        demo.load(actions.refresh, search, views, api_visibility=private)
        demo.load(actions.watch_view, None, watched, api_visibility=private)
        watch_timer.tick(
            actions.watch_view, None, watched, api_visibility=private, show_progress="hidden"
        )
        refresh_btn.click(actions.watch_view, None, watched, api_visibility=private)

        gr.api(
            actions.api_ask,
            api_name="ask",
            api_description="Answer a question from the stored articles, citing exact quotes.",
        )
        gr.api(actions.api_ingest_text, api_name="ingest_text")
        gr.api(actions.api_ingest_url, api_name="ingest_url")
        gr.api(actions.api_articles, api_name="articles")
        gr.api(actions.api_delete_articles, api_name="delete_articles")
    return demo
