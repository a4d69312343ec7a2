"""Exports: the board pack workbook, the CSV of values, the template and example workbooks.

Exports must read the same printed in greyscale (a text label beside every RAG colour), never
carry a cell a spreadsheet program would run as a formula, and import back unchanged.
"""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from academies.models import Academy
from demo.values import generate_demo_values
from kpis.models import KPI, Inspection, KPIValue, Period, Return, ReturnStatus
from plans.models import Action, ActionStatus, ProgressUpdate
from spreadsheets.export import (
    board_pack,
    example_workbook,
    safe_text,
    template_workbook,
    values_csv,
)
from spreadsheets.importer import prepare_import
from tests.kpis.test_import import ACADEMIES, TRUST, snapshot

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AUTUMN = "2023-24-autumn"
SHEETS = ["2023-24 Autumn", "Legend", "Exceptions", "Plan actions", "Inspections"]
# The fill of each RAG outcome, and the text label its cells carry.
LABELS = {
    "C6EFCE": "✓ Green",
    "FFEB9C": "! Amber",
    "FFC7CE": "✗ Red",
    "D9D9D9": "? Missing",
    "FFFFFF": "– Not applicable",
    "F2F2F2": "· No target",
}
EXCEPTION_NARRATIVE = ["Head's note", "Note by", "Plan actions (status, latest update, commentary)"]
ROLES = ["trustee", "governor", "head_a", "head_b", "exec_head", "central", "admin"]


@pytest.fixture
def demo(trust) -> Period:
    generate_demo_values()
    return Period.objects.get(slug=AUTUMN)


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def fill_of(cell) -> str:
    return (cell.fill.fgColor.rgb or "")[-6:]


def rows_of(sheet) -> list[list]:
    """The sheet's values, row by row, without trailing empty cells."""
    rows = []
    for row in sheet.iter_rows():
        values = [cell.value for cell in row]
        while values and values[-1] is None:
            values.pop()
        rows.append(values)
    return rows


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


# --- The board pack ---------------------------------------------------------------------------


def test_the_board_pack_has_a_matrix_legend_exceptions_and_plan_actions(demo):
    book = load(board_pack(demo))

    assert book.sheetnames == SHEETS
    matrix = book["2023-24 Autumn"]
    assert [c.value for c in matrix[1]] == ["KPI (Key Performance Indicators)", *ACADEMIES, TRUST]
    first_column = [row[0] for row in rows_of(matrix)]
    assert first_column[1] == "1. Quality of Education"
    assert "1.1 Attainment 8" in first_column
    kpis = KPI.objects.active().count()
    assert len([text for text in first_column[1:] if text[0].isdigit()]) == kpis + 4  # + areas


def test_every_matrix_cell_has_a_rag_fill_and_the_same_rag_as_text(demo):
    KPIValue.objects.filter(kpi__code="2.1", academy__name=ACADEMIES[4], period=demo).delete()
    matrix = load(board_pack(demo))["2023-24 Autumn"]
    seen = set()

    for row in matrix.iter_rows(min_row=2):
        if not re.match(r"\d+\.\d+ ", row[0].value):
            continue  # an area row
        for cell in row[1:]:  # the academies and the trust column
            label = LABELS[fill_of(cell)]
            shown = cell.number_format if isinstance(cell.value, int | float) else cell.value
            assert label in shown, (cell.coordinate, cell.value, cell.number_format)
            seen.add(label)

    assert {"✓ Green", "✗ Red", "? Missing", "– Not applicable"} <= seen


def test_matrix_cells_keep_the_stored_number_and_the_trust_column_is_filled(demo):
    matrix = load(board_pack(demo))["2023-24 Autumn"]
    rows = {row[0].value.split()[0]: row for row in matrix.iter_rows(min_row=2) if row[0].value}
    attendance = KPIValue.objects.get(kpi__code="2.1", academy__name=ACADEMIES[0], period=demo)

    assert rows["2.1"][1].value == pytest.approx(float(attendance.value))
    assert isinstance(rows["2.1"][6].value, int | float)  # the trust's weighted mean
    assert fill_of(rows["2.1"][6]) in LABELS
    assert rows["1.1"][3].value == "– Not applicable"  # the sixth form has no Attainment 8


