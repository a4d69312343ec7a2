"""The plan tree's editing buttons in a real browser: they sit in the cached tree and post
through the page's one form outside it (form="plan-edit", which carries the CSRF token)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_support import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_central_moves_an_objective_down_with_the_trees_button(
    live_server, new_context, trust, cast
):
    first, second = trust.objectives.order_by("number")[:2]
    page = sign_in(new_context().new_page(), live_server.url, "t-central")
    page.goto(f"{live_server.url}/plan/")

    page.locator(f"#objective-{first.pk}").locator("xpath=..").get_by_role(
        "button", name="Move down"
    ).click()

    expect(page.locator("h2.h4").first).to_have_attribute("id", f"objective-{second.pk}")
    assert trust.objectives.get(pk=first.pk).number == second.number
    assert trust.objectives.get(pk=second.pk).number == first.number
