"""Importing trust workbooks: read, check and preview every change, then apply all or nothing.

``prepare_import`` reads the file (core.workbook) and compares it with the database, writing
nothing: it returns an ImportPreview listing what would be created, updated and left unchanged,
and every problem with its sheet, row and column. ``apply_import`` writes a preview that has
no problems, in one transaction, with bulk writes whose history rows say "Imported from FILE".
Values and returns are written by the return lifecycle (kpis.returns.import_values), whose rule
the preview applies too (import_refusal): an import never lowers a return's status, so a value
for an approved return, or one imported as draft into a submitted return, is a problem.

Sheets are recognised by their header row:
- a KPI matrix: a row naming academies (by name, short name or URN) as column headers; KPI rows
  "1.1 Attainment 8" (or code and name in two columns), area rows "1. Quality of Education";
  the trust column is ignored; the period comes from the sheet name or the upload form;
- a long values sheet: columns KPI, Academy, Period, Value (and optionally Note, Not available);
- a plan sheet: Aim | Action | Responsibility | KPI | Monitored by (spreadsheets.plan_sheet);
- an Inspections sheet: Academy | Date | Framework | the areas' grades in words | Safeguarding
  (spreadsheets.inspection_sheet). The KPIs measured from inspections take their values from
  these records, never from a matrix or values sheet: there a value equal to the stored one is
  unchanged and a different one is a problem pointing to the Inspections sheet.
Other sheets (a board pack's legend, exceptions, actions) are listed as ignored.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from openpyxl.utils import get_column_letter

from academies.models import Academy
from core.workbook import (
    Cell,
    Sheet,
    WorkbookRefused,
    open_sheets,
    require_saved,
    to_decimal,
)
from kpis import ofsted, rag
from kpis.cache import bump_board_version
from kpis.measures import parse_value
from kpis.models import (
    KPI,
    KPIValue,
    Measure,
    Period,
    Return,
    ReturnStatus,
    Term,
    format_academic_year,
    period_year_problem,
)
from kpis.returns import (
    IMPORT_STATES,
    ImportConflict,
    ImportedValue,
    ReturnError,
    import_refusal,
    import_values,
    sync_inspections,
)
from plans.references import suggest
from plans.services import apply_plan_sheet
from spreadsheets import inspection_sheet
from spreadsheets.plan_sheet import read_plan_sheet
from spreadsheets.problems import Problem, report_unsaved_formulas

# What exports write where there is no value: read as blank, never as an error.
BLANK_MARKERS = {
    "",
    "-",
    "–",
    "—",
    "n/a",
    "na",
    "?",
    "? missing",
    "missing",
    "– not applicable",
    "not applicable",
    "- not applicable",
}
TERM_WORDS = {"autumn": Term.AUTUMN, "spring": Term.SPRING, "summer": Term.SUMMER}
YES = {"yes", "y", "true", "met", "✓"}
NO = {"no", "n", "false", "not met", "✗"}
GRADE_WORDS = {"outstanding": 1, "good": 2, "requires improvement": 3, "inadequate": 4}


@dataclass
class IncomingValue:
    kpi: KPI
    academy: Academy
    period_key: tuple[int, int]
    value: Decimal | None
    not_available: bool
    note: str | None  # None: the sheet has no note column, keep the stored note
    where: tuple[str, int, str]


@dataclass
class ValueChange:
    incoming: IncomingValue
    old: KPIValue | None


@dataclass
class ImportPreview:
    filename: str
    state: str
    problems: list[Problem] = field(default_factory=list)
    ignored_sheets: list[str] = field(default_factory=list)
    read_sheets: list[tuple[str, str]] = field(default_factory=list)  # (name, kind)
    new_periods: list[tuple[int, int]] = field(default_factory=list)
    creates: list[ValueChange] = field(default_factory=list)
    updates: list[ValueChange] = field(default_factory=list)
    unchanged: int = 0
    plan: object | None = None  # plans.sheet.PlanImport
    inspections: inspection_sheet.InspectionImport | None = None
    # The version of each return the import would change, as the preview saw it (0: none yet).
    # apply_import refuses if any has moved on: someone saved since the preview.
    return_versions: dict[tuple[int, tuple[int, int]], int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        plan_changes = self.plan.has_changes if self.plan else False
        inspections = self.inspections.has_changes if self.inspections else False
        return bool(self.creates or self.updates or self.new_periods or plan_changes or inspections)

    def period_label(self, key: tuple[int, int]) -> str:
        return f"{format_academic_year(key[0])} {Term(key[1]).label}"


def parse_period_name(text: str) -> tuple[int, int] | None:
    """ "2023-24 Autumn", "Autumn 2023/24", "2023-24-autumn", "Autumn 2023", "Summer 2024"."""
    lowered = " ".join(str(text or "").lower().replace("_", " ").split())
    term = next((value for word, value in TERM_WORDS.items() if word in lowered), None)
    if term is None:
        return None
    pair = re.search(r"(\d{4})\s*[-/–]\s*(\d{4}|\d{2})(?!\d)", lowered)
    if pair:
        start = int(pair.group(1))
        end = pair.group(2)
        end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
        if len(end) == 2 and end_year < start:  # "1999-00": the next century
            end_year += 100
        if end_year != start + 1:
            return None
        return start, term
    single = re.search(r"(?<!\d)(\d{4})(?!\d)", lowered)
    if single:
        year = int(single.group(1))
        # "Autumn 2023" is the autumn of 2023/24; "Spring 2024" and "Summer 2024" are 2023/24's.
        return (year, term) if term == Term.AUTUMN else (year - 1, term)
    return None


def _norm(text: object) -> str:
    return " ".join(str(text or "").split()).casefold()


class Lookups:
    """Academies, KPIs and periods by every spelling a spreadsheet may use (three queries)."""

    def __init__(self) -> None:
        self.academies: dict[str, Academy] = {}
        for academy in Academy.objects.all():
            for key in (academy.name, academy.short_name, academy.slug, academy.urn):
                if key:
                    self.academies[_norm(key)] = academy
        self.kpis = {kpi.code: kpi for kpi in KPI.objects.select_related("area")}
        self.kpi_names = {_norm(kpi.name): kpi for kpi in self.kpis.values()}
        self.periods = {(p.year_start, p.term): p for p in Period.objects.all()}
        self.trust_names = {_norm(settings.TRUST_NAME), "trust", "trust total", "trust column"}

    def academy(self, text: str) -> Academy | None:
        return self.academies.get(_norm(text))

    def academy_suggestion(self, text: str) -> str:
        names = {a.name for a in self.academies.values()}
        close = suggest(text, names)
        return f" (did you mean “{close}”?)" if close else ""

    def kpi_from(self, code_cell: Cell, name_text: str = "") -> tuple[KPI | None, str | None]:
        """(KPI, None) or (None, why not) from a code cell ("1.1", "1.1 Attainment 8", 1.1)."""
        value = code_cell.value
        if isinstance(value, float | int) and not isinstance(value, bool):
            candidates = [
                kpi for code, kpi in self.kpis.items() if _float_code(code) == float(value)
            ]
            if len(candidates) == 1:
                return candidates[0], None
            by_name = [k for k in candidates if _norm(k.name) == _norm(name_text)]
            if len(by_name) == 1:
                return by_name[0], None
            if candidates:
                codes = " or ".join(k.code for k in candidates)
                return None, (
                    f"KPI code {value} is stored as a number, so it could be {codes}: "
                    "format the column as text"
                )
            return None, f"there is no KPI {value} in the framework{self._kpi_hint(str(value))}"
        text = code_cell.text
        match = re.match(r"^(\d{1,2}\.\d{1,3})(?:\s+|$)(.*)$", text)
        if not match:
            return None, f"“{_short(text)}” does not start with a KPI code such as 2.1"
        code = f"{int(match.group(1).split('.')[0])}.{int(match.group(1).split('.')[1])}"
        kpi = self.kpis.get(code)
        if kpi is None:
            return None, f"there is no KPI {code} in the framework{self._kpi_hint(text)}"
        return kpi, None

    def _kpi_hint(self, text: str) -> str:
        rest = re.sub(r"^[\d.\s]+", "", text)
        close = suggest(rest, [k.name for k in self.kpis.values()]) if rest else None
        if close:
            kpi = self.kpi_names[_norm(close)]
            return f" (did you mean {kpi.code} “{kpi.name}”?)"
        return ""


def _float_code(code: str) -> float:
    try:
        return float(code)
    except ValueError:
        return -1.0


def _short(text: str, length: int = 40) -> str:
    return text if len(text) <= length else f"{text[: length - 1]}…"


def interpret(kpi: KPI, cell: Cell) -> Decimal | None:
    """A value cell as the KPI's value; raises ValidationError naming the problem."""
    number = to_decimal(cell)
    if number is not None:
        if number.as_tuple().exponent < -4:
            number = number.quantize(Decimal("0.0001"))
        return parse_value(kpi, f"{number:f}")
    text = cell.text
    if isinstance(cell.value, bool):
        return Decimal(int(cell.value))
    if cell.value is not None and not isinstance(cell.value, str):
        raise ValidationError(f"{kpi.code} {kpi.name}: “{_short(text)}” is not a value")
    lowered = _norm(text)
    if kpi.measure == Measure.YES_NO and (lowered in YES or lowered in NO):
        return Decimal(1 if lowered in YES else 0)
    if kpi.measure == Measure.GRADE and lowered in GRADE_WORDS:
        return Decimal(GRADE_WORDS[lowered])
    if kpi.from_inspections:
        # As the exports write it: "Needs attention ! Amber" (the RAG word after the mark).
        words = text.split(" ! ")[0].split(" ✓ ")[0].split(" ✗ ")[0].strip()
        code = ofsted.parse_words(words, kpi.inspection_rule)
        if code is None:
            raise ValidationError(
                f"{kpi.code} {kpi.name}: “{_short(text)}” is not an inspection outcome; "
                "inspections are recorded on the Inspections sheet"
            )
        return Decimal(code)
    return parse_value(kpi, text)


