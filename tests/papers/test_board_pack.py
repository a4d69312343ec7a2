"""The PDF board pack (issue 16): papers.pack, /kpis/pack.pdf and export_board_pack --format pdf.

Two packs are made once for the module, in a world built inside a transaction rolled back at
the end (demo values and progress; Aldersley's red values signed by its head on a known day;
one of Penn Hall's values deleted, so a submitted return has a missing value): the whole
trust's by the command (with the XLSX beside it), and a governor of Moreton School's through
the view. Both are read with pypdf; a PNG of a page of each kind goes to test-artifacts/.
The query counts are pinned on the pack's context and HTML (the PDF's drawing reads nothing).
"""

from __future__ import annotations

import datetime
import io
import re
import subprocess
import zlib
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from academies import permissions
from academies.models import Academy, AcademyRole, Phase, RoleAssignment
from demo.progress import generate_demo_progress
from demo.values import RED_NOTES, generate_demo_values
from kpis import rag
from kpis.models import KPIValue, Return, ReturnStatus
from kpis.selectors import PeriodIndex, board_matrix, default_period
from papers import pack as pack_module
from papers.pack import pack_context
from plans.models import Plan, PlanStatus
from tests.conftest import ensure_trust

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
NO_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
SIGNED_ON = datetime.datetime(2024, 3, 11, 9, 30, tzinfo=datetime.UTC)
MORETON, ALDERSLEY, PENN_HALL = "moreton-school", "aldersley-high-school", "penn-hall-school"
PARTS = ["Contents", "Summary", "Exceptions report", "KPI matrix", "Targets", "Academies"]

pytestmark = pytest.mark.django_db


def build_world() -> dict:
    """The packs' world (see the module's note) and what the tests look for in it."""
    plan = ensure_trust()  # loaded again if a transactional test in this worker flushed it
    groups = permissions.ensure_role_groups()
    users = get_user_model().objects
    central = users.create_user("bp-central", first_name="Nadia", last_name="Li")
    central.groups.add(groups[permissions.CENTRAL_TEAM])
    head = users.create_user("bp-head", first_name="Priya", last_name="Shah")
    governor = users.create_user("bp-governor", first_name="Sam", last_name="Patel")
    governor.groups.add(groups[permissions.GOVERNOR])
    moreton = Academy.objects.get(slug=MORETON)
    RoleAssignment.objects.create(user=governor, academy=moreton, role=AcademyRole.GOVERNOR)
    generate_demo_values()
    generate_demo_progress(plan=plan, author=central)
    periods = PeriodIndex()
    period = default_period(periods)
    aldersley = Academy.objects.get(slug=ALDERSLEY)
    noted = KPIValue.objects.filter(period=period, academy=aldersley).exclude(note="")
    noted.update(updated_by=head, updated_at=SIGNED_ON)
    before = board_matrix(period, periods)
    # A value of Penn Hall's submitted return deleted: a missing value among reported ones.
    penn = next(
        (row, cell)
        for row in before.rows
        for cell in row.cells
        if cell.academy.slug == PENN_HALL and cell.outcome == rag.Outcome.GREEN
    )
    KPIValue.objects.filter(kpi=penn[0].kpi, period=period, academy=penn[1].academy).delete()
    board = board_matrix(period, periods)
    declining = next(
        (row.kpi, cell.academy)
        for row in board.rows
        for cell in row.cells
        if cell.outcome == rag.Outcome.AMBER and cell.trend == rag.Trend.WORSE
    )
    reds = [(row.kpi, cell) for row in board.rows for cell in row.cells if cell.outcome == "red"]
    return {
        "period": period,
        "governor": governor,
        "missing": (penn[0].kpi, penn[1].academy),
        "declining": declining,
        "reds": reds,
        "academies": [a.name for a in Academy.objects.active()],
        "moreton_return": Return.objects.get(period=period, academy=moreton).status,
    }


def words(text: str) -> str:
    """Text with every run of white space as one space (table cells wrap their lines)."""
    return " ".join(text.split())


