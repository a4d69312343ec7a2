"""Every write to the plan: keyword-only functions, each in one transaction, which the views,
the importer and the commands call.

A write to an archived plan raises PlanArchived (a PermissionDenied, so a view that lets it
through answers 403): an archived plan is kept as it was. Single saves and deletes bump the
plan's cache token through signals (plans.cache); bulk writes and QuerySet.update() bump it here.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from academies.models import Academy, Owner
from academies.services import owner_lookup
from kpis.models import KPI, Period
from plans.cache import bump_plan_version
from plans.models import (
    Action,
    Aim,
    Plan,
    PlanStatus,
    ProgressUpdate,
    StrategicObjective,
    SuccessCriterion,
)
from plans.references import ReferenceError, parse_kpi_codes, parse_owner_codes
from plans.selectors import actions_only_serving
from plans.sheet import ActionRow, PlanImport, action_links, norm

PlanItem = StrategicObjective | Aim | Action
User = AbstractBaseUser | None  # who history records (None: a script)


class PlanArchived(PermissionDenied):
    """A write to an archived plan, which can be read but not changed."""


def require_editable(plan: Plan) -> None:
    """Raise PlanArchived unless the plan may still be changed."""
    if plan.status == PlanStatus.ARCHIVED:
        raise PlanArchived("This plan is archived: it can be read but not changed.")


class PlanFixtureError(ValueError):
    """A plan fixture that cannot be loaded; the message names the place and the problem."""


@dataclass
class _PlanReferences:
    """What a plan fixture's reference cells are looked up in, read once per load."""

    kpis: dict[str, KPI]
    owners: dict[str, str]
    owner_ids: dict[str, int]
    academies_named: Callable[[str], list[int]]


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
    refs = _PlanReferences(
        kpis={kpi.code: kpi for kpi in KPI.objects.all()},
        owners=owner_lookup(),
        owner_ids=dict(Owner.objects.values_list("code", "pk")),
        academies_named=_academy_matcher(),
    )
    for objective_row in data["objectives"]:
        _load_objective(plan, objective_row, refs)
    return plan, True


def _load_objective(plan: Plan, row: dict[str, Any], refs: _PlanReferences) -> None:
    """One objective: its aims with their own actions, then its groups (actions and success
    criteria serving several aims). Actions are numbered across both, in that order."""
    objective = StrategicObjective.objects.create(
        plan=plan, number=row["number"], title=row["title"]
    )
    where_objective = f"{plan.objective_label} {objective.number}"
    aims_by_number: dict[str, Aim] = {}
    action_position = 0
    for aim_position, aim_row in enumerate(row.get("aims", []), start=1):
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
            _load_aim_action(objective, aim, action_position, action_row, refs, where)

    criterion_position = 0
    for group in row.get("groups", []):
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
            action.academies.set(refs.academies_named(text))
        for text in group.get("success_criteria", []):
            criterion_position += 1
            criterion = SuccessCriterion.objects.create(
                objective=objective, position=criterion_position, text=text
            )
            criterion.aims.set(group_aims)


def _load_aim_action(
    objective: StrategicObjective,
    aim: Aim,
    position: int,
    row: dict[str, Any],
    refs: _PlanReferences,
    where: str,
) -> None:
    """An action serving its one aim, with its KPI, responsibility and monitoring cells parsed
    as the plan writes them; ``where`` names it in an error."""
    action = Action.objects.create(
        objective=objective, position=position, description=row.get("description", "")
    )
    action.aims.add(aim)
    action.academies.set(refs.academies_named(action.description))
    try:
        codes = parse_kpi_codes(row.get("kpi", ""))
        responsible = parse_owner_codes(row.get("responsibility", ""), refs.owners)
        monitors = parse_owner_codes(row.get("monitored_by", ""), refs.owners)
    except ReferenceError as error:
        raise PlanFixtureError(f"{where}: {error}") from error
    missing = [code for code in codes if code not in refs.kpis]
    if missing:
        raise PlanFixtureError(f"{where}: no KPI {', '.join(missing)} in the framework")
    action.kpis.set([refs.kpis[code] for code in codes])
    action.responsible.set([refs.owner_ids[code] for code in responsible])
    action.monitors.set([refs.owner_ids[code] for code in monitors])


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


# --- Objectives, aims and actions -------------------------------------------------------------


@transaction.atomic
def objective_create(*, plan: Plan, number: int, title: str, user: User) -> StrategicObjective:
    require_editable(plan)
    objective = StrategicObjective(plan=plan, number=number, title=title)
    objective._history_user = user
    objective.save()
    return objective


