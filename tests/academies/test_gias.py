"""GIAS import (academies.gias, manage.py import_gias, /import/gias/): the trust's academies from
the DfE's establishment fields file, in the layout the DfE publishes (Windows-1252, every field
quoted, dates dd-mm-yyyy), with rows of the trust, of other trusts and of no trust.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from academies.gias import GiasConflict, apply_gias, column_letter, prepare_gias
from academies.models import Academy, Phase
from kpis.cache import board_version
from tests.academies.gias_files import (
    HEADER,
    LINKS_HEADER,
    gias_bytes,
    link,
    school,
    write_gias,
)

TRUST = "AMETHYST ACADEMIES TRUST"  # as GIAS spells it; the setting says "Amethyst Academies Trust"
OTHER = "BLACK COUNTRY LEARNING TRUST"
UPLOAD = reverse("imports:gias_upload")
CONFIRM = reverse("imports:gias_confirm")
CANCEL = reverse("imports:gias_cancel")
NON_ADMINISTRATORS = ["trustee", "governor", "head_a", "head_b", "exec_head", "central"]
OPEN_DATE = HEADER.index("OpenDate")


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path) -> Path:
    """Uploads wait here between preview and confirm, never in the project's var/."""
    folder = tmp_path / "imports"
    settings.TRUSTPLAN_IMPORT_DIR = folder
    return folder


def trust_rows() -> list[dict[str, str]]:
    """The demo trust's five academies as GIAS lists them, a new primary with a curly
    apostrophe, a new special free school, a closed academy; other trusts' schools (one with the
    name of a trust academy) and a school in no trust."""
    return [
        school("100001", "Bushbury Community Primary", kind="Community school", phase="Primary"),
        school("138001", "Aldersley High School", trust=TRUST, pupils="1084", opened="01-04-2012"),
        school("100500", "Moreton School", trust=OTHER, pupils="480"),
        school("138002", "MORETON SCHOOL", trust=TRUST, kind="Academy sponsor led", pupils="912"),
        school(
            "138003",
            "Amethyst Sixth Form",
            trust=TRUST,
            kind="Academy 16-19 converter",
            phase="16 plus",
            pupils="330",
        ),
        school(
            "138004",
            "Penn Hall School",
            trust=TRUST,
            kind="Academy special converter",
            phase="Not applicable",
            pupils="150",
        ),
        school(
            "138005",
            "Tettenhall Wood School",
            trust=TRUST,
            kind="Academy special sponsor led",
            phase="Not applicable",
            pupils="",  # blank: trustplan keeps its number
        ),
        school(
            "150001",
            "St Mary’s C of E Primary",
            trust=TRUST,
            phase="Primary",
            pupils="210",
            opened="01-04-2024",
        ),
        school(
            "150002",
            "Ståhl House School",
            trust=TRUST.title(),  # another case: still the trust
            kind="Free schools special",
            phase="Not applicable",
            pupils="64",
            opened="01-09-2025",
        ),
        school(
            "126001",
            "Old Park Academy",
            trust=TRUST,
            status="Closed",
            closed="31-08-2019",
            opened="01-09-2011",
        ),
        school("100777", "Wednesfield Academy", trust=OTHER, phase="Secondary", pupils="1200"),
    ]


def prepare(data: bytes, name: str = "edubasealldata20260105.csv", trust: str | None = TRUST):
    return prepare_gias(io.BytesIO(data), name, trust_name=trust)


def academies() -> dict[str, tuple]:
    """Every academy's GIAS fields, by name."""
    return {
        a.name: (a.urn, a.phase, a.pupils_on_roll, a.open_date, a.establishment_type, a.is_active)
        for a in Academy.objects.all()
    }


# --- Reading and comparing ---------------------------------------------------------------


