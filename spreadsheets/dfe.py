"""Importing DfE Explore Education Statistics (EES) CSVs: KPI values and national figures.

EES publishes "tidy" CSVs: one row per time period × geography × filter, columns
``time_period`` (``202324``), ``time_identifier`` (``Autumn term`` … ``Academic year``),
``geographic_level`` (``National``, ``Regional``, ``Local authority``, ``School``), the
geography's codes and names (``school_urn`` — ``urn`` in older files — and ``school_name`` for
School rows), filters (``school_type``, ``breakdown``…) and then one column per measure
(``suspension``, ``sess_overall_percent``, ``attainment8_average``…).

``prepare_dfe_import`` streams the file once (the school-level suspensions file has ~500,000
rows) and keeps only the rows it needs: School rows whose URN is one of the trust's academies,
and National rows. It reads the column each active KPI names in ``KPI.dfe_source`` (or that
column's other published name, ALIASES), compares with the database and returns a DfePreview,
writing nothing. ``apply_dfe_import`` writes a problem-free preview in one transaction: values
through the return lifecycle (kpis.returns.import_values, the same rules as the workbook
import: approved returns are never overwritten, drafts never lower a submitted return) and
national figures in bulk.

Decisions (README, "DfE open data"):
- Periods: a term's row goes to that term; ``Autumn and spring term`` to spring; an
  ``Academic year`` row to the summer term of that year (for a termly KPI only where the file
  has no Summer term row; a KPI collected annually reads only Academic year rows, into the
  summer term). A count (suspensions, exclusions) is a term's count: a termly count KPI reads
  only single-term rows, never a year's or two terms' total. Rows whose period is not set up
  in trustplan are skipped and listed (EES files hold a decade of history).
- Headline rows: where several rows give the same school (or England) and period — a file
  broken down by school type, sex, disadvantage… — the row with most filters at their
  headline value (``Total``, ``All state-funded``) is read; two such rows that disagree are a
  problem. England's figure is so the all-schools (``Total``) one, whatever the academy's phase.
- National figures only for KPIs judged relative to national (target_kind "national"): a
  national count of suspensions beside one academy's is no comparison.
- Suppression and missing codes (SUPPRESSION) make the value "not available", the code's
  meaning as its note; where the academy already has a figure of its own, it stays.
- Encoding: EES publishes UTF-8 (a BOM is allowed); a file opened and saved again in Excel is
  Windows-1252, read as such (and said so in the preview).
- A file whose School rows include none of the trust's academies (by URN) is refused; an
  academy the file has no row for is listed.
"""

from __future__ import annotations

import codecs
import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from academies.models import Academy
from kpis import rag
from kpis.cache import bump_board_version
from kpis.measures import parse_value
from kpis.models import (
    KPI,
    DfeTransform,
    Frequency,
    KPIValue,
    Measure,
    NationalFigure,
    Period,
    Return,
    TargetKind,
    Term,
    format_academic_year,
)
from kpis.returns import (
    FROM_INSPECTIONS,
    IMPORT_STATES,
    ImportConflict,
    ImportedValue,
    import_refusal,
    import_values,
)

REQUIRED_COLUMNS = ("time_period", "time_identifier", "geographic_level")
URN_COLUMNS = ("school_urn", "urn")  # "urn" in older files (absence before 2017/18)

# Columns that place a row (time, geography, the school itself): never filters or measures.
PLACE_COLUMNS = {
    *REQUIRED_COLUMNS,
    *URN_COLUMNS,
    "year_breakdown",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
    "lad_code",
    "lad_name",
    "estab",
    "laestab",
    "school_laestab",
    "school_name",
    "trust_name",
    "trust",
    "academy_open_date",
    "version",
    "all_through",
    "num_schools",
}

# Describe a School row's school, but are the breakdown of National (and LA) rows: counted
# among the filters that choose the headline row (a school's rows all share its own type).
TYPE_COLUMNS = {"school_type", "education_phase", "establishment_type_group", "academy_type"}