def _is_blank(cell: Cell) -> bool:
    return cell.value is None or (
        isinstance(cell.value, str) and _norm(cell.value) in BLANK_MARKERS
    )


def _has_content(cell: Cell | None) -> bool:
    """Not empty: a formula with no saved value counts (reading it is a problem)."""
    return cell is not None and (cell.formula_without_value or not _is_blank(cell))


HEADER_SCAN_ROWS = 30


def _classify(rows: list[tuple[int, list[Cell]]], lookups: Lookups):
    """(kind, header row number, header cells) of a sheet from its first rows."""
    for number, cells in rows:
        texts = [_norm(c.layout_text) for c in cells]
        non_empty = [t for t in texts if t]
        if not non_empty:
            continue
        if non_empty[:2] == ["aim", "action"] and "responsibility" in non_empty:
            return "plan", number, cells
        if {"kpi", "academy", "period", "value"} <= set(non_empty):
            return "long", number, cells
        if inspection_sheet.is_inspection_header(non_empty):
            return "inspections", number, cells
        # A matrix header names academies across the row: most of its other cells (the trust
        # column aside) are academies, so a data row that mentions one academy is not mistaken.
        others = [t for t in texts[1:] if t and t not in lookups.trust_names and "trust" not in t]
        academies = sum(1 for t in others if lookups.academy(t))
        if academies and academies * 2 >= len(others):
            return "matrix", number, cells
    return None, None, None


