"""Published packs (issue 16): a pack is stored exactly as made and never changes; its page
counts the values corrected since; who reads which pack; the files only through the views.

One real publication (its PDF takes seconds to make) is shared by the tests that read it, in a
module-wide transaction rolled back at the end; the other tests store packs with stand-in
files (papers.publishing.store_pack), or make the PDF a stand-in where only the page is under
test. Every file goes to a temporary folder, never into the repository's packs/.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO
from pathlib import Path

import openpyxl
import pypdf
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from academies import permissions
from academies.models import Academy, AcademyRole, RoleAssignment
from demo.values import generate_demo_values
from kpis.models import KPIValue, Period, Return, ReturnStatus
from kpis.returns import admin_correct_value, admin_delete_values
from papers import publishing
from papers.models import PublishedPack
from papers.publishing import (
    changes_for,
    changes_since,
    data_digest,
    pack_data,
    publish_pack,
    sha256,
    store_pack,
)
from tests.conftest import ensure_trust
from trustplan import settings as project_settings

# Every test uses the database (the module's publication too: pytest-django creates the test
# database only for a run with a database test in it).
pytestmark = pytest.mark.django_db

SUMMER = "2023-24-summer"
MEETING = "Trust Board, 16 July 2024"  # not the demo's own meeting (test_load_demo_…)
FILE_SYSTEM = "django.core.files.storage.FileSystemStorage"
STAND_IN_PDF = b"%PDF-1.7 stand-in"
STAND_IN_XLSX = b"PK stand-in"


def packs_storages(location: Path, backend: str = FILE_SYSTEM) -> dict:
    return {
        **settings.STORAGES,
        "packs": {"BACKEND": backend, "OPTIONS": {"location": str(location)}},
    }


@pytest.fixture(scope="module")
def packs_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("packs")


@pytest.fixture(autouse=True)
def packs_in_a_temporary_folder(settings, packs_dir):
    settings.STORAGES = packs_storages(packs_dir)


@dataclass
class Published:
    pack: PublishedPack
    pdf: bytes
    xlsx: bytes
    period: Period


def _read(pack: PublishedPack, kind: str) -> bytes:
    with getattr(pack, kind).open("rb") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def published(django_db_setup, django_db_blocker, packs_dir):
    """The demo's values and one pack published for real: the Trust Board's, summer 2023/24,
    by central team's Nadia Li."""
    with (
        django_db_blocker.unblock(),
        override_settings(STORAGES=packs_storages(packs_dir)),
        transaction.atomic(),
    ):
        ensure_trust()  # a transactional test in this worker may have flushed it
        generate_demo_values()
        nadia = get_user_model().objects.create_user(
            username="p-nadia", first_name="Nadia", last_name="Li"
        )
        nadia.groups.add(permissions.ensure_role_groups()[permissions.CENTRAL_TEAM])
        period = Period.objects.get(slug=SUMMER)
        pack = publish_pack(
            meeting=MEETING,
            meeting_date=datetime.date(2024, 7, 16),
            period=period,
            academy_ids=None,
            user=nadia,
        )
        yield Published(pack, _read(pack, "pdf"), _read(pack, "xlsx"), period)
        transaction.set_rollback(True)


def _moreton_values(period: Period, count: int) -> list[KPIValue]:
    """Moreton's submitted summer values that take a +1 correction (percentages below 99)."""
    values = KPIValue.objects.filter(
        academy__slug="moreton-school",
        period=period,
        kpi__measure="percentage",
        value__lt=99,
    ).order_by("kpi__code")
    chosen = list(values[:count])
    assert len(chosen) == count
    return chosen


def _correct(value: KPIValue, new: Decimal, user) -> None:
    value.value = new
    admin_correct_value(value, user=user)


def _text(response) -> str:
    return " ".join(response.content.decode().split()).lower()


# --- Publishing ---------------------------------------------------------------------------------


