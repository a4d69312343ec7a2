"""Journeys in Chromium with mail through the real SMTP server on loopback: central team invite
a new head, who follows the link from the message they received, chooses a password and lands
signed in; later they forget it and reset it from the sign-in page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_support import load_demo, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invited_head_follows_the_mailed_link_and_later_resets_their_password(
    live_server, new_context, trust, cast, smtp, settings
):
    load_demo(trust, cast["central"])
    settings.TRUSTPLAN_SITE_URL = live_server.url  # the links in the mail lead here
    base = live_server.url

    central = new_context().new_page()
    sign_in(central, base, "t-central")
    central.get_by_role("link", name="People").click()
    central.get_by_role("link", name="Add a person").click()
    central.get_by_label("First name").fill("Jo")
    central.get_by_label("Last name").fill("Bloggs")
    central.get_by_label("E-mail address").fill("jo.bloggs@example.org")
    central.get_by_role("group", name="Role").get_by_label("Headteacher").check()
    central.get_by_role("group", name="Headteacher of").get_by_label("Moreton School").check()
    central.get_by_role("button", name="Add and send the invitation").click()
    expect(central.get_by_role("alert").or_(central.locator(".alert-success"))).to_contain_text(
        "Invitation sent to jo.bloggs@example.org"
    )
    screenshot(central, "journey-people-invited")

    [invitation] = smtp.to("jo.bloggs@example.org")
    [link, *_] = invitation.links()
    head = new_context().new_page()
    head.goto(link)
    expect(head.get_by_role("heading", level=1)).to_contain_text("Welcome")
    head.locator("#id_new_password1").fill("moreton-rocks-2024")
    head.locator("#id_new_password2").fill("moreton-rocks-2024")
    head.get_by_role("button", name="Choose password and sign in").click()
    expect(head.get_by_text("Welcome to trustplan, Jo Bloggs.")).to_be_visible()
    expect(head.get_by_text("Signed in as")).to_contain_text("Jo Bloggs")
    head.get_by_role("link", name="Returns").click()
    expect(head.get_by_role("heading", level=1)).to_be_visible()
    expect(head.get_by_role("main")).to_contain_text("Moreton School")
    head.get_by_role("button", name="Sign out").click()

    # The link works once.
    head.goto(link)
    expect(head.get_by_role("heading", level=1)).to_contain_text("no longer works")

    # Forgotten: the sign-in page's link, the mail, a new password.
    head.goto(f"{base}/accounts/login/")
    head.get_by_role("link", name="Forgotten your password?").click()
    head.locator("#id_email").fill("JO.BLOGGS@example.org")
    head.get_by_role("button", name="Send the link").click()
    expect(head.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    [reset] = [r for r in smtp.to("jo.bloggs@example.org") if "reset" in r.subject]
    head.goto(reset.links()[0])
    head.locator("#id_new_password1").fill("a-newer-passphrase-7")
    head.locator("#id_new_password2").fill("a-newer-passphrase-7")
    head.get_by_role("button", name="Change my password").click()
    expect(head.get_by_role("heading", level=1)).to_contain_text("Your password is changed")
    head.get_by_role("link", name="Sign in with it").click()
    head.get_by_label("Username").fill("jo.bloggs@example.org")
    head.get_by_label("Password").fill("a-newer-passphrase-7")
    head.get_by_role("button", name="Sign in").click()
    expect(head.get_by_text("Signed in as")).to_contain_text("Jo Bloggs")
    screenshot(head, "journey-people-signed-in-after-reset")