def prepare_import(
    data: bytes, filename: str, *, period: Period | None = None, state: str = ReturnStatus.SUBMITTED
) -> ImportPreview:
    """Read and check a workbook and say what importing it would change. Writes nothing."""
    preview = ImportPreview(filename=filename, state=state)
    if state not in IMPORT_STATES:
        preview.problems.append(Problem("", None, None, "Choose draft or submitted."))
        return preview
    try:
        sheets = open_sheets(data, filename)
    except WorkbookRefused as error:
        preview.problems.append(Problem("", None, None, str(error)))
        return preview
    lookups = Lookups()
    incoming: list[IncomingValue] = []
    seen: dict[tuple, tuple[str, int, str]] = {}
    try:
        for sheet in sheets:
            _read_sheet(sheet, lookups, period, preview, incoming, seen)
    except WorkbookRefused as error:
        preview.problems.append(Problem("", None, None, str(error)))
        return preview
    if not preview.read_sheets:
        names = ", ".join(f"“{name}”" for name in preview.ignored_sheets) or "none"
        preview.problems.append(
            Problem(
                "",
                None,
                None,
                "No sheet is a KPI matrix, a values list, a plan sheet or an Inspections sheet "
                "(sheets found: "
                f"{names}). Start from the template: /import/template.xlsx.",
            )
        )
    _diff_values(preview, incoming, lookups)
    order = {sheet.name: index for index, sheet in enumerate(sheets)}
    preview.problems.sort(key=lambda p: (order.get(p.sheet, -1), p.row or 0, p.column or ""))
    return preview


