"""Two-factor sign-in (django-otp): an authenticator app's six-digit codes (TOTP) and ten
single-use recovery codes.

Who is asked: anyone who has set up an authenticator is asked for a code after every sign-in;
with ``TRUSTPLAN_REQUIRE_2FA`` on (the default when DEBUG is off), administrators and central
team who have not set one up are sent to set it up before anything else, the Django admin
included. Single sign-on counts as the first factor only, unless ``OIDC_TRUST_IDP_MFA`` is on
and the provider's ID token says it used more than one factor (see signin.oidc.mfa_asserted).
"""

from __future__ import annotations

import math
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from academies import permissions

RECOVERY_CODE_COUNT = 10
# Where the callback records that the provider asserted multi-factor (signin.oidc).
SSO_MFA_SESSION_KEY = "signin_sso_mfa"
# What this session owes before it may go anywhere: "verify", "setup" or "" (worked out at
# sign-in, so pages pay no query for it; signin.signals).
OWED_SESSION_KEY = "signin_two_factor_owed"
# The recovery codes just made, shown once by the recovery codes page and then forgotten.
NEW_CODES_SESSION_KEY = "signin_new_recovery_codes"

TOTP_PATTERN = re.compile(r"^[0-9]{6}$")
RECOVERY_PATTERN = re.compile(r"^[a-z2-7]{8}$")


def required_for(user) -> bool:
    """Administrators and central team must use two-factor sign-in when TRUSTPLAN_REQUIRE_2FA
    is on (everyone else may choose to)."""
    return settings.TRUSTPLAN_REQUIRE_2FA and permissions.is_central(user)


def totp_device(user, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def has_authenticator(user) -> bool:
    return user.is_authenticated and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_verified(request) -> bool:
    """This session has passed the second factor (django-otp's, or the provider's MFA when the
    trust chose to trust it)."""
    user = request.user
    if getattr(user, "is_verified", None) and user.is_verified():
        return True
    return bool(settings.OIDC_TRUST_IDP_MFA and request.session.get(SSO_MFA_SESSION_KEY))


def owed(user) -> str:
    """ "verify" for someone with an authenticator, "setup" for someone who must have one and
    has not, else ""."""
    if has_authenticator(user):
        return "verify"
    if required_for(user):
        return "setup"
    return ""


def owed_by_session(request) -> str:
    """What this signed-in session still owes ("" once a code was given)."""
    if is_verified(request):
        return ""
    state = request.session.get(OWED_SESSION_KEY)
    if state is None:  # a session from before two-factor sign-in: worked out once
        state = remember_owed(request)
    return state


def remember_owed(request) -> str:
    state = owed(request.user)
    request.session[OWED_SESSION_KEY] = state
    return state


def pending_device(user) -> TOTPDevice:
    """The authenticator being set up (not yet confirmed): the same secret on every visit until
    a code from it is entered."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def normalise(token: str) -> str:
    """What a person types, as the devices compare it: spaces and hyphens dropped, any case."""
    return re.sub(r"[\s-]", "", token).lower()


def token_kind(token: str) -> str | None:
    """ "totp", "recovery" or None for a token of neither shape (refused before any device is
    asked, so a malformed one never counts against the throttle)."""
    if TOTP_PATTERN.match(token):
        return "totp"
    if RECOVERY_PATTERN.match(token):
        return "recovery"
    return None


def check_token(user, token: str):
    """The confirmed device this token is right for, or None. One device is asked, by the
    token's shape, through django-otp's verify_token (locked row: its throttle counts every
    attempt, even concurrent ones)."""
    from django_otp import verify_token

    for device in devices_for_token(user, token):
        matched = verify_token(user, device.persistent_id, token)
        if matched is not None:
            return matched
    return None


def seconds_to_wait(devices) -> int:
    """How long django-otp's throttle still holds these devices after wrong codes (it doubles
    the wait after each): a right code typed sooner would be refused as if wrong."""
    now = timezone.now()
    waits = []
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            waits.append(math.ceil((data["locked_until"] - now).total_seconds()))
    return max(waits, default=0)


def devices_for_token(user, token: str) -> list:
    kind = token_kind(token)
    wanted = {"totp": TOTPDevice, "recovery": StaticDevice}.get(kind)
    if wanted is None:
        return []
    return [d for d in devices_for_user(user) if isinstance(d, wanted)]


@transaction.atomic
def confirm_authenticator(device: TOTPDevice) -> list[str]:
    """The first right code confirms the authenticator: other unconfirmed ones go, and a fresh
    set of recovery codes is made (returned to be shown once)."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    return new_recovery_codes(device.user)


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Ten new single-use codes; any earlier ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def remove_two_factor(user) -> None:
    """Every authenticator and recovery code of this person (to set up a new phone)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
