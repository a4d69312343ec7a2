"""django-import-export's format and staging for the admin's imports."""

import tablib
from django.conf import settings
from import_export.formats import base_formats
from import_export.tmp_storages import TempFolderStorage

from core import staging
from core.workbook import (
    FORMULA_WITHOUT_VALUE,
    FormulaWithoutValue,
    WorkbookRefused,
    open_sheets,
    require_saved,
)


class SavedValuesXLSX(base_formats.XLSX):
    """The admin's .xlsx import, read like the trust workbook import (core.workbook).

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


class StagedImportGone(Exception):
    """The confirm names no staged file: already imported, expired, or not a token at all."""


class StagedAdminImport(TempFolderStorage):
    """The admin's upload between preview and confirm, kept with the import page's (core.staging:
    TRUSTPLAN_IMPORT_DIR/admin, expiring like them) rather than in the system's temporary
    folder for ever, and named by a token checked on the way back: the confirm form's file name
    cannot point at any other file."""

    def save(self, data) -> None:
        staging.purge_expired_quietly()
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        self.name = staging.stage(data, staging.ADMIN)

    def read(self):
        found = staging.path(self.name, staging.ADMIN)
        try:
            if found is None:
                raise FileNotFoundError(self.name)
            with open(found, self.read_mode, encoding=self.encoding) as file:
                return file.read()
        except FileNotFoundError as error:
            raise StagedImportGone(self.name) from error

    def remove(self) -> None:
        staging.discard(self.name, staging.ADMIN)
