import pytest
from django.db import IntegrityError, transaction

from plans.models import ActionStatus, Plan, PlanStatus, ProgressUpdate


def test_only_one_plan_can_be_active(trust):
    assert trust.status == PlanStatus.ACTIVE
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(title="Another", start_year=2024, end_year=2025, status="active")
    Plan.objects.create(title="Next year's draft", start_year=2024, end_year=2025, status="draft")


def test_a_plan_cannot_end_before_it_starts(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(title="Backwards", start_year=2024, end_year=2023)


def test_objective_numbers_are_unique_within_a_plan(trust):
    with pytest.raises(IntegrityError), transaction.atomic():
        trust.objectives.create(number=1, title="Duplicate objective 1")


def test_off_track_update_without_commentary_is_refused_by_the_database(trust):
    action = trust.objectives.get(number=1).actions.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressUpdate.objects.create(action=action, status=ActionStatus.OFF_TRACK, commentary="")
    ProgressUpdate.objects.create(
        action=action, status=ActionStatus.OFF_TRACK, commentary="Recruitment delayed."
    )


def test_an_actions_status_is_its_latest_updates(trust):
    import datetime

    action = trust.objectives.get(number=1).actions.first()
    assert action.status == ActionStatus.NOT_STARTED
    ProgressUpdate.objects.create(
        action=action, status=ActionStatus.ON_TRACK, date=datetime.date(2023, 10, 1)
    )
    ProgressUpdate.objects.create(
        action=action,
        status=ActionStatus.AT_RISK,
        commentary="Staff absence.",
        date=datetime.date(2023, 12, 1),
    )
    assert action.status == ActionStatus.AT_RISK
    annotated = type(action).objects.with_current_status().get(pk=action.pk)
    assert annotated.status == ActionStatus.AT_RISK


def test_an_incomplete_action_past_its_due_date_is_overdue(trust):
    import datetime

    action = trust.objectives.get(number=1).actions.first()
    action.due_date = datetime.date(2024, 1, 31)
    today = datetime.date(2024, 2, 1)
    assert action.is_overdue(today)
    assert not action.is_overdue(datetime.date(2024, 1, 31))
    ProgressUpdate.objects.create(action=action, status=ActionStatus.COMPLETE, date=today)
    assert not action.is_overdue(today)


def test_actions_naming_academies_by_short_name_have_them_in_scope(trust):
    from plans.models import Action

    def scope(start):
        action = Action.objects.get(description__startswith=start)
        return set(action.academies.values_list("short_name", flat=True))

    assert scope("Onboard TWS and PH") == {"TWS", "PH"}
    assert scope("Additional support brokered") == {"TWS", "MS"}
    assert scope("Publish Trust Improvement Calendar") == set()
    assert Action.objects.filter(academies__isnull=False).distinct().count() == 2
