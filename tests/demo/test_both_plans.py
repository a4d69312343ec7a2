"""`load_demo` loads both seed plans: the Amethyst 2023/24 plan (active) and the 2019–2022 plan
(archived: readable from the plan page, not editable). The 2019–2022 page shows each
sub-priority once and no 2023/24 KPI ratings."""

from __future__ import annotations

import html as html_lib
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from academies.models import Academy
from kpis.models import KPI, Period, Return, ReturnStatus
from plans.models import Action, Aim, Plan, PlanStatus

OLD_TITLE = "Trust Development Plan 2019–2022"


@pytest.fixture
def demo(db):
    call_command("load_demo", without_pack=True, stdout=StringIO())
    return Plan.objects.get(title=OLD_TITLE)


def _main(response) -> str:
    assert response.status_code == 200
    match = re.search(r'<main id="main".*?</main>', response.content.decode(), re.S)
    assert match
    return match.group(0)


def _words(markup: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _aim_headings(markup: str) -> Counter:
    """How often each aim's "Sub-priority 1.2: title" line appears on the page."""
    return Counter(re.findall(r"(?:Sub-priority|Aim) (\d+\.\d+):", _words(markup)))


def test_load_demo_loads_the_active_plan_and_the_archived_2019_2022_plan(demo):
    plans = {plan.title: plan.status for plan in Plan.objects.all()}
    assert plans == {
        "Trust Development Plan 2023/2024": PlanStatus.ACTIVE,
        OLD_TITLE: PlanStatus.ARCHIVED,
    }
    assert demo.objectives.count() == 5
    assert Aim.objects.filter(objective__plan=demo).count() == 18


def test_load_demo_twice_loads_the_2019_2022_plan_once(demo):
    out = StringIO()
    call_command("load_demo", without_pack=True, stdout=out)
    assert Plan.objects.filter(title=OLD_TITLE).count() == 1
    assert f"Plan: {demo} (already there)" in out.getvalue()


def test_the_active_plans_page_links_the_archived_plan(demo, client_for):
    page = _main(client_for("trustee").get(reverse("plans:plan")))
    assert f'<a href="?plan={demo.pk}">{OLD_TITLE} (archived)</a>' in page
    assert "Earlier plans:" in _words(page)


@pytest.mark.parametrize("role", ["trustee", "governor", "head_a", "central"])
def test_the_archived_plan_renders_for_every_reader(demo, client_for, role):
    page = _main(client_for(role).get(reverse("plans:plan"), {"plan": demo.pk}))
    assert "Archived – kept for reference, read-only" in _words(page)
    assert "Key priority 5: To promote a positive image of the Trust" in _words(page)


def test_the_archived_plan_shows_each_sub_priority_once(demo, client_for):
    page = _main(client_for("trustee").get(reverse("plans:plan"), {"plan": demo.pk}))
    numbers = [aim.number for aim in Aim.objects.filter(objective__plan=demo)]
    assert _aim_headings(page) == Counter(numbers)  # every one, exactly once
    # 5.1–5.3 each have an action and share their success criteria: named by number there.
    assert "Sub-priority 5.1, 5.2 and 5.3 together (shown above)" in _words(page)


def test_each_group_of_the_archived_plan_lists_its_actions_once(demo, client_for):
    page = _main(client_for("trustee").get(reverse("plans:plan"), {"plan": demo.pk}))
    listed = Counter(int(pk) for pk in re.findall(r'href="/plan/actions/(\d+)/"', page))
    expected = Action.objects.filter(objective__plan=demo).values_list("pk", flat=True)
    assert listed == Counter(expected)


def test_the_active_plan_still_shows_each_aim_once(demo, client_for):
    plan = Plan.objects.get(status=PlanStatus.ACTIVE)
    page = _main(client_for("trustee").get(reverse("plans:plan")))
    numbers = [aim.number for aim in Aim.objects.filter(objective__plan=plan)]
    assert _aim_headings(page) == Counter(numbers)


def test_the_archived_plan_shows_no_2023_24_ratings(demo, client_for):
    # A KPI linked to an old action would carry the trust's 2023/24 RAG; the plan's own years
    # (2019/20–2021/22) have no published returns, so it carries none.
    action = Action.objects.filter(objective__plan=demo).first()
    Action.kpis.through.objects.create(action=action, kpi=KPI.objects.get(code="2.1"))
    page = _main(client_for("trustee").get(reverse("plans:plan"), {"plan": demo.pk}))
    tree = page[page.index('<section class="mb-4 objective"') :]
    assert "trust RAG" not in page
    assert "2023/24" not in _words(tree)
    assert "KPI ratings are shown for the plan's own years only (2019–2022)" in _words(page)
    chip = re.search(r'<a href="/kpis/2\.1/" class="kpi-chip[^"]*"[^>]*>(.*?)</a>', page, re.S)
    assert chip and "rag-" not in chip.group(0)
    active = _main(client_for("trustee").get(reverse("plans:plan")))
    assert "(trust RAG, 2023/24 Spring)" in _words(active)


def test_an_archived_plans_action_page_shows_no_2023_24_ratings(demo, client_for):
    action = Action.objects.filter(objective__plan=demo).first()
    Action.kpis.through.objects.create(action=action, kpi=KPI.objects.get(code="2.1"))
    page = _main(client_for("trustee").get(reverse("plans:action", args=[action.pk])))
    assert "2023/24" not in _words(page)
    assert "rag-" not in page
    assert "2.1 Attendance > 95% — No data" in _words(page)


def test_the_archived_plan_shows_ratings_of_its_own_last_published_period(demo, client_for):
    own = Period.objects.create(year_start=2021, term=3)
    Return.objects.create(academy=Academy.objects.first(), period=own, status=ReturnStatus.APPROVED)
    page = _main(client_for("trustee").get(reverse("plans:plan"), {"plan": demo.pk}))
    assert "(trust RAG, 2021/22 Summer)" in _words(page)


def test_the_archived_plan_page_runs_as_many_queries_with_more_actions(demo, client_for):
    # One more query than the active plan's page (plan_rating_period: the plan's own periods
    # with published returns), whatever the plan's size.
    client = client_for("trustee")
    url = f"{reverse('plans:plan')}?plan={demo.pk}"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    objective = demo.objectives.first()
    aims = list(objective.aims.all())
    for position in range(100, 130):
        action = Action.objects.create(objective=objective, position=position, description="x")
        action.aims.set(aims[:2])
    assert count() == before


def test_central_team_cannot_edit_the_archived_plan(demo, client_for):
    client = client_for("central")
    page = _main(client.get(reverse("plans:plan"), {"plan": demo.pk}))
    assert "Add key priority" not in page
    assert "/edit/" not in page and "Move up" not in page
    objective = demo.objectives.first()
    response = client.post(
        reverse("plans:aim_create", args=[objective.pk]), {"title": "A new sub-priority"}
    )
    assert response.status_code == 403
    assert not Aim.objects.filter(title="A new sub-priority").exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("username", ["t-trustee", "t-central"])
def test_both_plan_pages_pass_axe(live_server, new_context, cast, username):
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser_support import screenshot, sign_in

    call_command("load_demo", without_pack=True, stdout=StringIO())
    old = Plan.objects.get(title=OLD_TITLE)
    page = sign_in(new_context().new_page(), live_server.url, username)
    options = {
        "runOnly": {
            "type": "tag",
            "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
        },
        "resultTypes": ["violations"],
    }
    problems = []
    for name, url in (("active", "/plan/"), ("archived", f"/plan/?plan={old.pk}")):
        page.goto(live_server.url + url)
        screenshot(page, f"demo-plan-{name}-{username}")
        for violation in Axe().run(page, options=options).response["violations"]:
            problems.append((name, violation["id"], [n["target"] for n in violation["nodes"]]))
    assert problems == []
