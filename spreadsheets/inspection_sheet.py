"""The workbook's "Inspections" sheet: each academy's Ofsted inspections in words, written by
the exports and read back by the import (a round trip changes nothing).

Layout: Academy | Date | Framework | one column per area of either framework | Safeguarding |
Report. A report card's row fills the report-card areas, an older inspection's the grades 1–4;
grades are words ("Needs attention", "Good"), as the pages show them. The import records each
row through kpis.returns.record_inspection, the lifecycle's rules included.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from academies.models import Academy
from core.text import safe_text
from core.workbook import Cell, require_saved
from kpis import ofsted
from kpis.models import Inspection, inspection_problems
from kpis.returns import record_inspection
from spreadsheets.problems import Problem

FRAMEWORK_WORDS = {
    "report card": ofsted.REPORT_CARD,
    "ofsted report card": ofsted.REPORT_CARD,
    ofsted.FRAMEWORKS[ofsted.REPORT_CARD].lower(): ofsted.REPORT_CARD,
    "grades 1–4": ofsted.FOUR_POINT,
    "grades 1-4": ofsted.FOUR_POINT,
    "pre-2025 grades": ofsted.FOUR_POINT,
    ofsted.FRAMEWORKS[ofsted.FOUR_POINT].lower(): ofsted.FOUR_POINT,
}
SHEET_FRAMEWORK = {ofsted.REPORT_CARD: "Report card", ofsted.FOUR_POINT: "Grades 1–4"}
# (header, framework, area key) for every grade column, report-card areas first.
GRADE_COLUMNS = [
    *((name, ofsted.REPORT_CARD, key) for key, name in ofsted.REPORT_CARD_AREAS.items()),
    *(
        (f"{name} (grades 1–4)", ofsted.FOUR_POINT, key)
        for key, name in ofsted.FOUR_POINT_AREAS.items()
    ),
]
HEADER = ["Academy", "Date", "Framework", *(c[0] for c in GRADE_COLUMNS), "Safeguarding", "Report"]
SAFEGUARDING_WORDS = {
    "met": True,
    "effective": True,
    "yes": True,
    "not met": False,
    "not effective": False,
    "no": False,
}


def _norm(text: object) -> str:
    return " ".join(str(text or "").lower().split())


def is_inspection_header(texts: list[str]) -> bool:
    return {"academy", "date", "framework"} <= set(texts)


def write_sheet(sheet, inspections: list[Inspection]) -> None:
    """The Inspections sheet of an export: every inspection given, by academy, newest first."""
    sheet.append(HEADER)
    for inspection in inspections:
        grades = inspection.grades or {}
        row = [
            safe_text(inspection.academy.name),
            inspection.date,
            SHEET_FRAMEWORK[inspection.framework],
        ]
        for _, framework, key in GRADE_COLUMNS:
            grade = grades.get(key) if framework == inspection.framework else None
            row.append("" if grade is None else ofsted.grade_words(framework, grade))
        row.append(
            ""
            if inspection.safeguarding_met is None
            else ofsted.SAFEGUARDING_WORDS[inspection.framework][inspection.safeguarding_met]
        )
        row.append(safe_text(inspection.report_url))
        sheet.append(row)
        sheet.cell(row=sheet.max_row, column=2).number_format = "d mmm yyyy"
    sheet.column_dimensions["A"].width = 28
    sheet.freeze_panes = "B2"


@dataclass
class IncomingInspection:
    academy: Academy
    date: datetime.date
    framework: str
    grades: dict[str, int]
    safeguarding_met: bool | None
    report_url: str
    where: tuple[str, int]
    existing: Inspection | None = None


@dataclass
class InspectionImport:
    creates: list[IncomingInspection] = field(default_factory=list)
    updates: list[IncomingInspection] = field(default_factory=list)
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.creates or self.updates)


def read_sheet(name, header, rows, lookups, problems: list[Problem]) -> InspectionImport:
    """Read an Inspections sheet; each problem names its sheet, row and column."""
    require_saved(header)
    columns: dict[str, int] = {}
    for cell in header:
        text = _norm(cell.layout_text)
        if text:
            columns[text] = cell.column
    grade_columns = [
        (columns[_norm(title)], framework, key)
        for title, framework, key in GRADE_COLUMNS
        if _norm(title) in columns
    ]
    result = InspectionImport()
    seen: dict[tuple[int, datetime.date], int] = {}
    incoming: list[IncomingInspection] = []
    for number, cells in rows:
        by_column = {cell.column: cell for cell in cells}
        if not any(c.saved not in (None, "") for c in cells):
            continue
        require_saved(cells)

        def cell_at(title: str, by_column=by_column) -> Cell | None:
            column = columns.get(title)
            return by_column.get(column) if column else None

        def problem(column_title: str, message: str, number=number) -> None:
            column = columns.get(column_title)
            letter = Cell(None, column).letter if column else None
            problems.append(Problem(name, number, letter, message))

        academy_cell = cell_at("academy")
        academy = lookups.academy(academy_cell.text) if academy_cell else None
        if academy is None:
            text = academy_cell.text if academy_cell else ""
            problem(
                "academy",
                f"“{text}” is not an academy of the trust{lookups.academy_suggestion(text)}"
                if text
                else "the academy is missing",
            )
            continue
        date_cell = cell_at("date")
        date = _date(date_cell)
        if date is None:
            problem("date", f"“{date_cell.text if date_cell else ''}” is not a date (dd/mm/yyyy)")
            continue
        framework_text = _norm(cell_at("framework").text if cell_at("framework") else "")
        framework = FRAMEWORKS_BY_WORD(framework_text)
        if framework is None:
            problem(
                "framework",
                f"“{framework_text}” is not a framework: write “Report card” or “Grades 1–4”",
            )
            continue
        grades: dict[str, int] = {}
        bad = False
        for column, column_framework, key in grade_columns:
            cell = by_column.get(column)
            if cell is None or cell.saved in (None, ""):
                continue
            title = next(t for t, f, k in GRADE_COLUMNS if (f, k) == (column_framework, key))
            if column_framework != framework:
                problems.append(
                    Problem(
                        name,
                        number,
                        cell.letter,
                        f"{title}: a {SHEET_FRAMEWORK[framework].lower()} row has no grade "
                        "in this column (the two frameworks are never mixed)",
                    )
                )
                bad = True
                continue
            grade = ofsted.grade_from_words(framework, cell.text)
            if grade is None:
                scale = ", ".join(ofsted.GRADES[framework].values())
                problems.append(
                    Problem(
                        name, number, cell.letter, f"{title}: “{cell.text}” is not one of {scale}"
                    )
                )
                bad = True
                continue
            grades[key] = grade
        safeguarding_cell = cell_at("safeguarding")
        safeguarding = None
        if safeguarding_cell is not None and safeguarding_cell.saved not in (None, ""):
            safeguarding = SAFEGUARDING_WORDS.get(_norm(safeguarding_cell.text))
            if safeguarding is None:
                problem(
                    "safeguarding",
                    f"“{safeguarding_cell.text}” is not Met or Not met "
                    "(Effective or Not effective for grades 1–4)",
                )
                bad = True
        if bad:
            continue
        found = inspection_problems(framework, grades, safeguarding)
        if found:
            problems.append(Problem(name, number, None, " ".join(found)))
            continue
        key = (academy.pk, date)
        if key in seen:
            problems.append(
                Problem(
                    name,
                    number,
                    None,
                    f"{academy.name}'s inspection of {date:%-d %B %Y} is also on row {seen[key]}",
                )
            )
            continue
        seen[key] = number
        report = cell_at("report")
        incoming.append(
            IncomingInspection(
                academy,
                date,
                framework,
                grades,
                safeguarding,
                report.text if report is not None else "",
                (name, number),
            )
        )
    stored = {
        (i.academy_id, i.date): i
        for i in Inspection.objects.filter(academy_id__in={i.academy.pk for i in incoming})
    }
    for item in incoming:
        old = stored.get((item.academy.pk, item.date))
        if old is None:
            result.creates.append(item)
        elif (old.framework, old.grades or {}, old.safeguarding_met, old.report_url) == (
            item.framework,
            item.grades,
            item.safeguarding_met,
            item.report_url,
        ):
            result.unchanged += 1
        else:
            item.existing = old
            result.updates.append(item)
    return result


def FRAMEWORKS_BY_WORD(text: str) -> str | None:  # noqa: N802 - a table lookup
    return FRAMEWORK_WORDS.get(text)


def _date(cell: Cell | None) -> datetime.date | None:
    if cell is None:
        return None
    value = cell.value
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell.text
    for layout in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d %b %Y", "%d %B %Y"):
        try:
            return datetime.datetime.strptime(text, layout).date()
        except ValueError:
            continue
    return None


def apply_sheet(found: InspectionImport, *, user) -> int:
    """Record every new or changed inspection (in the caller's transaction)."""
    for item in found.creates + found.updates:
        record_inspection(
            academy=item.academy,
            date=item.date,
            framework=item.framework,
            grades=item.grades,
            safeguarding_met=item.safeguarding_met,
            report_url=item.report_url,
            user=user,
            inspection=item.existing,
            check_permission=False,  # the import's own permission covers every academy
        )
    return len(found.creates) + len(found.updates)
