"""Security and reliability, second round (issue 13): login lockout behind proxies, the
password-change throttle and Cache-Control on signed-in responses."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

from tests.conftest import PASSWORD

# --- Login lockout behind reverse proxies ------------------------------------------------------

PROXY = "10.0.0.1"  # the socket address: the proxy nearest the app
ATTACKER = "203.0.113.9"
VICTIM = "198.51.100.7"


def _chain(client_address: str, proxies: int) -> str:
    """What the proxies append: the client's address, then each inner proxy's but the last."""
    return ", ".join([client_address] + [f"10.0.1.{i}" for i in range(1, proxies)])


def _login(client, password: str, *, forwarded: str | None, username: str = "t-trustee"):
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


@pytest.fixture(params=[1, 2], ids=["1 proxy", "2 proxies"])
def proxies(request, settings):
    settings.TRUSTPLAN_PROXY_COUNT = request.param
    return request.param


def test_axes_takes_the_client_address_from_trustplan():
    from axes.helpers import get_client_ip_address
    from django.test import RequestFactory

    assert settings.AXES_CLIENT_IP_CALLABLE == "core.client_ip.client_ip"
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "TRUSTPLAN_PROXY_COUNT", 1)
        assert get_client_ip_address(request) == "2.2.2.2"


def test_varying_the_left_hand_entries_still_locks_out(client, cast, proxies):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        forwarded = f"192.0.2.{attempt}, 10.9.{attempt}.1, {_chain(ATTACKER, proxies)}"
        assert _login(client, "wrong", forwarded=forwarded).status_code == 200
    response = _login(client, "wrong", forwarded="spoofed, " + _chain(ATTACKER, proxies))
    assert response.status_code == 429
    # Locked: even the right password, with yet another made-up left-hand entry.
    response = _login(client, PASSWORD, forwarded="192.0.2.200, " + _chain(ATTACKER, proxies))
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated
    attempt = AccessAttempt.objects.get(username="t-trustee")
    assert attempt.ip_address == ATTACKER
    assert attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT


# The attacker's own X-Forwarded-For (before the proxies append theirs): nothing, empty,
# garbage. None of it may make the lockout key one that other people share.
ATTACKER_HEADERS = [None, "", " ", "unknown", "not-an-address", ","]


@pytest.mark.parametrize("sent", ATTACKER_HEADERS, ids=repr)
def test_an_attacker_cannot_lock_the_username_out_for_another_address(client, cast, proxies, sent):
    chain = _chain(ATTACKER, proxies)
    forwarded = chain if sent is None else f"{sent}, {chain}"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong", forwarded=forwarded)
    assert _login(client, PASSWORD, forwarded=forwarded).status_code == 429
    # The real user, at another address behind the same proxies, still signs in.
    response = _login(client, PASSWORD, forwarded=_chain(VICTIM, proxies))
    assert response.status_code == 302
    assert response.wsgi_request.user.username == "t-trustee"
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) <= {ATTACKER, VICTIM}


def test_fewer_entries_than_proxies_are_keyed_on_the_socket_address(client, cast, settings):
    settings.TRUSTPLAN_PROXY_COUNT = 2
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong", forwarded=f"192.0.2.{attempt}")
    assert _login(client, PASSWORD, forwarded="192.0.2.99").status_code == 429
    assert AccessAttempt.objects.get(username="t-trustee").ip_address == PROXY


def test_with_no_proxies_forwarded_for_is_ignored(client, cast, settings):
    settings.TRUSTPLAN_PROXY_COUNT = 0
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong", forwarded=f"192.0.2.{attempt}")
    # Locked on the socket address, whatever X-Forwarded-For says…
    assert _login(client, PASSWORD, forwarded=VICTIM).status_code == 429
    assert _login(client, PASSWORD, forwarded=None).status_code == 429
    assert AccessAttempt.objects.get(username="t-trustee").ip_address == PROXY
    # …and another socket address is another key.
    response = client.post(
        reverse("login"), {"username": "t-trustee", "password": PASSWORD}, REMOTE_ADDR=VICTIM
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "1.1.1.1", PROXY),
        (1, "1.1.1.1", "1.1.1.1"),
        (1, "9.9.9.9, 1.1.1.1", "1.1.1.1"),
        (1, "9.9.9.9,1.1.1.1:8443", "1.1.1.1"),
        (1, "9.9.9.9, [2001:db8::1]:443", "2001:db8::1"),
        (1, "9.9.9.9, 2001:DB8:0::1", "2001:db8::1"),
        (2, "9.9.9.9, 1.1.1.1, 10.0.1.1", "1.1.1.1"),
        (2, "1.1.1.1", PROXY),
        (1, "", PROXY),
        (1, "9.9.9.9, garbage", PROXY),
        (1, "9.9.9.9, ", PROXY),
        (3, "a, b, 1.1.1.1, c, d", "1.1.1.1"),
    ],
)
def test_the_client_address_is_the_nth_forwarded_entry_from_the_right(
    settings, count, forwarded, expected
):
    from django.test import RequestFactory

    from core.client_ip import client_ip

    settings.TRUSTPLAN_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# --- Password-change throttle -----------------------------------------------------------------

NEW_PASSWORD = "another-long-password-7"
CHANGE_URLS = ["password_change", "admin:password_change"]


def _change(client, old: str, *, url: str = "password_change"):
    return client.post(
        reverse(url),
        {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def _password_is(user, password: str) -> bool:
    user.refresh_from_db()
    return user.check_password(password)


@pytest.mark.parametrize("url", CHANGE_URLS)
def test_wrong_current_passwords_lock_the_password_change(client_for, cast, url):
    client = client_for("admin" if url.startswith("admin:") else "trustee")
    user = cast["admin" if url.startswith("admin:") else "trustee"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _change(client, "wrong-guess", url=url)
        assert response.status_code == 200
        assert "Your old password was entered incorrectly" in response.content.decode()
    # Now even the right current password is refused, with a clear message…
    response = _change(client, PASSWORD, url=url)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many wrong current passwords" in page
    assert "15 minutes" in page
    assert _password_is(user, PASSWORD)
    # …and recorded where administrators can see it.
    from core.models import PasswordChangeFailure

    assert PasswordChangeFailure.objects.filter(user=user).count() == settings.AXES_FAILURE_LIMIT
    assert {f.ip_address for f in PasswordChangeFailure.objects.filter(user=user)} == {"127.0.0.1"}


def test_a_locked_password_change_does_not_check_the_password(client_for, cast, monkeypatch):
    from django.contrib.auth.models import User

    client = client_for("trustee")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _change(client, "wrong-guess")
    checked = []
    monkeypatch.setattr(User, "check_password", lambda self, raw: checked.append(raw) or True)
    assert _change(client, PASSWORD).status_code == 429
    assert checked == []


def test_the_password_change_lock_holds_across_sessions_and_cools_off(client, cast, settings):
    from datetime import timedelta

    from django.utils import timezone

    from core.models import PasswordChangeFailure

    client.force_login(cast["trustee"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _change(client, "wrong-guess")
    # Another session (another browser, another gunicorn worker) is locked too: the count is in
    # the database, not in a process's memory (tests run with a dummy cache).
    from django.test import Client

    other = Client()
    other.force_login(cast["trustee"])
    assert _change(other, PASSWORD).status_code == 429
    # Other people are not affected.
    other.force_login(cast["governor"])
    assert _change(other, PASSWORD).status_code == 302
    # After the cool-off the right password works again.
    PasswordChangeFailure.objects.filter(user=cast["trustee"]).update(
        attempted_at=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    response = _change(client, PASSWORD)
    assert response.status_code == 302
    assert _password_is(cast["trustee"], NEW_PASSWORD)


def test_a_correct_password_change_resets_the_count(client_for, cast):
    from core.models import PasswordChangeFailure

    client = client_for("trustee")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _change(client, "wrong-guess")
    assert _change(client, PASSWORD).status_code == 302
    assert not PasswordChangeFailure.objects.filter(user=cast["trustee"]).exists()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _change(client, "wrong-guess")
        assert response.status_code == 200
    response = client.post(
        reverse("password_change"),
        {"old_password": NEW_PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 302
    assert _password_is(cast["trustee"], PASSWORD)


def test_administrators_see_password_change_failures_in_the_admin(client_for, cast):
    _change(client_for("trustee"), "wrong-guess")
    client = client_for("admin")
    response = client.get(reverse("admin:core_passwordchangefailure_changelist"))
    assert response.status_code == 200
    assert "t-trustee" in response.content.decode()
    assert (
        client_for("central")
        .get(reverse("admin:core_passwordchangefailure_changelist"))
        .status_code
        == 403
    )


# --- Cache-Control on signed-in responses -------------------------------------------------------


def _no_store(response) -> bool:
    directives = {d.strip().lower() for d in response.get("Cache-Control", "").split(",")}
    return "no-store" in directives and "public" not in directives


# (role, url name, args, query): pages and every export, for several roles.
SIGNED_IN = [
    ("trustee", "home", [], ""),
    ("trustee", "kpis:matrix", [], ""),
    ("trustee", "kpis:export_csv", [], ""),
    ("trustee", "kpis:export_xlsx", [], "?period={period}"),
    ("trustee", "kpis:detail", ["2.1"], ""),
    ("trustee", "plans:plan", [], ""),
    ("trustee", "plans:monitoring_index", [], ""),
    ("trustee", "academies:scorecard", ["moreton-school"], ""),
    ("governor", "academies:scorecard", ["moreton-school"], ""),
    ("governor", "kpis:export_csv", [], "?period=all"),
    ("head_a", "my", [], ""),
    ("head_a", "entry:grid", [], ""),
    ("head_a", "kpis:export_xlsx", [], "?period={period}"),
    ("head_a", "password_change", [], ""),
    ("head_a", "password_change_done", [], ""),
    ("central", "entry:grid", [], ""),
    ("central", "admin:index", [], ""),
    ("central", "kpis:export_csv", [], ""),
    ("admin", "imports:upload", [], ""),
    ("admin", "imports:template", [], ""),
    ("admin", "imports:example", [], ""),
    ("admin", "admin:academies_academy_changelist", [], ""),
    ("admin", "login", [], ""),  # a signed-in user is sent on from the login page
]


@pytest.mark.parametrize(("role", "name", "args", "query"), SIGNED_IN)
def test_signed_in_pages_and_exports_are_never_stored(client_for, role, name, args, query):
    from kpis.models import Period, Term

    period = Period.objects.create(year_start=2023, term=Term.AUTUMN, is_open=True)
    response = client_for(role).get(reverse(name, args=args) + query.format(period=period.slug))
    assert response.status_code in (200, 302), response.status_code
    assert _no_store(response), response.get("Cache-Control")
    assert "private" in response["Cache-Control"]


def test_an_admin_export_download_is_never_stored(client_for, trust):
    response = client_for("admin").post(
        reverse("admin:academies_owner_export"),
        {
            "format": "0",
            "resource": "0",
            "ownerresource_code": "on",
            "ownerresource_name": "on",
            "ownerresource_kind": "on",
        },
    )
    assert response["Content-Type"] == "text/csv"
    assert _no_store(response)


def test_the_sign_in_and_sign_out_pages_are_never_stored(client, cast):
    # They carry CSRF tokens; Django marks them never_cache and that is kept.
    assert _no_store(client.get(reverse("login")))
    client.force_login(cast["trustee"])
    assert _no_store(client.post(reverse("logout")))


def test_static_files_and_the_health_check_keep_their_own_caching(client_for):
    client = client_for("trustee")
    static = client.get("/static/bootstrap/js/bootstrap.bundle.min.js")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
    assert "max-age" in static.get("Cache-Control", "")
    health = client.get(reverse("healthz"))
    assert health["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def _through_middleware(user, header: str | None):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.test import RequestFactory

    from core.middleware import PrivateCacheMiddleware

    def view(request):
        response = HttpResponse("x")
        if header is not None:
            response["Cache-Control"] = header
            response["Expires"] = "Thu, 01 Jan 2099 00:00:00 GMT"
        return response

    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    return PrivateCacheMiddleware(view)(request)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "private, no-store"),
        ("public, max-age=3600", "private, no-store"),
        ("private, max-age=600", "private, no-store"),
        ("max-age=86400, immutable", "private, no-store"),
        ("public, no-store", "private, no-store"),
        ("no-store", "no-store"),
        (
            "max-age=0, no-cache, no-store, must-revalidate, private",
            "max-age=0, no-cache, no-store, must-revalidate, private",
        ),
    ],
)
def test_public_caching_is_replaced_for_signed_in_users_and_stricter_kept(cast, header, expected):
    response = _through_middleware(cast["trustee"], header)
    assert response["Cache-Control"] == expected
    if expected == "private, no-store":
        assert "Expires" not in response
    # An anonymous response keeps whatever its view set.
    anonymous = _through_middleware(None, header)
    assert anonymous.get("Cache-Control") == header
