"""URL rules shared by the settings check and the HTTP layer: HTTPS, except on loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    """Tell whether *host* names this machine, the only place plain HTTP is allowed."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """What is wrong with *url* as an API base URL, or None if it may be used."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"is not an http(s) URL: {url!r}"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "plain http:// is allowed only for loopback hosts; use https://"
    return None