def test_publishing_stores_the_pdf_and_the_workbook_as_made_with_their_digests(published):
    pack = published.pack
    assert published.pdf.startswith(b"%PDF-")
    assert (pack.pdf_size, pack.pdf_sha256) == (len(published.pdf), sha256(published.pdf))
    book = openpyxl.load_workbook(io.BytesIO(published.xlsx))
    assert {"Legend", "Exceptions", "Plan actions"} <= set(book.sheetnames)
    assert (pack.xlsx_size, pack.xlsx_sha256) == (len(published.xlsx), sha256(published.xlsx))
    # The PDF is the pack made for this meeting by this person.
    cover = pypdf.PdfReader(io.BytesIO(published.pdf)).pages[0].extract_text()
    assert MEETING in cover and "Nadia Li" in cover
    # Its data digest is that of the data now (nothing has changed), which holds every
    # published value of the period in its snapshot.
    assert pack.data_digest == data_digest(pack_data(published.period, None))
    shown = KPIValue.objects.published().filter(period=published.period)
    assert len(pack.snapshot["values"]) == shown.count() > 0
    assert pack.is_trust_wide and pack.published_by.get_full_name() == "Nadia Li"


def test_a_later_correction_leaves_the_files_as_published_and_the_page_counts_it(
    published, cast, client_for
):
    for value in _moreton_values(published.period, 3):
        _correct(value, value.value + 1, cast["central"])
    pack = PublishedPack.objects.get(pk=published.pack.pk)
    assert changes_since(pack) == 3
    # The stored files, and what the views serve, are the bytes published.
    assert (_read(pack, "pdf"), _read(pack, "xlsx")) == (published.pdf, published.xlsx)
    client = client_for("trustee")
    assert client.get(reverse("packs:pdf", args=[pack.pk])).content == published.pdf
    assert client.get(reverse("packs:xlsx", args=[pack.pk])).content == published.xlsx
    page = _text(client.get(reverse("packs:detail", args=[pack.pk])))
    assert "data changed since publication: 3 values" in page
    assert "data changed since publication: 3 values" in _text(client.get(reverse("packs:list")))
    # The page says which: each KPI with the value the pack showed and the value now.
    assert page.count('<th scope="row" class="fw-normal">') == 3


def test_a_correction_put_back_counts_nothing_and_a_note_is_not_a_value(
    published, cast, client_for
):
    (value,) = _moreton_values(published.period, 1)
    original = value.value
    _correct(value, original + 1, cast["central"])
    assert changes_since(published.pack) == 1
    _correct(value, original, cast["central"])
    assert changes_since(published.pack) == 0
    page = _text(client_for("trustee").get(reverse("packs:detail", args=[published.pack.pk])))
    assert "no value in the pack has changed since it was published" in page
    assert "data changed since publication" not in page
    # A note rewritten changes the data behind the pack (its digest), not its values.
    value.note = "Rewritten after the meeting."
    admin_correct_value(value, user=cast["central"])
    assert changes_since(published.pack) == 0
    assert data_digest(pack_data(published.period, None)) != published.pack.data_digest


def test_values_removed_added_or_made_not_available_count_too(published, cast):
    first, second = _moreton_values(published.period, 2)
    admin_delete_values([first], user=cast["central"])
    second.value, second.not_available = None, True
    second.note = "Register lost."
    admin_correct_value(second, user=cast["central"])
    assert changes_since(published.pack) == 2
    # Aldersley's draft return submitted since: every one of its values is new to the pack.
    aldersley = Return.objects.get(academy__slug="aldersley-high-school", period=published.period)
    Return.objects.filter(pk=aldersley.pk).update(status=ReturnStatus.SUBMITTED)
    added = KPIValue.objects.filter(academy=aldersley.academy, period=published.period).count()
    assert added > 0
    assert changes_since(published.pack) == 2 + added


def test_a_published_pack_never_changes(published):
    pack = PublishedPack.objects.get(pk=published.pack.pk)
    pack.meeting = "Renamed"
    with pytest.raises(ValueError, match="never changes"):
        pack.save()


# --- Who reads which pack -----------------------------------------------------------------------