def test_the_trusts_rows_set_up_its_academies_and_other_trusts_are_ignored(trust):
    preview = prepare(gias_bytes(trust_rows()))
    assert preview.ok, preview.all_problems()
    assert (preview.rows_read, preview.trust_rows, preview.other_rows) == (11, 8, 3)
    assert [new.academy.name for new in preview.creates] == [
        "St Mary’s C of E Primary",
        "Ståhl House School",
    ]
    assert {u.academy.name: u.matched_by for u in preview.updates} == {
        "Aldersley High School": "name",
        "Moreton School": "name",
        "Amethyst Sixth Form": "name",
        "Penn Hall School": "name",
        "Tettenhall Wood School": "name",
    }
    aldersley = next(u for u in preview.updates if u.academy.name == "Aldersley High School")
    assert [(c.label, c.old_shown, c.new_shown) for c in aldersley.changes] == [
        ("URN", "—", "138001"),
        ("Pupils on roll", "1050", "1084"),
        ("Opened", "—", "01-04-2012"),
        ("Type", "—", "Academy converter"),
    ]
    assert [(c.school.name, c.academy) for c in preview.closed] == [("Old Park Academy", None)]
    assert preview.not_listed == []

    counts = apply_gias(preview)

    assert counts == {"academies_created": 2, "academies_updated": 5}
    after = academies()
    assert after["Aldersley High School"] == (
        "138001",
        Phase.SECONDARY,
        1084,
        date(2012, 4, 1),
        "Academy converter",
        True,
    )
    assert after["Moreton School"][:3] == ("138002", Phase.SECONDARY, 912)  # not the other trust's
    assert after["Amethyst Sixth Form"][:2] == ("138003", Phase.SIXTH_FORM)
    assert after["Penn Hall School"][:2] == ("138004", Phase.SPECIAL)
    assert after["Tettenhall Wood School"][:3] == ("138005", Phase.SPECIAL, 180)  # kept
    assert after["St Mary’s C of E Primary"] == (
        "150001",
        Phase.PRIMARY,
        210,
        date(2024, 4, 1),
        "Academy converter",
        True,
    )
    assert after["Ståhl House School"][:3] == ("150002", Phase.SPECIAL, 64)
    assert "Old Park Academy" not in after  # closed: listed, never created
    assert "Wednesfield Academy" not in after and "Bushbury Community Primary" not in after
    new = Academy.objects.get(urn="150001")
    assert (new.short_name, new.slug) == ("SMCEP", "st-marys-c-of-e-primary")
    assert new.position > Academy.objects.get(urn="138005").position


def test_importing_the_same_file_again_changes_nothing(trust):
    data = gias_bytes(trust_rows())
    apply_gias(prepare(data))
    before = academies()
    again = prepare(data)
    assert again.ok and not again.has_changes
    assert len(again.unchanged) == 7
    assert apply_gias(again) == {"academies_created": 0, "academies_updated": 0}
    assert academies() == before


def test_the_trust_defaults_to_the_setting_in_any_case(trust, settings):
    settings.TRUST_NAME = "Amethyst Academies Trust"
    preview = prepare(gias_bytes(trust_rows()), trust=None)
    assert preview.trust_name == "Amethyst Academies Trust"
    assert preview.trust_rows == 8 and preview.ok


def test_an_academy_with_a_urn_is_matched_by_urn_and_keeps_its_own_name(trust):
    Academy.objects.filter(name="Aldersley High School").update(urn="138001")
    rows = [school("138001", "Aldersley High School – An Amethyst Academy", trust=TRUST)]
    preview = prepare(gias_bytes(rows))
    assert [(u.academy.name, u.matched_by) for u in preview.updates] == [
        ("Aldersley High School", "URN")
    ]
    assert preview.creates == []
    apply_gias(preview)
    assert Academy.objects.filter(urn="138001").get().name == "Aldersley High School"


def test_a_blank_urn_is_matched_by_name_in_any_case_and_either_apostrophe(trust):
    Academy.objects.create(
        name="St Mary's C of E Primary", short_name="SMP", slug="st-marys", phase=Phase.PRIMARY
    )
    rows = [school("150001", "ST MARY’S  C OF E PRIMARY", trust=TRUST, phase="Primary")]
    preview = prepare(gias_bytes(rows))
    assert [(u.academy.short_name, u.matched_by) for u in preview.updates] == [("SMP", "name")]
    assert preview.creates == []
    apply_gias(preview)
    assert Academy.objects.get(short_name="SMP").urn == "150001"


