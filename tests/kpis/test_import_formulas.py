"""A formula with no saved value, in any cell an importer reads, is a problem naming that cell.

openpyxl writes a formula ("=…") with no cached result, as a script or some web tools do: the
importers never run formulas, so such a cell has no value to import. Before, only value cells
said so; a note, a KPI code, an academy, a period, a plan's aim, action or owners, a header, or
an admin import's cell was read as blank. Each case checks the problem's sheet, row, column and
explanation, and that nothing was written.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from academies.models import Academy
from kpis.models import Period, Term
from spreadsheets.importer import prepare_import
from tests.kpis.test_import import (
    ACADEMIES,
    AHS,
    LONG_HEADER,
    MATRIX_HEADER,
    MS,
    NEW_OBJECTIVE,
    PLAN_HEADER,
    csv_file,
    snapshot,
    xlsx,
)

EXPLANATION = "the cell has a formula but no saved value"
MATRIX = "2024-25 Autumn"


@pytest.fixture
def autumn_2024(trust) -> Period:
    return Period.objects.create(year_start=2024, term=Term.AUTUMN)


def matrix(*rows: list, header: list = MATRIX_HEADER) -> bytes:
    return xlsx({MATRIX: [header, ["1. Quality of Education"], *rows]})


def values(*rows: list, header: list = LONG_HEADER) -> bytes:
    return xlsx({"Values": [header, *rows]})


def plan(*rows: list, title: str = "Trust Development Plan 2023/2024") -> bytes:
    return xlsx({"Plan": [[title], PLAN_HEADER, *rows]})


def objective_with(row: list) -> list[list]:
    return [NEW_OBJECTIVE[0], row]


ACTION = ["Welcome new academies", "Due diligence on joining schools", "TBR", "1.1", "BOARD"]


def replaced(row: list, index: int, formula: str) -> list:
    return [formula if i == index else cell for i, cell in enumerate(row)]


# (label, workbook, (sheet, row, column)) — one formula with no saved value in each.
CASES = [
    # A KPI matrix: the KPI code, the name column, an academy's column header.
    ("matrix kpi code", matrix(['="1.1 Attainment 8"', 48, 50]), (MATRIX, 3, "A")),
    (
        "matrix kpi name column",
        matrix(["1.1", '="Attainment 8"', 48], header=["Code", "Name", *ACADEMIES]),
        (MATRIX, 3, "B"),
    ),
    (
        "matrix academy header",
        matrix(["1.1 Attainment 8", 48, 50], header=replaced(MATRIX_HEADER, 2, f'="{MS}"')),
        (MATRIX, 1, "C"),
    ),
    # A values list: every column it reads.
    ("values kpi", values(['="1.1"', AHS, "2024-25 Autumn", 48, "n"]), ("Values", 2, "A")),
    ("values academy", values(["1.1", f'="{AHS}"', "2024-25 Autumn", 48, "n"]), ("Values", 2, "B")),
    ("values period", values(["1.1", AHS, '="2024-25 Autumn"', 48, "n"]), ("Values", 2, "C")),
    ("values note", values(["1.1", AHS, "2024-25 Autumn", 48, '="Predicted"']), ("Values", 2, "E")),
    (
        "values not available",
        values(
            ["1.9", AHS, "2024-25 Autumn", None, "Not inspected", '="yes"'],
            header=[*LONG_HEADER, "Not available"],
        ),
        ("Values", 2, "F"),
    ),
    (
        "values header",
        values(["1.1", AHS, "2024-25 Autumn", 48, "n"], header=[*LONG_HEADER[:4], '="Note"']),
        ("Values", 1, "E"),
    ),
    # A plan sheet: title, objective row, and each of its five columns.
    ("plan title", plan(*objective_with(ACTION), title='="Plan 2023/2024"'), ("Plan", 1, "A")),
    (
        "plan objective row",
        plan(['="Strategic objective 4: Growing the trust"'], ACTION),
        ("Plan", 3, "A"),
    ),
    ("plan aim", plan(*objective_with(replaced(ACTION, 0, '="Aim"'))), ("Plan", 4, "A")),
    ("plan action", plan(*objective_with(replaced(ACTION, 1, '="Do it"'))), ("Plan", 4, "B")),
    ("plan owners", plan(*objective_with(replaced(ACTION, 2, '="NLI"'))), ("Plan", 4, "C")),
    ("plan kpis", plan(*objective_with(replaced(ACTION, 3, '="1.1"'))), ("Plan", 4, "D")),
    ("plan monitors", plan(*objective_with(replaced(ACTION, 4, '="TSC"'))), ("Plan", 4, "E")),
]


@pytest.mark.parametrize(("label", "data", "where"), CASES, ids=[c[0] for c in CASES])
def test_a_formula_with_no_saved_value_in_any_cell_read_is_a_problem_naming_it(
    autumn_2024, label, data, where
):
    before = snapshot()

    preview = prepare_import(data, "trust.xlsx")

    found = [(p.sheet, p.row, p.column) for p in preview.problems if EXPLANATION in p.message]
    assert found == [where], [str(p) for p in preview.problems]
    sheet, row, column = where
    problem = next(p for p in preview.problems if EXPLANATION in p.message)
    assert str(problem).startswith(f"Sheet “{sheet}”, row {row}, column {column}: {EXPLANATION}")
    assert "save it" in problem.message  # says how to fix it
    assert not preview.ok
    assert snapshot() == before


def test_every_formula_without_a_value_in_a_matrix_row_is_named(autumn_2024):
    preview = prepare_import(matrix(["1.1 Attainment 8", "=40+8", "=50"]), "trust.xlsx")

    assert [(p.row, p.column) for p in preview.problems] == [(3, "B"), (3, "C")]


def test_a_formula_in_a_column_no_importer_reads_is_not_a_problem(autumn_2024):
    # The trust column is computed here, never imported: a formula there is harmless.
    trust_total = ["1.1 Attainment 8", 48, 50, None, None, None, "=AVERAGE(B3:F3)"]
    preview = prepare_import(matrix(trust_total), "trust.xlsx")
    assert preview.problems == []
    assert len(preview.creates) == 2
    # Nor is a sheet that is not imported (a legend, say).
    legend = xlsx({"Legend": [["Rating", "=1"]], "Values": [LONG_HEADER, ["1.1", AHS, MATRIX, 48]]})
    preview = prepare_import(legend, "trust.xlsx")
    assert preview.problems == []
    assert preview.ignored_sheets == ["Legend"]


def test_text_starting_with_an_equals_sign_in_a_csv_is_text_not_a_formula(autumn_2024):
    data = csv_file([LONG_HEADER, ["1.1", AHS, "2024-25 Autumn", 48, "=see report"]])
    preview = prepare_import(data, "values.csv")
    assert preview.problems == []
    assert preview.creates[0].incoming.note == "=see report"


def test_the_upload_page_shows_the_formula_problem_and_stages_nothing(
    client_for, autumn_2024, settings, tmp_path
):
    settings.TRUSTPLAN_IMPORT_DIR = tmp_path / "imports"
    before = snapshot()
    data = values(["1.1", AHS, "2024-25 Autumn", 48, '="Predicted"'])

    response = client_for("admin").post(
        reverse("imports:upload"),
        {"file": SimpleUploadedFile("values.xlsx", data), "state": "submitted"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert EXPLANATION in page
    assert "<td>Values</td><td>2</td><td>E</td>" in page
    assert "Confirm and import" not in page
    assert not (tmp_path / "imports").exists() or not any((tmp_path / "imports").iterdir())
    assert snapshot() == before


# --- The admin's import (django-import-export), e.g. of academies -----------------------------


def admin_import(client, data: bytes, name: str = "academies.xlsx"):
    return client.post(
        reverse("admin:academies_academy_import"),
        {"import_file": SimpleUploadedFile(name, data), "format": xlsx_format(), "resource": "0"},
    )


def xlsx_format() -> str:
    from django.contrib import admin as django_admin

    formats = django_admin.site._registry[Academy].get_import_formats()
    return str(next(i for i, f in enumerate(formats) if f().get_title() == "xlsx"))


ACADEMY_HEADER = ["slug", "name", "short_name", "urn", "phase", "pupils_on_roll", "is_active"]


def test_an_admin_import_still_reads_an_xlsx_with_saved_values(client_for):
    row = ["new-primary", "New Primary", "NPA", "123456", "primary", 210, 1]
    client = client_for("admin")
    response = admin_import(client, xlsx({"Academies": [ACADEMY_HEADER, row]}))
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    assert confirm is not None, response.content.decode()[:3000]

    response = client.post(
        reverse("admin:academies_academy_process_import"), {**confirm.initial, "resource": "0"}
    )

    assert response.status_code == 302
    assert Academy.objects.get(slug="new-primary").urn == "123456"


def test_an_admin_import_refuses_a_formula_with_no_saved_value_naming_its_cell(client_for):
    before = list(Academy.objects.order_by("pk").values_list("pk", "name", "urn"))
    data = xlsx(
        {
            "Academies": [
                ACADEMY_HEADER,
                ["new-primary", '="New Primary"', "NPA", "123456", "primary", 210, 1],
            ]
        }
    )

    response = admin_import(client_for("admin"), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    assert "Sheet “Academies”, row 2, column B: the cell has a formula but no saved value" in page
    assert list(Academy.objects.order_by("pk").values_list("pk", "name", "urn")) == before
