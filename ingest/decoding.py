"""Turning the bytes of a file or download into text: BOMs, UTF-8, detected encodings, binary refusal."""

from __future__ import annotations

import codecs
import re
import unicodedata

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_LATIN1_ALIASES: dict[str, tuple[str, ...]] = {
    name: ("cp1252", "latin-1")
    for name in ("iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii")
}
# Control characters that never appear in text files (tab, newlines and form feed do).
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
_MAX_CONTROL_RATIO = 0.02


class NotTextError(ValueError):
    """The bytes are not text in any encoding we can recognise (an image, an archive, ...)."""


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML `<meta>` or XML declaration names in the first 4 KB, if any."""
    head = data[:4096]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii").lower() if match else None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode `data` to text with Unix line endings.

    Order: a byte-order mark, then UTF-8, then the `declared` charset (an HTTP header or
    `<meta>`; ISO-8859-1 is read as cp1252, as browsers do), then the encoding charset-normalizer
    detects (cp1252, latin-1, ...).

    Raises:
        NotTextError: NUL bytes (outside UTF-16/32), no encoding fits, or the result is mostly
            control characters.
    """
    text = _decode(data, (declared or "").strip().lower() or None)
    if _control_ratio(text) > _MAX_CONTROL_RATIO:
        raise NotTextError("binary file, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, declared: str | None) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise NotTextError("binary file, not text") from None
    wide = declared is not None and declared.startswith(("utf-16", "utf-32"))
    if b"\x00" in data and not wide:
        raise NotTextError("binary file, not text")
    if not wide:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if declared:
        for encoding in _LATIN1_ALIASES.get(declared, (declared,)):
            try:
                codecs.lookup(encoding)
                return data.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong or unknown declaration: fall through to detection
    if wide:
        raise NotTextError("binary file, not text")
    return _detect(data)


def _detect(data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise NotTextError("binary file, not text")
    encoding = best.encoding
    # Western text files that are not UTF-8 are nearly always cp1252; charset-normalizer
    # sometimes names a close relative (latin-1, cp1250, mac_roman) for short samples, which
    # turns curly quotes into control or accented characters.
    if encoding not in {"cp1252", "utf_8"}:
        try:
            cp1252 = data.decode("cp1252")
        except UnicodeDecodeError:
            cp1252 = None
        if cp1252 is not None and _looks_western(cp1252) and not _looks_western(str(best)):
            return cp1252
    return str(best)


def _looks_western(text: str) -> bool:
    """True when every non-ASCII letter is a Latin letter or common punctuation."""
    for ch in text:
        if ord(ch) < 128:
            continue
        cat = unicodedata.category(ch)
        if cat.startswith("L") and "LATIN" not in unicodedata.name(ch, ""):
            return False
        if cat.startswith("C"):
            return False
    return True


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    sample = text[:20_000]
    bad = sum(
        1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS
    )
    return bad / len(sample)
