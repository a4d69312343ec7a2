"""The board's cells carry the head's explanation, and one unsubmitted return is one line.

Issue 15: the return makes a head explain a red value, but the board showed only the
arithmetic; and an academy that had not submitted flooded the exceptions with one "Missing"
row per KPI.
"""

import pytest
from django.contrib.auth import get_user_model

from demo.values import generate_demo_values
from kpis import rag
from kpis.models import KPIValue, Period, Return, ReturnStatus
from kpis.selectors import PeriodIndex, academy_scorecard, board_matrix, kpi_history


@pytest.fixture
def periods(trust):
    generate_demo_values()
    return PeriodIndex()


@pytest.fixture
def spring():
    return Period.objects.get(slug="2023-24-spring")


def _noted_value(period):
    value = KPIValue.objects.published().filter(period=period, value__isnull=False).first()
    head = get_user_model().objects.create_user("jbloggs", first_name="Jo", last_name="Bloggs")
    value.note = "New maths lead started in April."
    value.updated_by = head
    value.save()
    return value


def test_a_published_note_and_its_author_reach_the_matrix_cell(periods, spring):
    value = _noted_value(spring)
    board = board_matrix(spring, periods)
    row = next(r for r in board.rows if r.kpi.pk == value.kpi_id)
    cell = next(c for c in row.cells if c.academy.pk == value.academy_id)
    assert (cell.note, cell.note_by) == ("New maths lead started in April.", "Jo Bloggs")
    others = [c for r in board.rows for c in r.cells if c is not cell]
    assert all(c.note_by == "" for c in others)  # no other value was saved by a person


def test_the_note_reaches_the_kpi_history_and_the_scorecard(periods, spring):
    value = _noted_value(spring)
    series = next(s for s in kpi_history(value.kpi, periods) if s.academy.pk == value.academy_id)
    noted = [c for c in series.cells if c.note and c.note_by]
    assert [(c.note, c.note_by) for c in noted] == [
        ("New maths lead started in April.", "Jo Bloggs")
    ]
    areas = academy_scorecard(value.academy, periods)
    row = next(r for a in areas for r in a.rows if r.kpi.pk == value.kpi_id)
    assert [c.note for c in row.cells if c.note_by] == ["New maths lead started in April."]


def test_a_note_without_a_saver_has_no_author(periods, spring):
    value = KPIValue.objects.published().filter(period=spring, value__isnull=False).first()
    value.note, value.updated_by = "Estimated.", None
    value.save()
    row = next(r for r in board_matrix(spring, periods).rows if r.kpi.pk == value.kpi_id)
    cell = next(c for c in row.cells if c.academy.pk == value.academy_id)
    assert (cell.note, cell.note_by) == ("Estimated.", "")


def test_an_unsubmitted_return_is_one_line_not_a_row_per_kpi(periods, spring):
    already = {a.pk for a, _ in board_matrix(spring, periods).unsubmitted()}
    ret = (
        Return.objects.filter(period=spring, status__in=["submitted", "approved"])
        .exclude(academy__in=already)
        .select_related("academy")
        .first()
    )
    ret.status = ReturnStatus.DRAFT
    ret.save()
    board = board_matrix(spring, periods)
    applicable = sum(
        1
        for row in board.rows
        for cell in row.cells
        if cell.academy.pk == ret.academy_id and cell.outcome != rag.Outcome.NOT_APPLICABLE
    )
    assert (ret.academy, applicable) in board.unsubmitted()
    assert {a.pk for a, _ in board.unsubmitted()} == already | {ret.academy_id}
    assert applicable > 10
    missing_rows = [
        cell
        for _, cell in board.exceptions()
        if cell.academy.pk == ret.academy_id and cell.outcome == rag.Outcome.MISSING
    ]
    assert missing_rows == []


def test_a_single_missing_value_of_a_submitted_return_is_still_an_exception(periods, spring):
    value = KPIValue.objects.published().filter(period=spring, value__isnull=False).first()
    value.value, value.not_available, value.note = None, True, "Not collected this term."
    value.save()
    board = board_matrix(spring, periods)
    assert value.academy_id not in {a.pk for a, _ in board.unsubmitted()}
    missing = [
        (row.kpi.pk, cell.academy.pk)
        for row, cell in board.exceptions()
        if cell.outcome == rag.Outcome.MISSING
    ]
    assert (value.kpi_id, value.academy_id) in missing


def test_the_baseline_year_of_a_change_target_is_not_judged_against_itself(periods):
    """2.3 "Suspensions reduced by 25%" against 2022/23: in 2022/23 each academy's value was
    its own baseline and so was red (above 75% of itself); the baseline year has no target."""
    autumn_2022 = Period.objects.get(slug="2022-23-autumn")
    row = next(r for r in board_matrix(autumn_2022, periods).rows if r.kpi.code == "2.3")
    reported = [cell for cell in row.cells if cell.value is not None]
    assert reported
    assert {cell.outcome for cell in [*reported, row.trust]} == {rag.Outcome.NO_TARGET}
    assert "no baseline value to compare with" in row.trust.judgement.explanation
    series = next(s for s in kpi_history(row.kpi, periods) if s.academy == reported[0].academy)
    assert series.cells[0].outcome == rag.Outcome.NO_TARGET
    # The next year is judged against it.
    autumn_2023 = Period.objects.get(slug="2023-24-autumn")
    later = next(r for r in board_matrix(autumn_2023, periods).rows if r.kpi.code == "2.3")
    assert {c.outcome for c in later.cells if c.value is not None} <= {
        rag.Outcome.GREEN,
        rag.Outcome.AMBER,
        rag.Outcome.RED,
    }
