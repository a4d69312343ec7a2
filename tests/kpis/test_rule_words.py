"""The rule as applied (issue 15): the KPI page states every per-academy override, and each
cell carries the target that applied to it in that period, in the measure's words.

/kpis/2.1/ said "At least 95%… applies to every academy" while the two special schools are
judged against 90%; the scorecard printed one target for every period ("target 21" beside a
21 that is red in one term and green in another) and raw numbers ("2" for Ofsted good, "1"
for Yes, "27.75" suspensions).
"""

import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse

from academies.models import Academy
from demo.values import generate_demo_values
from kpis import rag, selectors
from kpis.models import KPI, AcademyTarget, KPIValue, Period
from kpis.selectors import PeriodIndex, academy_scorecard, board_matrix, rule_in_words
from spreadsheets.export import board_pack

SPECIAL = ["penn-hall-school", "tettenhall-wood-school"]


@pytest.fixture
def periods(trust):
    generate_demo_values()
    return PeriodIndex()


def _overrides(kpi):
    return {t.academy_id: t for t in AcademyTarget.objects.filter(kpi=kpi)}


def _academies():
    return list(Academy.objects.active())


# --- rule_in_words with overrides -------------------------------------------------------------


def test_an_override_every_academy_of_a_phase_shares_is_stated_for_the_phase(trust):
    kpi = KPI.objects.get(code="2.1")
    words = rule_in_words(kpi, _academies(), _overrides(kpi))
    assert words == (
        "At least 95%; amber within 1 of the target. "
        "Special schools: at least 90%; amber within 2 of the target. "
        "Trust column: mean weighted by pupils on roll."
    )


def test_an_override_only_some_of_a_phase_have_is_stated_by_academy_name(trust):
    kpi = KPI.objects.get(code="2.1")
    AcademyTarget.objects.filter(kpi=kpi, academy__slug=SPECIAL[1]).delete()
    sixth_form = Academy.objects.get(name="Amethyst Sixth Form")
    AcademyTarget.objects.create(kpi=kpi, academy=sixth_form, target_value=D(93))
    words = rule_in_words(kpi, _academies(), _overrides(kpi))
    # A phase of one academy is named by the academy; blank amber keeps the KPI's margin.
    assert "Amethyst Sixth Form: at least 93%; amber within 1 of the target." in words
    assert "Penn Hall School: at least 90%; amber within 2 of the target." in words
    assert "Special schools" not in words


def test_overrides_of_a_change_target_say_how_much_change(trust):
    kpi = KPI.objects.get(code="2.3")
    moreton = Academy.objects.get(name="Moreton School")
    AcademyTarget.objects.create(kpi=kpi, academy=moreton, target_value=D(10))
    words = rule_in_words(kpi, _academies(), _overrides(kpi))
    assert "Moreton School: reduced by at least 10% against the same term of 2022/23" in words


def test_without_overrides_the_rule_reads_as_before(trust):
    kpi = KPI.objects.get(code="2.1")
    assert rule_in_words(kpi) == (
        "At least 95%; amber within 1 of the target. Trust column: mean weighted by pupils on roll."
    )


def test_a_money_rules_amber_margin_reads_in_pounds(trust):
    # /kpis/4.9/ said "At least £0; amber within 50000 of the target" while its cells say
    # "beyond the £50,000 amber margin".
    kpi = KPI.objects.get(code="4.9")
    assert rule_in_words(kpi).startswith("At least £0; amber within £50,000 of the target.")


def test_kpi_rule_fetches_the_overrides_in_one_query(trust, django_assert_num_queries):
    kpi = KPI.objects.get(code="2.1")
    with django_assert_num_queries(1):
        words = selectors.kpi_rule(kpi)
    assert "Special schools: at least 90%" in words


def test_the_kpi_page_states_the_special_schools_target(client_for, periods):
    content = client_for("trustee").get(reverse("kpis:detail", args=["2.1"])).content.decode()
    assert "Special schools: at least 90%; amber within 2 of the target." in content


