"""Importing Explore Education Statistics CSVs (spreadsheets.dfe, manage.py import_dfe).

The files in dfe_files/ are in the published layouts: the header line as EES writes it, National,
Regional and Local authority rows, and School rows of the test trust's academies among schools of
other trusts (one with a comma in its name, one with quotes, one with an accent). The demo
framework (fixtures/amethyst_kpis.yaml) names each KPI's column; the academies get URNs here.
Every refusal checks that the database is exactly as it was.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from academies.models import Academy
from kpis.models import (
    KPI,
    DfeTransform,
    Frequency,
    KPIValue,
    NationalFigure,
    Period,
    Return,
    ReturnStatus,
    Term,
)
from kpis.returns import ImportConflict
from spreadsheets.dfe import SUPPRESSION, apply_dfe_import, prepare_dfe_import

FILES = Path(__file__).parent / "dfe_files"
SUSPENSIONS = FILES / "suspensions_school_term.csv"
ABSENCE = FILES / "absence_school.csv"
KS4 = FILES / "ks4_school.csv"
KS4_OLDER = FILES / "ks4_school_older_names.csv"

URNS = {
    "aldersley-high-school": "140001",
    "moreton-school": "140002",
    "amethyst-sixth-form": "140003",
    "penn-hall-school": "140004",
    "tettenhall-wood-school": "140005",
}
AHS, MS, ASF, PH, TWS = (
    "Aldersley High School",
    "Moreton School",
    "Amethyst Sixth Form",
    "Penn Hall School",
    "Tettenhall Wood School",
)


@pytest.fixture
def dfe_trust(trust):
    """The test trust with its academies' URNs and the terms of 2022/23 and 2023/24."""
    for slug, urn in URNS.items():
        Academy.objects.filter(slug=slug).update(urn=urn)
    for year in (2022, 2023):
        for term in Term:
            Period.objects.get_or_create(year_start=year, term=term)
    return trust


def read(path: Path | bytes, name: str | None = None, state: str = ReturnStatus.DRAFT):
    data = path.read_bytes() if isinstance(path, Path) else path
    filename = name or (path.name if isinstance(path, Path) else "upload.csv")
    return prepare_dfe_import(io.BytesIO(data), filename, state=state)


def imported(path: Path | bytes, **kwargs) -> dict:
    preview = read(path, **kwargs)
    assert preview.ok, preview.all_problems()
    return apply_dfe_import(preview, user=None)


def value(code: str, academy: str, slug: str) -> KPIValue:
    return KPIValue.objects.get(kpi__code=code, academy__name=academy, period__slug=slug)


def snapshot() -> dict:
    """Everything an import could write, with its history."""
    return {
        "values": list(
            KPIValue.objects.order_by("pk").values_list(
                "pk", "kpi_id", "academy_id", "period_id", "value", "not_available", "note"
            )
        ),
        "returns": list(
            Return.objects.order_by("pk").values_list("pk", "status", "version", "updated_at")
        ),
        "national": list(
            NationalFigure.objects.order_by("pk").values_list("pk", "kpi_id", "period_id", "value")
        ),
        "history": [KPIValue.history.count(), Return.history.count()],
    }