def test_a_closed_academy_is_reported_and_never_deleted_or_deactivated(trust):
    Academy.objects.filter(name="Penn Hall School").update(urn="126004")
    rows = [
        *trust_rows(),
        school(
            "126004",
            "Penn Hall School",
            trust=TRUST,
            status="Closed",
            closed="31-03-2020",
            kind="Academy special converter",
            phase="Not applicable",
        ),
    ]
    rows = [r for r in rows if r["URN"] != "138004"]  # no successor: Penn Hall has closed
    preview = prepare(gias_bytes(rows))
    assert preview.ok, preview.all_problems()
    closed = {c.school.name: c.academy for c in preview.closed}
    assert closed["Penn Hall School"].name == "Penn Hall School"
    assert "Penn Hall School" not in [u.academy.name for u in preview.updates]
    apply_gias(preview)
    penn = Academy.objects.get(name="Penn Hall School")
    assert (penn.urn, penn.is_active) == ("126004", True)


def test_an_academy_whose_urn_closed_takes_the_urn_of_its_open_successor(trust):
    """A school re-opened under a new URN (e.g. on changing type): GIAS closes the old URN."""
    Academy.objects.filter(name="Penn Hall School").update(urn="126004")
    rows = [
        *trust_rows(),
        school("126004", "Penn Hall School", status="Closed", closed="31-08-2023"),
    ]
    preview = prepare(gias_bytes(rows))
    assert preview.ok, preview.all_problems()
    penn = next(u for u in preview.updates if u.academy.name == "Penn Hall School")
    assert penn.matched_by == "name (successor)"
    assert [(c.label, c.old, c.new) for c in penn.changes][0] == ("URN", "126004", "138004")
    apply_gias(preview)
    assert Academy.objects.get(name="Penn Hall School").urn == "138004"


def test_an_academy_the_file_lists_under_another_trust_is_reported_not_changed(trust):
    Academy.objects.filter(name="Moreton School").update(urn="100500")  # OTHER's school
    rows = [r for r in trust_rows() if r["EstablishmentName"] != "MORETON SCHOOL"]
    preview = prepare(gias_bytes(rows))
    assert preview.ok, preview.all_problems()
    assert [(m.academy.name, m.elsewhere) for m in preview.not_listed] == [
        ("Moreton School", f"GIAS lists URN 100500 under “{OTHER}”")
    ]
    apply_gias(preview)
    assert Academy.objects.get(name="Moreton School").pupils_on_roll == 900


def test_a_school_of_the_trust_with_the_name_of_an_academy_with_another_urn_is_a_problem(trust):
    Academy.objects.filter(name="Moreton School").update(urn="100999")
    preview = prepare(gias_bytes(trust_rows()))
    assert [str(p) for p in preview.problems] == [
        "Row 5, column A (URN): trustplan's “Moreton School” has URN 100999, but this school of "
        "the same name has URN 138002: correct the URN in trustplan (Django admin → Academies), "
        "or rename the academy there, then import again"
    ]


def test_a_school_proposed_to_open_is_listed_not_created(trust):
    rows = [school("151000", "Amethyst Free School", trust=TRUST, status="Proposed to open")]
    preview = prepare(gias_bytes(rows))
    assert [s.name for s in preview.proposed] == ["Amethyst Free School"]
    assert preview.creates == [] and not preview.has_changes


