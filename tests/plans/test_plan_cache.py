"""The plan's cache (plans.cache): readers' trees and the overview's roll-up come from the cache
while nothing changed, and every way of changing the plan shows at once.

Each invalidation test first visits the page (filling the cache), changes the plan one way, and
checks the next visit shows the change. Without the token bump for that path the second visit
would serve the stale tree, so each test fails if its path stops invalidating.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from academies.models import Owner
from demo.values import generate_demo_values
from kpis.models import KPI
from kpis.selectors import PeriodIndex, default_period
from plans.cache import plan_version
from plans.models import Action, Aim, ProgressUpdate
from tests.cache_backends import BACKENDS, use_cache
from tests.plans.test_plan_import_queries import _plan_sheet
from tests.plans.test_plan_views import action_ids, action_named, action_post, action_rows


@pytest.fixture(params=BACKENDS)
def cached(request, settings, trust, cast):
    """The per-process cache, then the real Redis (as with REDIS_URL)."""
    use_cache(settings, request.param, "p")
    generate_demo_values()
    assert plan_version() is not None  # loading the plan set the token
    return trust


@pytest.fixture
def client_for(cast):
    """Separate signed-in clients (conftest's client_for re-signs one shared client, which
    would turn the reader into the editor mid-test)."""

    def sign_in(role: str) -> Client:
        client = Client()
        client.force_login(cast[role])
        return client

    return sign_in


def _visit(client, url=None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url or reverse("plans:plan"))
    assert response.status_code == 200
    html = response.content.decode()
    # The sign-out form's CSRF token differs per response; nothing else may.
    return len(context.captured_queries), re.sub(r'csrfmiddlewaretoken" value="[^"]+"', "", html)


def _row(html: str, action: Action) -> str:
    return action_rows(html)[action.pk]


def test_a_readers_second_visit_uses_the_cached_tree(client_for, cached):
    client = client_for("trustee")
    first, html = _visit(client)
    # 1 session, 2 user, 3 active plan, 4 all plans, 5 the user's groups, 6 plan version token,
    # 7 board version token, 8 demo-data flag, 9–12 the filter's choices (objectives, owners
    # twice, academies): nothing of the tree itself (the {% cache %} hit computes no tree).
    second, again = _visit(client)
    assert second == 12
    assert first > second
    assert again == html
    assert len(action_ids(html)) == Action.objects.filter(objective__plan=cached).count()


def test_readers_share_the_cached_tree_and_never_get_the_editors(client_for, cached):
    _visit(client_for("central"))  # an editor's tree, cached first
    _visit(client_for("trustee"))
    _, governor = _visit(client_for("governor"))
    _, central = _visit(client_for("central"))
    move = reverse("plans:move", args=["objective", cached.objectives.first().pk])
    assert move not in governor  # a reader's tree has no editing forms…
    assert move in central  # …an editor's has them
    assert "csrfmiddlewaretoken" not in governor.split('aria-labelledby="objective-')[1]


def test_each_editor_gets_the_cached_tree_with_their_own_working_csrf_token(cast, cached):
    """The editors' tree is cached without any CSRF token: its move buttons post through the
    page's own form (form="plan-edit"), rendered outside the cache with each editor's token, and
    a move posted with it is accepted."""
    first = Client(enforce_csrf_checks=True)
    first.force_login(cast["central"])
    second = Client(enforce_csrf_checks=True)
    second.force_login(cast["admin"])
    first.get(reverse("plans:plan"))  # caches the editors' tree
    with CaptureQueriesContext(connection) as context:
        page = second.get(reverse("plans:plan")).content.decode()
    assert len(context.captured_queries) < 20  # from the cache: the tree's queries not run
    tree = page.split('aria-labelledby="objective-', 1)[1]
    assert "csrfmiddlewaretoken" not in tree  # nobody's token is in the cached part
    objective = cached.objectives.order_by("number")[1]
    move = reverse("plans:move", args=["objective", objective.pk])
    assert f'form="plan-edit" formaction="{move}" name="direction" value="up"' in tree
    form = re.search(
        r'<form id="plan-edit" method="post" hidden>'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">',
        page,
    )
    assert form, "the editor's page has the form the tree's buttons post through, with a token"
    response = second.post(move, {"direction": "up", "csrfmiddlewaretoken": form.group(1)})
    assert response.status_code == 302  # the CSRF check passed
    assert cached.objectives.get(pk=objective.pk).number == 1
    forged = first.post(move, {"direction": "down", "csrfmiddlewaretoken": "x" * 64})
    assert forged.status_code == 403  # and the check is really on


def test_editing_an_action_shows_at_once(client_for, cached):
    reader = client_for("trustee")
    action = action_named(cached, "New curriculum and assessment frameworks are implemented")
    _visit(reader)
    data = action_post(
        list(action.aims.all()), description="Rewritten by the central team", kpis="4.12"
    )
    assert client_for("central").post(reverse("plans:action_edit", args=[action.pk]), data)
    _, html = _visit(reader)
    assert "Rewritten by the central team" in _row(html, action)
    assert ">4.12" in _row(html, action)


def test_a_progress_update_shows_at_once_on_the_tree_and_the_overview(client_for, cached):
    reader = client_for("trustee")
    action = action_named(cached, "New curriculum and assessment frameworks are implemented")
    _, before = _visit(reader)
    _, overview = _visit(reader, reverse("home"))
    assert "Off track" not in _row(before, action)
    response = client_for("central").post(
        reverse("plans:action_update", args=[action.pk]),
        {"date": timezone.localdate().isoformat(), "status": "off_track", "commentary": "Late."},
    )
    assert response.status_code == 302
    _, after = _visit(reader)
    assert "Off track" in _row(after, action)
    _, overview_after = _visit(reader, reverse("home"))
    assert overview_after != overview
    first_row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", overview_after, re.S).group(1)
    off_track = re.findall(r'status-off_track">(\d+)<', first_row)
    assert off_track == ["1"]


def test_a_progress_update_renews_the_overviews_exceptions_without_the_board(client_for, cached):
    """The overview's exceptions name each KPI's plan action with its status: a progress
    update must show there at once, and the board's part of them (its judged cells, kept
    under the board's token) is not worked out again for it (issue 19: `/` after a plan
    edit)."""
    reader = client_for("trustee")
    _, overview = _visit(reader, reverse("home"))
    lead = re.search(r'Plan action:</span> <a href="/plan/actions/(\d+)/"', overview)
    assert lead, "an exception names its plan action"
    action = Action.objects.get(pk=lead.group(1))
    response = client_for("central").post(
        reverse("plans:action_update", args=[action.pk]),
        {"date": timezone.localdate().isoformat(), "status": "off_track", "commentary": "Late."},
    )
    assert response.status_code == 302
    with CaptureQueriesContext(connection) as context:
        html = reader.get(reverse("home")).content.decode()
    lead_line = html.split(f'href="/plan/actions/{action.pk}/"')[1].split("</p>")[0]
    assert "Off track" in lead_line
    # The board's fetch (board_matrix) is the only one that reads the academies' targets.
    assert not any('"kpis_academytarget"' in q["sql"] for q in context.captured_queries)


def test_moving_an_action_shows_at_once(client_for, cached):
    reader = client_for("trustee")
    _, before = _visit(reader)
    order = action_ids(before)
    client_for("central").post(
        reverse("plans:move", args=["action", order[1]]), {"direction": "up"}
    )  # bulk_update: no signals
    _, after = _visit(reader)
    assert action_ids(after)[:2] == [order[1], order[0]]


def test_moving_an_aim_shows_at_once(client_for, cached):
    reader = client_for("trustee")
    first, second = Aim.objects.filter(objective__plan=cached, objective__number=1).order_by(
        "position"
    )[:2]
    _, before = _visit(reader)
    assert before.index(first.title) < before.index(second.title)
    client_for("central").post(
        reverse("plans:move", args=["aim", first.pk]), {"direction": "down"}
    )  # QuerySet.update(): no signals
    _, after = _visit(reader)
    assert after.index(first.title) > after.index(second.title)


def test_deleting_an_action_shows_at_once(client_for, cached):
    reader = client_for("trustee")
    action = Action.objects.filter(objective__plan=cached).first()
    _visit(reader)
    client_for("central").post(reverse("plans:delete", args=["action", action.pk]))
    _, after = _visit(reader)
    assert action.pk not in action_ids(after)


def test_changing_only_an_actions_links_shows_at_once(client_for, cached):
    reader = client_for("trustee")
    action = Action.objects.filter(objective__plan=cached, kpis__isnull=True).first()
    _visit(reader)
    action.kpis.add(KPI.objects.get(code="2.1"))  # m2m_changed, no save of the action
    _, after = _visit(reader)
    assert ">2.1" in _row(after, action)


def test_renaming_an_owner_shows_at_once(client_for, cached):
    reader = client_for("trustee")
    owner = Owner.objects.filter(responsible_for__objective__plan=cached).distinct().first()
    _visit(reader)
    owner.name = "Renamed Owner"
    owner.save()
    _, after = _visit(reader)
    assert "Renamed Owner" in after


def test_importing_a_plan_sheet_shows_at_once(client_for, cached, cast):
    from spreadsheets.importer import apply_import, prepare_import

    reader = client_for("trustee")
    first = (
        cached.objectives.get(number=1).aims.order_by("position")[0].actions.order_by("position")[0]
    )
    _, before = _visit(reader)
    had = ">4.13" in _row(before, first)
    preview = prepare_import(_plan_sheet(cached, 3), "plan.xlsx")  # toggles 4.13 on the first
    assert preview.ok, [str(p) for p in preview.problems]
    apply_import(preview, user=cast["admin"])  # bulk writes: no signals
    _, after = _visit(reader)
    assert (">4.13" in _row(after, first)) is not had


def test_a_kpis_new_rag_shows_on_the_cached_tree(client_for, cached, cast):
    """The tree shows each linked KPI's trust RAG: a board change must reach it."""
    from kpis.models import KPIValue

    reader = client_for("trustee")
    action = action_named(cached, "New curriculum and assessment frameworks are implemented")
    code = "1.4"
    assert action.kpis.filter(code=code).exists()
    chip_of = re.compile(r'class="kpi-chip rag-(\w+)"[^>]*>1\.4')
    _, before = _visit(reader)
    chip = chip_of.search(_row(before, action))
    assert chip, f"the {code} chip has a RAG"
    values = KPIValue.objects.filter(kpi__code=code, value__isnull=False)
    latest = default_period(PeriodIndex())  # the period the chips are rated in
    wanted = "0" if chip.group(1) != "red" else "100"
    for value in values.filter(period=latest):
        value.value = wanted
        value.save()  # a single save: its signal bumps the board token
    _, after = _visit(reader)
    changed = chip_of.search(_row(after, action))
    assert changed.group(1) != chip.group(1)


