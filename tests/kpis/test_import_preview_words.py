"""The import preview says what a plan sheet changes in words ("Strategic objectives: 1 new"),
not the counters' keys ("Plan Objectivescreated: 0")."""

from __future__ import annotations

import io

import openpyxl
import pytest

from kpis import ofsted
from spreadsheets.views import counts_in_words
from tests.kpis.test_import import NEW_OBJECTIVE, plan_sheet, xlsx
from tests.kpis.test_import_views import upload
from tests.plans.test_plan_views import words


def test_counts_read_as_one_line_per_kind_leaving_out_zeros():
    counts = {
        "objectives_created": 2,
        "objectives_updated": 3,
        "aims_created": 0,
        "actions_created": 1,
        "actions_updated": 0,
        "actions_unchanged": 30,
    }
    assert counts_in_words(counts) == [
        "Strategic objectives: 2 new, 3 updated",
        "Actions: 1 new, 30 unchanged",
    ]
    assert counts_in_words({"aims_created": 0}) == []


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    """Uploads wait here between preview and confirm, never in the project's var/."""
    settings.TRUSTPLAN_IMPORT_DIR = tmp_path / "imports"


def test_the_preview_of_a_plan_sheet_prints_clean_words(client_for, trust):
    response = upload(client_for("admin"), xlsx(plan_sheet(*NEW_OBJECTIVE)), "plan.xlsx")
    assert response.status_code == 200
    summary = words(response.content.decode().split('id="summary-heading"')[1])
    assert "The plan sheet: Strategic objectives: 1 new Aims: 2 new Actions: 3 new" in summary
    assert "created" not in summary.lower().replace("recorded", "")


def test_the_preview_names_an_inspections_sheet_and_what_it_would_record(client_for, trust):
    # It read "“Inspections” (plan)" and said nothing of the inspections it would record.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Inspections"
    areas = [w for k, w in ofsted.REPORT_CARD_AREAS.items() if k not in ofsted.OPTIONAL_AREAS]
    sheet.append(["Academy", "Date", "Framework", *areas, "Safeguarding"])
    sheet.append(
        ["Penn Hall School", "15/05/2024", "Report card", *["Expected standard"] * 6, "Met"]
    )
    data = io.BytesIO()
    book.save(data)
    response = upload(client_for("admin"), data.getvalue(), "inspections.xlsx")
    assert response.status_code == 200
    page = words(response.content.decode())
    assert "Read: “Inspections” (Inspections sheet)." in page
    assert "(plan)" not in page
    assert "Ofsted inspections: 1 new, 0 updated, 0 unchanged" in page
