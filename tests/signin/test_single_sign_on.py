"""Single sign-on against a real OpenID Connect provider on loopback (tests/signin/conftest.py):
the person's side of the provider is driven by plain HTTP, trustplan's by the test client; the
code exchange, the JWKS, the ID token and userinfo are the provider's own, never mocked."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.urls import reverse

from signin import oidc
from tests.signin.conftest import CLIENT_ID, sign_in_at_provider, with_query

START = "/accounts/oidc/start/"


def _start(client, next_url: str = "") -> str:
    response = client.get(START + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    return response["Location"]


def _callback(client, location: str):
    parts = urlsplit(location)
    assert parts.path == "/accounts/oidc/callback/", location
    return client.get(f"{parts.path}?{parts.query}")


def _signed_in_as(client):
    return client.session.get(SESSION_KEY)


def _message(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_the_sign_in_page_offers_the_provider_only_when_configured(client, settings, sso):
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with Test Provider" in page
    assert 'href="/accounts/oidc/start/"' in page
    settings.OIDC_ISSUER = ""
    assert "Sign in with" not in client.get(reverse("login")).content.decode()
    assert client.get(START).status_code == 404


def test_the_redirect_carries_state_nonce_and_pkce_to_the_discovered_endpoint(client, sso):
    location = _start(client)
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{sso.issuer}/authorize/"
    query = parse_qs(parts.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["openid email profile"]
    assert query["redirect_uri"] == ["http://testserver/accounts/oidc/callback/"]
    assert query["code_challenge_method"] == ["S256"]
    state = query["state"][0]
    assert client.session["oidc_states"][state]["nonce"] == query["nonce"][0]


def test_a_verified_address_signs_in_its_person_whatever_the_case(client, sso, cast):
    location = sign_in_at_provider(_start(client, "/plan/"), "ann")
    response = _callback(client, location)
    assert response.status_code == 302 and response["Location"] == "/plan/"
    assert _signed_in_as(client) == str(cast["head_a"].pk)
    assert client.get("/plan/").status_code == 200


@pytest.mark.parametrize(
    "username, words",
    [
        ("stranger", "No active person in trustplan has the address stranger@example.org"),
        ("unverified", "does not say that central@example.org is verified"),
        ("leaver", "No active person in trustplan has the address leaver@example.org"),
        ("twin", "More than one person in trustplan has the address shared@example.org"),
    ],
)
def test_an_address_without_one_active_verified_person_is_refused_by_name(
    client, sso, username, words
):
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.count()
    response = _callback(client, sign_in_at_provider(_start(client), username))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert _signed_in_as(client) is None
    assert words in _message(response)
    assert get_user_model().objects.count() == people  # nobody created
    page = client.get(reverse("login"))
    assert page.status_code == 200


def test_a_nonce_changed_on_the_way_is_refused(client, sso):
    tampered = with_query(_start(client), nonce="not-the-nonce-trustplan-sent")
    response = _callback(client, sign_in_at_provider(tampered, "ann"))
    assert _signed_in_as(client) is None
    assert "did not check out (JWT Nonce verification failed.)" in _message(response)


def test_an_id_token_whose_signature_does_not_match_the_published_key_is_refused(client, sso):
    sso.mode("wrong-key")
    response = _callback(client, sign_in_at_provider(_start(client), "ann"))
    assert _signed_in_as(client) is None
    assert "did not check out" in _message(response)
    assert "JWS token verification failed" in _message(response)


def test_an_answer_is_used_once(client, sso, cast):
    location = sign_in_at_provider(_start(client), "ann")
    assert _callback(client, location)["Location"] == "/"
    client.logout()
    response = _callback(client, location)
    assert _signed_in_as(client) is None
    assert "does not belong to a sign-in started here" in _message(response)


def test_an_answer_for_another_browser_is_refused(client, sso):
    location = sign_in_at_provider(_start(client), "ann")
    client.cookies.clear()  # another browser: the state is not in its session
    response = _callback(client, location)
    assert _signed_in_as(client) is None
    assert "does not belong to a sign-in started here" in _message(response)


def test_a_refusal_at_the_provider_is_said(client, sso):
    state = parse_qs(urlsplit(_start(client)).query)["state"][0]
    response = client.get(
        "/accounts/oidc/callback/",
        {"state": state, "error": "access_denied", "error_description": "The user said no"},
    )
    assert "Test Provider did not sign you in: The user said no" in _message(response)
    assert state not in client.session["oidc_states"]


def test_a_provider_naming_another_issuer_is_refused_before_the_redirect(client, settings, sso):
    settings.OIDC_ISSUER = sso.issuer + "/"
    response = client.get(START)
    assert response["Location"] == reverse("login")
    assert "names itself" in _message(response) and "not the OIDC_ISSUER" in _message(response)


def test_an_unreachable_provider_is_said_and_password_sign_in_still_works(
    client, settings, sso, cast
):
    from tests.conftest import PASSWORD

    settings.OIDC_ISSUER = "http://127.0.0.1:9/o"  # the discard port: nothing listens
    response = client.get(START)
    assert response["Location"] == reverse("login")
    assert "cannot be reached just now" in _message(response)
    response = client.post(reverse("login"), {"username": "t-head-a", "password": PASSWORD})
    assert response.status_code == 302 and _signed_in_as(client) == str(cast["head_a"].pk)


def test_discovery_is_fetched_once_and_kept(sso):
    first = oidc.discover()
    assert first.document["token_endpoint"] == f"{sso.issuer}/token/"
    assert oidc.discover() is first
    oidc.forget_discovery()
    assert oidc.discover() is not first


def test_a_deactivated_persons_single_sign_on_session_ends_at_once(client, sso, cast):
    _callback(client, sign_in_at_provider(_start(client), "ann"))
    assert client.get("/plan/").status_code == 200
    cast["head_a"].is_active = False
    cast["head_a"].save(update_fields=["is_active"])
    assert client.get("/plan/").status_code == 302  # back to sign in


@pytest.mark.parametrize(
    "claims, verified",
    [
        ({"email_verified": True}, True),
        ({"email_verified": "true"}, True),
        ({"email_verified": False}, False),
        ({"email_verified": "false", "xms_edov": True}, False),  # the provider's own word wins
        ({"xms_edov": True}, True),  # Entra ID: the address's domain is the tenant's
        ({"xms_edov": "1"}, False),
        ({}, False),
    ],
)
def test_which_claims_make_an_address_verified(claims, verified):
    assert oidc.email_is_verified(claims) is verified


@pytest.mark.parametrize(
    "amr, asserted",
    [(["pwd", "mfa"], True), ("mfa", True), (["pwd"], False), (None, False), ({"mfa": 1}, False)],
)
def test_which_amr_claims_say_multi_factor(amr, asserted):
    assert oidc.mfa_asserted({"amr": amr}) is asserted


def test_single_sign_on_is_the_first_factor_only(client, settings, sso, cast):
    """An administrator signing in by single sign-on still sets up (then gives) a code: the
    provider's ID token says nothing trustplan can check about its own second factor."""
    settings.TRUSTPLAN_REQUIRE_2FA = True
    _callback(client, sign_in_at_provider(_start(client, "/admin/"), "adm"))
    assert _signed_in_as(client) == str(cast["admin"].pk)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/?next=")
