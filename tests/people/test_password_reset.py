"""Password reset: the same answer whether or not the address is anyone's, throttled like
sign-in (per address and per e-mail address), links that expire and work once."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from people.models import PasswordResetRequest

pytestmark = pytest.mark.django_db

RESET = "/accounts/password_reset/"


@pytest.fixture
def head(cast):
    user = cast["head_a"]
    user.email = "priya@example.org"
    user.save()
    return user


def test_the_sign_in_page_links_password_reset(client, db):
    assert RESET == reverse("password_reset")
    assert f'href="{RESET}"' in client.get(reverse("login")).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, head):
    known = client.post(RESET, {"email": "priya@example.org"}, follow=True)
    assert len(mail.outbox) == 1
    unknown = client.post(RESET, {"email": "nobody@example.org"}, follow=True)
    assert len(mail.outbox) == 1  # nothing sent
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert known.content == unknown.content


def test_a_deactivated_person_gets_no_link(client, head):
    head.is_active = False
    head.save()
    response = client.post(RESET, {"email": "priya@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_the_reset_form_is_throttled_per_computer_whatever_the_address(client, head, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        assert client.post(RESET, {"email": f"someone{n}@example.org"}).status_code == 302
    response = client.post(RESET, {"email": "priya@example.org"})
    assert response.status_code == 429
    assert "Too many password reset requests" in response.content.decode()
    assert mail.outbox == []  # the real address got nothing once throttled
    assert PasswordResetRequest.objects.count() == 3


def test_the_reset_form_is_throttled_per_address_from_any_computer(client, head, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        response = client.post(
            RESET, {"email": "PRIYA@example.org"}, REMOTE_ADDR=f"192.0.2.{n + 1}"
        )
        assert response.status_code == 302
    assert len(mail.outbox) == 3
    response = client.post(RESET, {"email": "priya@example.org"}, REMOTE_ADDR="192.0.2.99")
    assert response.status_code == 429
    assert len(mail.outbox) == 3
    # Another address from that computer is not held up.
    assert (
        client.post(RESET, {"email": "x@example.org"}, REMOTE_ADDR="192.0.2.99").status_code == 302
    )


def test_the_throttle_lifts_after_the_cool_off(client, head, settings):
    settings.AXES_FAILURE_LIMIT = 1
    assert client.post(RESET, {"email": "priya@example.org"}).status_code == 302
    assert client.post(RESET, {"email": "priya@example.org"}).status_code == 429
    PasswordResetRequest.objects.update(
        requested_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    assert client.post(RESET, {"email": "priya@example.org"}).status_code == 302


def _link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(user)])


def test_a_reset_link_expires(client, head, settings, monkeypatch):
    link = _link(head)
    later = datetime.datetime.now() + datetime.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 5
    )
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    page = client.get(link, follow=True)
    assert page.context["validlink"] is False


def test_a_reset_link_works_within_its_time(client, head, settings, monkeypatch):
    link = _link(head)
    later = datetime.datetime.now() + datetime.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT - 60
    )
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    page = client.get(link, follow=True)
    assert page.context["validlink"] is True


def test_reset_links_last_two_hours_by_default(settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 2 * 60 * 60


def test_a_reset_ends_the_persons_other_sessions(client, head):
    from django.test import Client

    elsewhere = Client()
    elsewhere.force_login(head)
    assert elsewhere.get("/").status_code == 200
    form_url = client.get(_link(head))["Location"]
    client.post(
        form_url, {"new_password1": "new-passphrase-123", "new_password2": "new-passphrase-123"}
    )
    assert elsewhere.get("/").status_code == 302  # signed out: the password changed


def test_a_person_locked_out_of_sign_in_may_sign_in_after_a_reset(client, head, settings):
    from axes.models import AccessAttempt
    from django.test import Client

    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(3):
        client.post(reverse("login"), {"username": head.username, "password": "wrong"})
    assert AccessAttempt.objects.filter(username=head.username).exists()
    locked = client.post(reverse("login"), {"username": head.username, "password": "wrong"})
    assert locked.status_code == 429  # django-axes' lockout
    form_url = client.get(_link(head))["Location"]
    new = "new-passphrase-123"
    client.post(form_url, {"new_password1": new, "new_password2": new})
    assert not AccessAttempt.objects.filter(username=head.username).exists()
    response = Client().post(reverse("login"), {"username": head.username, "password": new})
    assert response.status_code == 302


def test_while_locked_out_of_sign_in_the_reset_form_still_answers_the_same(client, head, settings):
    """The lockout does not tell anyone which addresses exist: the reset form answers as
    always (its own throttle aside)."""
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(3):
        client.post(reverse("login"), {"username": head.username, "password": "wrong"})
    response = client.post(RESET, {"email": "priya@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
