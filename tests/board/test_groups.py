"""Academy groups (issue 19): group figures aggregated like the trust column, the board by
group above settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE academies, and a small trust unchanged.

The demo trust's five academies in two groups: North (Aldersley, Moreton, the Sixth Form)
and South (Penn Hall, Tettenhall Wood, the two special schools). Most tests lower the
threshold to 3 so that the five open by group.
"""

from __future__ import annotations

import re

import pytest
import tablib
from django.urls import reverse

from academies.admin import AcademyResource
from academies.models import Academy, AcademyGroup
from board.views import exception_summary
from demo.values import generate_demo_values
from kpis import rag
from kpis.cache import board_version
from kpis.models import Period
from kpis.selectors import PeriodIndex, board_matrix

NORTH = ["aldersley-high-school", "moreton-school", "amethyst-sixth-form"]
SOUTH = ["penn-hall-school", "tettenhall-wood-school"]
MATRIX = reverse("kpis:matrix") + "?period=2023-24-spring"


def _make_groups() -> dict[str, AcademyGroup]:
    north = AcademyGroup.objects.create(name="North", slug="north", position=1)
    south = AcademyGroup.objects.create(name="South", slug="south", position=2)
    Academy.objects.filter(slug__in=NORTH).update(group=north)
    Academy.objects.filter(slug__in=SOUTH).update(group=south)
    return {"north": north, "south": south}


@pytest.fixture
def demo(trust):
    generate_demo_values()
    return Period.objects.get(slug="2023-24-spring")


@pytest.fixture
def groups(demo):
    return _make_groups()


@pytest.fixture
def by_group(settings, groups):
    """The five demo academies open by group (more than three academies)."""
    settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE = 3
    return groups


def _headers(html: str) -> list[str]:
    """The matrix's column headers, as text."""
    head = html[html.index("<thead") : html.index("</thead>")]
    cells = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', head, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


# --- The figures ------------------------------------------------------------------------------


@pytest.mark.parametrize("period_slug", ["2023-24-autumn", "2023-24-spring", "2023-24-summer"])
def test_a_groups_cell_is_the_trust_figure_of_its_academies_alone(groups, period_slug):
    """Each group's cell is what the trust column would be were the group the whole trust:
    the same value, rating, explanation, coverage, previous figure and like-for-like trend."""
    periods = PeriodIndex()
    period = periods.by_slug[period_slug]
    board = board_matrix(period, periods)
    assert [column.group.slug for column in board.groups] == ["north", "south"]
    compared = 0
    for index, slugs in enumerate((NORTH, SOUTH)):
        alone = board_matrix(
            period, periods, academies=list(Academy.objects.active().filter(slug__in=slugs))
        )
        for row, row_alone in zip(board.rows, alone.rows, strict=True):
            cell, trust = row.groups[index], row_alone.trust
            assert (cell.value, cell.outcome, cell.judgement.explanation) == (
                trust.value,
                trust.outcome,
                trust.judgement.explanation,
            ), row.kpi.code
            assert (cell.coverage, cell.unreported, cell.previous, cell.trend) == (
                trust.coverage,
                trust.unreported,
                trust.previous,
                trust.trend,
            ), row.kpi.code
            assert cell.trend_note == trust.trend_note
            compared += cell.value is not None
    assert compared > 20


def test_a_groups_cell_counts_its_academies_exceptions(groups, demo):
    periods = PeriodIndex()
    board = board_matrix(demo, periods)
    for row in board.rows:
        for column, cell in zip(board.groups, row.groups, strict=True):
            mine = {a.pk for a in column.academies}
            assert cell.exceptions == sum(
                1 for c in row.cells if c.academy.pk in mine and c.is_exception
            )
    assert any(cell.exceptions for row in board.rows for cell in row.groups)


def test_a_share_meeting_kpi_is_judged_by_the_trust_target_in_each_group(groups, demo):
    """A share of academies meeting target: 1 of 2 South academies green is 50%, judged
    against the trust target (100% unless set) with one academy's share of amber."""
    periods = PeriodIndex()
    board = board_matrix(demo, periods)
    shares = [row for row in board.rows if row.kpi.aggregation in rag.SHARES]
    assert shares
    for row in shares:
        south = row.groups[1]
        judged = [
            c for c in row.cells if c.academy.slug in SOUTH and c.outcome in (rag.SEVERITY.keys())
        ]
        if judged:
            green = sum(1 for c in judged if c.outcome == rag.Outcome.GREEN)
            assert south.value == rag.share(green, len(judged)), row.kpi.code


# --- A small trust sees what it saw -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        MATRIX,
        MATRIX + "&exceptions=1",
        reverse("home") + "?period=2023-24-spring",
        reverse("kpis:detail", args=["2.1"]),
    ],
)
def test_below_the_threshold_groups_change_nothing_on_the_board(client_for, demo, url):
    client = client_for("trustee")
    before = client.get(url).content.decode()
    _make_groups()
    after = client.get(url).content.decode()
    # The page is the same but for the CSRF token and the CSP nonce, which change anyway.
    assert _without_tokens(after) == _without_tokens(before)
    assert "North" not in after


