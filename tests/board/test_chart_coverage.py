"""The trust's chart tells what it covers (issue 15, "Honest trust figures" and "Charts").

A trust trend is drawn only between like-for-like sets of academies: the trust's line on the
KPI page joined 13.2% (2023/24 Spring, Aldersley High School alone) to 27.9% (Summer,
Moreton School alone) as if the trust had improved. The line now breaks between two points
whose academies differ (the points stay), and the chart's data table gives each point's
coverage ("4 of 5") and, where the line breaks, why ("not comparable: Moreton School
missing"), as the matrix's trust cell does.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.urls import reverse

from academies.models import Academy, AcademyGroup, AcademyRole, RoleAssignment
from board import charts
from demo.values import generate_demo_values
from kpis import rag
from kpis.models import KPI, KPIValue, Period
from kpis.selectors import PeriodIndex, kpi_history, trust_series
from tests.board.svg import SVG, circles, parse

MORETON = "Moreton School"


def joined(root: ET.Element) -> list[list[float]]:
    """The x of each point of each drawn piece of the values' line."""
    return [
        [float(pair.split(",")[0]) for pair in line.get("points").split()]
        for line in root.iter(f"{SVG}polyline")
        if line.get("class") == "chart-line"
    ]


def point_x(root: ET.Element) -> list[float]:
    return [x for x, _ in circles(root)]


def point(i: int, value, **extra) -> charts.Point:
    return charts.Point(
        period=f"Period {i}",
        term="Au",
        year="",
        value=Decimal(value),
        shown=str(value),
        outcome=rag.Outcome.GREEN,
        **extra,
    )


def test_the_line_breaks_where_the_academies_differ_and_keeps_every_point():
    points = [
        point(0, 10, coverage="5 of 5"),
        point(1, 11, coverage="5 of 5"),
        point(2, 9, coverage="4 of 5", break_note=f"not comparable: {MORETON} missing"),
        point(3, 8, coverage="4 of 5"),
    ]
    root = parse(charts.trend_chart(chart_id="c", title="t", points=points))
    xs = point_x(root)
    assert len(xs) == 4  # every point is drawn
    assert joined(root) == [xs[:2], xs[2:]]  # …but 11 and 9 are not joined
    desc = root.find(f"{SVG}desc").text
    assert f"Line broken at Period 2 (not comparable: {MORETON} missing)." in desc


def test_a_point_on_its_own_between_two_breaks_is_a_point_not_a_line():
    points = [
        point(0, 10),
        point(1, 11, break_note="not comparable: A missing"),
        point(2, 12, break_note="not comparable: B missing"),
    ]
    root = parse(charts.trend_chart(chart_id="c", title="t", points=points))
    assert joined(root) == []
    assert len(point_x(root)) == 3


# --- The trust's series from the demo -------------------------------------------------------


@pytest.fixture
def periods(trust):
    generate_demo_values()
    return PeriodIndex()


def _moreton_missing_in_spring():
    """Every academy reported 2.3 in the 2023/24 autumn; Moreton did not in the spring."""
    spring = Period.objects.get(slug="2023-24-spring")
    KPIValue.objects.filter(kpi__code="2.3", period=spring, academy__name=MORETON).delete()


def _trust_chart(code: str, periods: PeriodIndex) -> charts.Chart:
    kpi = KPI.objects.get(code=code)
    return charts.series_chart(
        trust_series(kpi, kpi_history(kpi, periods), periods), periods.periods
    )


def test_the_trust_points_carry_their_coverage_and_the_break_says_who_is_missing(periods):
    _moreton_missing_in_spring()
    chart = _trust_chart("2.3", periods)
    by_period = {p.period: p for p in chart.points}
    autumn, spring = by_period["2023/24 Autumn"], by_period["2023/24 Spring"]

    assert (autumn.coverage, autumn.break_note) == ("5 of 5", "")
    assert spring.coverage == "4 of 5"
    assert spring.break_note == f"not comparable: {MORETON} missing"
    # Autumn's and spring's points are drawn, and not joined.
    root = parse(chart.svg)
    i_autumn, i_spring = chart.points.index(autumn), chart.points.index(spring)
    valued = [i for i, p in enumerate(chart.points) if p.value is not None]
    xs = dict(zip(valued, point_x(root), strict=True))
    assert not any(xs[i_autumn] in piece and xs[i_spring] in piece for piece in joined(root))


def test_an_academy_back_after_a_missing_term_breaks_the_line_too(periods):
    """Moreton misses the 2022/23 spring and is back in the summer: the spring (without it)
    and the summer (with it) are not comparable either, and the note says when it lacked."""
    spring = Period.objects.get(slug="2022-23-spring")
    KPIValue.objects.filter(kpi__code="2.3", period=spring, academy__name=MORETON).delete()
    chart = _trust_chart("2.3", periods)
    by_period = {p.period: p for p in chart.points}
    assert by_period["2022/23 Spring"].coverage == "4 of 5"
    assert by_period["2022/23 Spring"].break_note == f"not comparable: {MORETON} missing"
    summer = by_period["2022/23 Summer"]
    assert summer.coverage == "5 of 5"
    assert summer.break_note == f"not comparable: {MORETON} missing in 2022/23 Spring"