def _read_sheet(sheet: Sheet, lookups, period, preview, incoming, seen) -> None:
    head = list(itertools.islice(sheet.rows, HEADER_SCAN_ROWS))
    kind, header_number, header = _classify(head, lookups)
    rest = itertools.chain((r for r in head if r[0] > (header_number or 0)), sheet.rows)
    if kind is None:
        preview.ignored_sheets.append(sheet.name)
        for _ in rest:  # drain, so row limits still apply
            pass
        return
    preview.read_sheets.append((sheet.name, kind))
    # Readers guard each row; this catches a header or title cell, which stops the sheet.
    with report_unsaved_formulas(sheet.name, preview.problems):
        if kind == "plan":
            preview.plan = read_plan_sheet(sheet.name, head, header_number, rest, preview.problems)
        elif kind == "inspections":
            if preview.inspections is not None:
                preview.problems.append(
                    Problem(sheet.name, header_number, None, "a second Inspections sheet")
                )
            else:
                preview.inspections = inspection_sheet.read_sheet(
                    sheet.name, header, rest, lookups, preview.problems
                )
        elif kind == "matrix":
            _read_matrix(
                sheet.name, header_number, header, rest, lookups, period, preview, incoming, seen
            )
        else:
            _read_long(sheet.name, header, rest, lookups, preview, incoming, seen)
    for _ in rest:  # drain what a stopped reader left, so row limits still apply
        pass


def _add(incoming, seen, preview, value: IncomingValue) -> None:
    key = (value.kpi.pk, value.academy.pk, value.period_key)
    sheet, row, column = value.where
    if key in seen:
        first = seen[key]
        preview.problems.append(
            Problem(
                sheet,
                row,
                column,
                f"{value.kpi.code} for {value.academy.name} in "
                f"{preview.period_label(value.period_key)} is also given on sheet “{first[0]}”, "
                f"row {first[1]}, column {first[2]}",
            )
        )
        return
    seen[key] = value.where
    incoming.append(value)


def _period_key_for_sheet(name: str, period: Period | None, preview) -> tuple[int, int] | None:
    key = parse_period_name(name)
    if key is None and period is not None:
        key = (period.year_start, period.term)
    if key is None:
        preview.problems.append(
            Problem(
                name,
                None,
                None,
                "cannot tell which period this sheet is for: name the sheet like “2023-24 "
                "Autumn” or choose the period when uploading",
            )
        )
        return None
    why = _period_out_of_range(key, preview)
    if why:
        preview.problems.append(Problem(name, None, None, f"the sheet's name gives {why}"))
        return None
    return key


def _period_out_of_range(key: tuple[int, int], preview) -> str | None:
    """Why the database could not hold this period (Period's own rule), or None."""
    why = period_year_problem(key[0])
    if why is None:
        return None
    return f"the period {preview.period_label(key)}, but {why}: check the year"


