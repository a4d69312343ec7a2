"""The trust column tells the board what it covers and compares like with like (issue 15).

2.3 Suspensions (a sum, a change-from-baseline target): with Moreton's spring return missing,
the trust read 46 → 44 "↑ better" only because Moreton's suspensions were no longer counted.
The trust cell now says how many academies it covers ("4 of 5", and which is missing), its
trend compares the two periods over the academies that reported in both ("like for like:
4 academies"), and its change target is worked out from the baseline of the same academies.
"""

from decimal import Decimal as D

import pytest

from academies.models import Academy
from demo.values import generate_demo_values
from kpis import rag
from kpis.models import KPI, KPIValue, Period
from kpis.selectors import PeriodIndex, board_matrix, kpi_history, trust_series

MORETON = "Moreton School"


@pytest.fixture
def periods(trust):
    generate_demo_values()
    return PeriodIndex()


@pytest.fixture
def autumn():
    return Period.objects.get(slug="2023-24-autumn")


@pytest.fixture
def spring():
    return Period.objects.get(slug="2023-24-spring")


def _trust(periods, period, code):
    return next(r for r in board_matrix(period, periods).rows if r.kpi.code == code).trust


def _published(code, period):
    """Each academy's published value of a KPI in a period: name → value."""
    return {
        v.academy.name: v.value
        for v in KPIValue.objects.published()
        .filter(kpi__code=code, period=period, value__isnull=False)
        .select_related("academy")
    }


def _moreton_missing_in_spring(autumn, spring):
    """Every academy reported 2.3 in the autumn; Moreton did not in the spring."""
    KPIValue.objects.filter(kpi__code="2.3", period=spring, academy__name=MORETON).delete()
    assert len(_published("2.3", autumn)) == 5
    now = _published("2.3", spring)
    assert MORETON not in now and len(now) == 4
    return now


# --- Coverage on the cell -------------------------------------------------------------------


def test_the_trust_cell_says_how_many_academies_it_covers_and_who_is_missing(
    periods, autumn, spring
):
    _moreton_missing_in_spring(autumn, spring)
    cell = _trust(periods, spring, "2.3")

    assert (cell.expected, cell.reported, cell.unreported) == (5, 4, (MORETON,))
    assert cell.coverage == "4 of 5"


def test_a_complete_trust_cell_has_no_coverage_note(periods, autumn):
    cell = _trust(periods, autumn, "2.3")
    assert (cell.expected, cell.reported, cell.unreported, cell.coverage) == (5, 5, (), "")


def test_coverage_counts_only_the_academies_the_kpi_applies_to(periods, autumn):
    # 1.1 Attainment 8 applies to the two secondary schools only.
    KPIValue.objects.filter(kpi__code="1.1", period=autumn, academy__name=MORETON).delete()
    cell = _trust(periods, autumn, "1.1")
    assert (cell.expected, cell.reported, cell.unreported) == (2, 1, (MORETON,))


# --- Like-for-like trend ----------------------------------------------------------------------


def test_a_missing_academy_never_makes_a_sum_look_better(periods, autumn, spring):
    now = _moreton_missing_in_spring(autumn, spring)
    before = _published("2.3", autumn)
    cell = _trust(periods, spring, "2.3")

    # The same four academies: their autumn total against their spring total.
    same_four_before = sum(before[name] for name in now)
    same_four_now = sum(now.values())
    assert cell.value == same_four_now
    expected = rag.trend(same_four_now, same_four_before, rag.LOWER)
    assert cell.trend == expected
    assert cell.trend_note == f"like for like: 4 academies (without {MORETON})"
    # The previous figure stays the one the board saw last period (all five academies).
    assert cell.previous == sum(before.values())


