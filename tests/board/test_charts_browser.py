"""The charts in a real browser: axe finds nothing on the pages that carry them, a chart is
drawn (visible, sized) under the site's CSP, the Data table opens, and the charts print."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_support import load_demo, screenshot, sign_in
from tests.test_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    ("overview", "/?period=2023-24-spring"),
    ("kpi-2.1", "/kpis/2.1/"),
    ("kpi-2.3", "/kpis/2.3/"),
    ("scorecard", "/academies/moreton-school/"),
]


def test_pages_with_charts_have_no_wcag_violations(live_server, new_context, trust, cast):
    load_demo(trust, cast["central"])
    # axe is injected as a script: only this context may bypass the site's strict CSP.
    page = new_context(bypass_csp=True).new_page()
    sign_in(page, live_server.url, "t-trustee")
    problems = []
    for name, url in PAGES:
        page.goto(f"{live_server.url}{url}")
        expect(page.locator("svg.chart").first).to_be_visible()
        problems += axe_violations(page, f"{name} ({url})")
    assert not problems, "axe found:\n" + "\n".join(problems)


def test_a_kpi_chart_draws_under_the_csp_and_its_data_table_opens(
    live_server, new_context, trust, cast
):
    load_demo(trust, cast["central"])
    page = new_context().new_page()  # the site's own CSP applies
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    sign_in(page, live_server.url, "t-trustee")
    page.goto(f"{live_server.url}/kpis/2.3/")
    chart = page.get_by_role("img", name="2.3 Suspensions reduced by 25%: Moreton School")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 80, box
    # Styled from the stylesheet: the green band is filled (not the default black).
    fill = page.locator("#chart-2-3-moreton-school .chart-band-green").first.evaluate(
        "element => getComputedStyle(element).fill"
    )
    assert fill == "rgb(212, 237, 218)", fill
    figure = page.locator("#chart-2-3-moreton-school")
    expect(figure.get_by_text("lower is better: axis reversed", exact=True)).to_be_visible()
    figure.locator("summary").click()
    expect(figure.get_by_role("table")).to_be_visible()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    # The table's "Chart" link leads to the chart.
    page.get_by_role("link", name="Chart of Moreton School").click()
    expect(page).to_have_url(f"{live_server.url}/kpis/2.3/#chart-2-3-moreton-school")


@pytest.mark.parametrize("width", [1280, 390])
def test_charts_fit_and_print(live_server, new_context, trust, cast, width):
    load_demo(trust, cast["central"])
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(page, live_server.url, "t-trustee")
    for name, url in PAGES:
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("load")
        widths = page.evaluate("() => document.documentElement.scrollWidth")
        assert widths <= width, f"{url} is {widths} px wide at {width} px"
        screenshot(page, f"charts-{name}-{width}")
    page.emulate_media(media="print")
    page.goto(f"{live_server.url}/kpis/2.3/")
    expect(page.locator("svg.chart").first).to_be_visible()
    expect(page.locator(".chart-data").first).to_be_hidden()  # the data table stays on screen
    screenshot(page, f"charts-kpi-2.3-print-{width}")
