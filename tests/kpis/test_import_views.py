"""The import pages: upload, preview, confirm, template and example — administrators only.

Each test checks what the database holds after the requests (see test_import.snapshot), not
only the status code.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from academies import permissions
from kpis.models import KPIValue, Period, Return, ReturnStatus, Term
from plans.models import Action
from tests.kpis.test_import import (
    AHS,
    MATRIX_HEADER,
    MS,
    entity_bomb,
    snapshot,
    stored,
    value_of,
    xlsx,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD = reverse("imports:upload")
CONFIRM = reverse("imports:confirm")
TEMPLATE = reverse("imports:template")
EXAMPLE = reverse("imports:example")
NON_ADMINISTRATORS = ["trustee", "governor", "head_a", "head_b", "exec_head", "central"]


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path) -> Path:
    """Uploads wait here between preview and confirm, never in the project's var/."""
    folder = tmp_path / "imports"
    settings.TRUSTPLAN_IMPORT_DIR = folder
    return folder


@pytest.fixture
def autumn_2024(trust) -> Period:
    return Period.objects.create(year_start=2024, term=Term.AUTUMN)


def good_workbook() -> bytes:
    return xlsx({"2024-25 Autumn": [MATRIX_HEADER, ["1.1 Attainment 8", 48, 50]]})


def bad_workbook() -> bytes:
    return xlsx(
        {
            "2024-25 Autumn": [
                MATRIX_HEADER,
                ["1.1 Attainment 8", 48, 50],
                ["2.1 Attendance > 95%", 90, "lots"],
            ]
        }
    )


def upload(client: Client, data: bytes, name: str = "trust.xlsx", **fields):
    fields.setdefault("state", ReturnStatus.SUBMITTED)
    return client.post(
        UPLOAD,
        {"file": SimpleUploadedFile(name, data, content_type=XLSX), **fields},
    )


def confirm(client: Client, token: str) -> tuple[object, list[str]]:
    """POST the confirm form, follow it back to the upload page, and read its messages."""
    response = client.post(CONFIRM, {"token": token}, follow=True)
    assert response.redirect_chain == [(UPLOAD, 302)]
    return response, [str(m) for m in get_messages(response.wsgi_request)]


def waiting_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


# --- Who may import ---------------------------------------------------------------------------


def pending_import_for(client: Client, folder: Path) -> str:
    """Put a stored upload and its token in the client's session, as an upload would."""
    folder.mkdir(parents=True, exist_ok=True)
    token = "pending-token-123"
    (folder / token).write_bytes(good_workbook())
    session = client.session
    session["import"] = {
        "token": token,
        "filename": "trust.xlsx",
        "period": None,
        "state": ReturnStatus.SUBMITTED,
    }
    session.save()
    return token


@pytest.mark.parametrize("role", NON_ADMINISTRATORS)
def test_non_administrators_get_403_on_every_import_url_and_nothing_is_written(
    client_for, autumn_2024, import_dir, role
):
    client = client_for(role)
    token = pending_import_for(client, import_dir)
    before = snapshot()

    responses = {
        ("GET", UPLOAD): client.get(UPLOAD),
        ("POST", UPLOAD): upload(client, good_workbook()),
        ("POST", CONFIRM): client.post(CONFIRM, {"token": token}),
        ("GET", TEMPLATE): client.get(TEMPLATE),
        ("GET", EXAMPLE): client.get(EXAMPLE),
    }

    assert {key: r.status_code for key, r in responses.items()} == dict.fromkeys(responses, 403)
    assert snapshot() == before
    assert waiting_files(import_dir) == [import_dir / token]  # nothing stored, nothing applied


@pytest.mark.parametrize("role", NON_ADMINISTRATORS)
def test_non_administrators_get_403_even_for_a_method_the_url_does_not_take(
    client_for, autumn_2024, role
):
    client = client_for(role)
    before = snapshot()

    responses = {
        ("GET", CONFIRM): client.get(CONFIRM),
        ("POST", TEMPLATE): client.post(TEMPLATE),
        ("POST", EXAMPLE): client.post(EXAMPLE),
    }

    # The permission check answers before the method check: a trustee learns nothing from a
    # 405, and gets 403 on every import URL whatever the method.
    assert snapshot() == before
    assert {key: r.status_code for key, r in responses.items()} == dict.fromkeys(responses, 403)


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(trust):
    client = Client()
    for url in (UPLOAD, TEMPLATE, EXAMPLE):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- Upload and preview -----------------------------------------------------------------------