@pytest.mark.parametrize(
    ("kind", "phase", "expected"),
    [
        ("Academy converter", "Primary", Phase.PRIMARY),
        ("Academy converter", "Middle deemed secondary", Phase.SECONDARY),
        ("Academy sponsor led", "All-through", Phase.ALL_THROUGH),
        ("Academy special sponsor led", "Not applicable", Phase.SPECIAL),
        ("Academy special converter", "Not applicable", Phase.SPECIAL),
        ("Free schools special", "Not applicable", Phase.SPECIAL),
        ("Academy alternative provision converter", "Not applicable", Phase.ALTERNATIVE),
        ("Academy 16 to 19 sponsor led", "16 plus", Phase.SIXTH_FORM),
        ("Free schools", "16 plus", Phase.SIXTH_FORM),
    ],
)
def test_phase_and_type_map_to_trustplans_phases(trust, kind, phase, expected):
    preview = prepare(
        gias_bytes([school("150100", "New Academy", trust=TRUST, kind=kind, phase=phase)])
    )
    assert preview.ok, preview.all_problems()
    assert preview.creates[0].academy.phase == expected


@pytest.mark.parametrize(
    ("kind", "phase", "message"),
    [
        ("Academy converter", "Nursery", "“Nursery” is not a phase trustplan has"),
        ("Academy converter", "Not applicable", "phase “Not applicable” for a school of type"),
    ],
)
def test_a_phase_trustplan_cannot_map_is_a_problem_naming_row_and_column(
    trust, kind, phase, message
):
    rows = [*trust_rows(), school("150100", "New Academy", trust=TRUST, kind=kind, phase=phase)]
    preview = prepare(gias_bytes(rows))
    assert len(preview.problems) == 1
    problem = preview.problems[0]
    assert (problem.row, problem.column, problem.letter) == (13, "PhaseOfEducation (name)", "S")
    assert message in problem.message


# --- Refusals: nothing is written --------------------------------------------------------


def test_a_bad_date_is_a_problem_naming_row_and_column_and_nothing_is_written(trust, tmp_path):
    rows = trust_rows()
    rows[7]["OpenDate"] = "2024-04-01"  # St Mary's: ISO, not dd-mm-yyyy
    rows[8]["OpenDate"] = "31-02-2025"
    path = write_gias(tmp_path / "edubasealldata20260105.csv", rows)
    before = academies()
    with pytest.raises(CommandError, match="2 problem"):
        call_command(
            "import_gias",
            str(path),
            "--trust",
            TRUST,
            stdout=io.StringIO(),
            stderr=(err := io.StringIO()),
        )
    letter = column_letter(OPEN_DATE)
    assert err.getvalue().splitlines() == [
        f"Row 9, column {letter} (OpenDate): “2024-04-01” is not a date as GIAS writes them "
        "(dd-mm-yyyy, e.g. 01-09-2021)",
        f"Row 10, column {letter} (OpenDate): “31-02-2025” is not a real date (dd-mm-yyyy)",
    ]
    assert academies() == before


def test_rows_are_numbered_as_a_spreadsheet_numbers_them_across_quoted_line_breaks(trust):
    rows = trust_rows()
    rows[0]["Street"] = "Bushbury Lane\r\nLow Hill"  # a quoted field over two lines
    rows[1]["NumberOfPupils"] = "lots"
    problems = prepare(gias_bytes(rows)).problems
    assert [(p.row, p.column) for p in problems] == [(3, "NumberOfPupils")]


def test_a_problem_anywhere_in_the_trusts_rows_blocks_the_whole_import(trust):
    rows = trust_rows()
    rows[-2]["EstablishmentStatus (name)"] = "Dormant"
    preview = prepare(gias_bytes(rows))
    assert [(p.row, p.column) for p in preview.problems] == [(11, "EstablishmentStatus (name)")]
    with pytest.raises(ValueError):
        apply_gias(preview)
    assert Academy.objects.filter(urn__gt="").count() == 0


def test_a_problem_in_another_trusts_row_is_not_the_trusts_concern(trust):
    rows = trust_rows()
    rows[2]["OpenDate"] = "not a date"  # OTHER's Moreton School
    assert prepare(gias_bytes(rows)).ok


