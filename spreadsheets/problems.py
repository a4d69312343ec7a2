"""What is wrong with an uploaded file, and where: every reader reports its problems so."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from core.workbook import FormulaWithoutValue


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str | None
    message: str
    document: bool = False  # a Word document's: `sheet` is "Table 2" or "Text before table 1"

    def __str__(self) -> str:
        if not self.sheet:  # the file as a whole
            return self.message
        where = self.sheet if self.document else f"Sheet “{self.sheet}”"
        if self.row:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@contextmanager
def report_unsaved_formulas(sheet: str, problems: list[Problem]) -> Iterator[None]:
    """Wrap the reading of a row (or a sheet): a cell read inside whose formula has no saved
    value (core.workbook.Cell raises) becomes a problem naming it, and the reading stops there.
    Every reader goes through this, so no column can take such a cell for a blank."""
    try:
        yield
    except FormulaWithoutValue as error:
        problems.extend(Problem(sheet, row, column, str(error)) for row, column in error.places)
