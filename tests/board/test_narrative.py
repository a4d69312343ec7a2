"""The narrative beside every exception (issue 15): the head's note with who wrote it, the
linked plan actions with their latest commentary, "no action addresses this", one line per
unsubmitted return, and the missing counts — on the overview, the matrix, the KPI page, the
scorecard, the governance paper and the board pack.
"""

from __future__ import annotations

import datetime
import io
import re
from collections import Counter
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from academies.models import Academy, Owner
from board.templatetags.trustplan_tags import counts_for, rag_cell
from demo.values import generate_demo_values
from kpis import rag
from kpis.models import KPI, KPIValue, Period, Return, ReturnStatus
from kpis.selectors import Cell, PeriodIndex, board_matrix, default_period
from plans.models import Action, ActionStatus, ProgressUpdate
from plans.selectors import kpi_actions, most_relevant_first
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


def red_cell(period: Period, *, linked: bool, actions: int = 1):
    """(row, cell) of an academy's red value in the period whose KPI the active plan's actions
    do (linked: at least ``actions`` of them) or do not link to."""
    board = board_matrix(period, PeriodIndex())
    links = Counter(
        Action.objects.filter(objective__plan__status="active").values_list("kpis", flat=True)
    )
    for row, cell in board.exceptions():
        if cell.outcome != rag.Outcome.RED:
            continue
        if (links[row.kpi.pk] >= actions) if linked else not links[row.kpi.pk]:
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


def words(markup: str) -> str:
    """The text a reader sees: tags dropped, runs of white space as one space."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", markup)).strip()


def exception_card(markup: str, kpi: KPI) -> str:
    """The overview's card of one KPI (its academies beneath, its plan actions once)."""
    cards = markup.split('<li class="exception-kpi ')[1:]
    mine = [c for c in cards if f'href="/kpis/{kpi.code}/">{kpi.code} ' in c]
    assert len(mine) == 1, f"no single card for {kpi.code}"
    return mine[0]


def exception_item(card: str, academy: Academy) -> str:
    """One academy's part of a KPI's card: rating, why, the head's note."""
    items = card.split('<li class="exception-item">')[1:]
    mine = [i.split("</li>", 1)[0] for i in items if f">{academy.name}</a>" in i]
    assert len(mine) == 1, f"no single item for {academy.name}"
    return mine[0]


def plan_line(card: str) -> str:
    """The card's line about its plan actions (after its academies)."""
    return card.split("</ul>", 1)[1]


def update(action, status, day, commentary, author) -> ProgressUpdate:
    return ProgressUpdate.objects.create(
        action=action, status=status, date=day, commentary=commentary, author=author
    )


# --- The overview ------------------------------------------------------------------------------


def test_the_overview_shows_the_heads_note_and_who_wrote_it_beside_a_red(client_for, autumn, head):
    row, cell = red_cell(autumn, linked=True)
    note_on(autumn, row.kpi, cell.academy, head)
    card = exception_card(exceptions_section(client_for("trustee"), autumn), row.kpi)
    item = exception_item(card, cell.academy)
    assert f"Head's note: “{NOTE}” — Jo Bloggs" in words(item)
    assert cell.judgement.explanation in words(item)  # the arithmetic stays, under the rating
    assert "✗ Red" in words(item)
    # A link to the academy's chart on the KPI page.
    chart = f"chart-{row.kpi.code.replace('.', '-')}-{cell.academy.slug}"
    assert f'href="/kpis/{row.kpi.code}/#{chart}">Chart<' in item


def test_a_red_without_a_note_says_the_head_has_not_explained_it(client_for, autumn):
    row, cell = red_cell(autumn, linked=True)
    KPIValue.objects.filter(kpi=row.kpi, academy=cell.academy, period=autumn).update(note="")
    card = exception_card(exceptions_section(client_for("trustee"), autumn), row.kpi)
    assert "No note from the head." in words(exception_item(card, cell.academy))


