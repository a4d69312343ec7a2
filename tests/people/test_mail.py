"""Mail through a real SMTP server on loopback: what arrives (envelope, headers, both parts)
and that its links work when followed."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from academies.models import Academy
from kpis.models import Period, Return, ReturnStatus, Term
from people.models import Reminder, ReminderStatus
from tests.conftest import PASSWORD
from tests.people.conftest import path_of

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"


def _headers_are_a_trusts(received, to: str) -> None:
    message = received.message
    assert received.rcpt_tos == [to]
    assert message["To"] == to
    assert message["From"] == "Amethyst Academies Trust <trustplan@trust.example.org>"
    assert received.mail_from == "trustplan@trust.example.org"
    assert message["Subject"].startswith("Amethyst Academies Trust: ")
    assert message.get_content_type() == "multipart/alternative"
    assert message["Message-ID"] and message["Date"]
    assert "Amethyst Academies Trust" in received.text
    assert "Amethyst Academies Trust" in received.html
    assert received.html.lstrip().startswith("<!doctype html>")


def test_password_reset_arrives_with_both_parts_and_its_link_sets_a_new_password(
    client, smtp, with_addresses
):
    head = with_addresses["head_a"]
    response = client.post(reverse("password_reset"), {"email": "T-HEAD-A@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")

    [received] = smtp.received
    _headers_are_a_trusts(received, "t-head-a@example.org")
    assert received.subject == "Amethyst Academies Trust: reset your trustplan password"
    [link, login_link, home] = received.links()
    assert link.startswith("https://plan.trust.example.org/accounts/reset/")
    assert link in received.html_links()  # the HTML part's button is the same link
    assert path_of(login_link) == reverse("login") and path_of(home) == "/"
    assert "t-head-a" in received.text and "2 hours" in received.text

    # Followed: Django moves the token out of the address bar, then shows the form.
    response = client.get(path_of(link))
    assert response.status_code == 302
    form_page = client.get(response["Location"])
    assert form_page.status_code == 200 and form_page.context["validlink"]
    response = client.post(
        response["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response["Location"] == reverse("password_reset_complete")
    head.refresh_from_db()
    assert head.check_password(NEW_PASSWORD)
    # Once only: the same link no longer works.
    client.get(path_of(link), follow=True)
    again = client.get(path_of(link), follow=True)
    assert again.context["validlink"] is False
    assert "This link no longer works" in again.content.decode()


def test_an_invitation_arrives_and_its_link_chooses_a_password_and_signs_in(
    client, smtp, with_addresses, academy_b
):
    client.force_login(with_addresses["central"])
    response = client.post(
        reverse("people:new"),
        {
            "first_name": "Jo",
            "last_name": "O'Neill & Co",
            "email": "Jo.ONeill@example.org",
            "roles": ["Headteacher"],
            "heads": [academy_b.pk],
        },
    )
    assert response.status_code == 302
    [received] = smtp.received
    _headers_are_a_trusts(received, "Jo.ONeill@example.org")
    assert received.subject == "Amethyst Academies Trust: you are invited to trustplan"
    assert "Dear Jo," in received.text
    assert "Your username is jo.oneill@example.org." in received.text
    assert "as Headteacher" in received.text and "7 days" in received.text
    assert "sign in with" not in received.text.lower()  # no single sign-on set up
    [link, *_rest] = received.links()
    assert link in received.html_links()

    client.logout()
    response = client.get(path_of(link))
    form_url = response["Location"]
    page = client.get(form_url)
    assert page.status_code == 200 and page.context["validlink"]
    assert "jo.oneill@example.org" in page.content.decode()
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == reverse("home")
    person = get_user_model().objects.get(username="jo.oneill@example.org")
    assert client.session[SESSION_KEY] == str(person.pk)  # signed in
    assert client.get(reverse("entry:grid")).status_code == 200  # a head of Moreton now
    assert person.invitation.accepted_at is not None
    assert person.check_password(NEW_PASSWORD)
    client.logout()
    again = client.get(path_of(link), follow=True)
    assert again.context["validlink"] is False


def test_the_invitation_offers_single_sign_on_when_it_is_set_up(
    client, smtp, with_addresses, settings
):
    settings.OIDC_ISSUER = "https://login.microsoftonline.com/tenant/v2.0"
    settings.OIDC_NAME = "Microsoft 365"
    client.force_login(with_addresses["admin"])
    client.post(
        reverse("people:new"),
        {"first_name": "Kim", "last_name": "Lee", "email": "kim@example.org", "roles": ["Trustee"]},
    )
    [received] = smtp.received
    assert "Or sign in with Microsoft 365 on the sign-in page" in received.text
    assert "sign in with Microsoft 365</a>" in received.html


def _open_summer(due: datetime.date) -> Period:
    period, _ = Period.objects.update_or_create(
        year_start=2023, term=Term.SUMMER, defaults={"is_open": True, "due_date": due}
    )
    return period


def test_reminders_arrive_and_their_links_open_the_return(client, smtp, with_addresses):
    _open_summer(datetime.date(2024, 7, 17))
    call_command("send_reminders", "--date", "2024-07-20")
    [received] = smtp.to("t-head-a@example.org")
    _headers_are_a_trusts(received, "t-head-a@example.org")
    assert received.subject == "Amethyst Academies Trust: returns overdue"
    assert "Aldersley High School, 2023/24 Summer: was due 17 Jul 2024 (not started)" in (
        received.text
    )
    [link, preferences, _home] = received.links()
    assert link in received.html_links() and preferences in received.html_links()
    client.force_login(with_addresses["head_a"])
    assert client.get(path_of(link)).status_code == 200
    assert client.get(path_of(preferences)).status_code == 200
    # The executive head gets one message for both academies.
    [both] = smtp.to("t-exec-head@example.org")
    assert "returns overdue (2)" in both.subject
    assert "Penn Hall School" in both.text and "Tettenhall Wood School" in both.text


def test_a_refusing_mail_server_loses_nothing_and_the_next_run_sends_it(smtp, with_addresses):
    _open_summer(datetime.date(2024, 7, 17))
    smtp.refuse = True
    with pytest.raises(CommandError, match="could not be sent"):
        call_command("send_reminders", "--date", "2024-07-20")
    failed = Reminder.objects.filter(status=ReminderStatus.FAILED)
    assert failed.count() == Reminder.objects.count() > 0
    assert "451" in failed.first().last_error
    assert smtp.received == []

    smtp.refuse = False
    call_command("send_reminders", "--date", "2024-07-21")  # the next day's run
    assert Reminder.objects.exclude(status=ReminderStatus.SENT).count() == 0
    assert (
        Reminder.objects.filter(attempts=2).count()
        == failed.model.objects.filter(day=datetime.date(2024, 7, 20)).count()
    )
    assert len(smtp.to("t-head-a@example.org")) == 1
    # And nothing twice.
    before = len(smtp.received)
    call_command("send_reminders", "--date", "2024-07-21")
    assert len(smtp.received) == before


def test_a_mail_server_that_is_down_is_retried(smtp, with_addresses, settings):
    _open_summer(datetime.date(2024, 7, 17))
    port = settings.EMAIL_PORT
    from tests.people.conftest import free_port

    settings.EMAIL_PORT = free_port()  # nobody listens there
    with pytest.raises(CommandError):
        call_command("send_reminders", "--date", "2024-07-20")
    assert Reminder.objects.filter(status=ReminderStatus.FAILED).exists()
    assert "Connection refused" in Reminder.objects.first().last_error
    settings.EMAIL_PORT = port
    call_command("send_reminders", "--date", "2024-07-20")
    assert not Reminder.objects.exclude(status=ReminderStatus.SENT).exists()
    assert smtp.to("t-head-a@example.org")


def test_a_return_sent_back_is_told_to_its_head_at_once_with_the_reason(
    client, smtp, with_addresses, django_capture_on_commit_callbacks
):
    period = _open_summer(datetime.date(2024, 7, 17))
    academy = Academy.objects.get(slug="aldersley-high-school")
    ret = Return.objects.create(academy=academy, period=period, status=ReturnStatus.SUBMITTED)
    client.force_login(with_addresses["central"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("entry:send_back", args=[academy.slug, period.slug]),
            {"version": ret.version, "reason": "2.1 attendance: <check> the autumn figure"},
        )
    assert response.status_code == 302
    [received] = smtp.to("t-head-a@example.org")
    assert received.subject == "Amethyst Academies Trust: a return was sent back"
    assert "The reason given: 2.1 attendance: <check> the autumn figure" in received.text
    assert "&lt;check&gt;" in received.html  # escaped in HTML, as typed in text
    [link, *_] = received.links()
    client.force_login(with_addresses["head_a"])
    assert client.get(path_of(link)).status_code == 200
    assert Reminder.objects.get(user=with_addresses["head_a"]).status == ReminderStatus.SENT


def test_a_sent_back_message_the_server_refused_is_sent_by_the_next_run(
    client, smtp, with_addresses, django_capture_on_commit_callbacks
):
    period = _open_summer(datetime.date(2030, 7, 17))  # not due: only the sent-back message
    academy = Academy.objects.get(slug="aldersley-high-school")
    ret = Return.objects.create(academy=academy, period=period, status=ReturnStatus.SUBMITTED)
    client.force_login(with_addresses["central"])
    smtp.refuse = True
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("entry:send_back", args=[academy.slug, period.slug]),
            {"version": ret.version, "reason": "Check 2.1"},
        )
    assert response.status_code == 302  # central team's send-back is never an error page
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.SENT_BACK
    item = Reminder.objects.get(user=with_addresses["head_a"])
    assert item.status == ReminderStatus.FAILED
    smtp.refuse = False
    call_command("send_reminders")
    item.refresh_from_db()
    assert item.status == ReminderStatus.SENT
    assert "Check 2.1" in smtp.to("t-head-a@example.org")[0].text


def test_signing_in_with_the_password_chosen_from_the_reset_link(client, smtp, with_addresses):
    """The whole round: reset, then the sign-in page accepts the new password (not the old)."""
    client.post(reverse("password_reset"), {"email": "t-trustee@example.org"})
    [link, *_] = smtp.received[0].links()
    form_url = client.get(path_of(link))["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    old = client.post(reverse("login"), {"username": "t-trustee", "password": PASSWORD})
    assert old.status_code == 200  # refused
    new = client.post(reverse("login"), {"username": "t-trustee", "password": NEW_PASSWORD})
    assert new.status_code == 302
