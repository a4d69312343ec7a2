"""The plan sheet of a trust workbook: read it, compare it with the plan, apply it in bulk.

Layout, as in the seeds: "Strategic objective N: title" rows (also "Key priority N: …"), then
Aim | Action | Responsibility | KPI | Monitored by. A blank Aim cell continues the aim above; a
row with a blank Action but owners or KPIs continues the action above; a row with an Aim and no
Action holds an action with no description (the seed's "ethical leadership" row). Objectives
match by number, aims by title, actions by description (ignoring case and spacing); nothing in
the plan is deleted by an import.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from openpyxl.utils import get_column_letter
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from academies.models import Owner
from academies.services import owner_lookup
from core.workbook import require_saved
from kpis.models import KPI
from plans.cache import bump_plan_version
from plans.models import Action, Aim, Plan, PlanStatus, StrategicObjective
from plans.references import ReferenceError, parse_kpi_codes, parse_owner_codes
from spreadsheets.problems import Problem, report_unsaved_formulas

OBJECTIVE_ROW = re.compile(
    r"^(strategic objective|key priority|objective|priority)\s+(\d+)\s*[:.\-–]\s*(.*)$",
    re.IGNORECASE,
)
HEADERS = {
    "aim": "aim",
    "aims": "aim",
    "sub-priority": "aim",
    "action": "action",
    "actions": "action",
    "responsibility": "responsibility",
    "responsible": "responsibility",
    "owner": "responsibility",
    "kpi": "kpi",
    "kpis": "kpi",
    "monitored by": "monitored_by",
    "monitoring": "monitored_by",
}


def _norm(text: str) -> str:
    return " ".join((text or "").split()).casefold()


@dataclass
class ActionRow:
    row: int
    description: str
    responsibility: list[str] = field(default_factory=list)
    kpis: list[str] = field(default_factory=list)
    monitors: list[str] = field(default_factory=list)
    raw: dict = field(default_factory=dict)


@dataclass
class AimRow:
    row: int
    title: str
    actions: list[ActionRow] = field(default_factory=list)


@dataclass
class ObjectiveRow:
    row: int
    number: int
    title: str
    aims: list[AimRow] = field(default_factory=list)


@dataclass
class PlanImport:
    sheet: str
    title: str
    objectives: list[ObjectiveRow] = field(default_factory=list)
    plan: Plan | None = None
    years: tuple[int, int] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    # What to write, worked out by diff(): (kind, payload)
    operations: list[tuple] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return any(v for k, v in self.counts.items() if not k.endswith("unchanged"))


def read_plan_sheet(
    name: str, head, header_number: int, rows: Iterator, problems: list
) -> PlanImport:
    title = ""
    header: dict[str, int] = {}
    for number, cells in head:
        if number < header_number and not title:
            with report_unsaved_formulas(name, problems):
                title = next((c.text for c in cells if c.text), "")
        if number == header_number:
            require_saved(cells)  # a header cell with no value stops the sheet (the importer)
            for cell in cells:
                key = HEADERS.get(_norm(cell.text))
                if key and key not in header:
                    header[key] = cell.column
    result = PlanImport(sheet=name, title=title or name)
    owners = owner_lookup()
    known_kpis = set(KPI.objects.values_list("code", flat=True))
    objective: ObjectiveRow | None = None
    aim: AimRow | None = None
    action: ActionRow | None = None

    def refs(cell_text: str, number: int, column_key: str, parser):
        if not cell_text:
            return []
        try:
            found = parser(cell_text)
        except ReferenceError as error:
            problems.append(Problem(name, number, _letter(header.get(column_key)), str(error)))
            return []
        if parser is parse_kpi_codes:
            missing = [code for code in found if code not in known_kpis]
            if missing:
                problems.append(
                    Problem(
                        name,
                        number,
                        _letter(header.get(column_key)),
                        f"no KPI {', '.join(missing)} in the framework",
                    )
                )
                return [code for code in found if code in known_kpis]
        return found

    for number, cells in rows:
        texts = None
        with report_unsaved_formulas(name, problems):
            require_saved(cells)  # the row is read whole: name every such cell in it
            texts = {cell.column: cell.text for cell in cells}
        if texts is None:
            continue
        joined = " ".join(t for t in texts.values() if t)
        if not joined or set(joined) <= {"-", " "}:
            continue
        first = next((t for t in texts.values() if t), "")
        match = OBJECTIVE_ROW.match(first)
        if match:
            objective = ObjectiveRow(number, int(match.group(2)), match.group(3).strip())
            if any(o.number == objective.number for o in result.objectives):
                problems.append(
                    Problem(name, number, None, f"objective {objective.number} appears twice")
                )
            result.objectives.append(objective)
            aim = action = None
            continue
        values = {key: texts.get(column, "") for key, column in header.items()}
        if _norm(values.get("aim", "")) == "aim" and _norm(values.get("action", "")) == "action":
            continue  # a repeated header row
        if objective is None:
            problems.append(
                Problem(name, number, None, "a plan row before any “Strategic objective N: …” row")
            )
            continue
        aim_text, action_text = values.get("aim", ""), values.get("action", "")
        responsibility = refs(
            values.get("responsibility", ""),
            number,
            "responsibility",
            lambda t: parse_owner_codes(t, owners),
        )
        kpis = refs(values.get("kpi", ""), number, "kpi", parse_kpi_codes)
        monitors = refs(
            values.get("monitored_by", ""),
            number,
            "monitored_by",
            lambda t: parse_owner_codes(t, owners),
        )
        if aim_text:
            aim = AimRow(number, aim_text)
            objective.aims.append(aim)
            action = None
        if action_text or (aim_text and (responsibility or kpis or monitors)):
            if aim is None:
                aim = AimRow(number, "")
                objective.aims.append(aim)
            action = ActionRow(number, action_text)
            aim.actions.append(action)
        elif not (responsibility or kpis or monitors):
            continue
        elif action is None:
            problems.append(Problem(name, number, None, "owners or KPIs with no action above them"))
            continue
        for target, found in (
            (action.responsibility, responsibility),
            (action.kpis, kpis),
            (action.monitors, monitors),
        ):
            target.extend(code for code in found if code not in target)
    if result.objectives:  # an empty plan sheet (the template's) changes nothing
        _match_plan(result, problems)
    return result


def _letter(column: int | None) -> str | None:
    return get_column_letter(column) if column else None


def _years_from(title: str) -> tuple[int, int] | None:
    match = re.search(r"(\d{4})\s*[/\-–]\s*(\d{4}|\d{2})(?!\d)", title)
    if not match:
        return None
    start, end = int(match.group(1)), match.group(2)
    end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
    return (start, end_year) if end_year > start else None


def _match_plan(result: PlanImport, problems: list) -> None:
    """Compare the sheet with the active plan (or the plan it would create)."""
    plan = Plan.objects.filter(status=PlanStatus.ACTIVE).first()
    counts = dict.fromkeys(
        [
            "objectives_created",
            "objectives_updated",
            "aims_created",
            "actions_created",
            "actions_updated",
            "actions_unchanged",
        ],
        0,
    )
    if plan is None:
        result.years = _years_from(result.title)
        if result.years is None:
            problems.append(
                Problem(
                    result.sheet,
                    None,
                    None,
                    "there is no active plan, and the sheet's title does not give its years "
                    "(e.g. “Trust Development Plan 2023/2024”) to create one",
                )
            )
            return
        counts["plans_created"] = 1
    result.plan = plan
    objectives = {o.number: o for o in plan.objectives.all()} if plan else {}
    aims = {}
    actions = {}
    if plan:
        for aim in Aim.objects.filter(objective__plan=plan):
            aims[(aim.objective_id, _norm(aim.title))] = aim
        for action in Action.objects.filter(objective__plan=plan).prefetch_related(
            "aims", "responsible", "monitors", "kpis"
        ):
            for aim in action.aims.all():
                actions[(aim.pk, _norm(action.description))] = action
    for objective_row in result.objectives:
        existing = objectives.get(objective_row.number)
        if existing is None:
            counts["objectives_created"] += 1
            result.operations.append(("objective", objective_row, None))
        elif _norm(existing.title) != _norm(objective_row.title):
            counts["objectives_updated"] += 1
            result.operations.append(("objective", objective_row, existing))
        for aim_row in objective_row.aims:
            aim = aims.get((existing.pk, _norm(aim_row.title))) if existing else None
            if aim is None:
                counts["aims_created"] += 1
            for action_row in aim_row.actions:
                action = actions.get((aim.pk, _norm(action_row.description))) if aim else None
                if action is None:
                    counts["actions_created"] += 1
                    continue
                if _links(action) == _wanted_links(action_row):
                    counts["actions_unchanged"] += 1
                else:
                    counts["actions_updated"] += 1
    result.counts = counts


@transaction.atomic
def apply_plan_import(result: PlanImport, *, user) -> dict[str, int]:
    """Create what the sheet adds to the plan and update changed actions' links, in bulk."""
    if not result.has_changes:
        return {}
    plan = result.plan
    if plan is None:
        start, end = result.years
        plan = Plan.objects.create(
            title=result.title, start_year=start, end_year=end, status=PlanStatus.ACTIVE
        )
    reason = f"Imported from sheet {result.sheet}"[:100]
    objectives = {o.number: o for o in plan.objectives.all()}
    new_objectives = [
        StrategicObjective(plan=plan, number=row.number, title=row.title)
        for row in result.objectives
        if row.number not in objectives
    ]
    changed_objectives = []
    for row in result.objectives:
        existing = objectives.get(row.number)
        if existing and _norm(existing.title) != _norm(row.title):
            existing.title = row.title
            changed_objectives.append(existing)
    if new_objectives:
        bulk_create_with_history(
            new_objectives, StrategicObjective, default_user=user, default_change_reason=reason
        )
    if changed_objectives:
        bulk_update_with_history(
            changed_objectives,
            StrategicObjective,
            ["title"],
            default_user=user,
            default_change_reason=reason,
        )
    objectives = {o.number: o for o in plan.objectives.all()}
    aims = {(a.objective_id, _norm(a.title)): a for a in Aim.objects.filter(objective__plan=plan)}
    next_position = {}
    for aim in aims.values():
        next_position[aim.objective_id] = max(next_position.get(aim.objective_id, 0), aim.position)
    new_aims = []
    for row in result.objectives:
        objective = objectives[row.number]
        for aim_row in row.aims:
            key = (objective.pk, _norm(aim_row.title))
            if key not in aims:
                next_position[objective.pk] = next_position.get(objective.pk, 0) + 1
                aim = Aim(
                    objective=objective, position=next_position[objective.pk], title=aim_row.title
                )
                aims[key] = aim
                new_aims.append(aim)
    if new_aims:
        bulk_create_with_history(new_aims, Aim, default_user=user, default_change_reason=reason)
    existing_actions = {}
    for action in Action.objects.filter(objective__plan=plan).prefetch_related(
        "aims", "responsible", "monitors", "kpis"
    ):
        for aim in action.aims.all():
            existing_actions[(aim.pk, _norm(action.description))] = action
    owner_ids = dict(Owner.objects.values_list("code", "pk"))
    kpi_ids = dict(KPI.objects.values_list("code", "pk"))
    last_position = {}
    for action in existing_actions.values():
        last_position[action.objective_id] = max(
            last_position.get(action.objective_id, 0), action.position
        )
    new_actions, links, relinked = [], [], []
    for row in result.objectives:
        objective = objectives[row.number]
        for aim_row in row.aims:
            aim = aims[(objective.pk, _norm(aim_row.title))]
            for action_row in aim_row.actions:
                action = existing_actions.get((aim.pk, _norm(action_row.description)))
                if action is None:
                    last_position[objective.pk] = last_position.get(objective.pk, 0) + 1
                    action = Action(
                        objective=objective,
                        position=last_position[objective.pk],
                        description=action_row.description,
                    )
                    new_actions.append(action)
                    links.append((action, aim, action_row))
                else:
                    relinked.append((action, action_row))
    if new_actions:
        bulk_create_with_history(
            new_actions, Action, default_user=user, default_change_reason=reason
        )
    through = {
        "aims": Action.aims.through,
        "responsible": Action.responsible.through,
        "monitors": Action.monitors.through,
        "kpis": Action.kpis.through,
    }
    rows = {name: [] for name in through}
    for action, aim, action_row in links:
        rows["aims"].append(through["aims"](action_id=action.pk, aim_id=aim.pk))
        _link_rows(rows, through, action, action_row, owner_ids, kpi_ids)
    changed = []
    for action, action_row in relinked:
        if _links(action) != _wanted_links(action_row):
            changed.append(action)
            _link_rows(rows, through, action, action_row, owner_ids, kpi_ids)
    if changed:
        ids = [a.pk for a in changed]
        for name in ("responsible", "monitors", "kpis"):
            through[name].objects.filter(action_id__in=ids).delete()
        bulk_update_with_history(
            changed, Action, ["description"], default_user=user, default_change_reason=reason
        )
    for name, model in through.items():
        if rows[name]:
            model.objects.bulk_create(rows[name], ignore_conflicts=True)
    bump_plan_version()  # bulk writes send no signals
    return {
        "objectives_created": len(new_objectives),
        "aims_created": len(new_aims),
        "actions_created": len(new_actions),
        "actions_updated": len(changed),
    }


def _links(action: Action) -> tuple[set, set, set]:
    """An action's owner, monitor and KPI codes, from its prefetched relations (no query)."""
    return (
        {o.code for o in action.responsible.all()},
        {o.code for o in action.monitors.all()},
        {k.code for k in action.kpis.all()},
    )


def _wanted_links(row: ActionRow) -> tuple[set, set, set]:
    return set(row.responsibility), set(row.monitors), set(row.kpis)


def _link_rows(rows, through, action, action_row, owner_ids, kpi_ids) -> None:
    rows["responsible"].extend(
        through["responsible"](action_id=action.pk, owner_id=owner_ids[c])
        for c in action_row.responsibility
    )
    rows["monitors"].extend(
        through["monitors"](action_id=action.pk, owner_id=owner_ids[c]) for c in action_row.monitors
    )
    rows["kpis"].extend(
        through["kpis"](action_id=action.pk, kpi_id=kpi_ids[c]) for c in action_row.kpis
    )
