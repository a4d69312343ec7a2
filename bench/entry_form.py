"""The return entry form as a browser would send it back unchanged (used by bench/measure.py and
bench/locustfile.py, which runs without Django)."""

from __future__ import annotations

import re

_INPUT = re.compile(r"<input\b([^>]*)>")
_ATTRIBUTE = re.compile(r'([\w-]+)(?:="([^"]*)")?')
_SELECT = re.compile(r'<select name="([^"]+)"[^>]*>(.*?)</select>', re.S)


def form_data(html: str) -> dict[str, str]:
    """Every named input (a checkbox only when checked) and each select's chosen option, without
    the CSRF token (the caller adds its own), and the "save" button."""
    data = {}
    for attributes in _INPUT.findall(html):
        found = {name: value or "" for name, value in _ATTRIBUTE.findall(attributes)}
        name = found.get("name")
        if not name or name == "csrfmiddlewaretoken":
            continue
        if found.get("type") in ("checkbox", "radio"):
            if "checked" in found:
                data[name] = found.get("value") or "on"
            continue
        data[name] = found.get("value", "")
    for name, body in _SELECT.findall(html):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = chosen.group(1) if chosen else ""
    data["action"] = "save"
    return data
