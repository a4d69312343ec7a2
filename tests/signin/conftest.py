"""A real OpenID Connect provider on loopback (tests/signin/oidc_provider: django-oauth-toolkit
in its own process, its RSA key made here), and helpers that sign in through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from signin import oidc

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "trustplan-test-client"
CLIENT_SECRET = "a-long-client-secret-for-the-test-provider"
PROVIDER_PASSWORD = "provider-password-1"
# The provider's people (username → address, verified by the provider or not).
PEOPLE = {
    "ann": ("Head.A@Example.ORG", True),  # head_a's address in another case
    "cen": ("central@example.org", True),
    "adm": ("admin@example.org", True),
    "stranger": ("stranger@example.org", True),  # nobody in trustplan
    "unverified": ("central@example.org", False),  # central's address, never confirmed
    "leaver": ("leaver@example.org", True),  # a deactivated person in trustplan
    "twin": ("shared@example.org", True),  # two people in trustplan share it
}
TRUSTPLAN_ADDRESSES = {
    "head_a": "head.a@example.org",
    "central": "central@example.org",
    "admin": "admin@example.org",
}


def _pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class Provider:
    def __init__(self, url: str, mode_file: Path) -> None:
        self.url = url
        self.issuer = f"{url}/o"
        self.mode_file = mode_file

    def mode(self, word: str) -> None:
        self.mode_file.write_text(word)


def _start_provider(folder: Path, redirect_uris: list[str]):
    """The provider's process (keys made here), yielding it once it answers discovery."""
    signing, other = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in "ab")
    (folder / "signing.pem").write_bytes(_pem(signing))
    (folder / "other.pem").write_bytes(_pem(other))
    config = {
        "database": str(folder / "provider.sqlite3"),
        "signing_key": str(folder / "signing.pem"),
        "other_key": str(folder / "other.pem"),
        "mode_file": str(folder / "mode"),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": " ".join(f"{base}/accounts/oidc/callback/" for base in redirect_uris),
        "people": [
            {"username": name, "email": email, "verified": verified, "password": PROVIDER_PASSWORD}
            for name, (email, verified) in PEOPLE.items()
        ],
    }
    (folder / "config.json").write_text(json.dumps(config))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    env["OIDC_PROVIDER_CONFIG"] = str(folder / "config.json")
    log = (folder / "provider.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.signin.oidc_provider.serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        port = process.stdout.readline().strip()
        if not port.isdigit():
            process.wait(timeout=10)
            pytest.fail(f"the test provider did not start: {(folder / 'provider.log').read_text()}")
        provider = Provider(f"http://127.0.0.1:{port}", folder / "mode")
        requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=10)
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """The provider for the test client (trustplan at http://testserver)."""
    yield from _start_provider(tmp_path_factory.mktemp("oidc-provider"), ["http://testserver"])


@pytest.fixture(scope="session")
def oidc_provider_live(tmp_path_factory, live_server):
    """The provider for the browser tests (trustplan on the live server)."""
    yield from _start_provider(tmp_path_factory.mktemp("oidc-provider-live"), [live_server.url])


def _set_up(settings, provider: Provider, cast):
    from django.contrib.auth import get_user_model

    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_NAME = "Test Provider"
    oidc.forget_discovery()
    provider.mode("")
    for role, address in TRUSTPLAN_ADDRESSES.items():
        cast[role].email = address
        cast[role].save(update_fields=["email"])
    users = get_user_model().objects
    users.create_user("t-leaver", email="leaver@example.org", is_active=False)
    users.create_user("t-twin-1", email="shared@example.org")
    users.create_user("t-twin-2", email="SHARED@example.org")


@pytest.fixture
def sso(settings, oidc_provider, cast):
    """trustplan set up for the test provider, and the cast given their addresses (plus a
    deactivated leaver and two people sharing one address)."""
    _set_up(settings, oidc_provider, cast)
    yield oidc_provider
    oidc.forget_discovery()
    oidc_provider.mode("")


@pytest.fixture
def sso_live(settings, oidc_provider_live, cast):
    """The same for the browser tests, against the live server."""
    _set_up(settings, oidc_provider_live, cast)
    yield oidc_provider_live
    oidc.forget_discovery()
    oidc_provider_live.mode("")


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def sign_in_at_provider(authorize_url: str, username: str) -> str:
    """A person at the provider, by plain HTTP: its sign-in form, then the authorisation, which
    redirects back to trustplan; returns that redirect (trustplan's callback URL)."""
    session = requests.Session()
    page = session.get(authorize_url, timeout=10)
    assert page.status_code == 200 and "Test identity provider" in page.text, page.text[:500]
    login_url = page.url
    next_url = parse_qs(urlsplit(login_url).query)["next"][0]
    answer = session.post(
        login_url,
        data={
            "username": username,
            "password": PROVIDER_PASSWORD,
            "next": next_url,
            "csrfmiddlewaretoken": session.cookies["provider_csrftoken"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:500]
    back = session.get(authorize_url, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text[:500]
    return back.headers["Location"]
