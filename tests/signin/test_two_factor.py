"""Two-factor sign-in: set-up with a QR code, the verify step after the password, recovery
codes, the lockout (django-axes) on the code form, who is asked, and /admin/ behind it."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.db.models import F
from django.test import RequestFactory
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from signin import twofactor
from tests.conftest import PASSWORD

SETUP = "/accounts/two-factor/"
VERIFY = "/accounts/two-factor/verify/"
CODES = "/accounts/two-factor/recovery-codes/"


@pytest.fixture
def required(settings):
    settings.TRUSTPLAN_REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a right code straight after a wrong one


def code_for(device: TOTPDevice) -> str:
    """The code the person's app shows now (the device forgets the last one it accepted, so a
    test may use the same time step twice)."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:06d}"


def sign_in(client, username: str):
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def set_up(client, user) -> list[str]:
    """Through the set-up page: the code of the secret it shows; returns the recovery codes."""
    page = client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post(SETUP, {"otp_token": code_for(device)}).status_code == 302
    page = client.get(CODES).content.decode()
    return re.findall(r"<li>([a-z2-7]{8})</li>", page)


def test_an_administrator_must_set_up_two_factor_before_anything_else(client, cast, required):
    sign_in(client, "t-admin")
    for url in ("/", "/plan/", "/admin/", "/kpis/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{SETUP}?next={url.replace('/', '%2F')}", url


def test_the_setup_page_shows_a_qr_code_made_here_and_the_secret_as_text(client, cast, required):
    sign_in(client, "t-central")
    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=cast["central"], confirmed=False)
    data = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert data, "no QR code image"
    svg = base64.b64decode(data.group(1)).decode()
    assert "<svg" in svg and "<path" in svg
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg  # a file an <img> can draw
    secret = base64.b32encode(device.bin_key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page
    assert 'autocomplete="one-time-code"' in page
    # The same secret on every visit until it is confirmed.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=cast["central"]).count() == 1


def test_a_wrong_first_code_leaves_two_factor_off(client, cast, required):
    sign_in(client, "t-central")
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=cast["central"])
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP, {"otp_token": wrong})
    assert response.status_code == 400
    assert "That code is not the one your authenticator shows now" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/").status_code == 302


def test_setting_up_turns_it_on_and_shows_ten_recovery_codes_once(client, cast, required):
    sign_in(client, "t-central")
    codes = set_up(client, cast["central"])
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/").status_code == 200  # this session gave a code
    again = client.get(CODES).content.decode()
    assert not any(code in again for code in codes)
    assert "cannot be shown again" in again and "10 unused" in again


def test_the_next_sign_in_asks_for_a_code_and_returns_to_the_page(client, cast, required):
    sign_in(client, "t-central")
    set_up(client, cast["central"])
    client.post(reverse("logout"))
    sign_in(client, "t-central")
    response = client.get("/plan/")
    assert response["Location"] == f"{VERIFY}?next=%2Fplan%2F"
    device = TOTPDevice.objects.get(user=cast["central"], confirmed=True)
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Enter your code" in page.content.decode()
    response = client.post(VERIFY, {"otp_token": code_for(device), "next": "/plan/"})
    assert response.status_code == 302 and response["Location"] == "/plan/"
    assert client.get("/plan/").status_code == 200