def _without_tokens(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'nonce="[^"]+"', "", html)


# --- The matrix by group ----------------------------------------------------------------------


def test_above_the_threshold_the_matrix_has_a_column_per_group_and_the_trusts(client_for, by_group):
    response = client_for("trustee").get(MATRIX)
    html = response.content.decode()
    assert _headers(html) == [
        "KPI",
        "North 3 academies",
        "South 2 academies",
        "Amethyst Academies Trust",
    ]
    assert 'href="?period=2023-24-spring&amp;group=north"' in html
    assert "by academy group" in html
    board = response.context["board"]
    assert board.grouped and board.academies == [] and len(board.rows) == 31


def test_an_academy_in_no_group_keeps_its_own_column(client_for, by_group):
    Academy.objects.filter(slug="amethyst-sixth-form").update(group=None)
    headers = _headers(client_for("trustee").get(MATRIX).content.decode())
    assert headers == [
        "KPI",
        "Amethyst Sixth Form",
        "North 2 academies",
        "South 2 academies",
        "Amethyst Academies Trust",
    ]


def test_a_groups_header_opens_its_academies_with_the_groups_figure(client_for, by_group):
    response = client_for("trustee").get(MATRIX + "&group=south")
    html = response.content.decode()
    assert _headers(html) == [
        "KPI",
        "Penn Hall School",
        "Tettenhall Wood School",
        "South (group)",
        "Amethyst Academies Trust",
    ]
    assert "Show every group" in html and "by academy of South" in html
    full = client_for("trustee").get(MATRIX).context["board"]
    drilled = response.context["board"]
    # The group's and the trust's cells are those of the grouped matrix.
    for row, whole in zip(drilled.rows, full.rows, strict=True):
        assert row.groups[0].value == whole.groups[1].value
        assert row.trust.value == whole.trust.value


def test_exceptions_only_keeps_a_row_whose_group_looks_fine_but_an_academy_does_not(
    client_for, by_group
):
    client = client_for("trustee")
    full = client.get(MATRIX).context["board"]
    rows = client.get(MATRIX + "&exceptions=1").context["board"].rows
    expected = [
        row.kpi.code
        for row in full.rows
        if row.trust.is_exception
        or any(cell.is_exception or cell.exceptions for cell in row.groups)
    ]
    assert [row.kpi.code for row in rows] == expected
    assert 0 < len(rows) < len(full.rows)
    hidden = [
        row
        for row in rows
        if not row.trust.is_exception and not any(c.is_exception for c in row.groups)
    ]
    assert hidden, "a row kept only for an academy's exception inside a group"


def test_a_groups_red_count_shows_only_the_rows_where_that_group_is_red(client_for, by_group):
    client = client_for("trustee")
    full = client.get(MATRIX).context["board"]
    north = full.groups[0].group
    reds = full.counts["group", north.pk]["red"]
    assert reds > 0
    assert "academy=group:north&amp;outcome=red" in client.get(MATRIX).content.decode()
    rows = client.get(MATRIX + "&academy=group:north&outcome=red").context["board"].rows
    assert len(rows) == reds
    assert all(row.groups[0].outcome == rag.Outcome.RED for row in rows)


def test_an_academys_count_in_an_opened_group_keeps_the_group_open(client_for, by_group):
    html = client_for("trustee").get(MATRIX + "&group=north").content.decode()
    assert "group=north&amp;academy=moreton-school&amp;outcome=red" in html


def test_the_phase_filter_works_out_the_groups_from_that_phases_academies(client_for, by_group):
    """Special schools only: two academies, below the threshold, so their own columns."""
    board = client_for("trustee").get(MATRIX + "&phase=secondary").context["board"]
    assert [a.slug for a in board.academies] == ["aldersley-high-school", "moreton-school"]
    assert board.groups == []


def test_a_governor_sees_no_group_whose_academies_they_do_not_all_govern(
    client_for, settings, groups
):
    settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE = 0
    board = client_for("governor").get(MATRIX).context["board"]
    # Moreton School's governor: North has two academies they do not govern.
    assert board.groups == [] and [a.slug for a in board.academies] == ["moreton-school"]


def test_grouped_pages_run_the_same_queries_as_ungrouped(
    client_for, demo, settings, django_assert_num_queries
):
    client = client_for("trustee")
    urls = [
        MATRIX,
        MATRIX + "&group=north",
        reverse("home") + "?period=2023-24-spring",
        reverse("kpis:detail", args=["2.1"]),
        reverse("kpis:detail", args=["2.1"]) + "?group=south",
    ]
    from tests.kpis.test_board_pages import queries_for

    plain = [queries_for(client, url) for url in urls]
    _make_groups()
    settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE = 3
    assert [queries_for(client, url) for url in urls] == plain
    # The pinned counts of tests/kpis/test_board_pages.py: matrix 13, KPI page 14.
    assert plain[0] == 13 and plain[3] == 14


# --- The overview and a KPI's page by group -------------------------------------------------


