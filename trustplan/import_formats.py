"""django-import-export formats for the admin's imports."""

import tablib
from django.conf import settings
from import_export.formats import base_formats

from kpis.workbook import (
    FORMULA_WITHOUT_VALUE,
    FormulaWithoutValue,
    WorkbookRefused,
    open_sheets,
    require_saved,
)


class SavedValuesXLSX(base_formats.XLSX):
    """The admin's .xlsx import, read like the trust workbook import (kpis.workbook).

    So it refuses what that refuses (a file that is not a workbook, zip and XML bombs, too many
    rows), and a formula with no saved value is an error naming its cells: django-import-export
    alone reads such a cell as blank. Like django-import-export, it reads the first sheet.
    """

    def create_dataset(self, in_stream):
        sheet = open_sheets(bytes(in_stream), "import.xlsx")[0]
        dataset = tablib.Dataset()
        missing = []
        ignore_blanks = getattr(settings, "IMPORT_EXPORT_IMPORT_IGNORE_BLANK_LINES", False)
        for number, cells in sheet.rows:
            try:
                require_saved(cells)
            except FormulaWithoutValue as error:
                missing.extend(error.places)
                continue
            values = [cell.value for cell in cells]
            if number == 1:
                dataset.headers = values
            elif not (ignore_blanks and all(value is None for value in values)):
                dataset.append(values)
        if missing:
            places = "; ".join(f"row {row}, column {column}" for row, column in missing[:20])
            more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
            raise WorkbookRefused(f"Sheet “{sheet.name}”, {places}{more}: {FORMULA_WITHOUT_VALUE}")
        return dataset