def test_a_session_owing_a_code_cannot_replace_the_authenticator(client, cast, required):
    sign_in(client, "t-central")
    set_up(client, cast["central"])
    client.post(reverse("logout"))
    sign_in(client, "t-central")  # password only
    assert client.get(SETUP)["Location"].startswith(VERIFY)
    assert client.post("/accounts/two-factor/remove/")["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=cast["central"]).exists()


def test_a_recovery_code_works_once(client, cast, required):
    sign_in(client, "t-central")
    codes = set_up(client, cast["central"])
    for expected in ("used", "refused"):
        client.post(reverse("logout"))
        sign_in(client, "t-central")
        response = client.post(VERIFY, {"otp_token": codes[0].upper()})  # any case
        if expected == "used":
            assert response.status_code == 302
            assert StaticToken.objects.filter(device__user=cast["central"]).count() == 9
        else:
            assert response.status_code == 400
            assert "That code is not right" in response.content.decode()


def test_new_recovery_codes_replace_the_old(client, cast, required):
    sign_in(client, "t-central")
    old = set_up(client, cast["central"])
    assert client.post("/accounts/two-factor/recovery-codes/new/")["Location"] == CODES
    new = re.findall(r"<li>([a-z2-7]{8})</li>", client.get(CODES).content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)


def test_wrong_codes_lock_the_account_out_like_wrong_passwords(client, cast, required, settings):
    sign_in(client, "t-central")
    set_up(client, cast["central"])
    device = TOTPDevice.objects.get(user=cast["central"])
    client.post(reverse("logout"))
    sign_in(client, "t-central")
    wrong = f"{(int(code_for(device)) + 500_000) % 1_000_000:06d}"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(VERIFY, {"otp_token": wrong}).status_code == 400
    response = client.post(VERIFY, {"otp_token": wrong})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert SESSION_KEY not in client.session  # signed out
    attempt = AccessAttempt.objects.get(username="t-central")
    assert wrong not in attempt.post_data  # the code is masked in the log
    # The password form is locked for the same account and address too, right password or not.
    response = client.post(reverse("login"), {"username": "t-central", "password": PASSWORD})
    assert response.status_code == 429 and SESSION_KEY not in client.session


def test_a_right_code_clears_earlier_wrong_ones(client, cast, required):
    sign_in(client, "t-central")
    set_up(client, cast["central"])
    device = TOTPDevice.objects.get(user=cast["central"])
    client.post(reverse("logout"))
    sign_in(client, "t-central")
    wrong = f"{(int(code_for(device)) + 500_000) % 1_000_000:06d}"
    client.post(VERIFY, {"otp_token": wrong})
    assert AccessAttempt.objects.filter(username="t-central").exists()
    assert client.post(VERIFY, {"otp_token": code_for(device)}).status_code == 302
    assert not AccessAttempt.objects.filter(username="t-central").exists()


def test_others_are_not_made_to_use_it_but_are_asked_once_they_have(client, cast, required):
    sign_in(client, "t-trustee")
    assert client.get("/").status_code == 200
    codes = set_up(client, cast["trustee"])  # by choice
    assert len(codes) == 10
    client.post(reverse("logout"))
    sign_in(client, "t-trustee")
    assert client.get("/")["Location"].startswith(VERIFY)


def test_without_the_requirement_administrators_are_not_made_to(client, cast, settings):
    settings.TRUSTPLAN_REQUIRE_2FA = False
    sign_in(client, "t-admin")
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_the_admin_sign_in_is_followed_by_the_code_too(client, cast, required):
    sign_in(client, "t-admin")
    set_up(client, cast["admin"])
    client.post(reverse("logout"))
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "t-admin", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/admin/")["Location"].startswith(VERIFY)


def test_removing_the_authenticator_sends_a_required_person_back_to_set_up(client, cast, required):
    sign_in(client, "t-central")
    set_up(client, cast["central"])
    response = client.post("/accounts/two-factor/remove/")
    assert response["Location"] == SETUP
    assert not TOTPDevice.objects.filter(user=cast["central"], confirmed=True).exists()
    assert client.get("/")["Location"].startswith(SETUP)


def test_a_session_from_before_two_factor_works_out_what_it_owes_once(client, cast, required):
    client.force_login(cast["admin"])
    session = client.session
    session.pop(twofactor.OWED_SESSION_KEY)
    session.save()
    assert client.get("/")["Location"].startswith(SETUP)
    assert client.session[twofactor.OWED_SESSION_KEY] == "setup"


def test_a_page_costs_no_query_more_for_a_session_that_owes_nothing(client_for, settings, trust):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("central")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/my/").status_code == 200
        return len(queries)

    with_middleware = count()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "TwoFactor" not in m]
    assert count() == with_middleware


def test_the_providers_mfa_counts_only_when_the_trust_says_so(settings, cast):
    request = RequestFactory().get("/")
    request.user = cast["admin"]
    request.user.is_verified = lambda: False
    request.session = {twofactor.SSO_MFA_SESSION_KEY: True}
    settings.OIDC_TRUST_IDP_MFA = False
    assert not twofactor.is_verified(request)
    settings.OIDC_TRUST_IDP_MFA = True
    assert twofactor.is_verified(request)
    request.session = {twofactor.SSO_MFA_SESSION_KEY: False}
    assert not twofactor.is_verified(request)


def test_the_codes_are_the_ones_authenticator_apps_make(cast):
    device = TOTPDevice.objects.create(user=cast["trustee"], confirmed=False)
    assert device.step == 30 and device.digits == 6
    assert "issuer=Amethyst%20Academies%20Trust" in device.config_url


def test_a_code_straight_after_a_wrong_one_is_told_to_wait_not_refused(client, cast, settings):
    """django-otp's throttle (1 s after a wrong code, doubling): a right code typed within it
    would be refused as wrong; the page says to wait instead, and does not count it."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device = TOTPDevice.objects.create(user=cast["trustee"], name="Authenticator app")
    sign_in(client, "t-trustee")
    wrong = f"{(int(code_for(device)) + 500_000) % 1_000_000:06d}"
    assert client.post(VERIFY, {"otp_token": wrong}).status_code == 400
    response = client.post(VERIFY, {"otp_token": code_for(device)})
    assert response.status_code == 400
    assert "wait 1 second, then enter the code" in response.content.decode()
    assert AccessAttempt.objects.get(username="t-trustee").failures_since_start == 1
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=F("throttling_failure_timestamp") - timedelta(seconds=2)
    )
    assert client.post(VERIFY, {"otp_token": code_for(device)}).status_code == 302
