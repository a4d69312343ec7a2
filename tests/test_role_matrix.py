"""Every named URL × every role × GET and POST, against an explicit table of what may happen.

The URLs come from the URLconf, so a new URL without a row in EXPECTED fails
test_every_named_url_has_a_row. A URL whose answer depends on the academy it names has one row
per case, "name@case", each with its own arguments in `world`. Each request runs inside a
savepoint that is rolled back, so a delete or a status change in one request cannot change what
the next one sees.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from academies.models import Academy, Owner
from demo.progress import generate_demo_progress
from demo.values import generate_demo_values
from kpis.models import Inspection, Period
from papers.publishing import pack_data, store_pack
from plans.models import Action

FILE_SYSTEM = "django.core.files.storage.FileSystemStorage"

ROLES = [
    "anonymous",
    "trustee",
    "governor",  # of Moreton School
    "governor_b",  # of Aldersley High School
    "head_a",
    "head_b",
    "exec_head",
    "central",
    "admin",
]
SIGNED_IN = ROLES[1:]
CENTRAL = {"central", "admin"}
GOVERNORS_AND_HEADS = ["governor", "governor_b", "head_a", "head_b", "exec_head"]

# Shorthands: what every role gets, with exceptions.
ANON_TO_LOGIN = {"anonymous": 302}


def everyone(code: int, **overrides: int) -> dict[str, int]:
    """Signed-in roles get `code`; anonymous users are sent to log in (302)."""
    return {**{role: code for role in SIGNED_IN}, **ANON_TO_LOGIN, **overrides}


def central_only(code: int, others: int = 403, **overrides: int) -> dict[str, int]:
    table = {role: (code if role in CENTRAL else others) for role in SIGNED_IN}
    return {**table, **ANON_TO_LOGIN, **overrides}


def admin_only(code: int, **overrides: int) -> dict[str, int]:
    return {**{role: 403 for role in SIGNED_IN}, "admin": code, **ANON_TO_LOGIN, **overrides}


# url name → (GET expectations, POST expectations). POSTs carry no data: they prove the
# permission check, and that an empty form is an error rather than a crash.
EXPECTED: dict[str, tuple[dict[str, int], dict[str, int]]] = {
    "home": (everyone(200), everyone(405)),
    "healthz": ({role: 200 for role in ROLES}, {role: 405 for role in ROLES}),
    "login": (everyone(302, anonymous=200), everyone(302, anonymous=200)),
    "logout": (everyone(405), everyone(302)),
    "password_change": (everyone(200), everyone(200)),  # an empty form re-displays its errors
    "password_change_done": (everyone(200), everyone(405)),
    # Single sign-on: not set up here, so a 404 for everyone (tests/signin cover it set up).
    "signin:oidc_start": ({role: 404 for role in ROLES}, {role: 405 for role in ROLES}),
    "signin:oidc_callback": ({role: 404 for role in ROLES}, {role: 405 for role in ROLES}),
    # Two-factor sign-in (not required here; nobody in the cast has an authenticator): anyone
    # may set it up (an empty code: 400); the verify page and the device changes send someone
    # without an authenticator to set-up.
    "signin:two_factor": (everyone(200), everyone(400)),
    "signin:verify": (everyone(302), everyone(302)),
    "signin:recovery_codes": (everyone(200), everyone(405)),
    "signin:new_recovery_codes": (everyone(405), everyone(302)),
    "signin:remove_authenticator": (everyone(405), everyone(302)),
    "my": (everyone(200), everyone(405)),
    # The board: every signed-in role reads it (a governor sees their academies' columns and
    # rows only: tests/board/test_governor_scope.py); it takes no POST.
    "kpis:matrix": (everyone(200), everyone(405)),
    "kpis:export_xlsx": (everyone(200), everyone(405)),
    "kpis:export_csv": (everyone(200), everyone(405)),
    "kpis:pack_pdf": (everyone(200), everyone(405)),  # a governor's has only their academy
    "kpis:detail": (everyone(200), everyone(405)),
    # A scorecard: an academy outside a governor's is a 404, like an unknown one.
    "academies:scorecard@moreton": (everyone(200, governor_b=404), everyone(405)),
    "academies:scorecard@aldersley": (everyone(200, governor=404), everyone(405)),
    "academies:scorecard@penn-hall": (everyone(200, governor=404, governor_b=404), everyone(405)),
    # Returns: heads for their own academies (A = Aldersley), central team for all.
    "entry:grid": (
        everyone(200, trustee=403, governor=403, governor_b=403),
        everyone(405),
    ),
    "entry:form": (
        central_only(200, head_a=200),
        central_only(400, head_a=400),  # an empty form: nothing saved, errors shown
    ),
    "entry:approve": (everyone(405), central_only(302)),  # refused with a message: a draft
    "entry:send_back": (everyone(405), central_only(302)),
    "entry:reopen": (everyone(405), central_only(302)),
    "entry:period_status": (everyone(405), central_only(302)),
    # An academy's Ofsted inspections: read by whoever sees the academy (Moreton's governor
    # does not see Aldersley: 404); recorded and corrected by its head and central team (an
    # empty form: errors shown, 400); deleting one redirects with what happened.
    "entry:inspections": (
        everyone(200, governor=404),
        central_only(400, head_a=400, governor=404),
    ),
    "entry:inspection_delete": (
        everyone(405),
        central_only(302, head_a=302, governor=404),
    ),
    # The plan: everyone reads; central team edit; owners and central post progress.
    "plans:plan": (everyone(200), everyone(405)),
    # An action: trust-wide ones for everyone; one naming academies, for those who see one of
    # them (governors: their own academies), else a 404.
    "plans:action@trust-wide": (everyone(200), everyone(405)),
    "plans:action@moreton-and-tettenhall": (everyone(200, governor_b=404), everyone(405)),
    "plans:action@penn-hall-and-tettenhall": (
        everyone(200, governor=404, governor_b=404),
        everyone(405),
    ),
    "plans:action_update": (everyone(405), central_only(400)),
    "plans:action_edit": (central_only(200), central_only(400)),
    "plans:action_create": (central_only(200), central_only(400)),
    "plans:aim_create": (central_only(200), central_only(400)),
    "plans:objective_edit": (central_only(200), central_only(400)),
    "plans:aim_edit": (central_only(200), central_only(400)),
    "plans:objective_create": (central_only(200), central_only(400)),
    "plans:plan_status": (everyone(405), central_only(302)),
    "plans:delete": (central_only(200), central_only(302)),
    "plans:move": (everyone(405), central_only(404)),  # no direction given
    "plans:monitoring_index": (everyone(200), everyone(405)),
    # A governance paper (page and PDF): ?academy= makes it one academy's LGB paper; an academy
    # outside a governor's is a 404, like an unknown one.
    "plans:monitoring@board": (everyone(200), everyone(405)),
    "plans:monitoring@lgb-moreton": (everyone(200, governor_b=404), everyone(405)),
    "plans:monitoring@lgb-aldersley": (everyone(200, governor=404), everyone(405)),
    "plans:monitoring_pdf@lgb": (everyone(200), everyone(405)),
    "plans:monitoring_pdf@lgb-moreton": (everyone(200, governor_b=404), everyone(405)),
    "plans:monitoring_pdf@lgb-aldersley": (everyone(200, governor=404), everyone(405)),
    # Imports: administrators only, whatever the method.
    "imports:upload": (admin_only(200), admin_only(400)),
    "imports:confirm": (admin_only(405), admin_only(302)),  # nothing waiting: a message
    "imports:cancel": (admin_only(405), admin_only(302)),  # nothing waiting: a message
    "imports:template": (admin_only(200), admin_only(405)),
    "imports:example": (admin_only(200), admin_only(405)),
    "imports:gias_upload": (admin_only(200), admin_only(400)),
    "imports:gias_confirm": (admin_only(405), admin_only(302)),  # nothing waiting: a message
    "imports:gias_cancel": (admin_only(405), admin_only(302)),  # nothing waiting: a message
    "imports:plan_upload": (admin_only(200), admin_only(400)),
    "imports:plan_confirm": (admin_only(405), admin_only(302)),  # nothing waiting: a message
    "imports:plan_cancel": (admin_only(405), admin_only(302)),  # nothing waiting: a message
    # Published packs: trustees, central team and administrators read every one; governors
    # and heads only their academies' bodies' (the cast's: Moreton's governor and head), never
    # the Trust Board's; anything out of scope is a 404. Central team publish.
    "packs:list": (everyone(200), everyone(405)),
    "packs:publish": (central_only(200), central_only(400)),  # an empty form: errors shown
    **{
        f"packs:{name}@{case}": (everyone(200, **out_of_scope), everyone(405))
        for name in ("detail", "pdf", "xlsx")
        for case, out_of_scope in (
            ("trust-wide", dict.fromkeys(GOVERNORS_AND_HEADS, 404)),
            ("moreton", {"governor_b": 404, "head_a": 404, "exec_head": 404}),
        )
    },
    # Password reset (Django's views): open to everyone, signed in or not; an empty form or a
    # link that does not work shows its message (200).
    "password_reset": ({role: 200 for role in ROLES}, {role: 200 for role in ROLES}),
    "password_reset_done": ({role: 200 for role in ROLES}, {role: 405 for role in ROLES}),
    "password_reset_confirm": ({role: 200 for role in ROLES}, {role: 200 for role in ROLES}),
    "password_reset_complete": ({role: 200 for role in ROLES}, {role: 405 for role in ROLES}),
    # People: central team and administrators add, change, invite and deactivate people (an
    # empty form: errors shown, 400); the invitation's link is public (a bad one says so);
    # everyone chooses their own reminders (an empty form turns every kind off: saved, 302).
    "people:list": (central_only(200), everyone(405)),
    "people:new": (central_only(200), central_only(400)),
    "people:person": (central_only(200), central_only(400)),
    "people:resend": (everyone(405), central_only(302)),
    "people:deactivate": (everyone(405), central_only(302)),
    "people:reactivate": (everyone(405), central_only(302)),
    "people:accept": ({role: 200 for role in ROLES}, {role: 200 for role in ROLES}),
    "people:preferences": (everyone(200), everyone(302)),
    # The Django admin: staff only; others are sent to its own login.
    "admin:index": (
        {**everyone(302), "central": 200, "admin": 200},
        {**everyone(302), "central": 200, "admin": 200},
    ),
}


@pytest.fixture
def world(trust, cast, settings, tmp_path):
    """Demo values and progress; the objects the URLs' arguments name."""
    generate_demo_values()
    generate_demo_progress(plan=trust, author=cast["central"])
    nli_action = Action.objects.filter(responsible__code="NLI", objective__plan=trust).first()
    assert not nli_action.academies.exists()  # a trust-wide action
    Owner.objects.filter(code="NLI").update(user=cast["central"])
    objective = trust.objectives.get(number=1)
    # Two published packs, their files in a temporary folder: the Trust Board's, Moreton's LGB's.
    settings.STORAGES = {
        **settings.STORAGES,
        "packs": {"BACKEND": FILE_SYSTEM, "OPTIONS": {"location": str(tmp_path)}},
    }
    moreton = Academy.objects.get(slug="moreton-school")
    packs = {
        "trust-wide": _published_pack(cast["central"], "Trust Board, 9 July 2024", set()),
        "moreton": _published_pack(cast["central"], "Moreton School LGB", {moreton.pk}),
    }
    return {
        **{
            f"packs:{name}@{case}": {"pk": pack.pk}
            for name in ("detail", "pdf", "xlsx")
            for case, pack in packs.items()
        },
        "kpis:detail": {"code": "2.1"},
        "academies:scorecard@moreton": {"slug": "moreton-school"},
        "academies:scorecard@aldersley": {"slug": "aldersley-high-school"},
        "academies:scorecard@penn-hall": {"slug": "penn-hall-school"},
        "entry:form": {"academy_slug": "aldersley-high-school", "period_slug": "2023-24-summer"},
        "entry:approve": {"academy_slug": "aldersley-high-school", "period_slug": "2023-24-summer"},
        "entry:send_back": {
            "academy_slug": "aldersley-high-school",
            "period_slug": "2023-24-summer",
        },
        "entry:reopen": {"academy_slug": "aldersley-high-school", "period_slug": "2023-24-summer"},
        "entry:period_status": {"period_slug": "2023-24-summer"},
        "entry:inspections": {"academy_slug": "aldersley-high-school"},
        "entry:inspection_delete": {
            "academy_slug": "aldersley-high-school",
            "inspection_id": Inspection.objects.filter(academy__slug="aldersley-high-school")
            .earliest("date")
            .pk,
        },
        "plans:action@trust-wide": {"pk": nli_action.pk},
        "plans:action@moreton-and-tettenhall": {"pk": _action_naming(trust, {"MS", "TWS"})},
        "plans:action@penn-hall-and-tettenhall": {"pk": _action_naming(trust, {"PH", "TWS"})},
        "plans:action_update": {"pk": nli_action.pk},
        "plans:action_edit": {"pk": nli_action.pk},
        "plans:action_create": {"objective_id": objective.pk},
        "plans:aim_create": {"objective_id": objective.pk},
        "plans:objective_edit": {"pk": objective.pk},
        "plans:aim_edit": {"pk": objective.aims.first().pk},
        "plans:objective_create": {"plan_id": trust.pk},
        "plans:plan_status": {"plan_id": trust.pk},
        "plans:delete": {"kind": "action", "pk": nli_action.pk},
        "plans:move": {"kind": "action", "pk": nli_action.pk},
        "people:person": {"pk": cast["head_b"].pk},
        "people:resend": {"pk": cast["head_b"].pk},
        "people:deactivate": {"pk": cast["head_b"].pk},
        "people:reactivate": {"pk": cast["head_b"].pk},
        "people:accept": {"uidb64": "MQ", "token": "no-token"},
        "password_reset_confirm": {"uidb64": "MQ", "token": "no-token"},
        "plans:monitoring@board": {"code": "board"},
        "plans:monitoring@lgb-moreton": {"code": "lgb", "?": "academy=moreton-school"},
        "plans:monitoring@lgb-aldersley": {"code": "lgb", "?": "academy=aldersley-high-school"},
        "plans:monitoring_pdf@lgb": {"code": "lgb"},
        "plans:monitoring_pdf@lgb-moreton": {"code": "lgb", "?": "academy=moreton-school"},
        "plans:monitoring_pdf@lgb-aldersley": {"code": "lgb", "?": "academy=aldersley-high-school"},
    }


