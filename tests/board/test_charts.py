"""The board's charts (board.charts): pure SVG from data, then the pages that show them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.urls import reverse

from board import charts
from demo.values import generate_demo_values
from kpis import rag
from kpis.models import KPI, Period
from kpis.selectors import PeriodIndex, board_matrix, kpi_history, trust_series
from tests.board.svg import SVG, circles, parse

D = Decimal


def point(i: int, value, outcome=rag.Outcome.GREEN, **extra) -> charts.Point:
    return charts.Point(
        period=f"Period {i}",
        term="Au",
        year="23/24" if i == 0 else "",
        value=None if value is None else D(value),
        shown="—" if value is None else str(value),
        outcome=outcome,
        **extra,
    )


def rects(root: ET.Element, css: str) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == css]


def test_the_target_band_follows_the_threshold_of_each_period():
    # A change target: the threshold moves with each term's baseline; amber 2 wide.
    points = [
        point(0, 30, threshold=D(20), amber=D(2)),
        point(1, 30, threshold=D(26), amber=D(2)),
        point(2, 30),  # no target this period: no band
    ]
    root = parse(charts.trend_chart(chart_id="c", title="t", points=points, measure="count"))
    targets = [
        float(line.get("y1"))
        for line in root.iter(f"{SVG}line")
        if line.get("class") == "chart-target"
    ]
    assert len(targets) == 2 and targets[0] > targets[1]  # 26 is drawn higher than 20
    greens, ambers = rects(root, "chart-band-green"), rects(root, "chart-band-amber")
    assert len(greens) == 2 and len(ambers) == 2
    # Each band spans its own period's column, and the amber margin sits below the target
    # (higher is better): it starts at the target line and is 2 units tall.
    assert float(greens[0].get("x")) < float(greens[1].get("x"))
    assert float(ambers[0].get("y")) == pytest.approx(targets[0], abs=0.1)


def test_periods_in_a_row_with_the_same_target_share_one_band():
    """Issue 19: one band per run of periods with the same target, as wide as the run."""
    same = dict(threshold=D(20), amber=D(2))
    points = [point(0, 30, **same), point(1, 30, **same), point(2, 30, **same)]
    points += [point(3, 30, threshold=D(24), amber=D(2)), point(4, 30, **same)]
    root = parse(charts.trend_chart(chart_id="c", title="t", points=points, measure="count"))
    greens = rects(root, "chart-band-green")
    assert len(greens) == 3 and len(rects(root, "chart-band-amber")) == 3
    widths = [float(g.get("width")) for g in greens]
    assert widths[0] == pytest.approx(3 * widths[1], abs=0.2)
    assert widths[1] == pytest.approx(widths[2], abs=0.1)
    targets = [ln for ln in root.iter(f"{SVG}line") if ln.get("class") == "chart-target"]
    assert float(targets[0].get("x2")) == pytest.approx(float(greens[1].get("x")), abs=0.1)


def test_the_national_figure_is_a_line_only_where_there_is_one():
    with_national = [point(i, 50, national=D(48 + i)) for i in range(3)]
    root = parse(charts.trend_chart(chart_id="c", title="t", points=with_national))
    lines = [p for p in root.iter(f"{SVG}polyline") if p.get("class") == "chart-national-line"]
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 3
    assert "national" in "".join(root.itertext())
    without = parse(charts.trend_chart(chart_id="c", title="t", points=[point(0, 50)]))
    assert not [p for p in without.iter(f"{SVG}polyline") if "national" in p.get("class")]


def test_lower_is_better_reverses_the_axis_and_says_so():
    points = [point(0, 10), point(1, 30)]
    up = parse(charts.trend_chart(chart_id="c", title="t", points=points, measure="count"))
    down = parse(
        charts.trend_chart(
            chart_id="c", title="t", points=points, lower_is_better=True, measure="count"
        )
    )
    # Screen y grows downwards: on a higher-is-better chart 30 is above 10; reversed, 10 is.
    (_, y10), (_, y30) = circles(up)
    assert y30 < y10
    (_, y10), (_, y30) = circles(down)
    assert y10 < y30
    assert charts.REVERSED_NOTE not in "".join(up.itertext())
    assert charts.REVERSED_NOTE in "".join(down.itertext())
    assert "Lower is better: axis reversed" in down.find(f"{SVG}desc").text


def test_lower_is_better_keeps_the_green_band_on_the_better_side():
    # At most 20: green from 20 down to the lowest value shown, which the reversed axis puts
    # at the top; amber from 20 to 22, below it on the screen.
    points = [point(0, 25, rag.Outcome.RED, threshold=D(20), amber=D(2))]
    root = parse(
        charts.trend_chart(
            chart_id="c", title="t", points=points, lower_is_better=True, measure="count"
        )
    )
    green, amber = rects(root, "chart-band-green")[0], rects(root, "chart-band-amber")[0]
    assert float(green.get("y")) == pytest.approx(charts.TOP)
    assert float(amber.get("y")) == pytest.approx(
        float(green.get("y")) + float(green.get("height")), abs=0.2
    )


def test_a_missing_period_breaks_the_line_and_shows_a_question_mark():
    points = [
        point(0, 10),
        point(1, 11),
        point(2, None, rag.Outcome.MISSING),
        point(3, 12),
        point(4, 13),
    ]
    root = parse(charts.trend_chart(chart_id="c", title="t", points=points))
    lines = [p for p in root.iter(f"{SVG}polyline") if p.get("class") == "chart-line"]
    assert [len(p.get("points").split()) for p in lines] == [2, 2]
    assert len(circles(root)) == 4
    missing = [t for t in root.iter(f"{SVG}text") if t.get("class") == "chart-missing"]
    assert [t.text for t in missing] == ["?"]
    assert "Missing: Period 2." in root.find(f"{SVG}desc").text


def axis_labels(root: ET.Element) -> list[str]:
    axis = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "chart-axis")
    return [t.text for t in axis.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]


def test_a_long_series_names_only_each_years_first_term():
    """18 terms (six years) would be 18 crowded labels: only each year's first is named."""
    terms = ["Au", "Sp", "Su"] * 6
    points = [
        charts.Point(
            period=f"Period {i}",
            term=term,
            year=f"{i // 3:02d}/{i // 3 + 1:02d}" if term == "Au" else "",
            value=D(10 + i),
            shown=str(10 + i),
            outcome=rag.Outcome.GREEN,
        )
        for i, term in enumerate(terms)
    ]
    root = parse(charts.trend_chart(chart_id="c", title="t", points=points))
    years = [f"{n:02d}/{n + 1:02d}" for n in range(6)]
    assert axis_labels(root) == [label for year in years for label in ("Au", year)]
    assert len(circles(root)) == 18  # every point is still drawn
    short = parse(charts.trend_chart(chart_id="c", title="t", points=points[:6]))
    assert axis_labels(short) == ["Au", "00/01", "Sp", "Su", "Au", "01/02", "Sp", "Su"]