def test_the_board_pack_legend_states_the_overrides(periods):
    book = openpyxl.load_workbook(io.BytesIO(board_pack(Period.objects.get(slug="2023-24-autumn"))))
    rules = {row[0]: row[1] for row in book["Legend"].iter_rows(values_only=True) if row[0]}
    attendance = next(text for kpi, text in rules.items() if kpi.startswith("2.1 "))
    assert "Special schools: at least 90%" in attendance


# --- The target that applied, per cell and per period -------------------------------------------


def _row(areas, code):
    return next(r for a in areas for r in a.rows if r.kpi.code == code)


def test_every_scorecard_period_carries_its_own_change_target(periods):
    aldersley = Academy.objects.get(name="Aldersley High School")
    kpi = KPI.objects.get(code="2.3")
    series = _row(academy_scorecard(aldersley, periods), "2.3")
    words = {}
    for period, cell in zip(periods.periods, series.cells, strict=True):
        base = periods.baseline(kpi, period)
        if base is None or cell.value is None:
            continue
        baseline = KPIValue.objects.get(kpi=kpi, academy=aldersley, period=base).value
        # 25% below that term's baseline, in whole suspensions.
        whole = (baseline * D("0.75")).to_integral_value(rounding="ROUND_FLOOR")
        assert cell.target_words == (
            f"at most {whole} (25% below the baseline of {baseline.normalize():f})"
        )
        words[period.slug] = cell.target_words
    assert len(set(words.values())) > 1  # the target moves with each term's baseline


def test_targets_read_in_the_measures_words(periods):
    penn = Academy.objects.get(slug="penn-hall-school")
    areas = academy_scorecard(penn, periods)
    latest = {code: _row(areas, code).latest for code in ("2.1", "2.5", "3.1")}
    assert latest["2.1"].target_words == "at least 90%"  # Penn Hall's own target
    # Penn Hall's inspection in force is on the pre-2025 scale: its own framework's words.
    assert latest["2.5"].target_words == "good or better (pre-2025 grades)"
    assert latest["3.1"].target_words == "safeguarding effective (pre-2025)"


def test_grade_and_yes_no_targets_read_in_their_words(periods, graded_kpis):
    penn = Academy.objects.get(slug="penn-hall-school")
    areas = academy_scorecard(penn, periods)
    assert _row(areas, "1.9").latest.target_words == "grade 2 (good) or better"
    assert _row(areas, "3.1").latest.target_words == "Yes"


def test_matrix_cells_carry_the_academys_target_and_the_trust_its_own(periods):
    board = board_matrix(Period.objects.get(slug="2023-24-autumn"), periods)
    row = next(r for r in board.rows if r.kpi.code == "2.1")
    words = {cell.academy.slug: cell.target_words for cell in row.cells}
    assert words["penn-hall-school"] == words["tettenhall-wood-school"] == "at least 90%"
    assert words["aldersley-high-school"] == "at least 95%"
    assert row.trust.target_words == "at least 95%"
    shares = next(r for r in board.rows if r.kpi.code == "2.5").trust
    assert shares.target_words == "every academy meeting its target"


def test_a_missing_value_still_shows_the_target_that_applied(periods):
    spring = Period.objects.get(slug="2023-24-spring")
    KPIValue.objects.filter(kpi__code="2.1", period=spring, academy__slug=SPECIAL[0]).delete()
    board = board_matrix(spring, periods)
    cell = next(
        c
        for r in board.rows
        if r.kpi.code == "2.1"
        for c in r.cells
        if c.academy.slug == SPECIAL[0]
    )
    assert cell.outcome == rag.Outcome.MISSING
    assert cell.target_words == "at least 90%"


def test_a_cell_with_no_target_or_not_applicable_has_no_target_words(periods):
    board = board_matrix(Period.objects.get(slug="2023-24-autumn"), periods)
    for row in board.rows:
        for cell in row.cells:
            if cell.outcome in (rag.Outcome.NOT_APPLICABLE, rag.Outcome.NO_TARGET):
                assert cell.target_words == "", (row.kpi.code, cell.academy)
            else:
                assert cell.target_words, (row.kpi.code, cell.academy)