def with_row(path: Path, change: dict[str, str], urn: str = "140001", when: str = "") -> bytes:
    """The file with cells of the School row of `urn` (its first, or the one whose
    time_identifier is `when`) changed: column → text."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    out = [lines[0]]
    done = False
    for line in lines[1:]:
        cells = line.split(",")
        if (
            not done
            and "," + urn + "," in line
            and (not when or cells[header.index("time_identifier")] == when)
        ):
            for column, text in change.items():
                cells[header.index(column)] = text
            line = ",".join(cells)
            done = True
        out.append(line)
    assert done, f"no row for {urn}"
    return ("\n".join(out) + "\n").encode("utf-8")


# --- Suspensions and permanent exclusions by school and term -----------------------------------


def test_suspensions_by_school_and_term_become_each_terms_counts(dfe_trust):
    counts = imported(SUSPENSIONS)
    assert value("2.3", AHS, "2023-24-autumn").value == 45
    assert value("2.3", AHS, "2023-24-spring").value == 52
    assert value("2.3", MS, "2023-24-spring").value == 28
    assert value("2.4", AHS, "2023-24-spring").value == 2
    assert value("2.3", AHS, "2022-23-summer").value == 61  # the baseline year's terms too
    assert value("2.3", TWS, "2023-24-spring").value == 5
    # Only the trust's academies: other trusts' schools (and the LA and region) are not read.
    assert not KPIValue.objects.exclude(academy__urn__in=URNS.values()).exists()
    assert KPIValue.objects.filter(kpi__code__in=["2.3", "2.4"]).count() == counts["values_created"]
    # 2 KPIs × (AHS and MS 5 terms, PH and TWS 2 terms)
    assert counts["values_created"] == 2 * (5 + 5 + 2 + 2)
    ret = Return.objects.get(academy__name=AHS, period__slug="2023-24-spring")
    assert ret.status == ReturnStatus.DRAFT
    record = value("2.3", AHS, "2023-24-spring").history.first()
    assert record.history_change_reason == "Imported from DfE: suspensions_school_term.csv"


def test_suspensions_national_rows_give_no_national_figure_for_counts(dfe_trust):
    """2.3 and 2.4 are judged against the academy's own baseline, not England's."""
    imported(SUSPENSIONS)
    assert not NationalFigure.objects.exists()


def test_a_suppressed_count_is_not_available_with_its_meaning(dfe_trust):
    imported(SUSPENSIONS)
    cell = value("2.3", PH, "2023-24-spring")
    assert cell.value is None and cell.not_available
    assert cell.note == f"DfE: c — {SUPPRESSION['c']}"


def test_periods_not_set_up_are_skipped_and_listed(dfe_trust):
    preview = read(SUSPENSIONS)
    assert preview.ok
    assert any("2021/22 Autumn" in note and "not set up" in note for note in preview.notes)
    assert not any(c.period.year_start == 2021 for c in preview.changes)


def test_a_years_count_is_never_put_in_a_term(dfe_trust):
    """An Academic year total of suspensions (three terms) would treble the summer term's."""
    data = SUSPENSIONS.read_bytes().replace(b"202223,Summer term", b"202223,Academic year")
    preview = read(data)
    assert preview.ok, preview.all_problems()
    assert not any(c.period.slug == "2022-23-summer" for c in preview.changes)
    assert any("2.3 Suspensions reduced by 25% counts a term" in note for note in preview.notes), (
        preview.notes
    )


# --- Pupil absence: 100 minus, persistent absence, academic-year and two-term rows ---------------


def test_attendance_is_100_minus_overall_absence_and_persistent_absence_as_published(dfe_trust):
    imported(ABSENCE)
    # Academic year 2022/23 → its summer term (the year is complete then).
    assert value("2.1", AHS, "2022-23-summer").value == Decimal("92.40")
    assert value("2.2", AHS, "2022-23-summer").value == Decimal("19.98")
    assert value("2.1", MS, "2022-23-summer").value == Decimal("89.10")
    # Autumn and spring term 2023/24 → spring.
    assert value("2.1", AHS, "2023-24-spring").value == Decimal("93.10")
    assert value("2.2", MS, "2023-24-spring").value == Decimal("28.68")
    assert not KPIValue.objects.filter(period__slug="2023-24-autumn").exists()


def test_a_termly_kpi_reads_a_summer_term_row_before_the_academic_year(dfe_trust):
    data = ABSENCE.read_bytes() + (
        b"202223,Summer term,School,E92000001,England,E12000005,West Midlands,336,E08000031,"
        b"Wolverhampton,140001,3364001,Aldersley High School,State-funded secondary,1061,"
        b"100000,8000,5000,3000,8.00,5.00,3.00,250,23.56\n"
    )
    imported(data)
    assert value("2.1", AHS, "2022-23-summer").value == Decimal("92.00")
    assert value("2.2", AHS, "2022-23-summer").value == Decimal("23.56")


