"""A period whose year the database refuses (Period's period_year_plausible constraint) is a
problem in the preview naming its sheet (and, in a values list, its row and column).

Before, "Autumn 2999" or "2999-00 Autumn" passed the preview, listed 2999/00 Autumn as a
period to create, and broke the constraint only when the import was confirmed.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from kpis.models import Period, ReturnStatus, Term
from spreadsheets.importer import prepare_import
from tests.kpis.test_import import AHS, LONG_HEADER, MATRIX_HEADER, snapshot, stored, xlsx


def matrix_named(name: str) -> bytes:
    return xlsx({name: [MATRIX_HEADER, ["1.1 Attainment 8", 48]]})


@pytest.mark.parametrize(
    ("sheet", "label"),
    [
        ("Autumn 2999", "2999/00 Autumn"),
        ("2999-00 Autumn", "2999/00 Autumn"),
        ("Summer 3000", "2999/00 Summer"),
        ("Autumn 0000", "0/01 Autumn"),
        ("Spring 1990", "1989/90 Spring"),  # 1989/90: just before the first
        ("2201-02 Autumn", "2201/02 Autumn"),  # just after the last
    ],
)
def test_a_sheet_named_for_a_year_out_of_range_is_a_problem_naming_the_sheet(trust, sheet, label):
    before = snapshot()

    preview = prepare_import(matrix_named(sheet), "trust.xlsx")

    assert [(p.sheet, p.row, p.column) for p in preview.problems] == [(sheet, None, None)]
    message = str(preview.problems[0])
    assert message.startswith(f"Sheet “{sheet}”: ")
    assert label in message
    assert "1990/91 to 2200/01" in message
    assert preview.new_periods == [] and preview.creates == []
    assert not preview.ok
    assert snapshot() == before


def test_a_values_list_period_out_of_range_names_its_cell(trust):
    data = xlsx({"Values": [LONG_HEADER, ["1.1", AHS, "Autumn 2999", 48, ""]]})

    preview = prepare_import(data, "values.xlsx")

    assert [(p.sheet, p.row, p.column) for p in preview.problems] == [("Values", 2, "C")]
    assert "2999/00 Autumn" in preview.problems[0].message
    assert preview.new_periods == []


@pytest.mark.parametrize(
    ("sheet", "slug"), [("1990-91 Autumn", "1990-91-autumn"), ("Summer 2201", "2200-01-summer")]
)
def test_the_first_and_last_years_the_database_holds_import(trust, cast, sheet, slug):
    from spreadsheets.importer import apply_import

    preview = prepare_import(matrix_named(sheet), "trust.xlsx")
    assert preview.problems == []
    apply_import(preview, user=cast["admin"])
    assert stored(slug) == {("1.1", AHS): 48}


def test_the_importers_rule_is_the_database_constraint(trust):
    # One rule: the years the check allows are exactly those the constraint accepts.
    from kpis.models import PERIOD_YEARS, period_year_problem

    first, last = PERIOD_YEARS
    for year in (first - 1, first, last, last + 1, 0, 9999):
        allowed = period_year_problem(year) is None
        try:
            with transaction.atomic():
                Period.objects.create(year_start=year, term=Term.AUTUMN)
            saved = True
        except IntegrityError:
            saved = False
        assert allowed == saved, year


def test_the_upload_page_shows_the_problem_and_offers_no_confirm(client_for, settings, tmp_path):
    settings.TRUSTPLAN_IMPORT_DIR = tmp_path / "imports"
    before = snapshot()

    response = client_for("admin").post(
        reverse("imports:upload"),
        {"file": SimpleUploadedFile("t.xlsx", matrix_named("Autumn 2999")), "state": "submitted"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "2999/00 Autumn" in page and "1990/91 to 2200/01" in page
    assert "Confirm and import" not in page
    assert not (tmp_path / "imports").exists() or not any((tmp_path / "imports").iterdir())
    assert snapshot() == before


def test_confirming_a_file_staged_with_such_a_sheet_says_why_and_writes_nothing(
    client_for, settings, tmp_path
):
    # A file staged before this check existed (or by any other way) is checked again at confirm.
    folder = tmp_path / "imports"
    folder.mkdir()
    settings.TRUSTPLAN_IMPORT_DIR = folder
    client = client_for("admin")
    token = "staged-token-2999"
    (folder / token).write_bytes(matrix_named("Autumn 2999"))
    session = client.session
    session["import"] = {
        "token": token,
        "filename": "t.xlsx",
        "period": None,
        "state": ReturnStatus.SUBMITTED,
        "versions": [],
    }
    session.save()
    before = snapshot()

    response = client.post(reverse("imports:confirm"), {"token": token}, follow=True)

    assert response.status_code == 200
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "nothing was written" in shown.lower()
    assert "Sheet “Autumn 2999”" in shown and "2999/00 Autumn" in shown
    assert "at the same moment" not in shown  # not mistaken for a race
    assert snapshot() == before
