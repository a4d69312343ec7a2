"""The narrative beside every exception (issue 15): the head's note with who wrote it, the
linked plan actions with their latest commentary, "no action addresses this", one line per
unsubmitted return, and the missing counts — on the overview, the matrix, the KPI page, the
scorecard, the governance paper and the board pack.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from academies.models import Academy
from board.templatetags.trustplan_tags import counts_for, rag_cell
from demo.values import generate_demo_values
from kpis import rag
from kpis.models import KPI, KPIValue, Period, Return, ReturnStatus
from kpis.selectors import Cell, PeriodIndex, board_matrix, default_period
from plans.models import Action, ActionStatus, ProgressUpdate
from plans.selectors import kpi_actions
from spreadsheets.export import board_pack

AUTUMN = "2023-24-autumn"
NOTE = "New maths lead started in April."
COMMENTARY = "Maths lead appointed; catch-up groups run twice a week."


@pytest.fixture
def autumn(trust) -> Period:
    generate_demo_values()
    return Period.objects.get(slug=AUTUMN)


@pytest.fixture
def head():
    return get_user_model().objects.create_user("jbloggs", first_name="Jo", last_name="Bloggs")


def red_cell(period: Period, *, linked: bool):
    """(row, cell) of an academy's red value in the period whose KPI the active plan's actions
    do (linked) or do not link to."""
    board = board_matrix(period, PeriodIndex())
    with_actions = set(
        Action.objects.filter(objective__plan__status="active").values_list("kpis", flat=True)
    )
    for row, cell in board.exceptions():
        if cell.outcome == rag.Outcome.RED and (row.kpi.pk in with_actions) == linked:
            return row, cell
    raise AssertionError("the demo values have no such red")


def note_on(period: Period, kpi: KPI, academy: Academy, user) -> KPIValue:
    value = KPIValue.objects.get(kpi=kpi, academy=academy, period=period)
    value.note, value.updated_by = NOTE, user
    value.save()
    return value


def exceptions_section(client, period: Period) -> str:
    page = client.get(reverse("home") + f"?period={period.slug}").content.decode()
    return page.split('id="exceptions-heading"', 1)[1].split('id="returns-heading"', 1)[0]


def exception_row(markup: str, kpi: KPI, academy: Academy) -> str:
    """The exceptions table row of one KPI and academy."""
    rows = re.findall(r"<tr>.*?</tr>", markup, flags=re.S)
    mine = [
        r
        for r in rows
        if f"/kpis/{kpi.code}/#academy-{academy.slug}" in r and f">{academy.name}<" in r
    ]
    assert len(mine) == 1, f"no single row for {kpi.code} {academy.name}"
    return mine[0]


# --- The overview ------------------------------------------------------------------------------


def test_the_overview_shows_the_heads_note_and_who_wrote_it_beside_a_red(client_for, autumn, head):
    row, cell = red_cell(autumn, linked=True)
    note_on(autumn, row.kpi, cell.academy, head)
    markup = exception_row(exceptions_section(client_for("trustee"), autumn), row.kpi, cell.academy)
    assert "Head's note:" in markup
    assert f"“{NOTE}” — Jo Bloggs" in markup
    assert cell.judgement.explanation.split(" ")[0] in markup  # the arithmetic stays


def test_a_red_shows_its_linked_actions_status_date_and_latest_commentary(client_for, autumn, cast):
    row, cell = red_cell(autumn, linked=True)
    action = Action.objects.filter(kpis=row.kpi, academies=None).first() or row.kpi.actions.first()
    action.academies.clear()  # trust-wide: it addresses every academy
    ProgressUpdate.objects.create(
        action=action,
        status=ActionStatus.AT_RISK,
        date=datetime.date(2024, 3, 4),
        commentary=COMMENTARY,
        author=cast["central"],
    )
    markup = exception_row(exceptions_section(client_for("trustee"), autumn), row.kpi, cell.academy)
    assert f'href="/plan/actions/{action.pk}/"' in markup
    words = re.sub(r"<[^>]+>", "", markup)  # the status is a styled span
    assert re.search(r"At risk\s*, 4 Mar 2024: " + re.escape(COMMENTARY), words)
    assert "No action addresses this" not in markup


def test_a_red_kpi_no_action_links_to_is_flagged(client_for, autumn):
    row, cell = red_cell(autumn, linked=False)
    markup = exception_row(exceptions_section(client_for("trustee"), autumn), row.kpi, cell.academy)
    assert "No action addresses this" in markup


def test_an_action_naming_only_another_academy_does_not_address_this_red(client_for, autumn):
    row, cell = red_cell(autumn, linked=True)
    other = Academy.objects.exclude(pk=cell.academy.pk).first()
    for action in row.kpi.actions.all():
        action.academies.set([other])
    markup = exception_row(exceptions_section(client_for("trustee"), autumn), row.kpi, cell.academy)
    assert "/plan/actions/" not in markup
    assert "No action addresses this" in markup


def test_an_unsubmitted_return_is_one_line_on_the_overview(client_for, autumn):
    moreton = Academy.objects.get(slug="moreton-school")
    Return.objects.filter(academy=moreton, period=autumn).update(status=ReturnStatus.DRAFT)
    board = board_matrix(autumn, PeriodIndex())
    missing = dict(board.unsubmitted())[moreton]
    markup = exceptions_section(client_for("trustee"), autumn)
    assert f"Moreton School</a>: return not submitted — {missing} KPIs" in markup
    assert missing > 10
    # None of its KPIs is a row of its own.
    assert "/kpis/" not in "".join(
        r for r in re.findall(r"<tr>.*?</tr>", markup, flags=re.S) if ">Moreton School<" in r
    )


def test_the_overviews_cached_exceptions_show_a_new_progress_update(
    client_for, autumn, settings, cast
):
    """The fragment is keyed by the plan's token as well as the board's: a new update shows."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    row, cell = red_cell(autumn, linked=True)
    action = row.kpi.actions.first()
    action.academies.clear()
    client = client_for("trustee")
    assert COMMENTARY not in exceptions_section(client, autumn)
    ProgressUpdate.objects.create(
        action=action, status=ActionStatus.ON_TRACK, commentary=COMMENTARY, author=cast["central"]
    )
    assert COMMENTARY in exceptions_section(client, autumn)