def test_a_file_that_is_not_gias_is_refused_with_a_clear_message(trust):
    ees = (
        b"time_period,time_identifier,geographic_level,school_urn,suspension\r\n"
        b"202324,Autumn term,School,138001,4\r\n"
    )
    preview = prepare(ees, "exclusions.csv")
    assert [str(p) for p in preview.problems] == [
        "This is not a GIAS establishment file: its first row has no URN and EstablishmentName "
        "columns (it starts “time_period”, “time_identifier”, “geographic_level”, “school_urn”, "
        "“suspension”). To set up the academies, download the “Establishment fields” CSV from "
        "get-information-schools.service.gov.uk → Downloads."
    ]


def test_a_file_missing_columns_trustplan_reads_is_refused_naming_them(trust):
    header = [h for h in HEADER if h not in ("NumberOfPupils", "Trusts (name)")]
    preview = prepare(gias_bytes(trust_rows(), header=header))
    assert len(preview.problems) == 1
    message = str(preview.problems[0])
    assert message.startswith(
        "Row 1 (the header) lacks the columns “NumberOfPupils”, “Trusts (name)”, which trustplan "
        "reads"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04 zipped", "The file is a zip archive (GIAS downloads arrive as Results.zip)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 xls", "The file is an Excel workbook"),
        (b'"URN","EstablishmentName"\x00\x00', "The file contains binary data"),
        (
            b'"URN","EstablishmentName"\r\n"1","\x81\x8d\xc3"\r\n',
            "The file is not text in Windows-1252",
        ),
    ],
)
def test_a_file_that_is_not_windows_1252_or_utf8_text_is_refused(trust, data, message):
    problems = prepare(data).problems
    assert len(problems) == 1 and str(problems[0]).startswith(message)


def test_a_file_above_the_size_limit_is_refused(trust, settings):
    settings.TRUSTPLAN_GIAS_MAX_BYTES = 1_000_000
    data = gias_bytes(trust_rows() * 300)
    assert len(data) > 1_000_000
    assert [str(p) for p in prepare(data).problems] == [
        f"The file is {len(data) / 1_000_000:.1f} MB; the most this installation accepts is 1 MB."
    ]


def test_a_file_above_the_row_limit_is_refused(trust, settings):
    settings.TRUSTPLAN_IMPORT_MAX_ROWS = 5
    problems = prepare(gias_bytes(trust_rows())).problems
    assert [str(p) for p in problems] == [
        "The file has more than 5 rows, the most this installation imports at once."
    ]


def test_a_file_cut_short_is_a_problem_on_its_last_row(trust):
    data = gias_bytes(trust_rows())
    cut = data[: data.rindex(b'"Wolverhampton"')]  # the last row loses its last columns
    problems = prepare(cut).problems
    assert [p.row for p in problems] == [12]
    assert "the file may be cut short or damaged" in problems[0].message


def test_no_row_of_the_trust_says_so_and_suggests_the_closest_trust_name(trust):
    problems = prepare(gias_bytes(trust_rows()), trust="Amethyst Academy Trust").problems
    assert len(problems) == 1
    assert "No school in the file belongs to “Amethyst Academy Trust”" in str(problems[0])
    assert f"Did you mean “{TRUST}”?" in str(problems[0])


def test_a_utf8_file_with_its_byte_order_mark_is_read_too(trust):
    data = b"\xef\xbb\xbf" + gias_bytes(trust_rows(), encoding="utf-8")
    preview = prepare(data)
    assert preview.ok, preview.all_problems()
    assert [n.academy.name for n in preview.creates] == [
        "St Mary’s C of E Primary",
        "Ståhl House School",
    ]


def test_a_duplicate_urn_is_a_problem_naming_the_first_row(trust):
    rows = [*trust_rows(), school("138001", "Aldersley High School", trust=TRUST)]
    assert [str(p) for p in prepare(gias_bytes(rows)).problems] == [
        "Row 13, column A (URN): URN 138001 is also on row 3"
    ]


# --- Apply: all or nothing, stale previews refused ---------------------------------------