def _stored_pack(user, meeting: str, academies: list[Academy]) -> PublishedPack:
    period = Period.objects.get(slug=SUMMER)
    scope = {academy.pk for academy in academies} or None
    return store_pack(
        meeting=meeting,
        meeting_date=datetime.date(2024, 7, 9),
        period=period,
        academy_ids=scope,
        user=user,
        pdf=STAND_IN_PDF,
        xlsx=STAND_IN_XLSX,
        data=pack_data(period, scope),
    )


@pytest.fixture
def packs(trust, cast) -> dict[str, PublishedPack]:
    generate_demo_values()
    moreton = Academy.objects.get(slug="moreton-school")
    aldersley = Academy.objects.get(slug="aldersley-high-school")
    return {
        "board": _stored_pack(cast["central"], "Trust Board, 9 July 2024", []),
        "moreton": _stored_pack(cast["central"], "Moreton School LGB, 2 July 2024", [moreton]),
        "both": _stored_pack(
            cast["central"], "Aldersley and Moreton joint LGB, 3 July 2024", [moreton, aldersley]
        ),
    }


# The cast's governor and head_b are Moreton's; governor_b and head_a Aldersley's.
READS = {
    "trustee": {"board", "moreton", "both"},
    "central": {"board", "moreton", "both"},
    "admin": {"board", "moreton", "both"},
    "governor": {"moreton"},
    "head_b": {"moreton"},
    "governor_b": set(),
    "head_a": set(),
    "exec_head": set(),
}


@pytest.mark.parametrize("role", READS)
def test_each_role_reads_exactly_its_packs_on_the_list_the_pages_and_the_files(
    role, packs, client_for
):
    client = client_for(role)
    listed = client.get(reverse("packs:list")).content.decode()
    for name, pack in packs.items():
        readable = name in READS[role]
        assert (pack.meeting in listed) is readable, (role, name)
        expected = 200 if readable else 404
        for view in ("packs:detail", "packs:pdf", "packs:xlsx"):
            assert client.get(reverse(view, args=[pack.pk])).status_code == expected, (view, name)


def test_a_governor_of_both_academies_reads_their_joint_bodys_pack_but_never_the_boards(
    packs, cast, client_for
):
    RoleAssignment.objects.create(
        user=cast["governor_b"],
        academy=Academy.objects.get(slug="moreton-school"),
        role=AcademyRole.GOVERNOR,
    )
    listed = client_for("governor_b").get(reverse("packs:list")).content.decode()
    assert packs["both"].meeting in listed and packs["moreton"].meeting in listed
    assert packs["board"].meeting not in listed
    visible = set(PublishedPack.objects.visible_to(cast["governor_b"]))
    assert visible == {packs["both"], packs["moreton"]}


