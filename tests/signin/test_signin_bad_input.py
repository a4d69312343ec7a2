"""The bad-input corpus of the sign-in forms: the second-factor code (verify and set-up pages)
and single sign-on's callback. Each case gets a message, never a traceback; nobody gets
further than they were; a code of the wrong shape never counts against the lockout."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.signin.test_two_factor import SETUP, VERIFY, sign_in

# (typed, what the form says): malformed codes, refused by their shape before any device is
# asked.
MALFORMED_CODES = [
    ("", "Enter the code from your authenticator app."),
    ("   ", "Enter the code from your authenticator app."),
    ("12345", "six digits"),
    ("1234567", "six digits"),
    ("abcdef", "six digits"),
    ("１２３４５６", "six digits"),  # full-width digits
    ("٣٣٣٣٣٣", "six digits"),  # Arabic-Indic digits
    ("¹²³⁴⁵⁶", "six digits"),
    ("x" * 10_000, "at most 32 characters"),
    ("🙂" * 6, "six digits"),
    ("' OR '1'='1", "six digits"),
    ("<script>alert(1)</script>", "six digits"),
    ("0x1234", "six digits"),
    ("-12345", "six digits"),
    ("+12345", "six digits"),
    ("1e5", "six digits"),
    ("12345.6", "six digits"),
    ("abcdefg1", "six digits"),  # 1 is not in a recovery code's alphabet
    ("abcdefghi", "six digits"),
    ("\u200b123456", "six digits"),  # a zero-width space in front
    ("١٢٣٤٥٦", "six digits"),
]
# Codes of the right shape that are simply wrong: refused, and counted as a failed sign-in.
WRONG_CODES = ["000000", "123 456", "12-34-56", "ABCDEFGH", "abcd efgh", "999999\n"]


@pytest.fixture
def owing(client, cast, settings):
    """t-central signed in with the password, an authenticator set up, no code given yet."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    TOTPDevice.objects.create(user=cast["central"], name="Authenticator app", confirmed=True)
    sign_in(client, "t-central")
    assert client.get("/")["Location"].startswith(VERIFY)
    return client


def _still_owing(client) -> bool:
    return client.get("/")["Location"].startswith(VERIFY)


@pytest.mark.parametrize("typed, words", MALFORMED_CODES)
def test_a_malformed_code_on_the_verify_page_is_refused_by_its_shape(owing, typed, words):
    response = owing.post(VERIFY, {"otp_token": typed})
    assert response.status_code == 400
    assert words in response.content.decode()
    assert _still_owing(owing)
    assert not AccessAttempt.objects.exists()  # not a guess: never counted


@pytest.mark.parametrize("typed", WRONG_CODES)
def test_a_wrong_code_of_the_right_shape_is_refused_and_counted(owing, typed):
    response = owing.post(VERIFY, {"otp_token": typed})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert _still_owing(owing)
    assert AccessAttempt.objects.get(username="t-central").failures_since_start == 1


@pytest.mark.parametrize(
    "data",
    [{}, {"token": "123456"}, {"otp_token": ["123456", "654321"]}, {"next": "//evil.example/"}],
)
def test_a_tampered_verify_form_is_refused(owing, data):
    response = owing.post(VERIFY, data)
    assert response.status_code == 400
    assert _still_owing(owing)


def test_a_next_address_elsewhere_is_never_followed(owing, cast):
    from tests.signin.test_two_factor import code_for

    device = TOTPDevice.objects.get(user=cast["central"])
    response = owing.post(VERIFY, {"otp_token": code_for(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize("typed, words", MALFORMED_CODES + [("abcdefgh", "six digits")])
def test_a_malformed_code_on_the_setup_page_leaves_two_factor_off(
    client, cast, settings, typed, words
):
    settings.TRUSTPLAN_REQUIRE_2FA = True
    sign_in(client, "t-admin")
    client.get(SETUP)
    response = client.post(SETUP, {"otp_token": typed})
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast["admin"], confirmed=True).exists()


# Single sign-on's callback, set up against the real test provider (tests/signin/conftest.py).
CALLBACK_QUERIES = [
    ({}, "does not belong to a sign-in started here"),
    ({"code": "abc"}, "does not belong to a sign-in started here"),
    ({"state": "x" * 10_000, "code": "abc"}, "does not belong to a sign-in started here"),
    ({"state": "🙂", "code": "🙂"}, "does not belong to a sign-in started here"),
    ({"error": "access_denied"}, "did not sign you in: access_denied"),
    ({"error": "x", "error_description": "y" * 10_000}, "did not sign you in: " + "y" * 300),
    ({"state": ["a", "b"], "code": "c"}, "does not belong to a sign-in started here"),
    ({"state": "<script>", "code": "'; DROP TABLE auth_user; --"}, "does not belong"),
]


@pytest.mark.parametrize("query, words", CALLBACK_QUERIES)
def test_a_malformed_callback_is_refused_with_a_message(client, sso, query, words):
    client.get("/accounts/oidc/start/")  # a sign-in under way: its state is not these
    response = client.get("/accounts/oidc/callback/", query)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    messages = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert words in messages
    assert "y" * 301 not in messages
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("code", ["", "not-a-code", "x" * 5_000, "🙂", "' OR '1'='1"])
def test_a_made_up_code_with_the_right_state_is_refused_by_the_provider(client, sso, code):
    state = parse_qs(urlsplit(client.get("/accounts/oidc/start/")["Location"]).query)["state"][0]
    response = client.get("/accounts/oidc/callback/", {"state": state, "code": code})
    assert response["Location"] == "/accounts/login/"
    messages = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "sent no sign-in code" in messages or "refused to complete the sign-in" in messages
    assert SESSION_KEY not in client.session


def test_the_corpus_is_large_enough():
    total = 2 * len(MALFORMED_CODES) + len(WRONG_CODES) + 4 + len(CALLBACK_QUERIES) + 5
    assert total >= 60, total