def test_linked_actions_cost_two_queries_for_any_number_of_kpis(autumn, django_assert_num_queries):
    kpis = list(KPI.objects.values_list("pk", flat=True))
    with django_assert_num_queries(2):  # the links with actions and latest updates; academies
        found = kpi_actions(kpis)
    assert found
    with django_assert_num_queries(2):  # the same two for one KPI, and for none
        kpi_actions(kpis[:1])
    with django_assert_num_queries(2):
        assert kpi_actions([]) == {}


# --- The matrix cell ---------------------------------------------------------------------------


def _cell(**extra) -> Cell:
    rule = rag.Rule(
        measure="percentage",
        direction="higher",
        target_kind="absolute",
        target=Decimal(95),
        amber_margin=Decimal(1),
    )
    judgement = rag.judge(rule, Decimal("90.5"))
    defaults = {"academy": None, "value": Decimal("90.5"), "judgement": judgement}
    return Cell(**{**defaults, "measure": "percentage", "tip_id": "tip-2.1-x", **extra})


def test_a_cells_tip_holds_the_note_and_who_and_a_visible_mark_says_there_is_one(trust):
    academy = Academy.objects.first()
    markup = str(rag_cell(_cell(academy=academy, note="Flu <outbreak>", note_by="Jo Bloggs")))
    tip = markup.split('id="tip-2.1-x">', 1)[1]
    assert "Note: “Flu &lt;outbreak&gt;” — Jo Bloggs" in tip  # escaped, and in the tip
    assert 'aria-describedby="tip-2.1-x"' in markup
    assert '<span class="rag-note-mark" aria-hidden="true">✎</span>' in markup
    assert '<span class="visually-hidden">, has a note</span>' in markup
    plain = str(rag_cell(_cell(academy=academy)))
    assert "✎" not in plain and "Note:" not in plain