def test_a_kpi_collected_once_a_year_reads_only_academic_year_rows(dfe_trust):
    KPI.objects.filter(code="2.1").update(frequency=Frequency.ANNUALLY)
    preview = read(ABSENCE)
    assert preview.ok
    periods = {c.period.slug for c in preview.changes if c.kpi.code == "2.1"}
    assert periods == {"2022-23-summer"}
    assert any("2.1 Attendance > 95% is collected once a year" in n for n in preview.notes)


def test_the_dfe_transform_is_the_kpis(dfe_trust):
    KPI.objects.filter(code="2.1").update(dfe_transform=DfeTransform.NONE)
    imported(ABSENCE)
    assert value("2.1", AHS, "2022-23-summer").value == Decimal("7.60")


@pytest.mark.parametrize("code", ["z", "c", "x", "low", "u", "SUPP", "NE", "LOWCOV", ""])
def test_every_suppression_code_is_not_available_with_its_meaning(dfe_trust, code):
    imported(with_row(ABSENCE, {"sess_overall_percent": code}))
    cell = value("2.1", AHS, "2022-23-summer")
    assert cell.value is None and cell.not_available
    assert cell.note == f"DfE: {code or 'blank'} — {SUPPRESSION[code.casefold()]}"
    # The row's other figures are read as usual.
    assert value("2.2", AHS, "2022-23-summer").value == Decimal("19.98")


def test_a_code_in_a_bracket_and_in_lower_case_is_the_same_code(dfe_trust):
    imported(
        with_row(ABSENCE, {"sess_overall_percent": "[c]", "enrolments_pa_10_exact_percent": "supp"})
    )
    assert value("2.1", AHS, "2022-23-summer").note.startswith("DfE: c — suppressed")
    assert value("2.2", AHS, "2022-23-summer").note.startswith("DfE: SUPP — suppressed")


def test_a_code_where_the_academy_has_its_own_figure_keeps_it(dfe_trust):
    imported(ABSENCE)
    data = with_row(ABSENCE, {"sess_overall_percent": "x"})
    preview = read(data)
    assert preview.ok
    assert not [c for c in preview.changes if c.kpi.code == "2.1" and c.academy.name == AHS]
    assert any("were kept where the file gives only a code" in n for n in preview.notes)
    apply_dfe_import(preview, user=None)
    assert value("2.1", AHS, "2022-23-summer").value == Decimal("92.40")


def test_a_figure_replaces_an_earlier_dfe_code_and_its_note(dfe_trust):
    imported(with_row(ABSENCE, {"sess_overall_percent": "c"}))
    imported(ABSENCE)
    cell = value("2.1", AHS, "2022-23-summer")
    assert (cell.value, cell.not_available, cell.note) == (Decimal("92.40"), False, "")


def test_the_sixth_forms_not_applicable_rows_and_phases(dfe_trust):
    imported(ABSENCE)
    cell = value("2.1", ASF, "2022-23-summer")
    assert cell.not_available and cell.note == f"DfE: z — {SUPPRESSION['z']}"


def test_a_kpi_answered_by_inspections_never_reads_a_dfe_column(dfe_trust):
    KPI.objects.filter(code="1.9").update(dfe_source="sess_overall_percent")
    preview = read(ABSENCE)
    assert preview.ok and "1.9" not in preview.columns
    assert not any(c.kpi.code == "1.9" for c in preview.changes)
    assert any(
        n.startswith("1.9: its values come from the academy's Ofsted") for n in preview.notes
    )


# --- Key stage 4 ------------------------------------------------------------------------------


def test_ks4_school_rows_go_to_the_summer_term_for_secondary_kpis(dfe_trust):
    imported(KS4)
    assert value("1.1", AHS, "2023-24-summer").value == Decimal("47.3")  # the Total row
    assert value("1.3", AHS, "2023-24-summer").value == Decimal("49.5")
    assert value("1.4", MS, "2023-24-summer").value == Decimal("58.5")
    # Penn Hall is a special school: the KS4 KPIs do not apply to it.
    assert not KPIValue.objects.filter(academy__name=PH).exists()