@dataclass
class _MatrixColumns:
    """Where a matrix sheet keeps its KPI codes, KPI names and each academy's values."""

    academies: dict[int, Academy]
    code: int
    name: int | None


def _read_matrix(
    name, header_number, header, rows, lookups, period, preview, incoming, seen
) -> None:
    period_key = _period_key_for_sheet(name, period, preview)
    require_saved(header)
    columns = _matrix_columns(name, header_number, header, lookups, preview)
    if period_key is None:
        return
    for number, cells in rows:
        with report_unsaved_formulas(name, preview.problems):
            _read_matrix_row(
                name, number, cells, columns, lookups, period_key, preview, incoming, seen
            )


def _matrix_columns(name, header_number, header, lookups, preview) -> _MatrixColumns:
    """The header's columns: an academy's (by name or short name), the first other one for the
    KPI code (column A when none), one headed like a name; anything else is a problem, but for
    the trust column, which is computed and never imported."""
    academy_columns: dict[int, Academy] = {}
    name_column = None
    code_column = None
    for cell in header:
        text = cell.text
        if not text:
            continue
        academy = lookups.academy(text)
        if academy is not None:
            academy_columns[cell.column] = academy
        elif code_column is None:
            code_column = cell.column
        elif _norm(text) in {"name", "kpi name", "indicator", "description"}:
            name_column = cell.column
        elif _norm(text) in lookups.trust_names or "trust" in _norm(text):
            continue  # the trust column is computed, never imported
        else:
            preview.problems.append(
                Problem(
                    name,
                    header_number,
                    cell.letter,
                    f"column header “{_short(text)}” is not a known academy"
                    f"{lookups.academy_suggestion(text)}",
                )
            )
    code = 1 if code_column is None else code_column
    return _MatrixColumns(academy_columns, code, name_column)


def _read_matrix_row(
    name, number, cells, columns: _MatrixColumns, lookups, period_key, preview, incoming, seen
) -> None:
    by_column = {cell.column: cell for cell in cells}
    code_cell = by_column.get(columns.code)
    values = [(c, by_column.get(c)) for c in columns.academies]
    has_values = any(_has_content(cell) for _, cell in values)
    if code_cell is None or not code_cell.text:
        if has_values:
            preview.problems.append(
                Problem(name, number, get_column_letter(columns.code), "values without a KPI code")
            )
        return
    if re.match(r"^\d{1,2}\.\s+\D", code_cell.text) and not has_values:
        return  # an area row: "1. Quality of Education"
    name_text = by_column[columns.name].text if columns.name in by_column else ""
    kpi, why = lookups.kpi_from(code_cell, name_text)
    if kpi is None:
        if has_values or re.match(r"^\d", code_cell.text):
            preview.problems.append(Problem(name, number, code_cell.letter, why))
        return
    for column, cell in values:
        if cell is None:
            continue
        academy = columns.academies[column]
        where = (name, number, cell.letter)
        value = _SKIP
        with report_unsaved_formulas(name, preview.problems):  # each value cell says so
            value = _value_from(cell, kpi, academy, where, preview)
        if value is _SKIP:
            continue
        _add(
            incoming,
            seen,
            preview,
            IncomingValue(kpi, academy, period_key, value, False, None, where),
        )


_SKIP = object()


def _value_from(cell: Cell, kpi: KPI, academy: Academy, where, preview):
    sheet, row, column = where
    if _is_blank(cell):  # a formula with no saved value raises here
        return _SKIP
    if not kpi.applies_to(academy):
        preview.problems.append(
            Problem(
                sheet,
                row,
                column,
                f"{kpi.code} {kpi.name} does not apply to {academy.name} "
                f"({academy.get_phase_display().lower()})",
            )
        )
        return _SKIP
    try:
        return interpret(kpi, cell)
    except ValidationError as error:
        preview.problems.append(Problem(sheet, row, column, " ".join(error.messages)))
        return _SKIP