def test_the_trust_cell_shows_its_coverage_on_the_cell_and_its_trend_note_in_the_tip():
    markup = str(
        rag_cell(
            _cell(
                expected=5,
                reported=4,
                unreported=("Moreton School",),
                trend_note="not comparable: Moreton School missing",
            )
        )
    )
    value, tip = markup.split('role="tooltip"', 1)
    assert '<span class="rag-coverage">4 of 5<span class="visually-hidden"> academies reported' in (
        value
    )
    assert "Trend: not comparable: Moreton School missing" in tip
    assert "rag-coverage" not in str(rag_cell(_cell(expected=5, reported=5)))


def test_the_scorecard_cell_shows_the_target_that_applied(trust):
    academy = Academy.objects.first()
    cell = _cell(academy=academy, target_words="95% or more (this term)")
    assert "95% or more (this term)</span>" in str(rag_cell(cell, "target"))
    assert "this term" not in str(rag_cell(cell))  # the matrix: not on every cell


def test_the_matrix_counts_missing_values_per_column(client_for, autumn):
    moreton = Academy.objects.get(slug="moreton-school")
    Return.objects.filter(academy=moreton, period=autumn).update(status=ReturnStatus.DRAFT)
    board = board_matrix(autumn, PeriodIndex())
    missing = dict(board.unsubmitted())[moreton]
    assert counts_for(board, moreton.slug)["missing"] == missing
    page = client_for("trustee").get(reverse("kpis:matrix") + f"?period={AUTUMN}")
    assert f'aria-label="{missing} missing: show them">? {missing}</a>' in page.content.decode()


def test_the_matrix_cell_carries_a_published_note(client_for, autumn, head):
    row, cell = red_cell(autumn, linked=True)
    note_on(autumn, row.kpi, cell.academy, head)
    page = client_for("trustee").get(reverse("kpis:matrix") + f"?period={AUTUMN}").content.decode()
    tip = page.split(f'id="tip-{row.kpi.code}-{cell.academy.slug}">', 1)[1].split("</span></span>")
    assert f"Note: “{NOTE}” — Jo Bloggs" in tip[0] + "</span>"


# --- The KPI page, the scorecard ---------------------------------------------------------------


def test_the_kpi_page_shows_each_academys_latest_note_and_who_in_its_row(client_for, autumn, head):
    row, cell = red_cell(autumn, linked=True)
    # The latest published value of that academy (spring is later than autumn).
    latest = (
        KPIValue.objects.published()
        .filter(kpi=row.kpi, academy=cell.academy, value__isnull=False)
        .order_by("-period__year_start", "-period__term")
        .first()
    )
    note_on(latest.period, row.kpi, cell.academy, head)
    page = client_for("trustee").get(reverse("kpis:detail", args=[row.kpi.code])).content.decode()
    academy_row = page.split(f'<tr id="academy-{cell.academy.slug}">', 1)[1].split("</tr>", 1)[0]
    assert f"“{NOTE}” — Jo Bloggs" in academy_row


def test_the_scorecard_shows_the_latest_values_note(client_for, autumn, head):
    row, cell = red_cell(autumn, linked=True)
    latest = (
        KPIValue.objects.published()
        .filter(kpi=row.kpi, academy=cell.academy, value__isnull=False)
        .order_by("-period__year_start", "-period__term")
        .first()
    )
    note_on(latest.period, row.kpi, cell.academy, head)
    url = reverse("academies:scorecard", args=[cell.academy.slug])
    page = client_for("trustee").get(url).content.decode()
    # The KPI's row: from its name to the next KPI's (the row holds a chart with its own table).
    kpi_row = page.split(f'class="kpi-name"><a href="/kpis/{row.kpi.code}/"', 1)[1]
    kpi_row = kpi_row.split('class="kpi-name"', 1)[0]
    assert f"“{NOTE}” — Jo Bloggs" in kpi_row.split("note-cell", 1)[1]


# --- The governance paper ----------------------------------------------------------------------