def test_ks4_national_rows_become_national_figures_for_kpis_judged_against_england(dfe_trust):
    preview = read(KS4)
    assert preview.ok
    apply_dfe_import(preview, user=None)
    figures = {f.kpi.code: f for f in NationalFigure.objects.filter(period__slug="2023-24-summer")}
    # 1.1 and 1.3 are "at least national"; 1.4 has an absolute target: no national figure.
    assert set(figures) == {"1.1", "1.3"}
    # The headline row (all state-funded schools, all pupils), not Boys, Girls or Academies.
    assert figures["1.1"].value == Decimal("45.9")
    assert figures["1.3"].value == Decimal("45.9")
    assert figures["1.1"].source == "DfE: ks4_school.csv"


def test_ks4_older_column_names_are_read_for_the_newer_ones(dfe_trust):
    preview = read(KS4_OLDER)
    assert preview.columns == {"1.1": "avg_att8", "1.3": "pt_l2basics_95", "1.4": "pt_l2basics_94"}
    apply_dfe_import(preview, user=None)
    assert value("1.1", AHS, "2022-23-summer").value == Decimal("46.8")
    assert value("1.4", MS, "2022-23-summer").value == Decimal("57.2")
    low = value("1.3", MS, "2022-23-summer")
    assert low.not_available and low.note == f"DfE: LOWCOV — {SUPPRESSION['lowcov']}"
    national = NationalFigure.objects.get(kpi__code="1.1", period__slug="2022-23-summer")
    assert national.value == Decimal("46.2")


def test_a_national_figure_changed_by_a_later_release_is_updated(dfe_trust):
    imported(KS4)
    revised = KS4.read_bytes().replace(b"Total,Total,596812,45.9,", b"Total,Total,596812,46.0,")
    counts = imported(revised, name="ks4_school_revised.csv")
    assert counts["national_figures_updated"] == 1 and counts["national_figures_created"] == 0
    figure = NationalFigure.objects.get(kpi__code="1.1", period__slug="2023-24-summer")
    assert figure.value == Decimal("46.0")
    assert figure.source == "DfE: ks4_school_revised.csv"
    # 1.3's figure is the same in both: it keeps the file it came from.
    same = NationalFigure.objects.get(kpi__code="1.3", period__slug="2023-24-summer")
    assert (same.value, same.source) == (Decimal("45.9"), "DfE: ks4_school.csv")


def test_two_headline_rows_that_disagree_are_a_problem(dfe_trust):
    data = KS4.read_bytes() + (
        b"202324,Academic year,School,E92000001,England,E12000005,West Midlands,336,E08000031,"
        b"Wolverhampton,140001,3364001,Aldersley High School,Academies,Total,Total,208,49.0,"
        b"49.5,68.8\n"
    )
    before = snapshot()
    preview = read(data)
    assert not preview.ok
    assert any("rows 8 and 13 both give this school's figures" in p for p in preview.all_problems())
    assert snapshot() == before


# --- Encodings and quoting ---------------------------------------------------------------------


def test_utf8_with_a_bom_reads_as_without(dfe_trust):
    preview = read(b"\xef\xbb\xbf" + SUSPENSIONS.read_bytes())
    plain = read(SUSPENSIONS)
    assert preview.ok and preview.columns == {"2.3": "suspension", "2.4": "perm_excl"}
    assert [str(c) for c in preview.changes] == [str(c) for c in plain.changes]
    assert not any("Windows-1252" in note for note in preview.notes)


def test_windows_1252_as_excel_saves_it_is_read_and_said(dfe_trust):
    text = SUSPENSIONS.read_text(encoding="utf-8")
    assert "Thérèse" in text
    data = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    preview = read(data)
    assert preview.ok, preview.all_problems()
    assert [str(c) for c in preview.changes] == [str(c) for c in read(SUSPENSIONS).changes]
    assert any("read as Windows-1252" in note for note in preview.notes)


