"""A governor sees only the academies they govern, plus trust-level figures (issue 14).

The cast's `governor` governs Moreton School and `governor_b` Aldersley High School; a trustee
sees every academy. Each page and export is checked for both, and every cached piece is shown
never to cross from one scope to another.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from academies import permissions
from academies.models import Academy, AcademyRole, Owner, RoleAssignment
from demo.values import generate_demo_values
from kpis.models import Period
from plans.models import Action

AUTUMN = "2023-24-autumn"
MORETON = "moreton-school"
ALDERSLEY = "aldersley-high-school"
ALL_SLUGS = {
    ALDERSLEY,
    MORETON,
    "amethyst-sixth-form",
    "penn-hall-school",
    "tettenhall-wood-school",
}
MATRIX = reverse("kpis:matrix") + f"?period={AUTUMN}"
HOME = reverse("home") + f"?period={AUTUMN}"


@pytest.fixture
def demo(trust) -> Period:
    generate_demo_values()
    return Period.objects.get(slug=AUTUMN)


@pytest.fixture
def clients(cast):
    """A separate signed-in client per role, so several can be used in one test."""

    def sign_in(role: str) -> Client:
        client = Client()
        client.force_login(cast[role])
        return client

    return sign_in


def scorecard_slugs(markup: str) -> set[str]:
    """The academies a piece of a page links to (every academy name links to its scorecard)."""
    prefix = reverse("academies:scorecard", args=["x"])[: -len("x/")]
    return set(re.findall(rf'href="{re.escape(prefix)}([a-z0-9-]+)/"', markup))


def matrix_header(markup: str) -> str:
    return markup.split("<thead", 1)[1].split("</thead>", 1)[0]


def section(markup: str, heading_id: str, next_id: str | None = None) -> str:
    part = markup.split(f'id="{heading_id}"', 1)[1]
    return part.split(f'id="{next_id}"', 1)[0] if next_id else part


def action_ids(markup: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/plan/actions/(\d+)/"', markup)}


def action_naming(plan, short_names: set[str]) -> Action:
    for action in Action.objects.filter(objective__plan=plan).prefetch_related("academies"):
        if {academy.short_name for academy in action.academies.all()} == short_names:
            return action
    raise AssertionError(f"no action naming exactly {short_names}")


def trust_wide_actions(plan) -> set[int]:
    return set(
        Action.objects.filter(objective__plan=plan, academies=None).values_list("pk", flat=True)
    )


def academy_id(slug: str) -> int:
    return Academy.objects.get(slug=slug).pk


# --- Who is scoped -------------------------------------------------------------------------------


def _user(username: str, *groups: str):
    user = get_user_model().objects.create_user(username=username, password="x" * 20)
    for group in groups:
        user.groups.add(permissions.ensure_role_groups()[group])
    return get_user_model().objects.get(pk=user.pk)  # fresh: nothing cached on it


def _governs(user, slug: str) -> None:
    RoleAssignment.objects.create(
        user=user, academy=Academy.objects.get(slug=slug), role=AcademyRole.GOVERNOR
    )


def test_a_governor_sees_the_academies_they_govern(cast):
    assert permissions.visible_academy_ids(cast["governor"]) == {academy_id(MORETON)}
    assert permissions.visible_academy_ids(cast["governor_b"]) == {academy_id(ALDERSLEY)}
    assert permissions.scope_key(cast["governor"]) == (academy_id(MORETON),)


@pytest.mark.parametrize("role", ["trustee", "head_a", "head_b", "exec_head", "central", "admin"])
def test_every_other_role_sees_every_academy(cast, role):
    assert permissions.visible_academy_ids(cast[role]) is None
    assert permissions.scope_key(cast[role]) == "all"


@pytest.mark.parametrize(
    "wider", [permissions.TRUSTEE, permissions.HEADTEACHER, permissions.CENTRAL_TEAM]
)
def test_a_governor_with_a_wider_role_sees_every_academy(trust, wider):
    user = _user("gov-and-more", permissions.GOVERNOR, wider)
    _governs(user, MORETON)
    assert permissions.visible_academy_ids(user) is None


def test_governor_assignments_scope_a_user_even_outside_the_governor_group(trust):
    user = _user("assigned-only")
    _governs(user, MORETON)
    assert permissions.visible_academy_ids(user) == {academy_id(MORETON)}


def test_a_governor_governing_nothing_sees_no_academy(trust):
    assert permissions.visible_academy_ids(_user("gov-of-none", permissions.GOVERNOR)) == set()


def test_a_governors_academies_cost_one_query_then_are_cached(cast, django_assert_num_queries):
    user = get_user_model().objects.get(pk=cast["governor"].pk)
    moreton = academy_id(MORETON)
    with django_assert_num_queries(2):  # the user's groups; the academies they govern
        permissions.visible_academy_ids(user)
        permissions.visible_academy_ids(user)
        assert permissions.may_see_academy(user, moreton)


# --- The pages -----------------------------------------------------------------------------------


def test_the_matrix_shows_a_governor_only_their_academys_column_and_the_trust_column(clients, demo):
    trustee = clients("trustee").get(MATRIX)
    governor = clients("governor").get(MATRIX)
    assert scorecard_slugs(matrix_header(trustee.content.decode())) == ALL_SLUGS
    assert scorecard_slugs(matrix_header(governor.content.decode())) == {MORETON}
    assert f'<th scope="col">{settings.TRUST_NAME}</th>' in governor.content.decode()
    board, whole = governor.context["board"], trustee.context["board"]
    assert [a.slug for a in board.academies] == [MORETON]
    assert all(len(row.cells) == 1 for row in board.rows)
    # The trust column is still the whole trust's figure, not Moreton's.
    assert [row.trust.value for row in board.rows] == [row.trust.value for row in whole.rows]
    assert [row.trust.outcome for row in board.rows] == [row.trust.outcome for row in whole.rows]
    assert set(board.counts) == {academy_id(MORETON), None}


def test_the_second_governor_sees_only_their_own_column(clients, demo):
    response = clients("governor_b").get(MATRIX)
    assert scorecard_slugs(matrix_header(response.content.decode())) == {ALDERSLEY}


def test_a_governors_exceptions_only_matrix_keeps_rows_for_their_academy_only(clients, demo):
    response = clients("governor").get(MATRIX + "&exceptions=1")
    rows = response.context["board"].rows
    assert rows
    assert all(cell.academy.slug == MORETON for row in rows for cell in row.cells)
    assert all(row.has_exception for row in rows)


def test_the_overview_shows_a_governor_only_their_academys_exceptions_and_return(clients, demo):
    trustee = clients("trustee").get(HOME)
    governor = clients("governor").get(HOME)
    assert {a.slug for a, _ in governor.context["completeness"]} == {MORETON}
    assert {a.slug for a, _ in trustee.context["completeness"]} == ALL_SLUGS
    mine = governor.context["groups"]
    assert mine, "the demo values give Moreton exceptions"
    # One group per KPI since issue 15, its academies' cells beneath.
    assert {item.cell.academy.slug for g in mine for item in g.items} == {MORETON}
    theirs = trustee.context["groups"]
    assert {item.cell.academy.slug for g in theirs for item in g.items} > {MORETON}
    page = governor.content.decode()
    exceptions = section(page, "exceptions-heading", "returns-heading")
    assert scorecard_slugs(exceptions) == {MORETON}
    assert scorecard_slugs(section(page, "returns-heading")) == {MORETON}


def test_a_kpi_page_shows_a_governor_only_their_academys_row(clients, demo):
    url = reverse("kpis:detail", args=["2.1"])
    governor = clients("governor").get(url)
    assert [s.academy.slug for s in governor.context["history"]] == [MORETON]
    assert scorecard_slugs(section(governor.content.decode(), "main")) == {MORETON}
    trustee = clients("trustee").get(url)
    assert {s.academy.slug for s in trustee.context["history"]} == ALL_SLUGS


def test_another_academys_scorecard_is_a_404_for_a_governor(clients, demo):
    governor = clients("governor")
    assert governor.get(reverse("academies:scorecard", args=[MORETON])).status_code == 200
    for slug in ALL_SLUGS - {MORETON}:
        assert governor.get(reverse("academies:scorecard", args=[slug])).status_code == 404
    # As for an academy that does not exist: nothing tells the two apart.
    assert governor.get(reverse("academies:scorecard", args=["no-such"])).status_code == 404
    trustee = clients("trustee")
    for slug in ALL_SLUGS:
        assert trustee.get(reverse("academies:scorecard", args=[slug])).status_code == 200


def test_a_governance_paper_lists_a_governor_only_trust_wide_actions_and_their_academys(
    clients, trust, demo
):
    nli = Owner.objects.get(code="NLI")
    elsewhere = action_naming(trust, {"PH", "TWS"})  # monitored by NLI
    moreton = action_naming(trust, {"MS", "TWS"})
    moreton.monitors.add(nli)
    url = reverse("plans:monitoring", args=["nli"])
    monitored = set(nli.monitored_actions.values_list("pk", flat=True))
    assert elsewhere.pk in monitored

    trustee = action_ids(clients("trustee").get(url).content.decode())
    governor_response = clients("governor").get(url)
    governor = action_ids(governor_response.content.decode())
    governor_b = action_ids(clients("governor_b").get(url).content.decode())

    assert trustee == monitored
    assert governor == (monitored & trust_wide_actions(trust)) | {moreton.pk}
    assert governor_b == monitored & trust_wide_actions(trust)
    # Its flagged KPIs are those the listed actions link to.
    linked = {k.pk for a in Action.objects.filter(pk__in=governor) for k in a.kpis.all()}
    # Each flagged KPI is (kpi, trust cell, academies' red and amber cells) since issue 15.
    assert {kpi.pk for kpi, *_ in governor_response.context["flagged"]} <= linked


def test_a_governance_paper_flags_no_kpi_only_an_unseen_action_links(clients, trust, demo):
    board = Owner.objects.get(code="BOARD")
    trustee_flags = clients("trustee").get(reverse("plans:monitoring", args=["board"]))
    flagged = {kpi.pk for kpi, *_ in trustee_flags.context["flagged"]}
    assert flagged, "the demo values give the Trust Board's paper amber KPIs"
    # Every action of the board's paper now names Penn Hall: a Moreton governor sees none.
    penn = Academy.objects.get(slug="penn-hall-school")
    for action in board.monitored_actions.all():
        action.academies.add(penn)
    response = clients("governor").get(reverse("plans:monitoring", args=["board"]))
    assert response.context["actions"] == []
    assert response.context["flagged"] == []


def test_the_governance_index_lists_a_governor_only_bodies_monitoring_actions_they_see(
    clients, trust
):
    nli = Owner.objects.get(code="NLI")
    penn = Academy.objects.get(slug="penn-hall-school")
    for action in nli.monitored_actions.all():
        action.academies.add(penn)
    url = reverse("plans:monitoring_index")
    assert reverse("plans:monitoring", args=["NLI"]) in clients("trustee").get(url).content.decode()
    page = clients("governor").get(url).content.decode()
    assert reverse("plans:monitoring", args=["NLI"]) not in page
    assert reverse("plans:monitoring", args=["BOARD"]) in page


def test_the_plan_page_lists_a_governor_trust_wide_actions_and_their_academys(clients, trust):
    everything = set(Action.objects.filter(objective__plan=trust).values_list("pk", flat=True))
    moreton = action_naming(trust, {"MS", "TWS"}).pk
    elsewhere = action_naming(trust, {"PH", "TWS"}).pk
    url = reverse("plans:plan")
    assert action_ids(clients("trustee").get(url).content.decode()) == everything
    assert action_ids(clients("governor").get(url).content.decode()) == (
        trust_wide_actions(trust) | {moreton}
    )
    assert elsewhere not in action_ids(clients("governor").get(url).content.decode())
    assert action_ids(clients("governor_b").get(url).content.decode()) == trust_wide_actions(trust)


def test_an_action_naming_only_other_academies_is_a_404_for_a_governor(clients, trust):
    moreton = action_naming(trust, {"MS", "TWS"}).pk
    elsewhere = action_naming(trust, {"PH", "TWS"}).pk
    governor = clients("governor")
    assert governor.get(reverse("plans:action", args=[moreton])).status_code == 200
    assert governor.get(reverse("plans:action", args=[elsewhere])).status_code == 404
    trust_wide = min(trust_wide_actions(trust))
    assert clients("governor_b").get(reverse("plans:action", args=[trust_wide])).status_code == 200
    assert clients("governor_b").get(reverse("plans:action", args=[moreton])).status_code == 404


def test_my_work_is_the_same_for_a_governor(clients, trust, cast):
    Owner.objects.filter(code="NLI").update(user=cast["governor"])
    nli_actions = set(Owner.objects.get(code="NLI").responsible_for.values_list("pk", flat=True))
    response = clients("governor").get(reverse("my"))
    # Their own actions, whichever academies those name: what they must do is not scoped.
    assert {a.pk for a in response.context["my_actions"]} == nli_actions


# --- The exports ---------------------------------------------------------------------------------


def _csv(client, period: str) -> list[dict]:
    response = client.get(reverse("kpis:export_csv"), {"period": period})
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("period", [AUTUMN, "all"])
def test_the_csv_holds_only_a_governors_academy(clients, demo, period):
    trustee = _csv(clients("trustee"), period)
    governor = _csv(clients("governor"), period)
    assert {row["Academy"] for row in trustee} == set(
        Academy.objects.values_list("name", flat=True)
    )
    assert governor
    assert {row["Academy"] for row in governor} == {"Moreton School"}
    assert governor == [row for row in trustee if row["Academy"] == "Moreton School"]


def _pack(client) -> openpyxl.Workbook:
    response = client.get(reverse("kpis:export_xlsx"), {"period": AUTUMN})
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _rows(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_board_pack_holds_only_a_governors_academy_and_the_trust_column(clients, demo):
    trustee = _pack(clients("trustee"))
    governor = _pack(clients("governor"))
    whole, mine = _rows(trustee["2023-24 Autumn"]), _rows(governor["2023-24 Autumn"])
    names = list(Academy.objects.active().order_by("position").values_list("name", flat=True))
    assert whole[0] == ["KPI (Key Performance Indicators)", *names, settings.TRUST_NAME]
    assert mine[0] == ["KPI (Key Performance Indicators)", "Moreton School", settings.TRUST_NAME]
    moreton = whole[0].index("Moreton School")
    # Moreton's column and the trust's are the same as in the trustee's pack, row by row.
    assert [(r[0], r[1], r[2]) for r in mine] == [(r[0], r[moreton], r[-1]) for r in whole]
    exceptions = {row[1] for row in _rows(governor["Exceptions"])[1:]}
    assert exceptions == {"Moreton School"}
    assert len({row[1] for row in _rows(trustee["Exceptions"])[1:]}) > 1


def test_the_board_packs_plan_actions_are_a_governors_trust_wide_and_academy_ones(
    clients, trust, demo
):
    def described(pack) -> list[str]:
        return [row[2] for row in _rows(pack["Plan actions"])[1:]]

    seen = Action.objects.filter(
        pk__in=trust_wide_actions(trust) | {action_naming(trust, {"MS", "TWS"}).pk}
    )
    everything = described(_pack(clients("trustee")))
    mine = described(_pack(clients("governor")))
    assert len(everything) == Action.objects.filter(objective__plan=trust).count()
    assert len(mine) == seen.count()
    assert action_naming(trust, {"PH", "TWS"}).description not in mine


# --- The cache never crosses scopes --------------------------------------------------------------


@pytest.fixture
def cached(settings, demo):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "g"}
    }
    cache.clear()
    return demo


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


SCOPED_PIECES = [
    pytest.param(MATRIX, lambda page: scorecard_slugs(matrix_header(page)), id="matrix"),
    pytest.param(
        HOME,
        lambda page: scorecard_slugs(section(page, "exceptions-heading", "returns-heading")),
        id="overview-exceptions",
    ),
    pytest.param(
        reverse("kpis:detail", args=["2.1"]),
        lambda page: scorecard_slugs(section(page, "main")),
        id="kpi-detail",
    ),
    pytest.param(reverse("plans:plan"), action_ids, id="plan-tree"),
]


def _visit(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as context:
        page = _page(client, url)
    return len(context.captured_queries), page


@pytest.mark.parametrize("url,shown", SCOPED_PIECES)
@pytest.mark.parametrize("first", ["trustee", "governor"])
def test_a_cached_piece_is_never_served_to_another_scope(clients, cached, url, shown, first):
    """Whoever fills the cache first, each scope's first visit computes its own piece, and its
    second is served from the cache (fewer queries) with the same content."""
    roles = ["trustee", "governor", "governor_b"]
    expected = {}
    for role in roles:
        cache.clear()
        expected[role] = shown(_page(clients(role), url))
    assert len({frozenset(v) for v in expected.values()}) == 3  # three different pieces
    cache.clear()
    order = [first, *(role for role in roles if role != first)]
    first_visit = {}
    for role in order:
        first_visit[role], page = _visit(clients(role), url)
        assert shown(page) == expected[role], role
    for role in order:
        count, page = _visit(clients(role), url)
        assert shown(page) == expected[role], role
        assert count < first_visit[role], f"{role}'s second visit is served from the cache"


# --- The header asks permissions, not role names -------------------------------------------------


def test_the_returns_link_follows_may_enter_returns(clients, cast, trust):
    grid = reverse("entry:grid")
    for role, shown in [
        ("trustee", False),
        ("governor", False),
        ("head_a", True),
        ("exec_head", True),
        ("central", True),
        ("admin", True),
    ]:
        assert (f'href="{grid}"' in _page(clients(role), reverse("home"))) is shown, role


def test_a_headteacher_heading_no_academy_is_not_offered_the_returns_page(trust):
    """Was a role-name check in base.html ("Headteacher" in user_roles): it offered the link to
    a head of no academy, whom the Returns page refuses."""
    user = _user("head-of-none", permissions.HEADTEACHER)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("entry:grid")).status_code == 403
    assert f'href="{reverse("entry:grid")}"' not in _page(client, reverse("home"))


def test_the_import_and_administration_links_follow_permissions(clients, trust):
    upload, admin = reverse("imports:upload"), reverse("admin:index")
    for role, can_import, can_admin in [
        ("trustee", False, False),
        ("governor", False, False),
        ("head_a", False, False),
        ("central", False, True),
        ("admin", True, True),
    ]:
        page = _page(clients(role), reverse("home"))
        assert (f'href="{upload}"' in page) is can_import, role
        assert (f'href="{admin}"' in page) is can_admin, role


def test_templates_never_test_role_names():
    """The header may show the user's roles ({{ user_roles }}); no tag asks for one by name."""
    templates = Path(settings.BASE_DIR) / "templates"
    role = "|".join(re.escape(name) for name in permissions.ROLE_GROUPS)
    checks = re.compile(rf"{{%[^%]*(\bin user_roles\b|[\"']({role})[\"'])[^%]*%}}")
    found = [
        f"{path.relative_to(templates)}: {match.group(0)}"
        for path in templates.rglob("*.html")
        for match in checks.finditer(path.read_text())
    ]
    assert found == []


