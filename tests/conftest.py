"""Shared fixtures: the demo trust and a cast of users, one per role.

Browser tests run Playwright in this process; its event loop trips Django's async guard, so the
guard is relaxed for the test process only (never in settings).
"""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from academies import permissions
from academies.models import Academy, AcademyRole, RoleAssignment
from academies.services import load_organisation, read_fixture
from kpis.models import KPI, Aggregation, Measure
from kpis.services import load_framework
from plans.models import Plan, PlanStatus
from plans.services import load_plan

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "a-long-test-password-1"


@pytest.fixture(autouse=True)
def no_fragment_cache(settings):
    """Pages compute everything in tests (tests/kpis/test_board_cache.py turns caching on)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture(scope="session")
def _session_packs_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("packs")


@pytest.fixture(autouse=True)
def packs_outside_the_repository(settings, _session_packs_dir):
    """Published packs (load_demo publishes one) go to a temporary folder, never the project's
    packs/ (tests/papers/test_published_packs.py gives its own)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "packs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(_session_packs_dir)},
        },
    }


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The production hasher is slow by design; tests sign in dozens of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _load_trust():
    permissions.ensure_role_groups()
    load_organisation(data=read_fixture("amethyst_trust.yaml"))
    load_framework(data=read_fixture("amethyst_kpis.yaml"))
    plan, _ = load_plan(data=read_fixture("plan_amethyst_2023_24.yaml"))
    return plan


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the trust once into the test database; each test's transaction rolls back onto it.

    Transactional tests (live_server) flush the database when they end; pytest-django runs them
    after the others, and the `trust` fixture loads the trust again when it finds it gone.
    """
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            # Tests never need a commit to survive a crash: without waiting for each commit's
            # WAL flush, the transactional tests' loads and flushes do not depend on how fast
            # the machine's disk syncs (the fault drills use their own database, untouched).
            with connection.cursor() as cursor:
                name = connection.ops.quote_name(connection.settings_dict["NAME"])
                cursor.execute(f"ALTER DATABASE {name} SET synchronous_commit = off")
                cursor.execute("SET synchronous_commit = off")
        _load_trust()


def ensure_trust():
    """The active plan, loading the trust again if a transactional test in this worker has
    flushed it (module-scoped fixtures that open the database themselves call this too)."""
    return Plan.objects.filter(status=PlanStatus.ACTIVE).first() or _load_trust()


@pytest.fixture
def trust(db):
    """The Amethyst organisation, KPI framework and 2023/24 plan, as `make demo` loads them."""
    return ensure_trust()


@pytest.fixture
def graded_kpis(trust):
    """1.9 and 3.1 as the demo framework measured them before report cards: an Ofsted grade
    1–4 (good or better) and safeguarding Yes / No, typed into the return. For the tests of
    the grade and yes/no measures, which a trust's own framework may still use; the demo's
    inspection KPIs have their own tests (tests/kpis/test_inspections.py)."""
    KPI.objects.filter(code="1.9").update(
        measure=Measure.GRADE, inspection_rule="", target_value=2, aggregation="share_meeting"
    )
    KPI.objects.filter(code="3.1").update(
        measure=Measure.YES_NO,
        inspection_rule="",
        direction="higher",
        target_value=1,
        amber_margin=0,
        aggregation=Aggregation.SHARE_MEETING,
    )


@pytest.fixture
def academy_a(trust) -> Academy:
    return Academy.objects.get(slug="aldersley-high-school")


@pytest.fixture
def academy_b(trust) -> Academy:
    return Academy.objects.get(slug="moreton-school")


def _user(username: str, group: str | None, **extra):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    if group:
        user.groups.add(permissions.ensure_role_groups()[group])
    return user


@pytest.fixture
def cast(trust, academy_a, academy_b) -> dict:
    """One user per role. What each may do:"""
    penn = Academy.objects.get(slug="penn-hall-school")
    tettenhall = Academy.objects.get(slug="tettenhall-wood-school")
    people = {
        # trustee: reads every dashboard and the plan; writes nothing.
        "trustee": _user("t-trustee", permissions.TRUSTEE),
        # governor: like a trustee, scoped to academy B (Moreton School) and the trust's figures.
        "governor": _user("t-governor", permissions.GOVERNOR),
        # governor_b: the same, scoped to academy A (Aldersley High School).
        "governor_b": _user("t-governor-b", permissions.GOVERNOR),
        # head_a: enters and submits academy A's returns only.
        "head_a": _user("t-head-a", permissions.HEADTEACHER),
        # head_b: enters and submits academy B's returns only.
        "head_b": _user("t-head-b", permissions.HEADTEACHER),
        # exec_head: heads Penn Hall and Tettenhall Wood.
        "exec_head": _user("t-exec-head", permissions.HEADTEACHER),
        # central: edits the plan and KPI framework, approves returns; does not import.
        "central": _user("t-central", permissions.CENTRAL_TEAM, is_staff=True),
        # admin: everything, including imports and user management.
        "admin": _user("t-admin", permissions.ADMINISTRATOR, is_staff=True, is_superuser=True),
    }
    RoleAssignment.objects.create(
        user=people["governor"], academy=academy_b, role=AcademyRole.GOVERNOR
    )
    RoleAssignment.objects.create(
        user=people["governor_b"], academy=academy_a, role=AcademyRole.GOVERNOR
    )
    RoleAssignment.objects.create(
        user=people["head_a"], academy=academy_a, role=AcademyRole.HEADTEACHER
    )
    RoleAssignment.objects.create(
        user=people["head_b"], academy=academy_b, role=AcademyRole.HEADTEACHER
    )
    for academy in (penn, tettenhall):
        RoleAssignment.objects.create(
            user=people["exec_head"], academy=academy, role=AcademyRole.HEADTEACHER
        )
    return people


@pytest.fixture
def client_for(client, cast):
    """client_for("trustee") → a test client signed in as that member of the cast."""

    def sign_in(role: str):
        client.force_login(cast[role])
        return client

    return sign_in


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser; a missing one fails loudly."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }
