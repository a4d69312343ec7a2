"""The plan sheet of a trust workbook: read it and compare it with the plan (what it reads is a
plans.sheet.PlanImport; plans.services.apply_plan_sheet writes it).

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

from openpyxl.utils import get_column_letter

from academies.services import owner_lookup
from core.workbook import require_saved
from kpis.models import KPI
from plans.models import Action, Aim, Plan, PlanStatus
from plans.references import ReferenceError, parse_kpi_codes, parse_owner_codes
from plans.sheet import ActionRow, AimRow, ObjectiveRow, PlanImport, action_links, norm
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


def read_plan_sheet(
    name: str, head, header_number: int, rows: Iterator, problems: list
) -> PlanImport:
    """Read a plan sheet (`head`: the rows up to its header row; `rows`: the rest) into a
    PlanImport compared with the plan; what is wrong is added to `problems`."""
    title, header = _read_head(name, head, header_number, problems)
    reader = _RowReader(PlanImport(sheet=name, title=title or name), header, problems)
    for number, cells in rows:
        reader.read(number, cells)
    result = reader.result
    if result.objectives:  # an empty plan sheet (the template's) changes nothing
        _match_plan(result, problems)
    return result


def _read_head(name: str, head, header_number: int, problems: list) -> tuple[str, dict[str, int]]:
    """The sheet's title (its first text above the header row) and the header's columns."""
    title = ""
    header: dict[str, int] = {}
    for number, cells in head:
        if number < header_number and not title:
            with report_unsaved_formulas(name, problems):
                title = next((c.text for c in cells if c.text), "")
        if number == header_number:
            require_saved(cells)  # a header cell with no value stops the sheet (the importer)
            for cell in cells:
                key = HEADERS.get(norm(cell.text))
                if key and key not in header:
                    header[key] = cell.column
    return title, header


class _RowReader:
    """Reads the rows below the header in order, keeping the objective, aim and action that a
    row with blank cells continues."""

    def __init__(self, result: PlanImport, header: dict[str, int], problems: list) -> None:
        self.result, self.header, self.problems = result, header, problems
        self.owners = owner_lookup()
        self.known_kpis = set(KPI.objects.values_list("code", flat=True))
        self.objective: ObjectiveRow | None = None
        self.aim: AimRow | None = None
        self.action: ActionRow | None = None

    def _problem(self, number: int, message: str, column_key: str | None = None) -> None:
        column = _letter(self.header.get(column_key)) if column_key else None
        self.problems.append(Problem(self.result.sheet, number, column, message))

    def read(self, number: int, cells) -> None:
        texts = None
        with report_unsaved_formulas(self.result.sheet, self.problems):
            require_saved(cells)  # the row is read whole: name every such cell in it
            texts = {cell.column: cell.text for cell in cells}
        if texts is None:
            return
        joined = " ".join(t for t in texts.values() if t)
        if not joined or set(joined) <= {"-", " "}:
            return
        match = OBJECTIVE_ROW.match(next((t for t in texts.values() if t), ""))
        if match:
            self._objective(number, int(match.group(2)), match.group(3).strip())
            return
        values = {key: texts.get(column, "") for key, column in self.header.items()}
        if norm(values.get("aim", "")) == "aim" and norm(values.get("action", "")) == "action":
            return  # a repeated header row
        if self.objective is None:
            self._problem(number, "a plan row before any “Strategic objective N: …” row")
            return
        self._aim_or_action(number, values)

    def _objective(self, number: int, objective_number: int, title: str) -> None:
        objective = ObjectiveRow(number, objective_number, title)
        if any(o.number == objective.number for o in self.result.objectives):
            self._problem(number, f"objective {objective.number} appears twice")
        self.result.objectives.append(objective)
        self.objective, self.aim, self.action = objective, None, None

    def _aim_or_action(self, number: int, values: dict[str, str]) -> None:
        aim_text, action_text = values.get("aim", ""), values.get("action", "")
        owners = lambda text: parse_owner_codes(text, self.owners)  # noqa: E731
        responsibility = self._refs(values, number, "responsibility", owners)
        kpis = self._kpis(values, number)
        monitors = self._refs(values, number, "monitored_by", owners)
        if aim_text:
            self.aim = AimRow(number, aim_text)
            self.objective.aims.append(self.aim)
            self.action = None
        if action_text or (aim_text and (responsibility or kpis or monitors)):
            if self.aim is None:
                self.aim = AimRow(number, "")
                self.objective.aims.append(self.aim)
            self.action = ActionRow(number, action_text)
            self.aim.actions.append(self.action)
        elif not (responsibility or kpis or monitors):
            return
        elif self.action is None:
            self._problem(number, "owners or KPIs with no action above them")
            return
        for target, found in (
            (self.action.responsibility, responsibility),
            (self.action.kpis, kpis),
            (self.action.monitors, monitors),
        ):
            target.extend(code for code in found if code not in target)

    def _refs(self, values: dict[str, str], number: int, column_key: str, parser) -> list[str]:
        """The codes a reference cell names; an unreadable one is a problem naming its cell."""
        text = values.get(column_key, "")
        if not text:
            return []
        try:
            return parser(text)
        except ReferenceError as error:
            self._problem(number, str(error), column_key)
            return []

    def _kpis(self, values: dict[str, str], number: int) -> list[str]:
        """The KPI codes a row names that the framework has; the others are a problem."""
        found = self._refs(values, number, "kpi", parse_kpi_codes)
        missing = [code for code in found if code not in self.known_kpis]
        if missing:
            self._problem(number, f"no KPI {', '.join(missing)} in the framework", "kpi")
        return [code for code in found if code in self.known_kpis]


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
            aims[(aim.objective_id, norm(aim.title))] = aim
        for action in Action.objects.filter(objective__plan=plan).prefetch_related(
            "aims", "responsible", "monitors", "kpis"
        ):
            for aim in action.aims.all():
                actions[(aim.pk, norm(action.description))] = action
    for objective_row in result.objectives:
        existing = objectives.get(objective_row.number)
        if existing is None:
            counts["objectives_created"] += 1
        elif norm(existing.title) != norm(objective_row.title):
            counts["objectives_updated"] += 1
        for aim_row in objective_row.aims:
            aim = aims.get((existing.pk, norm(aim_row.title))) if existing else None
            if aim is None:
                counts["aims_created"] += 1
            for action_row in aim_row.actions:
                action = actions.get((aim.pk, norm(action_row.description))) if aim else None
                if action is None:
                    counts["actions_created"] += 1
                    continue
                if action_links(action) == action_row.links():
                    counts["actions_unchanged"] += 1
                else:
                    counts["actions_updated"] += 1
    result.counts = counts
