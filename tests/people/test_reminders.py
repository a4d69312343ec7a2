"""Reminders (people.reminders, send_reminders): who is told what and when, once per person,
subject and day; each person's preferences; the weekly digest."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from academies.models import Academy, Owner
from kpis.models import Period, Return, ReturnStatus, Term
from people import reminders
from people.models import Reminder, ReminderKind, ReminderPreference
from plans.models import Action, ActionStatus, ProgressUpdate

pytestmark = pytest.mark.django_db

DUE = datetime.date(2024, 7, 17)  # a Wednesday


@pytest.fixture
def people(cast):
    for user in cast.values():
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    return cast


@pytest.fixture
def summer(trust):
    period, _ = Period.objects.update_or_create(
        year_start=2023, term=Term.SUMMER, defaults={"is_open": True, "due_date": DUE}
    )
    # Only this period's returns are asked for.
    Period.objects.exclude(pk=period.pk).update(is_open=False)
    Action.objects.update(due_date=datetime.date(2030, 1, 1))  # no action due in these tests
    return period


def _kinds(user, day) -> list[tuple[str, str]]:
    return sorted(Reminder.objects.filter(user=user, day=day).values_list("kind", "subject"))


def test_heads_are_reminded_days_before_the_deadline_for_returns_not_submitted(people, summer):
    aldersley = Academy.objects.get(slug="aldersley-high-school")
    Return.objects.create(academy=aldersley, period=summer, status=ReturnStatus.SUBMITTED)
    day = DUE - datetime.timedelta(days=7)
    counts = reminders.run(day)
    # Aldersley's return is in: its head hears nothing. Moreton's head is told.
    assert _kinds(people["head_a"], day) == []
    assert _kinds(people["head_b"], day) == [
        (ReminderKind.RETURN_DUE, "return:moreton-school:2023-24-summer:2024-07-17")
    ]
    [message] = [m for m in mail.outbox if m.to == ["t-head-b@example.org"]]
    assert message.subject == "Amethyst Academies Trust: returns due soon"
    assert "Moreton School, 2023/24 Summer: is due 17 Jul 2024 (not started)" in message.body
    assert "/entry/moreton-school/2023-24-summer/" in message.body
    assert counts.sent == counts.recorded > 0


def test_nothing_is_due_before_the_window(people, summer):
    counts = reminders.run(DUE - datetime.timedelta(days=8))
    assert counts.recorded == 0 and mail.outbox == []


def test_a_second_run_the_same_day_sends_nothing_new(people, summer):
    day = DUE + datetime.timedelta(days=1)
    first = reminders.run(day)
    sent = len(mail.outbox)
    second = reminders.run(day)
    assert first.recorded > 0 and second.recorded == 0 and second.sent == 0
    assert len(mail.outbox) == sent


def test_overdue_returns_are_reminded_again_a_week_later_not_daily(people, summer):
    first = DUE + datetime.timedelta(days=1)
    reminders.run(first)
    for n in range(1, 7):
        reminders.run(first + datetime.timedelta(days=n))
    assert Reminder.objects.filter(user=people["head_b"]).count() == 1
    reminders.run(first + datetime.timedelta(days=7))
    assert (
        list(Reminder.objects.filter(user=people["head_b"]).values_list("kind", flat=True))
        == [ReminderKind.RETURN_OVERDUE] * 2
    )


def test_a_closed_period_or_a_submitted_return_asks_nothing(people, summer):
    summer.is_open = False
    summer.save()
    assert reminders.run(DUE + datetime.timedelta(days=1)).recorded == 0


def test_central_team_hear_of_returns_waiting_for_approval(people, summer):
    moreton = Academy.objects.get(slug="moreton-school")
    Return.objects.create(
        academy=moreton,
        period=summer,
        status=ReturnStatus.SUBMITTED,
        submitted_by=people["head_b"],
    )
    day = DUE - datetime.timedelta(days=30)  # no head reminder yet
    reminders.run(day)
    assert _kinds(people["central"], day) == [
        (ReminderKind.AWAITING_APPROVAL, "approval:moreton-school:2023-24-summer:1")
    ]
    assert _kinds(people["trustee"], day) == []
    [message] = mail.outbox
    assert message.to == ["t-central@example.org"]
    assert "Returns waiting for your approval" in message.body
    assert "Moreton School, 2023/24 Summer: submitted by t-head-b" in message.body


def test_action_owners_with_an_account_hear_of_actions_due_and_overdue(people, summer, trust):
    owner = Owner.objects.get(code="NLI")
    owner.user = people["central"]
    owner.save()
    due_soon, overdue, done = Action.objects.filter(responsible=owner, objective__plan=trust)[:3]
    day = datetime.date(2024, 3, 1)
    Action.objects.filter(pk=due_soon.pk).update(due_date=day + datetime.timedelta(days=3))
    Action.objects.filter(pk__in=[overdue.pk, done.pk]).update(
        due_date=day - datetime.timedelta(days=3)
    )
    ProgressUpdate.objects.create(
        action=done, date=day - datetime.timedelta(days=5), status=ActionStatus.COMPLETE
    )
    reminders.run(day)
    assert _kinds(people["central"], day) == [
        (ReminderKind.ACTION_DUE, f"action:{due_soon.pk}:2024-03-04"),
        (ReminderKind.ACTION_OVERDUE, f"action:{overdue.pk}:2024-02-27"),
    ]
    bodies = "\n".join(m.body for m in mail.outbox)
    assert "Your plan actions due soon" in bodies and "Your plan actions overdue" in bodies
    assert reverse("plans:action", args=[overdue.pk]) in bodies


def test_a_person_can_turn_a_kind_off(client, people, summer):
    client.force_login(people["head_b"])
    response = client.post(reverse("people:preferences"), {"approvals": "on", "actions": "on"})
    assert response.status_code == 302
    preference = ReminderPreference.objects.get(user=people["head_b"])
    assert not preference.returns and not preference.sent_back and preference.approvals
    reminders.run(DUE + datetime.timedelta(days=1))
    assert not Reminder.objects.filter(user=people["head_b"]).exists()
    assert Reminder.objects.filter(user=people["head_a"]).exists()  # others still are told


def test_the_weekly_digest_comes_once_a_week_with_everything(people, summer, settings):
    settings.TRUSTPLAN_DIGEST_WEEKDAY = 0  # Monday
    ReminderPreference.objects.create(user=people["exec_head"], weekly_digest=True)
    wednesday = DUE + datetime.timedelta(days=1)
    assert wednesday.weekday() == 3
    reminders.run(wednesday)
    assert not Reminder.objects.filter(user=people["exec_head"]).exists()
    monday = datetime.date(2024, 7, 22)
    reminders.run(monday)
    digests = [m for m in mail.outbox if m.to == ["t-exec-head@example.org"]]
    [digest] = digests
    assert digest.subject == "Amethyst Academies Trust: your weekly digest"
    assert "Penn Hall School" in digest.body and "Tettenhall Wood School" in digest.body
    assert Reminder.objects.filter(user=people["exec_head"], day=monday).count() == 2


def test_people_without_an_address_or_deactivated_get_nothing(people, summer):
    people["head_b"].email = ""
    people["head_b"].save()
    people["head_a"].is_active = False
    people["head_a"].save()
    reminders.run(DUE + datetime.timedelta(days=1))
    assert not Reminder.objects.filter(user__in=[people["head_a"], people["head_b"]]).exists()


def test_the_preferences_page_warns_without_an_address(client, cast):
    client.force_login(cast["trustee"])
    page = client.get(reverse("people:preferences")).content.decode()
    assert "no e-mail address" in page


def test_the_command_reports_what_it_did(people, summer):
    out = StringIO()
    call_command("send_reminders", "--date", "2024-07-18", stdout=out)
    assert "new reminder(s) recorded" in out.getvalue()
    assert out.getvalue().startswith(str(Reminder.objects.count()))


def test_the_command_refuses_a_date_it_cannot_read(people):
    with pytest.raises(CommandError, match="is not a date like"):
        call_command("send_reminders", "--date", "18/07/2024")


def test_every_message_has_a_plain_text_and_an_html_part(people, summer):
    reminders.run(DUE + datetime.timedelta(days=1))
    assert mail.outbox
    for message in mail.outbox:
        [(html, kind)] = message.alternatives
        assert kind == "text/html" and "<html" in html
        assert "Amethyst Academies Trust" in message.body and "Amethyst Academies Trust" in html


def test_claiming_takes_each_record_once(people, summer):
    """Two runs at the same moment read the same records: each is claimed by one of them (its
    attempts raised from the number read), so the other sends nothing of it."""
    day = DUE + datetime.timedelta(days=1)
    reminders.record(reminders.due_today(day), day)
    items = list(Reminder.objects.all())
    first = reminders._claim(items)
    second = reminders._claim(items)  # the same records, as read before the first claim
    assert len(first) == len(items) > 0 and second == []


def test_the_preferences_page_says_where_reminders_go(client, people):
    client.force_login(people["head_a"])
    page = client.get(reverse("people:preferences")).content.decode()
    assert "<strong>t-head-a@example.org</strong>" in page
    assert "no e-mail address" not in page
