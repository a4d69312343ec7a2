"""Progress update dates: never after today nor before the plan's first year, on every path
(the action page and the admin), and an action's status is its latest update by date, then by
when it was posted."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from plans.models import Action, ActionStatus, ProgressUpdate


@pytest.fixture
def action(trust):
    return Action.objects.filter(objective__plan=trust).first()


def _post(client, action, date, status="complete"):
    return client.post(
        reverse("plans:action_update", args=[action.pk]),
        {"date": date, "status": status, "commentary": "Done."},
    )


def test_a_far_future_update_is_refused_so_later_updates_still_count(client_for, action):
    client = client_for("central")
    response = _post(client, action, "9999-12-31")
    assert response.status_code == 400
    assert "cannot be after today" in response.content.decode()
    assert not action.updates.exists()
    today = timezone.localdate()
    assert _post(client, action, today.isoformat(), "at_risk").status_code == 302
    assert Action.objects.get(pk=action.pk).status == ActionStatus.AT_RISK


def test_tomorrow_is_refused_and_today_accepted(client_for, action):
    client = client_for("central")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert _post(client, action, tomorrow.isoformat()).status_code == 400
    assert _post(client, action, timezone.localdate().isoformat()).status_code == 302


def test_an_update_before_the_plans_first_year_is_refused(client_for, action, trust):
    response = _post(client_for("central"), action, f"{trust.start_year - 1}-12-31")
    assert response.status_code == 400
    assert f"first year ({trust.start_year})" in response.content.decode()
    assert _post(client_for("central"), action, f"{trust.start_year}-01-01").status_code == 302


def test_the_admin_refuses_a_far_future_update_too(client_for, action):
    client = client_for("admin")
    response = client.post(
        reverse("admin:plans_progressupdate_add"),
        {"action": action.pk, "date": "9999-12-31", "status": "complete", "commentary": "x"},
    )
    assert response.status_code == 200  # the form again, with its error
    assert "cannot be after today" in response.content.decode()
    assert not ProgressUpdate.objects.filter(action=action).exists()


def test_same_day_updates_rank_by_when_they_were_posted(action, cast):
    today = timezone.localdate()
    first = ProgressUpdate.objects.create(action=action, date=today, status="complete")
    second = ProgressUpdate.objects.create(
        action=action, date=today, status="off_track", commentary="Slipped."
    )
    # Posted the other way round from their ids (e.g. restored from a backup): the time posted
    # decides, not the id.
    now = timezone.now()
    ProgressUpdate.objects.filter(pk=first.pk).update(created_at=now)
    ProgressUpdate.objects.filter(pk=second.pk).update(created_at=now - datetime.timedelta(hours=1))
    assert Action.objects.get(pk=action.pk).status == ActionStatus.COMPLETE
    annotated = Action.objects.with_current_status().get(pk=action.pk)
    assert annotated.latest_status == ActionStatus.COMPLETE
    assert list(action.updates.all()) == [first, second]
