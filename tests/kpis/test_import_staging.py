"""Uploaded workbooks waiting for confirmation do not stay in TRUSTPLAN_IMPORT_DIR for ever.

A staged file goes when its import is confirmed, cancelled, refused at confirm, or replaced by
a new upload in the same session; the rest expire after TRUSTPLAN_IMPORT_STAGED_HOURS, removed
at the next upload or by ``manage.py purge_staged_imports``. Another administrator's fresh file
is never touched. Before, every previewed file stayed for ever.
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from academies import permissions
from academies.models import Academy
from kpis.models import Period, Return, ReturnStatus, Term
from tests.kpis.test_import import AHS, MATRIX_HEADER, NEW_OBJECTIVE, plan_sheet, snapshot, xlsx

UPLOAD = "/import/"
CONFIRM = "/import/confirm/"
CANCEL = "/import/cancel/"
HOUR = 60 * 60


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path) -> Path:
    folder = tmp_path / "imports"
    settings.TRUSTPLAN_IMPORT_DIR = folder
    return folder


@pytest.fixture
def autumn_2024(trust) -> Period:
    return Period.objects.create(year_start=2024, term=Term.AUTUMN)


def workbook(value: int = 48) -> bytes:
    return xlsx({"2024-25 Autumn": [MATRIX_HEADER, ["1.1 Attainment 8", value, 50]]})


def upload(client: Client, data: bytes | None = None) -> str:
    """Upload a workbook that previews cleanly; its staged token."""
    response = client.post(
        UPLOAD,
        {"file": SimpleUploadedFile("trust.xlsx", data or workbook()), "state": "submitted"},
    )
    assert response.status_code == 200
    token = response.context["token"]
    assert token, [str(p) for p in response.context["preview"].problems]
    return token


def staged(folder: Path) -> list[str]:
    """Names of the files waiting, in the folder and its subfolders."""
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def age(path: Path, hours: float) -> None:
    then = time.time() - hours * HOUR
    os.utime(path, (then, then))


def a_stale_file(folder: Path, name: str = "stale-upload-0123456789abcdef", hours: float = 25):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(workbook())
    age(path, hours)
    return path


def second_admin() -> Client:
    user = get_user_model().objects.create_user(
        "t-admin-2", password="a-long-test-password-1", is_superuser=True, is_staff=True
    )
    user.groups.add(permissions.ensure_role_groups()[permissions.ADMINISTRATOR])
    client = Client()
    client.force_login(user)
    return client


def test_the_default_expiry_is_a_day():
    from trustplan import settings as project_settings

    assert project_settings.TRUSTPLAN_IMPORT_STAGED_HOURS == 24


# --- Confirmed, cancelled, refused, replaced --------------------------------------------------


def test_confirming_removes_the_staged_file(client_for, autumn_2024, import_dir):
    client = client_for("admin")
    token = upload(client)
    assert staged(import_dir) == [token]

    response = client.post(CONFIRM, {"token": token}, follow=True)

    assert "Imported trust.xlsx" in " ".join(messages_of(response))
    assert staged(import_dir) == []


def test_confirming_a_plan_sheet_removes_its_staged_file(client_for, trust, import_dir):
    client = client_for("admin")
    token = upload(client, xlsx(plan_sheet(*NEW_OBJECTIVE)))

    client.post(CONFIRM, {"token": token})

    assert trust.objectives.filter(number=4).exists()
    assert staged(import_dir) == []


def test_the_preview_offers_a_cancel_button_that_posts(client_for, autumn_2024):
    client = client_for("admin")
    response = client.post(
        UPLOAD, {"file": SimpleUploadedFile("trust.xlsx", workbook()), "state": "submitted"}
    )
    page = response.content.decode()
    assert f'<form method="post" action="{CANCEL}"' in page
    assert f'name="token" value="{response.context["token"]}"' in page
    assert reverse("imports:cancel") == CANCEL


def test_cancelling_removes_the_staged_file_and_writes_nothing(client_for, autumn_2024, import_dir):
    client = client_for("admin")
    token = upload(client)
    before = snapshot()

    response = client.post(CANCEL, {"token": token}, follow=True)

    assert response.redirect_chain == [(UPLOAD, 302)]
    assert messages_of(response) == ["Import of trust.xlsx cancelled: nothing was written."]
    assert staged(import_dir) == []
    assert "import" not in client.session
    assert snapshot() == before
    confirmed = client.post(CONFIRM, {"token": token}, follow=True)
    assert messages_of(confirmed) == ["That import is no longer waiting: upload the file again."]
    assert snapshot() == before


def test_cancel_only_takes_post_from_an_administrator(client_for, autumn_2024, import_dir):
    client = client_for("admin")
    token = upload(client)
    assert client.get(CANCEL).status_code == 405
    central = client_for("central")
    assert central.post(CANCEL, {"token": token}).status_code == 403
    assert staged(import_dir) == [token]


def test_another_administrators_cancel_does_not_remove_the_file(
    client_for, autumn_2024, import_dir
):
    token = upload(client_for("admin"))
    other = second_admin()

    response = other.post(CANCEL, {"token": token}, follow=True)

    assert messages_of(response) == ["No import of yours is waiting."]
    assert staged(import_dir) == [token]


def test_a_new_upload_in_the_same_session_replaces_the_one_waiting(
    client_for, autumn_2024, import_dir
):
    client = client_for("admin")
    first = upload(client)

    second = upload(client, workbook(49))

    assert staged(import_dir) == [second]
    refused = client.post(CONFIRM, {"token": first}, follow=True)
    assert messages_of(refused) == ["That import is no longer waiting: upload the file again."]


def test_a_new_upload_with_problems_still_abandons_the_one_waiting(
    client_for, autumn_2024, import_dir
):
    client = client_for("admin")
    upload(client)

    response = client.post(
        UPLOAD, {"file": SimpleUploadedFile("bad.xlsx", b"not a workbook"), "state": "submitted"}
    )

    assert response.status_code == 200 and not response.context["token"]
    assert staged(import_dir) == []
    assert "import" not in client.session


def test_a_confirm_that_no_longer_imports_cleanly_removes_the_file(
    client_for, autumn_2024, import_dir
):
    client = client_for("admin")
    token = upload(client)
    Return.objects.create(
        academy=Academy.objects.get(name=AHS), period=autumn_2024, status=ReturnStatus.APPROVED
    )

    response = client.post(CONFIRM, {"token": token}, follow=True)

    assert "nothing was written" in messages_of(response)[0]
    assert staged(import_dir) == []
    assert "import" not in client.session


# --- Expiry -----------------------------------------------------------------------------------


def test_an_old_staged_file_is_removed_at_the_next_upload_but_a_fresh_one_is_kept(
    client_for, autumn_2024, import_dir
):
    others = upload(second_admin())  # another administrator's, waiting a minute
    age(import_dir / others, 1 / 60)
    stale = a_stale_file(import_dir)

    mine = upload(client_for("admin"))

    assert not stale.exists()
    assert staged(import_dir) == sorted([others, mine])


def test_files_just_younger_than_the_expiry_are_kept(client_for, autumn_2024, import_dir):
    recent = a_stale_file(import_dir, hours=23.5)
    mine = upload(client_for("admin"))
    assert staged(import_dir) == sorted([recent.name, mine])


def test_the_expiry_is_a_setting(client_for, autumn_2024, import_dir, settings):
    settings.TRUSTPLAN_IMPORT_STAGED_HOURS = 1
    two_hours = a_stale_file(import_dir, "two-hours-old-0123456789", hours=2)
    half_hour = a_stale_file(import_dir, "half-hour-old-0123456789", hours=0.5)

    upload(client_for("admin"))

    assert not two_hours.exists() and half_hour.exists()


def test_the_command_removes_expired_files_and_says_how_many(trust, import_dir, cast):
    old = [a_stale_file(import_dir, f"old-upload-{i}-0123456789abcdef") for i in range(2)]
    fresh = a_stale_file(import_dir, "fresh-upload-0123456789abcdef", hours=0.1)
    out = io.StringIO()

    call_command("purge_staged_imports", stdout=out)

    assert not any(path.exists() for path in old) and fresh.exists()
    assert "Removed 2 staged import files older than 24 hours" in out.getvalue()
    out = io.StringIO()
    call_command("purge_staged_imports", stdout=out)
    assert "Removed 0 staged import files" in out.getvalue()


def test_the_command_runs_when_nothing_was_ever_staged(trust, import_dir):
    out = io.StringIO()
    call_command("purge_staged_imports", stdout=out)
    assert "Removed 0 staged import files" in out.getvalue()


def test_the_command_leaves_files_that_are_not_staged_uploads(trust, import_dir):
    # Only names the app gives its staged files: a file an operator put there is not ours.
    import_dir.mkdir(parents=True)
    notes = import_dir / "README.txt"
    notes.write_text("keep me")
    age(notes, 100)
    call_command("purge_staged_imports", stdout=io.StringIO())
    assert notes.exists()


# --- The admin's imports (django-import-export) stage here too --------------------------------


ACADEMY_CSV = (
    b"slug,name,short_name,urn,phase,pupils_on_roll,is_active\r\n"
    b"new-primary,New Primary Academy,NPA,123456,primary,210,1\r\n"
)


def admin_preview(client: Client):
    response = client.post(
        reverse("admin:academies_academy_import"),
        {"import_file": SimpleUploadedFile("a.csv", ACADEMY_CSV), "format": "0", "resource": "0"},
    )
    assert response.status_code == 200
    return response.context["confirm_form"]


def test_an_admin_import_stages_its_file_in_the_import_folder_and_removes_it(
    client_for, import_dir
):
    client = client_for("admin")
    confirm = admin_preview(client)
    assert len(staged(import_dir / "admin")) == 1

    client.post(
        reverse("admin:academies_academy_process_import"), {**confirm.initial, "resource": "0"}
    )

    assert Academy.objects.filter(slug="new-primary").exists()
    assert staged(import_dir) == []


def test_an_abandoned_admin_import_expires_like_the_others(client_for, import_dir):
    admin_preview(client_for("admin"))
    (path,) = [p for p in (import_dir / "admin").iterdir()]
    age(path, 25)
    out = io.StringIO()

    call_command("purge_staged_imports", stdout=out)

    assert not path.exists()
    assert "Removed 1 staged import file " in out.getvalue()


def test_an_admin_import_confirm_naming_no_staged_file_says_so_and_writes_nothing(
    client_for, import_dir, tmp_path
):
    # Confirmed twice, expired, or a name that is not a staged token: django-import-export
    # raised FileNotFoundError (a 500). Never a file outside the folder either.
    client = client_for("admin")
    confirm = admin_preview(client)
    process = reverse("admin:academies_academy_process_import")
    client.post(process, {**confirm.initial, "resource": "0"})
    outside = tmp_path / "outside.csv"
    outside.write_bytes(ACADEMY_CSV.replace(b"new-primary", b"sneaky"))
    count = Academy.objects.count()

    for name in (confirm.initial["import_file_name"], str(outside), "../outside.csv"):
        response = client.post(
            process, {**confirm.initial, "import_file_name": name, "resource": "0"}, follow=True
        )
        assert response.redirect_chain == [(reverse("admin:academies_academy_import"), 302)]
        assert "That import is no longer waiting: upload the file again." in messages_of(response)

    assert Academy.objects.count() == count
    assert not Academy.objects.filter(slug="sneaky").exists()
    assert outside.exists()