def outline(reader: pypdf.PdfReader) -> list[tuple[int, str, int]]:
    """The PDF's bookmarks as (level, title, page index), in order."""
    found = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                found.append((level, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 1)
    return found


def read(content: bytes, path: Path) -> dict:
    path.write_bytes(content)
    reader = pypdf.PdfReader(io.BytesIO(content))
    pages = [words(page.extract_text()) for page in reader.pages]
    return {"reader": reader, "pages": pages, "text": " ".join(pages), "path": path}


def part(pack: dict, title: str, until: str) -> str:
    """The text of the pages from the part's bookmark to the next part's."""
    marks = {name: page for level, name, page in outline(pack["reader"]) if level == 1}
    return " ".join(pack["pages"][marks[title] : marks[until] + 1])


@pytest.fixture(scope="module")
def packs(django_db_setup, django_db_blocker, tmp_path_factory) -> dict:
    """The trust's pack (command, PDF and XLSX) and the governor's (view), made once."""
    out = tmp_path_factory.mktemp("packs")
    found: dict = {}
    with django_db_blocker.unblock(), override_settings(CACHES=NO_CACHE), transaction.atomic():
        world = build_world()
        period = world["period"]
        stdout = io.StringIO()
        call_command(
            "export_board_pack",
            period=period.slug,
            output=str(out / "trust.pdf"),
            produced_by="Alex Morgan",
            stdout=stdout,
        )
        found["command_output"] = stdout.getvalue()
        found["trust"] = read((out / "trust.pdf").read_bytes(), out / "trust.pdf")
        call_command("export_board_pack", period=period.slug, output=str(out / "t.xlsx"))
        found["xlsx"] = (out / "t.xlsx").read_bytes()
        client = Client()
        client.force_login(world["governor"])
        response = client.get(reverse("kpis:pack_pdf"), {"period": period.slug})
        assert response.status_code == 200, response.content[:300]
        found["response"] = response
        found["governor"] = read(response.content, out / "governor.pdf")
        found["world"] = world
        transaction.set_rollback(True)
    return found


# --- The cover, the contents and every page -----------------------------------------------------


def test_the_cover_names_trust_period_marking_time_and_who_produced_it(packs):
    cover = packs["trust"]["pages"][0]
    period = str(packs["world"]["period"])
    assert settings.TRUST_NAME in cover
    assert "Board pack" in cover
    assert f"Period {period}" in cover
    assert settings.PAPER_MARKING.upper() in cover.upper()
    assert re.search(r"As at \d{1,2} \w+ \d{4}, \d\d:\d\d", cover)
    assert "Produced by Alex Morgan" in cover
    assert "Every academy of the trust (5)" in cover


def test_the_contents_list_every_part_with_the_page_it_starts_on(packs):
    pack = packs["trust"]
    contents = pack["pages"][1]
    marks = outline(pack["reader"])
    for title in [*PARTS[1:], "Plan progress"]:
        page = next(page for level, name, page in marks if name == title and level == 1)
        # "Summary ........ 3": the entry, its leader dots and the page it points at.
        assert re.search(rf"{re.escape(title)}[ .]*\.\s*{page + 1}\b", contents), title
    assert [name for level, name, _ in marks if level == 1][:7] == ["Board pack", *PARTS]


def test_every_page_has_its_number_the_period_and_the_marking(packs):
    pages = packs["trust"]["pages"]
    period = str(packs["world"]["period"])
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text, number
        assert period in text, number
        assert settings.PAPER_MARKING.upper() in text.upper(), number


def test_the_pack_has_the_pages_it_should(packs):
    pack = packs["trust"]
    count = len(pack["pages"])
    # Cover, contents, summary, exceptions, matrix, targets, five academies, plan progress.
    assert 20 <= count <= 40, count
    result = subprocess.run(["pdfinfo", str(pack["path"])], capture_output=True, text=True)
    assert f"Pages:           {count}" in result.stdout
    assert f"{count} pages in" in packs["command_output"]


def test_the_pdf_is_tagged_with_a_language_and_a_title(packs):
    reader = packs["trust"]["reader"]
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == pypdf.generic.BooleanObject(True)
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"
    title = f"Board pack – {packs['world']['period']} – {settings.TRUST_NAME}"
    assert reader.metadata.title == title
    info = subprocess.run(["pdfinfo", str(packs["trust"]["path"])], capture_output=True, text=True)
    assert "Tagged:          yes" in info.stdout


def test_page_streams_are_deflated_at_level_6_not_pydyfs_9(packs):
    """pydyf deflates at level 9, three times as slow as 6 for 3% less (papers.pdf)."""
    page = packs["trust"]["reader"].pages[3]
    contents = page["/Contents"]
    stream = (
        contents[0] if isinstance(contents, pypdf.generic.ArrayObject) else contents
    ).get_object()
    assert stream["/Filter"] == "/FlateDecode"
    raw, decoded = stream._data, stream.get_data()
    assert zlib.compress(decoded, 9) != zlib.compress(decoded, 6)  # the levels can be told apart
    level6 = zlib.compressobj(6)
    assert raw == level6.compress(decoded) + level6.flush()


def test_papers_in_one_thread_share_one_font_configuration(monkeypatch):
    """WeasyPrint makes a new font configuration (Pango font map, cold caches) per document
    unless given one; papers.pdf keeps one per thread, and a paper is the same with it."""
    import threading

    import weasyprint.document
    from weasyprint.text.fonts import FontConfiguration

    from papers import pdf

    made = []

    class Counted(FontConfiguration):
        def __init__(self, *args, **kwargs):
            made.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(weasyprint.document, "FontConfiguration", Counted)
    monkeypatch.setattr(pdf, "FontConfiguration", Counted)
    monkeypatch.setattr(pdf, "_fonts", threading.local())
    html = (
        '<!doctype html><html lang="en-GB"><head><title>T</title></head>'
        "<body><p>Attainment 8: <b>✓ Green</b> 49.45</p></body></html>"
    )
    first = pdf.html_to_pdf(html)
    second, pages = pdf.html_to_pdf_and_pages(html)
    assert len(made) == 1
    assert pages == 1

    def text(data: bytes) -> str:
        return pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()

    assert text(first) == text(second)
    assert "Attainment 8: ✓ Green 49.45" in text(first)
    # Another thread gets its own (a Pango font map is not thread-safe).
    worker = threading.Thread(target=pdf.html_to_pdf, args=(html,))
    worker.start()
    worker.join()
    assert len(made) == 2


# --- The summary and the exceptions -------------------------------------------------------------


def test_the_summary_counts_by_area_and_academy_and_names_the_returns_outstanding(packs):
    summary = part(packs["trust"], "Summary", "Exceptions report")
    assert "RAG ratings by area" in summary and "RAG ratings by academy" in summary
    for name in packs["world"]["academies"]:
        assert name in summary
    assert "Improved (" in summary and "Declined (" in summary
    assert packs["world"]["moreton_return"] != ReturnStatus.SUBMITTED
    assert "Returns outstanding 1 of 5 not submitted (due " in summary
    assert "Moreton School (draft)." in summary
    for question in ("going well", "concerns", "at risk", "needs to change"):
        assert f"What {'is' if question in ('going well', 'at risk') else 'are'}" in summary
        assert question in summary


def test_the_exceptions_carry_every_red_with_its_heads_note_who_and_when(packs):
    exceptions = part(packs["trust"], "Exceptions report", "KPI matrix")
    reds = packs["world"]["reds"]
    assert reds
    notes = {note for group in RED_NOTES.values() for note in group}
    for kpi, cell in reds:
        assert f"{kpi.code} {kpi.name}"[:30] in exceptions, kpi.code
        assert cell.note in notes
        assert words(cell.note) in exceptions, kpi.code
    assert "— Priya Shah, 11 Mar 2024" in exceptions  # Aldersley's notes, signed and dated
    assert "Question for the board" in exceptions
    assert "Linked plan action" in exceptions and "updated" in exceptions


def test_the_exceptions_carry_a_declining_amber_and_a_missing_value(packs):
    exceptions = part(packs["trust"], "Exceptions report", "KPI matrix")
    kpi, academy = packs["world"]["declining"]
    section = exceptions[exceptions.index(academy.name) :]
    assert f"{kpi.code} {kpi.name}"[:25] in section
    assert "! Amber" in exceptions and "↓ worse than last period" in exceptions
    kpi, academy = packs["world"]["missing"]
    section = exceptions[exceptions.index(academy.name) :]
    assert f"{kpi.code} {kpi.name}"[:25] in section
    assert "? Missing" in section
    # Moreton has not submitted: one line, not thirty missing rows.
    assert re.search(
        r"Moreton School \? Missing Return not submitted — \d+ KPIs missing", exceptions
    )


def test_the_matrix_shows_every_academy_with_rag_words_and_the_trust_column(packs):
    matrix = part(packs["trust"], "KPI matrix", "Targets")
    for name in packs["world"]["academies"]:
        assert name in matrix
    assert settings.TRUST_NAME in matrix
    for word in ("✓ Green", "! Amber", "✗ Red", "? Missing", "– Not applicable"):
        assert word in matrix
    assert "1. Quality of Education" in matrix and "4. Leadership and Management" in matrix


def test_every_academy_has_its_page_with_scorecard_and_charts(packs):
    pack = packs["trust"]
    marks = outline(pack["reader"])
    start = next(i for i, (level, name, _) in enumerate(marks) if name == "Academies")
    pages = [(name, page) for level, name, page in marks[start + 1 :] if level == 2]
    names = [name for name, _ in pages][: len(packs["world"]["academies"])]
    assert names == packs["world"]["academies"]
    for name, page in pages[: len(names)]:
        text = pack["pages"][page]
        assert name in text and "Target" in text
    aldersley = pack["pages"][dict(pages)["Aldersley High School"] :]
    assert "Red and amber KPIs over time" in " ".join(aldersley[:3])


def test_plan_progress_lists_actions_by_objective_overdue_first(packs):
    pack = packs["trust"]
    marks = {name: page for level, name, page in outline(pack["reader"]) if level == 1}
    plan = " ".join(pack["pages"][marks["Plan progress"] :])
    assert "Strategic objective 1" in plan and "Strategic objective 3" in plan
    assert "Overdue ·" in plan  # overdue in words, as the pages say it
    first = plan[plan.index("Strategic objective 1:") :]
    rows = first[first.index("Latest update") :][:4000]
    overdue, other = rows.find("Overdue ·"), re.search(r"\d{4} (On track|Complete)\b", rows)
    assert overdue >= 0
    assert other is None or overdue < other.start()


# --- A governor's pack, the view, the command ----------------------------------------------------


def test_a_governors_pack_has_only_their_academy_and_the_trust_column(packs):
    pack = packs["governor"]
    marks = outline(pack["reader"])
    start = next(i for i, (level, name, _) in enumerate(marks) if name == "Academies")
    assert [name for level, name, _ in marks[start + 1 :] if level == 2][0] == "Moreton School"
    assert "Covers Moreton School (trust figures are the whole trust's)" in pack["pages"][0]
    matrix = part(pack, "KPI matrix", "Targets")
    assert "Moreton School" in matrix and settings.TRUST_NAME in matrix
    for other in packs["world"]["academies"]:
        if other != "Moreton School":
            assert other not in matrix, other
            assert f"RAG {other}" not in pack["text"]
    assert "Produced by Sam Patel" in pack["pages"][0]
    assert len(pack["pages"]) < len(packs["trust"]["pages"])


def test_the_view_answers_a_pdf_attachment_named_after_the_period(packs):
    response = packs["response"]
    slug = packs["world"]["period"].slug
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="board-pack-{slug}.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_the_command_writes_the_workbook_too(packs):
    assert packs["xlsx"].startswith(b"PK")  # a zip: the XLSX
    assert "Wrote the PDF board pack for" in packs["command_output"]


def test_the_command_takes_the_format_from_the_suffix_and_refuses_an_unknown_period(
    trust, tmp_path
):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No period '2030-31-autumn'"):
        call_command("export_board_pack", period="2030-31-autumn", output=str(tmp_path / "x.pdf"))
    generate_demo_values()
    out = io.StringIO()
    call_command("export_board_pack", output=str(tmp_path / "pack"), stdout=out)  # no suffix
    assert (tmp_path / "pack").read_bytes().startswith(b"PK")
    assert "Wrote the board pack for" in out.getvalue()


def test_an_unknown_period_is_a_404_that_names_it(client_for, trust):
    response = client_for("trustee").get(reverse("kpis:pack_pdf"), {"period": "2030-31-winter"})
    assert response.status_code == 404


@override_settings(TRUSTPLAN_PACK_WEB_MAX_ACADEMIES=3)
def test_a_pack_too_large_for_a_request_says_how_to_get_it(client_for, trust):
    generate_demo_values()
    response = client_for("trustee").get(reverse("kpis:pack_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "too large to make while you wait" in page
    assert "export_board_pack --period" in page and "--format pdf" in page


def test_a_meetings_pack_names_the_meeting_on_its_cover(trust):
    generate_demo_values()
    period = default_period(PeriodIndex())
    context = pack_context(period, produced_by="Clerk", title="Trust Board, 12 March 2024")
    html = render_to_string(pack_module.TEMPLATE, context)
    assert "<title>Trust Board, 12 March 2024 – " in html
    assert '<h1 id="cover-title">Trust Board, 12 March 2024</h1>' in html
    plain = pack_context(period, produced_by="Clerk")
    assert plain["pack_title"] == f"Board pack – {period}"


def test_a_pack_of_the_first_period_without_an_active_plan_says_so(trust):
    generate_demo_values()
    Plan.objects.filter(status=PlanStatus.ACTIVE).update(status=PlanStatus.ARCHIVED)
    first = PeriodIndex().periods[0]
    html = render_to_string(pack_module.TEMPLATE, pack_context(first, produced_by="Clerk"))
    assert "No previous period to compare with." in html
    assert "There is no active plan." in html
    assert "Compared with" not in html


# --- Queries ------------------------------------------------------------------------------------


def _pack_queries(period) -> int:
    with CaptureQueriesContext(connection) as captured:
        render_to_string(pack_module.TEMPLATE, pack_context(period, produced_by="x"))
    return len(captured)


def test_the_pack_reads_a_fixed_number_of_queries(trust, django_assert_num_queries):
    generate_demo_values()
    period = default_period(PeriodIndex())
    # Periods; the board (KPIs, academies, column tokens, targets, values, national figures);
    # returns; note dates; linked actions (links, academies); scorecards (KPIs, targets,
    # values, national); the active plan, its actions and their five prefetches (aims,
    # responsible, monitors, KPIs, academies), its objectives.
    with django_assert_num_queries(23):
        render_to_string(pack_module.TEMPLATE, pack_context(period, produced_by="x"))


def test_the_pack_queries_do_not_grow_with_the_number_of_academies(trust):
    generate_demo_values()
    period = default_period(PeriodIndex())
    before = _pack_queries(period)
    source = Academy.objects.get(slug=ALDERSLEY)
    values = list(KPIValue.objects.filter(academy=source, period=period))
    for number in range(3):
        academy = Academy.objects.create(
            name=f"Extra Academy {number}",
            short_name=f"EX{number}",
            slug=f"extra-{number}",
            phase=Phase.SECONDARY,
            pupils_on_roll=900,
        )
        Return.objects.create(academy=academy, period=period, status=ReturnStatus.SUBMITTED)
        for value in values:
            value.pk, value.academy = None, academy
        KPIValue.objects.bulk_create(values)
    assert _pack_queries(period) == before


# --- Pictures of the pages, for people to look at ------------------------------------------------


def test_a_page_of_each_kind_is_saved_as_a_png(packs):
    pack = packs["trust"]
    marks = outline(pack["reader"])
    first = {name: page for level, name, page in marks if level == 1}
    start = next(i for i, (level, name, _) in enumerate(marks) if name == "Academies")
    academy = next(page for _, name, page in marks[start:] if name == "Aldersley High School")
    kinds = {
        "cover": 0,
        "contents": first["Contents"],
        "summary": first["Summary"],
        "exceptions": first["Exceptions report"],
        "matrix": first["KPI matrix"],
        "academy": academy,
        "academy-charts": next(
            i for i, text in enumerate(pack["pages"]) if "Red and amber KPIs over time" in text
        ),
        "plan": first["Plan progress"],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    for kind, index in kinds.items():
        target = ARTIFACTS / f"pack-{kind}"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", str(index + 1), "-l", str(index + 1)]
            + ["-singlefile", str(pack["path"]), str(target)],
            check=True,
        )
        assert target.with_suffix(".png").stat().st_size > 10_000, kind