def test_every_point_carries_its_rating_as_a_symbol_not_only_a_colour():
    points = [
        point(0, 10, rag.Outcome.GREEN),
        point(1, 11, rag.Outcome.AMBER),
        point(2, 12, rag.Outcome.RED),
    ]
    root = parse(charts.trend_chart(chart_id="c", title="t", points=points))
    symbols = {
        path.get("class"): path.get("d")
        for path in root.iter(f"{SVG}path")
        if "chart-symbol" in (path.get("class") or "")
    }
    # One symbol per judged point, each in its rating's class (✓ ! ✗ drawn as strokes: the
    # CSS gives each its colour, and the shape tells the rating without it).
    assert list(symbols) == [
        "chart-symbol chart-symbol-green",
        "chart-symbol chart-symbol-amber",
        "chart-symbol chart-symbol-red",
    ]
    assert [d.count("M") for d in symbols.values()] == [1, 1, 1]
    # ✓ is two strokes, ! a bar and a dot, ✗ two crossing strokes: three different shapes.
    assert len({re.sub(r"M[^l v m]*", "", d) for d in symbols.values()}) == 3


def test_a_charts_points_are_a_few_paths_not_two_elements_each():
    """A scorecard's 60 charts of 18 points drew a circle and a text per point (over 2,000
    elements): the dots of a rating are one path, its symbols another."""
    outcomes = [rag.Outcome.GREEN, rag.Outcome.AMBER, rag.Outcome.RED]
    points = [point(i, 10 + i, outcomes[i % 3]) for i in range(18)]
    root = parse(charts.trend_chart(chart_id="c", title="t", points=points))
    assert len(circles(root)) == 18
    series = root.find(f"{SVG}g[@class='chart-series']")
    assert [child.tag.split("}")[1] for child in series] == ["polyline"] + ["path"] * 6 + ["text"]
    assert not list(root.iter(f"{SVG}circle"))


