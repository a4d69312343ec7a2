"""A large trust's board by academy group in a real browser (issue 19): a trustee follows the
overview's counts to one academy's reds in its group's matrix, opens and closes a group, and
reads a KPI by group then one group's academies; axe finds nothing on the grouped matrix, the
drill-down, the overview's summary and the KPI page by group, at desktop and phone widths.

The demo trust's five academies in two groups, with the threshold lowered to 3 so that they
open by group (settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE; a live server shares the settings).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.board.test_groups import _make_groups
from tests.browser_support import load_demo, screenshot, sign_in, table
from tests.test_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SPRING = "2023-24-spring"
CAPTION = "KPI values for 2023/24 Spring"


@pytest.fixture
def grouped(settings, trust, cast):
    load_demo(trust, cast["central"])
    settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE = 3
    return _make_groups()


def _header_cells(page):
    return table(page, CAPTION).locator("thead tr").first.locator("th")


def _expect_headers(page, expected: list[str]) -> None:
    """Wait (as expect does) until the matrix's header row reads exactly `expected`: a click
    starts a navigation, and reading the headers at once could read the old page or none."""
    expect(_header_cells(page)).to_have_text(expected, use_inner_text=True)


def test_a_trustee_follows_the_counts_from_the_overview_into_a_group(
    live_server, new_context, grouped
):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server.url, "t-trustee")
    page.goto(f"{live_server.url}/?period={SPRING}")
    summary = page.locator("table.exception-summary", has_text="North")
    expect(summary).to_be_visible()
    reds = summary.locator("a", has_text=re.compile(r"red at Aldersley High School"))
    count = int(reds.inner_text().split()[0])
    reds.click()
    expect(page).to_have_url(re.compile(r"group=north&academy=aldersley-high-school&outcome=red"))
    for position, name in enumerate(
        ["Aldersley High School", "Moreton School", "Amethyst Sixth Form"], start=1
    ):
        expect(_header_cells(page).nth(position)).to_have_text(name, use_inner_text=True)
    rows = table(page, CAPTION).locator("tbody tr:not(.area-row)")
    expect(rows).to_have_count(count)
    screenshot(page, "groups-drill-down-reds")
    page.get_by_role("link", name="Show every group").click()
    _expect_headers(
        page,
        [
            "KPI",
            "North 3 academies",
            "South 2 academies",
            "Amethyst Academies Trust",
        ],
    )
    page.get_by_role("link", name="South", exact=True).click()
    _expect_headers(
        page,
        [
            "KPI",
            "Penn Hall School",
            "Tettenhall Wood School",
            "South (group)",
            "Amethyst Academies Trust",
        ],
    )
    # Exceptions only, within the group.
    page.get_by_label("Exceptions only").check()
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"exceptions=1.*group=south|group=south.*exceptions=1"))
    expect(_header_cells(page).nth(1)).to_contain_text("Penn Hall School")


def test_a_kpi_page_opens_by_group_and_then_one_groups_academies(live_server, new_context, grouped):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server.url, "t-trustee")
    page.goto(f"{live_server.url}/kpis/2.1/")
    expect(page.get_by_role("heading", name="Trend by group")).to_be_visible()
    expect(page.locator("#chart-2-1-group-north")).to_be_visible()
    expect(page.locator("#academy-moreton-school")).to_have_count(0)
    page.locator("#group-north").get_by_role("link", name="North", exact=True).click()
    expect(page.locator("#academy-moreton-school")).to_be_visible()
    expect(page.locator("#academy-penn-hall-school")).to_have_count(0)
    screenshot(page, "groups-kpi-north")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_grouped_board_has_no_wcag_violations(live_server, new_context, grouped, width):
    page = new_context(bypass_csp=True, viewport={"width": width, "height": 900}).new_page()
    sign_in(page, live_server.url, "t-trustee")
    problems = []
    for name, url in [
        ("overview", f"/?period={SPRING}"),
        ("matrix", f"/kpis/?period={SPRING}"),
        ("drill-down", f"/kpis/?period={SPRING}&group=north"),
        ("group-reds", f"/kpis/?period={SPRING}&academy=group:north&outcome=red"),
        ("kpi", "/kpis/2.1/"),
        ("kpi-group", "/kpis/2.1/?group=south"),
    ]:
        page.goto(f"{live_server.url}{url}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        if scroll > width:
            problems.append(f"{name} ({url}) is {scroll} px wide at {width} px")
        problems += axe_violations(page, f"{name} ({url}) at {width} px")
        screenshot(page, f"groups-{name}-{width}")
    assert not problems, "axe or the width found:\n" + "\n".join(problems)
