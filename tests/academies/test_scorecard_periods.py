"""The scorecard's table shows the latest TRUSTPLAN_SCORECARD_PERIODS periods (issue 19: 18
periods × 60 KPIs made a 16,000-element page a browser took ten times the sign-in page's time
to open); each KPI's chart still plots every period, and ?periods=all puts them all in the
table. The demo has six periods: the setting is lowered to two here."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from demo.values import generate_demo_values
from kpis.selectors import PeriodIndex

URL = reverse("academies:scorecard", args=["moreton-school"])


@pytest.fixture
def demo_values(trust):
    generate_demo_values()


def header_periods(page: str) -> list[str]:
    table = page[
        page.index('<table class="table table-sm table-bordered align-middle kpi-matrix">') :
    ]
    head = table[: table.index("</thead>")]
    return re.findall(r'<th scope="col">([^<]+)</th>', head)[3:-1]  # after KPI, Trend, Target


def row_cells(page: str, code: str) -> int:
    row = page[page.index(f'<th scope="row" class="kpi-name"><a href="/kpis/{code}/">') :]
    row = row[: row.index("</tr>")]
    return len(re.findall(r'<td class="rag[ "]', row))


@override_settings(TRUSTPLAN_SCORECARD_PERIODS=2)
def test_the_table_shows_the_latest_periods_and_offers_the_rest(client_for, demo_values):
    periods = [str(p) for p in PeriodIndex().periods]
    n = len(periods)
    assert n > 2
    page = client_for("trustee").get(URL).content.decode()
    assert header_periods(page) == periods[-2:]
    assert row_cells(page, "2.1") == 2
    assert f"The table shows the latest 2 of {n} periods; each KPI's chart shows them all." in page
    assert f'href="?periods=all#kpis-heading">Show all {n} periods</a>' in page
    # The chart still plots every period.
    chart = page[page.index('id="chart-2-1-moreton-school"') :]
    assert f"Line chart over {n} periods" in chart[: chart.index("</desc>")]


@override_settings(TRUSTPLAN_SCORECARD_PERIODS=2)
def test_periods_all_shows_every_period_and_the_way_back(client_for, demo_values):
    periods = [str(p) for p in PeriodIndex().periods]
    page = client_for("trustee").get(URL, {"periods": "all"}).content.decode()
    assert header_periods(page) == periods
    assert row_cells(page, "2.1") == len(periods)
    words = (
        f'The table shows all {len(periods)} periods. <a href="?#kpis-heading">Show the latest 2'
    )
    assert words in page


@override_settings(TRUSTPLAN_SCORECARD_PERIODS=2)
def test_the_two_tables_are_cached_apart(client_for, demo_values):
    client = client_for("trustee")
    latest = client.get(URL).content.decode()
    every = client.get(URL, {"periods": "all"}).content.decode()
    again = client.get(URL).content.decode()
    assert len(header_periods(latest)) == len(header_periods(again)) == 2
    assert len(header_periods(every)) == len(PeriodIndex().periods)


@override_settings(TRUSTPLAN_SCORECARD_PERIODS=2)
def test_an_unknown_periods_value_shows_the_latest(client_for, demo_values):
    page = client_for("trustee").get(URL, {"periods": "everything"}).content.decode()
    assert len(header_periods(page)) == 2


def test_with_no_more_periods_than_the_setting_nothing_is_hidden_or_offered(
    client_for, demo_values
):
    page = client_for("trustee").get(URL).content.decode()  # default 6, the demo's 6
    assert len(header_periods(page)) == len(PeriodIndex().periods) <= 6
    assert "scorecard-periods" not in page
