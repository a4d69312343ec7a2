"""Sign-in pages: single sign-on's start and callback, and two-factor sign-in's set-up, verify
and recovery codes pages."""

from __future__ import annotations

import base64
import io
import logging
import time

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.generic import View
from django_otp import login as otp_login
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from signin import oidc, twofactor
from signin.forms import TokenForm

logger = logging.getLogger(__name__)

BACKEND = "signin.oidc.OIDCBackend"


# Single sign-on -------------------------------------------------------------------------------


class OIDCStartView(OIDCAuthenticationRequestView):
    """mozilla-django-oidc's redirect to the provider (state, nonce and PKCE kept in the
    session), with the authorisation endpoint from discovery."""

    get_settings = staticmethod(oidc.oidc_setting)

    def __init__(self, **kwargs) -> None:
        View.__init__(self, **kwargs)  # the library's reads the endpoint: done in get()

    def get(self, request):
        if not oidc.enabled():
            raise Http404("Single sign-on is not set up.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc.oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except oidc.SignInRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("login")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


oidc_start = login_not_required(never_cache(OIDCStartView.as_view()))


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    logger.info("Single sign-on refused: %s", reason)
    messages.error(request, reason)
    return redirect("login")


@login_not_required
@never_cache
@require_safe
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser back: the state must be one this session sent
    (and not older than OIDC_STATE_SECONDS); the code is exchanged and the ID token checked by
    signin.oidc.OIDCBackend; the person it matches is signed in. Anything else is refused with
    its reason on the sign-in page."""
    if not oidc.enabled():
        raise Http404("Single sign-on is not set up.")
    name = oidc.provider_name()
    state = request.GET.get("state", "")
    states = request.session.get("oidc_states")
    states = states if isinstance(states, dict) else {}
    entry = states.pop(state, None) if state else None
    request.session["oidc_states"] = states  # used once, even when refused
    request.session.save()
    if request.GET.get("error"):
        detail = request.GET.get("error_description") or request.GET["error"]
        return _refused(request, f"{name} did not sign you in: {detail[:300]}")
    if not isinstance(entry, dict) or "nonce" not in entry:
        return _refused(
            request,
            f"This answer from {name} does not belong to a sign-in started here (it may have "
            "been used already). Start again with the button below.",
        )
    if time.time() - float(entry.get("added_on", 0)) > settings.OIDC_STATE_SECONDS:
        return _refused(request, f"The sign-in with {name} took too long. Start again.")
    backend = oidc.OIDCBackend()
    try:
        user = backend.authenticate(
            request, nonce=entry["nonce"], code_verifier=entry.get("code_verifier")
        )
    except oidc.SignInRefused as refusal:
        return _refused(request, str(refusal))
    next_url = request.session.get("oidc_login_next") or resolve_url(settings.LOGIN_REDIRECT_URL)
    auth.login(request, user, backend=BACKEND)
    request.session[twofactor.SSO_MFA_SESSION_KEY] = oidc.mfa_asserted(backend.claims)
    return redirect(next_url)


# Two-factor sign-in ---------------------------------------------------------------------------


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _qr_data_uri(url: str) -> str:
    """The otpauth:// URL as a QR code: SVG made here (segno), never by a remote service."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=5, border=4, dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator (a QR code, its secret as text, a first code to confirm it), or,
    once set up, new recovery codes and replacing the authenticator."""
    user = request.user
    device = twofactor.totp_device(user)
    if device is not None:
        return render(
            request,
            "signin/two_factor.html",
            {
                "device": device,
                "codes_left": twofactor.recovery_codes_left(user),
                "required": twofactor.required_for(user),
            },
        )
    pending = twofactor.pending_device(user)
    form = TokenForm(request.POST if request.method == "POST" else None, recovery_allowed=False)
    wait = twofactor.seconds_to_wait([pending]) if request.method == "POST" else 0
    if wait and form.is_valid():
        form.add_error("otp_token", _wait_message(wait))
    elif request.method == "POST" and form.is_valid():
        if pending.verify_token(form.cleaned_data["otp_token"]):
            codes = twofactor.confirm_authenticator(pending)
            otp_login(request, pending)
            request.session[twofactor.OWED_SESSION_KEY] = "verify"
            request.session[twofactor.NEW_CODES_SESSION_KEY] = codes
            messages.success(
                request,
                "Two-factor sign-in is on: you will be asked for a code each time you sign in.",
            )
            return redirect(f"{resolve_url('signin:recovery_codes')}?next={_next_url(request)}")
        form.add_error(
            "otp_token",
            "That code is not the one your authenticator shows now. Check the app was set up "
            "with the code on this page (and that your phone's clock is right), then try the "
            "next code.",
        )
    secret = base64.b32encode(pending.bin_key).decode()
    return render(
        request,
        "signin/two_factor_setup.html",
        {
            "form": form,
            "qr_code": _qr_data_uri(pending.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": twofactor.required_for(user),
            "next": _next_url(request),
        },
        status=400 if form.errors else 200,
    )


@never_cache
@require_POST
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    if twofactor.totp_device(request.user) is None:
        return redirect("signin:two_factor")
    request.session[twofactor.NEW_CODES_SESSION_KEY] = twofactor.new_recovery_codes(request.user)
    return redirect("signin:recovery_codes")


@never_cache
@require_POST
def remove_authenticator(request: HttpRequest) -> HttpResponse:
    """Remove the authenticator and recovery codes (to set up a new phone: the session stays
    verified until it ends; someone who must use two-factor sign-in goes straight to set-up)."""
    twofactor.remove_two_factor(request.user)
    request.session[twofactor.OWED_SESSION_KEY] = twofactor.owed(request.user)
    messages.success(request, "Your authenticator and recovery codes were removed.")
    return redirect("signin:two_factor")


@never_cache
@require_safe
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes just made, shown this once (then only their number)."""
    codes = request.session.pop(twofactor.NEW_CODES_SESSION_KEY, None)
    return render(
        request,
        "signin/recovery_codes.html",
        {
            "codes": codes,
            "codes_left": twofactor.recovery_codes_left(request.user),
            "next": _next_url(request),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in. A wrong code counts as a failed sign-in for django-axes
    (the same username + address lockout as the password form): at the limit the session is
    signed out and the lockout page shown."""
    user = request.user
    if twofactor.is_verified(request):
        return redirect(_next_url(request))
    if not twofactor.has_authenticator(user):
        return redirect("signin:two_factor")
    credentials = {"username": user.get_username()}
    AxesProxyHandler.update_request(request)
    if AxesProxyHandler.is_locked(request, credentials):
        return _locked_out(request, credentials)
    form = TokenForm(request.POST if request.method == "POST" else None)
    wait = 0
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["otp_token"]
        wait = twofactor.seconds_to_wait(twofactor.devices_for_token(user, token))
    if wait:
        # Not a guess that was checked, so not counted against the lockout.
        form.add_error("otp_token", _wait_message(wait))
    elif request.method == "POST" and form.is_valid():
        device = twofactor.check_token(user, form.cleaned_data["otp_token"])
        if device is not None:
            otp_login(request, device)
            request.session[twofactor.OWED_SESSION_KEY] = ""
            AxesProxyHandler.reset_attempts(
                username=user.get_username(), ip_address=request.axes_ip_address
            )
            if twofactor.token_kind(form.cleaned_data["otp_token"]) == "recovery":
                left = twofactor.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You used a recovery code: {left} left. Make new ones on your two-factor "
                    "page if you are running short.",
                )
            return redirect(_next_url(request))
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request, credentials)
        form.add_error(
            "otp_token",
            "That code is not right. Enter the code your authenticator shows now, or an unused "
            "recovery code.",
        )
    return render(
        request,
        "signin/verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )


def _wait_message(seconds: int) -> str:
    return (
        f"After a wrong code, the next is checked only after a pause: wait {seconds} second"
        f"{'' if seconds == 1 else 's'}, then enter the code your app shows then."
    )


def _locked_out(request: HttpRequest, credentials: dict) -> HttpResponse:
    logger.warning("Two-factor sign-in locked out for %s", credentials["username"])
    auth.logout(request)
    return get_lockout_response(request, None, credentials)
