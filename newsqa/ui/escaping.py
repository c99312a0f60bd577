"""Making untrusted text safe for the page: HTML escaping, literal Markdown, safe links.

Everything from an article, a question or a user goes through `esc` (for gr.HTML) or `md_literal`
(for the Markdown-rendering chatbot) before it reaches the browser.
"""

from __future__ import annotations

import html
import re
import string
from urllib.parse import urlsplit

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")


def esc(text: object) -> str:
    """HTML-escape any value (None becomes empty), quotes included, for text and attributes."""
    return html.escape("" if text is None else str(text), quote=True)


def md_literal(text: str) -> str:
    """`text` for a Markdown renderer that must show it exactly as typed, on one line.

    Whitespace runs become one space (no code blocks, no line tricks) and every ASCII punctuation
    character becomes a numeric character reference, so no markup, Markdown syntax, autolink or
    LaTeX delimiter survives: `<script>` is shown, not run; `*x*` is shown, not emphasised.
    Invisible control characters are dropped.
    """
    flat = " ".join(_CONTROL.sub("", text).split())
    return "".join(f"&#{ord(c)};" if c in string.punctuation else c for c in flat)


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) URL with a host, else None (never a javascript: link)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.hostname and not re.search(r"\s", url):
        return url
    return None