def test_the_exceptions_sheet_lists_every_red_and_missing_cell(demo):
    KPIValue.objects.filter(kpi__code="2.1", academy__name=ACADEMIES[4], period=demo).delete()
    book = load(board_pack(demo))
    matrix = book["2023-24 Autumn"]
    header = [c.value for c in matrix[1]]
    by_rating: dict[str, set] = {}
    for row in matrix.iter_rows(min_row=2):
        for cell in row[1:6]:  # the academies, not the trust column
            label = LABELS.get(fill_of(cell))
            by_rating.setdefault(label, set()).add((row[0].value, header[cell.column - 1]))

    rows = rows_of(book["Exceptions"])

    # Issue 15 (H5b): the head's note, who wrote it and the linked plan actions follow "Why".
    assert rows[0] == ["KPI", "Academy", "Rating", "Value", "Trend", "Why", *EXCEPTION_NARRATIVE]
    listed = {
        rating: {(r[0], r[1]) for r in rows[1:] if r[2] == rating}
        for rating in ("✗ Red", "? Missing", "! Amber")
    }
    assert listed["✗ Red"] == by_rating["✗ Red"] and listed["✗ Red"]
    assert listed["? Missing"] == by_rating["? Missing"] == {("2.1 Attendance > 95%", ACADEMIES[4])}
    # Amber is listed only when it is getting worse (DESIGN.md, board exceptions).
    assert listed["! Amber"] <= by_rating["! Amber"]
    assert {r[4] for r in rows[1:] if r[2] == "! Amber"} <= {"worse than last period"}
    assert len(rows) - 1 == sum(len(cells) for cells in listed.values())
    assert all(row[5] for row in rows[1:])  # each says why


def test_the_plan_actions_sheet_lists_every_action_with_its_status(demo, cast):
    action = Action.objects.get(description="Present and gain buy-in from headteachers")
    ProgressUpdate.objects.create(
        action=action, status=ActionStatus.ON_TRACK, author=cast["central"]
    )
    rows = rows_of(load(board_pack(demo))["Plan actions"])

    assert rows[0] == [
        "Objective",
        "Aim",
        "Action",
        "Responsibility",
        "KPIs",
        "Monitored by",
        "Due",
        "Status",
        # Issue 15 (H5b): each action's latest update and its commentary.
        "Latest update",
        "Latest commentary",
    ]
    assert len(rows) - 1 == Action.objects.count() == 52
    labels = {status.label for status in ActionStatus}
    for row in rows[1:]:
        assert row[7].split(" · ")[-1] in labels
    presented = next(r for r in rows if r[2] == action.description)
    assert presented[7] == "On track"
    assert presented[3] == "NLI"


@pytest.mark.parametrize("role", ROLES)
def test_every_signed_in_role_downloads_the_board_pack_of_a_period(client_for, demo, role):
    response = client_for(role).get(reverse("kpis:export_xlsx"), {"period": AUTUMN})

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == (
        'attachment; filename="board-pack-2023-24-autumn.xlsx"'
    )
    assert load(response.content).sheetnames == SHEETS


def test_the_board_pack_of_an_unknown_period_is_404_and_visitors_must_sign_in(client_for, demo):
    assert (
        client_for("trustee")
        .get(reverse("kpis:export_xlsx"), {"period": "1999-00-autumn"})
        .status_code
        == 404
    )
    anonymous = Client().get(reverse("kpis:export_xlsx"), {"period": AUTUMN})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))


def test_export_board_pack_writes_the_workbook(demo, tmp_path, capsys):
    path = tmp_path / "pack.xlsx"

    call_command("export_board_pack", period=AUTUMN, output=str(path))

    assert load(path.read_bytes()).sheetnames == SHEETS
    assert f"Wrote the board pack for 2023/24 Autumn to {path}" in capsys.readouterr().out


def test_export_board_pack_defaults_to_the_latest_closed_period(demo, tmp_path):
    path = tmp_path / "pack.xlsx"

    call_command("export_board_pack", output=str(path))

    assert load(path.read_bytes()).sheetnames[0] == "2023-24 Spring"


