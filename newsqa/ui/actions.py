"""The UI's handlers and API endpoints: the chat (from newsqa.ui.chat), ingesting uploads, pasted
text and URLs, listing, searching and deleting articles. Each calls newsqa's public functions
(`qa.ask`, `ingest.ingest`, `qa.Store`) exactly as a Python user would; the HTML comes from
newsqa.ui.render and newsqa.ui.library."""

# no `from __future__ import annotations`: gradio reads these handlers' annotations at run
# time (gr.api derives the API's inputs and outputs from them), so they must be real objects
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from newsqa.ui.chat import ChatActions
from newsqa.ui.failures import describe
from newsqa.ui.fields import build_query
from newsqa.ui.library import (
    MAX_TABLE_ROWS,
    N_EXAMPLES,
    article_rows,
    delete_choices,
    example_questions,
    matches,
    notice_html,
    report_html,
    status_html,
    table_label,
)
from newsqa.ui.uploads import pasted_article, stage_uploads
from newsqa.ui.watchview import watch_html
from newsqa.wording import plural
from qa import ConfigError, StoreNotFoundError

if TYPE_CHECKING:
    from ingest import IngestReport, Progress
    from qa import ArticleSummary, Citation

__all__ = ["Actions", "citation_dict", "describe", "show_progress"]


def show_progress(progress: Any, names: Mapping[str, str]) -> "Callable[[Progress], None] | None":
    """An `on_progress` callback for the library that moves the page's progress bar (a
    gr.Progress; None = no bar), naming inputs as the user knows them (`names`)."""
    if progress is None:
        return None

    def show(p: "Progress") -> None:
        if p.stage == "reading":
            item = names.get(p.item, p.item)
            progress((p.done, p.total), desc=f"Reading {item}", unit="items")
        else:
            progress((p.done, None), desc="Embedding and storing", unit="chunks")

    return show


def citation_dict(c: "Citation") -> dict[str, Any]:
    """A citation for the /ask API: its fields, plus `short_answer`, the reader's answer inside
    the quote (`quote[answer_start:answer_end]`, None when the reader found none)."""
    short = (
        c.quote[c.answer_start : c.answer_end]
        if c.answer_start is not None and c.answer_end is not None
        else None
    )
    return {**c.to_dict(), "short_answer": short}


