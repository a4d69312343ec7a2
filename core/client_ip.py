"""The client's address, as django-axes keys login lockouts on it (AXES_CLIENT_IP_CALLABLE).

Behind ``TRUSTPLAN_PROXY_COUNT`` = N reverse proxies, each proxy appends the address it received
the request from to X-Forwarded-For, so the last N entries were written by proxies we trust and
the Nth from the right is the client's own address as the outermost proxy saw it. Everything to
its left was sent by the client and is never used: a client could vary it to dodge a lockout, or
send nothing useful to share one key with everybody. A request with fewer entries than proxies
(it did not come through all of them), or whose entry is not an IP address, is keyed on the
socket address (REMOTE_ADDR). With no proxies X-Forwarded-For is ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(text: str) -> str | None:
    """``text`` as a normalised IP address (an IPv4 ``:port`` or ``[IPv6]:port`` form is
    accepted, as some proxies write), or None when it is not one."""
    text = text.strip()
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1 : text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.split(":", 1)[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def client_ip(request: HttpRequest) -> str | None:
    """The address to key this request's login throttling on (module docstring)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = int(getattr(settings, "TRUSTPLAN_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        entries = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if request.META.get("HTTP_X_FORWARDED_FOR") and len(entries) >= proxies:
            address = _address(entries[-proxies])
            if address is not None:
                return address
    return _address(remote) if remote else None