def test_a_file_neither_utf8_nor_windows_1252_is_refused_at_its_row(dfe_trust):
    data = SUSPENSIONS.read_bytes().replace("Thérèse".encode(), b"Th\x81r\x81se")
    before = snapshot()
    preview = read(data)
    assert not preview.ok
    (problem,) = preview.all_problems()
    assert problem.startswith("“upload.csv”, row 13: the file is neither UTF-8")
    assert snapshot() == before


def test_a_utf8_file_damaged_after_its_first_accent_is_refused_at_its_row(dfe_trust):
    data = SUSPENSIONS.read_bytes().replace(b'""Phoenix""', b'""Ph\xe9nix""')
    preview = read(data)
    assert not preview.ok
    (problem,) = preview.all_problems()
    assert problem.startswith("“upload.csv”, row 14: this line is not UTF-8 text")


def test_quoted_names_with_commas_quotes_and_line_breaks_are_read(dfe_trust):
    data = SUSPENSIONS.read_bytes().replace(
        b'"St Mary\'s Church of England Primary School, Wombourne"',
        b'"St Mary\'s Church of England Primary School,\r\nWombourne"',
    )
    preview = read(data)
    assert preview.ok, preview.all_problems()
    assert [str(c) for c in preview.changes] == [str(c) for c in read(SUSPENSIONS).changes]
    assert preview.rows_read == 32


def test_windows_line_endings_and_a_blank_last_line(dfe_trust):
    data = SUSPENSIONS.read_bytes().replace(b"\n", b"\r\n") + b"\r\n"
    preview = read(data)
    assert preview.ok
    assert len(preview.changes) == len(read(SUSPENSIONS).changes)


# --- Refusals -------------------------------------------------------------------------------------


def test_a_file_that_is_not_from_ees_is_refused_naming_what_it_lacks(dfe_trust):
    gias = (
        '"URN","LA (code)","EstablishmentName","TypeOfEstablishment (name)"\r\n'
        '"140001","336","Aldersley High School","Academy converter"\r\n'
    ).encode("cp1252")
    before = snapshot()
    preview = read(gias, name="edubasealldata20260101.csv")
    assert preview.all_problems() == [
        "“edubasealldata20260101.csv”, row 1: This is not an Explore Education Statistics "
        "data file: it has no time_period or time_identifier or geographic_level column (its "
        "columns: urn, la (code), establishmentname, typeofestablishment (name)). Download the "
        "CSV from the publication's “Download data” page."
    ]
    assert snapshot() == before


def test_an_excel_workbook_is_refused(dfe_trust):
    preview = read(b"PK\x03\x04" + b"\x00" * 200, name="exclusions.xlsx")
    assert not preview.ok
    assert "This is an Excel workbook (or another zip file), not a CSV" in preview.all_problems()[0]


def test_an_empty_file_is_refused(dfe_trust):
    assert read(b"").all_problems() == ["“upload.csv”: The file is empty."]


def test_a_file_without_any_kpis_column_names_its_columns(dfe_trust):
    data = (
        b"time_period,time_identifier,geographic_level,country_code,country_name,school_urn,"
        b"school_name,fte_teachers,pupil_teacher_ratio\n"
        b"202324,Academic year,School,E92000001,England,140001,Aldersley High School,61.2,17.2\n"
    )
    (problem,) = read(data).all_problems()
    assert "None of the KPIs' DfE columns is in this file: it has fte_teachers, " in problem
    assert "pupil_teacher_ratio" in problem and "sess_overall_percent" in problem


def test_school_rows_without_a_urn_column_are_refused(dfe_trust):
    data = (
        b"time_period,time_identifier,geographic_level,country_code,country_name,school_laestab,"
        b"school_name,suspension\n"
        b"202324,Autumn term,National,E92000001,England,,,257377\n"
        b"202324,Autumn term,School,E92000001,England,3364001,Aldersley High School,45\n"
    )
    (problem,) = read(data).all_problems()
    assert problem == (
        "“upload.csv”, row 3: a School row, but the file has no school_urn (or urn) column to "
        "match it to an academy"
    )


