"""A news site on loopback for the watch tests: an RSS feed whose entries a test adds while it
runs, article pages the entries link to, conditional GET (ETag and Last-Modified, 304), and
routes that fail in the ways real sites do. It counts every request by path.

    with FeedSite() as site:
        site.add("Bridge reopens", "The harbour bridge reopened on Friday ...")
        url = site.url("/feed.xml")
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from xml.sax.saxutils import escape

from tests.loopback import LoopbackServer

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Entry:
    title: str
    text: str  # the article page's text (the feed carries only a short summary)
    published: str  # RFC 822
    slug: str


class FeedSite(LoopbackServer):
    """A threaded HTTP server on an ephemeral loopback port serving `/feed.xml` and its pages."""

    def __init__(self, title: str = "Coast Times") -> None:
        self.title = title
        self.entries: list[Entry] = []
        self.hits: Counter[str] = Counter()
        self.not_modified = 0
        self.routes: dict[str, Handler] = {}
        self.lock = threading.Lock()
        self.changed = time.time()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site.lock:
                    site.hits[self.path] += 1
                route = site.routes.get(self.path)
                with contextlib.suppress(OSError):  # the client gave up: nobody to answer
                    if route is not None:
                        route(self)
                    elif self.path == "/feed.xml":
                        site._feed(self)
                    elif self.path.startswith("/news/"):
                        site._page(self)
                    else:
                        site.reply(self, 404, "text/html", b"<h1>Not here</h1>")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._serve(Handler)

    # --- content ---------------------------------------------------------------------------------
    def add(self, title: str, text: str, published: str | None = None) -> str:
        """Add an entry at the top of the feed; returns its page's URL."""
        with self.lock:
            n = len(self.entries) + 1
            when = published or formatdate(1_750_000_000 + n * 3600, usegmt=True)
            self.entries.insert(0, Entry(title, text, when, f"story-{n}"))
            self.changed = time.time()
            return self.url(f"/news/story-{n}.html")

    def feed_xml(self) -> bytes:
        items = "".join(
            f"<item><title>{escape(e.title)}</title>"
            f"<link>{self.url(f'/news/{e.slug}.html')}</link>"
            f"<guid>{self.url(f'/news/{e.slug}.html')}</guid>"
            f"<pubDate>{e.published}</pubDate>"
            f"<description>{escape(e.text[:80])}</description></item>"
            for e in self.entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(self.title)}</title><link>{self.url('/')}</link>"
            f"<description>news</description>{items}</channel></rss>"
        ).encode()

    # --- responses -------------------------------------------------------------------------------
    def _feed(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            body = self.feed_xml()
            modified = formatdate(int(self.changed), usegmt=True)
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if h.headers.get("If-None-Match") == etag:
            with self.lock:
                self.not_modified += 1
            h.send_response(304)
            h.send_header("ETag", etag)
            h.end_headers()
            return
        self.reply(h, 200, "application/rss+xml", body, {"ETag": etag, "Last-Modified": modified})

    def _page(self, h: BaseHTTPRequestHandler) -> None:
        slug = h.path.removeprefix("/news/").removesuffix(".html")
        with self.lock:
            entry = next((e for e in self.entries if e.slug == slug), None)
        if entry is None:
            self.reply(h, 404, "text/html", b"<h1>Not here</h1>")
            return
        paragraphs = "".join(f"<p>{escape(p)}</p>" for p in entry.text.split("\n\n"))
        page = (
            f"<!doctype html><html><head><title>{escape(entry.title)}</title>"
            f'<meta property="og:site_name" content="{escape(self.title)}"></head><body>'
            f"<article><h1>{escape(entry.title)}</h1>{paragraphs}</article></body></html>"
        )
        self.reply(h, 200, "text/html; charset=utf-8", page.encode())

    @staticmethod
    def reply(
        h: BaseHTTPRequestHandler,
        status: int,
        ctype: str,
        body: bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)
