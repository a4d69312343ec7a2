"""The development plan pages: the plan tree and its filters, action detail, editing, progress
updates, governance papers, /my/, who may do what, and query counts that do not grow with the plan.

Expected values are computed here from the database (an action's status from its own newest
update, overdue from its due date or due term and that status), not from the views' querysets.
"""

from __future__ import annotations

import datetime
import html as html_lib
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from academies.models import Academy, Owner
from academies.services import read_fixture
from demo.progress import generate_demo_progress
from demo.values import generate_demo_values
from kpis import rag
from kpis.models import KPI, Period
from kpis.selectors import PeriodIndex, board_matrix, default_period
from plans.models import (
    Action,
    ActionStatus,
    Aim,
    Plan,
    PlanStatus,
    ProgressUpdate,
    StrategicObjective,
)
from plans.services import load_plan

READERS = ["trustee", "governor", "head_a", "central", "admin"]
NON_EDITORS = ["trustee", "governor", "head_a", "head_b", "exec_head"]
EDITORS = ["central", "admin"]


# --- Helpers ------------------------------------------------------------------------------------


def main_of(response) -> str:
    """The page's <main> element (the content block, without header, title or navigation)."""
    page = response.content.decode()
    match = re.search(r'<main id="main".*?</main>', page, re.S)
    assert match, "the page has no <main>"
    return match.group(0)


def words(markup: str) -> str:
    """Visible text: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def normalised(text: str) -> str:
    return " ".join(text.split())


def action_ids(markup: str) -> list[int]:
    """The actions a page lists, in order (each action row links to its page)."""
    return [int(pk) for pk in re.findall(r'href="/plan/actions/(\d+)/"', markup)]


def action_rows(markup: str) -> dict[int, str]:
    """Each action row of a page's tables, by action id."""
    rows = re.findall(r'<tr>\s*<td><a href="/plan/actions/(\d+)/">(.*?)</tr>', markup, re.S)
    return {int(pk): row for pk, row in rows}


def objective_sections(markup: str) -> dict[int, str]:
    found = re.findall(
        r'<section class="mb-4 objective" aria-labelledby="objective-(\d+)">(.*?)</section>',
        markup,
        re.S,
    )
    return {int(pk): body for pk, body in found}


def flagged_kpis(markup: str) -> dict[str, str]:
    """The governance paper's red/amber KPI table: {code: rag class}."""
    section = markup.split('id="kpis-heading"')[1].split('id="actions-heading"')[0]
    return dict(re.findall(r'<a href="/kpis/([\d.]+)/">.*?class="rag rag-([a-z_]+)"', section))


def plan_actions(plan: Plan) -> list[Action]:
    return list(
        Action.objects.filter(objective__plan=plan)
        .select_related("due_period")
        .prefetch_related("responsible", "monitors", "kpis", "academies", "aims")
        .order_by("objective__number", "position", "pk")
    )


def status_of(action: Action) -> str:
    """The newest update's status (by date, then by id), computed here from the updates."""
    updates = sorted(action.updates.all(), key=lambda u: (u.date, u.pk), reverse=True)
    return updates[0].status if updates else ActionStatus.NOT_STARTED


def overdue_here(action: Action, today: datetime.date) -> bool:
    due = action.due_date or (action.due_period.end_date if action.due_period_id else None)
    return due is not None and due < today and status_of(action) != ActionStatus.COMPLETE


def trust_outcomes() -> dict[str, str]:
    """Each KPI's trust-column outcome in the board's default period: {code: outcome}."""
    periods = PeriodIndex()
    period = default_period(periods)
    board = board_matrix(period, periods)
    return {row.kpi.code: row.trust.outcome.value for row in board.rows}


def worst_outcomes() -> dict[str, str]:
    """Each KPI's worst outcome over the trust and every academy, in the board's default
    period: red, else amber, else the trust's."""
    periods = PeriodIndex()
    board = board_matrix(default_period(periods), periods)
    worst = {}
    for row in board.rows:
        seen = {cell.outcome.value for cell in [row.trust, *row.cells]}
        worst[row.kpi.code] = next(
            (o for o in ("red", "amber") if o in seen), row.trust.outcome.value
        )
    return worst


def snapshot() -> tuple:
    """Everything an edit URL could change, to show that a refused request changed nothing."""
    return (
        list(Plan.objects.order_by("pk").values_list("pk", "status", "title")),
        list(StrategicObjective.objects.order_by("pk").values_list("pk", "number", "title")),
        list(Aim.objects.order_by("pk").values_list("pk", "position", "title")),
        list(Action.objects.order_by("pk").values_list("pk", "position", "description")),
        sorted(Action.responsible.through.objects.values_list("action_id", "owner_id")),
        sorted(Action.monitors.through.objects.values_list("action_id", "owner_id")),
        sorted(Action.kpis.through.objects.values_list("action_id", "kpi_id")),
        sorted(Action.aims.through.objects.values_list("action_id", "aim_id")),
        list(ProgressUpdate.objects.order_by("pk").values_list("pk", "status")),
        Action.history.count(),
        StrategicObjective.history.count(),
        Aim.history.count(),
    )


def first_action(plan: Plan) -> Action:
    return Action.objects.filter(objective__plan=plan).order_by("objective__number", "position")[0]


def action_named(plan: Plan, start: str) -> Action:
    return Action.objects.get(objective__plan=plan, description__startswith=start)


def action_post(
    aims, *, description="Run a trust-wide reading programme", kpis="", owners="", monitors=""
) -> dict:
    return {
        "aims": [aim.pk for aim in aims],
        "description": description,
        "academies": [],
        "due_date": "",
        "due_period": "",
        "responsibility": owners,
        "monitored_by": monitors,
        "kpi_codes": kpis,
    }


def codes(related) -> set[str]:
    return {item.code for item in related.all()}


# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def demo(trust, cast):
    """Demo KPI values (so KPIs have a RAG) and demo progress (every status, some overdue)."""
    generate_demo_values()
    generate_demo_progress(plan=trust, author=cast["central"])
    return trust


@pytest.fixture
def old_plan(trust):
    plan, created = load_plan(data=read_fixture("plan_2019_2022.yaml"))
    assert created
    return plan


@pytest.fixture
def objective(trust):
    return trust.objectives.get(number=1)


@pytest.fixture
def aim(objective):
    return objective.aims.get(position=1)


# --- The plan page ------------------------------------------------------------------------------


def test_plan_page_shows_the_active_plan_as_objectives_aims_and_actions(client_for, trust):
    response = client_for("trustee").get(reverse("plans:plan"))
    assert response.status_code == 200
    page = main_of(response)
    text = words(page)
    assert "Trust Development Plan 2023/2024" in text
    for objective in trust.objectives.all():
        assert f"Strategic objective {objective.number}: {normalised(objective.title)}" in text
        for aim in objective.aims.all():
            assert f"Aim {aim.number}:" in text
    assert set(action_ids(page)) == {a.pk for a in Action.objects.filter(objective__plan=trust)}

    # "Present and gain buy-in from headteachers": responsibility NLI, monitored by Trust Board.
    row = action_rows(page)[action_named(trust, "Present and gain buy-in").pk]
    assert '<span class="owner">NLI</span>' in row  # visible text, no hover-only title
    assert "Trust Board" in words(row)
    assert "Not started" in words(row)
    assert "none" in words(row)  # no update yet


def test_plan_page_shows_owner_names_due_status_and_last_update(client_for, trust, cast):
    action = first_action(trust)
    action.responsible.set(Owner.objects.filter(code__in=["TBR", "CT"]))
    action.due_date = datetime.date(2099, 3, 14)
    action.save()
    ProgressUpdate.objects.create(
        action=action,
        date=datetime.date(2024, 2, 5),
        author=cast["central"],
        status=ActionStatus.ON_TRACK,
    )
    row = action_rows(main_of(client_for("trustee").get(reverse("plans:plan"))))[action.pk]
    assert '<span class="owner">TBR</span>' in row
    assert '<span class="owner">CT <span class="owner-name">(Central Team)</span></span>' in row
    assert "14 Mar 2099" in row
    assert "On track" in words(row)
    assert "5 Feb 2024" in row
    assert "status-overdue" not in row


