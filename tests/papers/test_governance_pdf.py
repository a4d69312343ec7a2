"""A monitoring body's governance paper as a PDF (issue 16), and an LGB's paper per academy.

The PDFs are rendered once for the module (a world built inside a transaction rolled back at
the end: demo values and progress, a red attendance at Moreton and at Aldersley with their
heads' notes, the Local Governing Body's actions with one due later, one naming Moreton only
and one naming Aldersley only) and read with pypdf; the tests that need the database (404s,
query counts) build the same world in their own transaction.
"""

from __future__ import annotations

import datetime
import io
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from academies import permissions
from academies.models import Academy, AcademyRole, Owner, RoleAssignment
from board.governance import MAX_ACADEMIES, is_local_body
from demo.progress import generate_demo_progress
from demo.values import generate_demo_values
from kpis import rag
from kpis.models import KPI, KPIValue, Return, ReturnStatus
from kpis.selectors import Cell, PeriodIndex, default_period
from papers.governance import FULL_ROWS, flagged_kpis
from plans.models import Action, ActionStatus, ProgressUpdate
from tests.conftest import ensure_trust

MORETON = "moreton-school"
ALDERSLEY = "aldersley-high-school"
NOTE_MORETON = "Two families moved away this term; the attendance officer now visits weekly."
NOTE_ALDERSLEY = "Norovirus outbreak in February closed two year groups for a week."
COMMENTARY = "Attendance panels meet fortnightly; first two cohorts improving."
UPCOMING = "Attendance recovery plan agreed with every academy's attendance lead"
MORETON_ONLY = "Breakfast club extended to every year group at Moreton"
ALDERSLEY_ONLY = "Attendance clinics for Year 9 families"
NO_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"

# Every test: the module's papers are made with the database (pytest-django sets the test
# database up only for a session with a test marked so).
pytestmark = pytest.mark.django_db


def build_world() -> dict:
    """The paper's world (see the module's note): the users and what the tests look for."""
    plan = ensure_trust()  # loaded again if a transactional test in this worker flushed it
    groups = permissions.ensure_role_groups()
    users = get_user_model().objects
    trustee = users.create_user("gp-trustee", first_name="Alex", last_name="Morgan")
    trustee.groups.add(groups[permissions.TRUSTEE])
    central = users.create_user("gp-central", first_name="Nadia", last_name="Li")
    central.groups.add(groups[permissions.CENTRAL_TEAM])
    head = users.create_user("gp-head", first_name="Jo", last_name="Bloggs")
    moreton = Academy.objects.get(slug=MORETON)
    aldersley = Academy.objects.get(slug=ALDERSLEY)
    governors = {}
    for name, academy in (("governor", moreton), ("governor_b", aldersley)):
        governor = users.create_user(f"gp-{name}", first_name="Sam", last_name=name.title())
        governor.groups.add(groups[permissions.GOVERNOR])
        RoleAssignment.objects.create(user=governor, academy=academy, role=AcademyRole.GOVERNOR)
        governors[name] = governor
    generate_demo_values()
    generate_demo_progress(plan=plan, author=central)
    period = default_period(PeriodIndex())
    Return.objects.filter(period=period, academy=moreton).update(status=ReturnStatus.SUBMITTED)
    attendance = KPI.objects.get(code="2.1")
    for academy, value, note in ((moreton, "80", NOTE_MORETON), (aldersley, "81", NOTE_ALDERSLEY)):
        KPIValue.objects.filter(kpi=attendance, period=period, academy=academy).update(
            value=Decimal(value), note=note, updated_by=head
        )
    lgb = Owner.objects.get(code="LGB")
    nli = Owner.objects.get(code="NLI")
    objective = plan.objectives.get(number=2)
    aim = objective.aims.order_by("position").first()
    today = timezone.localdate()

    def action(description, due, academies=()):
        made = Action.objects.create(
            objective=objective, position=900, description=description, due_date=due
        )
        made.aims.add(aim)
        made.responsible.add(nli)
        made.monitors.add(lgb)
        made.kpis.add(attendance)
        made.academies.add(*academies)
        return made

    upcoming = action(UPCOMING, today + datetime.timedelta(days=60))
    ProgressUpdate.objects.create(
        action=upcoming,
        status=ActionStatus.ON_TRACK,
        date=today - datetime.timedelta(days=3),
        commentary=COMMENTARY,
        author=central,
    )
    action(MORETON_ONLY, today - datetime.timedelta(days=10), [moreton])
    action(ALDERSLEY_ONLY, today + datetime.timedelta(days=30), [aldersley])
    return {"trustee": trustee, "central": central, **governors, "period": period}


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf_url(code: str = "lgb", *academies: str) -> str:
    query = "&".join(f"academy={slug}" for slug in academies)
    return reverse("plans:monitoring_pdf", args=[code]) + (f"?{query}" if query else "")