def test_the_overview_counts_exceptions_by_group_and_academy(client_for, by_group, demo):
    html = client_for("trustee").get(reverse("home") + "?period=2023-24-spring").content.decode()
    board = board_matrix(demo, PeriodIndex())
    summary = exception_summary(board)
    assert [entry.group.slug for entry in summary] == ["north", "south"]
    cells = board.exceptions()
    for entry in summary:
        for line in entry.academies:
            mine = [c for _, c in cells if c.academy.pk == line.academy.pk]
            assert line.red == sum(1 for c in mine if c.outcome == rag.Outcome.RED)
            assert line.total == len(mine)
            if line.red:
                assert (
                    f"group={entry.group.slug}&amp;academy={line.academy.slug}&amp;outcome=red"
                    in html
                )
    assert "exception-summary" in html and "exception-list" not in html
    assert f"North: {summary[0].total} exception" in html


def test_a_kpi_page_shows_groups_first_and_a_groups_academies_on_request(client_for, by_group):
    client = client_for("trustee")
    url = reverse("kpis:detail", args=["2.1"])
    html = client.get(url).content.decode()
    assert 'id="group-north"' in html and 'id="group-south"' in html
    assert 'id="academy-moreton-school"' not in html
    assert 'id="chart-2-1-group-north"' in html and "Trend by group" in html
    opened = client.get(url + "?group=south").content.decode()
    assert 'id="academy-penn-hall-school"' in opened
    assert 'id="academy-tettenhall-wood-school"' in opened
    assert 'id="academy-moreton-school"' not in opened and 'id="group-north"' not in opened


# --- Setting groups up ------------------------------------------------------------------------


def test_the_academy_import_sets_each_academys_group_by_name(trust, cast):
    north = AcademyGroup.objects.create(name="North hub", slug="north-hub")
    data = AcademyResource().export()
    rows = tablib.Dataset(headers=data.headers)
    for row in data.dict:
        row["group"] = "North hub" if row["slug"] in NORTH else ""
        rows.append([row[h] for h in data.headers])
    result = AcademyResource().import_data(rows, dry_run=False, user=cast["admin"])
    assert not result.has_errors() and not result.has_validation_errors()
    assert sorted(north.academies.values_list("slug", flat=True)) == sorted(NORTH)
    assert not Academy.objects.filter(slug__in=SOUTH, group__isnull=False).exists()


def test_the_academy_import_refuses_an_unknown_group_and_writes_nothing(trust, cast):
    data = AcademyResource().export()
    rows = tablib.Dataset(headers=data.headers)
    for row in data.dict:
        row["group"] = "Nowhere"
        rows.append([row[h] for h in data.headers])
    result = AcademyResource().import_data(rows, dry_run=False, user=cast["admin"])
    assert result.has_errors() or result.has_validation_errors()
    assert not Academy.objects.filter(group__isnull=False).exists()


def test_changing_a_group_renews_the_boards_cache(groups):
    before = board_version()
    groups["north"].name = "North and West"
    groups["north"].save()
    assert board_version() != before


def test_the_filters_keep_an_opened_group_open(client_for, by_group):
    html = client_for("trustee").get(MATRIX + "&group=south").content.decode()
    assert '<input type="hidden" name="group" value="south">' in html
    assert 'name="group"' not in client_for("trustee").get(MATRIX).content.decode()


def _counting_cells(monkeypatch) -> list:
    """Every academy cell made from here on (kpis.selectors.Cell with an academy), listed."""
    import kpis.selectors as selectors

    made: list = []
    real = selectors.Cell

    def counted(*args, **kwargs):
        cell = real(*args, **kwargs)
        if cell.academy is not None:
            made.append(cell)
        return cell

    monkeypatch.setattr(selectors, "Cell", counted)
    return made


def test_a_large_trusts_board_makes_only_the_academy_cells_it_shows(
    client_for, by_group, demo, monkeypatch
):
    """Above the threshold the matrix shows group columns and the overview counts: their
    academies' cells (9,000 at full scale) are made only where read — none for the grouped
    matrix, the exceptions alone for the overview's counts, one group's for its drill-down."""
    periods = PeriodIndex()
    every = board_matrix(demo, periods)
    # Every exception cell, Moreton's missing values too (Board.exceptions leaves those of an
    # academy that has not submitted to Board.unsubmitted, after making them).
    exceptions = sum(1 for row in every.rows for cell in row.cells if cell.is_exception)
    cells = len(every.academies) * len(every.rows)
    assert len(every.exceptions()) < exceptions < cells
    client = client_for("trustee")
    made = _counting_cells(monkeypatch)
    assert client.get(MATRIX).status_code == 200
    assert made == []
    assert client.get(reverse("home") + "?period=2023-24-spring").status_code == 200
    # The exception cells (the counts), and no other.
    assert len(made) == exceptions
    assert {cell.is_exception for cell in made} == {True}
    made.clear()
    assert client.get(MATRIX + "&group=south").status_code == 200
    assert {cell.academy.slug for cell in made} == set(SOUTH)
    assert len(made) == len(SOUTH) * len(every.rows)
