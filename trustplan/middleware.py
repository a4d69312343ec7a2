"""The project's own middleware (settings.MIDDLEWARE)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None:
        return user.is_authenticated
    # A response made before AuthenticationMiddleware ran (a CSRF failure, a redirect to add a
    # slash): the session says whether someone is signed in.
    session = getattr(request, "session", None)
    return session is not None and SESSION_KEY in session


class PrivateCacheMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in user.

    Pages and exports (CSV, XLSX) hold a trust's data: no shared proxy may keep them and no
    browser may write them to disk or show them from its history after sign-out. A stricter
    header a view already set (``never_cache``: no-store without public) is kept; anything
    weaker (no header, public, max-age) is replaced, and its Expires dropped. Static files never
    get here (whitenoise answers them earlier) and keep their own caching; anonymous responses
    keep theirs (the login and logout pages are never_cache already).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _signed_in(request):
            directives = {
                part.split("=", 1)[0].strip().lower()
                for part in response.get("Cache-Control", "").split(",")
            }
            if "no-store" not in directives or "public" in directives:
                response["Cache-Control"] = "private, no-store"
                if "Expires" in response:
                    del response["Expires"]
        return response