def test_a_preview_is_refused_once_the_academies_changed(trust):
    preview = prepare(gias_bytes(trust_rows()))
    Academy.objects.filter(name="Moreton School").update(pupils_on_roll=901)
    with pytest.raises(GiasConflict, match="The academies changed since the preview"):
        apply_gias(preview)
    assert Academy.objects.filter(urn__gt="").count() == 0
    assert not Academy.objects.filter(name="St Mary’s C of E Primary").exists()


def test_an_import_tells_the_board_cache_the_academies_changed(trust):
    before = board_version()
    apply_gias(prepare(gias_bytes(trust_rows())))
    assert board_version() != before


def test_the_links_file_gives_the_date_each_academy_joined_the_trust(trust):
    Academy.objects.filter(name="Aldersley High School").update(urn="138001")
    Academy.objects.filter(name="Moreton School").update(urn="138002")
    rows = [
        link("138001", "Aldersley High School", TRUST, "01-04-2012"),
        link("138002", "Moreton School", TRUST.lower(), "01/09/2016"),
        link(
            "138002", "Moreton School", TRUST, "01-09-2010", kind="School sponsor"
        ),  # not the trust
        link("150001", "St Mary’s C of E Primary", TRUST, "01-04-2024"),
        link("100500", "Moreton School", OTHER, "01-09-2015"),
    ]
    preview = prepare(gias_bytes(rows, header=LINKS_HEADER), "links_academies.csv")
    assert preview.ok, preview.all_problems()
    assert preview.kind == "links"
    assert [s.urn for s in preview.not_in_trustplan] == ["150001"]
    apply_gias(preview)
    joined = dict(Academy.objects.filter(urn__gt="").values_list("name", "joined_trust"))
    assert joined == {
        "Aldersley High School": date(2012, 4, 1),
        "Moreton School": date(2016, 9, 1),
    }


def test_dry_run_writes_nothing_and_says_what_would_change(trust, tmp_path):
    path = write_gias(tmp_path / "edubasealldata20260105.csv", trust_rows())
    before = academies()
    out = io.StringIO()
    call_command("import_gias", str(path), "--trust", TRUST, "--dry-run", stdout=out)
    text = out.getvalue()
    assert academies() == before
    assert "11 rows, 8 of “AMETHYST ACADEMIES TRUST”, 3 of other trusts or none ignored" in text
    assert "Create: St Mary’s C of E Primary (URN 150001, Primary, 210 pupils" in text
    assert (
        "Update: Aldersley High School (by name): URN — → 138001; Pupils on roll 1050 → 1084"
        in text
    )
    assert "Closed in GIAS on 31-08-2019: Old Park Academy (URN 126001, row 11)" in text
    assert text.rstrip().endswith("Dry run: nothing was written.")


def test_the_command_imports_and_says_what_it_did(trust, tmp_path):
    path = write_gias(tmp_path / "edubasealldata20260105.csv", trust_rows())
    out = io.StringIO()
    call_command("import_gias", str(path), "--trust", TRUST, stdout=out)
    assert "Imported: 2 academies created, 5 updated." in out.getvalue()
    assert Academy.objects.filter(urn__gt="").count() == 7


def test_the_command_names_a_missing_file(trust, tmp_path):
    with pytest.raises(CommandError, match="No file"):
        call_command("import_gias", str(tmp_path / "nothing.csv"))


# --- The import page ---------------------------------------------------------------------


def post_file(client, data: bytes, name: str = "edubasealldata20260105.csv", trust: str = TRUST):
    return client.post(
        UPLOAD, {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "trust": trust}
    )


