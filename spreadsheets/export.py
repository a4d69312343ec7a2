"""Exports: the board pack workbook and the CSV of values. Every text cell is formula-safe.

The board pack's matrix sheet is laid out like the trust's own KPI table and is itself a valid
import: value cells hold the numbers, and their number format adds the RAG symbol and label
("95.2 ✓ Green"), so the sheet reads the same printed in greyscale and imports unchanged.
"""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from academies import permissions
from academies.models import Academy
from academies.services import read_fixture
from core.text import safe_text
from kpis import rag
from kpis.models import KPI, Area, Inspection, KPIValue, Period, Return, format_academic_year
from kpis.selectors import Board, Cell, PeriodIndex, board_matrix, rule_in_words
from plans.models import Action
from plans.selectors import (
    actions_for_display,
    active_plan,
    addresses,
    kpi_actions,
    with_latest_commentary,
)
from spreadsheets import inspection_sheet

FILLS = {
    rag.Outcome.GREEN: "C6EFCE",
    rag.Outcome.AMBER: "FFEB9C",
    rag.Outcome.RED: "FFC7CE",
    rag.Outcome.MISSING: "D9D9D9",
    rag.Outcome.NOT_APPLICABLE: "FFFFFF",
    rag.Outcome.NO_TARGET: "F2F2F2",
}
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def _literal(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def number_format(cell: Cell) -> str:
    """Show the value and its RAG label, keep the number: '0.0"% ✓ Green"'.

    The cell holds the number as stored (the sheet imports back unchanged); its format rounds
    it as kpis.rag.format_value does on the pages: as many decimals as the page shows of that
    value (0, 1 or 2), so a trust mean reads 95.98, never 95.98378378378378. A trust cell
    missing academies says so on the cell: '44 ! Amber · 4 of 5'.
    """
    label = f" {cell.judgement.symbol} {cell.judgement.label}"
    if cell.coverage:
        label += f" · {cell.coverage}"
    if cell.measure in ("yes_no", "grade"):
        shown = _literal(rag.format_value(cell.value, cell.measure) + label)
        return f"{shown};{shown};{shown}"
    if cell.measure == "money":
        suffix = _literal(label)
        return f'"£"#,##0{suffix};"−£"#,##0{suffix};"£"0{suffix}'
    decimals = rag.decimals_shown(cell.value, cell.measure)
    digits = "0." + "0" * decimals if decimals else "0"
    if cell.measure == "percentage":
        return f"{digits}{_literal('%' + label)}"
    return f"{digits}{_literal(label)}"


def _write_value(sheet, row: int, column: int, cell: Cell) -> None:
    target = sheet.cell(row=row, column=column)
    outcome = cell.outcome
    if cell.value is not None and cell.measure == "inspection":
        # Words, never the code: "Needs attention ! Amber" (the import reads it back).
        label = f" {cell.judgement.symbol} {cell.judgement.label}"
        target.value = rag.format_value(cell.value, cell.measure) + label
    elif cell.value is not None:
        target.value = (
            float(cell.value) if cell.value != cell.value.to_integral_value() else int(cell.value)
        )
        target.number_format = number_format(cell)
    elif outcome == rag.Outcome.NOT_APPLICABLE:
        target.value = "– Not applicable"
    elif outcome == rag.Outcome.MISSING:
        target.value = "? Missing"
    target.fill = PatternFill("solid", fgColor=FILLS[outcome])
    target.border = BORDER
    target.alignment = Alignment(horizontal="center")


def matrix_sheet_name(period: Period) -> str:
    return f"{format_academic_year(period.year_start, sep='-')} {period.get_term_display()}"


def board_pack(period: Period, academy_ids: set[int] | None = None) -> bytes:
    """The board pack for a period: matrix, legend, exceptions, plan actions.

    With ``academy_ids`` (a governor's scope, academies.permissions) only those academies'
    columns, exceptions and actions, and the trust-wide actions; the trust column is still the
    whole trust's figure.
    """
    periods = PeriodIndex()
    board = board_matrix(period, periods).restricted_to(academy_ids)
    book = Workbook()
    matrix = book.active
    matrix.title = matrix_sheet_name(period)
    _write_matrix(matrix, board)
    _write_legend(book.create_sheet("Legend"), board)
    _write_exceptions(book.create_sheet("Exceptions"), board)
    plan = active_plan()
    actions = (
        list(
            with_latest_commentary(actions_for_display(Action.objects.filter(objective__plan=plan)))
        )
        if plan
        else []
    )
    actions = [action for action in actions if permissions.action_in_scope(action, academy_ids)]
    _write_actions(book.create_sheet("Plan actions"), plan, actions)
    inspection_sheet.write_sheet(book.create_sheet("Inspections"), _inspections(academy_ids))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _inspections(academy_ids: set[int] | None) -> list[Inspection]:
    """The inspections of these academies (None: all), by academy, newest first."""
    found = Inspection.objects.select_related("academy").order_by("academy__position", "-date")
    if academy_ids is not None:
        found = found.filter(academy_id__in=academy_ids)
    return list(found)


def _write_matrix(sheet, board: Board) -> None:
    header = [
        "KPI (Key Performance Indicators)",
        *[a.name for a in board.academies],
        settings.TRUST_NAME,
    ]
    for column, text in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=column, value=safe_text(text))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = BORDER
    row = 2
    for group in board.areas:
        cell = sheet.cell(row=row, column=1, value=safe_text(str(group.area)))
        cell.font = Font(bold=True)
        for column in range(1, len(header) + 1):
            sheet.cell(row=row, column=column).fill = PatternFill("solid", fgColor="E4DFEC")
        row += 1
        for line in group.rows:
            sheet.cell(
                row=row, column=1, value=safe_text(f"{line.kpi.code} {line.kpi.name}")
            ).border = BORDER
            for column, cell in enumerate(line.cells, start=2):
                _write_value(sheet, row, column, cell)
            _write_value(sheet, row, len(header), line.trust)
            row += 1
    sheet.column_dimensions["A"].width = 60
    for column in range(2, len(header) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 22
    sheet.freeze_panes = "B2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def _write_legend(sheet, board: Board) -> None:
    rows = [
        (f"{settings.TRUST_NAME} – board pack", None),
        (f"Period: {board.period}", None),
        (f"Generated {timezone.localtime():%d %B %Y %H:%M}", None),
        ("Only submitted and approved returns are counted.", None),
        ("", None),
        ("Rating", "Meaning"),
    ]
    meanings = {
        rag.Outcome.GREEN: "Meets the target",
        rag.Outcome.AMBER: "Short of the target, within the amber margin",
        rag.Outcome.RED: "Short of the target beyond the amber margin",
        rag.Outcome.MISSING: "Applies, but no submitted value",
        rag.Outcome.NOT_APPLICABLE: "Does not apply to the academy's phase",
        rag.Outcome.NO_TARGET: "Value shown for context; no target set",
    }
    for outcome in rag.Outcome:
        rows.append((f"{outcome.symbol} {outcome.label}", meanings[outcome]))
    rows += [("", None), ("Trend", "↑ better, ↓ worse, → same as the previous period"), ("", None)]
    rows.append(("KPI", "Target rule"))
    for line in board.rows:
        rule = rule_in_words(line.kpi, board.academies, board.overrides_of(line.kpi))
        rows.append((f"{line.kpi.code} {line.kpi.name}", rule))
    for index, (first, second) in enumerate(rows, start=1):
        sheet.cell(row=index, column=1, value=safe_text(first))
        if second is not None:
            sheet.cell(row=index, column=2, value=safe_text(second))
    for index, outcome in enumerate(rag.Outcome, start=7):
        sheet.cell(row=index, column=1).fill = PatternFill("solid", fgColor=FILLS[outcome])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 60
    sheet.column_dimensions["B"].width = 80


EXCEPTION_COLUMNS = [
    "KPI",
    "Academy",
    "Rating",
    "Value",
    "Trend",
    "Why",
    "Head's note",
    "Note by",
    "Plan actions (status, latest update, commentary)",
]


def _write_exceptions(sheet, board: Board) -> None:
    """Every exception with the head's note and, for a red or amber one, the active plan's
    actions linked to its KPI that address the academy ("no action addresses this" for a red
    with none); then one row per academy whose return is not submitted (Board.unsubmitted)."""
    sheet.append(EXCEPTION_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    exceptions = board.exceptions()
    judged = (rag.Outcome.RED, rag.Outcome.AMBER)
    linked = kpi_actions(line.kpi.pk for line, cell in exceptions if cell.outcome in judged)
    wrap = Alignment(wrap_text=True)
    fills = {outcome: PatternFill("solid", fgColor=colour) for outcome, colour in FILLS.items()}
    # The row just written, counted here: sheet.max_row scans every cell, once per row it
    # made the sheet quadratic (4 s of the pack at 150 academies).
    row = 1
    for line, cell in exceptions:
        actions = [
            action for action in linked.get(line.kpi.pk, []) if addresses(action, cell.academy.pk)
        ]
        sheet.append(
            [
                safe_text(f"{line.kpi.code} {line.kpi.name}"),
                safe_text(cell.academy.name),
                safe_text(f"{cell.judgement.symbol} {cell.judgement.label}"),
                safe_text(cell.shown),
                safe_text(cell.trend.label if cell.trend else ""),
                safe_text(cell.judgement.explanation),
                safe_text(cell.note),
                safe_text(cell.note_by),
                safe_text(_actions_in_words(actions, cell.outcome)),
            ]
        )
        row += 1
        sheet.cell(row=row, column=3).fill = fills[cell.outcome]
        for column in (6, 7, 9):
            sheet.cell(row=row, column=column).alignment = wrap
    for academy, count in board.unsubmitted():
        sheet.append(
            [
                safe_text(f"All {count} KPIs"),
                safe_text(academy.name),
                safe_text(f"{rag.Outcome.MISSING.symbol} {rag.Outcome.MISSING.label}"),
                "",
                "",
                safe_text(f"Return not submitted — {count} KPIs"),
            ]
        )
        row += 1
        sheet.cell(row=row, column=3).fill = fills[rag.Outcome.MISSING]
    widths = (50, 28, 14, 18, 24, 60, 50, 20, 80)
    for letter, width in zip("ABCDEFGHI", widths, strict=True):
        sheet.column_dimensions[letter].width = width


def _actions_in_words(actions, outcome) -> str:
    """ "Present to heads — On track, 4 Mar 2024: reviewed at the last meeting", one line each."""
    if not actions:
        return "No action addresses this" if outcome == rag.Outcome.RED else ""
    return "\n".join(_action_in_words(action) for action in actions)


def _action_in_words(action) -> str:
    words = f"{action} — {action.status_label}"
    if action.latest_update_on:
        day = action.latest_update_on
        words += f", {day.day} {day:%b %Y}"
    if getattr(action, "latest_commentary", ""):
        words += f": {action.latest_commentary}"
    return words


def _write_actions(sheet, plan, actions) -> None:
    sheet.append(
        [
            "Objective",
            "Aim",
            "Action",
            "Responsibility",
            "KPIs",
            "Monitored by",
            "Due",
            "Status",
            "Latest update",
            "Latest commentary",
        ]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    today = timezone.localdate()
    row = 1
    for action in actions:
        status = action.status_label
        if action.is_overdue(today):
            status = f"✗ Overdue · {status}"
        sheet.append(
            [
                safe_text(f"{action.objective.number}. {action.objective.title}"),
                safe_text("; ".join(f"{a.number} {a.title}".strip() for a in action.aims.all())),
                safe_text(action.description or "(no action stated)"),
                safe_text(" and ".join(o.code for o in action.responsible.all())),
                safe_text(" ".join(k.code for k in action.kpis.all())),
                safe_text(" and ".join(o.name or o.code for o in action.monitors.all())),
                action.due,
                safe_text(status),
                action.latest_update_on,
                safe_text(action.latest_commentary or ""),
            ]
        )
        row += 1  # counted, not sheet.max_row, which scans the sheet
        for column, day in ((7, action.due), (9, action.latest_update_on)):
            if day:
                sheet.cell(row=row, column=column).number_format = "d mmm yyyy"
    widths = (40, 40, 70, 16, 16, 30, 12, 24, 12, 70)
    for letter, width in zip("ABCDEFGHIJ", widths, strict=True):
        sheet.column_dimensions[letter].width = width


CSV_HEADER = [
    "KPI",
    "KPI name",
    "Academy",
    "Period",
    "Value",
    "Not available",
    "Note",
    "Return status",
]


def values_csv(period: Period | None = None, academy_ids: set[int] | None = None) -> str:
    """Submitted and approved values (one period, or all) in the long layout the import reads;
    with ``academy_ids``, only those academies' values."""
    values = (
        KPIValue.objects.published()
        .select_related("kpi", "academy", "period")
        .order_by(
            "period__year_start",
            "period__term",
            "kpi__area__number",
            "kpi__position",
            "academy__position",
        )
    )
    if period is not None:
        values = values.filter(period=period)
    if academy_ids is not None:
        values = values.filter(academy_id__in=academy_ids)
    statuses = _return_statuses(period)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for value in values:
        writer.writerow(
            [
                safe_text(value.kpi.code),
                safe_text(value.kpi.name),
                safe_text(value.academy.name),
                safe_text(value.period.slug),
                _csv_value(value),
                "yes" if value.not_available else "",
                safe_text(value.note),
                statuses.get((value.academy_id, value.period_id), ""),
            ]
        )
    return out.getvalue()


def _csv_value(value: KPIValue) -> str:
    if value.value is None:
        return ""
    if value.kpi.from_inspections:  # words, never the code (the import reads them back)
        return rag.format_value(value.value, value.kpi.measure)
    return f"{value.value.normalize():f}"


def _return_statuses(period):
    returns = Return.objects.all() if period is None else Return.objects.filter(period=period)
    return {(r.academy_id, r.period_id): r.status for r in returns}


def template_workbook(period: Period | None) -> bytes:
    """An empty trust workbook: a KPI matrix for a period, a long values sheet, a plan sheet."""
    book = Workbook()
    matrix = book.active
    matrix.title = matrix_sheet_name(period) if period else "2023-24 Autumn"
    academies = list(Academy.objects.active())
    matrix.append(
        [
            "KPI (Key Performance Indicators)",
            *[safe_text(a.name) for a in academies],
            settings.TRUST_NAME,
        ]
    )
    kpis = list(KPI.objects.active().with_area())
    for area in Area.objects.order_by("number"):
        matrix.append([safe_text(str(area))])
        for kpi in (k for k in kpis if k.area_id == area.pk):
            matrix.append([safe_text(f"{kpi.code} {kpi.name}")])
    matrix.column_dimensions["A"].width = 60
    long = book.create_sheet("Values")
    long.append(["KPI", "Academy", "Period", "Value", "Note", "Not available"])
    plan = book.create_sheet("Plan")
    plan.append(["Trust Development Plan YYYY/YYYY"])
    plan.append(["Aim", "Action", "Responsibility", "KPI", "Monitored by"])
    inspection_sheet.write_sheet(book.create_sheet("Inspections"), [])
    notes = book.create_sheet("Instructions")
    for line in TEMPLATE_NOTES:
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


TEMPLATE_NOTES = [
    "How to fill in this workbook",
    "KPI matrix sheet: one per period, named like “2023-24 Autumn” "
    "(or choose the period when uploading).",
    "Put each academy's value under its column; percentages as 95, 95% "
    "or 0.95 formatted as a percentage.",
    "Leave a cell blank when there is no value; the trust column is calculated, never imported.",
    "Values sheet: one value per row, for any period "
    "(KPI code, academy name, short name or URN, period).",
    "Plan sheet: “Strategic objective N: …” rows, "
    "then Aim | Action | Responsibility | KPI | Monitored by.",
    "A blank Aim continues the aim above; KPI lists like 1.1-1.9 or 4.12 4.13; "
    "owners like TBR and NLI.",
    "Inspections sheet: one Ofsted inspection per row (academy, date, “Report card” or "
    "“Grades 1–4”), each area's grade in words (Expected standard, Needs attention…; or "
    "Good, Requires improvement… for grades 1–4), Safeguarding Met or Not met (Effective or Not "
    "effective). The inspection KPIs take their values from these rows, never from the matrix.",
    "Formulas are read by the value your spreadsheet program saved; they are never run.",
]


def example_workbook() -> bytes:
    """The template filled with the Amethyst seed's plan, as a worked example."""
    book_bytes = template_workbook(None)
    book = load_workbook(io.BytesIO(book_bytes))
    plan_sheet = book["Plan"]
    plan_sheet.delete_rows(1, plan_sheet.max_row)
    data = read_fixture("plan_amethyst_2023_24.yaml")
    plan_sheet.append([safe_text(data["title"])])
    plan_sheet.append(["Aim", "Action", "Responsibility", "KPI", "Monitored by"])
    for objective in data["objectives"]:
        plan_sheet.append(
            [safe_text(f"Strategic objective {objective['number']}: {objective['title']}")]
        )
        for aim in objective.get("aims", []):
            for index, action in enumerate(aim.get("actions", [])):
                plan_sheet.append(
                    [
                        safe_text(aim.get("title", "")) if index == 0 else None,
                        safe_text(action.get("description", "")),
                        safe_text(action.get("responsibility", "")),
                        safe_text(action.get("kpi", "")),
                        safe_text(action.get("monitored_by", "")),
                    ]
                )
    for letter, width in zip("ABCDE", (50, 70, 16, 14, 30), strict=True):
        plan_sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