def test_a_file_whose_schools_are_none_of_the_trusts_is_refused(dfe_trust):
    Academy.objects.update(urn="")
    Academy.objects.filter(slug="aldersley-high-school").update(urn="999999")
    before = snapshot()
    (problem,) = read(SUSPENSIONS).all_problems()
    assert problem.startswith(
        "“suspensions_school_term.csv”, column school_urn: none of the schools in this file is "
        "one of the trust's academies (it has URNs such as 124301, 137112, 140001"
    )
    assert "the academies' URNs are 999999" in problem
    assert snapshot() == before


def test_an_academy_the_file_has_no_row_for_is_listed(dfe_trust):
    Academy.objects.filter(slug="amethyst-sixth-form").update(urn="140099")
    preview = read(SUSPENSIONS)
    assert preview.ok
    assert any(
        "No School rows in this file for: Amethyst Sixth Form (URN 140099)" in n
        for n in preview.notes
    ), preview.notes


def test_an_academy_without_a_urn_is_listed(dfe_trust):
    Academy.objects.filter(slug="penn-hall-school").update(urn="")
    preview = read(SUSPENSIONS)
    assert preview.ok
    assert any("have no URN" in n and "Penn Hall School" in n for n in preview.notes)
    assert not any(c.academy and c.academy.name == PH for c in preview.changes)


def test_a_value_that_is_not_a_number_names_row_and_column(dfe_trust):
    before = snapshot()
    preview = read(with_row(SUSPENSIONS, {"suspension": "n/a"}))
    assert preview.all_problems() == [
        "“upload.csv”, row 8, column suspension: 2.3 Suspensions reduced by 25%: “n/a” is "
        "neither a number nor one of the DfE's codes (z, c, x, low, u, SUPP, NE, LOWCOV, NP, "
        "NA, :)"
    ]
    with pytest.raises(ValueError):
        apply_dfe_import(preview, user=None)
    assert snapshot() == before


def test_a_value_the_kpi_cannot_take_is_a_problem(dfe_trust):
    preview = read(with_row(ABSENCE, {"enrolments_pa_10_exact_percent": "112.5"}))
    assert preview.all_problems() == [
        "“upload.csv”, row 8, column enrolments_pa_10_exact_percent: 2.2 Persistent absence "
        "below target: 112.5 is above 100."
    ]


def test_an_unknown_time_identifier_or_period_is_a_problem(dfe_trust):
    data = with_row(SUSPENSIONS, {"time_identifier": "Week 12"})
    (problem,) = read(data).all_problems()
    assert problem.startswith("“upload.csv”, row 8, column time_identifier: “Week 12” is not")
    data = with_row(SUSPENSIONS, {"time_period": "2023"})
    (problem,) = read(data).all_problems()
    assert problem.startswith("“upload.csv”, row 8, column time_period: “2023” is not an academic")


def test_a_value_in_an_approved_return_is_refused_and_nothing_is_written(dfe_trust):
    academy = Academy.objects.get(name=AHS)
    period = Period.objects.get(slug="2023-24-spring")
    Return.objects.create(academy=academy, period=period, status=ReturnStatus.APPROVED)
    KPIValue.objects.create(
        kpi=KPI.objects.get(code="2.3"), academy=academy, period=period, value=50
    )
    before = snapshot()
    preview = read(SUSPENSIONS)
    assert preview.all_problems() == [
        "“suspensions_school_term.csv”, row 8, column suspension: 2.3 Suspensions reduced by "
        "25%: Aldersley High School's return for 2023/24 Spring is approved: central team must "
        "reopen it before an import can change it",
        "“suspensions_school_term.csv”, row 8, column perm_excl: 2.4 Permanent exclusions "
        "reduced by 10%: Aldersley High School's return for 2023/24 Spring is approved: "
        "central team must reopen it before an import can change it",
    ]
    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_dfe", str(SUSPENSIONS), stdout=io.StringIO(), stderr=io.StringIO())
    assert snapshot() == before


def test_an_approved_return_already_holding_the_files_values_is_no_refusal(dfe_trust):
    imported(SUSPENSIONS)
    Return.objects.filter(period__slug="2023-24-spring").update(status=ReturnStatus.APPROVED)
    preview = read(SUSPENSIONS)
    assert preview.ok and not preview.changes


