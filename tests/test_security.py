"""Security settings, headers, login throttling and production configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import PASSWORD

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "TRUSTPLAN_PRODUCTION": "1",
    "SECRET_KEY": "k" * 20 + "-production-secret-for-the-deploy-check-" + "z" * 20,
    "ALLOWED_HOSTS": "plan.example.org",
    "DATABASE_URL": "sqlite:////tmp/trustplan-deploy-check.sqlite3",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRUSTPLAN_"))}
    clean.pop("DATABASE_URL", None)
    clean.pop("SECRET_KEY", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "ALLOWED_HOSTS"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_settings_turn_on_cookies_hsts_and_ssl_redirect():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, s.ALLOWED_HOSTS)"
    )
    result = _manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "False True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https') ['plan.example.org']"
    )


def test_argon2_is_the_password_hasher():
    from trustplan import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
    import argon2  # noqa: F401  (the hasher's dependency is installed)


def test_password_validators_refuse_weak_passwords(db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ["short1", "password123", "1234567890123"]:
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("purple-governance-lantern")


def test_sessions_expire():
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


PAGES = ["home", "kpis:matrix", "plans:plan", "my", "login", "healthz"]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_sends_the_security_headers(client_for, name):
    response = client_for("trustee").get(reverse(name))
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'self'" in script_src
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts(client_for):
    import re

    for name in ["home", "kpis:matrix", "plans:plan", "entry:grid", "login"]:
        html = client_for("central").get(reverse(name)).content.decode()
        for script in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in script, f"inline script on {name}: {script}"
        assert " onclick=" not in html and " onload=" not in html


def test_repeated_wrong_passwords_lock_the_username_from_that_address(client, cast):
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": "t-trustee", "password": "wrong"})
        assert response.status_code == 200  # the form says the password is wrong
    response = client.post(url, {"username": "t-trustee", "password": "wrong"})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    # Even the right password is refused while locked…
    response = client.post(url, {"username": "t-trustee", "password": PASSWORD})
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated
    # …but another person at the same address can still sign in.
    response = client.post(url, {"username": "t-governor", "password": PASSWORD})
    assert response.status_code == 302


def test_the_lockout_cools_off_rather_than_lasting_forever():
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_a_successful_login_resets_the_failure_count(client, cast):
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(url, {"username": "t-trustee", "password": "wrong"})
    assert client.post(url, {"username": "t-trustee", "password": PASSWORD}).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": "t-trustee", "password": "wrong"})
        assert response.status_code == 200


def test_openpyxl_parses_xml_safely():
    import openpyxl

    assert openpyxl.DEFUSEDXML is True