def test_linked_kpis_carry_the_trust_rag_of_the_board_default_period(client_for, demo):
    outcomes = trust_outcomes()
    page = main_of(client_for("trustee").get(reverse("plans:plan")))
    rows = action_rows(page)
    checked = Counter()
    for action in plan_actions(demo):
        for kpi in action.kpis.all():
            chip = re.search(
                r'class="kpi-chip rag-([a-z_]+)"[^>]*>'
                + re.escape(kpi.code)
                + r'<span class="visually-hidden"> ([^<]+)</span>',
                rows[action.pk],
            )
            assert chip, f"no RAG chip for KPI {kpi.code} on action {action.pk}"
            assert chip.group(1) == outcomes[kpi.code]
            assert chip.group(2) == outcomes[kpi.code].replace("_", " ").capitalize()
            checked[chip.group(1)] += 1
    # The demo gives linked KPIs of every colour: the check above saw green, amber and red chips.
    assert {"green", "amber", "red"} <= set(checked)
    period = default_period(PeriodIndex())
    assert f"(trust RAG, {period})" in page


def test_a_chips_symbol_comes_from_the_stylesheet_hidden_from_screen_readers():
    """Each outcome's symbol (rag.OUTCOME_SYMBOLS) after a chip of its colour, with empty
    alternative text: the hidden word is what a screen reader reads."""
    css = (Path(settings.BASE_DIR) / "static" / "trustplan" / "trustplan.css").read_text()
    for outcome, symbol in rag.OUTCOME_SYMBOLS.items():
        rule = f'.kpi-chip.rag-{outcome.value}::after {{ content: " {symbol}"; '
        rule += f'content: " {symbol}" / ""; }}'
        assert rule in css, outcome


@pytest.mark.parametrize("which", ["amethyst_2023_24", "plan_2019_2022"])
def test_every_action_description_of_each_plan_appears_on_its_plan_page(
    client_for, trust, old_plan, which
):
    # Fixed bug: _action_row.html cut descriptions with |truncatewords:40, so on
    # /plan/?plan=<2023/24 plan> the six descriptions longer than 40 words (e.g. aim 1.10's "We
    # will further develop careers education within our special schools …", 70 words) are cut
    # off with "…" instead of appearing. The 2019–2022 plan (none over 40 words) passes.
    plan = trust if which == "amethyst_2023_24" else old_plan
    response = client_for("trustee").get(reverse("plans:plan"), {"plan": plan.pk})
    assert response.status_code == 200
    text = words(main_of(response))
    descriptions = [a.description for a in plan_actions(plan) if a.description]
    assert descriptions
    missing = [d for d in descriptions if normalised(d) not in text]
    assert missing == []


def test_the_2019_2022_plan_shows_sub_priorities_and_grouped_success_criteria(client_for, old_plan):
    response = client_for("trustee").get(reverse("plans:plan"), {"plan": old_plan.pk})
    assert response.status_code == 200
    page = main_of(response)
    text = words(page)
    assert "Key priority 1: Children and young people achieve the best outcomes" in text
    assert "Sub-priority 1.1: All pupils and students achieve high levels of progress" in text
    for aim in Aim.objects.filter(objective__plan=old_plan).select_related("objective"):
        assert f"Sub-priority {aim.number}:" in text
    assert "School Councils are established in all academies" in text
    assert "The CEO is accountable for standards in the academies." in text
    # Each group's criteria sit with that group's actions: the 1.4 criterion follows the 1.4
    # actions, not the 1.1–1.3 ones.
    objective_1 = objective_sections(page)[old_plan.objectives.get(number=1).pk]
    group_13, group_4 = objective_1.split("Sub-priority 1.4:")
    assert "Heads and relevant member of SLT meet half termly" in words(group_13)
    assert "The CEO is accountable for standards" in words(group_13)
    assert "School Councils are established" not in words(group_13)
    assert "Student voice is prioritised" in words(group_4)
    assert "School Councils are established" in words(group_4)


def test_plan_page_without_an_active_plan_says_so(client_for, trust):
    Plan.objects.update(status=PlanStatus.ARCHIVED)
    response = client_for("trustee").get(reverse("plans:plan"))
    assert response.status_code == 200
    assert "No plan yet" in words(main_of(response))


def test_plan_page_for_an_unknown_or_malformed_plan_is_404(client_for, trust):
    client = client_for("trustee")
    assert client.get(reverse("plans:plan"), {"plan": 999999}).status_code == 404
    assert client.get(reverse("plans:plan"), {"plan": "abc"}).status_code == 404


# --- Filters and roll-ups -----------------------------------------------------------------------


FILTER_CASES = [
    ("objective", lambda plan: plan.objectives.get(number=2)),
    ("objective", lambda plan: plan.objectives.get(number=3)),
    ("owner", lambda plan: Owner.objects.get(code="TBR")),
    ("owner", lambda plan: Owner.objects.get(code="NLI")),
    ("monitor", lambda plan: Owner.objects.get(code="BOARD")),
    ("monitor", lambda plan: Owner.objects.get(code="NLI")),
    ("monitor", lambda plan: Owner.objects.get(code="LGB")),
    ("academy", lambda plan: Academy.objects.get(short_name="TWS")),
    ("academy", lambda plan: Academy.objects.get(short_name="PH")),
]


def _matches(action: Action, name: str, value) -> bool:
    if name == "objective":
        return action.objective_id == value.pk
    if name == "owner":
        return value in action.responsible.all()
    if name == "monitor":
        return value in action.monitors.all()
    if name == "academy":
        return value in action.academies.all()
    raise AssertionError(name)


@pytest.mark.parametrize(("name", "choose"), FILTER_CASES)
def test_a_filter_narrows_the_actions_to_exactly_the_matching_ones(client_for, demo, name, choose):
    value = choose(demo)
    expected = {a.pk for a in plan_actions(demo) if _matches(a, name, value)}
    assert expected  # each case picks a value that some actions have
    response = client_for("trustee").get(reverse("plans:plan"), {"plan": demo.pk, name: value.pk})
    assert response.status_code == 200
    assert set(action_ids(main_of(response))) == expected


@pytest.mark.parametrize("status", ActionStatus.values)
def test_the_status_filter_shows_exactly_the_actions_in_that_status(client_for, demo, status):
    expected = {a.pk for a in plan_actions(demo) if status_of(a) == status}
    assert expected  # the demo has actions in every status
    response = client_for("trustee").get(reverse("plans:plan"), {"plan": demo.pk, "status": status})
    assert set(action_ids(main_of(response))) == expected


def test_the_overdue_filter_shows_exactly_the_incomplete_actions_past_due(client_for, demo):
    # Fixed bug: plans/filters.py filter_overdue uses .exclude(latest_status="complete") on the
    # Subquery annotation; for an action with no progress update latest_status is NULL, and
    # NOT (NULL = 'complete') is NULL in SQL, so every never-updated ("not started") action is
    # dropped. Input: an action with due_date in the past and no progress update (the demo has
    # one), GET /plan/?plan=<id>&overdue=on. Expected: it is listed (its row on /plan/ says
    # "Overdue · Not started"). Actual: it is missing from the filtered list.
    today = timezone.localdate()
    expected = {a.pk for a in plan_actions(demo) if overdue_here(a, today)}
    assert any(not a.updates.exists() for a in Action.objects.filter(pk__in=expected))
    response = client_for("trustee").get(reverse("plans:plan"), {"plan": demo.pk, "overdue": "on"})
    assert set(action_ids(main_of(response))) == expected