def test_a_chart_has_an_accessible_name_and_description():
    svg = charts.trend_chart(
        chart_id="chart-2-1-moreton-school",
        title="2.1 Attendance: Moreton <School>",
        points=[point(0, 95, target="at least 95%")],
    )
    root = parse(svg)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby") == title.get("id") == "chart-2-1-moreton-school-title"
    assert root.get("aria-describedby") == desc.get("id")
    assert title.text == "2.1 Attendance: Moreton <School>"  # escaped in the markup
    assert "&lt;School&gt;" in svg
    assert "Latest: 95 (Green) in Period 0. Target: at least 95%." in desc.text


def _all_charts() -> list[str]:
    trend = charts.trend_chart(
        chart_id="c",
        title="t",
        points=[
            point(0, 10, threshold=D(12), amber=D(1), national=D(11)),
            point(1, None, rag.Outcome.MISSING),
        ],
        lower_is_better=True,
    )
    empty = charts.trend_chart(
        chart_id="e", title="t", points=[point(0, None, rag.Outcome.MISSING)]
    )
    bars = charts.stacked_bars(
        chart_id="b",
        title="t",
        rows=[charts.BarRow("Objective 1", (charts.Segment("on_track", "On track", "✓", 3),))],
    )
    return [trend, empty, bars]


@pytest.mark.parametrize("svg", _all_charts())
def test_charts_are_csp_clean_no_style_and_no_script(svg):
    assert "<style" not in svg
    assert not re.search(r"\sstyle\s*=", svg)
    assert "<script" not in svg and not re.search(r"\son\w+\s*=", svg)
    parse(svg)


def test_stacked_bars_label_each_segment_with_symbol_and_count():
    rows = [
        charts.BarRow(
            "Objective 1",
            (
                charts.Segment("complete", "Complete", "★", 4),
                charts.Segment("on_track", "On track", "✓", 11),
                charts.Segment("off_track", "Off track", "✗", 0),
            ),
        )
    ]
    svg = charts.stacked_bars(chart_id="b", title="Plan progress", rows=rows)
    root = parse(svg)
    assert len(rects(root, "chart-seg chart-seg-complete")) == 1
    assert not rects(root, "chart-seg chart-seg-off_track")  # nothing to draw for 0
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "★4" in texts and "✓11" in texts and "15" in texts
    assert root.find(f"{SVG}desc").text == "Objective 1: 4 complete, 11 on track."


# --- From the board's data ------------------------------------------------------------------


@pytest.fixture
def demo(trust):
    generate_demo_values()
    return PeriodIndex()


def test_each_band_is_the_threshold_that_judged_the_value(demo):
    """chart_bands and the RAG agree in every judged period, overrides included (2.1: the
    special schools' 90%), and a change target's band moves with the baseline (2.3)."""
    for code in ("2.1", "2.3"):
        kpi = KPI.objects.get(code=code)
        for series in kpi_history(kpi, demo):
            assert len(series.bands) == len(series.cells) == len(demo.periods)
            for cell, band in zip(series.cells, series.bands, strict=True):
                if cell.judgement.threshold is not None:
                    assert band.threshold == cell.judgement.threshold
    penn_hall = next(
        s
        for s in kpi_history(KPI.objects.get(code="2.1"), demo)
        if s.academy.slug == "penn-hall-school"
    )
    assert {band.threshold for band in penn_hall.bands if band} == {D(90)}
    suspensions = kpi_history(KPI.objects.get(code="2.3"), demo)[0]
    assert len({band.threshold for band in suspensions.bands if band}) > 1


