"""Accessibility of the people pages in a real browser: axe-core's WCAG 2.2 AA rules on the
password-reset pages, the invitation's page, the People pages and My reminders, their error
states included; no violation allowed. Screenshots to test-artifacts/."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Page, expect

from people import services
from people.tokens import invitation_token
from tests.browser_support import load_demo, screenshot, sign_in
from tests.test_accessibility import USERNAMES, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _check(page: Page, name: str, problems: list[str]) -> None:
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    problems += axe_violations(page, f"{name} ({page.url})")
    screenshot(page, f"a11y-people-{name}")


def test_people_pages_have_no_wcag_violations(live_server, new_context, trust, cast):
    load_demo(trust, cast["central"])
    base = live_server.url
    problems: list[str] = []

    # Someone who cannot sign in: password reset, its errors, its answer; a broken link.
    page = new_context(bypass_csp=True).new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Forgotten your password?").click()
    _check(page, "password-reset", problems)
    page.locator("#id_email").fill("not an address")
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    _check(page, "password-reset-errors", problems)
    page.locator("#id_email").fill("nobody@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    _check(page, "password-reset-done", problems)
    page.goto(f"{base}{reverse('password_reset_confirm', args=['MQ', 'no-token'])}")
    _check(page, "password-reset-broken-link", problems)

    # An invited person: the invitation's page, with a refused password.
    person = services.invite_person(
        details=services.PersonDetails("Jo", "Bloggs", "jo@example.org", ["Trustee"]),
        by=cast["admin"],
    )
    services.send_invitation(user=person, by=cast["admin"])
    person.refresh_from_db()
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    page.goto(f"{base}{reverse('people:accept', args=[uid, invitation_token.make_token(person)])}")
    _check(page, "invitation", problems)
    page.locator("#id_new_password1").fill("short")
    page.locator("#id_new_password2").fill("short")
    page.get_by_role("button", name="Choose password and sign in").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    _check(page, "invitation-errors", problems)
    page.goto(f"{base}{reverse('people:accept', args=[uid, 'no-token'])}")
    _check(page, "invitation-broken-link", problems)

    # Central team: the People pages, a refused form, a person with history.
    page = new_context(bypass_csp=True).new_page()
    sign_in(page, base, USERNAMES["central"])
    page.goto(f"{base}/people/")
    _check(page, "people", problems)
    page.get_by_role("link", name="Add a person").click()
    _check(page, "add-person", problems)
    page.get_by_role("button", name="Add and send the invitation").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    _check(page, "add-person-errors", problems)
    page.goto(f"{base}/people/{person.pk}/")
    page.get_by_role("button", name="Deactivate (signs them out at once)").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    _check(page, "person-with-history", problems)

    # A head: their own reminders.
    page = new_context(bypass_csp=True).new_page()
    sign_in(page, base, USERNAMES["head_a"])
    page.get_by_role("link", name="My reminders").click()
    _check(page, "my-reminders", problems)

    assert not problems, "axe found:\n" + "\n".join(problems)