def test_the_overdue_filter_leaves_out_complete_and_future_actions(client_for, trust, cast):
    today = timezone.localdate()
    late, done, future = Action.objects.filter(objective__plan=trust).order_by("pk")[:3]
    for action, due in ((late, -3), (done, -3), (future, 30)):
        action.due_date = today + datetime.timedelta(days=due)
        action.save()
    ProgressUpdate.objects.create(action=late, author=cast["central"], status="on_track")
    ProgressUpdate.objects.create(action=done, author=cast["central"], status="complete")
    response = client_for("trustee").get(reverse("plans:plan"), {"plan": trust.pk, "overdue": "on"})
    assert set(action_ids(main_of(response))) == {late.pk}


def test_filters_combine(client_for, demo):
    owner = Owner.objects.get(code="TBR")
    expected = {
        a.pk
        for a in plan_actions(demo)
        if owner in a.responsible.all() and status_of(a) == ActionStatus.ON_TRACK
    }
    response = client_for("trustee").get(
        reverse("plans:plan"), {"plan": demo.pk, "owner": owner.pk, "status": "on_track"}
    )
    assert set(action_ids(main_of(response))) == expected


def test_a_filter_that_matches_nothing_says_so(client_for, trust):
    owner = Owner.objects.get(code="SWI")
    Action.responsible.through.objects.filter(owner=owner).delete()
    response = client_for("trustee").get(
        reverse("plans:plan"), {"plan": trust.pk, "owner": owner.pk}
    )
    page = main_of(response)
    assert action_ids(page) == []
    assert "No action matches these filters." in words(page)


def test_an_objectives_roll_up_equals_the_counts_of_its_actions_statuses(client_for, demo):
    today = timezone.localdate()
    sections = objective_sections(main_of(client_for("trustee").get(reverse("plans:plan"))))
    actions = plan_actions(demo)
    assert set(sections) == set(demo.objectives.values_list("pk", flat=True))
    for objective_pk, body in sections.items():
        mine = [a for a in actions if a.objective_id == objective_pk]
        rollup = re.search(r'<p class="small rollup">(.*?)</p>', body, re.S).group(1)
        shown = {s: int(n) for s, n in re.findall(r'status-(\w+)">[^<]*<strong>(\d+)', rollup)}
        assert shown == {s: sum(status_of(a) == s for a in mine) for s in ActionStatus.values}
        overdue = int(re.search(r"Overdue: <strong>(\d+)</strong>", rollup).group(1))
        assert overdue == sum(overdue_here(a, today) for a in mine)
        assert sum(shown.values()) == len(mine)


def test_each_aims_roll_up_equals_the_counts_of_its_actions_statuses(client_for, demo):
    page = main_of(client_for("trustee").get(reverse("plans:plan")))
    actions = plan_actions(demo)
    checked = 0
    for body in objective_sections(page).values():
        for chunk in body.split('<div class="aim-section')[1:]:
            number = re.search(r"Aim (\d+\.\d+):", chunk).group(1)
            aim_actions = [a for a in actions if [x.number for x in a.aims.all()] == [number]]
            counts = re.search(r'<p class="small mb-1">(.*?)</p>', chunk, re.S)
            shown = dict(re.findall(r'<span class="me-2">([^:<]+): (\d+)</span>', counts.group(1)))
            expected = Counter(ActionStatus(status_of(a)).label for a in aim_actions)
            assert {label: int(n) for label, n in shown.items()} == dict(expected), number
            checked += 1
    assert (
        checked
        == Aim.objects.filter(objective__plan=demo, actions__isnull=False).distinct().count()
    )


# --- Action detail ------------------------------------------------------------------------------


def test_action_page_shows_description_aims_academies_kpis_and_whole_trust(client_for, demo):
    onboard = action_named(demo, "Onboard TWS and PH onto AATrust network")
    response = client_for("trustee").get(reverse("plans:action", args=[onboard.pk]))
    assert response.status_code == 200
    page = main_of(response)
    text = words(page)
    assert "Onboard TWS and PH onto AATrust network" in text
    scope = re.search(r"Academies in scope</dt><dd[^>]*>(.*?)</dd>", page, re.S).group(1)
    assert re.findall(r">([^<]+)</a>", scope) == ["Penn Hall School", "Tettenhall Wood School"]
    assert "LAR" in text and "NLI" in text
    assert "Success criteria None stated" in text

    linked = first_action(demo)
    linked.kpis.set(KPI.objects.filter(code__in=["1.1", "2.1", "4.12"]))
    outcomes = trust_outcomes()
    page = main_of(client_for("trustee").get(reverse("plans:action", args=[linked.pk])))
    assert "Academies in scope The whole trust" in words(page)
    for code in ("1.1", "2.1", "4.12"):
        cell = re.search(
            rf'<a href="/kpis/{re.escape(code)}/">.*?</th>\s*<td>[^<]*</td>\s*'
            r'<td class="rag rag-([a-z_]+)">',
            page,
            re.S,
        )
        assert cell, code
        assert cell.group(1) == outcomes[code]


def test_action_page_shows_the_update_timeline_newest_first(client_for, trust, cast):
    action = first_action(trust)
    ProgressUpdate.objects.create(
        action=action,
        date=datetime.date(2024, 1, 10),
        author=cast["central"],
        status=ActionStatus.ON_TRACK,
        commentary="Plan presented to the heads' meeting.",
    )
    ProgressUpdate.objects.create(
        action=action,
        date=datetime.date(2024, 3, 2),
        author=cast["central"],
        status=ActionStatus.AT_RISK,
        commentary="Two heads asked for more time.",
        evidence_url="https://example.org/minutes",
    )
    page = main_of(client_for("trustee").get(reverse("plans:action", args=[action.pk])))
    text = words(page)
    assert text.index("2 Mar 2024") < text.index("10 Jan 2024")
    assert "Two heads asked for more time." in text
    assert "Plan presented to the heads' meeting." in text
    assert '<a href="https://example.org/minutes" rel="noopener noreferrer">Evidence</a>' in page
    assert "At risk" in text and "t-central" in text


def test_action_page_of_the_2019_2022_plan_shows_its_groups_success_criteria(client_for, old_plan):
    action = action_named(old_plan, "Student voice is prioritised")
    text = words(main_of(client_for("trustee").get(reverse("plans:action", args=[action.pk]))))
    assert "School Councils are established in all academies" in text
    assert "The CEO is accountable for standards" not in text
    assert "Sub-priority 1.4" in text

    grouped = action_named(old_plan, "A Trust wide monitoring dashboard is created.")
    text = words(main_of(client_for("trustee").get(reverse("plans:action", args=[grouped.pk]))))
    for number in ("1.1", "1.2", "1.3"):
        assert f"Sub-priority {number}:" in text
    assert "The CEO is accountable for standards in the academies." in text
    assert "School Councils are established" not in text


def test_an_action_serving_several_aims_names_each_with_the_plans_label(client_for, old_plan):
    # Was a bug: the label was pluralised by adding "s" ("Sub-prioritys"). Each aim is now
    # named with the plan's own label, under "Serves".
    grouped = action_named(old_plan, "A Trust wide monitoring dashboard is created.")
    text = words(main_of(client_for("trustee").get(reverse("plans:action", args=[grouped.pk]))))
    assert "Sub-prioritys" not in text
    assert "Serves Sub-priority 1.1:" in text
    assert "Sub-priority 1.2:" in text and "Sub-priority 1.3:" in text


def test_action_page_shows_the_change_history(client_for, trust, objective, aim):
    client = client_for("central")
    response = client.post(
        reverse("plans:action_create", args=[objective.pk]),
        action_post([aim], description="Write the reading strategy"),
    )
    action = Action.objects.get(description="Write the reading strategy")
    client.post(
        reverse("plans:action_edit", args=[action.pk]),
        action_post([aim], description="Write and publish the reading strategy"),
    )
    response = client.get(reverse("plans:action", args=[action.pk]))
    history = words(main_of(response).split('id="history-heading"')[1])
    # Each entry says what it changed (tests/plans/test_history.py has the rest).
    changed, created = history.split(" Created ")
    assert "Description: Write the reading strategy" in created
    assert (
        "Changed Description: Write the reading strategy → Write and publish the reading strategy"
        in changed
    )
    assert "t-central" in history


