"""Durations as people write them in settings and on the command line: "15m", "90s", "1h30m",
"2d", or a plain number of seconds."""

from __future__ import annotations

import re

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])", re.IGNORECASE)


def parse_duration(text: str | float | int) -> float:
    """Seconds in `text`: "15m", "90s", "1h30m", "2d", "0.5h" or a number (seconds).

    Raises:
        ValueError: the text is not a duration, or it is not positive.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        raw = str(text).strip().lower().replace(" ", "")
        try:
            seconds = float(raw)
        except ValueError:
            parts = _PART.findall(raw)
            if not parts or "".join(f"{n}{u}" for n, u in parts) != raw:
                raise ValueError(
                    f"{text!r} is not a duration; write it like 30s, 15m, 1h or 1h30m"
                ) from None
            seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if not seconds > 0:
        raise ValueError(f"a duration must be longer than 0 seconds, not {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """A short form of `seconds` for people: "45s", "15m", "1h30m", "2d3h"."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m")]
    if not days and not hours:
        parts.append((secs, "s"))
    out = "".join(f"{n}{u}" for n, u in parts if n)
    return out or "0s"
