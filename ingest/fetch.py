"""Fetching one http(s) URL safely: scheme and address checks on every hop, redirect, time and
size limits.

By default a URL may only reach public addresses: a host that resolves to a loopback, private,
link-local, reserved or multicast address is refused before connecting, and the address actually
connected to is checked again (so a DNS answer that changes between the check and the connection
cannot reach this machine or its network). `Settings.allow_private_urls` lifts this.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from qa.core.errors import IngestError
from qa.core.settings import Settings

if TYPE_CHECKING:
    import httpx

USER_AGENT = "newsqa/0.1"
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_ALLOWED_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True)
class Fetched:
    """A downloaded response body and what the server said about it."""

    url: str  # final URL, after redirects
    status: int
    content_type: str  # media type only, lower case ("text/html"); "" when the server sent none
    charset: str | None  # from the Content-Type header, when given
    body: bytes  # decoded from any Content-Encoding (gzip, br, ...); empty for a 304
    etag: str | None = None  # the ETag and Last-Modified headers, for a conditional GET next time
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """True when the server answered a conditional GET with 304 Not Modified."""
        return self.status == 304


def is_http_url(text: str) -> bool:
    """True when `text` is an absolute http:// or https:// URL with a host."""
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in _ALLOWED_SCHEMES and bool(parts.hostname)


def parse_content_type(header: str | None) -> tuple[str, str | None]:
    """Split a Content-Type header into (media type in lower case, charset or None)."""
    if not header:
        return "", None
    msg = Message()
    msg["content-type"] = header
    media_type = msg.get_content_type().lower() if "/" in header.split(";")[0] else ""
    charset = msg.get_param("charset")
    return media_type, charset.strip().strip("'\"") if isinstance(charset, str) else None


def _check_scheme(url: str, *, redirect_from: str | None = None) -> None:
    if is_http_url(url):
        return
    scheme = urlsplit(url).scheme.lower() if ":" in url else ""
    what = f"{scheme}: URL" if scheme else "URL"
    if redirect_from is not None:
        raise IngestError(
            f"refused redirect from {redirect_from} to {url}: only http(s) URLs can be fetched"
        )
    raise IngestError(f"cannot fetch {what} {url}: only http(s) URLs can be ingested")