def page_url(code: str = "lgb", *academies: str) -> str:
    query = "&".join(f"academy={slug}" for slug in academies)
    return reverse("plans:monitoring", args=[code]) + (f"?{query}" if query else "")


def text_of(reader: pypdf.PdfReader) -> str:
    """The PDF's text, white space runs as one space (table cells wrap their lines)."""
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def main_words(response) -> str:
    page = response.content.decode()
    main = re.search(r'<main id="main".*?</main>', page, re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", main).replace("&#x27;", "'").split())


@pytest.fixture(scope="module")
def papers(django_db_setup, django_db_blocker) -> dict:
    """Each paper rendered once: {name: (response, reader, text)}, the HTML pages beside them
    ({name: (response, words)}), and what the tests compare them with."""
    found: dict = {}
    with django_db_blocker.unblock(), override_settings(CACHES=NO_CACHE), transaction.atomic():
        world = build_world()
        trustee, governor = client_of(world["trustee"]), client_of(world["governor"])
        for name, client, url in (
            ("trustee", trustee, pdf_url()),
            ("governor", governor, pdf_url()),
            ("moreton", trustee, pdf_url("lgb", MORETON)),
        ):
            response = client.get(url)
            assert response.status_code == 200, (name, response.content[:200])
            reader = pypdf.PdfReader(io.BytesIO(response.content))
            found[name] = (response, reader, text_of(reader))
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "governance-paper.pdf").write_bytes(found["trustee"][0].content)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"]
            + [str(ARTIFACTS / "governance-paper.pdf"), str(ARTIFACTS / "governance-paper")],
            check=True,
        )
        for name, client, url in (
            ("trustee_page", trustee, page_url()),
            ("governor_page", governor, page_url()),
            ("moreton_page", trustee, page_url("lgb", MORETON)),
        ):
            response = client.get(url)
            assert response.status_code == 200
            found[name] = (response, main_words(response))
        found["world"] = {
            "period": str(world["period"]),
            "active_academies": Academy.objects.active().count(),
            "actions": {
                name: [(a.pk, a.description, a.overdue) for a in found[name][0].context["actions"]]
                for name in ("trustee_page", "governor_page", "moreton_page")
            },
        }
        transaction.set_rollback(True)
    return found


def positions(text: str, descriptions: list[str]) -> list[int]:
    """Where each action's description starts in the text (its first 40 characters)."""
    return [text.find(" ".join(d.split())[:40]) for d in descriptions]


# --- What the paper says ------------------------------------------------------------------------