def test_a_red_shows_its_most_relevant_action_in_one_line_and_counts_the_rest(
    client_for, autumn, cast
):
    """One line: the worst status first (an at-risk action before an on-track one updated
    later), its date and its latest commentary cut to about 20 words; the others counted,
    linked to the KPI page's list."""
    row, cell = red_cell(autumn, linked=True, actions=2)
    actions = list(row.kpi.actions.all())
    assert len(actions) >= 2
    long = " ".join([COMMENTARY] + ["and more"] * 20)
    worst = actions[-1]
    for action in actions:
        action.academies.clear()  # trust-wide: they address every academy
        action.due_date, action.due_period = None, None  # none overdue
        action.save()
        if action != worst:
            on_track = datetime.date(2024, 3, 20)
            update(action, ActionStatus.ON_TRACK, on_track, "All well.", cast["central"])
    update(worst, ActionStatus.AT_RISK, datetime.date(2024, 3, 4), long, cast["central"])
    line = plan_line(exception_card(exceptions_section(client_for("trustee"), autumn), row.kpi))
    assert f'href="/plan/actions/{worst.pk}/"' in line
    assert line.count('href="/plan/actions/') == 1  # one action, not all of them
    assert "At risk updated 4 Mar 2024: " + COMMENTARY in words(line)
    assert words(long) not in words(line) and "…" in line  # truncated
    more = len(actions) - 1
    assert f'href="/kpis/{row.kpi.code}/#actions">+ {more} more action' in line
    assert "No action addresses this" not in line


def test_a_red_kpi_no_action_links_to_is_flagged(client_for, autumn):
    row, cell = red_cell(autumn, linked=False)
    card = exception_card(exceptions_section(client_for("trustee"), autumn), row.kpi)
    assert "⚑ No action addresses this" in words(plan_line(card))
    assert "/plan/actions/" not in card


def test_an_action_naming_only_another_academy_does_not_address_this_red(client_for, autumn):
    row, cell = red_cell(autumn, linked=True)
    others = {c.academy.pk for c in row.cells if c.is_exception}
    other = Academy.objects.exclude(pk__in=others).first()
    for action in row.kpi.actions.all():
        action.academies.set([other])
    card = exception_card(exceptions_section(client_for("trustee"), autumn), row.kpi)
    assert "/plan/actions/" not in card
    assert "No action addresses this" in words(card)


def test_a_kpi_red_in_two_academies_is_one_card_with_its_action_once(client_for, autumn, cast):
    row, cell = red_cell(autumn, linked=True)
    second = next(
        c
        for c in row.cells
        if c.academy.pk != cell.academy.pk and c.outcome != rag.Outcome.NOT_APPLICABLE
    )
    KPIValue.objects.filter(kpi=row.kpi, academy=second.academy, period=autumn).update(
        value=KPIValue.objects.get(kpi=row.kpi, academy=cell.academy, period=autumn).value
    )
    for action in row.kpi.actions.all():
        action.academies.set([cell.academy])  # addresses the first academy only
    markup = exceptions_section(client_for("trustee"), autumn)
    card = exception_card(markup, row.kpi)
    assert "✗ Red" in words(exception_item(card, cell.academy))
    assert "✗ Red" in words(exception_item(card, second.academy))
    assert card.count('href="/plan/actions/') == 1
    # The action names the first academy; the second is flagged on its own.
    assert f"No action addresses {second.academy.name}" in words(
        exception_item(card, second.academy)
    )
    assert "No action addresses" not in words(exception_item(card, cell.academy))


def test_an_unsubmitted_return_is_one_line_on_the_overview(client_for, autumn):
    moreton = Academy.objects.get(slug="moreton-school")
    Return.objects.filter(academy=moreton, period=autumn).update(status=ReturnStatus.DRAFT)
    board = board_matrix(autumn, PeriodIndex())
    missing = dict(board.unsubmitted())[moreton]
    markup = exceptions_section(client_for("trustee"), autumn)
    assert f"Moreton School</a>: return not submitted — {missing} KPIs" in markup
    assert missing > 10
    # None of its KPIs is an exception of its own.
    assert 'class="exception-academy" href="/academies/moreton-school/"' not in markup


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
    update(action, ActionStatus.OFF_TRACK, datetime.date.today(), COMMENTARY, cast["central"])
    assert COMMENTARY in exceptions_section(client, autumn)


def test_the_most_relevant_action_is_the_worst_status_then_the_latest_update(autumn):
    today = datetime.date(2024, 6, 1)

    def action(pk, status, updated=None, due=None):
        found = Action(pk=pk, description=f"a{pk}", due_date=due)
        found.latest_status, found.latest_update_on = status, updated
        return found

    march, april = datetime.date(2024, 3, 1), datetime.date(2024, 4, 1)
    ranked = most_relevant_first(
        [
            action(1, ActionStatus.COMPLETE, april),
            action(2, ActionStatus.ON_TRACK, march),
            action(3, ActionStatus.ON_TRACK, april),
            action(4, ActionStatus.AT_RISK, march),
            action(5, ActionStatus.ON_TRACK, march, due=datetime.date(2024, 5, 1)),  # overdue
            action(6, ActionStatus.OFF_TRACK, march),
            action(7, ActionStatus.NOT_STARTED),
        ],
        today,
    )
    assert [a.pk for a in ranked] == [5, 6, 4, 7, 3, 2, 1]