def test_a_board_change_that_re_rates_no_chip_keeps_the_cached_tree(client_for, cached):
    """A submitted return changes the board's token; the tree shows of the board only its
    chips' ratings, KPI names and term dates, so when none of those changed the 500-action
    tree of a large trust is not built again (issue 19: /plan/ after a return)."""
    from kpis.cache import board_version
    from kpis.models import KPIValue

    reader = client_for("trustee")
    _, before = _visit(reader)
    token = board_version()
    value = KPIValue.objects.filter(value__isnull=False).first()
    value.save()  # a single save: its signal bumps the board token; no rating changes
    assert board_version() != token
    with CaptureQueriesContext(connection) as context:
        response = reader.get(reverse("plans:plan"))
    tables = " ".join(q["sql"] for q in context.captured_queries)
    assert '"plans_action"' not in tables  # the tree came from the cache…
    assert '"kpis_kpivalue"' in tables  # …after the chips' ratings were worked out again
    html = re.sub(r'csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    assert html == before


def test_renaming_a_kpi_shows_on_its_chips_at_once(client_for, cached):
    reader = client_for("trustee")
    action = action_named(cached, "New curriculum and assessment frameworks are implemented")
    kpi = action.kpis.get(code="1.4")
    _visit(reader)
    kpi.name = "Pupils reaching the renamed standard"
    kpi.save()
    _, after = _visit(reader)
    assert 'title="Pupils reaching the renamed standard' in _row(after, action)


def test_the_next_day_is_not_served_yesterdays_overdue(client_for, cached, monkeypatch):
    reader = client_for("trustee")
    action = Action.objects.filter(objective__plan=cached).first()
    action.due_date = timezone.localdate() + datetime.timedelta(days=1)
    action.due_period = None
    action.save()
    ProgressUpdate.objects.filter(action=action).delete()
    _, today = _visit(reader)
    assert "Overdue" not in _row(today, action)
    tomorrow = timezone.localdate() + datetime.timedelta(days=2)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    _, later = _visit(reader)
    assert "Overdue" in _row(later, action)


def test_filters_are_cached_apart(client_for, cached):
    reader = client_for("trustee")
    _, everything = _visit(reader)
    objective = cached.objectives.get(number=2)
    status = f"{reverse('plans:plan')}?objective={objective.pk}"
    _, filtered = _visit(reader, status)
    _, everything_again = _visit(reader)
    assert len(action_ids(filtered)) < len(action_ids(everything))
    assert everything_again == everything


def test_moving_a_kpi_reorders_its_chips_at_once(client_for, cached):
    """A row's chips follow the KPIs' own order (area, position): moving a KPI must reach the
    cached tree, although no rating, code or name changed."""
    reader = client_for("trustee")
    action = next(a for a in Action.objects.filter(objective__plan=cached) if a.kpis.count() > 1)
    chips = re.compile(r'class="kpi-chip[^"]*"[^>]*>([\d.]+)')
    _, before = _visit(reader)
    first, second = chips.findall(_row(before, action))[:2]
    moved = KPI.objects.get(code=second)
    lead = KPI.objects.get(code=first)
    moved.area, moved.position = lead.area, lead.position - 1
    moved.save()
    _, after = _visit(reader)
    assert chips.findall(_row(after, action))[:2] == [second, first]
