"""The project's own middleware (settings.MIDDLEWARE)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


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


NUL = "\x00"


def _nul_in(request: HttpRequest) -> str | None:
    """Where the request carries a NUL character, or None when it carries none."""
    if NUL in request.path_info or NUL in request.path:
        return "a web address"
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str) and NUL in value:
            return "a request header"
    if any(NUL in name or NUL in value for name, value in request.COOKIES.items()):
        return "a cookie"
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            return "a query string"
    if request.method == "POST":
        for name, values in request.POST.lists():
            if NUL in name or any(NUL in value for value in values):
                return "a form field"
        # (Django drops non-printable characters from uploaded files' names itself.)
        if any(NUL in name for name in request.FILES):
            return "a form field"
    return None


class RefuseNulMiddleware:
    """400 for any request with a NUL character in its address, query string, form fields,
    cookies or headers.

    NUL is never valid text there, and PostgreSQL refuses it in every text column: a NUL that
    reached a lookup or a save (/kpis/%00/, a send-back reason, a session cookie) was a 500.
    Answered before the session, the user or any view is touched, so nothing is looked up or
    saved; a plain-text message needs nothing else. Early in settings.MIDDLEWARE, after the
    security and CSP middleware so the answer carries their headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = _nul_in(request)
        if where is not None:
            # Nobody is looked up for a refused request: to anything outside it is anonymous.
            request.user = AnonymousUser()
            return HttpResponseBadRequest(
                f"The request contains a NUL character (\\x00), which is never valid in "
                f"{where}. Nothing was saved: remove the character and try again.\n",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
