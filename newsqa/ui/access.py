"""Who may reach the server: the login from NEWSQA_AUTH, and the loud warning for a server
reachable beyond this computer without one."""

from __future__ import annotations

import ipaddress

from qa import ConfigError


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """`user:password` from NEWSQA_AUTH (None when unset).

    Raises:
        ConfigError: set but not `user:password` with both parts non-empty.
    """
    if value is None or not value.strip():
        return None
    user, sep, password = value.strip().partition(":")
    if not sep or not user or not password:
        raise ConfigError("NEWSQA_AUTH must look like user:password (both non-empty)")
    return user, password


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, auth: tuple[str, str] | None, share: bool) -> str | None:
    """The loud warning for a server reachable beyond this computer without a login, else None."""
    if auth is not None or (is_loopback(host) and not share):
        return None
    where = "a public gradio.live link" if share else f"{host} (beyond this computer)"
    bar = "!" * 78
    return (
        f"{bar}\n!! WARNING: newsqa is listening on {where} WITHOUT A LOGIN.\n"
        "!! Anyone who can reach it can read, add and delete your articles.\n"
        "!! Set NEWSQA_AUTH=user:password, or use the default --host 127.0.0.1.\n"
        f"{bar}"
    )