# --- Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,trustee_count",
    [
        # The trustees' counts pinned (with each query named) in tests/kpis/test_board_pages.py
        # and tests/plans/test_plan_views.py.
        pytest.param(HOME, 20, id="overview"),
        pytest.param(MATRIX, 13, id="matrix"),
        # 12: the rule as applied reads the academies' overrides of the KPI (issue 15); 14: its
        # list of linked plan actions (kpi_actions: the links with latest updates; academies).
        pytest.param(reverse("kpis:detail", args=["2.1"]), 14, id="kpi-detail"),
        # 15: the academy's latest Ofsted inspection (issue 17).
        pytest.param(reverse("academies:scorecard", args=[MORETON]), 15, id="scorecard"),
        # 34: what the tree shows of the board (KPI names, terms) for its cache key, and the
        # tree's links read as pairs (plans.selectors.tree_action_rows).
        pytest.param(reverse("plans:plan"), 34, id="plan"),
        pytest.param(reverse("plans:monitoring", args=["board"]), 21, id="governance-paper"),
    ],
)
def test_a_governor_pays_one_query_more_than_a_trustee(
    clients, demo, django_assert_num_queries, url, trustee_count
):
    trustee, governor = clients("trustee"), clients("governor")
    with django_assert_num_queries(trustee_count):
        assert trustee.get(url).status_code == 200
    # The same queries, and one more: the academies the governor governs (read once, then
    # kept on the request's user).
    with django_assert_num_queries(trustee_count + 1):
        assert governor.get(url).status_code == 200
