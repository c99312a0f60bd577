"""The Library tab's watch view: whether a watcher runs on this store, and for each watched source
its health, last and next poll, articles added and last error. Everything shown is escaped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsqa.ui.escaping import esc
from newsqa.wording import plural, relative

if TYPE_CHECKING:
    from ingest import WatchStatus

HEALTH_WORDS = {
    "ok": "ok",
    "failing": "failing",
    "overdue": "overdue",
    "waiting": "first poll soon",
    "inactive": "not watched now",
}


def watch_html(status: WatchStatus, now: float) -> str:
    """The watch view as escaped HTML (a hint how to start one when nothing is watched)."""
    if not status.sources:
        return (
            '<div class="nq-watch nq-watch-empty">No watched sources yet. Run <code>newsqa watch '
            "URL-or-folder…</code> beside the app, or add <code>[[watch]]</code> tables to "
            "newsqa.toml and start the app with <code>newsqa serve --watch</code>.</div>"
        )
    w = status.watcher
    running = w is not None and w.running(now)
    if w is not None and running:
        head = (
            f'<span class="nq-chip nq-ok">watcher running</span> pid {esc(w.pid)} on '
            f"{esc(w.host)}, since {esc(relative(w.started, now))}"
        )
    else:
        seen = relative((w.stopped or w.beat) if w else None, now)
        head = (
            f'<span class="nq-chip nq-failed">no watcher running</span> last seen {esc(seen)}; '
            "start <code>newsqa watch</code> (or <code>newsqa serve --watch</code>)"
        )
    rows = []
    for src in status.sources:
        health = src.health(now, running)
        detail = src.last_error or src.last_result or ""
        rows.append(
            f'<tr class="nq-watch-{esc(health)}">'
            f'<td><span class="nq-chip nq-health-{esc(health)}">'
            f"{esc(HEALTH_WORDS.get(health, health))}</span></td>"
            f'<td class="nq-origin">{esc(src.source)}</td><td>{esc(src.kind or "—")}</td>'
            f"<td>{esc(relative(src.last_poll, now))}</td>"
            f"<td>{esc(relative(src.next_poll, now)) if src.active else '—'}</td>"
            f"<td>{esc(plural(src.added, 'article'))}</td>"
            f'<td class="{"nq-watch-error" if src.last_error else ""}">{esc(detail)}</td></tr>'
        )
    return (
        f'<div class="nq-watch"><div class="nq-watch-head">{head}</div>'
        '<table class="nq-report nq-watch-table"><thead><tr><th>Health</th><th>Source</th>'
        "<th>Kind</th><th>Last poll</th><th>Next poll</th><th>Added</th>"
        f"<th>Last result or error</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