def token_of(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert match, "no confirm form"
    return match.group(1)


def test_the_page_previews_then_confirm_applies(client_for, trust, import_dir):
    client = client_for("admin")
    page = client.get(UPLOAD)
    assert page.status_code == 200
    assert "Amethyst Academies Trust" in page.content.decode()  # the trust field's default
    response = post_file(client, gias_bytes(trust_rows()))
    html = response.content.decode()
    assert response.status_code == 200
    assert "GIAS import preview: edubasealldata20260105.csv" in html
    assert "St Mary’s C of E Primary" in html and "SMCEP" in html  # to create
    assert "Pupils on roll</td><td>1050</td><td>1084" in html  # old → new
    assert "Old Park Academy" in html and "31-08-2019" in html  # closed
    assert Academy.objects.filter(urn__gt="").count() == 0  # nothing yet
    token = token_of(response)
    assert (import_dir / token).is_file()

    done = client.post(CONFIRM, {"token": token})

    assert done.status_code == 302
    assert [str(m) for m in get_messages(done.wsgi_request)] == [
        "Imported edubasealldata20260105.csv: 2 academies created, 5 updated."
    ]
    assert Academy.objects.filter(urn__gt="").count() == 7
    assert not (import_dir / token).exists()


def test_the_page_shows_problems_by_row_and_column_and_offers_no_confirm(client_for, trust):
    rows = trust_rows()
    rows[1]["OpenDate"] = "1st April 2012"
    response = post_file(client_for("admin"), gias_bytes(rows))
    html = response.content.decode()
    assert "1 problem: nothing will be imported" in html
    assert "<td>3</td><td>N (OpenDate)</td>" in html
    assert 'name="token"' not in html


def test_a_stale_preview_is_refused_at_confirm(client_for, trust):
    client = client_for("admin")
    token = token_of(post_file(client, gias_bytes(trust_rows())))
    Academy.objects.filter(name="Penn Hall School").update(pupils_on_roll=141)
    response = client.post(CONFIRM, {"token": token})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)][0].startswith(
        "The academies changed since the preview"
    )
    assert Academy.objects.filter(urn__gt="").count() == 0
    again = client.post(CONFIRM, {"token": token})  # gone once refused
    assert "no longer waiting" in str(list(get_messages(again.wsgi_request))[-1])


def test_cancel_discards_the_upload(client_for, trust, import_dir):
    client = client_for("admin")
    token = token_of(post_file(client, gias_bytes(trust_rows())))
    response = client.post(CANCEL, {"token": token})
    assert response.status_code == 302
    assert not (import_dir / token).exists()
    assert client.post(CONFIRM, {"token": token}).status_code == 302
    assert Academy.objects.filter(urn__gt="").count() == 0


def test_an_oversized_upload_is_refused_by_the_form(client_for, trust, settings):
    settings.TRUSTPLAN_GIAS_MAX_BYTES = 100
    response = post_file(client_for("admin"), gias_bytes(trust_rows()))
    assert response.status_code == 400
    assert "the most this installation accepts is 0 MB" in response.content.decode()


@pytest.mark.parametrize("role", NON_ADMINISTRATORS)
def test_only_administrators_import_from_gias(client_for, trust, role):
    client = client_for(role)
    assert client.get(UPLOAD).status_code == 403
    assert post_file(client, gias_bytes(trust_rows())).status_code == 403
    assert client.post(CONFIRM, {"token": "x" * 20}).status_code == 403
    assert Academy.objects.filter(urn__gt="").count() == 0


def test_anonymous_users_are_sent_to_sign_in(client, trust):
    response = client.get(UPLOAD)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_get_on_confirm_is_not_allowed(client_for, trust):
    assert client_for("admin").get(CONFIRM).status_code == 405


def test_the_page_reads_the_links_file_for_join_dates(client_for, trust):
    Academy.objects.filter(name="Aldersley High School").update(urn="138001")
    rows = [link("138001", "Aldersley High School", TRUST, "01-04-2012")]
    client = client_for("admin")
    response = post_file(client, gias_bytes(rows, header=LINKS_HEADER), "links.csv")
    html = response.content.decode()
    assert "Read as the GIAS academies links file" in html
    assert "Joined the trust</td><td>—</td><td>01-04-2012" in html
    client.post(CONFIRM, {"token": token_of(response)})
    assert Academy.objects.get(urn="138001").joined_trust == date(2012, 4, 1)