def test_the_same_academies_in_every_period_draw_one_line(periods):
    chart = _trust_chart("2.3", periods)
    first_three = chart.points[:4]  # 2022/23 and the 2023/24 autumn: all five academies
    assert [p.coverage for p in first_three] == ["5 of 5"] * 4
    assert not any(p.break_note for p in first_three)
    assert len(joined(parse(chart.svg))[0]) >= 4


def test_an_academys_own_chart_has_no_coverage(periods):
    kpi = KPI.objects.get(code="2.3")
    series = kpi_history(kpi, periods)[0]
    chart = charts.series_chart(series, periods.periods)
    assert not any(p.coverage or p.break_note for p in chart.points)


def test_the_kpi_pages_trust_table_gives_coverage_and_the_break(client_for, periods):
    _moreton_missing_in_spring()
    content = client_for("trustee").get(reverse("kpis:detail", args=["2.3"])).content.decode()
    trust = content[content.index('id="chart-2-3-trust"') :]
    trust = trust[: trust.index("</figure>")]
    assert '<th scope="col">Academies</th>' in trust
    assert "4 of 5" in trust and "5 of 5" in trust
    assert f"not comparable: {MORETON} missing" in trust
    assert "The line is broken where the academies counted differ" in trust  # seen unopened
    # An academy's own chart has no such column.
    moreton = content[content.index('id="chart-2-3-moreton-school"') :]
    moreton = moreton[: moreton.index("</figure>")]
    assert '<th scope="col">Academies</th>' not in moreton


# --- Academies the KPI does not apply to ------------------------------------------------------


def test_no_chart_for_an_academy_the_kpi_does_not_apply_to(client_for, periods):
    """1.2 English and maths (9-7) applies to the secondary schools only: the special
    schools and the sixth form had an empty "no submitted values" chart each."""
    content = client_for("trustee").get(reverse("kpis:detail", args=["1.2"])).content.decode()
    assert content.count('<svg class="chart chart-trend"') == 3  # the trust and 2 academies
    assert 'id="chart-1-2-aldersley-high-school"' in content
    assert 'id="chart-1-2-moreton-school"' in content
    for slug in ("penn-hall-school", "tettenhall-wood-school", "amethyst-sixth-form"):
        assert f'id="chart-1-2-{slug}"' not in content
        assert f'href="#chart-1-2-{slug}"' not in content  # no link to a chart not drawn
    assert "no submitted values" not in content
    assert (
        "Does not apply to: Amethyst Sixth Form, Penn Hall School and Tettenhall Wood School."
        in content
    )
    assert content.count("Does not apply to:") == 1
    # A KPI for every academy: a chart each, no such line.
    content = client_for("trustee").get(reverse("kpis:detail", args=["2.3"])).content.decode()
    assert content.count('<svg class="chart chart-trend"') == 6
    assert "Does not apply to:" not in content


def test_no_chart_for_a_group_of_academies_the_kpi_does_not_apply_to(client_for, periods, settings):
    """By group (above TRUSTPLAN_GROUP_COLUMNS_ABOVE academies): South, the two special
    schools, has no 1.2 chart; North (the secondary schools and the sixth form) has."""
    north = AcademyGroup.objects.create(name="North", slug="north", position=1)
    south = AcademyGroup.objects.create(name="South", slug="south", position=2)
    Academy.objects.filter(phase__in=["secondary", "sixth_form"]).update(group=north)
    Academy.objects.filter(phase="special").update(group=south)
    settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE = 3
    content = client_for("trustee").get(reverse("kpis:detail", args=["1.2"])).content.decode()
    assert 'id="chart-1-2-group-north"' in content
    assert 'id="chart-1-2-group-south"' not in content
    assert 'href="#chart-1-2-group-south"' not in content
    assert "Does not apply to: South (group)." in content


# --- The overview's ratings by area, for a reader who sees some academies ---------------------


def _rag_heading(content: str) -> str:
    start = content.index('<figure class="chart-figure chart-bars-figure" id="rag-by-area">')
    heading = content[start : content.index("</figcaption>", start)]
    return heading[heading.index("KPI ratings by area") :]


def test_the_ratings_by_area_say_whose_values_they_count(client_for, cast, periods):
    """A governor of Moreton School sees only Moreton's cells counted: the heading said
    "(every academy's values)"."""
    url = reverse("home") + "?period=2023-24-autumn"
    heading = _rag_heading(client_for("governor").get(url).content.decode())
    assert heading == "KPI ratings by area – 2023/24 Autumn (Moreton School's values)"
    # governor_b governs Aldersley High School; here Penn Hall School too.
    RoleAssignment.objects.create(
        user=cast["governor_b"],
        academy=Academy.objects.get(slug="penn-hall-school"),
        role=AcademyRole.GOVERNOR,
    )
    heading = _rag_heading(client_for("governor_b").get(url).content.decode())
    assert heading == (
        "KPI ratings by area – 2023/24 Autumn (the values of Aldersley High School and "
        "Penn Hall School)"
    )
    heading = _rag_heading(client_for("trustee").get(url).content.decode())
    assert heading == "KPI ratings by area – 2023/24 Autumn (every academy's values)"