class Actions(ChatActions):
    """The app's event handlers and API endpoints, over the store in `settings.data_dir`."""

    # --- store reads --------------------------------------------------------------------------
    def library(self) -> "tuple[list[ArticleSummary], list[tuple[str, int]]]":
        """All article summaries and outlets (empty lists when nothing is stored yet)."""
        from qa import Store

        try:
            with Store.open(self.settings) as store:
                return store.list_articles(), store.sources()
        except StoreNotFoundError:
            return [], []

    # --- library ------------------------------------------------------------------------------
    def _ingest_sources(
        self, items: Sequence[tuple[str, str]], progress: Any = None
    ) -> "IngestReport":
        """Ingest `[(source, shown name)]` in one `ingest()` call, its progress shown on the page;
        each item is reported by the name the user knows, never the server path."""
        from ingest import ingest

        names = dict(items)
        report = ingest(list(names), self.settings, on_progress=show_progress(progress, names))
        report.items[:] = [
            next(
                (
                    replace(it, origin=name + it.origin[len(source) :])
                    for source, name in items
                    if it.origin.startswith(source)
                ),
                it,
            )
            for it in report.items
        ]
        return report

    def ingest_files(self, files: list[str] | None, progress: Any = None) -> tuple[str, None]:
        """UI: ingest uploaded files; returns (report HTML, cleared file picker)."""
        from ingest import IngestReport, ItemResult

        if not files:
            return notice_html("Choose one or more files first."), None
        staged, rejected = stage_uploads(files, self.settings)
        try:
            report = self._ingest_sources([(str(p), n) for p, n in staged], progress)
        except Exception as exc:  # e.g. the store is busy or unwritable: say so, keep serving
            return notice_html(describe(exc)), None
        finally:
            for path, _ in staged:
                path.unlink(missing_ok=True)
        full = IngestReport(
            items=[ItemResult(n, "failed", reason=r) for n, r in rejected] + report.items,
            seconds=report.seconds,
            data_dir=report.data_dir,
        )
        return self._report(full), None

    def _ingest_text(
        self, title: str, text: str, outlet: str, published: str, progress: Any = None
    ) -> "IngestReport":
        from ingest import ingest_articles

        article = pasted_article(title, text, outlet, published)
        return ingest_articles(
            [article], settings=self.settings, on_progress=show_progress(progress, {})
        )

    def _ingest_url(self, url: str, progress: Any = None) -> "IngestReport":
        from ingest import is_http_url

        url = (url or "").strip()
        if not is_http_url(url):
            raise ConfigError(
                "Enter a full http(s) address, e.g. https://example.org/news/story.html "
                "or a feed such as https://example.org/rss.xml"
            )
        return self._ingest_sources([(url, url)], progress)

    def ui_ingest_text(
        self, title: str, text: str, outlet: str, published: str, progress: Any = None
    ) -> tuple[str, str, str, str, str]:
        """UI: store pasted text; returns (report HTML, title, text, outlet, date), the four
        fields cleared when it was stored and kept for another try when it failed."""
        try:
            report = self._ingest_text(title, text, outlet, published, progress)
        except Exception as exc:
            return notice_html(describe(exc)), title, text, outlet, published
        if not report.ok:
            return self._report(report), title, text, outlet, published
        return self._report(report), "", "", "", ""

    def ui_ingest_url(self, url: str, progress: Any = None) -> tuple[str, str]:
        """UI: fetch and store a URL; returns (report HTML, the URL box, cleared on success)."""
        try:
            report = self._ingest_url(url, progress)
        except Exception as exc:
            return notice_html(describe(exc)), url
        return self._report(report), "" if report.ok else url

    def _report(self, report: "IngestReport") -> str:
        titles = {a["article_id"]: a["title"] for a in self.library()[0]}
        return report_html(report, titles)

    def _delete(self, article_ids: Sequence[str]) -> int:
        from qa import Store

        ids = [i for i in (article_ids or []) if i]
        if not ids:
            raise ConfigError("Select the articles to delete first (click rows in the table).")
        with Store.open(self.settings) as store, store.writing():
            return store.delete_articles(ids)

    def ui_delete(self, ids: list[str] | None, search: str) -> tuple[Any, ...]:
        """UI: delete the picked articles; returns (message, *the refreshed views)."""
        try:
            n = self._delete(ids or [])
            message = notice_html(f"Deleted {plural(n, 'article')}.", "ok")
        except Exception as exc:
            message = notice_html(describe(exc))
        return (message, *self.refresh(search))

    # --- the API (see newsqa.ui's docstring) --------------------------------------------------
    def api_ask(
        self,
        question: str,
        k: int = 0,
        since: str = "",
        until: str = "",
        outlets: list[str] | None = None,
        answerer: str = "",
        history: list[list[str]] | None = None,
        as_of: str = "",
    ) -> tuple[str, list[dict[str, Any]]]:
        """API /ask: the answer text and its citations (an empty list for a refusal). `as_of`
        comes last, so that clients written before it keep working."""

        def run() -> tuple[str, list[dict[str, Any]]]:
            turns = [(str(h[0]), str(h[1])) for h in (history or []) if len(h) >= 2]
            query = build_query(
                question,
                history=turns,
                k=k,
                since=since,
                until=until,
                outlets=outlets or (),
                answerer=answerer,
                as_of=as_of,
            )
            answer = self.run_ask(query)
            return answer.text, [citation_dict(c) for c in answer.citations]

        return self._guard(run)

    def api_ingest_text(
        self, title: str, text: str, outlet: str = "", published: str = ""
    ) -> dict[str, Any]:
        """API: store one pasted article; returns the ingest report as a dict."""
        return self._guard(lambda: self._ingest_text(title, text, outlet, published).to_dict())

    def api_ingest_url(self, url: str) -> dict[str, Any]:
        """API: fetch an http(s) article or feed URL and store it; returns the ingest report."""
        return self._guard(lambda: self._ingest_url(url).to_dict())

    def api_articles(self, search: str = "") -> list[dict[str, Any]]:
        """API: stored articles (newest first) matching every word of `search`."""

        def run() -> list[dict[str, Any]]:
            return [
                {
                    "article_id": a["article_id"],
                    "title": a["title"],
                    "source": a["source"],
                    "published": a["published"],
                    "url": a["url"],
                    "chunks": a["chunks"],
                    "duplicates": len(a["duplicates"]),
                }
                for a in self.library()[0]
                if matches(a, search or "")
            ]

        return self._guard(run)

    def api_delete_articles(self, article_ids: list[str]) -> int:
        """API: delete articles by id; returns how many stored articles were deleted."""
        return self._guard(lambda: self._delete(article_ids))

    @staticmethod
    def _guard(fn: Callable[[], Any]) -> Any:
        """Run an API call; any failure reaches the client as a gr.Error with newsqa's message."""
        import gradio as gr

        try:
            return fn()
        except Exception as exc:
            raise gr.Error(describe(exc), print_exception=False) from None

    # --- refreshing the views after a page load, an ingest or a delete ------------------------
    def watch_view(self) -> str:
        """UI: the watch view (HTML) as the watch state file is now."""
        import time

        from ingest import watch_status

        try:
            return watch_html(watch_status(self.settings), time.time())
        except Exception as exc:  # an unreadable state file: say what to do, keep serving
            return notice_html(describe(exc))

    def refresh(self, search: str = "") -> tuple[Any, ...]:
        """(status, example group, *example buttons, outlet filter, table, delete picker) as the
        store is now."""
        import gradio as gr

        try:
            articles, outlets = self.library()
            status = status_html(len(articles), len(outlets), self.settings)
        except Exception as exc:  # a broken store: the page still opens and says what to do
            articles, outlets = [], []
            status = notice_html(describe(exc))
        examples = example_questions(articles)
        rows = article_rows(articles, search)
        shown = rows[:MAX_TABLE_ROWS]
        return (
            status,
            gr.Column(visible=bool(examples)),
            *(
                gr.Button(value=q, visible=True) if q else gr.Button(visible=False)
                for q in [*examples, *[""] * N_EXAMPLES][:N_EXAMPLES]
            ),
            gr.Dropdown(choices=[(f"{name} ({n})", name) for name, n in outlets]),
            gr.Dataframe(value=shown, label=table_label(len(rows), len(articles))),
            gr.Dropdown(choices=delete_choices(articles, search)),
        )
