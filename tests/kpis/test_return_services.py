"""Return services tested directly: parsing, outliers, saving, concurrency, history, queries."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpis.measures import is_outlier, parse_value
from kpis.models import KPI, Area, KPIValue, Period, Return, ReturnStatus, Term
from kpis.returns import (
    ReturnConflict,
    ReturnError,
    return_approve,
    return_reopen,
    return_save,
    return_send_back,
)


def kpi(measure: str, code: str = "9.9", name: str = "Test KPI") -> KPI:
    return KPI(code=code, name=name, measure=measure)


@pytest.mark.parametrize("raw", ["95", "95%", "95.0", " 95 % ", "95.00%"])
def test_percentages_accept_the_ways_people_type_them(raw):
    assert parse_value(kpi("percentage"), raw) == Decimal("95")


@pytest.mark.parametrize(
    ("measure", "raw", "message"),
    [
        ("percentage", "105", "9.9 Test KPI: 105 is above 100."),
        ("percentage", "-1", "9.9 Test KPI: -1 is below 0."),
        (
            "percentage",
            "ninety",
            "9.9 Test KPI: “ninety” is not a number. "
            "Enter a percentage from 0 to 100, such as 95 or 95%.",
        ),
        ("count", "2.5", "9.9 Test KPI: 2.5 is not a whole number."),
        ("count", "-3", "9.9 Test KPI: a count cannot be negative (-3)."),
        # Issue 15: each measure says what it accepts, in its own terms.
        (
            "grade",
            "5",
            "9.9 Test KPI: “5” is not a grade. Choose a grade from 1 (outstanding) to 4 "
            "(inadequate).",
        ),
        ("yes_no", "2", "9.9 Test KPI: “2” is not Yes or No. Enter Yes or No."),
        ("yes_no", "Maybe", "9.9 Test KPI: “Maybe” is not Yes or No. Enter Yes or No."),
        (
            "grade",
            "Good-ish",
            "9.9 Test KPI: “Good-ish” is not a grade. Choose a grade from 1 "
            "(outstanding) to 4 (inadequate).",
        ),
        (
            "count",
            "lots",
            "9.9 Test KPI: “lots” is not a number. Enter a whole number of 0 or more, such as 12.",
        ),
        ("number", "1e5", "9.9 Test KPI: “1e5” is not a number. Enter a number, such as 4.25."),
        ("money", "9" * 20, "9.9 Test KPI: " + "9" * 20 + " is too large."),
        ("number", "=1+1", "9.9 Test KPI: “=1+1” is not a number. Enter a number, such as 4.25."),
    ],
)
def test_bad_values_are_refused_naming_the_kpi_and_why(measure, raw, message):
    with pytest.raises(ValidationError) as error:
        parse_value(kpi(measure), raw)
    assert error.value.messages == [message]


@pytest.mark.parametrize(
    ("measure", "raw", "expected"),
    [
        ("money", "£12,300", Decimal("12300")),
        ("money", "-£5,000", Decimal("-5000")),
        ("money", "£-5000", Decimal("-5000")),
        ("count", "12", Decimal("12")),
        ("count", "1,200", Decimal("1200")),
        ("number", "4.25", Decimal("4.25")),
        ("number", "−3.5", Decimal("-3.5")),
        ("grade", "3", Decimal("3")),
        ("yes_no", "0", Decimal("0")),
        ("yes_no", "Yes", Decimal("1")),
        ("yes_no", " no ", Decimal("0")),
        ("grade", "Requires improvement", Decimal("3")),
        ("number", "", None),
        ("number", "   ", None),
    ],
)
def test_values_are_read_by_measure(measure, raw, expected):
    assert parse_value(kpi(measure), raw) == expected


def test_attendance_dropping_15_points_is_an_outlier_but_3_is_not():
    attendance = kpi("percentage")
    assert "15 points down" in is_outlier(attendance, Decimal("80"), Decimal("95"))
    assert is_outlier(attendance, Decimal("92"), Decimal("95")) is None
    assert is_outlier(attendance, Decimal("80"), None) is None


def test_an_outlier_reads_in_the_measures_words_and_names_last_period_once():
    # The return said "30200 is up from 9300 on last period (9300)" of a budget in pounds.
    assert is_outlier(kpi("money"), Decimal("30200"), Decimal("9300")) == (
        "£30,200 is up on last period (£9,300)"
    )
    assert is_outlier(kpi("count"), Decimal("12"), Decimal("40")) == (
        "12 is down on last period (40)"
    )


def test_counts_doubling_are_outliers_but_small_numbers_are_not():
    suspensions = kpi("count")
    assert is_outlier(suspensions, Decimal("40"), Decimal("12"))
    assert is_outlier(suspensions, Decimal("3"), Decimal("1")) is None  # change under 5


@pytest.fixture
def summer(trust):
    return Period.objects.create(year_start=2023, term=Term.SUMMER, is_open=True)


def applicable(academy):
    return [
        k
        for k in KPI.objects.active().with_area()
        if k.applies_to(academy) and not k.from_inspections
    ]


def full_values(kpis):
    """A value for every KPI that meets its target (so submit needs no notes)."""
    sample = {
        "percentage": "100",
        "count": "0",
        "grade": "1",
        "yes_no": "1",
        "money": "1000",
        "number": "50",
    }

    def best(k):
        if k.measure == "percentage" and k.lower_is_better:
            return "0"
        return sample[k.measure]

    return {k.pk: (parse_value(k, best(k)), False, "") for k in kpis}


def save(academy, period, user, kpis, values, *, version=0, submit=False):
    return return_save(
        academy=academy,
        period=period,
        user=user,
        kpis=kpis,
        values=values,
        version=version,
        was={},
        submit=submit,
    )


def test_saving_a_draft_creates_the_return_and_values_with_history(academy_a, summer, cast):
    kpis = applicable(academy_a)
    result = save(academy_a, summer, cast["head_a"], kpis, full_values(kpis))
    assert result.created == len(kpis) and result.ret.status == ReturnStatus.DRAFT
    assert result.ret.version == 1
    assert KPIValue.objects.filter(academy=academy_a, period=summer).count() == len(kpis)
    history = KPIValue.history.filter(academy=academy_a, period=summer)
    assert history.count() == len(kpis)
    assert {h.history_user for h in history} == {cast["head_a"]}


def test_saving_again_unchanged_changes_nothing(academy_a, summer, cast):
    kpis = applicable(academy_a)
    save(academy_a, summer, cast["head_a"], kpis, full_values(kpis))
    again = save(academy_a, summer, cast["head_a"], kpis, full_values(kpis), version=1)
    assert again.changed == 0
    assert KPIValue.history.filter(academy=academy_a, period=summer).count() == len(kpis)


def test_a_changed_and_a_cleared_value_keep_old_and_new_in_history(academy_a, summer, cast):
    kpis = applicable(academy_a)
    attendance = next(k for k in kpis if k.code == "2.1")
    absence = next(k for k in kpis if k.code == "2.2")
    save(academy_a, summer, cast["head_a"], kpis, full_values(kpis))
    values = full_values(kpis)
    values[attendance.pk] = (Decimal("94.5"), False, "Flu outbreak")
    values[absence.pk] = (None, False, "")
    result = save(academy_a, summer, cast["central"], kpis, values, version=1)
    assert (result.updated, result.deleted) == (1, 1)
    records = list(
        KPIValue.history.filter(kpi=attendance, academy=academy_a).order_by("history_date")
    )
    assert [r.value for r in records] == [Decimal("100"), Decimal("94.5")]
    assert records[-1].history_user == cast["central"]
    deleted = KPIValue.history.filter(kpi=absence, academy=academy_a, history_type="-")
    assert deleted.count() == 1 and deleted.get().history_user == cast["central"]
    assert not KPIValue.objects.filter(kpi=absence, academy=academy_a, period=summer).exists()


def test_a_stale_version_is_refused_and_nothing_is_written(academy_a, summer, cast):
    kpis = applicable(academy_a)
    attendance = next(k for k in kpis if k.code == "2.1")
    save(academy_a, summer, cast["head_a"], kpis, full_values(kpis))  # version 0 → 1
    mine = full_values(kpis)
    mine[attendance.pk] = (Decimal("97"), False, "")
    save(academy_a, summer, cast["central"], kpis, mine, version=1)  # version 1 → 2
    theirs = full_values(kpis)
    theirs[attendance.pk] = (Decimal("90"), False, "")
    with pytest.raises(ReturnConflict) as conflict:
        return_save(
            academy=academy_a,
            period=summer,
            user=cast["head_a"],
            kpis=kpis,
            values=theirs,
            version=1,
            was={attendance.pk: "100"},
        )
    assert any(
        change.startswith("2.1 Attendance > 95%: now 97%") for change in conflict.value.changes
    )
    stored = KPIValue.objects.get(kpi=attendance, academy=academy_a, period=summer)
    assert stored.value == Decimal("97")
    assert Return.objects.get(academy=academy_a, period=summer).version == 2


def test_a_refused_submit_saves_the_draft_and_lists_what_to_resolve(academy_a, summer, cast):
    # Issue 15 changed this: a refused Submit used to write nothing; now the draft is saved.
    kpis = applicable(academy_a)
    values = full_values(kpis)
    missing = kpis[0]
    del values[missing.pk]
    result = save(academy_a, summer, cast["head_a"], kpis, values, submit=True)
    assert result.submitted is False and list(result.problems) == [missing.pk]
    assert "enter a value" in result.problems[missing.pk]
    ret = Return.objects.get(academy=academy_a, period=summer)
    assert ret.status == ReturnStatus.DRAFT and ret.submitted_at is None
    stored = KPIValue.objects.filter(academy=academy_a, period=summer)
    assert stored.count() == len(kpis) - 1


def test_submit_needs_a_note_on_every_red_value(academy_a, summer, cast):
    kpis = applicable(academy_a)
    attendance = next(k for k in kpis if k.code == "2.1")
    values = full_values(kpis)
    values[attendance.pk] = (Decimal("80"), False, "")
    refused = save(academy_a, summer, cast["head_a"], kpis, values, submit=True)
    assert list(refused.problems) == [attendance.pk] and not refused.submitted
    assert "is red" in refused.problems[attendance.pk]
    values[attendance.pk] = (Decimal("80"), False, "Covid closure in June")
    result = save(
        academy_a, summer, cast["head_a"], kpis, values, submit=True, version=refused.ret.version
    )
    assert result.submitted and result.problems == {}
    assert result.ret.status == ReturnStatus.SUBMITTED
    assert result.ret.submitted_by == cast["head_a"]


def test_not_available_counts_as_complete(academy_a, summer, cast):
    kpis = applicable(academy_a)
    values = full_values(kpis)
    values[kpis[0].pk] = (None, True, "Exam results not yet published")
    assert save(academy_a, summer, cast["head_a"], kpis, values, submit=True).ret.status == (
        ReturnStatus.SUBMITTED
    )


def test_workflow_submit_approve_reopen_and_send_back(academy_a, summer, cast):
    kpis = applicable(academy_a)
    ret = save(academy_a, summer, cast["head_a"], kpis, full_values(kpis), submit=True).ret
    with pytest.raises(ReturnError):
        save(academy_a, summer, cast["head_a"], kpis, full_values(kpis), version=ret.version)
    ret = return_approve(ret=ret, user=cast["central"], version=ret.version)
    assert ret.status == ReturnStatus.APPROVED and ret.approved_by == cast["central"]
    with pytest.raises(ReturnError, match="approved"):
        save(academy_a, summer, cast["central"], kpis, full_values(kpis), version=ret.version)
    with pytest.raises(ReturnError, match="Say why"):
        return_send_back(ret=ret, user=cast["central"], version=ret.version, reason="  ")
    ret = return_send_back(ret=ret, user=cast["central"], version=ret.version, reason="Check 2.1")
    assert ret.status == ReturnStatus.SENT_BACK and ret.sent_back_reason == "Check 2.1"
    # Sent back: the head may edit again.
    save(academy_a, summer, cast["head_a"], kpis, full_values(kpis), version=ret.version)
    with pytest.raises(ReturnError, match="Only a submitted or approved"):
        return_reopen(
            ret=Return.objects.get(pk=ret.pk), user=cast["central"], version=ret.version + 1
        )


def test_a_closed_period_refuses_every_write(academy_a, summer, cast):
    summer.is_open = False
    summer.save()
    kpis = applicable(academy_a)
    for user in (cast["head_a"], cast["central"]):
        with pytest.raises(ReturnError, match="closed"):
            save(academy_a, summer, user, kpis, full_values(kpis))
    assert not KPIValue.objects.filter(period=summer).exists()


def _with_kpis(count: int) -> list[KPI]:
    """Exactly `count` active KPIs on the form that apply to every academy (none measured
    from inspections: those are never saved through a return)."""
    area = Area.objects.get(number=4)
    entered = KPI.objects.filter(phases=[]).exclude(measure="inspection")
    for index in range(entered.count(), count):
        KPI.objects.create(
            area=area,
            code=f"4.{200 + index}",
            position=200 + index,
            name=f"Extra {index}",
            measure="percentage",
            target_kind="absolute",
            target_value=Decimal(90),
            amber_margin=Decimal(5),
        )
    chosen = list(entered.order_by("pk")[:count])
    KPI.objects.exclude(pk__in=[k.pk for k in chosen]).update(is_active=False)
    return chosen


def _queries_to_save(academy, period, user, kpis, *, version, submit=False) -> int:
    with CaptureQueriesContext(connection) as context:
        save(academy, period, user, kpis, full_values(kpis), version=version, submit=submit)
    return len(context.captured_queries)


@pytest.mark.parametrize("count", [10, 60])
def test_saving_a_whole_return_takes_a_fixed_number_of_queries(academy_a, summer, cast, count):
    kpis = _with_kpis(count)
    assert len(kpis) == count
    Period.objects.create(year_start=2022, term=Term.SUMMER)  # the change targets' baseline
    # A new draft return: 1 savepoint (atomic), 2 the period, locked against closing, 3 return
    # lookup, 4 values lookup, 5 savepoint, 6 insert return, 7 its history row, 8 release,
    # 9 bulk insert of the values, 10 their history rows in bulk, 11 release. (A draft is not
    # on the board, so the board's cache token is left alone.)
    assert _queries_to_save(academy_a, summer, cast["head_a"], kpis, version=0) == 11
    # Change every value and submit: 1 savepoint, 2 the period (locked), 3 return lookup,
    # 4 values lookup, 5 periods, 6 academy targets, 7 baseline values, 8 national figures
    # (the red-needs-a-note check), 9 version claim, 10 bulk update of the values, 11 their
    # history rows, 12 return save, 13 its history row, 14 board version bump, 15 the
    # academy's column token (kpis.cache: only its column of the matrix changed), 16 release.
    changed = full_values(kpis)
    for k in kpis:
        if k.measure == "percentage":
            changed[k.pk] = (
                Decimal("99.5") if not k.lower_is_better else Decimal("0.5"),
                False,
                "",
            )
    with CaptureQueriesContext(connection) as context:
        return_save(
            academy=academy_a,
            period=summer,
            user=cast["head_a"],
            kpis=kpis,
            values=changed,
            version=1,
            was={},
            submit=True,
        )
    assert len(context.captured_queries) == 16
    assert Return.objects.get(academy=academy_a, period=summer).status == ReturnStatus.SUBMITTED
