"""Keeps a signed-in person who owes a second factor to the pages that collect it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from signin import twofactor

# Pages open before the second factor: the verify and set-up pages themselves, signing out, the
# health check, single sign-on (to sign in again) and the public pages of password reset.
ALLOWED_BEFORE_VERIFY = {
    "signin:verify",
    "logout",
    "healthz",
    "signin:oidc_start",
    "signin:oidc_callback",
}
ALLOWED_BEFORE_SETUP = ALLOWED_BEFORE_VERIFY | {"signin:two_factor"}


class TwoFactorMiddleware:
    """After LoginRequiredMiddleware (anonymous people are already sent to sign in):

    - someone with an authenticator whose session has not given a code → the verify page;
    - an administrator or central team member without one, when TRUSTPLAN_REQUIRE_2FA is on →
      the set-up page.

    Every URL, /admin/ included; the page asked for comes back as ?next=. What a session owes
    is kept in it from sign-in (signin.signals), so a page costs no query for this.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        owed = twofactor.owed_by_session(request)
        if not owed:
            return None
        view_name = request.resolver_match.view_name if request.resolver_match else ""
        if owed == "verify" and view_name not in ALLOWED_BEFORE_VERIFY:
            return _redirect("signin:verify", request)
        if owed == "setup" and view_name not in ALLOWED_BEFORE_SETUP:
            return _redirect("signin:two_factor", request)
        return None


def _redirect(name: str, request):
    target = reverse(name)
    if request.method == "GET":
        target += "?" + urlencode({"next": request.get_full_path()})
    return redirect(target)