# --- The KPI page lists every linked action ---------------------------------------------------


def test_the_kpi_page_lists_every_linked_action_with_its_latest_commentary(
    client_for, autumn, cast
):
    row, _cell = red_cell(autumn, linked=True)
    actions = list(row.kpi.actions.all())
    for action in actions:
        update(
            action,
            ActionStatus.ON_TRACK,
            datetime.date(2024, 3, 4),
            f"{COMMENTARY} {action.pk}",
            cast["central"],
        )
    page = client_for("trustee").get(reverse("kpis:detail", args=[row.kpi.code])).content.decode()
    listed = page.split('id="actions"', 1)[1]
    for action in actions:
        assert f'href="/plan/actions/{action.pk}/"' in listed
        assert f"On track updated 4 Mar 2024: {COMMENTARY} {action.pk}" in words(listed)


def test_a_governor_reads_only_the_kpi_actions_in_their_scope(client_for, autumn):
    row, _cell = red_cell(autumn, linked=True, actions=2)
    moreton = Academy.objects.get(slug="moreton-school")
    aldersley = Academy.objects.get(slug="aldersley-high-school")
    mine, theirs = list(row.kpi.actions.all())[:2]
    mine.academies.set([moreton])
    theirs.academies.set([aldersley])
    url = reverse("kpis:detail", args=[row.kpi.code])
    listed = client_for("governor").get(url).content.decode().split('id="actions"', 1)[1]
    assert f'href="/plan/actions/{mine.pk}/"' in listed
    assert "(Moreton School)" in words(listed)
    assert f'href="/plan/actions/{theirs.pk}/"' not in listed
    everyone = client_for("trustee").get(url).content.decode().split('id="actions"', 1)[1]
    assert f'href="/plan/actions/{theirs.pk}/"' in everyone


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


def test_an_update_without_commentary_is_not_shown_as_no_update_yet(client_for, autumn, cast):
    """The paper read "Latest commentary (23 Jun 2024): none yet" for an update that gave no
    commentary: there was an update; it gave none."""
    action = Action.objects.filter(monitors__code="BOARD").first()
    ProgressUpdate.objects.create(
        action=action,
        status=ActionStatus.NOT_STARTED,
        date=datetime.date(2024, 3, 4),
        commentary="",
        author=cast["central"],
    )
    page = client_for("trustee").get(reverse("plans:monitoring", args=["board"])).content.decode()
    row = page.split(f'href="/plan/actions/{action.pk}/"', 1)[1].split("</tr>", 2)[1]
    assert "Latest commentary (4 Mar 2024):" in row
    assert "the update gave none" in row and "none yet" not in row


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


@pytest.mark.parametrize("page", ["plans:plan", "my"])
def test_action_rows_show_the_latest_commentary_beside_the_status(client_for, autumn, cast, page):
    """Wherever an action's status appears, its latest commentary and date do too: the plan
    tree and My work rows showed only the date."""
    action = Action.objects.filter(objective__plan__status="active").first()
    owner = Owner.objects.get(code="NLI")  # My work lists the actions of one's own owner
    owner.user = cast["central"]
    owner.save()
    action.responsible.add(owner)
    ProgressUpdate.objects.create(
        action=action,
        status=ActionStatus.AT_RISK,
        date=datetime.date(2024, 3, 4),
        commentary=COMMENTARY,
        author=cast["central"],
    )
    content = client_for("central").get(reverse(page)).content.decode()
    row = content.split(f'href="/plan/actions/{action.pk}/"', 1)[1].split("</tr>", 1)[0]
    assert "4 Mar 2024" in row and COMMENTARY in row


def test_the_scorecard_lists_its_actions_with_status_and_latest_commentary(
    client_for, autumn, cast
):
    academy = Academy.objects.get(slug="moreton-school")
    action = Action.objects.filter(objective__plan__status="active").first()
    action.academies.add(academy)
    ProgressUpdate.objects.create(
        action=action,
        status=ActionStatus.AT_RISK,
        date=datetime.date(2024, 3, 4),
        commentary=COMMENTARY,
        author=cast["central"],
    )
    content = client_for("trustee").get(reverse("academies:scorecard", args=[academy.slug]))
    section = content.content.decode().split('id="actions-heading"', 1)[1]
    item = section.split(f'href="/plan/actions/{action.pk}/"', 1)[1].split("</li>", 1)[0]
    assert "At risk" in item and "updated 4 Mar 2024: " + COMMENTARY in words(item)