def test_the_demo_suspensions_read_worse_like_for_like_not_better(periods, autumn, spring):
    """The issue's own figures: 46 → 44 with Moreton (12 in the autumn) missing."""
    KPIValue.objects.filter(kpi__code="2.3", period=spring, academy__name=MORETON).delete()
    values = {"Aldersley High School": 18, MORETON: 12, "Amethyst Sixth Form": 8}
    values |= {"Penn Hall School": 4, "Tettenhall Wood School": 4}
    for name, value in values.items():
        KPIValue.objects.filter(kpi__code="2.3", period=autumn, academy__name=name).update(
            value=value
        )
    spring_values = {"Aldersley High School": 32, "Amethyst Sixth Form": 6}
    spring_values |= {"Penn Hall School": 3, "Tettenhall Wood School": 3}
    for name, value in spring_values.items():
        KPIValue.objects.filter(kpi__code="2.3", period=spring, academy__name=name).update(
            value=value
        )
    cell = _trust(periods, spring, "2.3")
    assert (cell.value, cell.previous) == (44, 46)
    assert cell.trend == rag.Trend.WORSE  # 34 → 44 over the same four academies


def test_no_academy_in_both_periods_withholds_the_trend(periods, autumn, spring):
    solo = "Aldersley High School"
    KPIValue.objects.filter(kpi__code="2.3", period=spring).exclude(academy__name=solo).delete()
    KPIValue.objects.filter(kpi__code="2.3", period=autumn, academy__name=solo).delete()
    assert list(_published("2.3", spring)) == [solo]
    cell = _trust(periods, spring, "2.3")

    assert cell.value is not None and cell.previous is not None
    assert cell.trend is None
    assert cell.trend_note == "not comparable: no academy reported in both periods"


def test_the_same_academies_in_both_periods_compare_directly(periods, autumn, spring):
    KPIValue.objects.filter(kpi__code="2.3", period=spring, academy__name=MORETON).delete()
    KPIValue.objects.filter(kpi__code="2.3", period=autumn, academy__name=MORETON).delete()
    cell = _trust(periods, spring, "2.3")
    assert cell.trend == rag.trend(cell.value, cell.previous, rag.LOWER)
    assert cell.trend_note == ""  # the same four academies both times


def test_a_share_of_academies_meeting_target_compares_like_for_like():
    judged = [rag.Outcome.GREEN, rag.Outcome.GREEN, rag.Outcome.RED]
    before = [
        rag.AcademyFigure(D(v), 1, o, name=n) for v, o, n in zip("223", judged, "ABC", strict=True)
    ]
    # C (red last time) has not reported: 2 of 2 green now, but A and B were green before too.
    now = [
        rag.AcademyFigure(D(2), 1, rag.Outcome.GREEN, name="A"),
        rag.AcademyFigure(D(2), 1, rag.Outcome.GREEN, name="B"),
        rag.AcademyFigure(None, 1, rag.Outcome.MISSING, name="C"),
    ]
    trend, note = rag.trust_trend("share_meeting", now, before, rag.HIGHER)
    assert (trend, note) == (rag.Trend.SAME, "like for like: 2 academies (without C)")


def test_a_weighted_mean_compares_like_for_like_with_the_same_weights():
    before = [
        rag.AcademyFigure(D(90), 100, name="Big"),
        rag.AcademyFigure(D(99), 10, name="Small"),
        rag.AcademyFigure(D(50), 10, name="Gone"),
    ]
    now = [
        rag.AcademyFigure(D(91), 100, name="Big"),
        rag.AcademyFigure(D(99), 10, name="Small"),
        rag.AcademyFigure(None, 10, rag.Outcome.MISSING, name="Gone"),
    ]
    assert rag.trust_trend("weighted_mean", now, before, rag.HIGHER) == (
        rag.Trend.BETTER,
        "like for like: 2 academies (without Gone)",
    )
    # Lower is better: the same rise reads worse.
    assert rag.trust_trend("weighted_mean", now, before, rag.LOWER)[0] == rag.Trend.WORSE


def test_several_academies_left_out_are_named_and_counted():
    before = [rag.AcademyFigure(D(1), name=n) for n in "ABCDEF"]
    now = [rag.AcademyFigure(D(1) if n in "AB" else None, name=n) for n in "ABCDEF"]
    assert rag.trust_trend("sum", now, before, rag.LOWER) == (
        rag.Trend.SAME,
        "like for like: 2 academies (without C, D, E and 1 more)",
    )


# --- The trust's baseline for a change target ------------------------------------------------


