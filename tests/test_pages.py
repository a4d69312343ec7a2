"""Login, the home page, the health check, and login-required on every page of the URLconf."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import PASSWORD

# Pages anyone may open without signing in.
# Single sign-on starts and ends before anyone is signed in (404 while it is not set up).
PUBLIC = {"login", "healthz", "signin:oidc_start", "signin:oidc_callback"}
# Password reset and the invitation's link are for people who cannot sign in yet.
PUBLIC |= {
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "people:accept",
}

# Sample arguments for every named URL that takes some; a new URL with arguments and no entry
# here fails test_every_url_is_covered.
SAMPLE_KWARGS: dict[str, dict] = {
    "kpis:detail": {"code": "2.1"},
    "academies:scorecard": {"slug": "aldersley-high-school"},
    "entry:form": {"academy_slug": "aldersley-high-school", "period_slug": "2023-24-autumn"},
    "entry:approve": {"academy_slug": "aldersley-high-school", "period_slug": "2023-24-autumn"},
    "entry:send_back": {"academy_slug": "aldersley-high-school", "period_slug": "2023-24-autumn"},
    "entry:reopen": {"academy_slug": "aldersley-high-school", "period_slug": "2023-24-autumn"},
    "entry:period_status": {"period_slug": "2023-24-autumn"},
    "entry:inspections": {"academy_slug": "aldersley-high-school"},
    "entry:inspection_delete": {"academy_slug": "aldersley-high-school", "inspection_id": 1},
    "plans:action": {"pk": 1},
    "plans:action_update": {"pk": 1},
    "plans:action_edit": {"pk": 1},
    "plans:action_create": {"objective_id": 1},
    "plans:aim_create": {"objective_id": 1},
    "plans:objective_edit": {"pk": 1},
    "plans:aim_edit": {"pk": 1},
    "plans:objective_create": {"plan_id": 1},
    "plans:plan_status": {"plan_id": 1},
    "plans:delete": {"kind": "action", "pk": 1},
    "plans:move": {"kind": "action", "pk": 1},
    "plans:monitoring": {"code": "board"},
    "packs:detail": {"pk": 1},
    "packs:pdf": {"pk": 1},
    "packs:xlsx": {"pk": 1},
    "plans:monitoring_pdf": {"code": "board"},
    "people:person": {"pk": 1},
    "people:resend": {"pk": 1},
    "people:deactivate": {"pk": 1},
    "people:reactivate": {"pk": 1},
    "people:accept": {"uidb64": "MQ", "token": "set-password"},
    "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
}


def _named_urls(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the admin has its own login; checked separately below
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_urls(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def _url(name: str, pattern: URLPattern) -> str:
    return reverse(name, kwargs=SAMPLE_KWARGS.get(name, {}))


def test_every_url_is_covered():
    for name, pattern in _named_urls():
        if pattern.pattern.regex.groups:
            assert name in SAMPLE_KWARGS, f"add sample arguments for {name} to SAMPLE_KWARGS"


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login_from_every_page(client, trust):
    checked = 0
    for name, pattern in _named_urls():
        if name in PUBLIC:
            continue
        url = _url(name, pattern)
        response = client.get(url)
        assert response.status_code == 302, f"{name} ({url}) answered {response.status_code}"
        assert response["Location"].startswith(reverse("login")), name
        checked += 1
    assert checked >= 3


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login_from_the_admin(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_healthz_answers_ok_without_login_in_one_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):  # SELECT 1
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert client.post(reverse("healthz")).status_code == 405


def test_login_page_shows_demo_accounts_only_when_debug_is_on(client, db, settings):
    settings.DEBUG = True
    assert b"Demo accounts" in client.get(reverse("login")).content
    settings.DEBUG = False
    assert b"Demo accounts" not in client.get(reverse("login")).content


def test_signing_in_leads_to_the_board_overview(client, cast):
    response = client.post(
        reverse("login"), {"username": "t-trustee", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"].username == "t-trustee"


def test_a_wrong_password_is_refused_with_a_message(client, cast):
    response = client.post(reverse("login"), {"username": "t-trustee", "password": "wrong"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()
    assert not response.context["user"].is_authenticated


# Governors see only their academies: tests/board/test_governor_scope.py.
@pytest.mark.parametrize("role", ["trustee", "head_a", "exec_head", "central", "admin"])
def test_every_role_sees_all_five_academies_and_three_objectives_on_home(client_for, role):
    content = client_for(role).get(reverse("home")).content.decode()
    for name in [
        "Aldersley High School",
        "Moreton School",
        "Amethyst Sixth Form",
        "Penn Hall School",
        "Tettenhall Wood School",
    ]:
        assert name in content
    assert "Strategic objective 1:" in content
    assert "Increasing quality of provision in our education system" in content
    assert "Strategic objective 2:" in content
    assert "Developing capacity and productivity" in content
    assert "Strategic objective 3:" in content


def test_home_names_the_trust_and_the_signed_in_users_role(client_for):
    content = client_for("head_a").get(reverse("home")).content.decode()
    assert "Amethyst Academies Trust" in content
    assert "(Headteacher)" in content


def test_only_central_team_and_administrators_see_the_administration_link(client_for):
    assert "Administration" not in client_for("trustee").get(reverse("home")).content.decode()
    assert "Administration" in client_for("central").get(reverse("home")).content.decode()


def test_sign_out_is_a_post(client_for):
    client = client_for("trustee")
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_change_works_and_validates(client_for, cast):
    client = client_for("trustee")
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "purple-governance-lantern",
            "new_password2": "purple-governance-lantern",
        },
    )
    assert response.status_code == 302
    cast["trustee"].refresh_from_db()
    assert cast["trustee"].check_password("purple-governance-lantern")


def test_static_bootstrap_is_served_from_the_package(client, db):
    from django.contrib.staticfiles import finders

    assert finders.find("bootstrap/css/bootstrap.min.css")
    assert finders.find("bootstrap/js/bootstrap.bundle.min.js")