@transaction.atomic
def objective_edit(
    *, objective: StrategicObjective, number: int, title: str, user: User
) -> StrategicObjective:
    require_editable(objective.plan)
    objective.number, objective.title = number, title
    objective._history_user = user
    objective.save()
    return objective


@transaction.atomic
def aim_create(*, objective: StrategicObjective, title: str, user: User) -> Aim:
    """Add an aim after the objective's last. The objective's row is locked first, so two aims
    added at once take two positions (they are unique) instead of colliding."""
    require_editable(objective.plan)
    StrategicObjective.objects.select_for_update().filter(pk=objective.pk).first()
    position = (objective.aims.aggregate(n=Max("position"))["n"] or 0) + 1
    aim = Aim(objective=objective, position=position, title=title)
    aim._history_user = user
    aim.save()
    return aim


@transaction.atomic
def aim_edit(*, aim: Aim, title: str, user: User) -> Aim:
    require_editable(aim.plan)
    aim.title = title
    aim._history_user = user
    aim.save()
    return aim


@transaction.atomic
def action_create(
    *,
    objective: StrategicObjective,
    user: User,
    aims: Iterable[Aim],
    description: str = "",
    academies: Iterable[Academy] = (),
    due_date: datetime.date | None = None,
    due_period: Period | None = None,
    responsible: Iterable[Owner] = (),
    monitors: Iterable[Owner] = (),
    kpis: Iterable[KPI] = (),
) -> Action:
    """Add an action after the objective's last, serving ``aims`` (of that objective)."""
    require_editable(objective.plan)
    last = objective.actions.order_by("-position").first()
    action = Action(objective=objective, position=(last.position + 1) if last else 1)
    return _action_save(
        action,
        user=user,
        aims=aims,
        description=description,
        academies=academies,
        due_date=due_date,
        due_period=due_period,
        responsible=responsible,
        monitors=monitors,
        kpis=kpis,
    )


@transaction.atomic
def action_edit(
    *,
    action: Action,
    user: User,
    aims: Iterable[Aim],
    description: str,
    academies: Iterable[Academy],
    due_date: datetime.date | None,
    due_period: Period | None,
    responsible: Iterable[Owner],
    monitors: Iterable[Owner],
    kpis: Iterable[KPI],
) -> Action:
    """Change an action and replace its links (history records who, and what the links were)."""
    require_editable(action.plan)
    return _action_save(
        action,
        user=user,
        aims=aims,
        description=description,
        academies=academies,
        due_date=due_date,
        due_period=due_period,
        responsible=responsible,
        monitors=monitors,
        kpis=kpis,
    )


def _action_save(
    action: Action,
    *,
    user: User,
    aims: Iterable[Aim],
    academies: Iterable[Academy],
    responsible: Iterable[Owner],
    monitors: Iterable[Owner],
    kpis: Iterable[KPI],
    **fields: Any,
) -> Action:
    """Save the action's own fields, then set its links (history needs the row first)."""
    for name, value in fields.items():
        setattr(action, name, value)
    action._history_user = user
    action.save()
    action.aims.set(aims)
    action.academies.set(academies)
    action.responsible.set(responsible)
    action.monitors.set(monitors)
    action.kpis.set(kpis)
    return action


@transaction.atomic
def plan_item_move(*, item: PlanItem, direction: str) -> None:
    """Move an objective, aim or action one place "up" or "down" among its siblings (the first
    up or the last down stays where it is).

    The parent's row is locked first (PostgreSQL; SQLite's immediate transactions do the same)
    and the positions are read after, so two moves at once run one after the other instead of
    reading the same positions and colliding on the unique ones.
    """
    if direction not in ("up", "down"):
        raise ValueError(f"Move up or down, not {direction!r}")
    require_editable(item.plan)
    siblings, field = _siblings_locked(item)
    index = next((i for i, sibling in enumerate(siblings) if sibling.pk == item.pk), None)
    if index is None:  # deleted a moment ago
        return
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return
    if isinstance(item, Action):
        # Actions may share positions (made outside the app): renumber them all in order.
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, sibling in enumerate(siblings, start=1):
            sibling.position = position
        Action.objects.bulk_update(siblings, ["position"])
    else:
        model, theirs = type(item), siblings[other]
        mine, their_place = getattr(siblings[index], field), getattr(theirs, field)
        # Through a free value, because objectives and aims are unique per position.
        model.objects.filter(pk=item.pk).update(**{field: 32000})
        model.objects.filter(pk=theirs.pk).update(**{field: mine})
        model.objects.filter(pk=item.pk).update(**{field: their_place})
    bump_plan_version()  # bulk_update() and update() send no signals