# The same measure under the names EES has published it by: the KS4 files renamed their
# columns in 2024/25. A KPI naming either name reads whichever the file has (the newer first).
ALIASES = (
    ("attainment8_average", "avg_att8"),
    ("engmath_95_percent", "pt_l2basics_95"),
    ("engmath_94_percent", "pt_l2basics_94"),
)

# time_identifier → which part of the year its figures cover.
TIME_KINDS = {
    "autumn term": "autumn",
    "spring term": "spring",
    "summer term": "summer",
    "autumn and spring term": "autumn_spring",
    "academic year": "year",
}

# A filter at one of these values is the headline row (England, all pupils, all schools).
HEADLINE = {"total", "all state-funded", "state-funded schools", "all pupils", "six half terms"}

# The codes EES files put where there is no figure, and what each means (the GSS symbols
# EES follows, and the performance tables' codes in the KS4 files). Matched case-insensitively.
SUPPRESSION = {
    "z": "not applicable (no figure can exist for this school and period)",
    "c": "suppressed to protect confidentiality",
    "x": "not available (unavailable for unknown or other reasons)",
    "low": "a low figure that rounds to zero but is not zero",
    "u": "low reliability (the figure is of low statistical quality)",
    "supp": "suppressed: too few pupils to publish",
    "ne": "not entered: no pupils were entered",
    "lowcov": "low coverage: too few pupils covered for a reliable figure",
    "np": "not published",
    "na": "not applicable",
    ":": "not applicable",
    "": "no figure published",
}
SUPPRESSION_CODES = {"supp": "SUPP", "ne": "NE", "lowcov": "LOWCOV", "np": "NP", "na": "NA"}

NOTE_PREFIX = "DfE: "
FOUR_PLACES = Decimal("0.0001")  # KPIValue.value's decimal places
MAX_ROW_PROBLEMS = 100  # problems listed one by one; the rest are counted
NATIONAL = 0  # the target of National rows (academies are their ids)


@dataclass(frozen=True)
class DfeProblem:
    """What is wrong with the file, and where (row as a spreadsheet numbers it: header 1)."""

    filename: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"“{self.filename}”"
        if self.row:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclass
class DfeChange:
    """One value or national figure the import would write, with what it replaces."""

    kpi: KPI
    academy: Academy | None  # None: the national figure
    period: Period
    old: str
    new: str
    row: int
    column: str

    def __str__(self) -> str:
        who = self.academy.name if self.academy else "England (national figure)"
        return (
            f"{who}, {self.period}, {self.kpi.code} {self.kpi.name}: {self.old} → {self.new} "
            f"(row {self.row}, column {self.column})"
        )


@dataclass
class DfePreview:
    filename: str
    state: str
    problems: list[DfeProblem] = field(default_factory=list)
    more_problems: int = 0  # beyond MAX_ROW_PROBLEMS
    notes: list[str] = field(default_factory=list)  # what was skipped, and why
    columns: dict[str, str] = field(default_factory=dict)  # KPI code → the column read
    rows_read: int = 0
    rows_kept: int = 0
    changes: list[DfeChange] = field(default_factory=list)
    values: list[ImportedValue] = field(default_factory=list)
    national: list[NationalFigure] = field(default_factory=list)  # new or changed
    unchanged: int = 0
    # The version of each return the values go into as the preview saw it (0: none yet), by
    # (academy id, period id): apply refuses if any has moved on since.
    return_versions: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        if len(self.problems) >= MAX_ROW_PROBLEMS:
            self.more_problems += 1
            return
        self.problems.append(DfeProblem(self.filename, row, column, message))

    def all_problems(self) -> list[str]:
        lines = [str(p) for p in self.problems]
        if self.more_problems:
            lines.append(f"… and {self.more_problems} more problem(s) like these.")
        return lines


@dataclass
class _Best:
    """The row read so far for one school (or England), part of the year and year."""

    score: int
    row: int
    cells: tuple[str, ...]
    clash: int | None = None  # a row as headline as this one that gives other figures


def _aliases(source: str) -> tuple[str, ...]:
    for group in ALIASES:
        if source in group:
            return group
    return (source,)


def _year(text: str) -> int | None:
    """``202324`` (or ``2023/24``) → 2023; None if it is not an academic year."""
    digits = text.strip().replace("/", "").replace("-", "")
    if len(digits) != 6 or not digits.isdigit():
        return None
    start, end = int(digits[:4]), int(digits[4:])
    return start if (start + 1) % 100 == end else None


def _period_label(key: tuple[int, int]) -> str:
    return f"{format_academic_year(key[0])} {Term(key[1]).label}"


def _shown(kpi: KPI, value: Decimal | None, not_available: bool, note: str) -> str:
    if value is None:
        return f"not available ({note})" if not_available else "blank"
    return rag.format_value(value, kpi.measure, kpi.unit)


class _Lines:
    """The file's lines as text, one at a time (the file is never read whole).

    Each line is read as UTF-8 (the first one's BOM dropped) until one is not: a file with no
    UTF-8 beyond ASCII before it is then Windows-1252 (Excel's "CSV") from there on; a line that
    is not UTF-8 after lines that were is a damaged file (UnicodeDecodeError)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.encoding = "utf-8"
        self.start = b""  # the file's first bytes: an .xlsx (a zip) starts b"PK"
        self._utf8_seen = False

    def __iter__(self) -> Iterator[str]:
        first = True
        for raw in self.stream:
            if first:
                first = False
                self.start = raw[:4]
                raw = raw.removeprefix(codecs.BOM_UTF8)
            if self.encoding == "utf-8":
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    if self._utf8_seen:
                        raise
                    self.encoding = "cp1252"
                else:
                    self._utf8_seen = self._utf8_seen or not raw.isascii()
                    yield text
                    continue
            yield raw.decode("cp1252")


def prepare_dfe_import(stream: BinaryIO, filename: str, *, state: str) -> DfePreview:
    """Read and check an EES CSV and say what importing it would change. Writes nothing.

    Queries: KPIs, academies, periods, then the stored values, returns and national figures of
    what the file gives: six, whatever the file's size."""
    preview = DfePreview(filename=filename, state=state)
    if state not in IMPORT_STATES:
        preview.problem(None, None, "Choose draft or submitted.")
        return preview
    lines = _Lines(stream)
    reader = csv.reader(lines)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        preview.problem(None, None, "The file is empty.")
        return preview
    except (UnicodeDecodeError, csv.Error) as error:
        preview.problem(1, None, _unreadable(error, lines))
        return preview
    if lines.start.startswith(b"PK\x03\x04"):
        preview.problem(
            None,
            None,
            "This is an Excel workbook (or another zip file), not a CSV: download the data "
            "set's CSV from Explore Education Statistics and import that.",
        )
        return preview
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        preview.problem(
            1,
            None,
            "This is not an Explore Education Statistics data file: it has no "
            f"{' or '.join(missing)} column (its columns: {_listed(header)}). Download the "
            "CSV from the publication's “Download data” page.",
        )
        return preview
    kpis = list(KPI.objects.active().exclude(dfe_source="").order_by("area__number", "position"))
    for kpi in [k for k in kpis if k.from_inspections]:
        # The academy's inspection record answers it (kpis.returns.sync_inspections).
        preview.notes.append(f"{FROM_INSPECTIONS.format(kpi=kpi.code)} Its DfE column is not read.")
    kpis = [k for k in kpis if not k.from_inspections]
    index = {name: i for i, name in reversed(list(enumerate(header)))}
    column_of: dict[int, str] = {}
    for kpi in kpis:
        found = next((c for c in _aliases(kpi.dfe_source.strip().lower()) if c in index), None)
        if found:
            column_of[kpi.pk] = found
            preview.columns[kpi.code] = found
    if not column_of:
        measures = [n for n in header if n not in PLACE_COLUMNS and n not in TYPE_COLUMNS]
        preview.problem(
            1,
            None,
            "None of the KPIs' DfE columns is in this file: it has "
            f"{_listed(measures)}; set the KPI's DfE source column (KPI.dfe_source) in the admin "
            f"to one of them. The KPIs name {_listed([k.dfe_source for k in kpis]) or 'none'}.",
        )
        return preview
    for kpi in kpis:
        if kpi.pk not in column_of:
            preview.notes.append(
                f"{kpi.code} {kpi.name}: its column {kpi.dfe_source} is not in this file."
            )
    read = sorted(set(column_of.values()), key=header.index)
    every = list(Academy.objects.all())
    academies = {a.pk: a for a in every if a.urn.strip()}
    best = _stream(
        reader,
        lines,
        header,
        index,
        read,
        {a.urn.strip(): a.pk for a in academies.values()},
        preview,
    )
    if best is None:
        return preview
    if lines.encoding != "utf-8":
        preview.notes.append(
            "The file is not UTF-8 (as Explore Education Statistics publishes it) and was read "
            "as Windows-1252, the way Excel saves a CSV: check the schools' names look right."
        )
    periods = {(p.year_start, p.term): p for p in Period.objects.all()}
    incoming, national = _resolve(best, kpis, column_of, read, academies, periods, preview)
    _diff(preview, incoming, national)
    _note_missing_academies(preview, best, academies, every)
    return preview


def _unreadable(error: Exception, lines: _Lines) -> str:
    if isinstance(error, UnicodeDecodeError):
        if lines.encoding == "utf-8":
            return (
                "this line is not UTF-8 text, though the lines before it are: the file is "
                "damaged; download it again"
            )
        return (
            "the file is neither UTF-8 (as Explore Education Statistics publishes it) nor "
            "Windows-1252 text: download it again"
        )
    return f"the file cannot be read as CSV ({error})"


def _listed(names: list[str], most: int = 30) -> str:
    names = [name if len(name) <= 40 else name[:39] + "…" for name in names]
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _stream(reader, lines, header, index, read, urns, preview) -> dict | None:
    """One pass over the rows, keeping the best row per (school or England, part, year):
    School rows of the trust's academies (``urns``: URN → academy id) and National rows.
    None (and a problem) when the file cannot be read, or none of its schools is the trust's."""
    urn_column = next((c for c in URN_COLUMNS if c in index), None)
    level_at, time_at = index["geographic_level"], index["time_identifier"]
    period_at = index["time_period"]
    urn_at = index.get(urn_column, -1)
    read_at = [index[c] for c in read]
    filter_at = [
        i for i, name in enumerate(header) if name not in PLACE_COLUMNS and name not in read
    ]
    width = len(header)
    best: dict[tuple[int, str, int], _Best] = {}
    number = 1
    schools: set[str] = set()  # the URNs of School rows, while none is the trust's
    matched = False
    try:
        for number, row in enumerate(reader, start=2):
            preview.rows_read += 1
            if len(row) < width:
                if not any(cell.strip() for cell in row):
                    continue  # a blank line
                row = row + [""] * (width - len(row))
            level = row[level_at].strip()
            if level == "School":
                if urn_at < 0:
                    preview.problem(
                        number,
                        None,
                        "a School row, but the file has no school_urn (or urn) column to "
                        "match it to an academy",
                    )
                    return None
                target = urns.get(row[urn_at].strip())
                if target is None:
                    if not matched and len(schools) < 10:
                        schools.add(row[urn_at].strip())
                    continue  # another trust's school, or one the trust does not have
                matched = True
            elif level == "National":
                target = NATIONAL
            else:
                continue
            preview.rows_kept += 1
            kind = TIME_KINDS.get(row[time_at].strip().casefold())
            if kind is None:
                preview.problem(
                    number,
                    "time_identifier",
                    f"“{row[time_at].strip()}” is not a term or an academic year (expected "
                    "Autumn term, Spring term, Summer term, Autumn and spring term or "
                    "Academic year)",
                )
                continue
            year = _year(row[period_at])
            if year is None:
                preview.problem(
                    number,
                    "time_period",
                    f"“{row[period_at].strip()}” is not an academic year such as 202324",
                )
                continue
            cells = tuple(row[i].strip() for i in read_at)
            score = sum(1 for i in filter_at if row[i].strip().casefold() in HEADLINE)
            key = (target, kind, year)
            kept = best.get(key)
            if kept is None or score > kept.score:
                best[key] = _Best(score, number, cells)
            elif score == kept.score and cells != kept.cells and kept.clash is None:
                kept.clash = number
    except (UnicodeDecodeError, csv.Error) as error:
        preview.problem(number + 1, None, _unreadable(error, lines))
        return None
    if schools and not matched:
        known = ", ".join(sorted(urns)[:10]) or "none: no academy has a URN"
        preview.problem(
            None,
            "school_urn",
            "none of the schools in this file is one of the trust's academies (it has URNs "
            f"such as {', '.join(sorted(schools)[:5])}; the academies' URNs are {known}). "
            "Check the academies' URNs (manage.py import_gias, or the admin), or that this is "
            "the file for all schools in England.",
        )
        return None
    for (target, _kind, _year_start), kept in best.items():
        if kept.clash is not None:
            where = "England" if target == NATIONAL else "this school"
            preview.problem(
                kept.clash,
                None,
                f"rows {kept.row} and {kept.clash} both give {where}'s figures for the same "
                "period, with different values, and neither is the headline (Total) row: "
                "filter the file to one breakdown",
            )
    return best


def _kinds_for(kpi: KPI) -> list[tuple[int, tuple[str, ...]]]:
    """Each term the KPI takes and the parts of the year that give it, best first."""
    if kpi.frequency == Frequency.ANNUALLY:
        return [(Term.SUMMER, ("year",))]
    if kpi.measure == Measure.COUNT:
        # A term's count: a year's (or two terms') total in one term would treble it.
        return [(Term.AUTUMN, ("autumn",)), (Term.SPRING, ("spring",)), (Term.SUMMER, ("summer",))]
    return [
        (Term.AUTUMN, ("autumn",)),
        (Term.SPRING, ("spring", "autumn_spring")),
        (Term.SUMMER, ("summer", "year")),
    ]


@dataclass
class _Incoming:
    kpi: KPI
    academy: Academy | None
    period: Period
    value: Decimal | None
    not_available: bool
    note: str
    row: int
    column: str


def _resolve(best, kpis, column_of, read, academies, periods, preview):
    """The values (and national figures) the kept rows give each KPI."""
    by_target: dict[tuple[int, int], dict[str, _Best]] = defaultdict(dict)
    for (target, kind, year), kept in best.items():
        by_target[(target, year)][kind] = kept
    incoming: list[_Incoming] = []
    national: list[_Incoming] = []
    skipped_periods: set[tuple[int, int]] = set()
    not_applicable: set[tuple[str, str]] = set()
    annual_without_year: set[str] = set()
    count_totals: set[str] = set()  # termly counts given only a year's or two terms' total
    for kpi in kpis:
        column = column_of.get(kpi.pk)
        if column is None:
            continue
        at = read.index(column)
        for (target, year), kinds in sorted(by_target.items()):
            if target == NATIONAL and kpi.target_kind != TargetKind.NATIONAL:
                continue
            academy = academies.get(target) if target != NATIONAL else None
            if academy is not None and not kpi.applies_to(academy):
                not_applicable.add((kpi.code, academy.name))
                continue
            if kpi.frequency == Frequency.ANNUALLY and "year" not in kinds:
                annual_without_year.add(f"{kpi.code} {kpi.name}")
            termly_count = kpi.measure == Measure.COUNT and kpi.frequency == Frequency.TERMLY
            if termly_count and set(kinds) & {"year", "autumn_spring"}:
                count_totals.add(f"{kpi.code} {kpi.name}")
            for term, sources in _kinds_for(kpi):
                kept = next((kinds[s] for s in sources if s in kinds), None)
                if kept is None:
                    continue
                period = periods.get((year, term))
                if period is None:
                    skipped_periods.add((year, term))
                    continue
                item = _read_value(kpi, academy, period, kept.cells[at], kept.row, column, preview)
                if item is not None:
                    (national if academy is None else incoming).append(item)
    if skipped_periods:
        labels = ", ".join(_period_label(k) for k in sorted(skipped_periods))
        preview.notes.append(
            f"Not imported, because these periods are not set up in trustplan: {labels}. "
            "To import them, add the period in the admin (Periods) and import the file again."
        )
    for code, name in sorted(not_applicable):
        preview.notes.append(
            f"{code} does not apply to {name} (its phase): its figures are not read."
        )
    for label in sorted(annual_without_year):
        preview.notes.append(
            f"{label} is collected once a year: this file's termly figures are not read for it "
            "(only Academic year rows, into the summer term)."
        )
    for label in sorted(count_totals):
        preview.notes.append(
            f"{label} counts a term: this file's Academic year (or Autumn and spring term) "
            "totals are not read for it, only its single terms."
        )
    return incoming, national


