"""Overdue actions are decided by Action.is_overdue alone: the queryset that filters them
(ActionQuerySet.overdue, behind the plan page's "Overdue only") keeps exactly those."""

from __future__ import annotations

import datetime

from django.utils import timezone

from kpis.models import Period, Term
from plans.models import Action, ActionStatus, ProgressUpdate

TODAY = datetime.date(2024, 6, 1)


def _make_cases(plan) -> dict[str, Action]:
    actions = list(Action.objects.filter(objective__plan=plan).order_by("pk")[:6])
    past_term = Period.objects.create(year_start=2023, term=Term.AUTUMN)  # ends 31 Dec 2023
    later_term = Period.objects.create(year_start=2024, term=Term.AUTUMN)  # ends 31 Dec 2024
    cases = dict(
        zip(
            ["late", "late_complete", "later", "late_term", "later_term", "undated"],
            actions,
            strict=True,
        )
    )
    Action.objects.filter(objective__plan=plan).update(due_date=None, due_period=None)
    for name, due_date, due_period in [
        ("late", TODAY - datetime.timedelta(days=1), None),
        ("late_complete", TODAY - datetime.timedelta(days=1), None),
        ("later", TODAY + datetime.timedelta(days=1), None),
        ("late_term", None, past_term),
        ("later_term", None, later_term),
    ]:
        Action.objects.filter(pk=cases[name].pk).update(due_date=due_date, due_period=due_period)
    ProgressUpdate.objects.create(
        action=cases["late_complete"], date=datetime.date(2024, 1, 5), status=ActionStatus.COMPLETE
    )
    ProgressUpdate.objects.create(
        action=cases["late"], date=datetime.date(2024, 1, 5), status=ActionStatus.ON_TRACK
    )
    return cases


def test_the_overdue_queryset_keeps_exactly_the_actions_is_overdue_names(trust):
    cases = _make_cases(trust)
    everything = Action.objects.filter(objective__plan=trust)

    chosen = set(everything.overdue(TODAY).values_list("pk", flat=True))

    by_rule = {a.pk for a in everything.with_current_status() if a.is_overdue(TODAY)}
    assert chosen == by_rule == {cases["late"].pk, cases["late_term"].pk}


def test_the_overdue_queryset_works_on_actions_annotated_with_their_status(trust):
    cases = _make_cases(trust)
    annotated = Action.objects.filter(objective__plan=trust).with_current_status()

    chosen = set(annotated.overdue(TODAY).values_list("pk", flat=True))

    assert chosen == {cases["late"].pk, cases["late_term"].pk}


def test_an_action_due_today_is_not_yet_overdue(trust):
    action = Action.objects.filter(objective__plan=trust).first()
    today = timezone.localdate()
    Action.objects.filter(pk=action.pk).update(due_date=today, due_period=None)

    assert not Action.objects.get(pk=action.pk).is_overdue(today)
    assert not Action.objects.filter(pk=action.pk).overdue(today).exists()
