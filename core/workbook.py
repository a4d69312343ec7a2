"""Reading trust workbooks (.xlsx and .csv) safely, into rows that name where they came from.

Nothing here writes to the database. ``open_sheets`` refuses what is not a spreadsheet, a
password-protected or corrupt file, and zip or XML bombs, before openpyxl parses anything;
then yields each sheet's rows as ``Cell`` lists carrying the value the spreadsheet program
cached (formulas are never evaluated), whether a formula had no cached value, and whether the
cell is formatted as a percentage.

A formula with no cached value has nothing to import, so reading such a cell (``Cell.value``,
``Cell.text``) raises FormulaWithoutValue, naming the cell: no reader can take it for a blank.
Only ``Cell.layout_text``, for recognising a sheet's layout, reads it as empty.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import openpyxl
from defusedxml import DefusedXmlException
from django.conf import settings
from openpyxl.utils import get_column_letter

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, or an encrypted .xlsx
ZIP_MAGIC = b"PK\x03\x04"


class WorkbookRefused(ValueError):
    """The file as a whole cannot be read; the message says why, for the person."""


FORMULA_WITHOUT_VALUE = (
    "the cell has a formula but no saved value: open the file in Excel or LibreOffice and save "
    "it, so the result is stored (formulas are never run here)"
)


class FormulaWithoutValue(ValueError):
    """A cell was read whose formula has no saved value; ``cells`` are the ones concerned."""

    def __init__(self, cells: list[Cell]) -> None:
        super().__init__(FORMULA_WITHOUT_VALUE)
        self.cells = cells

    @property
    def places(self) -> list[tuple[int | None, str]]:
        """(row, column letter) of each cell, in sheet order."""
        found = {(cell.row, cell.letter) for cell in self.cells}
        return sorted(found, key=lambda place: (place[0] or 0, len(place[1]), place[1]))


@dataclass(frozen=True)
class Cell:
    saved: object  # what the spreadsheet program saved; read it through .value or .text
    column: int  # 1-based
    is_percent: bool = False
    formula_without_value: bool = False
    row: int | None = None  # 1-based, where known

    @property
    def letter(self) -> str:
        return get_column_letter(self.column)

    @property
    def value(self) -> object:
        """The saved value (None for empty); raises FormulaWithoutValue if there is none."""
        if self.formula_without_value:
            raise FormulaWithoutValue([self])
        return self.saved

    @property
    def layout_text(self) -> str:
        """The text, with a formula that has no saved value read as "": only for recognising a
        sheet's layout (its header row), never for importing."""
        return "" if self.formula_without_value else self.text

    @property
    def text(self) -> str:
        """The cell as trimmed text ("" for empty); raises FormulaWithoutValue like .value."""
        value = self.value
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, datetime | date):
            return value.isoformat()
        text = " ".join(str(value).split())
        # Our exports guard formula-like text with a leading apostrophe; read it back as written.
        if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
            text = text[1:]
        return text


def require_saved(cells: Iterable[Cell | None]) -> None:
    """Raise FormulaWithoutValue naming every one of `cells` whose formula has no saved value
    (so a row that is read whole reports all of them at once)."""
    missing = [cell for cell in cells if cell is not None and cell.formula_without_value]
    if missing:
        raise FormulaWithoutValue(missing)


@dataclass
class Sheet:
    name: str
    rows: Iterator[tuple[int, list[Cell]]]  # (1-based row number, cells)


def limits() -> tuple[int, int]:
    return settings.TRUSTPLAN_IMPORT_MAX_BYTES, settings.TRUSTPLAN_IMPORT_MAX_ROWS


def check_size(size: int) -> None:
    max_bytes, _ = limits()
    if size == 0:
        raise WorkbookRefused("The file is empty.")
    if size > max_bytes:
        raise WorkbookRefused(
            f"The file is {size / 1_000_000:.1f} MB; the most this installation accepts is "
            f"{max_bytes / 1_000_000:.0f} MB."
        )


def _percent_format(number_format: str | None) -> bool:
    """True when the format shows a percentage: a % outside quoted text and escapes."""
    if not number_format:
        return False
    unquoted = re.sub(r'"[^"]*"|\\.', "", number_format)
    return "%" in unquoted


def open_package(
    data: bytes,
    *,
    refused: type[WorkbookRefused] = WorkbookRefused,
    noun: str = "workbook",
    invalid: str,
    needed_by: str,
) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The zip archive of an Office file (.xlsx here, .docx in core.document) and its parts,
    before anything reads a part: raises `refused` when `data` is not a zip archive (saying
    `invalid`), holds more parts than TRUSTPLAN_IMPORT_MAX_ZIP_ENTRIES (more than `needed_by`
    needs) or would expand to more than TRUSTPLAN_IMPORT_MAX_UNZIPPED_BYTES (a zip bomb); the
    file is "the `noun`" in the messages."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise refused(invalid) from error
    entries = archive.infolist()
    if len(entries) > settings.TRUSTPLAN_IMPORT_MAX_ZIP_ENTRIES:
        raise refused(
            f"The {noun} holds {len(entries)} parts; that is more than {needed_by} needs and it "
            "was refused."
        )
    total = sum(entry.file_size for entry in entries)
    if total > settings.TRUSTPLAN_IMPORT_MAX_UNZIPPED_BYTES:
        raise refused(
            f"The {noun} would expand to more than "
            f"{settings.TRUSTPLAN_IMPORT_MAX_UNZIPPED_BYTES // 1_000_000} MB when opened; it was "
            "refused as a possible zip bomb."
        )
    return archive, entries