def test_anonymous_users_are_sent_to_sign_in_and_the_roleless_see_no_papers(packs, client):
    for url in (
        reverse("packs:list"),
        reverse("packs:publish"),
        reverse("packs:detail", args=[packs["moreton"].pk]),
        reverse("packs:pdf", args=[packs["moreton"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    nobody = get_user_model().objects.create_user(username="p-nobody")
    client.force_login(nobody)
    assert client.get(reverse("packs:list")).status_code == 403
    assert client.get(reverse("packs:detail", args=[packs["moreton"].pk])).status_code == 404
    assert "Board papers" not in client.get(reverse("home")).content.decode()


def test_an_unknown_pack_is_a_404(packs, client_for):
    client = client_for("trustee")
    unknown = max(pack.pk for pack in packs.values()) + 100
    for view in ("packs:detail", "packs:pdf", "packs:xlsx"):
        assert client.get(reverse(view, args=[unknown])).status_code == 404


def test_the_header_links_board_papers_for_those_who_read_packs(packs, client_for):
    for role in ("trustee", "governor", "head_a", "central"):
        page = client_for(role).get(reverse("my")).content.decode()
        assert f'href="{reverse("packs:list")}">Board papers</a>' in page, role


def test_the_list_is_newest_first_in_a_fixed_number_of_queries(
    packs, cast, client_for, django_assert_num_queries
):
    client = client_for("trustee")
    client.get(reverse("packs:list"))  # the session and the user's groups, read once
    # 1 session, 2 user, 3 groups, 4 count of packs, 5 the page of packs with period and
    # publisher, 6 their academies, 7 the values now (papers.publishing.changes_for),
    # 8 demo data present? (the banner)
    with django_assert_num_queries(8):
        page = client.get(reverse("packs:list")).content.decode()
    meetings = [pack.meeting for pack in PublishedPack.objects.all()]
    assert [page.index(meeting) for meeting in meetings] == sorted(
        page.index(meeting) for meeting in meetings
    )
    assert meetings[0] == packs["both"].meeting  # the latest published
    # More academies and more packs: the same queries.
    for number in range(3):
        academy = Academy.objects.create(
            name=f"New Academy {number}",
            short_name=f"NA{number}",
            slug=f"na-{number}",
            phase="primary",
        )
        _stored_pack(cast["central"], f"New Academy {number} LGB", [academy])
    with django_assert_num_queries(8):
        client.get(reverse("packs:list"))


def test_a_packs_page_lists_its_changed_values_in_a_fixed_number_of_queries(
    packs, cast, client_for, django_assert_num_queries
):
    pack = packs["moreton"]
    url = reverse("packs:detail", args=[pack.pk])
    client = client_for("governor")
    client.get(url)
    # 1 session, 2 user, 3 groups, 4 the governor's academies, 5 the pack with period and
    # publisher, 6 its academies, 7 the values now, 8 their KPIs, 9 academies, 10 demo data?
    for value in _moreton_values(pack.period, 2):
        _correct(value, value.value + 1, cast["central"])
    with django_assert_num_queries(10):
        page = client.get(url).content.decode()
    assert "Data changed since publication: 2 values" in page
    for value in _moreton_values(pack.period, 6)[2:]:
        _correct(value, value.value + 1, cast["central"])
    with django_assert_num_queries(10):
        page = client.get(url).content.decode()
    assert "Data changed since publication: 6 values" in page


def test_a_bodys_pack_counts_only_its_own_academies_values(packs):
    period = packs["board"].period
    aldersley = Return.objects.get(academy__slug="aldersley-high-school", period=period)
    Return.objects.filter(pk=aldersley.pk).update(status=ReturnStatus.SUBMITTED)
    added = KPIValue.objects.filter(academy=aldersley.academy, period=period).count()
    counts = changes_for(packs.values())
    assert counts == {packs["board"].pk: added, packs["moreton"].pk: 0, packs["both"].pk: added}


def test_changes_for_many_packs_is_one_query(packs):
    every = list(PublishedPack.objects.all())
    with CaptureQueriesContext(connection) as queries:
        counts = changes_for(every)
    assert len(queries) == 1  # the values now, of every period the packs report
    assert counts == dict.fromkeys((pack.pk for pack in every), 0)


# --- Publishing from the page -------------------------------------------------------------------


@pytest.fixture
def demo(trust):
    """The demo's periods and values (which the module's real publication may have made)."""
    generate_demo_values()
    return trust


@pytest.fixture
def stand_in_pdf(monkeypatch):
    """The PDF replaced by a stand-in (the page is under test, not the paper), recording how
    it was asked for."""
    calls = []

    def make(period, **kwargs):
        calls.append({"period": period, **kwargs})
        return STAND_IN_PDF

    monkeypatch.setattr(publishing, "board_pack_pdf", make)
    return calls


def test_central_team_publish_a_local_governing_bodys_pack_from_the_form(
    demo, cast, client_for, stand_in_pdf
):
    client = client_for("central")
    assert client.get(reverse("packs:publish")).status_code == 200
    period = Period.objects.get(slug=SUMMER)
    moreton = Academy.objects.get(slug="moreton-school")
    cast["central"].first_name, cast["central"].last_name = "Nadia", "Li"
    cast["central"].save()
    response = client.post(
        reverse("packs:publish"),
        {
            "meeting": "  Moreton School LGB, 2 July 2024 ",
            "meeting_date": "2024-07-02",
            "period": period.pk,
            "academies": [moreton.pk],
        },
        follow=True,
    )
    pack = PublishedPack.objects.get(meeting="Moreton School LGB, 2 July 2024")
    assert response.redirect_chain == [(reverse("packs:detail", args=[pack.pk]), 302)]
    assert "Published “Moreton School LGB, 2 July 2024”" in response.content.decode()
    assert pack.meeting == "Moreton School LGB, 2 July 2024"
    assert pack.academy_ids == {moreton.pk} and pack.published_by == cast["central"]
    assert stand_in_pdf == [
        {
            "period": period,
            "academy_ids": {moreton.pk},
            "produced_by": "Nadia Li",
            "produced_at": pack.published_at,
            "title": "Moreton School LGB, 2 July 2024",
        }
    ]
    assert _read(pack, "pdf") == STAND_IN_PDF
    # The workbook is the real one, of Moreton's column only.
    sheet = openpyxl.load_workbook(io.BytesIO(_read(pack, "xlsx"))).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert "Moreton School" in header and "Aldersley High School" not in header


def test_the_publish_form_names_each_field_that_is_wrong(demo, client_for, stand_in_pdf):
    before = PublishedPack.objects.count()
    response = client_for("central").post(
        reverse("packs:publish"),
        {"meeting": "   ", "meeting_date": "31/02/2024", "period": "999999", "academies": ["x"]},
    )
    assert response.status_code == 400
    page = " ".join(response.content.decode().split())
    for field, message in (
        ("Meeting", "Name the meeting"),
        ("Date of the meeting", "That is not a date"),
        ("Period of the figures", "That period is unknown"),
        ("Academies (for a local governing body's pack)", "One of the academies ticked is unknown"),
    ):
        assert f'">{field}</a>: {message}' in page.replace("&#x27;", "'"), field
    assert PublishedPack.objects.count() == before and stand_in_pdf == []


def test_only_central_team_and_administrators_publish(demo, client_for, stand_in_pdf):
    period = Period.objects.get(slug=SUMMER)
    form = {"meeting": "Trust Board", "meeting_date": "2024-07-09", "period": period.pk}
    before = PublishedPack.objects.count()
    for role in ("trustee", "governor", "head_a"):
        client = client_for(role)
        assert client.get(reverse("packs:publish")).status_code == 403
        assert client.post(reverse("packs:publish"), form).status_code == 403
    assert PublishedPack.objects.count() == before
    assert client_for("admin").post(reverse("packs:publish"), form).status_code == 302
    assert PublishedPack.objects.count() == before + 1


def test_data_changing_while_the_pack_is_made_makes_it_again_then_refuses(
    demo, cast, client_for, stand_in_pdf, monkeypatch
):
    period = Period.objects.get(slug=SUMMER)
    real = publishing.pack_data
    reads = iter(range(1000))

    def changing_once(*args):  # the first two reads differ, then the data holds still
        data = real(*args)
        data["edit"] = min(next(reads), 1)
        return data

    monkeypatch.setattr(publishing, "pack_data", changing_once)
    before = PublishedPack.objects.count()
    pack = publish_pack(
        meeting="Trust Board",
        meeting_date=datetime.date(2024, 7, 9),
        period=period,
        academy_ids=None,
        user=cast["central"],
    )
    assert len(stand_in_pdf) == 2  # made twice
    assert pack.data_digest == data_digest({**real(period, None), "edit": 1})

    def always_changing(*args):
        return {**real(*args), "edit": next(reads)}

    monkeypatch.setattr(publishing, "pack_data", always_changing)
    response = client_for("central").post(
        reverse("packs:publish"),
        {"meeting": "Trust Board", "meeting_date": "2024-07-09", "period": period.pk},
    )
    assert response.status_code == 409
    assert "nothing was published" in response.content.decode()
    assert PublishedPack.objects.count() == before + 1


# --- Storage ------------------------------------------------------------------------------------


class BrokenStorage(FileSystemStorage):
    """A store that takes the PDF and then fails (a full disk, an unreachable bucket)."""

    def _save(self, name, content):
        if name.endswith(".xlsx"):
            raise OSError("No space left on device")
        return super()._save(name, content)


def test_a_failing_storage_leaves_no_row_and_no_file(packs, cast, settings, tmp_path):
    settings.STORAGES = packs_storages(tmp_path, f"{__name__}.BrokenStorage")
    before = PublishedPack.objects.count()
    with pytest.raises(OSError, match="No space left"):
        _stored_pack(cast["central"], "Trust Board", [])
    assert PublishedPack.objects.count() == before
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []  # the PDF went too


def test_a_database_failure_deletes_the_stored_files(packs, cast, settings, tmp_path, monkeypatch):
    settings.STORAGES = packs_storages(tmp_path)

    def refuse(*args, **kwargs):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(PublishedPack, "save", refuse)
    before = PublishedPack.objects.count()
    with pytest.raises(DatabaseError):
        _stored_pack(cast["central"], "Moreton LGB", [Academy.objects.get(slug="moreton-school")])
    assert PublishedPack.objects.count() == before
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_the_files_are_reachable_only_through_the_views_as_attachments(packs, client_for):
    # The default folder is outside every static and media folder the site could serve.
    folder = Path(project_settings.TRUSTPLAN_PACKS_DIR).resolve()
    public = [Path(settings.STATIC_ROOT)] + [
        Path(entry[1] if isinstance(entry, tuple) else entry)
        for entry in project_settings.STATICFILES_DIRS
    ]
    public += [Path(settings.MEDIA_ROOT or settings.BASE_DIR / "media")]
    for served in public:
        assert not folder.is_relative_to(served.resolve()), served
    assert "packs/" in (Path(settings.BASE_DIR) / ".gitignore").read_text().split()
    client = client_for("trustee")
    pack = packs["board"]
    for prefix in (settings.STATIC_URL, settings.MEDIA_URL or "/media/", "/packs/", "/"):
        url = "/" + f"{prefix.strip('/')}/{pack.pdf.name}".lstrip("/")
        assert client.get(url).status_code == 404, url
    response = client.get(reverse("packs:pdf", args=[pack.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="trust-board-9-july-2024-2023-24-summer.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    xlsx = client.get(reverse("packs:xlsx", args=[pack.pk]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert xlsx["Content-Disposition"].startswith("attachment;")


def test_a_stored_file_that_is_not_the_one_published_is_not_served(packs, client_for):
    pack = packs["moreton"]
    with open(pack.pdf.path, "wb") as handle:
        handle.write(b"%PDF-1.7 tampered")
    response = client_for("trustee").get(reverse("packs:pdf", args=[pack.pk]))
    assert response.status_code == 500
    assert b"not the file that was published" in response.content
    Path(pack.xlsx.path).unlink()
    response = client_for("trustee").get(reverse("packs:xlsx", args=[pack.pk]))
    assert response.status_code == 404


# --- The admin ----------------------------------------------------------------------------------


def test_the_admin_shows_packs_read_only_and_only_an_administrator_deletes(
    packs, client_for, django_capture_on_commit_callbacks
):
    pack = packs["board"]
    change = reverse("admin:papers_publishedpack_change", args=[pack.pk])
    admin = client_for("admin")
    page = admin.get(change).content.decode()
    assert pack.meeting in page and 'name="_save"' not in page
    assert admin.post(change, {"meeting": "Renamed"}).status_code == 403
    assert admin.get(reverse("admin:papers_publishedpack_add")).status_code == 403
    assert client_for("central").get(change).status_code == 403
    files = [Path(pack.pdf.path), Path(pack.xlsx.path)]
    assert all(path.exists() for path in files)
    delete = reverse("admin:papers_publishedpack_delete", args=[pack.pk])
    assert client_for("central").post(delete, {"post": "yes"}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):  # the files go once it commits
        assert client_for("admin").post(delete, {"post": "yes"}).status_code == 302
    assert not PublishedPack.objects.filter(pk=pack.pk).exists()
    assert not any(path.exists() for path in files)


# --- The demo -----------------------------------------------------------------------------------


def test_load_demo_publishes_the_trust_boards_july_pack_once(db, stand_in_pdf, client):
    call_command("load_demo", stdout=StringIO())
    pack = PublishedPack.objects.get(meeting="Trust Board, 9 July 2024")
    # The spring term's figures: the last collection complete by July (summer is still open).
    assert pack.period.slug == "2023-24-spring" and pack.is_trust_wide
    lgb = PublishedPack.objects.get(meeting="Moreton School LGB, 25 June 2024")
    assert [a.slug for a in lgb.academies.all()] == ["moreton-school"]
    assert pack.published_by.get_full_name() == "Nadia Li"
    # Circulated a week before the meeting, in the seed's year (not on the day of loading).
    assert pack.published_at.date() == datetime.date(2024, 7, 2)
    assert stand_in_pdf[0]["produced_at"] == pack.published_at
    client.force_login(get_user_model().objects.get(username="trustee"))
    assert "Trust Board, 9 July 2024" in client.get(reverse("packs:list")).content.decode()
    # Moreton's governor reads the LGB's pack, never the Trust Board's.
    client.force_login(get_user_model().objects.get(username="governor"))
    listed = client.get(reverse("packs:list")).content.decode()
    assert "Moreton School LGB, 25 June 2024" in listed and "Trust Board, 9 July" not in listed
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Trust Board, 9 July 2024 (already there)" in out.getvalue()
    assert PublishedPack.objects.filter(meeting="Trust Board, 9 July 2024").count() == 1


# --- A pack too large for the page: the command -------------------------------------------------


def test_a_pack_too_large_for_the_page_is_refused_with_the_command_to_use(
    demo, client_for, settings, stand_in_pdf
):
    settings.TRUSTPLAN_PACK_WEB_MAX_ACADEMIES = 2
    period = Period.objects.get(slug=SUMMER)
    form = {"meeting": "Trust Board", "meeting_date": "2024-07-09", "period": period.pk}
    before = PublishedPack.objects.count()
    response = client_for("central").post(reverse("packs:publish"), form)
    assert response.status_code == 400
    assert "This pack covers 5 academies: more than 2 take too long" in response.content.decode()
    assert "manage.py publish_pack" in response.content.decode()
    assert PublishedPack.objects.count() == before and stand_in_pdf == []
    moreton = Academy.objects.get(slug="moreton-school")
    response = client_for("central").post(
        reverse("packs:publish"), {**form, "academies": [moreton.pk]}
    )
    assert response.status_code == 302 and PublishedPack.objects.count() == before + 1


def test_the_publish_pack_command_publishes_and_names_what_is_wrong(demo, cast, stand_in_pdf):
    out = StringIO()
    call_command(
        "publish_pack",
        "--meeting=Moreton School LGB, 2 July 2024",
        "--date=2024-07-02",
        f"--period={SUMMER}",
        "--academy=moreton-school",
        f"--user={cast['central'].username}",
        stdout=out,
    )
    pack = PublishedPack.objects.get(meeting="Moreton School LGB, 2 July 2024")
    assert pack.academy_ids == {Academy.objects.get(slug="moreton-school").pk}
    assert f"Published “Moreton School LGB, 2 July 2024” (pack {pack.pk}" in out.getvalue()
    good = {
        "meeting": "Trust Board",
        "date": "2024-07-09",
        "period": SUMMER,
        "user": cast["central"].username,
    }
    for wrong, message in (
        ({"meeting": "  "}, "--meeting: name the meeting"),
        ({"date": "9 July"}, "--date: '9 July' is not a date"),
        ({"period": "2031-32-autumn"}, "--period: no period '2031-32-autumn'"),
        ({"academy": "nowhere"}, "--academy: no active academy 'nowhere'"),
        ({"user": "nobody"}, "--user: no user 'nobody'"),
        ({"user": cast["trustee"].username}, "may not publish packs"),
    ):
        arguments = [f"--{name}={value}" for name, value in {**good, **wrong}.items()]
        with pytest.raises(CommandError, match=message):
            call_command("publish_pack", *arguments, stdout=StringIO())
    assert PublishedPack.objects.filter(meeting="Trust Board").count() == 0
