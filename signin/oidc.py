"""Single sign-on with OpenID Connect (mozilla-django-oidc), configured by four settings.

``OIDC_ISSUER`` names the provider (Microsoft Entra ID's
``https://login.microsoftonline.com/<tenant>/v2.0``, Google's ``https://accounts.google.com``, or
any compliant one); its endpoints come from ``<issuer>/.well-known/openid-configuration``, fetched
the first time someone uses single sign-on and kept for ``OIDC_DISCOVERY_SECONDS``. Nothing is
fetched at start-up or for a password sign-in, so a provider that is down never stops trustplan.

A signed-in identity is matched to an existing, active person by a verified email address, any
case (``email_verified`` true; Entra ID sends none for organisation accounts and its optional
``xms_edov`` claim, "email domain owner verified", stands for it). Nobody is ever created and
roles stay trustplan's. A refusal says why on the sign-in page.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
# mozilla-django-oidc's setting name → the discovery document's key.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
REQUIRED = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class SignInRefused(Exception):
    """Single sign-on did not sign anyone in; the message is for the person on the sign-in page."""


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def provider_name() -> str:
    return settings.OIDC_NAME or "single sign-on"


@dataclass(frozen=True)
class Discovery:
    issuer: str
    document: dict
    fetched_at: float


_lock = threading.Lock()
_cache: dict[str, Discovery] = {}


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + DISCOVERY_PATH


def discover() -> Discovery:
    """The provider's discovery document, fetched once per OIDC_DISCOVERY_SECONDS per process.

    A failure is not kept, so the next sign-in tries again. The document must name the issuer
    configured (OpenID Connect Discovery 1.0, section 4.3) and its endpoints.
    """
    issuer = settings.OIDC_ISSUER
    with _lock:
        cached = _cache.get(issuer)
        if cached and time.monotonic() - cached.fetched_at < settings.OIDC_DISCOVERY_SECONDS:
            return cached
    url = discovery_url(issuer)
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        logger.warning("OpenID Connect discovery at %s failed: %s", url, error)
        raise SignInRefused(
            f"{provider_name()} cannot be reached just now ({url} did not answer with its "
            "settings). Try again in a minute, or sign in with your password."
        ) from error
    if not isinstance(document, dict):
        raise SignInRefused(f"{url} did not answer with an OpenID Connect discovery document.")
    if document.get("issuer") != issuer:
        logger.warning("Discovery at %s names issuer %r", url, document.get("issuer"))
        raise SignInRefused(
            f"{provider_name()} names itself {document.get('issuer')!r}, not the OIDC_ISSUER "
            f"trustplan is set up with ({issuer!r}): ask your trust's administrator."
        )
    missing = [key for key in REQUIRED if not document.get(key)]
    if missing:
        raise SignInRefused(f"{url} does not name its {', '.join(missing)}.")
    found = Discovery(issuer=issuer, document=document, fetched_at=time.monotonic())
    with _lock:
        _cache[issuer] = found
    return found


def forget_discovery() -> None:
    """For tests, and for a provider that moved its endpoints."""
    with _lock:
        _cache.clear()


def oidc_setting(attr: str, *default):
    """mozilla-django-oidc's settings, with the endpoints from discovery."""
    if attr in ENDPOINTS:
        return discover().document.get(ENDPOINTS[attr])
    return import_from_settings(attr, *default)


