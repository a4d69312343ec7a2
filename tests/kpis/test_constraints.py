"""The invariants the database itself holds, proved by writing past the ORM's validation."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from kpis.models import KPI, KPIValue, Period, Return, TargetKind, Term


@pytest.fixture
def period(db):
    return Period.objects.create(year_start=2023, term=Term.AUTUMN)


def test_a_second_value_for_the_same_kpi_academy_and_period_is_refused(trust, academy_a, period):
    kpi = KPI.objects.get(code="2.1")
    KPIValue.objects.create(kpi=kpi, academy=academy_a, period=period, value=Decimal("95.2"))
    with pytest.raises(IntegrityError), transaction.atomic():
        KPIValue.objects.create(kpi=kpi, academy=academy_a, period=period, value=Decimal("90"))
    assert KPIValue.objects.get(kpi=kpi, academy=academy_a, period=period).value == Decimal("95.2")


def test_the_same_kpi_may_have_values_for_other_academies_and_periods(trust, academy_a, academy_b):
    kpi = KPI.objects.get(code="2.1")
    autumn = Period.objects.create(year_start=2023, term=Term.AUTUMN)
    spring = Period.objects.create(year_start=2023, term=Term.SPRING)
    KPIValue.objects.create(kpi=kpi, academy=academy_a, period=autumn, value=1)
    KPIValue.objects.create(kpi=kpi, academy=academy_b, period=autumn, value=2)
    KPIValue.objects.create(kpi=kpi, academy=academy_a, period=spring, value=3)
    assert KPIValue.objects.filter(kpi=kpi).count() == 3


def test_a_value_must_be_given_or_marked_not_available(trust, academy_a, period):
    kpi = KPI.objects.get(code="2.1")
    with pytest.raises(IntegrityError), transaction.atomic():
        KPIValue.objects.create(kpi=kpi, academy=academy_a, period=period, value=None)
    KPIValue.objects.create(
        kpi=kpi, academy=academy_a, period=period, not_available=True, note="MIS outage"
    )


def test_kpi_codes_are_unique(trust):
    area = KPI.objects.get(code="2.1").area
    with pytest.raises(IntegrityError), transaction.atomic():
        KPI.objects.create(area=area, code="2.1", name="Duplicate")


def test_a_period_exists_once_per_academic_year_and_term(period):
    with pytest.raises(IntegrityError), transaction.atomic():
        Period.objects.create(year_start=2023, term=Term.AUTUMN)


def test_period_slug_and_name_follow_the_academic_year(period):
    assert period.slug == "2023-24-autumn"
    assert str(period) == "2023/24 Autumn"
    assert Period.objects.create(year_start=2099, term=Term.SUMMER).slug == "2099-00-summer"


def test_one_return_per_academy_and_period(trust, academy_a, period):
    Return.objects.create(academy=academy_a, period=period)
    with pytest.raises(IntegrityError), transaction.atomic():
        Return.objects.create(academy=academy_a, period=period)


def test_a_target_rule_needs_a_target_value(trust):
    kpi = KPI.objects.get(code="4.2")
    assert kpi.target_kind == TargetKind.NONE
    with pytest.raises(IntegrityError), transaction.atomic():
        KPI.objects.filter(pk=kpi.pk).update(target_kind=TargetKind.ABSOLUTE, target_value=None)


def test_a_change_target_needs_a_baseline_year(trust):
    with pytest.raises(IntegrityError), transaction.atomic():
        KPI.objects.filter(code="2.3").update(baseline_year=None)


def test_an_unknown_measure_is_refused_by_the_database(trust):
    with pytest.raises(IntegrityError), transaction.atomic():
        KPI.objects.filter(code="2.1").update(measure="shoe size")