def test_an_administrator_sees_the_upload_form(client_for, trust):
    response = client_for("admin").get(UPLOAD)

    assert response.status_code == 200
    assert set(response.context["form"].fields) == {"file", "period", "state"}


def test_the_preview_lists_problems_by_sheet_row_and_column_and_offers_no_confirm(
    client_for, autumn_2024, import_dir
):
    client = client_for("admin")
    before = snapshot()

    response = upload(client, bad_workbook())

    assert response.status_code == 200
    preview = response.context["preview"]
    assert [(p.sheet, p.row, p.column) for p in preview.problems] == [("2024-25 Autumn", 3, "C")]
    assert response.context["token"] == ""
    page = response.content.decode()
    assert re.search(r"<td>2024-25 Autumn</td><td>3</td><td>C</td><td>2\.1 Attendance", page)
    assert "1 problem: nothing will be imported until it is fixed" in page
    assert CONFIRM not in page
    assert "import" not in client.session
    assert waiting_files(import_dir) == []
    assert snapshot() == before


def test_an_upload_shows_what_it_would_change_and_writes_nothing_until_confirmed(
    client_for, autumn_2024, import_dir, cast
):
    client = client_for("admin")
    before = snapshot()

    response = upload(client, good_workbook())

    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.problems == [] and len(preview.creates) == 2
    token = response.context["token"]
    assert token and f'name="token" value="{token}"' in response.content.decode()
    assert "KPI values to create: <strong>2</strong>" in response.content.decode()
    assert snapshot() == before
    assert waiting_files(import_dir) == [import_dir / token]

    confirmed, messages = confirm(client, token)

    assert messages == ["Imported trust.xlsx: 2 values created, 2 returns created."]
    assert "Imported trust.xlsx: 2 values created" in confirmed.content.decode()
    assert stored("2024-25-autumn") == {("1.1", AHS): 48, ("1.1", MS): 50}
    record = value_of("1.1", AHS, "2024-25-autumn").history.get()
    assert (record.history_change_reason, record.history_user) == (
        "Imported from trust.xlsx",
        cast["admin"],
    )
    assert waiting_files(import_dir) == []
    assert "import" not in client.session


def test_the_period_chosen_on_upload_and_the_draft_state_are_used_on_confirm(
    client_for, autumn_2024
):
    client = client_for("admin")
    data = xlsx({"KPIs": [MATRIX_HEADER, ["1.1 Attainment 8", 48]]})

    response = upload(client, data, period=autumn_2024.pk, state=ReturnStatus.DRAFT)
    confirm(client, response.context["token"])

    assert stored("2024-25-autumn") == {("1.1", AHS): 48}
    assert Return.objects.get(period=autumn_2024).status == ReturnStatus.DRAFT


def test_a_file_that_matches_the_database_offers_nothing_to_import(client_for, autumn_2024):
    client = client_for("admin")
    confirm(client, upload(client, good_workbook()).context["token"])

    response = upload(client, good_workbook())

    assert response.context["token"] == ""
    assert "Nothing to import: the file matches what is already here." in (
        response.content.decode()
    )