def _read_value(kpi, academy, period, raw, row, column, preview) -> _Incoming | None:
    code = raw.casefold()
    if len(code) > 2 and code[0] == "[" and code[-1] == "]":
        code = code[1:-1].strip()  # "[c]": the GSS symbol as some files bracket it
    if code in SUPPRESSION:
        if academy is None:
            return None  # no national figure this period: the stored one (if any) stays
        shown = SUPPRESSION_CODES.get(code, code) or "blank"
        note = f"{NOTE_PREFIX}{shown} — {SUPPRESSION[code]}"
        return _Incoming(kpi, academy, period, None, True, note, row, column)
    try:
        number = Decimal(raw.replace(",", ""))
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        preview.problem(
            row,
            column,
            f"{kpi.code} {kpi.name}: “{raw[:30]}” is neither a number nor one of the DfE's "
            f"codes ({', '.join(SUPPRESSION_CODES.get(c, c) for c in SUPPRESSION if c)})",
        )
        return None
    if kpi.dfe_transform == DfeTransform.HUNDRED_MINUS:
        number = Decimal(100) - number
    if number.as_tuple().exponent < -4:
        number = number.quantize(FOUR_PLACES)  # as stored: a re-import then changes nothing
    try:
        value = parse_value(kpi, f"{number:f}")
    except ValidationError as error:
        preview.problem(row, column, " ".join(error.messages))
        return None
    return _Incoming(kpi, academy, period, value, False, "", row, column)


