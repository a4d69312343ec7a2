"""Single sign-on end to end in Chromium: trustplan on the live server, a real OpenID Connect
provider on loopback (django-oauth-toolkit in its own process, tests/signin/conftest.py). The
browser follows the redirect to the provider, signs in there, and comes back with a code that
trustplan exchanges (discovery, token endpoint, JWKS, ID token signature and nonce, userinfo);
nothing of the protocol is mocked. Two-factor sign-in after it, and axe on the new pages."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from django.test import override_settings
from playwright.sync_api import Page, Route, expect

from tests.browser_support import screenshot
from tests.conftest import PASSWORD
from tests.signin.conftest import PROVIDER_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in_with_provider(page: Page, base_url: str, username: str, next_path: str = "") -> None:
    page.context.set_default_timeout(15_000)
    page.goto(f"{base_url}/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_role("link", name="Sign in with Test Provider").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in to the provider").click()


def test_a_head_signs_in_with_the_provider_and_lands_where_they_asked(
    live_server, new_context, sso_live
):
    page = new_context().new_page()
    _sign_in_with_provider(page, live_server.url, "ann", "/plan/")
    expect(page).to_have_url(f"{live_server.url}/plan/")
    expect(page.get_by_text("Signed in as")).to_contain_text("t-head-a")


def test_an_unknown_address_is_refused_on_the_sign_in_page(live_server, new_context, sso_live):
    page = new_context().new_page()
    _sign_in_with_provider(page, live_server.url, "stranger")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text(
        "No active person in trustplan has the address stranger@example.org"
    )
    expect(page.get_by_label("Username")).to_be_visible()  # still signed out


def test_an_unverified_address_is_refused(live_server, new_context, sso_live):
    page = new_context().new_page()
    _sign_in_with_provider(page, live_server.url, "unverified")
    expect(page.get_by_role("status")).to_contain_text("does not say that central@example.org is")


def test_a_nonce_changed_in_the_browser_is_caught(live_server, new_context, sso_live):
    """trustplan's redirect to the provider is rewritten on its way (as an attacker replaying
    another sign-in's request would): the provider signs an ID token with that nonce, which is
    not the one this session keeps."""
    context = new_context()

    def tamper(route: Route) -> None:
        response = route.fetch(max_redirects=0)
        headers = dict(response.headers)
        parts = urlsplit(headers["location"])
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        assert query["nonce"], "trustplan sent no nonce"
        query["nonce"] = "replayed-nonce"
        headers["location"] = urlunsplit(parts._replace(query=urlencode(query)))
        route.fulfill(response=response, headers=headers)

    context.route(re.compile(r".*/accounts/oidc/start/.*"), tamper)
    page = context.new_page()
    _sign_in_with_provider(page, live_server.url, "ann")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text("JWT Nonce verification failed")


def test_an_id_token_not_signed_by_the_published_key_is_caught(live_server, new_context, sso_live):
    sso_live.mode("wrong-key")
    page = new_context().new_page()
    _sign_in_with_provider(page, live_server.url, "ann")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text("JWS token verification failed")


def test_an_administrator_signing_in_with_the_provider_still_sets_up_a_code(
    live_server, new_context, sso_live
):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with override_settings(TRUSTPLAN_REQUIRE_2FA=True):
        page = new_context().new_page()
        _sign_in_with_provider(page, live_server.url, "adm", "/admin/")
        expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
        qr_code = page.get_by_role("img", name=re.compile("QR code"))
        expect(qr_code).to_be_visible()
        assert qr_code.evaluate("img => img.complete && img.naturalWidth") > 100  # drawn
        device = TOTPDevice.objects.get(user__username="t-admin", confirmed=False)
        code = f"{totp(device.bin_key):06d}"
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
        codes = page.get_by_role("list", name="Your recovery codes").get_by_role("listitem")
        expect(codes).to_have_count(10)
        page.get_by_role("link", name="Continue").click()
        expect(page).to_have_url(f"{live_server.url}/admin/")


def test_the_password_sign_in_still_works_beside_the_button(live_server, new_context, sso_live):
    page = new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("t-trustee")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")


def test_the_sign_in_pages_have_no_wcag_violations(live_server, new_context, sso_live):
    """axe (WCAG 2.2 AA) on the sign-in page with its button, the set-up page (with its error),
    the recovery codes, the verify page (with its error) and the two-factor page."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.test_accessibility import axe_violations

    found = []
    with override_settings(TRUSTPLAN_REQUIRE_2FA=True, OTP_TOTP_THROTTLE_FACTOR=0):
        page = new_context().new_page()
        page.context.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/accounts/login/")
        found += axe_violations(page, "sign-in page with single sign-on")
        screenshot(page, "sign-in-with-single-sign-on")
        page.get_by_label("Username").fill("t-central")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
        found += axe_violations(page, "set-up page")
        screenshot(page, "two-factor-setup")
        page.get_by_label("Code").fill("12")
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        expect(page.get_by_text("The code is the six digits")).to_be_visible()
        found += axe_violations(page, "set-up page with its error")
        device = TOTPDevice.objects.get(user__username="t-central", confirmed=False)
        page.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
        found += axe_violations(page, "recovery codes")
        screenshot(page, "two-factor-recovery-codes")
        page.goto(f"{live_server.url}/accounts/two-factor/")
        found += axe_violations(page, "two-factor page")
        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("Username").fill("t-central")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
        found += axe_violations(page, "verify page")
        page.get_by_label("Code").fill("000000")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("That code is not right")).to_be_visible()
        found += axe_violations(page, "verify page with its error")
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
        device.refresh_from_db()
        page.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(f"{live_server.url}/")
    assert not found, "\n".join(found)