LONG_COLUMNS = {
    "kpi": "kpi",
    "kpi code": "kpi",
    "code": "kpi",
    "academy": "academy",
    "school": "academy",
    "period": "period",
    "term": "period",
    "value": "value",
    "note": "note",
    "notes": "note",
    "comment": "note",
    "not available": "not_available",
}


def _read_long(name, header, rows, lookups, preview, incoming, seen) -> None:
    columns: dict[str, int] = {}
    require_saved(header)
    for cell in header:
        key = LONG_COLUMNS.get(_norm(cell.text))
        if key and key not in columns:
            columns[key] = cell.column
    for number, cells in rows:
        with report_unsaved_formulas(name, preview.problems):
            _read_long_row(name, number, cells, columns, lookups, preview, incoming, seen)


def _read_long_row(name, number, cells, columns, lookups, preview, incoming, seen) -> None:
    by_column = {cell.column: cell for cell in cells}
    kpi_cell, academy_cell, period_cell, value_cell, note_cell, na_cell = used = [
        by_column.get(columns.get(key, -1)) or Cell(None, columns.get(key, 1))
        for key in ("kpi", "academy", "period", "value", "note", "not_available")
    ]
    require_saved(used)  # every cell of the row this reads, named at once
    if not any(c.text for c in (kpi_cell, academy_cell, period_cell, value_cell)):
        return  # a blank row
    subject = _long_row_subject(name, number, kpi_cell, academy_cell, period_cell, lookups, preview)
    if subject is None:
        return
    kpi, academy, period_key = subject
    where = (name, number, value_cell.letter)
    not_available = _norm(na_cell.text) in YES | {"1"}
    note = note_cell.text if "note" in columns else None
    if not_available:
        if not note:
            preview.problems.append(
                Problem(name, number, note_cell.letter, "“not available” needs a note saying why")
            )
            return
        value = None
    else:
        value = _value_from(value_cell, kpi, academy, where, preview)
        if value is _SKIP:
            return
    _add(
        incoming,
        seen,
        preview,
        IncomingValue(kpi, academy, period_key, value, not_available, note, where),
    )


def _long_row_subject(
    name, number, kpi_cell, academy_cell, period_cell, lookups, preview
) -> tuple[KPI, Academy, tuple[int, int]] | None:
    """The row's KPI, academy and period key; None once the first unknown one is a problem."""
    kpi, why = lookups.kpi_from(kpi_cell)
    if kpi is None:
        preview.problems.append(Problem(name, number, kpi_cell.letter, why))
        return None
    academy = lookups.academy(academy_cell.text)
    if academy is None:
        preview.problems.append(
            Problem(
                name,
                number,
                academy_cell.letter,
                f"“{_short(academy_cell.text)}” is not a known academy"
                f"{lookups.academy_suggestion(academy_cell.text)}",
            )
        )
        return None
    period_key = parse_period_name(period_cell.text)
    if period_key is None:
        preview.problems.append(
            Problem(
                name,
                number,
                period_cell.letter,
                f"“{_short(period_cell.text)}” is not a period (write e.g. 2023-24 Autumn)",
            )
        )
        return None
    why = _period_out_of_range(period_key, preview)
    if why:
        problem = f"“{_short(period_cell.text)}” gives {why}"
        preview.problems.append(Problem(name, number, period_cell.letter, problem))
        return None
    return kpi, academy, period_key


