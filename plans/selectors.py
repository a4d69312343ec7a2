"""Reads of the plan for the board's pages."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from plans.models import Action, ActionStatus, Plan, PlanStatus, StrategicObjective


@dataclass
class ObjectiveProgress:
    objective: StrategicObjective
    by_status: Counter = field(default_factory=Counter)
    overdue: list[Action] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def status_counts(self) -> list[tuple[str, str, int]]:
        return [(s.value, s.label, self.by_status.get(s.value, 0)) for s in ActionStatus]


def active_plan() -> Plan | None:
    return Plan.objects.filter(status=PlanStatus.ACTIVE).first()


def plan_progress(plan: Plan, today: datetime.date | None = None) -> list[ObjectiveProgress]:
    """Actions by status and the overdue ones, per objective (objectives; actions)."""
    today = today or timezone.localdate()
    progress = {o.pk: ObjectiveProgress(o) for o in plan.objectives.order_by("number")}
    actions = Action.objects.filter(objective__plan=plan).with_current_status()
    for action in actions:
        entry = progress[action.objective_id]
        entry.by_status[action.status] += 1
        if action.is_overdue(today):
            entry.overdue.append(action)
    return list(progress.values())
