"""Values and targets rounded for display by the KPI's measure, everywhere (issue 15).

The board pack wrote the trust's means as they came out of the division (3.632481751824817),
and change targets for counts printed as 27.75 suspensions. Rules (kpis.rag.format_value, the
one formatter): percentages and numbers up to two decimals, trailing zeros dropped ("94.1%",
"-0.03"); counts are whole numbers, and a trust mean of counts keeps up to two decimals; money
in whole pounds; grades and yes/no in words. The trust's figure is rounded to what is shown
before it is judged, so the board never reads "95% is below the target of at least 95%". The
workbook keeps numbers as numbers, with a number format that shows the same rounding.
"""

import io
from decimal import Decimal as D

import openpyxl
import pytest

from demo.values import generate_demo_values
from kpis import rag
from kpis.models import KPI, KPIValue, Period
from kpis.selectors import Cell, PeriodIndex, board_matrix
from spreadsheets.export import board_pack, number_format


@pytest.mark.parametrize(
    ("value", "measure", "expected"),
    [
        (D("4.5"), "count", "4.5"),  # a trust mean of counts
        (D("45"), "count", "45"),
        (D("2.4"), "grade", "grade 2.4"),  # a mean grade has no name
        (D("95.98378378"), "percentage", "95.98%"),
        (D("-0.0312"), "number", "-0.03"),
        (D("3.632481751824817"), "number", "3.63"),
    ],
)
def test_format_value_rounds_by_measure(value, measure, expected):
    assert rag.format_value(value, measure) == expected


def test_a_count_change_target_is_a_whole_number_of_the_count():
    rule = rag.Rule(
        measure="count",
        direction=rag.LOWER,
        target_kind="change",
        target=D(25),
        amber_margin=D(10),
    )
    # 25% below 37 is 27.75: a count of 27 meets it, 28 does not.
    threshold, width, words = rag.threshold_for(rule, baseline=D(37))
    assert (threshold, words) == (D(27), "at most 27 (25% below the baseline of 37)")
    assert rag.judge(rule, 27, baseline=37).outcome == rag.Outcome.GREEN
    judgement = rag.judge(rule, 28, baseline=37)
    assert judgement.outcome == rag.Outcome.AMBER
    assert judgement.explanation == (
        "28 is above the target of at most 27 (25% below the baseline of 37) by 1, "
        "within the 4 amber margin."
    )
    # The amber edge is whole too: 27.75 + 3.7 = 31.45, so 31 is amber and 32 red.
    assert width == D(4)
    assert rag.judge(rule, 31, baseline=37).outcome == rag.Outcome.AMBER
    assert rag.judge(rule, 32, baseline=37).outcome == rag.Outcome.RED


def test_a_higher_is_better_count_target_rounds_up():
    rule = rag.Rule(measure="count", target_kind="change", target=D(10), amber_margin=D(0))
    threshold, _, words = rag.threshold_for(rule, baseline=D(21))  # 23.1 → 24
    assert (threshold, words) == (D(24), "at least 24 (10% above the baseline of 21)")


def test_the_trust_figure_is_judged_as_it_is_shown():
    rule = rag.Rule(measure="percentage", target_kind="absolute", target=D(95), amber_margin=D(1))
    figures = [rag.AcademyFigure(D("94.99"), 1), rag.AcademyFigure(D("95"), 2)]
    value, judgement = rag.judge_trust(rule, "weighted_mean", None, figures)
    # 94.99666… shows as 95%: it meets the target of at least 95%.
    assert value == D("95.00")
    assert judgement.outcome == rag.Outcome.GREEN
    assert judgement.explanation == "95% meets the target of at least 95%."


@pytest.fixture
def autumn(trust):
    generate_demo_values()
    return Period.objects.get(slug="2023-24-autumn")


def test_trust_means_in_the_matrix_have_at_most_two_decimals(autumn):
    board = board_matrix(autumn, PeriodIndex())
    means = [r.trust for r in board.rows if r.kpi.aggregation in ("mean", "weighted_mean")]
    assert means and all(cell.value is not None for cell in means)
    for cell in means:
        assert cell.value == cell.value.quantize(D("0.01")), cell.value


def _matrix(period):
    return openpyxl.load_workbook(io.BytesIO(board_pack(period)))["2023-24 Autumn"]


def test_the_board_pack_rounds_the_trust_column_but_keeps_numbers(autumn):
    kpi = KPI.objects.get(code="2.1")
    # Weights 1050, 900, 320, 140, 180 make a mean with a long tail of decimals.
    KPIValue.objects.filter(kpi=kpi, period=autumn).update(value=D("95.1234"))
    KPIValue.objects.filter(kpi=kpi, period=autumn, academy__slug="moreton-school").update(
        value=D("91.0001")
    )
    rows = {r[0].value.split()[0]: r for r in _matrix(autumn).iter_rows(min_row=2) if r[0].value}
    trust = rows["2.1"][6]
    assert isinstance(trust.value, float)
    assert trust.value == round(trust.value, 2)
    assert trust.number_format.startswith('0.00"%')
    # The academies' stored values stay as stored (the pack imports back unchanged) and their
    # format rounds them as the pages do.
    aldersley = rows["2.1"][1]
    assert aldersley.value == pytest.approx(95.1234)
    assert aldersley.number_format.startswith('0.00"%')


def test_every_numeric_cell_of_the_pack_has_a_rounding_format(autumn):
    for row in _matrix(autumn).iter_rows(min_row=2):
        for cell in row[1:]:
            if isinstance(cell.value, int | float):
                assert not cell.number_format.startswith("General"), cell.coordinate


@pytest.mark.parametrize(
    ("value", "measure", "starts"),
    [
        (D("96.8"), "percentage", '0.0"%'),
        (D("95"), "percentage", '0"%'),
        (D("3.632481751824817"), "number", '0.00"'),
        (D("-0.03"), "number", '0.00"'),
        (D("12"), "count", '0"'),
        (D("4.5"), "count", '0.0"'),
    ],
)
def test_the_number_format_shows_what_format_value_shows(value, measure, starts):
    cell = Cell(None, value, rag.Judgement(rag.Outcome.GREEN, ""), measure=measure)
    assert number_format(cell).startswith(starts)


def test_the_board_packs_trust_cell_says_how_many_academies_it_covers(autumn):
    spring = Period.objects.get(slug="2023-24-spring")
    KPIValue.objects.filter(kpi__code="2.3", period=spring, academy__slug="moreton-school").delete()
    sheet = openpyxl.load_workbook(io.BytesIO(board_pack(spring)))["2023-24 Spring"]
    rows = {r[0].value.split()[0]: r for r in sheet.iter_rows(min_row=2) if r[0].value}
    trust = rows["2.3"][6]
    assert isinstance(trust.value, int | float)
    assert trust.number_format.endswith(' · 4 of 5"')