def _check_zip(data: bytes) -> None:
    archive, entries = open_package(
        data,
        invalid="The file is not a valid .xlsx workbook (it may be corrupt).",
        needed_by="a trust workbook",
    )
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise WorkbookRefused("The file is a zip archive but not an Excel workbook (.xlsx).")
    try:
        bad = archive.testzip()  # reads every part: checks each CRC
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
        raise WorkbookRefused("The workbook is corrupt: its compressed data is damaged.") from None
    if bad is not None:
        raise WorkbookRefused(f"The workbook is corrupt (part {bad} is damaged).")


def open_sheets(data: bytes, filename: str) -> list[Sheet]:
    """The sheets of an .xlsx or .csv file, streamed row by row. Raises WorkbookRefused."""
    check_size(len(data))
    lower = filename.lower()
    if data.startswith(OLE2_MAGIC):
        raise WorkbookRefused(
            "The file is password-protected or in the old .xls format. Remove the password or "
            "save it as an Excel workbook (.xlsx), then upload it again."
        )
    if data.startswith(ZIP_MAGIC):
        _check_zip(data)
        return _xlsx_sheets(data)
    if lower.endswith((".xlsx", ".xlsm")):
        raise WorkbookRefused("The file is named .xlsx but is not an Excel workbook.")
    if lower.endswith((".csv", ".txt")):
        return [_csv_sheet(data, filename)]
    raise WorkbookRefused(
        f"“{filename}” is not a spreadsheet this app reads: upload an Excel workbook (.xlsx) or "
        "a CSV file."
    )


def _xlsx_sheets(data: bytes) -> list[Sheet]:
    try:
        # Two streaming readers over the same bytes: cached values, and formulas (to name the
        # cells whose formula has no cached value). Neither loads the whole sheet.
        values_book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formula_book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for damaged files
        raise _refusal(error) from error
    sheets = []
    for name in values_book.sheetnames:
        sheets.append(Sheet(name, _xlsx_rows(values_book[name], formula_book[name])))
    return sheets


def _refusal(error: Exception) -> WorkbookRefused:
    if isinstance(error, WorkbookRefused):
        return error
    cause, seen = error, 0
    while cause is not None and not isinstance(cause, DefusedXmlException) and seen < 10:
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    if isinstance(cause, DefusedXmlException):
        return WorkbookRefused(
            "The workbook contains XML entity or DTD declarations, which real spreadsheets do "
            "not; it was refused as a possible XML bomb."
        )
    return WorkbookRefused(
        "The workbook could not be read; it may be corrupt or not really .xlsx "
        f"({type(error).__name__})."
    )


def _xlsx_rows(values_sheet, formula_sheet) -> Iterator[tuple[int, list[Cell]]]:
    """Rows of a sheet; any parse failure midway becomes a WorkbookRefused, never a crash."""
    try:
        yield from _xlsx_rows_unchecked(values_sheet, formula_sheet)
    except Exception as error:
        raise _refusal(error) from error


def _xlsx_rows_unchecked(values_sheet, formula_sheet) -> Iterator[tuple[int, list[Cell]]]:
    _, max_rows = limits()
    formula_rows = formula_sheet.iter_rows()
    for number, row in enumerate(values_sheet.iter_rows(), start=1):
        if number > max_rows:
            raise WorkbookRefused(
                f"Sheet “{values_sheet.title}” has more than {max_rows:,} rows, the most this "
                "installation imports at once."
            )
        formulas = next(formula_rows, ())
        cells = []
        for index, cell in enumerate(row):
            column = getattr(cell, "column", None) or index + 1
            value = getattr(cell, "value", None)
            raw = formulas[index].value if index < len(formulas) else None
            is_formula = isinstance(raw, str) and raw.startswith("=")
            cells.append(
                Cell(
                    saved=value,
                    column=column,
                    is_percent=_percent_format(getattr(cell, "number_format", None)),
                    formula_without_value=is_formula and value is None,
                    row=number,
                )
            )
        yield number, cells


def _csv_sheet(data: bytes, filename: str) -> Sheet:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise WorkbookRefused(
            "The CSV file is not in a text encoding this app reads: save it as CSV UTF-8."
        )
    if "\x00" in text:
        raise WorkbookRefused("The CSV file contains binary data; it is not a text spreadsheet.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        _, max_rows = limits()
        reader = csv.reader(io.StringIO(text), dialect)
        try:
            for number, row in enumerate(reader, start=1):
                if number > max_rows:
                    raise WorkbookRefused(
                        f"The CSV file has more than {max_rows:,} rows, the most this "
                        "installation imports at once."
                    )
                yield (
                    number,
                    [Cell(value or None, index, row=number) for index, value in enumerate(row, 1)],
                )
        except csv.Error as error:
            raise WorkbookRefused(f"The CSV file could not be read: {error}.") from error

    name = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "CSV"
    return Sheet(name, rows())


def to_decimal(cell: Cell) -> Decimal | None:
    """A numeric cell as a Decimal (percent-formatted 0.95 → 95); None if not numeric."""
    value = cell.value
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int | float | Decimal):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        if not number.is_finite():
            return None
        return number * 100 if cell.is_percent else number
    return None