def _diff(preview: DfePreview, incoming: list[_Incoming], national: list[_Incoming]) -> None:
    """Compare with what is stored (three queries) and keep only what changes."""
    periods = {item.period.pk for item in incoming + national}
    if not periods:
        return
    kpi_ids = {item.kpi.pk for item in incoming + national}
    academy_ids = {item.academy.pk for item in incoming}
    stored = {
        (v.kpi_id, v.academy_id, v.period_id): v
        for v in KPIValue.objects.filter(
            period_id__in=periods, kpi_id__in=kpi_ids, academy_id__in=academy_ids
        )
    }
    returns = {
        (r.academy_id, r.period_id): r
        for r in Return.objects.filter(
            period_id__in=periods, academy_id__in=academy_ids
        ).select_related("academy", "period")
    }
    figures = {
        (f.kpi_id, f.period_id): f
        for f in NationalFigure.objects.filter(period_id__in=periods, kpi_id__in=kpi_ids)
    }
    kept = 0
    for item in incoming:
        kpi, academy, period = item.kpi, item.academy, item.period
        old = stored.get((kpi.pk, academy.pk, period.pk))
        if item.value is None and old is not None and old.value is not None:
            kept += 1  # the DfE has no figure to give: the academy's own stays
            continue
        # A figure replaces the note of an earlier DfE code, never a note a person wrote.
        note = item.note or ("" if old and old.note.startswith(NOTE_PREFIX) else None)
        if old is not None and (old.value, old.not_available) == (item.value, item.not_available):
            if note is None or note == old.note:
                preview.unchanged += 1
                continue
        ret = returns.get((academy.pk, period.pk))
        refusal = import_refusal(ret, preview.state)  # the lifecycle's rule (kpis.returns)
        if refusal:
            preview.problem(item.row, item.column, f"{kpi.code} {kpi.name}: {refusal}")
            continue
        preview.values.append(
            ImportedValue(kpi, academy, period, item.value, item.not_available, note, old)
        )
        preview.return_versions[(academy.pk, period.pk)] = ret.version if ret else 0
        was = _shown(kpi, old.value, old.not_available, old.note) if old else "blank"
        now = _shown(kpi, item.value, item.not_available, item.note)
        preview.changes.append(DfeChange(kpi, academy, period, was, now, item.row, item.column))
    if kept:
        preview.notes.append(
            f"{kept} value(s) already entered were kept where the file gives only a code "
            "(suppressed or not available) in their place."
        )
    source = f"DfE: {preview.filename}"[:200]
    for item in national:
        figure = figures.get((item.kpi.pk, item.period.pk))
        if figure is not None and figure.value == item.value:
            preview.unchanged += 1  # its source stays the file it first came from
            continue
        was = _shown(item.kpi, figure.value, False, "") if figure else "blank"
        if figure is None:
            figure = NationalFigure(kpi=item.kpi, period=item.period)
        figure.value, figure.source = item.value, source
        preview.national.append(figure)
        now = _shown(item.kpi, item.value, False, "")
        preview.changes.append(
            DfeChange(item.kpi, None, item.period, was, now, item.row, item.column)
        )


def _note_missing_academies(
    preview: DfePreview, best: dict, academies: dict, every: list[Academy]
) -> None:
    """Say which of the trust's academies the file gave nothing for, and why it may be."""
    seen = {target for target, _kind, _year in best}
    missing = sorted(
        f"{a.name} (URN {a.urn.strip()})"
        for pk, a in academies.items()
        if a.is_active and pk not in seen
    )
    if missing:
        preview.notes.append(
            f"No School rows in this file for: {', '.join(missing)} (check their URNs, or the "
            "file may not cover their phase)."
        )
    without = sorted(a.name for a in every if a.is_active and not a.urn.strip())
    if without and not academies:
        preview.notes.append(
            "No academy has a URN, so no School row can be matched: set each academy's URN "
            "(manage.py import_gias, or the admin)."
        )
    elif without:
        preview.notes.append(
            f"These academies have no URN, so their rows cannot be found: {', '.join(without)} "
            "(set it with manage.py import_gias, or in the admin)."
        )


def apply_dfe_import(preview: DfePreview, *, user) -> dict[str, int]:
    """Write a problem-free preview, all of it or nothing; counts of what changed.

    ImportConflict (nothing written) if a return the values go into has changed since the
    preview, or may no longer take them (kpis.returns.import_values)."""
    if not preview.ok:
        raise ValueError("An import with problems cannot be applied.")
    try:
        with transaction.atomic():
            counts = import_values(
                values=preview.values,
                state=preview.state,
                user=user,
                reason=f"Imported from DfE: {preview.filename}"[:100],
                seen=preview.return_versions,
            )
            new = [f for f in preview.national if f.pk is None]
            changed = [f for f in preview.national if f.pk is not None]
            NationalFigure.objects.bulk_create(new)
            NationalFigure.objects.bulk_update(changed, ["value", "source"])
            if preview.national and not preview.values:
                bump_board_version()  # bulk writes send no signals
    except IntegrityError as error:  # a row created at the same moment by someone else
        raise ImportConflict(
            ["Someone else saved some of these values at the same moment; nothing was imported."]
        ) from error
    return {
        "values_created": counts.values_created,
        "values_updated": counts.values_updated,
        "values_unchanged": preview.unchanged,
        "returns_created": counts.returns_created,
        "returns_changed": counts.returns_changed,
        "national_figures_created": len(new),
        "national_figures_updated": len(changed),
    }