def test_an_unknown_action_is_404(client_for, trust):
    assert client_for("trustee").get(reverse("plans:action", args=[999999])).status_code == 404


# --- Editing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", EDITORS)
def test_central_and_admin_create_an_objective(client_for, trust, role):
    url = reverse("plans:objective_create", args=[trust.pk])
    client = client_for(role)
    assert client.get(url).status_code == 200
    response = client.post(url, {"number": 4, "title": "Grow the sixth form"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/plan/?plan={trust.pk}"
    objective = trust.objectives.get(number=4)
    assert objective.title == "Grow the sixth form"
    assert "Added strategic objective 4." in words(main_of(response))


def test_a_duplicate_objective_number_is_refused_with_a_message(client_for, trust):
    before = snapshot()
    response = client_for("central").post(
        reverse("plans:objective_create", args=[trust.pk]), {"number": 2, "title": "Again"}
    )
    assert response.status_code == 400
    assert "Strategic objective 2 already exists in this plan." in words(main_of(response))
    assert snapshot() == before


def test_editing_an_objective_keeps_or_changes_its_number_but_never_to_a_taken_one(
    client_for, trust
):
    client = client_for("central")
    first = trust.objectives.get(number=1)
    url = reverse("plans:objective_edit", args=[first.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"number": 1, "title": "Better outcomes"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.number, first.title) == (1, "Better outcomes")

    before = snapshot()
    response = client.post(url, {"number": 3, "title": "Clash"})
    assert response.status_code == 400
    assert "Strategic objective 3 already exists in this plan." in words(main_of(response))
    assert snapshot() == before

    client.post(url, {"number": 7, "title": "Better outcomes"})
    first.refresh_from_db()
    assert first.number == 7


def test_central_adds_an_aim_after_the_last_and_edits_it(client_for, trust, objective):
    client = client_for("central")
    url = reverse("plans:aim_create", args=[objective.pk])
    assert client.get(url).status_code == 200
    last = objective.aims.order_by("-position")[0].position
    assert client.post(url, {"title": "Every pupil reads widely"}).status_code == 302
    aim = objective.aims.get(title="Every pupil reads widely")
    assert aim.position == last + 1
    assert aim.number == f"1.{last + 1}"

    edit = reverse("plans:aim_edit", args=[aim.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"title": "Every pupil reads often"}).status_code == 302
    aim.refresh_from_db()
    assert (aim.title, aim.position) == ("Every pupil reads often", last + 1)


@pytest.mark.parametrize(
    ("kpis", "expected_kpis"),
    [
        ("1.1-1.9", {f"1.{n}" for n in range(1, 10)}),
        ("4.12 4.13", {"4.12", "4.13"}),
        ("4.9–4.11", {"4.9", "4.10", "4.11"}),
        ("", set()),
    ],
)
def test_creating_an_action_links_the_typed_kpis_owners_and_monitors(
    client_for, trust, objective, aim, kpis, expected_kpis
):
    url = reverse("plans:action_create", args=[objective.pk])
    client = client_for("central")
    assert client.get(url, {"aim": aim.pk}).status_code == 200
    data = action_post([aim], kpis=kpis, owners="TBR and NLI", monitors="Trust Board and LGB") | {
        "academies": [Academy.objects.get(short_name="TWS").pk],
        "due_date": "2024-07-19",
    }
    response = client.post(url, data)
    action = Action.objects.get(description="Run a trust-wide reading programme")
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:action", args=[action.pk])
    assert codes(action.kpis) == expected_kpis
    assert len(expected_kpis) == action.kpis.count()
    assert codes(action.responsible) == {"TBR", "NLI"}
    assert codes(action.monitors) == {"BOARD", "LGB"}
    assert list(action.academies.values_list("short_name", flat=True)) == ["TWS"]
    assert action.due_date == datetime.date(2024, 7, 19)
    assert list(action.aims.all()) == [aim]
    assert action.objective == objective
    assert action.position == objective.actions.exclude(pk=action.pk).count() + 1


def test_an_action_can_be_due_by_the_end_of_a_term(client_for, trust, objective, aim):
    spring = Period.objects.create(year_start=2023, term=2)
    data = action_post([aim]) | {"due_period": spring.pk}
    response = client_for("central").post(reverse("plans:action_create", args=[objective.pk]), data)
    assert response.status_code == 302
    action = Action.objects.get(description="Run a trust-wide reading programme")
    assert action.due_period == spring
    assert action.due_date is None
    assert action.due == datetime.date(2024, 3, 31)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("owners", "XYZ", "“XYZ” is not a known owner"),
        ("owners", "TBR and XYZ", "“XYZ” is not a known owner"),
        ("monitors", "Trust Board and XYZ", "“XYZ” is not a known owner"),
        ("kpis", "9.9", "No KPI 9.9 in the framework."),
        ("kpis", "1.1 9.9", "No KPI 9.9 in the framework."),
        ("kpis", "one", "“one” is not a KPI code"),
    ],
)
def test_an_unknown_owner_or_kpi_is_refused_and_nothing_changes(
    client_for, trust, objective, aim, field, value, message
):
    client = client_for("central")
    before = snapshot()
    response = client.post(
        reverse("plans:action_create", args=[objective.pk]), action_post([aim], **{field: value})
    )
    assert response.status_code == 400
    assert message in words(main_of(response))
    assert snapshot() == before

    existing = first_action(trust)
    response = client.post(
        reverse("plans:action_edit", args=[existing.pk]),
        action_post([aim], description="Changed", **{field: value}),
    )
    assert response.status_code == 400
    assert message in words(main_of(response))
    assert snapshot() == before


def test_an_action_needs_an_aim_of_its_objective(client_for, trust, objective):
    other_aim = trust.objectives.get(number=2).aims.first()
    before = snapshot()
    response = client_for("central").post(
        reverse("plans:action_create", args=[objective.pk]), action_post([])
    )
    assert response.status_code == 400
    assert "Choose the aim (or aims) this action serves." in words(main_of(response))
    response = client_for("central").post(
        reverse("plans:action_create", args=[objective.pk]), action_post([other_aim])
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_editing_an_action_replaces_its_links_and_records_who(client_for, trust, cast):
    action = action_named(trust, "New curriculum and assessment frameworks are implemented")
    assert codes(action.kpis) == {f"1.{n}" for n in range(1, 10)}
    client = client_for("central")
    form = client.get(reverse("plans:action_edit", args=[action.pk]))
    assert form.status_code == 200
    assert 'value="1.1-1.9"' in form.content.decode()
    assert 'value="TBR"' in form.content.decode()

    data = action_post(
        list(action.aims.all()),
        description=action.description,
        kpis="4.12 4.13",
        owners="LJO",
        monitors="Behaviour, attendance and safeguarding sub committee and LGB",
    ) | {"academies": [Academy.objects.get(short_name="PH").pk]}
    response = client.post(reverse("plans:action_edit", args=[action.pk]), data)
    assert response.status_code == 302
    action.refresh_from_db()
    assert codes(action.kpis) == {"4.12", "4.13"}
    assert codes(action.responsible) == {"LJO"}
    assert codes(action.monitors) == {"BAS", "LGB"}
    assert list(action.academies.values_list("short_name", flat=True)) == ["PH"]
    latest = action.history.order_by("-history_date", "-history_id")[0]
    assert latest.history_type == "~"
    assert latest.history_user == cast["central"]


# --- Move ---------------------------------------------------------------------------------------


def test_moving_an_aim_down_swaps_positions_and_numbers_follow(client_for, trust, objective):
    first, second = objective.aims.order_by("position")[:2]
    first_title, second_title = first.title, second.title
    response = client_for("central").post(
        reverse("plans:move", args=["aim", first.pk]), {"direction": "down"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/plan/?plan={trust.pk}"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.position, first.number, first.title) == (2, "1.2", first_title)
    assert (second.position, second.number, second.title) == (1, "1.1", second_title)
    text = words(main_of(client_for("central").get(reverse("plans:plan"))))
    assert text.index(f"Aim 1.1: {normalised(second_title)}") < text.index(
        f"Aim 1.2: {normalised(first_title)}"
    )


def test_moving_an_objective_up_swaps_numbers(client_for, trust):
    one, two = trust.objectives.get(number=1), trust.objectives.get(number=2)
    client_for("central").post(
        reverse("plans:move", args=["objective", two.pk]), {"direction": "up"}
    )
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.number, two.number) == (2, 1)
    page = main_of(client_for("central").get(reverse("plans:plan")))
    assert list(objective_sections(page)) == [two.pk, one.pk, trust.objectives.get(number=3).pk]


def test_moving_an_action_reorders_the_objectives_actions(client_for, trust, objective):
    before = list(objective.actions.order_by("position", "pk").values_list("pk", flat=True))
    client_for("central").post(
        reverse("plans:move", args=["action", before[1]]), {"direction": "up"}
    )
    after = list(objective.actions.order_by("position", "pk").values_list("pk", flat=True))
    assert after == [before[1], before[0], *before[2:]]


def test_moving_the_first_up_or_the_last_down_changes_nothing(client_for, trust, objective):
    client = client_for("central")
    first, *_, last = objective.aims.order_by("position")
    before = snapshot()
    client.post(reverse("plans:move", args=["aim", first.pk]), {"direction": "up"})
    client.post(reverse("plans:move", args=["aim", last.pk]), {"direction": "down"})
    top = trust.objectives.get(number=1)
    client.post(reverse("plans:move", args=["objective", top.pk]), {"direction": "up"})
    assert snapshot() == before


def test_moving_needs_a_direction_and_a_movable_kind(client_for, trust, aim):
    client = client_for("central")
    before = snapshot()
    assert client.post(reverse("plans:move", args=["aim", aim.pk]), {}).status_code == 404
    move_plan = reverse("plans:move", args=["plan", trust.pk])
    assert client.post(move_plan, {"direction": "up"}).status_code == 404
    assert snapshot() == before


# --- Delete -------------------------------------------------------------------------------------


def _target(kind: str, trust: Plan):
    objective = trust.objectives.get(number=3)
    if kind == "objective":
        return objective
    if kind == "aim":
        return objective.aims.order_by("position").last()
    return objective.actions.order_by("position").last()


@pytest.mark.parametrize("kind", ["objective", "aim", "action"])
def test_delete_asks_for_confirmation_first_and_deletes_nothing(client_for, trust, kind):
    obj = _target(kind, trust)
    before = snapshot()
    response = client_for("central").get(reverse("plans:delete", args=[kind, obj.pk]))
    assert response.status_code == 200
    text = words(main_of(response))
    assert f"Delete this {kind}?" in text
    assert "The change history keeps a record of everything deleted." in text
    assert snapshot() == before


@pytest.mark.parametrize(
    ("kind", "model"), [("objective", StrategicObjective), ("aim", Aim), ("action", Action)]
)
def test_delete_on_post_deletes_and_keeps_the_history(client_for, trust, kind, model):
    obj = _target(kind, trust)
    cascaded = list(obj.actions.values_list("pk", flat=True)) if kind == "objective" else []
    response = client_for("central").post(reverse("plans:delete", args=[kind, obj.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"/plan/?plan={trust.pk}"
    assert not model.objects.filter(pk=obj.pk).exists()
    assert model.history.filter(id=obj.pk, history_type="-").exists()
    for pk in cascaded:
        assert not Action.objects.filter(pk=pk).exists()
        assert Action.history.filter(id=pk, history_type="-").exists()


def test_deleting_an_aim_deletes_the_actions_serving_only_it_and_the_plan_still_opens(
    client_for, trust
):
    # Was a 500: an aim's actions were left with no aim. Now the confirmation page says that
    # actions serving only this aim go with it; their history keeps them.
    aim = trust.objectives.get(number=3).aims.get(position=1)
    only_here = list(aim.actions.values_list("pk", flat=True))
    assert only_here
    client = client_for("central")
    confirm = main_of(client.get(reverse("plans:delete", args=["aim", aim.pk])))
    assert f"{len(only_here)} action(s) serving only this aim" in words(confirm)
    client.post(reverse("plans:delete", args=["aim", aim.pk]))
    assert not Action.objects.filter(pk__in=only_here).exists()
    assert Action.history.filter(id__in=only_here, history_type="-").count() == len(only_here)
    response = client.get(reverse("plans:plan"))
    assert response.status_code == 200


def test_a_section_without_aims_still_renders(client_for, trust):
    # An action can lose all its aims through the admin; the plan page must still open.
    action = trust.objectives.get(number=3).actions.order_by("position").first()
    action.aims.clear()
    response = client_for("trustee").get(reverse("plans:plan"))
    assert response.status_code == 200
    assert action.pk in action_ids(main_of(response))


def test_delete_of_an_unknown_kind_or_object_is_404(client_for, trust):
    client = client_for("central")
    assert client.get(reverse("plans:delete", args=["plan", trust.pk])).status_code == 404
    assert client.post(reverse("plans:delete", args=["action", 999999])).status_code == 404


# --- Archive ------------------------------------------------------------------------------------


def _edit_requests(plan: Plan) -> list[tuple[str, str, dict]]:
    """(method, url, data) of every URL that changes the plan, for one of its objects each."""
    objective = plan.objectives.order_by("number")[0]
    aim = objective.aims.order_by("position")[0]
    action = objective.actions.order_by("position")[0]
    gettable = [
        (reverse("plans:objective_create", args=[plan.pk]), {"number": 40, "title": "New"}),
        (reverse("plans:objective_edit", args=[objective.pk]), {"number": 41, "title": "Edit"}),
        (reverse("plans:aim_create", args=[objective.pk]), {"title": "New aim"}),
        (reverse("plans:aim_edit", args=[aim.pk]), {"title": "Edited aim"}),
        (reverse("plans:action_create", args=[objective.pk]), action_post([aim], owners="TBR")),
        (reverse("plans:action_edit", args=[action.pk]), action_post([aim], description="E")),
        (reverse("plans:delete", args=["objective", objective.pk]), {}),
        (reverse("plans:delete", args=["aim", aim.pk]), {}),
        (reverse("plans:delete", args=["action", action.pk]), {}),
    ]
    post_only = [
        (reverse("plans:move", args=["objective", objective.pk]), {"direction": "down"}),
        (reverse("plans:move", args=["aim", aim.pk]), {"direction": "down"}),
        (reverse("plans:move", args=["action", action.pk]), {"direction": "down"}),
    ]
    return [
        *[("get", url, {}) for url, _ in gettable],
        *[("post", url, data) for url, data in gettable + post_only],
    ]


def test_archiving_a_plan_keeps_it_readable_but_closes_it_to_edits(client_for, trust):
    client = client_for("central")
    response = client.post(reverse("plans:plan_status", args=[trust.pk]), {"status": "archived"})
    assert response.status_code == 302
    trust.refresh_from_db()
    assert trust.status == PlanStatus.ARCHIVED

    response = client.get(reverse("plans:plan"), {"plan": trust.pk})
    assert response.status_code == 200
    page = main_of(response)
    assert "Archived – kept for reference, read-only" in words(page)
    assert len(action_ids(page)) == Action.objects.filter(objective__plan=trust).count()
    assert "/edit/" not in page and "/delete/" not in page and "Archive this plan" not in page

    before = snapshot()
    for method, url, data in _edit_requests(trust):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)
    assert snapshot() == before


def test_the_2019_2022_plan_loads_archived_and_cannot_be_edited(client_for, old_plan):
    client = client_for("admin")
    assert client.get(reverse("plans:plan"), {"plan": old_plan.pk}).status_code == 200
    before = snapshot()
    for method, url, data in _edit_requests(old_plan):
        assert getattr(client, method)(url, data).status_code == 403, (method, url)
    assert snapshot() == before


def test_making_a_plan_active_archives_the_current_one(client_for, trust, old_plan):
    response = client_for("central").post(
        reverse("plans:plan_status", args=[old_plan.pk]), {"status": "active"}
    )
    assert response.status_code == 302
    old_plan.refresh_from_db()
    trust.refresh_from_db()
    assert (old_plan.status, trust.status) == (PlanStatus.ACTIVE, PlanStatus.ARCHIVED)
    text = words(main_of(client_for("central").get(reverse("plans:plan"))))
    assert "Trust Development Plan 2019–2022" in text


def test_an_unknown_plan_status_is_refused_with_a_message(client_for, trust):
    before = snapshot()
    response = client_for("central").post(
        reverse("plans:plan_status", args=[trust.pk]), {"status": "deleted"}, follow=True
    )
    assert "Choose archived, active or draft." in words(main_of(response))
    assert snapshot() == before


# --- Roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_readers_can_read_the_plan_pages(client_for, trust, role):
    client = client_for(role)
    action = first_action(trust)
    for url in (
        reverse("plans:plan"),
        reverse("plans:plan") + f"?plan={trust.pk}",
        reverse("plans:action", args=[action.pk]),
        reverse("plans:monitoring_index"),
        reverse("plans:monitoring", args=["board"]),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", NON_EDITORS)
def test_only_central_and_admin_may_use_the_edit_urls(client_for, trust, role):
    client = client_for(role)
    before = snapshot()
    requests = [
        *_edit_requests(trust),
        ("post", reverse("plans:plan_status", args=[trust.pk]), {"status": "archived"}),
    ]
    for method, url, data in requests:
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (role, method, url)
    assert snapshot() == before


@pytest.mark.parametrize("role", NON_EDITORS)
def test_the_plan_page_offers_no_edit_controls_to_readers(client_for, trust, role):
    page = main_of(client_for(role).get(reverse("plans:plan")))
    assert "/edit/" not in page and "/delete/" not in page and "/move/" not in page


@pytest.mark.parametrize("role", EDITORS)
def test_editors_may_open_every_edit_form(client_for, trust, role):
    client = client_for(role)
    page = main_of(client.get(reverse("plans:plan")))
    assert "Archive this plan" in page and "/edit/" in page
    for method, url, _ in _edit_requests(trust):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_post_only_urls_refuse_get(client_for, trust):
    client = client_for("central")
    action = first_action(trust)
    before = snapshot()
    for url in (
        reverse("plans:move", args=["action", action.pk]) + "?direction=down",
        reverse("plans:plan_status", args=[trust.pk]) + "?status=archived",
        reverse("plans:action_update", args=[action.pk]),
    ):
        assert client.get(url).status_code == 405, url
    assert snapshot() == before


# --- Progress updates ---------------------------------------------------------------------------


def _update(status="on_track", commentary="Going to plan.", evidence="", date=None) -> dict:
    return {
        "date": (date or timezone.localdate()).isoformat(),
        "status": status,
        "commentary": commentary,
        "evidence_url": evidence,
    }


@pytest.fixture
def tbr_action(trust, cast):
    """An action TBR is responsible for, with TBR linked to head_a's account."""
    Owner.objects.filter(code="TBR").update(user=cast["head_a"])
    return action_named(trust, "New curriculum and assessment frameworks are implemented")


def test_the_responsible_owner_posts_progress_with_an_evidence_link(client_for, tbr_action, cast):
    client = client_for("head_a")
    page = main_of(client.get(reverse("plans:action", args=[tbr_action.pk])))
    assert "Post progress" in page
    response = client.post(
        reverse("plans:action_update", args=[tbr_action.pk]),
        _update("at_risk", "Staff turnover in two academies.", "example.org/evidence/17"),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("plans:action", args=[tbr_action.pk])
    update = ProgressUpdate.objects.get(action=tbr_action)
    assert (update.status, update.commentary, update.author) == (
        "at_risk",
        "Staff turnover in two academies.",
        cast["head_a"],
    )
    assert update.evidence_url == "https://example.org/evidence/17"
    assert update.history.get().history_user == cast["head_a"]
    assert tbr_action.status == ActionStatus.AT_RISK
    text = words(main_of(response))
    assert "Progress posted: at risk." in text
    assert "Staff turnover in two academies." in text


@pytest.mark.parametrize("role", EDITORS)
def test_central_team_posts_progress_for_any_action(client_for, trust, cast, role):
    action = first_action(trust)
    response = client_for(role).post(
        reverse("plans:action_update", args=[action.pk]), _update("complete", "")
    )
    assert response.status_code == 302
    update = ProgressUpdate.objects.get(action=action)
    assert (update.status, update.author, update.evidence_url) == ("complete", cast[role], "")


@pytest.mark.parametrize("status", ["off_track", "at_risk"])
@pytest.mark.parametrize("commentary", ["", "   "])
def test_off_track_or_at_risk_without_commentary_is_refused(
    client_for, tbr_action, status, commentary
):
    before = snapshot()
    response = client_for("head_a").post(
        reverse("plans:action_update", args=[tbr_action.pk]), _update(status, commentary)
    )
    assert response.status_code == 400
    label = ActionStatus(status).label.lower()
    text = words(main_of(response))
    assert f"Say why the action is {label}: commentary is required." in text
    assert "The update was not posted" in text
    assert snapshot() == before


def test_an_update_needs_a_valid_status_and_date(client_for, tbr_action):
    before = snapshot()
    client = client_for("head_a")
    url = reverse("plans:action_update", args=[tbr_action.pk])
    assert client.post(url, _update("finished")).status_code == 400
    assert client.post(url, _update() | {"date": ""}).status_code == 400
    assert client.post(url, _update(evidence="not a link")).status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("role", ["head_b", "exec_head", "trustee", "governor"])
def test_others_cannot_post_progress(client_for, tbr_action, cast, role):
    # A monitor's account is not an owner's either.
    Owner.objects.filter(code="NLI").update(user=cast["head_b"])
    client = client_for(role)
    page = main_of(client.get(reverse("plans:action", args=[tbr_action.pk])))
    assert "Post progress" not in page
    before = snapshot()
    response = client.post(
        reverse("plans:action_update", args=[tbr_action.pk]), _update("complete", "Done.")
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_the_latest_update_gives_the_status(client_for, tbr_action):
    client = client_for("head_a")
    url = reverse("plans:action_update", args=[tbr_action.pk])
    today = timezone.localdate()
    client.post(url, _update("on_track", date=today - datetime.timedelta(days=20)))
    client.post(url, _update("off_track", "Supplier pulled out.", date=today))
    # An update dated earlier, posted later, does not replace the newest one.
    client.post(url, _update("complete", date=today - datetime.timedelta(days=10)))
    assert tbr_action.status == ActionStatus.OFF_TRACK
    row = action_rows(main_of(client.get(reverse("plans:plan"))))[tbr_action.pk]
    assert "Off track" in words(row)
    assert today.strftime("%-d %b %Y") in row

    client.post(url, _update("complete", "Done.", date=today))
    assert tbr_action.status == ActionStatus.COMPLETE


# --- Overdue ------------------------------------------------------------------------------------


def _overdue_pages(client, action: Action) -> dict[str, str]:
    return {
        "plan": action_rows(main_of(client.get(reverse("plans:plan"))))[action.pk],
        "action": main_of(client.get(reverse("plans:action", args=[action.pk]))).split("<dl")[0],
        "governance": action_rows(main_of(client.get(reverse("plans:monitoring", args=["board"]))))[
            action.pk
        ],
        "my": action_rows(main_of(client.get(reverse("my"))))[action.pk],
    }


@pytest.mark.parametrize("due", ["date", "term"])
def test_an_incomplete_action_past_due_shows_overdue_everywhere_until_complete(
    client_for, tbr_action, due
):
    tbr_action.monitors.add(Owner.objects.get(code="BOARD"))
    if due == "date":
        tbr_action.due_date = timezone.localdate() - datetime.timedelta(days=1)
    else:
        tbr_action.due_period = Period.objects.create(year_start=2022, term=1)  # ends 31 Dec 2022
    tbr_action.save()
    client = client_for("head_a")
    client.post(reverse("plans:action_update", args=[tbr_action.pk]), _update("on_track"))
    for name, markup in _overdue_pages(client, tbr_action).items():
        assert "status-overdue" in markup, name
        assert "Overdue · On track" in words(markup), name

    client.post(reverse("plans:action_update", args=[tbr_action.pk]), _update("complete"))
    for name, markup in _overdue_pages(client, tbr_action).items():
        assert "status-overdue" not in markup, name
        assert "Overdue" not in words(markup), name
        assert "Complete" in words(markup), name


def test_an_action_due_later_or_undated_is_not_overdue(client_for, tbr_action):
    tbr_action.monitors.add(Owner.objects.get(code="BOARD"))
    client = client_for("head_a")
    for due_date in (None, timezone.localdate(), timezone.localdate() + datetime.timedelta(days=9)):
        tbr_action.due_date = due_date
        tbr_action.save()
        for name, markup in _overdue_pages(client, tbr_action).items():
            assert "status-overdue" not in markup, (name, due_date)


# --- Governance ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["board", "BOARD", "nli", "bas", "lgb", "tsc", "jin"])
def test_the_governance_paper_lists_exactly_the_actions_the_body_monitors(client_for, trust, code):
    owner = Owner.objects.get(code__iexact=code)
    expected = {a.pk for a in plan_actions(trust) if owner in a.monitors.all()}
    assert expected
    response = client_for("trustee").get(reverse("plans:monitoring", args=[code]))
    assert response.status_code == 200
    page = main_of(response)
    assert set(action_ids(page)) == expected
    assert len(action_ids(page)) == len(expected)
    assert f"{len(expected)} action" in words(page)


def test_the_governance_paper_lists_actions_overdue_first(client_for, demo):
    today = timezone.localdate()
    page = main_of(client_for("trustee").get(reverse("plans:monitoring", args=["nli"])))
    shown = action_ids(page)
    late = [overdue_here(Action.objects.get(pk=pk), today) for pk in shown]
    assert any(late) and not all(late)
    assert late == sorted(late, reverse=True)


def test_the_governance_paper_ignores_other_plans(client_for, trust, old_plan):
    old_action = first_action(old_plan)
    old_action.monitors.add(Owner.objects.get(code="BOARD"))
    page = main_of(client_for("trustee").get(reverse("plans:monitoring", args=["board"])))
    assert old_action.pk not in action_ids(page)


@pytest.mark.parametrize("code", ["board", "nli", "bas", "lgb"])
def test_the_governance_paper_flags_the_red_and_amber_kpis_and_no_green(client_for, demo, code):
    """Issue 15: a KPI is flagged when it is red or amber for the trust or for any academy
    (the paper then lists those academies with their heads' notes); the worst first."""
    owner = Owner.objects.get(code__iexact=code)
    outcomes = trust_outcomes()
    worst = worst_outcomes()
    linked = {k.code for a in plan_actions(demo) if owner in a.monitors.all() for k in a.kpis.all()}
    expected = {c: outcomes[c] for c in linked if worst[c] in ("red", "amber")}
    page = main_of(client_for("trustee").get(reverse("plans:monitoring", args=[code])))
    flagged = flagged_kpis(page)
    assert flagged == expected  # {code: the trust's rating shown}
    reds = [c for c in flagged if worst[c] == "red"]
    assert list(flagged)[: len(reds)] == reds  # reds (trust or an academy) first
    if not expected:
        assert "None: every KPI these actions link to is green, or has no data." in words(page)


def test_the_governance_cases_above_are_not_vacuous(demo):
    """With the demo values, NLI's actions link red, amber and green KPIs, the board's amber and
    green ones, and BAS's only green ones (its paper flags none)."""
    outcomes = trust_outcomes()
    actions = plan_actions(demo)

    def linked(code):
        owner = Owner.objects.get(code=code)
        return {
            outcomes[k.code] for a in actions if owner in a.monitors.all() for k in a.kpis.all()
        }

    assert {"red", "amber", "green"} <= linked("NLI")
    assert {"amber", "green"} <= linked("BOARD")
    assert linked("BAS") == {"green"}


def test_an_unknown_governance_code_is_404(client_for, trust):
    assert client_for("trustee").get(reverse("plans:monitoring", args=["xyz"])).status_code == 404


def test_the_governance_index_lists_every_monitoring_body_of_the_active_plan(client_for, trust):
    expected = set(
        Owner.objects.filter(monitored_actions__objective__plan=trust).values_list(
            "code", flat=True
        )
    )
    page = main_of(client_for("trustee").get(reverse("plans:monitoring_index")))
    assert set(re.findall(r'href="/plan/monitoring/([^/"]+)/"', page)) == expected


# --- My work ------------------------------------------------------------------------------------


def test_my_work_lists_the_owners_actions_overdue_first(client_for, demo, cast):
    Owner.objects.filter(code="TBR").update(user=cast["head_a"])
    tbr = Owner.objects.get(code="TBR")
    today = timezone.localdate()
    mine = [a for a in plan_actions(demo) if tbr in a.responsible.all()]
    assert any(overdue_here(a, today) for a in mine)
    expected = sorted(
        mine,
        key=lambda a: (not overdue_here(a, today), a.due_date or datetime.date.max, a.pk),
    )
    page = main_of(client_for("head_a").get(reverse("my")))
    assert action_ids(page) == [a.pk for a in expected]


def test_my_work_shows_no_actions_to_someone_who_owns_none(client_for, trust):
    page = main_of(client_for("head_b").get(reverse("my")))
    assert action_ids(page) == []
    assert "No action of the current plan names you as responsible." in words(page)


def test_my_work_leaves_out_actions_of_other_plans(client_for, trust, old_plan, cast):
    Owner.objects.filter(code="TBR").update(user=cast["head_a"])
    old_action = first_action(old_plan)
    old_action.responsible.add(Owner.objects.get(code="TBR"))
    page = main_of(client_for("head_a").get(reverse("my")))
    assert old_action.pk not in action_ids(page)


def test_my_work_page_title_is_my_work(client_for, trust, cast):
    # Fixed bug: my.html opened `{% block title %}My work` and did not close it until after a
    # copy of the whole "My plan actions" <section>, so the page's <title> holds that markup
    # (the browser tab shows "My work<section aria-labelledby=…"). Input: GET /my/ as any user.
    # Expected: <title>My work – <trust> – trustplan</title>. Actual: the title contains the
    # actions section.
    Owner.objects.filter(code="TBR").update(user=cast["head_a"])
    page = client_for("head_a").get(reverse("my")).content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert title.startswith("My work – ")
    assert "<" not in title


# --- Query counts -------------------------------------------------------------------------------


def test_the_plan_page_runs_a_fixed_number_of_queries(client_for, demo, django_assert_num_queries):
    client = client_for("trustee")
    # In the order the page renders (the template computes the tree inside its {% cache %}):
    # 1 session, 2 user, 3 active plan, 4 all plans (plan chooser), 5 the user's groups
    # (can_edit, header), 6 plan version token, 7 board version token (the reader's tree is
    # cached under the plan's token and what it shows of the board, kept under the board's);
    # 8–18 only when the board changed since (plans.selectors.tree_board_key): 8 periods,
    # 9 periods with a published return (default period), 10 board version token (the KPI
    # RAG map's cache), 11 active KPIs with areas, 12 active academies, 13 the academies'
    # column tokens, 14 academy targets, 15 published values, 16 national figures (11–16 only
    # when the KPI RAG map is not cached), 17 KPIs' codes and names, 18 periods' years and
    # terms; 19 demo-data flag (banner), 20 objectives (filter choices), 21 owners
    # (responsibility choices), 22 owners (monitored-by choices), 23 academies (academy
    # choices); from here to 34 only when the tree is not cached (tree_action_rows): 24
    # actions with latest status and last update date (objective and due term joined), 25 the
    # aims they serve (links), 26 owners, 27 KPIs, 28 those aims with their objectives, 29
    # responsibility links, 30 monitoring links, 31 KPI links; then 32 objectives, 33 aims
    # with their objective, 34 success criteria (this plan has none, so their aims are not
    # fetched)
    with django_assert_num_queries(34):
        response = client.get(reverse("plans:plan"))
    assert response.status_code == 200


def test_the_governance_paper_runs_a_fixed_number_of_queries(
    client_for, demo, django_assert_num_queries
):
    # Fixed bug: _action_row.html (show_objective=True) reads action.objective.plan.objective_label,
    # and the actions come from actions_for_display(), which joins the objective but not its
    # plan: one extra query per monitored action (12 for the Trust Board: 31 queries, not 19).
    # The same N+1 is on /my/.
    client = client_for("trustee")
    # 1 session, 2 user, 3 the monitoring owner, 4 active plan,
    # 5 the actions it monitors with latest status, 6 their aims, 7 responsible owners,
    # 8 monitors, 9 KPIs, 10 academies in scope, 11 periods, 12 periods with a published return,
    # 13 board version token (cache), 14 active KPIs with areas, 15 active academies,
    # 16 the academies' column tokens, 17 academy targets, 18 published values, 19 national
    # figures (14–19 only when not cached), 20 the user's groups (header), 21 demo-data flag
    # (banner)
    with django_assert_num_queries(21):
        response = client.get(reverse("plans:monitoring", args=["board"]))
    assert response.status_code == 200


def _grow_the_plan(plan: Plan, extra: int, author) -> None:
    """Add `extra` actions across the plan's objectives, each with an owner, the Trust Board as
    monitor, two KPIs and an academy; a few of them with due dates and progress updates."""
    objectives = list(plan.objectives.order_by("number"))
    aims = {o.pk: list(o.aims.order_by("position")) for o in objectives}
    owners = list(Owner.objects.filter(kind="person"))
    board = Owner.objects.get(code="BOARD")
    kpis = list(KPI.objects.all())
    academies = list(Academy.objects.all())
    today = timezone.localdate()
    made = Action.objects.bulk_create(
        [
            Action(
                objective=objectives[i % len(objectives)],
                position=1000 + i,
                description=f"Scale action {i}",
                due_date=today + datetime.timedelta(days=(i % 7) * 10 - 30),
            )
            for i in range(extra)
        ]
    )
    through = Action.aims.through
    through.objects.bulk_create(
        [
            through(action_id=a.pk, aim_id=aims[a.objective_id][i % len(aims[a.objective_id])].pk)
            for i, a in enumerate(made)
        ]
    )
    through = Action.responsible.through
    through.objects.bulk_create(
        [through(action_id=a.pk, owner_id=owners[i % len(owners)].pk) for i, a in enumerate(made)]
    )
    through = Action.monitors.through
    through.objects.bulk_create([through(action_id=a.pk, owner_id=board.pk) for a in made])
    through = Action.kpis.through
    through.objects.bulk_create(
        [
            through(action_id=a.pk, kpi_id=kpis[(i + step) % len(kpis)].pk)
            for i, a in enumerate(made)
            for step in (0, 7)
        ]
    )
    through = Action.academies.through
    through.objects.bulk_create(
        [
            through(action_id=a.pk, academy_id=academies[i % len(academies)].pk)
            for i, a in enumerate(made)
        ]
    )
    statuses = ["on_track", "at_risk", "off_track", "complete"]
    ProgressUpdate.objects.bulk_create(
        [
            ProgressUpdate(
                action=a, author=author, status=statuses[i % 4], commentary="Scale update."
            )
            for i, a in enumerate(made[::10])
        ]
    )


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(reverse("plans:plan"), id="plan"),
        # Fixed bug: the N+1 on the action's plan (see the fixed-count test above): 31 queries with
        # the seed's 12 Trust Board actions, about 500 with ten times the actions.
        pytest.param(reverse("plans:monitoring", args=["board"]), id="governance-board"),
    ],
)
def test_query_count_is_the_same_with_ten_times_the_actions(client_for, demo, cast, url):
    client = client_for("trustee")

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        assert response.status_code == 200
        return len(context.captured_queries)

    before_actions = Action.objects.filter(objective__plan=demo).count()
    small = count()
    _grow_the_plan(demo, 9 * before_actions + 2, cast["central"])
    assert Action.objects.filter(objective__plan=demo).count() >= 10 * before_actions
    large = count()
    assert large == small


def test_the_governance_papers_kpi_chips_carry_their_rag(client_for, demo):
    # Was a bug: the ratings were worked out but not passed to the page, so chips had none.
    html = client_for("trustee").get(reverse("plans:monitoring", args=["board"])).content.decode()
    chips = re.findall(r'class="kpi-chip( rag-[a-z_]+)?"', html)
    assert chips and all(chips), "every KPI chip on the paper has a RAG class"
    assert '<span class="visually-hidden"> Red</span>' in html or 'visually-hidden"> Amber' in html


# --- The plan tree's rows written in Python (issue 19) -------------------------------------------


@pytest.mark.parametrize("today", [datetime.date(2024, 3, 1), datetime.date(2031, 1, 1)])
def test_the_trees_rows_written_in_python_are_the_row_templates(demo, old_plan, today):
    """plan_tags.action_row (the tree's 500 rows at full scale) gives exactly the HTML of
    plans/_action_row.html, which the monitoring paper and /my/ still include: for every
    action of both plans, overdue or not (two days), and for a row with nothing in it and
    text that must be escaped."""
    from django.template.loader import render_to_string

    from plans.selectors import action_rows, actions_for_display, kpi_rag_map
    from plans.templatetags.plan_tags import action_row

    compared = 0
    for plan in (demo_plan := Plan.objects.get(status="active"), old_plan):
        _, ratings = kpi_rag_map(plan)
        rows = action_rows(actions_for_display(Action.objects.filter(objective__plan=plan)), today)
        if plan == demo_plan:
            bare, odd = rows[0], rows[1]
            bare.description, bare.responsible_list, bare.kpi_list = "", [], []
            bare.monitor_list, bare.due_date, bare.due_period_id = [], None, None
            bare.latest_update_on, bare.latest_commentary = None, None
            odd.description = 'Pupils "at risk" & <parents>'
            odd.latest_commentary = "<b>Late</b> & " * 20
            odd.responsible_list = [Owner(code="A&B", name="Arts & <Books>"), Owner(code="CT")]
        for action in rows:
            context = {"action": action, "rag": ratings, "today": today}
            expected = render_to_string("plans/_action_row.html", context)
            assert action_row(action, ratings, today) == expected
            compared += 1
    assert compared > 40


def test_the_trees_action_rows_read_without_prefetching_are_action_rows(demo, old_plan):
    """plans.selectors.tree_action_rows (the links read as pairs, each owner, KPI and aim
    made once) gives every action of both plans the same owners, monitors, KPIs and aims, in
    the same order, and the same status, last update, commentary and overdue as action_rows
    over actions_for_display."""
    from plans.selectors import action_rows, actions_for_display, tree_action_rows

    today = datetime.date(2024, 3, 1)
    compared = 0
    for plan in (Plan.objects.get(status="active"), old_plan):
        actions = Action.objects.filter(objective__plan=plan)
        expected = action_rows(actions_for_display(actions), today)
        got = tree_action_rows(actions, today)
        assert [a.pk for a in got] == [a.pk for a in expected]
        for mine, theirs in zip(got, expected, strict=True):
            for name in ("responsible_list", "monitor_list", "kpi_list", "aim_list"):
                assert [o.pk for o in getattr(mine, name)] == [
                    o.pk for o in getattr(theirs, name)
                ], (mine.pk, name)
            for name in ("status", "latest_update_on", "latest_commentary", "overdue", "due"):
                assert getattr(mine, name) == getattr(theirs, name), (mine.pk, name)
            assert [a.number for a in mine.aim_list] == [a.number for a in theirs.aim_list]
            compared += 1
    assert compared > 40
    assert any(len(a.kpi_list) > 1 for a in got) or any(
        len(a.kpi_list) > 1 for a in tree_action_rows(Action.objects.all(), today)
    )
