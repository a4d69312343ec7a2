"""Writes across the plan's models."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from academies.models import Academy, Owner
from academies.services import owner_lookup
from kpis.models import KPI
from plans.models import Action, Aim, Plan, StrategicObjective, SuccessCriterion
from plans.references import ReferenceError, parse_kpi_codes, parse_owner_codes


class PlanFixtureError(ValueError):
    """A plan fixture that cannot be loaded; the message names the place and the problem."""


@transaction.atomic
def load_plan(*, data: dict[str, Any]) -> tuple[Plan, bool]:
    """Load a transcribed plan (see fixtures/plan_*.yaml). Returns (plan, created).

    Idempotent: a plan with the same title and years is left as it is. Two shapes of
    objective are understood — both seeds' — and may be mixed:
    - ``aims: [{title, actions: [{description, responsibility, kpi, monitored_by}]}]``, each
      action serving its one aim, its reference cells as written in the plan;
    - ``aims: [{number, title}]`` plus ``groups: [{aims: [numbers], actions: [text],
      success_criteria: [text]}]``, actions and criteria serving a group of aims.
    Every reference is parsed; an unknown KPI or owner stops the load with nothing written.
    """
    existing = Plan.objects.filter(
        title=data["title"], start_year=data["start_year"], end_year=data["end_year"]
    ).first()
    if existing:
        return existing, False

    plan = Plan.objects.create(
        title=data["title"],
        start_year=data["start_year"],
        end_year=data["end_year"],
        status=data.get("status", "draft"),
        introduction=data.get("introduction", ""),
        objective_label=data.get("objective_label", "Strategic objective"),
        aim_label=data.get("aim_label", "Aim"),
    )
    kpis = {kpi.code: kpi for kpi in KPI.objects.all()}
    owners = owner_lookup()
    owner_ids = dict(Owner.objects.values_list("code", "pk"))
    academies_named = _academy_matcher()

    for objective_row in data["objectives"]:
        objective = StrategicObjective.objects.create(
            plan=plan, number=objective_row["number"], title=objective_row["title"]
        )
        where_objective = f"{plan.objective_label} {objective.number}"
        aims_by_number: dict[str, Aim] = {}
        action_position = 0
        for aim_position, aim_row in enumerate(objective_row.get("aims", []), start=1):
            aim = Aim.objects.create(
                objective=objective, position=aim_position, title=aim_row.get("title", "")
            )
            stated = str(aim_row.get("number", aim.number))
            if stated != aim.number:
                raise PlanFixtureError(
                    f"{where_objective}: aim {stated} is listed in position {aim.number}"
                )
            aims_by_number[aim.number] = aim
            for action_row in aim_row.get("actions", []):
                action_position += 1
                where = f"{where_objective}, aim {aim.number}, action {action_position}"
                action = Action.objects.create(
                    objective=objective,
                    position=action_position,
                    description=action_row.get("description", ""),
                )
                action.aims.add(aim)
                action.academies.set(academies_named(action.description))
                try:
                    codes = parse_kpi_codes(action_row.get("kpi", ""))
                    responsible = parse_owner_codes(action_row.get("responsibility", ""), owners)
                    monitors = parse_owner_codes(action_row.get("monitored_by", ""), owners)
                except ReferenceError as error:
                    raise PlanFixtureError(f"{where}: {error}") from error
                missing = [code for code in codes if code not in kpis]
                if missing:
                    raise PlanFixtureError(f"{where}: no KPI {', '.join(missing)} in the framework")
                action.kpis.set([kpis[code] for code in codes])
                action.responsible.set([owner_ids[code] for code in responsible])
                action.monitors.set([owner_ids[code] for code in monitors])

        criterion_position = 0
        for group in objective_row.get("groups", []):
            try:
                group_aims = [aims_by_number[str(number)] for number in group["aims"]]
            except KeyError as error:
                raise PlanFixtureError(
                    f"{where_objective}: a group names aim {error.args[0]}, which it does not have"
                ) from error
            for text in group.get("actions", []):
                action_position += 1
                action = Action.objects.create(
                    objective=objective, position=action_position, description=text
                )
                action.aims.set(group_aims)
                action.academies.set(academies_named(text))
            for text in group.get("success_criteria", []):
                criterion_position += 1
                criterion = SuccessCriterion.objects.create(
                    objective=objective, position=criterion_position, text=text
                )
                criterion.aims.set(group_aims)
    return plan, True


def _academy_matcher():
    """A function giving the academies an action's text names by short name ("TWS and PH").

    Plans name academies in the action itself rather than in a column; matching the short
    names as whole, case-sensitive words puts those academies in the action's scope.
    """
    by_short_name = dict(Academy.objects.values_list("short_name", "pk"))
    if not by_short_name:
        return lambda text: []
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, by_short_name)) + r")\b")
    return lambda text: sorted({by_short_name[name] for name in pattern.findall(text or "")})