def test_a_change_target_uses_the_baseline_of_the_academies_that_reported(periods, autumn, spring):
    now = _moreton_missing_in_spring(autumn, spring)
    kpi = KPI.objects.get(code="2.3")
    base_period = periods.baseline(kpi, spring)
    baseline = _published("2.3", base_period)
    same_four = sum(value for name, value in baseline.items() if name != MORETON)
    cell = _trust(periods, spring, "2.3")

    # 25% below the four academies' baseline, in whole suspensions (a count).
    expected = (same_four * D("0.75")).to_integral_value(rounding="ROUND_FLOOR")
    assert cell.judgement.threshold == expected
    shown = f"{same_four.normalize():f}"
    assert f"the baseline of {shown})" in cell.judgement.explanation
    assert "(4 of 5 academies reported; the baseline is of the same 4.)" in (
        cell.judgement.explanation
    )
    assert cell.judgement.explanation.startswith(f"{sum(now.values()).normalize():f} ")
    assert cell.target_words.startswith(f"at most {expected} ")


def test_an_academy_with_no_baseline_is_named_and_the_trust_has_no_change_target(periods, autumn):
    kpi = KPI.objects.get(code="2.3")
    base_period = periods.baseline(kpi, autumn)
    KPIValue.objects.filter(kpi=kpi, period=base_period, academy__name=MORETON).delete()
    cell = _trust(periods, autumn, "2.3")

    assert cell.outcome == rag.Outcome.NO_TARGET
    assert f"no baseline value for {MORETON}" in cell.judgement.explanation


def test_a_value_of_an_academy_the_kpi_does_not_apply_to_is_not_in_the_trust_figure(
    periods, autumn
):
    # 1.1 applies to secondary schools only; a stray value of the sixth form is not counted.
    sixth_form = Academy.objects.get(name="Amethyst Sixth Form")
    kpi = KPI.objects.get(code="1.1")
    assert not kpi.applies_to(sixth_form)
    KPIValue.objects.create(kpi=kpi, academy=sixth_form, period=autumn, value=D(10))
    cell = _trust(periods, autumn, "1.1")
    secondary = _published("1.1", autumn)
    del secondary["Amethyst Sixth Form"]
    assert min(secondary.values()) <= cell.value <= max(secondary.values())
    assert cell.reported == 2


def test_the_kpi_pages_trust_series_agrees_with_the_matrix_trust_cells(periods, autumn, spring):
    _moreton_missing_in_spring(autumn, spring)
    kpi = KPI.objects.get(code="2.3")
    series = trust_series(kpi, kpi_history(kpi, periods), periods)
    for period, cell in zip(periods.periods, series.cells, strict=True):
        if period.pk not in (autumn.pk, spring.pk):
            continue
        matrix = _trust(periods, period, "2.3")
        assert (cell.value, cell.trend, cell.trend_note) == (
            matrix.value,
            matrix.trend,
            matrix.trend_note,
        ), period.slug
        assert (cell.coverage, cell.unreported) == (matrix.coverage, matrix.unreported)
    assert series.cells[periods.periods.index(spring)].trend == rag.Trend.WORSE


def test_the_matrix_fetches_a_baseline_periods_values_only_of_change_target_kpis(periods, spring):
    """A baseline period is read for the KPIs measured from it, not for every KPI (the matrix
    fetched every KPI's values of its baseline periods: at full scale twice the rows)."""
    from kpis.selectors import _MatrixJudge

    kpis = list(KPI.objects.active().with_area())
    previous = periods.previous(spring)
    judge = _MatrixJudge.fetch(kpis, list(Academy.objects.active()), periods, (spring, previous))
    baselines: dict[int, set[int]] = {}  # baseline period → the KPIs measured from it
    for at in (spring, previous):
        for k in kpis:
            if (b := periods.baseline(k, at)) is not None:
                baselines.setdefault(b.pk, set()).add(k.pk)
    assert baselines, "the demo has change targets"
    read = {(kpi_id, period_id) for kpi_id, _, period_id in judge.values}
    for period_id, kpi_ids in baselines.items():
        in_base = {kpi_id for kpi_id, p in read if p == period_id}
        assert in_base and in_base <= kpi_ids
    assert len({kpi_id for kpi_id, p in read if p == spring.pk}) > len(
        set().union(*baselines.values())
    )
