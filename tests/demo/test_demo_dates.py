"""The demo's dates are the seed's (demo/dates.py): no demo action is due before or after a date
its own text names, updates fall in the plan's year up to the summer 2024 collection, and every
demo period has a collection deadline two weeks before its term ends."""

from __future__ import annotations

import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command

from demo.dates import AS_OF, YEAR_END, YEAR_START, due_date_for, named_window
from kpis.models import Period, Return, ReturnStatus
from plans.models import Action, ActionStatus, Plan, PlanStatus, ProgressUpdate

MONTHS = "January February March April May June July August September October November December"


@pytest.fixture
def demo(db):
    call_command("load_demo", without_pack=True, stdout=StringIO())
    return Plan.objects.get(status=PlanStatus.ACTIVE)


def _demo_actions(plan):
    return list(Action.objects.filter(objective__plan=plan).with_current_status())


# The rule, on the seed's own wording ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("Due diligence presented to Trustees July 2023", datetime.date(2023, 7, 31)),
        (
            "School Improvement Plan drawn up and presented to Headteachers Board for "
            "September 2023",
            datetime.date(2023, 9, 30),
        ),
        (
            "Legal process initiated to secure successful transfer for January 2024.",
            datetime.date(2024, 1, 31),
        ),
        ("External review calendared for 2023", datetime.date(2023, 12, 31)),
        (
            "All secondary schools to complete CLFP in Autumn Term 1 for the next academic/"
            "financial year",
            datetime.date(2023, 10, 31),
        ),
        ("Impact measured termly through KPIs and reported to LGBs", None),
    ],
)
def test_the_due_date_is_the_last_day_of_the_date_the_text_names(text, due):
    fallback = datetime.date(2024, 5, 1)
    assert due_date_for(text, fallback) == (due or fallback)


def test_every_demo_period_is_due_two_weeks_before_its_term_ends(demo):
    periods = list(Period.objects.order_by("year_start", "term"))
    assert [p.slug for p in periods][-1] == "2023-24-summer"
    for period in periods:
        assert period.due_date == period.end_date - datetime.timedelta(days=14), period
    assert Period.objects.get(slug="2023-24-summer").due_date == AS_OF == datetime.date(2024, 7, 17)


def test_demo_returns_were_submitted_before_their_deadline_and_approved_after(demo):
    for ret in Return.objects.select_related("period"):
        if ret.status == ReturnStatus.DRAFT:
            assert ret.submitted_at is None
            continue
        assert ret.submitted_at.date() < ret.period.due_date, ret
        if ret.status == ReturnStatus.APPROVED:
            assert ret.approved_at > ret.submitted_at, ret


def test_demo_returns_were_last_changed_in_the_seeds_year_by_a_person(demo):
    """My work showed "Sent back, 2 Dec 2026" (the load time) for a 2023/24 return."""
    heads = {"aldersley-high-school": "head", "penn-hall-school": "exechead"}
    for ret in Return.objects.select_related("period", "academy", "submitted_by", "updated_by"):
        assert ret.updated_at.date() <= AS_OF + datetime.timedelta(days=7), ret
        if ret.status == ReturnStatus.SENT_BACK:
            assert ret.updated_by.username == "central"
            assert ret.updated_at.date() == ret.period.due_date + datetime.timedelta(days=2)
        elif ret.submitted_at and ret.academy.slug in heads:
            assert ret.submitted_by.username == heads[ret.academy.slug], ret


# Every demo action --------------------------------------------------------------------------


def test_no_demo_action_is_due_outside_a_date_its_own_text_names(demo):
    named = 0
    for action in _demo_actions(demo):
        window = named_window(action.description)
        if window is None:
            continue
        named += 1
        first, last = window
        assert first <= action.due_date <= last, (action.description, action.due_date)
    assert named >= 5  # July 2023, September 2023, January 2024, 2023, Autumn Term 1


def test_no_demo_action_names_a_month_and_year_its_due_date_is_not_in(demo):
    # Independent of demo.dates: any "Month YYYY" in the text is the due date's month.
    pattern = re.compile(rf"\b({'|'.join(MONTHS.split())})\s+(\d{{4}})\b")
    checked = 0
    for action in _demo_actions(demo):
        match = pattern.search(action.description)
        if match:
            checked += 1
            assert action.due_date.strftime("%B %Y") == f"{match.group(1)} {match.group(2)}", (
                action.description
            )
    assert checked == 3


def test_demo_actions_that_name_no_date_are_due_within_the_plans_year(demo):
    for action in _demo_actions(demo):
        if named_window(action.description) is None:
            assert YEAR_START <= action.due_date <= YEAR_END, (action.description, action.due_date)


def test_no_demo_action_is_due_in_a_year_the_plan_does_not_cover(demo):
    years = {action.due_date.year for action in _demo_actions(demo)}
    assert years <= {2023, 2024}


def test_demo_updates_fall_in_2023_24_up_to_the_summer_collection(demo):
    dates = list(
        ProgressUpdate.objects.filter(action__objective__plan=demo).values_list("date", flat=True)
    )
    assert dates
    assert min(dates) >= datetime.date(2023, 1, 1)
    assert max(dates) <= AS_OF


def test_a_complete_demo_action_was_completed_by_its_due_date(demo):
    complete = [a for a in _demo_actions(demo) if a.status == ActionStatus.COMPLETE]
    assert complete
    for action in complete:
        assert action.latest_update_on <= action.due_date, action.description


def test_the_demo_still_shows_every_status_and_some_overdue_actions(demo):
    actions = _demo_actions(demo)
    assert {a.status for a in actions} == set(ActionStatus.values)
    assert any(a.is_overdue() for a in actions)
    assert not all(a.is_overdue() for a in actions)  # complete ones are not


def test_the_archived_plan_gets_no_invented_progress(demo):
    old = Plan.objects.get(status=PlanStatus.ARCHIVED)
    assert not ProgressUpdate.objects.filter(action__objective__plan=old).exists()
    assert not Action.objects.filter(objective__plan=old, due_date__isnull=False).exists()
