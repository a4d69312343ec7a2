"""Small helpers shared by views."""

import re

from django.http import HttpRequest


def form_data(request: HttpRequest, *, files: bool = False) -> tuple:
    """A form's data: the POST (even an empty one, which must be validated), or nothing.

    ``Form(request.POST or None)`` would treat an empty POST as a first visit and skip
    validation.
    """
    if request.method != "POST":
        return (None, None) if files else (None,)
    return (request.POST, request.FILES) if files else (request.POST,)


# An id in a query string: ASCII digits only ("²" and "٣" pass str.isdigit() or int() but are
# not ids), and short enough for a 64-bit column.
_ID = re.compile(r"[0-9]{1,18}")


def parse_id(text: str | None) -> int | None:
    """The integer id ``text`` spells in ASCII digits, or None for anything else."""
    if text is None or not _ID.fullmatch(text):
        return None
    return int(text)
