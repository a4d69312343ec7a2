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
from plans.models import Action, Aim, Plan, PlanStatus, SuccessCriterion
from plans.references import (
    ReferenceError,
    new_owner_for,
    parse_kpi_codes,
    parse_owner_codes,
    split_owner_text,
    suggest,
)
from plans.sheet import (
    ActionRow,
    AimRow,
    ObjectiveRow,
    PlanImport,
    UnknownOwner,
    action_links,
    header_norm,
    norm,
)
from spreadsheets.problems import Problem, report_unsaved_formulas

OBJECTIVE_ROW = re.compile(
    r"^(strategic objective|key priority|objective|priority)\s+(\d+)\s*[:.\-–]\s*(.*)$",
    re.IGNORECASE,
)
HEADERS = {
    "aim": "aim",
    "aims": "aim",
    "sub-priority": "aim",
    "sub-priorities": "aim",
    "objective": "aim",
    "objectives": "aim",
    "action": "action",
    "actions": "action",
    "responsibility": "responsibility",
    "responsibilities": "responsibility",
    "responsible": "responsibility",
    "owner": "responsibility",
    "owners": "responsibility",
    "lead": "responsibility",
    "leads": "responsibility",
    "kpi": "kpi",
    "kpis": "kpi",
    "success criteria": "kpi",
    "monitored by": "monitored_by",
    "monitoring": "monitored_by",
    "monitored": "monitored_by",
    "monitor": "monitored_by",
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
                key = HEADERS.get(header_norm(cell.text))
                if key and key not in header:
                    header[key] = cell.column
    return title, header


class _RowReader:
    """Reads the rows below the header in order, keeping the objective, aim and action that a
    row with blank cells continues."""

    def __init__(
        self,
        result: PlanImport,
        header: dict[str, int],
        problems: list,
        *,
        owners: OwnerReader | None = None,
        where: str | None = None,
    ) -> None:
        self.result, self.header, self.problems = result, header, problems
        self.where = where or result.sheet  # the sheet (or "Table 2") problems name
        self.owners = owners or OwnerReader(result)
        self.known_kpis = set(KPI.objects.values_list("code", flat=True))
        self.objective: ObjectiveRow | None = None
        self.aim: AimRow | None = None
        self.action: ActionRow | None = None
        self.names: dict[int, str] = {}  # a document's header texts, by column

    def _column(self, column_key: str | None) -> str | None:
        column = self.header.get(column_key) if column_key else None
        if column is None:
            return None
        name = self.names.get(column)
        return f"{_letter(column)} ({name})" if name else _letter(column)

    def _problem(self, number: int, message: str, column_key: str | None = None) -> None:
        self.problems.append(Problem(self.where, number, self._column(column_key), message))

    def read(self, number: int, cells) -> None:
        texts = None
        with report_unsaved_formulas(self.result.sheet, self.problems):
            require_saved(cells)  # the row is read whole: name every such cell in it
            texts = {cell.column: cell.text for cell in cells}
        if texts is None:
            return
        self.read_texts(number, texts)

    def read_texts(self, number: int, texts: dict[int, str]) -> None:
        """A row as its cells' texts by column (a sheet's, or a Word table's)."""
        joined = " ".join(t for t in texts.values() if t)
        if not joined or set(joined) <= {"-", " "}:
            return
        match = OBJECTIVE_ROW.match(next((t for t in texts.values() if t), ""))
        if match:
            self._objective(number, int(match.group(2)), match.group(3).strip())
            return
        values = {key: texts.get(column, "") for key, column in self.header.items()}
        if (
            HEADERS.get(header_norm(values.get("aim", ""))) == "aim"
            and HEADERS.get(header_norm(values.get("action", ""))) == "action"
        ):
            return  # a repeated header row
        if self.objective is None:
            self._problem(number, "a plan row before any “Strategic objective N: …” row")
            return
        self._aim_or_action(number, values)

    def _objective(
        self, number: int, objective_number: int, title: str, where: str | None = None
    ) -> None:
        objective = ObjectiveRow(number, objective_number, title)
        if any(o.number == objective.number for o in self.result.objectives):
            self.problems.append(
                Problem(
                    where or self.where, number, None, f"objective {objective.number} appears twice"
                )
            )
        self.result.objectives.append(objective)
        self.objective, self.aim, self.action = objective, None, None

    def _aim_or_action(self, number: int, values: dict[str, str]) -> None:
        aim_text, action_text = values.get("aim", ""), values.get("action", "")
        responsibility = self._owner_refs(values, number, "responsibility")
        kpis = self._kpis(values, number)
        monitors = self._owner_refs(values, number, "monitored_by")
        if (
            aim_text
            and self.aim is not None
            and self.action is not None
            and self.repeats_aim(number, aim_text)
        ):
            aim_text = ""  # the aim's text repeated in the next row: the same aim continues
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

    def repeats_aim(self, number: int, aim_text: str) -> bool:
        """Whether an aim cell repeating the aim above continues it (a Word document's merged
        cell copied as text in every row: one aim, not many); a sheet's never does."""
        return False

    def _owner_refs(self, values: dict[str, str], number: int, column_key: str) -> list[str]:
        text = values.get(column_key, "")
        if not text:
            return []
        return self.owners.read(text, self.where, number, self._column(column_key), self.problems)

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


class OwnerReader:
    """Reads owner cells. A workbook's plan sheet names only owners trustplan has (an unknown
    one is a problem, with the closest known owner); a Word document or import_plan collects
    the unknown ones in the result's unknown_owners with the owner each would be created as,
    so the administrator may let the import create them."""

    def __init__(self, result: PlanImport, *, collect_unknown: bool = False) -> None:
        self.result = result
        self.known = owner_lookup()
        self.collect_unknown = collect_unknown

    def read(
        self, text: str, sheet: str, row: int, column: str | None, problems: list
    ) -> list[str]:
        if not self.collect_unknown:
            try:
                return parse_owner_codes(text, self.known)
            except ReferenceError as error:
                problems.append(Problem(sheet, row, column, str(error)))
                return []
        codes, unknown = split_owner_text(text, self.known)
        for part in unknown:
            codes.append(self._unknown(part, f"{sheet}, row {row}"))
        return codes

    def _unknown(self, part: str, place: str) -> str:
        for owner in self.result.unknown_owners.values():
            if owner.text.casefold() == part.casefold():
                if place not in owner.places:
                    owner.places.append(place)
                return owner.code
        taken = set(self.known.values()) | set(self.result.unknown_owners)
        code, name, kind = new_owner_for(part, taken)
        self.result.unknown_owners[code] = UnknownOwner(
            text=part,
            code=code,
            name=name,
            kind=kind,
            closest=suggest(part, self.known),
            places=[place],
        )
        return code


def _years_from(title: str) -> tuple[int, int] | None:
    match = re.search(r"(\d{4})\s*[/\-–]\s*(\d{4}|\d{2})(?!\d)", title)
    if not match:
        return None
    start, end = int(match.group(1)), match.group(2)
    end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
    return (start, end_year) if end_year > start else None


def _match_plan(result: PlanImport, problems: list, plan: Plan | None = None) -> None:
    """Compare what was read with the plan it goes into: `plan` when given, none for a new
    draft plan (result.new_plan), else the active plan (or the plan the sheet would create)."""
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
    if result.new_plan:
        plan = None
        counts = {"plans_created": 1, **counts}
    elif plan is None:
        plan = Plan.objects.filter(status=PlanStatus.ACTIVE).first()
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
    elif result.introduction and norm(result.introduction) != norm(plan.introduction):
        counts = {"plans_updated": 1, **counts}
    result.plan = plan
    objectives = {o.number: o for o in plan.objectives.all()} if plan else {}
    aims = {}
    actions = {}
    criteria = set()
    if plan:
        for aim in Aim.objects.filter(objective__plan=plan):
            aims[(aim.objective_id, norm(aim.title))] = aim
        for action in Action.objects.filter(objective__plan=plan).prefetch_related(
            "aims", "responsible", "monitors", "kpis"
        ):
            for aim in action.aims.all():
                actions[(aim.pk, norm(action.description))] = action
        for objective_id, text in SuccessCriterion.objects.filter(objective__plan=plan).values_list(
            "objective_id", "text"
        ):
            criteria.add((objective_id, norm(text)))
    grouped = any(o.groups for o in result.objectives)
    if grouped:
        counts["success_criteria_created"] = 0
    for objective_row in result.objectives:
        existing = objectives.get(objective_row.number)
        if existing is None:
            counts["objectives_created"] += 1
        elif norm(existing.title) != norm(objective_row.title):
            counts["objectives_updated"] += 1
        found_aims = {}
        for aim_row in objective_row.aims:
            aim = aims.get((existing.pk, norm(aim_row.title))) if existing else None
            found_aims[id(aim_row)] = aim
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
        for group in objective_row.groups:
            group_aims = [found_aims.get(id(a)) for a in group.aims]
            first = group_aims[0] if group_aims else None
            for action_row in group.actions:
                action = actions.get((first.pk, norm(action_row.description))) if first else None
                if action is None:
                    counts["actions_created"] += 1
                elif {a.pk for a in action.aims.all()} >= {a.pk for a in group_aims if a}:
                    counts["actions_unchanged"] += 1
                else:
                    counts["actions_updated"] += 1
            for text in group.criteria:
                if not existing or (existing.pk, norm(text)) not in criteria:
                    counts["success_criteria_created"] += 1
    if result.unknown_owners:
        counts["owners_created"] = len(result.unknown_owners)
    result.counts = counts