def _true(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def email_is_verified(claims: dict) -> bool:
    """``email_verified`` true; where the provider sends no ``email_verified`` at all, Entra
    ID's ``xms_edov`` (the address's domain is verified by the tenant that owns it)."""
    if "email_verified" in claims:
        return _true(claims["email_verified"])
    return _true(claims.get("xms_edov"))


def mfa_asserted(claims: dict) -> bool:
    """The ID token says the provider used more than one factor (RFC 8176 ``amr`` "mfa")."""
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    return isinstance(amr, list) and "mfa" in amr


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend: code exchange, ID-token signature and nonce checks, with

    - the endpoints from discovery, looked up only when someone signs in this way;
    - the ID token's issuer, audience and expiry checked too (the library checks none of the
      first two);
    - the claims of the verified ID token, completed by the userinfo endpoint's (same subject);
    - an existing active person matched by verified email, never created;
    - sessions ended at once for a deactivated person (Django's own rule; the library's
      get_user would keep them).

    Only the callback view calls it (the keyword-only nonce keeps Django's authenticate() from
    offering it a password sign-in). A refusal raises SignInRefused with its reason.
    """

    def __init__(self, *args, **kwargs) -> None:
        # The library's __init__ reads the endpoints: here they are read when needed.
        self.UserModel = get_user_model()

    get_settings = staticmethod(oidc_setting)

    def _load_endpoints(self) -> None:
        for attr in ENDPOINTS:
            setattr(self, attr, oidc_setting(attr))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, *, nonce: str, code_verifier: str | None = None):
        self.request = request
        self._load_endpoints()
        self.claims: dict = {}
        code = request.GET.get("code")
        if not code:
            raise SignInRefused(f"{provider_name()} sent no sign-in code back.")
        token_payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.build_absolute_uri(
                reverse(settings.OIDC_AUTHENTICATION_CALLBACK_URL)
            ),
        }
        if code_verifier is not None:
            token_payload["code_verifier"] = code_verifier
        try:
            token_info = self.get_token(token_payload)
        except requests.RequestException as error:
            logger.warning("OpenID Connect code exchange refused: %s", error)
            raise SignInRefused(
                f"{provider_name()} refused to complete the sign-in (the code was not accepted: "
                "it may have been used already or have expired). Try again."
            ) from error
        id_token = token_info.get("id_token")
        if not id_token:
            raise SignInRefused(f"{provider_name()} sent no ID token.")
        try:
            payload = self.verify_token(id_token, nonce=nonce)
        except (SuspiciousOperation, jwt.PyJWTError, requests.RequestException) as error:
            # The library's own checks (signature, algorithm, nonce, the key's kid) and PyJWT's
            # (signature, expiry, a malformed token).
            logger.warning("OpenID Connect ID token refused: %s", error)
            raise SignInRefused(
                f"The answer from {provider_name()} did not check out ({error}), so nobody was "
                "signed in. Try again; if it happens again, tell your trust's administrator."
            ) from error
        self._check_issuer_and_audience(payload)
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT and token_info.get("access_token"):
            try:
                info = super().get_userinfo(token_info["access_token"], id_token, payload)
            except (requests.RequestException, ValueError, SuspiciousOperation) as error:
                logger.warning("OpenID Connect userinfo failed: %s", error)
                info = {}
            if isinstance(info, dict) and info.get("sub") == payload.get("sub"):
                claims.update(info)  # the ID token's verified claims first, then the fuller ones
        self.claims = claims
        return self._match(claims)

    def _check_issuer_and_audience(self, payload: dict) -> None:
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != settings.OIDC_ISSUER:
            raise SignInRefused(
                f"The ID token was issued by {payload.get('iss')!r}, not by {provider_name()} "
                f"({settings.OIDC_ISSUER!r}), so nobody was signed in."
            )
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SignInRefused(
                "The ID token was issued to another application, so nobody was signed in."
            )

    def _match(self, claims: dict):
        email = (claims.get("email") or "").strip()
        if not email:
            raise SignInRefused(
                f"{provider_name()} did not tell trustplan your email address, so you could not "
                "be matched to a person here. Ask your trust's administrator."
            )
        if not email_is_verified(claims):
            raise SignInRefused(
                f"{provider_name()} does not say that {email} is verified, so trustplan cannot "
                "match it to a person. Sign in with your password, or ask your trust's "
                "administrator."
            )
        people = list(self.UserModel.objects.filter(email__iexact=email, is_active=True)[:2])
        if not people:
            raise SignInRefused(
                f"No active person in trustplan has the address {email}. Single sign-on does not "
                "create accounts: ask your trust's central team to add you (or to correct your "
                "address)."
            )
        if len(people) > 1:
            raise SignInRefused(
                f"More than one person in trustplan has the address {email}, so single sign-on "
                "cannot tell which you are. Ask your trust's administrator to correct it."
            )
        return people[0]

    def get_user(self, user_id):
        # Django's rule (user_can_authenticate): a deactivated person's sessions end at once.
        return ModelBackend.get_user(self, user_id)

    def user_can_authenticate(self, user) -> bool:
        return getattr(user, "is_active", True)
