"""Small helpers shared by views."""

from django.http import HttpRequest


def form_data(request: HttpRequest, *, files: bool = False) -> tuple:
    """A form's data: the POST (even an empty one, which must be validated), or nothing.

    ``Form(request.POST or None)`` would treat an empty POST as a first visit and skip
    validation.
    """
    if request.method != "POST":
        return (None, None) if files else (None,)
    return (request.POST, request.FILES) if files else (request.POST,)