def _siblings_locked(item: PlanItem) -> tuple[list, str]:
    """The item and its siblings in order, and the field that orders them, after locking
    their parent's row."""
    if isinstance(item, StrategicObjective):
        Plan.objects.select_for_update().filter(pk=item.plan_id).first()
        return list(item.plan.objectives.order_by("number")), "number"
    StrategicObjective.objects.select_for_update().filter(pk=item.objective_id).first()
    if isinstance(item, Aim):
        return list(item.objective.aims.order_by("position")), "position"
    return list(item.objective.actions.order_by("position", "pk")), "position"


@transaction.atomic
def plan_item_delete(*, item: PlanItem, user: User) -> None:
    """Delete an objective (with its aims, actions and criteria), an aim or an action (with its
    progress updates); history keeps the deleted rows. The actions that serve only a deleted
    aim go with it; those that also serve other aims just lose the link."""
    require_editable(item.plan)
    if isinstance(item, Aim):
        for action in actions_only_serving(item):
            action._history_user = user
            action.delete()
    item._history_user = user
    item.delete()


@transaction.atomic
def plan_set_status(*, plan: Plan, status: str, user: User) -> Plan:
    """Archive a plan (it stays readable), make it a draft, or make it the active plan (the
    one that was active is archived: only one plan is active)."""
    if status not in PlanStatus.values:
        raise ValueError(f"No plan status {status!r}")
    if status == PlanStatus.ACTIVE:
        Plan.objects.filter(status=PlanStatus.ACTIVE).exclude(pk=plan.pk).update(
            status=PlanStatus.ARCHIVED
        )
    plan.status = status
    plan._history_user = user
    plan.save(update_fields=["status"])  # its signal bumps the plan's cache token
    return plan


@transaction.atomic
def progress_update_post(
    *,
    action: Action,
    user: User,
    date: datetime.date,
    status: str,
    commentary: str = "",
    evidence_url: str = "",
) -> ProgressUpdate:
    """Post a progress update on an action; its date is checked as the form checks it (never
    after today, nor before the plan's first year: ValidationError)."""
    require_editable(action.plan)
    update = ProgressUpdate(
        action=action,
        author=user,
        date=date,
        status=status,
        commentary=commentary,
        evidence_url=evidence_url,
    )
    update.clean()
    update._history_user = user
    update.save()
    return update


# --- A plan sheet -----------------------------------------------------------------------------


@transaction.atomic
def apply_plan_sheet(result: PlanImport, *, user: User) -> dict[str, int]:
    """Write what a plan sheet (spreadsheets.plan_sheet.read_plan_sheet) adds to the plan and
    the changed actions' links, in bulk, with history; nothing in the plan is deleted.

    Objectives match by number, aims by title, actions by aim and description (case and spacing
    ignored). Returns how many objectives, aims and actions were created and actions updated.
    """
    if not result.has_changes:
        return {}
    if result.unknown_owners and not result.create_owners:
        names = ", ".join(f"“{o.text}”" for o in result.unknown_owners.values())
        raise ReferenceError(f"unknown owners {names}: let the import create them, or correct them")
    history = {
        "default_user": user,
        "default_change_reason": (result.reason or f"Imported from sheet {result.sheet}")[:100],
    }
    owners_created = _sheet_owners(result)
    counts = {}
    if result.plan is None:
        plan = result.plan = _plan_from_sheet(result, history)
        counts["plans_created"] = 1
    else:
        plan = result.plan
        require_editable(plan)
        if result.introduction and norm(result.introduction) != norm(plan.introduction):
            plan.introduction = result.introduction
            plan._history_user = user
            plan._change_reason = history["default_change_reason"]
            plan.save(update_fields=["introduction"])
            counts["plans_updated"] = 1
    objectives, objectives_created = _sheet_objectives(plan, result, history)
    aims, aims_created = _sheet_aims(plan, objectives, result, history)
    actions_created, actions_updated = _sheet_actions(plan, objectives, aims, result, history)
    criteria_created = _sheet_criteria(objectives, aims, result)
    bump_plan_version()  # bulk writes send no signals
    counts.update(
        {
            "owners_created": owners_created,
            "objectives_created": objectives_created,
            "aims_created": aims_created,
            "actions_created": actions_created,
            "actions_updated": actions_updated,
            "success_criteria_created": criteria_created,
        }
    )
    if not result.unknown_owners:
        del counts["owners_created"]
    if not any(o.groups for o in result.objectives):
        del counts["success_criteria_created"]
    return counts