def _published_pack(user, meeting: str, academy_ids: set[int]):
    """A pack stored as publishing stores it, with stand-in files (no PDF to make)."""
    period = Period.objects.get(slug="2023-24-summer")
    scope = academy_ids or None
    return store_pack(
        meeting=meeting,
        meeting_date=datetime.date(2024, 7, 9),
        period=period,
        academy_ids=scope,
        user=user,
        pdf=b"%PDF-1.7 stand-in",
        xlsx=b"PK stand-in",
        data=pack_data(period, scope),
    )


def _action_naming(plan, short_names: set[str]) -> int:
    """The seed's action whose academies in scope are exactly these."""
    for action in Action.objects.filter(objective__plan=plan).prefetch_related("academies"):
        if {academy.short_name for academy in action.academies.all()} == short_names:
            return action.pk
    raise AssertionError(f"the seed has no action naming exactly {short_names}")


def _url(name: str, row: str, world: dict) -> str:
    """A row's URL: its arguments from `world`, and its query string (the "?" key) if any."""
    kwargs = dict(world.get(row, {}))
    query = kwargs.pop("?", "")
    return reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")


def _named_urls(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace == "admin":
                yield "admin:index", None  # the admin's own pages are Django's
                continue
            yield from _named_urls(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def _cases():
    """(row, url name) for every row of EXPECTED: a URL's own row, or each of its cases."""
    for name, _pattern in _named_urls():
        rows = [row for row in EXPECTED if row == name or row.startswith(f"{name}@")]
        yield from ((row, name) for row in rows)


def test_every_named_url_has_a_row():
    names = {name for name, _ in _named_urls()}
    rows = {row.split("@")[0] for row in EXPECTED}
    assert names - rows == set(), "add the new URLs to EXPECTED"
    assert rows - names == set(), "EXPECTED names URLs that no longer exist"
    for name in names:  # a URL has either one row or only cases, never both
        assert not (name in EXPECTED and any(row.startswith(f"{name}@") for row in EXPECTED))


def test_every_role_gets_exactly_what_the_table_says(client, cast, world):
    unexpected = []
    checked = 0
    for row, name in _cases():
        url = _url(name, row, world)
        get_codes, post_codes = EXPECTED[row]
        for role in ROLES:
            client.logout()
            if role != "anonymous":
                client.force_login(cast[role])
            for method, codes in (("get", get_codes), ("post", post_codes)):
                with transaction.atomic():
                    response = getattr(client, method)(url)
                    transaction.set_rollback(True)
                checked += 1
                if response.status_code != codes[role]:
                    unexpected.append(
                        f"{method.upper()} {url} as {role}: {response.status_code}, "
                        f"expected {codes[role]}"
                    )
    assert unexpected == [], "\n".join(unexpected)
    assert checked == len(EXPECTED) * len(ROLES) * 2


def test_no_role_ever_gets_a_server_error(client, cast, world):
    """The same sweep with junk in every POST: never a 500."""
    junk = {
        "version": "x" * 10_000,
        "status": "🙂",
        "number": "-1",
        "title": "=cmd|' /C calc'!A0",
        "direction": "sideways",
        "open": "maybe",
        "token": "../../etc/passwd",
        "reason": "\x00",
    }
    for row, name in _cases():
        url = _url(name, row, world)
        for role in ("head_a", "central", "admin"):
            client.force_login(cast[role])
            with transaction.atomic():
                response = client.post(url, junk)
                transaction.set_rollback(True)
            assert response.status_code < 500, f"POST {url} as {role}: {response.status_code}"