def test_the_governance_paper_shows_each_actions_latest_commentary_and_date(
    client_for, autumn, cast
):
    action = Action.objects.filter(monitors__code="BOARD").first()
    ProgressUpdate.objects.create(
        action=action,
        status=ActionStatus.ON_TRACK,
        date=datetime.date(2024, 3, 4),
        commentary=COMMENTARY,
        author=cast["central"],
    )
    page = client_for("trustee").get(reverse("plans:monitoring", args=["board"])).content.decode()
    assert f"Latest commentary (4 Mar 2024):</span> {COMMENTARY}" in page


def test_the_governance_paper_names_the_red_academies_and_what_their_heads_said(
    client_for, autumn, head
):
    periods = PeriodIndex()
    shown = default_period(periods)  # the paper's ratings are the board's default period's
    board = board_matrix(shown, periods)
    monitored = Action.objects.filter(monitors__code="BOARD")
    linked = {pk for pk in monitored.values_list("kpis", flat=True) if pk}
    row, cell = next(
        (row, cell)
        for row in board.rows
        if row.kpi.pk in linked
        for cell in row.cells
        if cell.outcome == rag.Outcome.RED
    )
    note_on(shown, row.kpi, cell.academy, head)
    response = client_for("trustee").get(reverse("plans:monitoring", args=["board"]))
    flagged = {kpi.pk: cells for kpi, _trust, cells in response.context["flagged"]}
    assert cell.academy.pk in {c.academy.pk for c in flagged[row.kpi.pk]}
    assert f"Head's note:</span> “{NOTE}” — Jo Bloggs" in response.content.decode()


def test_a_governor_reads_only_their_academys_notes_on_the_governance_paper(client_for, autumn):
    response = client_for("governor").get(reverse("plans:monitoring", args=["board"]))
    moreton = Academy.objects.get(slug="moreton-school")
    shown = {c.academy.pk for _kpi, _trust, cells in response.context["flagged"] for c in cells}
    assert shown <= {moreton.pk}


# --- The board pack ----------------------------------------------------------------------------


def _rows(sheet) -> list[list]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_the_board_packs_exceptions_carry_the_note_who_and_the_linked_actions(autumn, head, cast):
    row, cell = red_cell(autumn, linked=True)
    note_on(autumn, row.kpi, cell.academy, head)
    action = row.kpi.actions.first()
    action.academies.clear()
    ProgressUpdate.objects.create(
        action=action,
        status=ActionStatus.ON_TRACK,
        date=datetime.date(2024, 3, 4),
        commentary=COMMENTARY,
        author=cast["central"],
    )
    unlinked_row, unlinked = red_cell(autumn, linked=False)
    book = openpyxl.load_workbook(io.BytesIO(board_pack(autumn)))
    rows = _rows(book["Exceptions"])
    header = rows[0]
    mine = next(
        r for r in rows if r[0].startswith(f"{row.kpi.code} ") and r[1] == cell.academy.name
    )
    assert mine[header.index("Head's note")] == NOTE
    assert mine[header.index("Note by")] == "Jo Bloggs"
    actions = mine[header.index("Plan actions (status, latest update, commentary)")]
    assert f"{action} — On track, 4 Mar 2024: {COMMENTARY}" in actions.split("\n")
    flagged = next(
        r
        for r in rows
        if r[0].startswith(f"{unlinked_row.kpi.code} ") and r[1] == unlinked.academy.name
    )
    assert flagged[header.index("Plan actions (status, latest update, commentary)")] == (
        "No action addresses this"
    )
    plan_rows = _rows(book["Plan actions"])
    planned = next(r for r in plan_rows if r[2] == action.description)
    assert planned[plan_rows[0].index("Latest commentary")] == COMMENTARY
    assert planned[plan_rows[0].index("Latest update")].date() == datetime.date(2024, 3, 4)


def test_the_board_pack_lists_an_unsubmitted_return_once(autumn):
    moreton = Academy.objects.get(slug="moreton-school")
    Return.objects.filter(academy=moreton, period=autumn).update(status=ReturnStatus.DRAFT)
    rows = _rows(openpyxl.load_workbook(io.BytesIO(board_pack(autumn)))["Exceptions"])
    of_moreton = [r for r in rows[1:] if r[1] == "Moreton School"]
    assert len(of_moreton) == 1
    assert of_moreton[0][5].startswith("Return not submitted — ")