def test_the_trust_series_matches_the_matrix_trust_column(demo):
    kpi = KPI.objects.get(code="2.3")
    trust = trust_series(kpi, kpi_history(kpi, demo), demo)
    for period, cell in zip(demo.periods, trust.cells, strict=True):
        row = next(r for r in board_matrix(period, demo).rows if r.kpi.pk == kpi.pk)
        assert (cell.value, cell.outcome) == (row.trust.value, row.trust.outcome)


def test_rag_by_area_counts_the_academies_cells_of_the_board(demo):
    board = board_matrix(Period.objects.get(slug="2023-24-autumn"), demo)
    rows = charts.rag_by_area_rows(board)
    assert [row.label for row in rows] == [str(group.area) for group in board.areas]
    greens = sum(s.count for row in rows for s in row.segments if s.key == "green")
    assert greens == sum(board.counts[a.pk][rag.Outcome.GREEN] for a in board.academies)


# --- Pages ----------------------------------------------------------------------------------


def test_the_kpi_page_shows_a_chart_per_academy_and_the_trust_with_data_tables(client_for, demo):
    content = client_for("trustee").get(reverse("kpis:detail", args=["2.3"])).content.decode()
    assert content.count('<svg class="chart chart-trend"') == 6  # the trust and 5 academies
    assert 'id="chart-2-3-trust"' in content and 'id="chart-2-3-moreton-school"' in content
    assert content.count("<summary>Data table") == 6
    assert charts.REVERSED_NOTE in content  # suspensions: lower is better
    assert 'href="#chart-2-3-moreton-school"' in content  # the table links each row's chart


def test_the_scorecard_has_a_chart_per_kpi_in_place_of_the_sparkline(client_for, demo):
    response = client_for("trustee").get(reverse("academies:scorecard", args=["moreton-school"]))
    content = response.content.decode()
    kpis = sum(len(group.rows) for group in response.context["areas"])
    assert content.count('<svg class="chart chart-trend"') == kpis
    assert 'class="sparkline"' not in content
    # Issue 19: no data table under each chart: its row's cells are that table.
    assert "<summary>Data table" not in content


def test_the_overview_shows_plan_progress_and_ratings_by_area(client_for, demo):
    content = client_for("trustee").get(reverse("home") + "?period=2023-24-autumn").content.decode()
    assert 'id="chart-plan-progress-title"' in content
    assert 'id="chart-rag-by-area-title"' in content
    assert "KPI ratings by area – 2023/24 Autumn" in content


@pytest.mark.parametrize(
    "url",
    [
        reverse("home") + "?period=2023-24-autumn",
        reverse("kpis:detail", args=["2.1"]),
        reverse("academies:scorecard", args=["moreton-school"]),
    ],
)
def test_pages_with_charts_have_no_inline_style_or_script(client_for, demo, url):
    content = client_for("trustee").get(url).content.decode()
    assert "<style" not in content
    assert not re.search(r"\sstyle\s*=", content)
    assert not re.search(r"<script(?![^>]*\ssrc=)", content)


def test_a_long_bar_label_is_shortened_to_fit_its_column_and_read_whole():
    """ "4. Leadership and Management" ran off the left of the label column at 24 characters;
    the shown label is at most 22, and the accessible description keeps the whole name."""
    name = "4. Leadership and Management"
    bars = charts.stacked_bars(
        chart_id="areas",
        title="Ratings by area",
        rows=[charts.BarRow(name, (charts.Segment("green", "Green", "✓", 38),))],
    )
    shown = re.search(r'<text class="chart-bar-label"[^>]*>([^<]*)</text>', bars).group(1)
    assert shown == "4. Leadership and Man…" and len(shown) <= 22
    assert name in bars  # in the <desc>