def _plan_from_sheet(result: PlanImport, history: dict) -> Plan:
    """The plan an import creates: a draft with the document's introduction and labels
    (result.new_plan), or the active plan a sheet creates when there is none (its years from
    the sheet's title)."""
    start, end = result.years
    plan = Plan(title=result.title, start_year=start, end_year=end, status=PlanStatus.ACTIVE)
    if result.new_plan:
        plan.status = PlanStatus.DRAFT
        plan.introduction = result.introduction
        plan.objective_label = result.objective_label or "Strategic objective"
        plan.aim_label = result.aim_label or "Aim"
    plan._history_user = history["default_user"]
    plan._change_reason = history["default_change_reason"]
    plan.save()
    return plan


def _sheet_owners(result: PlanImport) -> int:
    """Create the owners the import found unknown and was allowed to create."""
    if not result.unknown_owners:
        return 0
    Owner.objects.bulk_create(
        [Owner(code=o.code, name=o.name, kind=o.kind) for o in result.unknown_owners.values()]
    )
    return len(result.unknown_owners)


def _sheet_criteria(
    objectives: dict[int, StrategicObjective], aims: dict[tuple[int, str], Aim], result: PlanImport
) -> int:
    """Create the success criteria of the import's groups that their objective lacks, after
    its last, linked to the group's aims; how many were created."""
    rows = [(row, group) for row in result.objectives for group in row.groups if group.criteria]
    if not rows:
        return 0
    ids = [objectives[row.number].pk for row, _ in rows]
    existing: set[tuple[int, str]] = set()
    last: dict[int, int] = {}
    for objective_id, text, position in SuccessCriterion.objects.filter(
        objective_id__in=ids
    ).values_list("objective_id", "text", "position"):
        existing.add((objective_id, norm(text)))
        last[objective_id] = max(last.get(objective_id, 0), position)
    new: list[tuple[SuccessCriterion, list[Aim]]] = []
    for row, group in rows:
        objective = objectives[row.number]
        group_aims = [aims[(objective.pk, norm(a.title))] for a in group.aims]
        for text in group.criteria:
            if (objective.pk, norm(text)) in existing:
                continue
            existing.add((objective.pk, norm(text)))
            last[objective.pk] = last.get(objective.pk, 0) + 1
            criterion = SuccessCriterion(
                objective=objective, position=last[objective.pk], text=text
            )
            new.append((criterion, group_aims))
    SuccessCriterion.objects.bulk_create([criterion for criterion, _ in new])
    through = SuccessCriterion.aims.through
    through.objects.bulk_create(
        [
            through(successcriterion_id=criterion.pk, aim_id=aim.pk)
            for criterion, group_aims in new
            for aim in group_aims
        ]
    )
    return len(new)


def _sheet_objectives(
    plan: Plan, result: PlanImport, history: dict
) -> tuple[dict[int, StrategicObjective], int]:
    """Create the sheet's new objectives and rename the renamed ones; the plan's objectives by
    number after, and how many were created."""
    objectives = {o.number: o for o in plan.objectives.all()}
    new = [
        StrategicObjective(plan=plan, number=row.number, title=row.title)
        for row in result.objectives
        if row.number not in objectives
    ]
    renamed = []
    for row in result.objectives:
        existing = objectives.get(row.number)
        if existing and norm(existing.title) != norm(row.title):
            existing.title = row.title
            renamed.append(existing)
    if new:
        bulk_create_with_history(new, StrategicObjective, **history)
    if renamed:
        bulk_update_with_history(renamed, StrategicObjective, ["title"], **history)
    return {o.number: o for o in plan.objectives.all()}, len(new)


def _sheet_aims(
    plan: Plan, objectives: dict[int, StrategicObjective], result: PlanImport, history: dict
) -> tuple[dict[tuple[int, str], Aim], int]:
    """Create the sheet's new aims after each objective's last; the plan's aims by (objective,
    title) after, and how many were created."""
    aims = {(a.objective_id, norm(a.title)): a for a in Aim.objects.filter(objective__plan=plan)}
    last_position: dict[int, int] = {}
    for aim in aims.values():
        last_position[aim.objective_id] = max(last_position.get(aim.objective_id, 0), aim.position)
    new = []
    for row in result.objectives:
        objective = objectives[row.number]
        for aim_row in row.aims:
            key = (objective.pk, norm(aim_row.title))
            if key not in aims:
                last_position[objective.pk] = last_position.get(objective.pk, 0) + 1
                aims[key] = Aim(
                    objective=objective, position=last_position[objective.pk], title=aim_row.title
                )
                new.append(aims[key])
    if new:
        bulk_create_with_history(new, Aim, **history)
    return aims, len(new)