def test_the_pdf_is_an_attachment_named_after_the_body_and_the_day(papers):
    day = timezone.localdate().isoformat()
    response = papers["trustee"][0]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="governance-lgb-{day}.pdf"'
    assert papers["moreton"][0]["Content-Disposition"] == (
        f'attachment; filename="governance-lgb-moreton-school-{day}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")


def test_the_title_block_names_trust_body_plan_period_time_and_author(papers):
    reader, text = papers["trustee"][1], papers["trustee"][2]
    first = " ".join(reader.pages[0].extract_text().split())
    assert f"Marking {settings.PAPER_MARKING}" in first
    assert settings.TRUST_NAME.upper() in first.upper()  # the trust's name, in capitals
    assert "Local Governing Body" in first
    assert "Trust Development Plan 2023/2024 (2023/24)" in first
    assert f"KPI ratings {papers['world']['period']}" in first
    assert re.search(r"As at \d{1,2} \w+ \d{4}, \d\d:\d\d", first)
    assert "Produced by Alex Morgan" in first
    assert "Covers Every academy of the trust" in first
    assert "overdue" in text


def test_the_actions_come_overdue_first_in_the_pages_order(papers):
    actions = papers["world"]["actions"]["trustee_page"]
    late = [overdue for _pk, _description, overdue in actions]
    assert any(late) and not all(late)
    assert late == sorted(late, reverse=True)  # overdue first
    where = positions(papers["trustee"][2], [d for _pk, d, _late in actions])
    assert all(at >= 0 for at in where), "every action of the page is in the PDF"
    assert where == sorted(where), "in the page's order"
    # The one due later comes after every overdue one.
    assert where[[d for _pk, d, _late in actions].index(UPCOMING)] > where[0]


def test_a_red_kpi_with_its_heads_note_and_an_actions_latest_commentary(papers):
    text = papers["trustee"][2]
    kpis = text.split("2. Red and amber KPIs these actions link to", 1)[1]
    attendance = kpis.split("2.1 Attendance", 1)[1]
    assert "At least 95%" in attendance  # the rule in words
    assert "80% ✗ Red" in attendance and "81% ✗ Red" in attendance
    assert f"“{NOTE_MORETON}” — Jo Bloggs" in attendance
    assert f"“{NOTE_ALDERSLEY}” — Jo Bloggs" in attendance
    actions = text.split("1. Actions, overdue first", 1)[1].split("2. Red and amber KPIs")[0]
    assert COMMENTARY in actions
    assert "✗ Overdue" in actions


def test_the_pdf_is_tagged_with_a_title_and_a_language(papers):
    reader = papers["trustee"][1]
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert str(root["/Lang"]).lower().startswith("en")
    assert reader.metadata.title == (
        f"Local Governing Body: governance paper – {settings.TRUST_NAME}"
    )
    assert papers["moreton"][1].metadata.title == (
        f"Local Governing Body – Moreton School: governance paper – {settings.TRUST_NAME}"
    )


def test_every_page_is_numbered_and_marked(papers):
    reader = papers["trustee"][1]
    count = len(reader.pages)
    assert count >= 2
    for number, page in enumerate(reader.pages, start=1):
        words = " ".join(page.extract_text().split())
        assert f"Page {number} of {count}" in words
        assert settings.PAPER_MARKING.upper() in words.upper()  # print.css may set it in capitals


def test_a_png_of_the_first_page_is_kept_for_people_to_look_at(papers):
    png = ARTIFACTS / "governance-paper.png"
    assert png.read_bytes().startswith(b"\x89PNG")


# --- An LGB's paper covers only the academies that body governs ---------------------------------


def test_a_governors_pdf_and_page_hold_only_moreton_never_aldersley(papers):
    text = papers["governor"][2]
    page = papers["governor_page"][1]
    for shown in (text, page):
        assert "Aldersley" not in shown
        assert NOTE_ALDERSLEY not in shown and ALDERSLEY_ONLY not in shown
    assert "Covers Moreton School: its red and amber values" in text
    assert f"“{NOTE_MORETON}” — Jo Bloggs" in text
    assert MORETON_ONLY in text and UPCOMING in text
    # The page offers Moreton's LGB paper, and no other academy's.
    assert "Paper for Moreton School's LGB (PDF)" in page
    assert page.count("'s LGB (PDF)") == 1


def test_an_academys_lgb_paper_holds_only_that_academy_and_trust_wide_actions(papers):
    text, page = papers["moreton"][2], papers["moreton_page"][1]
    title = " ".join(papers["moreton"][1].pages[0].extract_text().split())
    assert "Local Governing Body – Moreton School" in title
    for shown in (text, page):
        assert NOTE_ALDERSLEY not in shown and ALDERSLEY_ONLY not in shown
        assert MORETON_ONLY in shown
    assert f"“{NOTE_MORETON}” — Jo Bloggs" in text
    assert "This paper covers Moreton School" in page
    # Its download link carries the same ?academy=.
    markup = papers["moreton_page"][0].content.decode()
    pdf_link = reverse("plans:monitoring_pdf", args=["LGB"]) + "?academy=moreton-school"
    assert f'href="{pdf_link}" download>Download this paper (PDF)</a>' in markup
    # A trustee's paper for the whole body has both, and the page offers every academy's.
    assert ALDERSLEY_ONLY in papers["trustee"][2] and NOTE_ALDERSLEY in papers["trustee"][2]
    assert papers["trustee_page"][1].count("'s LGB (PDF)") == papers["world"]["active_academies"]


def test_the_html_and_the_pdf_list_the_same_actions(papers):
    for pdf, page in (
        ("trustee", "trustee_page"),
        ("governor", "governor_page"),
        ("moreton", "moreton_page"),
    ):
        actions = papers["world"]["actions"][page]
        descriptions = [d for _pk, d, _late in actions]
        text = papers[pdf][2]
        where = positions(text, descriptions)
        assert all(at >= 0 for at in where) and where == sorted(where), pdf
        section = text.split("1. Actions, overdue first", 1)[1].split("2. Red and amber")[0]
        # Numbered 1..n, as many as the page lists: no action more in the PDF.
        numbers = [int(n) for n in re.findall(r"(?:^| )(\d+) Strategic objective", section)]
        assert numbers == list(range(1, len(actions) + 1)), pdf
    ids = {
        page: {pk for pk, _d, _l in papers["world"]["actions"][page]}
        for page in papers["world"]["actions"]
    }
    assert ids["governor_page"] == ids["moreton_page"] < ids["trustee_page"]


def test_an_academy_outside_the_scope_or_unknown_is_a_404():
    world = build_world()
    governor = client_of(world["governor"])
    for url in (pdf_url("lgb", ALDERSLEY), page_url("lgb", ALDERSLEY)):
        assert governor.get(url).status_code == 404
    # With their own academy beside it: still a 404 (not a paper quietly narrowed).
    assert governor.get(pdf_url("lgb", MORETON, ALDERSLEY)).status_code == 404
    trustee = client_of(world["trustee"])
    for url in (pdf_url("lgb", "no-such-school"), page_url("lgb", "no-such-school")):
        assert trustee.get(url).status_code == 404
    assert trustee.get(pdf_url("nobody")).status_code == 404
    assert trustee.post(pdf_url()).status_code == 405


def test_too_many_academies_is_a_clear_400_not_a_500():
    world = build_world()
    trustee = client_of(world["trustee"])
    slugs = [f"school-{n}" for n in range(MAX_ACADEMIES + 1)]
    for url in (pdf_url("lgb", *slugs), page_url("lgb", *slugs)):
        response = trustee.get(url)
        assert response.status_code == 400
        assert f"at most {MAX_ACADEMIES} academies" in response.content.decode()


def test_only_a_local_body_offers_a_paper_per_academy():
    world = build_world()
    assert is_local_body(Owner.objects.get(code="LGB"))
    assert not any(
        is_local_body(Owner.objects.get(code=code)) for code in ("BOARD", "TSC", "BAS", "NLI")
    )
    page = main_words(client_of(world["trustee"]).get(page_url("board")))
    assert "'s LGB (PDF)" not in page
    assert "Download this paper (PDF)" in page


# --- A large trust's paper ------------------------------------------------------------------------


def _cell(number: int, outcome: rag.Outcome, note: str = "") -> Cell:
    academy = Academy(pk=number, name=f"Academy {number:03}", slug=f"academy-{number}")
    judgement = rag.Judgement(outcome, f"arithmetic {number}")
    return Cell(academy, Decimal(number), judgement, measure="percentage", note=note)


def _context(cells: list[Cell]) -> dict:
    kpi = KPI(pk=7, code="2.1", name="Attendance")
    trust = Cell(None, Decimal(90), rag.Judgement(rag.Outcome.RED, "trust arithmetic"))
    return {"flagged": [(kpi, trust, cells)], "rules": {7: "At least 95%"}, "linked_numbers": {}}


def test_a_kpi_with_few_red_and_amber_academies_gives_each_a_row():
    cells = [_cell(n, rag.Outcome.RED if n % 2 else rag.Outcome.AMBER) for n in range(FULL_ROWS)]
    (item,) = flagged_kpis(_context(cells))
    assert item.rows == cells and item.listed == []
    assert item.rule == "At least 95%"


def test_a_kpi_with_many_gives_rows_to_the_noted_and_names_the_others_by_rating():
    """A 150-academy trust's paper ran to 200 pages (27 s) with a row per red or amber
    academy: beyond FULL_ROWS only those with a head's note get a row, the others are named
    with their values, reds then ambers, none left out."""
    cells = [
        _cell(
            n, rag.Outcome.RED if n % 3 else rag.Outcome.AMBER, "Explained." if n in (4, 9) else ""
        )
        for n in range(1, FULL_ROWS + 6)
    ]
    (item,) = flagged_kpis(_context(cells))
    assert [c.academy.pk for c in item.rows] == [4, 9]
    (red, reds), (amber, ambers) = item.listed
    assert (red, amber) == (rag.Outcome.RED, rag.Outcome.AMBER)
    assert all(c.outcome == rag.Outcome.RED and not c.note for c in reds)
    assert all(c.outcome == rag.Outcome.AMBER and not c.note for c in ambers)
    assert sorted(c.academy.pk for c in [*item.rows, *reds, *ambers]) == list(
        range(1, FULL_ROWS + 6)
    )


# --- Query counts -------------------------------------------------------------------------------


def test_the_pdf_runs_a_fixed_number_of_queries(django_assert_num_queries):
    world = build_world()
    client = client_of(world["governor"])
    # 1 session, 2 user, 3 the monitoring owner (?academy= names none: no academy query),
    # 4 active plan, 5 the actions the body monitors with latest status and commentary, 6 their
    # aims with objectives, 7 responsible owners, 8 monitors, 9 KPIs, 10 academies in scope,
    # 11 periods, 12 periods with a published return, 13 board version token, 14 active KPIs
    # with areas, 15 active academies, 16 the academies' column tokens, 17 academy targets,
    # 18 published values, 19 national figures (14–19 only when not cached), 20 the user's
    # groups, 21 the academies they govern, 22 demo-data flag, 23 the academies the paper
    # covers (by name, for the title block)
    with django_assert_num_queries(23):
        response = client.get(pdf_url())
    assert response.status_code == 200


def test_an_lgb_page_for_an_academy_runs_a_fixed_number_of_queries(django_assert_num_queries):
    world = build_world()
    client = client_of(world["trustee"])
    # The Trust Board's page's 21 (tests/plans/test_plan_views.py), and two more: the
    # academies ?academy= names, and the active academies whose LGB papers the page offers.
    with django_assert_num_queries(23):
        response = client.get(page_url("lgb", MORETON))
    assert response.status_code == 200


def test_the_pdfs_query_count_does_not_grow_with_the_actions():
    world = build_world()
    client = client_of(world["trustee"])

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(pdf_url()).status_code == 200
        return len(context.captured_queries)

    small = count()
    lgb = Owner.objects.get(code="LGB")
    template = Action.objects.filter(monitors=lgb).prefetch_related("kpis", "aims").first()
    academies = list(Academy.objects.all())
    for n in range(30):
        action = Action.objects.create(
            objective=template.objective, position=2000 + n, description=f"Scale action {n}"
        )
        action.monitors.add(lgb)
        action.aims.add(*template.aims.all())
        action.kpis.add(*KPI.objects.order_by("pk")[n % 5 : n % 5 + 2])
        action.academies.add(academies[n % len(academies)])
    assert count() == small