def test_a_submitted_return_takes_values_only_as_submitted(dfe_trust):
    academy = Academy.objects.get(name=MS)
    period = Period.objects.get(slug="2023-24-autumn")
    Return.objects.create(academy=academy, period=period, status=ReturnStatus.SUBMITTED)
    assert any("has been submitted" in p for p in read(SUSPENSIONS).all_problems())
    counts = imported(SUSPENSIONS, state=ReturnStatus.SUBMITTED)
    assert counts["values_created"] == 28
    assert Return.objects.get(academy=academy, period=period).status == ReturnStatus.SUBMITTED
    assert Return.objects.get(academy__name=AHS, period=period).status == ReturnStatus.SUBMITTED


def test_a_return_changed_after_the_preview_refuses_the_whole_import(dfe_trust):
    preview = read(SUSPENSIONS)
    assert preview.ok
    academy = Academy.objects.get(name=AHS)
    period = Period.objects.get(slug="2023-24-autumn")
    Return.objects.create(academy=academy, period=period, status=ReturnStatus.DRAFT, version=3)
    before = snapshot()
    with pytest.raises(ImportConflict, match="was changed after the preview"):
        apply_dfe_import(preview, user=None)
    assert snapshot() == before


# --- Re-import, dry run, the command ------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(dfe_trust):
    for path in (SUSPENSIONS, ABSENCE, KS4):
        imported(path)
    before = snapshot()
    for path in (SUSPENSIONS, ABSENCE, KS4):
        preview = read(path)
        assert preview.ok and not preview.changes and not preview.values, path
        assert preview.unchanged > 0
        counts = apply_dfe_import(preview, user=None)
        assert counts["values_created"] == counts["values_updated"] == 0
    assert snapshot() == before


def test_a_person_s_note_stays_when_the_dfe_gives_a_figure(dfe_trust):
    imported(SUSPENSIONS)
    cell = value("2.3", AHS, "2023-24-autumn")
    KPIValue.objects.filter(pk=cell.pk).update(note="Two pupils account for 20.", value=40)
    imported(SUSPENSIONS)
    cell.refresh_from_db()
    assert (cell.value, cell.note) == (45, "Two pupils account for 20.")


def test_the_preview_reads_the_database_in_six_queries(dfe_trust, django_assert_num_queries):
    # KPIs, academies, periods; then the stored values, returns and national figures.
    with django_assert_num_queries(6):
        preview = read(KS4)
    assert preview.ok and preview.changes