def test_a_file_over_the_size_limit_is_refused_by_the_form(client_for, autumn_2024, settings):
    settings.TRUSTPLAN_IMPORT_MAX_BYTES = 1_000_000
    before = snapshot()

    response = upload(client_for("admin"), b"KPI,Academy\n" + b"x" * 1_200_000, "big.csv")

    assert response.status_code == 400
    assert "the most this installation accepts is 1 MB" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "trust.xlsx", "is named .xlsx but is not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "trust.xlsx", "password-protected"),
        (None, "trust.xlsx", "not a valid .xlsx workbook"),
        ("bomb", "trust.xlsx", "refused as a possible XML bomb"),
    ],
)
def test_files_refused_as_a_whole_show_their_message_never_a_server_error(
    client_for, autumn_2024, import_dir, data, name, message
):
    if data is None:
        whole = good_workbook()
        data = whole[: len(whole) // 2]
    elif data == "bomb":
        data = entity_bomb()
    before = snapshot()

    response = upload(client_for("admin"), data, name)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["token"] == ""
    assert snapshot() == before
    assert waiting_files(import_dir) == []


def test_an_undecodable_csv_upload_shows_a_message_never_a_server_error(client_for, autumn_2024):
    client = client_for("admin")
    client.raise_request_exception = False
    before = snapshot()

    response = upload(client, b"KPI,Academy,Period,Value\n1.1,\x81\x8d\x90,x,48\n", "values.csv")

    # Fixed bug: a .csv that is neither UTF-8 nor Windows-1252 (bytes 0x81, 0x8D, 0x90) makes
    # core.workbook._csv_sheet raise UnboundLocalError, so the upload page answers 500.
    assert response.status_code == 200
    assert snapshot() == before


# --- Confirming -------------------------------------------------------------------------------


def test_a_stale_or_made_up_token_is_refused_with_a_message_and_writes_nothing(
    client_for, autumn_2024, import_dir
):
    client = client_for("admin")
    token = upload(client, good_workbook()).context["token"]
    before = snapshot()

    for wrong in ("made-up-token", "", "../../etc/passwd", token + "x"):
        _, messages = confirm(client, wrong)
        assert messages == ["That import is no longer waiting: upload the file again."]

    assert snapshot() == before
    assert waiting_files(import_dir) == [import_dir / token]


def test_a_token_cannot_be_confirmed_twice(client_for, autumn_2024):
    client = client_for("admin")
    token = upload(client, good_workbook()).context["token"]
    confirm(client, token)
    after_first = snapshot()

    _, messages = confirm(client, token)

    assert messages == ["That import is no longer waiting: upload the file again."]
    assert snapshot() == after_first


def test_another_administrators_token_is_refused(client_for, autumn_2024, import_dir):
    first = client_for("admin")
    token = upload(first, good_workbook()).context["token"]
    other_admin = get_user_model().objects.create_user(
        "t-admin-2", password="a-long-test-password-1", is_superuser=True, is_staff=True
    )
    other_admin.groups.add(permissions.ensure_role_groups()[permissions.ADMINISTRATOR])
    second = Client()
    second.force_login(other_admin)
    before = snapshot()

    _, refused = confirm(second, token)
    own = upload(second, xlsx({"2024-25 Autumn": [MATRIX_HEADER, ["2.1", 90]]}))
    _, also_refused = confirm(second, token)  # while a file of their own is waiting

    assert own.context["token"] and own.context["token"] != token
    for messages in (refused, also_refused):
        assert messages == ["That import is no longer waiting: upload the file again."]
    assert snapshot() == before
    assert import_dir / token in waiting_files(import_dir)


def test_confirming_after_the_data_changed_writes_nothing(client_for, trust):
    from demo.values import generate_demo_values

    generate_demo_values()
    summer = "2023-24-summer"
    old = value_of("2.1", AHS, summer)
    data = xlsx({"2023-24 Summer": [MATRIX_HEADER, ["2.1 Attendance > 95%", 50]]})
    client = client_for("admin")
    token = upload(client, data).context["token"]
    assert token
    Return.objects.filter(academy__name=AHS, period__slug=summer).update(
        status=ReturnStatus.APPROVED
    )
    before = snapshot()

    _, messages = confirm(client, token)

    assert messages == [
        "The data changed since the preview and the file no longer imports cleanly; nothing "
        "was written. Upload it again to see why.",
        # and the first problems themselves
        "Sheet “2023-24 Summer”, row 2, column B: Aldersley High School's return for 2023/24 "
        "Summer is approved: central team must reopen it before an import can change it",
    ]
    assert snapshot() == before
    assert value_of("2.1", AHS, summer).value == old.value


def test_confirm_only_takes_post(client_for, trust):
    assert client_for("admin").get(CONFIRM).status_code == 405


# --- Template and example ---------------------------------------------------------------------


def test_the_template_downloads_as_a_workbook_for_administrators(client_for, trust):
    from demo.values import generate_demo_values

    generate_demo_values()
    response = client_for("admin").get(TEMPLATE)

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == 'attachment; filename="trustplan-template.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["2023-24 Summer", "Values", "Plan", "Inspections", "Instructions"]


def test_the_example_downloads_and_imports_into_the_loaded_trust_with_no_plan_changes(
    client_for, trust
):
    client = client_for("admin")
    response = client.get(EXAMPLE)

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "trustplan-example-amethyst.xlsx" in response["Content-Disposition"]
    before = snapshot()

    preview = upload(client, response.content, "trustplan-example-amethyst.xlsx").context["preview"]

    assert preview.problems == []
    assert preview.plan.counts["actions_unchanged"] == Action.objects.count() == 52
    assert not preview.has_changes
    assert snapshot() == before
    assert KPIValue.objects.count() == 0