def _diff_values(preview: ImportPreview, incoming: list[IncomingValue], lookups: Lookups) -> None:
    if not incoming:
        return
    preview.new_periods = sorted({v.period_key for v in incoming} - set(lookups.periods))
    period_ids = {
        lookups.periods[k].pk for k in {v.period_key for v in incoming} if k in lookups.periods
    }
    existing = {
        (v.kpi_id, v.academy_id, (v.period.year_start, v.period.term)): v
        for v in KPIValue.objects.filter(period_id__in=period_ids).select_related("period")
    }
    returns = {
        (r.academy_id, (r.period.year_start, r.period.term)): r
        for r in Return.objects.filter(period_id__in=period_ids).select_related("academy", "period")
    }
    for value in incoming:
        old = existing.get((value.kpi.pk, value.academy.pk, value.period_key))
        if (
            old is not None
            and (old.value, old.not_available) == (value.value, value.not_available)
            and (value.note is None or value.note == old.note)
        ):
            preview.unchanged += 1
            continue
        if value.kpi.from_inspections:
            stored = rag.format_value(old.value if old else None, value.kpi.measure)
            preview.problems.append(
                Problem(
                    *value.where,
                    f"{value.kpi.code} {value.kpi.name} for {value.academy.name} comes from "
                    f"the academy's Ofsted inspections (now: {stored or 'none in force'}); "
                    "record the inspection on the Inspections sheet or the Inspections page",
                )
            )
            continue
        ret = returns.get((value.academy.pk, value.period_key))
        refusal = import_refusal(ret, preview.state)  # the lifecycle's rule (kpis.returns)
        if refusal:
            preview.problems.append(Problem(*value.where, refusal))
            continue
        (preview.updates if old else preview.creates).append(ValueChange(value, old))
        preview.return_versions[(value.academy.pk, value.period_key)] = ret.version if ret else 0


def apply_import(preview: ImportPreview, *, user, expected_versions=None) -> dict[str, int]:
    """Write a problem-free preview, all of it or nothing. Returns counts of what changed.

    ``expected_versions`` are the returns' versions when the person saw the preview (by default
    this preview's own): if anyone has saved one of those returns since, ImportConflict says
    whose and nothing is written, so a head's values are never overwritten unseen.
    """
    if not preview.ok:
        raise ValueError("An import with problems cannot be applied.")
    expected = preview.return_versions if expected_versions is None else expected_versions
    try:
        with transaction.atomic():
            return _apply(preview, user=user, expected=expected)
    except IntegrityError as error:  # a row created at the same moment by someone else
        raise ImportConflict(
            ["Someone else saved some of these values at the same moment; nothing was imported."]
        ) from error


def _apply(preview: ImportPreview, *, user, expected) -> dict[str, int]:
    periods = _periods_with_new(preview)
    imported = import_values(
        values=[
            ImportedValue(
                kpi=change.incoming.kpi,
                academy=change.incoming.academy,
                period=periods[change.incoming.period_key],
                value=change.incoming.value,
                not_available=change.incoming.not_available,
                note=change.incoming.note,
                old=change.old,
            )
            for change in preview.creates + preview.updates
        ],
        state=preview.state,
        user=user,
        reason=f"Imported from {preview.filename}"[:100],
        seen={(a, periods[key].pk): v for (a, key), v in expected.items() if key in periods},
    )
    counts = {
        "periods_created": len(preview.new_periods),
        "values_created": imported.values_created,
        "values_updated": imported.values_updated,
        "values_unchanged": preview.unchanged,
        "returns_created": imported.returns_created,
        "returns_changed": imported.returns_changed,
    }
    if preview.new_periods:  # a new period shows the inspections in force, as one opened does
        sync_inspections(period_ids=[periods[key].pk for key in preview.new_periods], user=user)
    if preview.plan is not None:
        counts.update(apply_plan_sheet(preview.plan, user=user))
        bump_board_version()  # the board shows the plan too; bulk writes send no signals
    if preview.inspections is not None and preview.inspections.has_changes:
        try:
            # Recorded after the values, so a period they create shows them too.
            counts["inspections_recorded"] = inspection_sheet.apply_sheet(
                preview.inspections, user=user
            )
        except ReturnError as error:  # an approved return or a closed period: the lifecycle
            raise ImportConflict([f"Inspections: {error} Nothing was imported."]) from error
    return counts


def _periods_with_new(preview: ImportPreview) -> dict[tuple[int, int], Period]:
    """Every period by (year, term), the preview's new ones created first."""
    if preview.new_periods:
        Period.objects.bulk_create(
            [
                Period(year_start=y, term=t, slug=Period.make_slug(y, t))
                for y, t in preview.new_periods
            ]
        )
    return {(p.year_start, p.term): p for p in Period.objects.all()}