def test_export_board_pack_refuses_an_unknown_period(demo, tmp_path):
    with pytest.raises(CommandError, match="No period '2030-31-autumn'"):
        call_command("export_board_pack", period="2030-31-autumn", output=str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()


# --- Round trips ------------------------------------------------------------------------------


def published(slug: str) -> int:
    return KPIValue.objects.published().filter(period__slug=slug).count()


@pytest.mark.parametrize("slug", ["2023-24-autumn", "2023-24-spring", "2023-24-summer"])
def test_a_board_pack_imports_back_with_no_changes_and_no_problems(demo, slug):
    period = Period.objects.get(slug=slug)
    before = snapshot()

    preview = prepare_import(board_pack(period), f"board-pack-{slug}.xlsx")

    assert [str(p) for p in preview.problems] == []
    assert (len(preview.creates), len(preview.updates)) == (0, 0)
    assert preview.unchanged == published(slug)
    assert preview.read_sheets == [
        (SHEETS[0].replace("Autumn", period.get_term_display()), "matrix"),
        ("Inspections", "inspections"),  # every inspection, unchanged
    ]
    assert preview.ignored_sheets == SHEETS[1:-1]
    assert preview.inspections.unchanged == Inspection.objects.count() > 0
    assert not preview.has_changes
    assert snapshot() == before


@pytest.mark.parametrize("slug", ["2023-24-autumn", "2023-24-summer", None])
def test_the_values_csv_imports_back_with_no_changes_and_no_problems(demo, slug):
    period = Period.objects.get(slug=slug) if slug else None
    before = snapshot()

    preview = prepare_import(values_csv(period).encode("utf-8"), "values.csv")

    assert [str(p) for p in preview.problems] == []
    assert (len(preview.creates), len(preview.updates)) == (0, 0)
    expected = published(slug) if slug else KPIValue.objects.published().count()
    assert preview.unchanged == expected > 0
    assert snapshot() == before


# --- The CSV of values ------------------------------------------------------------------------


def test_the_csv_holds_only_submitted_and_approved_values(client_for, demo):
    response = client_for("trustee").get(reverse("kpis:export_csv"), {"period": "2023-24-summer"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="kpi-values-2023-24-summer.csv"'
    )
    rows = csv_rows(response.content.decode())
    # Summer: Moreton submitted; Aldersley in draft and the sixth form sent back are left out.
    assert {(r["Academy"], r["Return status"]) for r in rows} == {("Moreton School", "submitted")}
    assert len(rows) == published("2023-24-summer") > 0
    assert list(rows[0]) == [
        "KPI",
        "KPI name",
        "Academy",
        "Period",
        "Value",
        "Not available",
        "Note",
        "Return status",
    ]


def test_the_csv_of_every_period_leaves_out_drafts(client_for, demo):
    response = client_for("trustee").get(reverse("kpis:export_csv"), {"period": "all"})

    rows = csv_rows(response.content.decode())
    assert len(rows) == KPIValue.objects.published().count()
    assert {r["Return status"] for r in rows} == {"submitted", "approved"}
    drafts = Return.objects.exclude(status__in=["submitted", "approved"])
    assert drafts.exists()
    shown = {(r["Academy"], r["Period"]) for r in rows}
    assert not {(d.academy.name, d.period.slug) for d in drafts} & shown


# --- Formula escaping -------------------------------------------------------------------------


NASTY = ['=HYPERLINK("http://evil.example","Click")', "@SUM(1)", "+1", "-2"]


@pytest.mark.parametrize("text", NASTY)
def test_safe_text_escapes_every_formula_trigger(text):
    assert safe_text(text) == "'" + text
    assert safe_text("Plain") == "Plain" and safe_text(95) == 95


def test_text_that_would_run_as_a_formula_is_escaped_in_every_export(demo, client_for):
    Academy.objects.filter(name=ACADEMIES[1]).update(name=NASTY[0])
    moreton_values = KPIValue.objects.filter(academy__name=NASTY[0], period=demo).order_by("pk")
    moreton_values.filter(kpi__code="2.1").delete()  # missing: Moreton is on the Exceptions sheet
    for value, note in zip(moreton_values, NASTY[1:], strict=False):
        value.note = note
        value.save()
    action = Action.objects.get(description="Present and gain buy-in from headteachers")
    action.description = "-2 headteachers to win over"
    action.save()
    client = client_for("trustee")

    csv_response = client.get(reverse("kpis:export_csv"), {"period": AUTUMN})
    rows = csv_rows(csv_response.content.decode())
    academies = {r["Academy"] for r in rows}
    notes = {r["Note"] for r in rows}
    assert "'" + NASTY[0] in academies and NASTY[0] not in academies
    assert {"'@SUM(1)", "'+1", "'-2"} <= notes
    assert not notes & set(NASTY)

    book = load(client.get(reverse("kpis:export_xlsx"), {"period": AUTUMN}).content)
    header = book["2023-24 Autumn"]["C1"]
    assert (header.value, header.data_type) == ("'" + NASTY[0], "s")
    exception_academies = {row[1] for row in rows_of(book["Exceptions"])[1:]}
    assert "'" + NASTY[0] in exception_academies and NASTY[0] not in exception_academies
    actions = {row[2] for row in rows_of(book["Plan actions"])}
    assert "'-2 headteachers to win over" in actions
    every_text = [
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    assert not [t for t in every_text if t.startswith(("=", "+", "-", "@"))]

    template = load(template_workbook(demo))
    assert template.worksheets[0]["C1"].value == "'" + NASTY[0]


# --- Template and example workbooks -----------------------------------------------------------


def test_the_template_is_an_empty_trust_workbook(demo):
    book = load(template_workbook(demo))

    assert book.sheetnames == ["2023-24 Autumn", "Values", "Plan", "Inspections", "Instructions"]
    matrix = rows_of(book["2023-24 Autumn"])
    assert matrix[0] == ["KPI (Key Performance Indicators)", *ACADEMIES, TRUST]
    assert sum(1 for row in matrix[1:] if row[0][0].isdigit()) == KPI.objects.count() + 4
    assert rows_of(book["Values"]) == [
        ["KPI", "Academy", "Period", "Value", "Note", "Not available"]
    ]
    before = snapshot()
    preview = prepare_import(template_workbook(demo), "template.xlsx")
    assert preview.problems == [] and not preview.has_changes
    assert snapshot() == before


def test_the_example_holds_every_amethyst_action_and_imports_with_no_plan_changes(trust):
    data = example_workbook()
    plan_rows = rows_of(load(data)["Plan"])

    assert plan_rows[0] == ["Trust Development Plan 2023/2024"]
    assert plan_rows[1] == ["Aim", "Action", "Responsibility", "KPI", "Monitored by"]
    objectives = [r for r in plan_rows[2:] if str(r[0]).startswith("Strategic objective")]
    assert len(objectives) == 3
    assert len(plan_rows) - 2 - len(objectives) == 52 == Action.objects.count()
    before = snapshot()

    preview = prepare_import(data, "trustplan-example-amethyst.xlsx")

    assert preview.problems == []
    assert preview.plan.counts == {
        "objectives_created": 0,
        "objectives_updated": 0,
        "aims_created": 0,
        "actions_created": 0,
        "actions_updated": 0,
        "actions_unchanged": 52,
    }
    assert not preview.has_changes
    assert snapshot() == before


def test_the_example_creates_the_plan_in_an_empty_trust(trust, cast):
    from plans.models import Plan
    from spreadsheets.importer import apply_import

    Plan.objects.all().delete()
    preview = prepare_import(example_workbook(), "trustplan-example-amethyst.xlsx")
    assert preview.problems == []
    assert preview.plan.counts["plans_created"] == 1

    apply_import(preview, user=cast["admin"])

    plan = Plan.objects.get()
    assert (plan.title, plan.start_year, plan.end_year) == (
        "Trust Development Plan 2023/2024",
        2023,
        2024,
    )
    assert Action.objects.filter(objective__plan=plan).count() == 52
    again = prepare_import(example_workbook(), "trustplan-example-amethyst.xlsx")
    assert not again.has_changes


def test_statuses_of_returns_in_the_csv_match_the_returns(demo):
    rows = csv_rows(values_csv(demo))
    assert {r["Return status"] for r in rows} == {ReturnStatus.APPROVED}


@pytest.mark.parametrize("note", ["-2 pupils left in October", "+1 since summer", "@head: check"])
def test_an_escaped_note_imports_back_unchanged(demo, note):
    summer = Period.objects.get(slug="2023-24-summer")  # Moreton's return: submitted, open
    value = KPIValue.objects.published().filter(period=summer).order_by("pk").first()
    value.note = note
    value.save()
    exported = values_csv(summer)
    assert "'" + note in exported  # escaped on the way out
    before = snapshot()

    preview = prepare_import(exported.encode("utf-8"), "values.csv")

    # Fixed bug: the export prefixes the note with an apostrophe so no spreadsheet runs it, but the
    # import reads the apostrophe back as part of the note: re-importing the CSV the app
    # itself wrote previews 1 update (note "-2 pupils left in October" → "'-2 pupils left in
    # October"), and confirming would store the apostrophe. Expected: 0 updates.
    assert [str(p) for p in preview.problems] == []
    assert [c.incoming.note for c in preview.updates] == []
    assert (len(preview.creates), len(preview.updates)) == (0, 0)
    assert snapshot() == before


def test_a_board_pack_imports_back_when_an_academy_name_starts_with_a_formula_trigger(demo):
    Academy.objects.filter(name=ACADEMIES[1]).update(name="@Moreton School")
    data = board_pack(demo)
    header = load(data)["2023-24 Autumn"]["C1"].value
    assert header == "'@Moreton School"

    preview = prepare_import(data, "board-pack.xlsx")

    # Fixed bug: the board pack escapes the academy's name in its header ("'@Moreton School") and
    # the import looks the escaped text up as it is: “'@Moreton School” is not a known
    # academy, so the app's own board pack is refused.
    assert [str(p) for p in preview.problems] == []
    assert (len(preview.creates), len(preview.updates)) == (0, 0)
