"""The academic-year label ("2023/24", "2023-24") has one home, kpis.models.format_academic_year,
and every label built from it reads as it did before."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpis.models import KPI, Period, Term, format_academic_year
from kpis.selectors import rule_in_words
from plans.models import Plan
from spreadsheets.export import matrix_sheet_name
from spreadsheets.importer import ImportPreview


@pytest.mark.parametrize(
    "year_start, slash, dash",
    [(2023, "2023/24", "2023-24"), (1999, "1999/00", "1999-00"), (2009, "2009/10", "2009-10")],
)
def test_the_label_has_two_digits_of_the_following_year(year_start, slash, dash):
    assert format_academic_year(year_start) == slash
    assert format_academic_year(year_start, sep="-") == dash


def test_a_periods_slug_name_and_sheet_name_use_it():
    period = Period(year_start=1999, term=Term.SPRING)
    assert Period.make_slug(1999, Term.SPRING) == "1999-00-spring"
    assert period.academic_year == "1999/00"
    assert str(period) == "1999/00 Spring"
    assert matrix_sheet_name(period) == "1999-00 Spring"
    assert (
        ImportPreview(filename="", state="").period_label((1999, Term.SPRING)) == "1999/00 Spring"
    )


def test_a_plans_years_are_an_academic_year_only_when_it_spans_one():
    assert Plan(start_year=2023, end_year=2024).years == "2023/24"
    assert Plan(start_year=2099, end_year=2100).years == "2099/00"
    assert Plan(start_year=2019, end_year=2022).years == "2019–2022"


def test_a_change_target_names_its_baseline_year():
    kpi = KPI(
        code="4.1",
        measure="count",
        direction="lower",
        target_kind="change",
        target_value=Decimal("25"),
        amber_margin=Decimal("10"),
        baseline_year=2019,
        aggregation="sum",
    )
    assert "against the same term of 2019/20" in rule_in_words(kpi)
