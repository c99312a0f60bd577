"""URL fetching against a real HTTP server on 127.0.0.1: redirects, limits, errors."""

from __future__ import annotations

import contextlib
import gzip
import socket
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from ingest.fetch import USER_AGENT, Fetched, fetch, is_http_url, parse_content_type
from qa.core.errors import IngestError
from qa.core.settings import Settings
from tests.loopback import LoopbackServer

DATA = Path(__file__).parent / "data"

# A route answers with (status, headers, body) or writes the response itself.
Reply = tuple[int, dict[str, str], bytes]
Route = Reply | Callable[[BaseHTTPRequestHandler], None]


class LocalServer(LoopbackServer):
    """A threaded HTTP server on an ephemeral loopback port, answering from a route table."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        routes, requests = self.routes, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append((self.path, dict(self.headers.items())))
                route = routes.get(self.path)
                if route is None:
                    route = (404, {"Content-Type": "text/html"}, b"<h1>Not here</h1>")
                if callable(route):
                    # OSError: the client gave up (timeouts), there is no one to answer
                    with contextlib.suppress(OSError):
                        route(self)
                    return
                status, headers, body = route
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._serve(Handler)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A fresh local HTTP server per test."""
    with LocalServer() as srv:
        yield srv


def html(body: str, status: int = 200, charset: str = "utf-8") -> Reply:
    """A text/html reply."""
    return (status, {"Content-Type": f"text/html; charset={charset}"}, body.encode(charset))


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def limits(tmp_path: Path, **overrides: object) -> Settings:
    """Settings with small limits so the limit tests stay fast."""
    values: dict[str, object] = {
        "data_dir": tmp_path / "store",
        "embedding_backend": "hash",
        "url_timeout": 0.5,
        "max_redirects": 3,
        "max_file_bytes": 50_000,
        "allow_private_urls": True,  # the test server is on 127.0.0.1
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


# --- successful fetches ---------------------------------------------------------------------------


def test_fetch_returns_body_type_charset_and_final_url(server: LocalServer, tmp_path: Path) -> None:
    page = (DATA / "news_page.html").read_bytes()
    server.routes["/news/bridge"] = (200, {"Content-Type": "text/html; charset=UTF-8"}, page)
    server.routes["/old-link"] = (301, {"Location": "/news/bridge"}, b"")
    got = fetch(server.url("/old-link"), limits(tmp_path))
    assert isinstance(got, Fetched)
    assert got.url == server.url("/news/bridge")
    assert got.status == 200
    assert got.content_type == "text/html"
    assert got.charset == "UTF-8"
    assert got.body == page


def test_fetch_sends_newsqa_user_agent(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/ua"] = (200, {"Content-Type": "text/plain"}, b"ok")
    fetch(server.url("/ua"), limits(tmp_path))
    path, headers = server.requests[-1]
    assert path == "/ua"
    assert headers["User-Agent"] == USER_AGENT == "newsqa/0.1"


def test_fetch_follows_redirects_up_to_the_limit(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/r1"] = (302, {"Location": "/r2"}, b"")
    server.routes["/r2"] = (307, {"Location": server.url("/r3")}, b"")
    server.routes["/r3"] = (308, {"Location": "/final"}, b"")
    server.routes["/final"] = (200, {"Content-Type": "text/plain"}, b"arrived")
    got = fetch(server.url("/r1"), limits(tmp_path, max_redirects=3))
    assert (got.url, got.body) == (server.url("/final"), b"arrived")
    with pytest.raises(IngestError, match=r"too many redirects \(2\)"):
        fetch(server.url("/r1"), limits(tmp_path, max_redirects=2))


def test_gzip_body_is_decoded(server: LocalServer, tmp_path: Path) -> None:
    text = b"<p>Compressed article text.</p>" * 20
    server.routes["/gz"] = (
        200,
        {"Content-Type": "text/html", "Content-Encoding": "gzip"},
        gzip.compress(text),
    )
    assert fetch(server.url("/gz"), limits(tmp_path)).body == text


# --- refusals and failures ------------------------------------------------------------------------


def test_redirect_loop_is_too_many_redirects(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(IngestError) as err:
        fetch(server.url("/loop"), limits(tmp_path, max_redirects=4))
    assert "too many redirects (4)" in str(err.value)
    assert "NEWSQA_MAX_REDIRECTS" in str(err.value)
    assert len(server.requests) == 5  # the first request and 4 redirects, then it stops


def test_redirect_to_file_url_is_refused(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/to-file"] = (302, {"Location": "file:///etc/passwd"}, b"")
    with pytest.raises(IngestError) as err:
        fetch(server.url("/to-file"), limits(tmp_path))
    message = str(err.value)
    assert "refused redirect" in message
    assert "file:///etc/passwd" in message
    assert "only http(s)" in message


@pytest.mark.parametrize("location", ["ftp://127.0.0.1/x", "javascript:alert(1)", "data:,hi"])
def test_redirect_to_other_schemes_is_refused(
    server: LocalServer, tmp_path: Path, location: str
) -> None:
    server.routes["/away"] = (301, {"Location": location}, b"")
    with pytest.raises(IngestError, match="only http\\(s\\)"):
        fetch(server.url("/away"), limits(tmp_path))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/a.txt", "/etc/hosts"])
def test_non_http_urls_are_refused_without_a_request(url: str, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="only http\\(s\\) URLs"):
        fetch(url, limits(tmp_path))


def test_http_404_names_status_and_url(server: LocalServer, tmp_path: Path) -> None:
    url = server.url("/no-such-article")
    with pytest.raises(IngestError) as err:
        fetch(url, limits(tmp_path))
    assert str(err.value) == f"HTTP 404 Not Found from {url}"


def test_http_500_is_an_error(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/boom"] = html("<p>oops</p>", status=500)
    with pytest.raises(IngestError, match=r"^HTTP 500 Internal Server Error from http://"):
        fetch(server.url("/boom"), limits(tmp_path))


def test_body_over_the_cap_is_refused_by_content_length(
    server: LocalServer, tmp_path: Path
) -> None:
    server.routes["/big"] = (200, {"Content-Type": "text/plain"}, b"x" * 60_000)
    with pytest.raises(IngestError) as err:
        fetch(server.url("/big"), limits(tmp_path, max_file_bytes=50_000))
    assert "larger than the 50,000-byte limit (NEWSQA_MAX_FILE_BYTES)" in str(err.value)


def test_body_over_the_cap_without_length_stops_while_streaming(
    server: LocalServer, tmp_path: Path
) -> None:
    sent: list[int] = []

    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.end_headers()  # no Content-Length: the body ends when the connection closes
        for _ in range(200):  # up to 2 MB, but the client must stop long before
            handler.wfile.write(b"y" * 10_000)
            sent.append(10_000)

    server.routes["/stream"] = endless
    with pytest.raises(IngestError, match="larger than the 50,000-byte limit"):
        fetch(server.url("/stream"), limits(tmp_path, max_file_bytes=50_000))


def test_gzip_bomb_is_stopped_on_decoded_size(server: LocalServer, tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 50_000  # small on the wire, 5 MB once decoded
    server.routes["/bomb"] = (
        200,
        {"Content-Type": "text/html", "Content-Encoding": "gzip"},
        bomb,
    )
    with pytest.raises(IngestError, match="larger than the 50,000-byte limit"):
        fetch(server.url("/bomb"), limits(tmp_path, max_file_bytes=50_000))


def test_slow_server_times_out(server: LocalServer, tmp_path: Path) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(2)
        handler.send_response(200)
        handler.end_headers()

    server.routes["/slow"] = slow
    started = time.monotonic()
    with pytest.raises(IngestError) as err:
        fetch(server.url("/slow"), limits(tmp_path, url_timeout=0.5))
    assert time.monotonic() - started < 1.5
    assert "timed out after 0.5 s" in str(err.value)
    assert "NEWSQA_URL_TIMEOUT" in str(err.value)


def test_trickling_body_hits_the_overall_deadline(server: LocalServer, tmp_path: Path) -> None:
    def trickle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.end_headers()
        for _ in range(20):  # each byte arrives well within the read timeout, the whole not
            handler.wfile.write(b"z" * 10)
            handler.wfile.flush()
            time.sleep(0.15)

    server.routes["/trickle"] = trickle
    started = time.monotonic()
    with pytest.raises(IngestError, match=r"timed out after 0\.5 s"):
        fetch(server.url("/trickle"), limits(tmp_path, url_timeout=0.5))
    assert time.monotonic() - started < 1.5


def test_connection_refused_says_cannot_reach_host(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/article"
    with pytest.raises(IngestError) as err:
        fetch(url, limits(tmp_path))
    message = str(err.value)
    assert message.startswith("cannot reach 127.0.0.1: ")
    assert "Traceback" not in message
    assert "\n" not in message


# --- helpers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://example.org/a", True),
        ("HTTPS://Example.org", True),
        ("https://", False),
        ("ftp://example.org/a", False),
        ("file:///etc/passwd", False),
        ("example.org/a", False),
        ("http://[::1", False),
    ],
)
def test_is_http_url(text: str, expected: bool) -> None:
    assert is_http_url(text) is expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("text/html; charset=ISO-8859-1", ("text/html", "ISO-8859-1")),
        ('Application/RSS+XML; charset="utf-8"', ("application/rss+xml", "utf-8")),
        ("application/json", ("application/json", None)),
        ("", ("", None)),
        (None, ("", None)),
        ("garbage", ("", None)),
    ],
)
def test_parse_content_type(header: str | None, expected: tuple[str, str | None]) -> None:
    assert parse_content_type(header) == expected
