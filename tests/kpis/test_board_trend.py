"""The matrix's trends compare each cell with the same cell of the previous period's matrix.

board_matrix() works out the previous period's values without judging that period's column
(except where the trust's value counts judgements): these tests check the shortcut against the
previous period's own matrix, cell by cell and for the trust column of every aggregation.
"""

from collections import Counter

import pytest

from demo.values import generate_demo_values
from kpis import rag
from kpis.models import KPI, KPIValue, Period
from kpis.selectors import PeriodIndex, board_matrix


@pytest.fixture
def periods(trust):
    generate_demo_values()
    return PeriodIndex()


@pytest.mark.parametrize("slug", ["2023-24-autumn", "2023-24-spring", "2023-24-summer"])
def test_every_cells_previous_value_and_trend_match_the_previous_matrix(periods, slug):
    period = Period.objects.get(slug=slug)
    previous = periods.previous(period)
    now, before = board_matrix(period, periods), board_matrix(previous, periods)
    earlier = {row.kpi.pk: row for row in before.rows}
    checked = Counter()
    for row in now.rows:
        old = earlier[row.kpi.pk]
        for cell, old_cell in zip([*row.cells, row.trust], [*old.cells, old.trust], strict=True):
            assert cell.previous == old_cell.value, (row.kpi.code, cell.academy)
            if cell is row.trust and cell.trend_note:
                # Issue 15: the academies that reported differ between the two periods, so
                # the trust's trend compares like with like (tests/kpis/test_trust_figures.py).
                checked["trust compared like for like"] += 1
                continue
            measure = "percentage" if cell is row.trust else row.kpi.measure
            direction = (
                "higher"
                if cell is row.trust and row.kpi.aggregation in rag.SHARES
                else (row.kpi.direction)
            )
            assert cell.trend == rag.trend(cell.value, old_cell.value, direction, measure)
        checked[row.kpi.aggregation] += 1
        if row.trust.previous is not None:
            checked["trust with a previous value"] += 1
    # The demo framework has every kind of trust column, and most have a previous value.
    assert {"mean", "weighted_mean", "sum", "min", "share_meeting"} <= set(checked)
    assert checked["trust with a previous value"] > 20


def test_a_trust_column_that_applies_to_no_academy_has_no_previous_value(periods):
    period = Period.objects.get(slug="2023-24-spring")
    kpi = KPI.objects.exclude(aggregation="share_meeting").filter(phases=[]).first()
    kpi.phases = ["nursery"]  # no academy of the trust is a nursery
    kpi.save()
    row = next(r for r in board_matrix(period, periods).rows if r.kpi.pk == kpi.pk)
    assert row.trust.outcome == rag.Outcome.NOT_APPLICABLE
    assert row.trust.previous is None and row.trust.trend is None
    # Its academies' values are still there for the shortcut to read.
    assert KPIValue.objects.filter(kpi=kpi, period=periods.previous(period)).exists()