def fetch(
    url: str,
    settings: Settings,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """Download `url` (http or https only), following at most `settings.max_redirects` redirects.

    With `etag` or `last_modified` (from an earlier `Fetched`), the request is conditional: a
    server whose copy has not changed answers 304, returned as `Fetched.not_modified` with an
    empty body.

    The whole download, redirects included, must finish within `settings.url_timeout` seconds,
    and the decoded body may not exceed `settings.max_file_bytes`.

    Args:
        url: an absolute http:// or https:// URL.
        settings: limits (`url_timeout`, `max_redirects`, `max_file_bytes`).

    Returns:
        The final URL, status, content type, charset and body.

    Raises:
        IngestError: bad scheme (also on a redirect), too many redirects, timeout, body too large,
            HTTP status >= 400, or the host cannot be reached. The message says which.
    """
    import httpx

    _check_scheme(url)
    guard = not settings.allow_private_urls
    deadline = time.monotonic() + settings.url_timeout
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    host = urlsplit(url).hostname or url
    try:
        # httpx parses a redirect's Location before handing the response back, so a refused
        # scheme is checked in a response hook, where the raw header is still available
        with httpx.Client(
            follow_redirects=False,
            headers=headers,
            event_hooks={"response": [_refuse_bad_redirect]},
            transport=_public_only_transport() if guard else None,
        ) as client:
            for _hop in range(settings.max_redirects + 1):
                host = urlsplit(current).hostname or current
                if guard:
                    check_public_host(current)
                # each hop gets what is left of the overall time budget
                remaining = max(deadline - time.monotonic(), 0.001)
                with client.stream("GET", current, timeout=remaining) as response:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECT_CODES and location:
                        target = urljoin(current, location.strip())
                        _check_scheme(target, redirect_from=current)
                        current = target
                        continue
                    if response.status_code >= 400:
                        reason = response.reason_phrase or "error"
                        raise IngestError(f"HTTP {response.status_code} {reason} from {current}")
                    changed = response.status_code != 304
                    body = _read_capped(response, current, settings, deadline) if changed else b""
                    media_type, charset = parse_content_type(response.headers.get("content-type"))
                    return Fetched(
                        url=str(response.url),
                        status=response.status_code,
                        content_type=media_type,
                        charset=charset,
                        body=body,
                        etag=response.headers.get("etag") or etag,
                        last_modified=response.headers.get("last-modified") or last_modified,
                    )
    except httpx.TimeoutException:
        raise IngestError(
            f"timed out after {settings.url_timeout:g} s fetching {url}; "
            "try again later or raise NEWSQA_URL_TIMEOUT"
        ) from None
    except (httpx.ConnectError, httpx.NetworkError) as exc:
        raise IngestError(f"cannot reach {host}: {_describe(exc)}") from None
    except httpx.DecodingError as exc:
        raise IngestError(f"the response from {current} is corrupt: {_describe(exc)}") from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise IngestError(f"invalid URL {current}: {_describe(exc)}") from None
    except httpx.HTTPError as exc:
        raise IngestError(f"could not fetch {current}: {_describe(exc)}") from None
    raise IngestError(
        f"too many redirects ({settings.max_redirects}) fetching {url}; "
        "the site may be redirecting in a loop (limit: NEWSQA_MAX_REDIRECTS)"
    )


def address_problem(address: str) -> str | None:
    """Why newsqa will not connect to `address` by default ("loopback", "private", ...), or None
    for a public address. IPv4 addresses inside IPv6 ones (mapped, 6to4, NAT64) are judged as
    IPv4."""
    try:
        ip: Any = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "unparsable"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    for kind in ("unspecified", "loopback", "link_local", "multicast", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "non-public"
    return None


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def check_public_host(url: str) -> None:
    """Refuse `url` when its host is, or resolves to, a non-public address.

    A host that does not resolve is let through: the fetch then fails with "cannot reach".

    Raises:
        IngestError: the host is loopback, private, link-local, reserved, multicast or
            unspecified; the message names the address and the setting that allows it.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        port = 80
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return
    for info in infos:
        address = str(info[4][0])
        problem = address_problem(address)
        if problem:
            raise IngestError(_refusal(url, host, address, problem))


def _refusal(url: str, host: str, address: str, problem: str) -> str:
    where = host if host == address else f"{host} ({address})"
    return (
        f"refused to fetch {url}: {where} is a {problem} address, and newsqa only fetches "
        "public addresses by default (set NEWSQA_ALLOW_PRIVATE_URLS=true to fetch from this "
        "machine or its network)"
    )


def _public_only_transport() -> httpx.HTTPTransport | None:
    """An httpx transport that checks the address each connection really reached.

    None when a proxy is configured (the proxy connects, not us) or httpx's internals differ
    from what this expects; the check before each hop still applies then.
    """
    import urllib.request

    import httpx

    if urllib.request.getproxies():
        return None
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if inner is None:
        return None
    pool._network_backend = _PublicOnlyBackend(inner)  # type: ignore[union-attr]
    return transport


class _PublicOnlyBackend:
    """httpcore network backend: connect as usual, then refuse a non-public peer address."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> Any:
        stream = self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        sock = stream.get_extra_info("socket")
        peer = str(sock.getpeername()[0]) if sock is not None else None
        problem = address_problem(peer) if peer else None
        if problem:
            stream.close()
            assert peer is not None
            raise IngestError(_refusal(f"http(s)://{host}:{port}/", host, peer, problem))
        return stream

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> Any:
        raise IngestError("newsqa does not fetch from unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _refuse_bad_redirect(response: httpx.Response) -> None:
    location = response.headers.get("location")
    if response.status_code in _REDIRECT_CODES and location:
        current = str(response.request.url)
        _check_scheme(urljoin(current, location.strip()), redirect_from=current)


def _read_capped(response: httpx.Response, url: str, settings: Settings, deadline: float) -> bytes:
    """Read the decoded body in chunks; stop as soon as it is too large or too slow."""
    import httpx

    limit = settings.max_file_bytes
    too_large = (
        f"the download from {url} is larger than the {limit:,}-byte limit "
        "(NEWSQA_MAX_FILE_BYTES); raise the limit or save a smaller excerpt"
    )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise IngestError(too_large)
    chunks: list[bytes] = []
    size = 0
    # iter_bytes yields *decoded* bytes, so a small gzip bomb is stopped at the limit as well.
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise IngestError(too_large)
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("overall deadline exceeded")
    return b"".join(chunks)


def _describe(exc: BaseException) -> str:
    """A one-line reason for a network error, without a traceback."""
    text = str(exc).strip()
    while exc.__cause__ is not None and not text:
        exc = exc.__cause__
        text = str(exc).strip()
    if not text:
        return type(exc).__name__
    return text.splitlines()[0]
