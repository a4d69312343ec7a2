"""A real browser signs in and sees the board overview (Debian Chromium through Playwright)."""

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_trustee_signs_in_and_sees_the_academies_and_objectives(live_server, page, cast):
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("t-trustee")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.title().startswith("Board overview")
    academies = page.get_by_role("table").filter(has_text="Return")
    for name in ["Aldersley High School", "Moreton School", "Tettenhall Wood School"]:
        assert academies.get_by_text(name).is_visible()
    # The objective's row of the plan-progress table (the chart's description names it too).
    assert page.get_by_role("rowheader", name="Strategic objective 3:").is_visible()
    # Bootstrap is served by the app itself (no CDN): the navbar is styled.
    display = page.eval_on_selector(".navbar", "el => getComputedStyle(el).display")
    assert display == "flex"


def test_skip_link_is_the_first_thing_keyboard_users_reach(live_server, page, cast):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("t-head-a")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