def _sheet_actions(
    plan: Plan,
    objectives: dict[int, StrategicObjective],
    aims: dict[tuple[int, str], Aim],
    result: PlanImport,
    history: dict,
) -> tuple[int, int]:
    """Create the sheet's new actions after each objective's last, and replace the links of
    those whose owners, monitors or KPIs changed; how many were created and updated."""
    existing = {}
    for action in Action.objects.filter(objective__plan=plan).prefetch_related(
        "aims", "responsible", "monitors", "kpis"
    ):
        for aim in action.aims.all():
            existing[(aim.pk, norm(action.description))] = action
    last_position: dict[int, int] = {}
    for action in existing.values():
        last_position[action.objective_id] = max(
            last_position.get(action.objective_id, 0), action.position
        )
    new, kept = [], []  # (action, its aims, its row); (action, its row)
    widened: list[tuple[Action, list[Aim]]] = []  # a group's action serving more aims now

    def add(objective: StrategicObjective, action_aims: list[Aim], action_row: ActionRow) -> None:
        last_position[objective.pk] = last_position.get(objective.pk, 0) + 1
        action = Action(
            objective=objective,
            position=last_position[objective.pk],
            description=action_row.description,
        )
        new.append((action, action_aims, action_row))

    for row in result.objectives:
        objective = objectives[row.number]
        for aim_row in row.aims:
            aim = aims[(objective.pk, norm(aim_row.title))]
            for action_row in aim_row.actions:
                action = existing.get((aim.pk, norm(action_row.description)))
                if action is not None:
                    kept.append((action, action_row))
                    continue
                add(objective, [aim], action_row)
        for group in row.groups:
            group_aims = [aims[(objective.pk, norm(a.title))] for a in group.aims]
            for action_row in group.actions:
                action = existing.get((group_aims[0].pk, norm(action_row.description)))
                if action is None:
                    add(objective, group_aims, action_row)
                    continue
                missing = [a for a in group_aims if a not in set(action.aims.all())]
                if missing:
                    widened.append((action, missing))
    if new:
        bulk_create_with_history([action for action, _, _ in new], Action, **history)
        named = _academy_matcher()
        Action.academies.through.objects.bulk_create(
            [
                Action.academies.through(action_id=action.pk, academy_id=academy_id)
                for action, _, _ in new
                for academy_id in named(action.description)
            ]
        )
    changed = [(action, row) for action, row in kept if action_links(action) != row.links()]
    _sheet_links(new, changed, history)
    if widened:
        Action.aims.through.objects.bulk_create(
            [
                Action.aims.through(action_id=action.pk, aim_id=aim.pk)
                for action, missing in widened
                for aim in missing
            ],
            ignore_conflicts=True,
        )
    return len(new), len(changed) + len(widened)


def _sheet_links(
    new: list[tuple[Action, list[Aim], ActionRow]],
    changed: list[tuple[Action, ActionRow]],
    history: dict,
) -> None:
    """Link the new actions to their aim, and both the new and the changed actions to the
    owners, monitors and KPIs their rows name (the changed ones' old links removed first)."""
    owner_ids = dict(Owner.objects.values_list("code", "pk"))
    kpi_ids = dict(KPI.objects.values_list("code", "pk"))
    through = {
        "aims": Action.aims.through,
        "responsible": Action.responsible.through,
        "monitors": Action.monitors.through,
        "kpis": Action.kpis.through,
    }
    rows: dict[str, list] = {name: [] for name in through}

    def link(action: Action, action_row: ActionRow) -> None:
        rows["responsible"].extend(
            through["responsible"](action_id=action.pk, owner_id=owner_ids[code])
            for code in action_row.responsibility
        )
        rows["monitors"].extend(
            through["monitors"](action_id=action.pk, owner_id=owner_ids[code])
            for code in action_row.monitors
        )
        rows["kpis"].extend(
            through["kpis"](action_id=action.pk, kpi_id=kpi_ids[code]) for code in action_row.kpis
        )

    for action, action_aims, action_row in new:
        rows["aims"].extend(through["aims"](action_id=action.pk, aim_id=a.pk) for a in action_aims)
        link(action, action_row)
    for action, action_row in changed:
        link(action, action_row)
    if changed:
        ids = [action.pk for action, _ in changed]
        for name in ("responsible", "monitors", "kpis"):
            through[name].objects.filter(action_id__in=ids).delete()
        bulk_update_with_history(
            [action for action, _ in changed], Action, ["description"], **history
        )
    for name, model in through.items():
        if rows[name]:
            model.objects.bulk_create(rows[name], ignore_conflicts=True)