def test_dry_run_lists_the_changes_and_writes_nothing(dfe_trust):
    before = snapshot()
    out = io.StringIO()
    call_command("import_dfe", str(SUSPENSIONS), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "Read 32 rows (23 of the trust's academies or England)" in text
    assert "KPI 2.3 from column suspension" in text
    assert (
        "  Aldersley High School, 2023/24 Spring, 2.3 Suspensions reduced by 25%: blank → 52 "
        "(row 8, column suspension)"
    ) in text
    assert "Changes: 28 value(s), 0 national figure(s); 0 unchanged" in text
    assert "Dry run: nothing was written." in text
    assert snapshot() == before


def test_the_command_imports_and_says_what_it_did(dfe_trust, cast):
    out = io.StringIO()
    call_command("import_dfe", str(KS4), "--state", "submitted", "--user", "t-admin", stdout=out)
    text = out.getvalue()
    assert "KPI 1.1 from column attainment8_average" in text
    assert "England (national figure), 2023/24 Summer, 1.1 Attainment 8: blank → 45.9" in text
    assert "Note: 1.1 does not apply to Penn Hall School (its phase)" in text
    assert (
        "Imported: values_created 6, values_updated 0, values_unchanged 0, returns_created 2, "
        "returns_changed 0, national_figures_created 2, national_figures_updated 0"
    ) in text
    ret = Return.objects.get(academy__name=AHS, period__slug="2023-24-summer")
    assert ret.status == ReturnStatus.SUBMITTED and ret.submitted_by.username == "t-admin"
    assert value("1.1", AHS, "2023-24-summer").updated_by.username == "t-admin"


def test_the_command_refuses_a_missing_file_an_unknown_user_and_a_bad_state(dfe_trust, tmp_path):
    with pytest.raises(CommandError, match="No file"):
        call_command("import_dfe", str(tmp_path / "none.csv"))
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("import_dfe", str(KS4), "--user", "nobody")
    with pytest.raises(CommandError, match="invalid choice: 'approved'"):
        call_command("import_dfe", str(KS4), "--state", "approved")


def test_the_command_prints_each_problem_and_writes_nothing(dfe_trust, tmp_path):
    path = tmp_path / "ks4.csv"
    path.write_bytes(with_row(KS4, {"attainment8_average": "47.3.1"}))
    before = snapshot()
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_dfe", str(path), stdout=io.StringIO(), stderr=err)
    assert "“ks4.csv”, row 8, column attainment8_average: 1.1 Attainment 8: “47.3.1”" in (
        err.getvalue()
    )
    assert snapshot() == before


# --- The framework names each KPI's column ------------------------------------------------------


def test_the_demo_framework_maps_its_dfe_kpis_to_their_columns(trust):
    mapped = {k.code: (k.dfe_source, k.dfe_transform) for k in KPI.objects.exclude(dfe_source="")}
    assert mapped == {
        "1.1": ("attainment8_average", ""),
        "1.3": ("engmath_95_percent", ""),
        "1.4": ("engmath_94_percent", ""),
        "2.1": ("sess_overall_percent", DfeTransform.HUNDRED_MINUS),
        "2.2": ("enrolments_pa_10_exact_percent", ""),
        "2.3": ("suspension", ""),
        "2.4": ("perm_excl", ""),
    }


def test_load_framework_reads_dfe_and_dfe_transform_and_clears_them_when_absent(trust):
    from kpis.services import load_framework

    row = {"code": "2.1", "name": "Attendance > 95%", "rule": {"measure": "percentage"}}
    area = {"number": 2, "name": "Behaviour and Attitudes"}
    load_framework(data={"areas": [{**area, "kpis": [{**row, "dfe": "sess_authorised_percent"}]}]})
    kpi = KPI.objects.get(code="2.1")
    assert (kpi.dfe_source, kpi.dfe_transform) == ("sess_authorised_percent", "")
    load_framework(data={"areas": [{**area, "kpis": [row]}]})
    kpi.refresh_from_db()
    assert (kpi.dfe_source, kpi.dfe_transform) == ("", "")


def test_the_kpi_admin_edits_the_dfe_source_and_transform(client_for):
    kpi = KPI.objects.get(code="2.1")
    page = client_for("admin").get(f"/admin/kpis/kpi/{kpi.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="dfe_source" value="sess_overall_percent"' in html
    assert '<option value="100_minus" selected>' in html


def test_the_command_lists_fifty_changes_unless_asked_for_all(dfe_trust, tmp_path):
    header, rows = SUSPENSIONS.read_text(encoding="utf-8").split("\n", 1)
    row = next(r for r in rows.splitlines() if ",140001," in r).split(",")
    lines = [header]
    for year in ("202223", "202324"):
        for term in ("Autumn term", "Spring term", "Summer term"):
            for urn in URNS.values():  # 6 terms × 5 academies × 2 KPIs: 60 changes
                lines.append(",".join([year, term, *row[2:10], urn, *row[11:]]))
    path = tmp_path / "exc_school.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_dfe", str(path), "--dry-run", stdout=out)
    text = out.getvalue()
    assert text.count("\n  ") == 51  # 50 changes and the line counting the rest
    assert "\n  … and 10 more (--verbosity 2 lists them all)\n" in text
    assert "Changes: 60 value(s)" in text
    out = io.StringIO()
    call_command("import_dfe", str(path), "--dry-run", "--verbosity", "2", stdout=out)
    assert out.getvalue().count("\n  ") == 60 and "more (--verbosity" not in out.getvalue()
