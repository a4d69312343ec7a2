"""Reminders: who is owed which, recorded once per person, subject and day, then sent.

``send_reminders`` (daily, by cron or a systemd timer) does three things:

1. works out what is due today (``due_today``):
   - to each head of an academy, for each open period with a collection deadline
     (``Period.due_date``): "due soon" from TRUSTPLAN_REMINDER_DAYS_BEFORE days before it
     while the return is not submitted, and "overdue" after it;
   - to central team, every submitted return waiting for approval;
   - to each action owner with an account (``Owner.user``), their actions of the active plan
     due within TRUSTPLAN_REMINDER_DAYS_BEFORE days and not complete, and those overdue
     (``Action.is_overdue``, the one rule);
   a subject already reminded within TRUSTPLAN_REMINDER_REPEAT_DAYS is not due again, so an
   overdue return is reminded weekly, not daily; a kind the person turned off is skipped, and
   someone who chose the weekly digest is told only on TRUSTPLAN_DIGEST_WEEKDAY;
2. records each as a Reminder row (unique per person, kind, subject and day: a second run the
   same day records nothing new);
3. sends every record not yet sent — today's, and those a failing mail server left over from
   the last TRUSTPLAN_REMINDER_RETRY_DAYS days — one message per person and kind (one digest
   per person), and marks each sent or failed with the server's answer.

A return sent back is told to its heads at once (people.notify), through the same records.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from academies import permissions
from academies.models import RoleAssignment
from kpis.models import Period, Return, ReturnStatus
from people import mail
from people.models import Reminder, ReminderKind, ReminderPreference, ReminderStatus
from plans.models import Action, ActionStatus, PlanStatus

logger = logging.getLogger(__name__)

User = get_user_model()

# How each kind's message is headed, in the order a digest lists them.
HEADINGS = {
    ReminderKind.SENT_BACK: "Returns sent back to you",
    ReminderKind.RETURN_OVERDUE: "Returns overdue",
    ReminderKind.RETURN_DUE: "Returns due soon",
    ReminderKind.AWAITING_APPROVAL: "Returns waiting for your approval",
    ReminderKind.ACTION_OVERDUE: "Your plan actions overdue",
    ReminderKind.ACTION_DUE: "Your plan actions due soon",
}
SUBJECTS = {
    ReminderKind.SENT_BACK: "a return was sent back",
    ReminderKind.RETURN_OVERDUE: "returns overdue",
    ReminderKind.RETURN_DUE: "returns due soon",
    ReminderKind.AWAITING_APPROVAL: "returns waiting for approval",
    ReminderKind.ACTION_OVERDUE: "plan actions overdue",
    ReminderKind.ACTION_DUE: "plan actions due soon",
}


@dataclass(frozen=True)
class Due:
    user_id: int
    kind: str
    subject: str
    text: str
    url: str


@dataclass
class RunCounts:
    recorded: int = 0
    sent: int = 0
    failed: int = 0
    messages: int = 0


def _date(value: datetime.date) -> str:
    return f"{value.day} {value:%b %Y}"


def _recipients() -> dict[int, object]:
    """Active people with an address, by id."""
    return {user.pk: user for user in User.objects.filter(is_active=True).exclude(email="")}


def _return_dues(today: datetime.date, people: dict) -> list[Due]:
    before = datetime.timedelta(days=settings.TRUSTPLAN_REMINDER_DAYS_BEFORE)
    periods = [
        p for p in Period.objects.open().exclude(due_date=None) if p.due_date - before <= today
    ]
    if not periods:
        return []
    returns = {
        (r.academy_id, r.period_id): r
        for r in Return.objects.filter(period__in=periods).only("academy", "period", "status")
    }
    heads = RoleAssignment.objects.heads().filter(user_id__in=people).select_related("academy")
    dues = []
    for period in periods:
        overdue = period.due_date < today
        kind = ReminderKind.RETURN_OVERDUE if overdue else ReminderKind.RETURN_DUE
        for assignment in heads:
            academy = assignment.academy
            if not academy.is_active:
                continue
            ret = returns.get((academy.pk, period.pk))
            if ret is not None and ret.is_published:
                continue
            state = "not started" if ret is None else ret.get_status_display().lower()
            when = "was due" if overdue else "is due"
            dues.append(
                Due(
                    user_id=assignment.user_id,
                    kind=kind,
                    subject=f"return:{academy.slug}:{period.slug}:{period.due_date}",
                    text=f"{academy.name}, {period}: {when} {_date(period.due_date)} ({state})",
                    url=reverse("entry:form", args=[academy.slug, period.slug]),
                )
            )
    return dues


def _approval_dues(people: dict) -> list[Due]:
    central = [
        pk
        for pk in User.objects.filter(
            pk__in=people, groups__name=permissions.CENTRAL_TEAM
        ).values_list("pk", flat=True)
    ]
    if not central:
        return []
    waiting = (
        Return.objects.filter(status=ReturnStatus.SUBMITTED)
        .select_related("academy", "period", "submitted_by")
        .order_by("submitted_at", "pk")
    )
    dues = []
    for ret in waiting:
        who = (
            ret.submitted_by.get_full_name() or ret.submitted_by.get_username()
            if ret.submitted_by
            else ""
        )
        when = _date(timezone.localdate(ret.submitted_at)) if ret.submitted_at else ""
        said = "submitted" + (f" by {who}" if who else "") + (f" on {when}" if when else "")
        for pk in central:
            dues.append(
                Due(
                    user_id=pk,
                    kind=ReminderKind.AWAITING_APPROVAL,
                    subject=f"approval:{ret.academy.slug}:{ret.period.slug}:{ret.version}",
                    text=f"{ret.academy.name}, {ret.period}: {said}",
                    url=reverse("entry:form", args=[ret.academy.slug, ret.period.slug]),
                )
            )
    return dues


def _action_dues(today: datetime.date, people: dict) -> list[Due]:
    soon = today + datetime.timedelta(days=settings.TRUSTPLAN_REMINDER_DAYS_BEFORE)
    actions = (
        Action.objects.filter(
            objective__plan__status=PlanStatus.ACTIVE, responsible__user_id__in=people
        )
        .with_current_status()
        .select_related("due_period", "objective")
        .prefetch_related("responsible")
        .distinct()
    )
    dues = []
    for action in actions:
        due = action.due
        if due is None or action.status == ActionStatus.COMPLETE or due > soon:
            continue
        overdue = action.is_overdue(today)
        kind = ReminderKind.ACTION_OVERDUE if overdue else ReminderKind.ACTION_DUE
        when = "was due" if overdue else "is due"
        text = f"{action}: {when} {_date(due)} ({action.status_label.lower()})"
        for owner in action.responsible.all():
            if owner.user_id in people:
                dues.append(
                    Due(
                        user_id=owner.user_id,
                        kind=kind,
                        subject=f"action:{action.pk}:{due}",
                        text=text,
                        url=action.get_absolute_url(),
                    )
                )
    return dues


def due_today(today: datetime.date) -> list[Due]:
    """Everything owed today, after each person's preferences and the repeat rule."""
    people = _recipients()
    dues = _return_dues(today, people) + _approval_dues(people) + _action_dues(today, people)
    preferences = {p.user_id: p for p in ReminderPreference.objects.filter(user_id__in=people)}
    repeat = today - datetime.timedelta(days=settings.TRUSTPLAN_REMINDER_REPEAT_DAYS - 1)
    recent = set(
        Reminder.objects.filter(day__gte=repeat, day__lte=today).values_list(
            "user_id", "kind", "subject"
        )
    )
    digest_day = today.weekday() == settings.TRUSTPLAN_DIGEST_WEEKDAY
    kept = {}
    for due in dues:
        preference = preferences.get(due.user_id)
        if preference is not None:
            if not preference.wants(due.kind):
                continue
            if preference.weekly_digest and not digest_day:
                continue
        if (due.user_id, due.kind, due.subject) in recent:
            continue
        kept[(due.user_id, due.kind, due.subject)] = due
    return list(kept.values())


def record(dues: list[Due], today: datetime.date) -> int:
    """Record what is owed today; a second run the same day records nothing new."""
    before = Reminder.objects.filter(day=today).count()
    Reminder.objects.bulk_create(
        [
            Reminder(
                user_id=d.user_id,
                kind=d.kind,
                subject=d.subject,
                day=today,
                text=d.text,
                url=d.url,
            )
            for d in dues
        ],
        ignore_conflicts=True,
    )
    return Reminder.objects.filter(day=today).count() - before


def _groups(records: list[Reminder]) -> list[tuple[object, str, list[Reminder]]]:
    """(person, kind, records) per person and kind; "digest" for a person who chose it."""
    users = {u.pk: u for u in User.objects.filter(pk__in={r.user_id for r in records})}
    digests = set(
        ReminderPreference.objects.filter(user_id__in=users, weekly_digest=True).values_list(
            "user_id", flat=True
        )
    )
    groups: dict[tuple, list[Reminder]] = defaultdict(list)
    for item in records:
        if item.kind == ReminderKind.SENT_BACK:
            key = (item.user_id, item.kind, item.pk)  # told at once, one message each
        elif item.user_id in digests:
            key = (item.user_id, "digest", 0)
        else:
            key = (item.user_id, item.kind, 0)
        groups[key].append(item)
    return [(users[user_id], kind, items) for (user_id, kind, _), items in groups.items()]


def _message(user, kind: str, items: list[Reminder]):
    sections = [
        (HEADINGS[k], [i for i in items if i.kind == k])
        for k in HEADINGS
        if any(i.kind == k for i in items)
    ]
    if kind == "digest":
        subject = "your weekly digest"
    elif kind == ReminderKind.SENT_BACK or len(items) == 1:
        subject = SUBJECTS[kind]
    else:
        subject = f"{SUBJECTS[kind]} ({len(items)})"
    return mail.message(
        to=user.email,
        subject=subject,
        template="reminders",
        context={
            "person": user,
            "sections": [
                (heading, [(i.text, mail.site_url(i.url)) for i in group])
                for heading, group in sections
            ],
            "digest": kind == "digest",
            "preferences_link": mail.site_url(reverse("people:preferences")),
        },
    )


def _claim(items: list[Reminder]) -> list[Reminder]:
    """The records this run may send: each is taken by raising its attempts from the number
    read, so a second run (or a send-back told at once) working at the same moment takes
    none of them and nothing goes twice."""
    claimed = []
    for item in items:
        taken = Reminder.objects.filter(
            pk=item.pk,
            attempts=item.attempts,
            status__in=[ReminderStatus.PENDING, ReminderStatus.FAILED],
        ).update(attempts=F("attempts") + 1)
        if taken:
            claimed.append(item)
    return claimed


def send_pending(
    today: datetime.date, counts: RunCounts | None = None, *, ids: list[int] | None = None
) -> RunCounts:
    """Send every record not yet sent from the last TRUSTPLAN_REMINDER_RETRY_DAYS days (or only
    those of ``ids``); mark each sent, or failed with the server's answer (tried again at the
    next run)."""
    counts = counts or RunCounts()
    oldest = today - datetime.timedelta(days=settings.TRUSTPLAN_REMINDER_RETRY_DAYS)
    pending = Reminder.objects.all() if ids is None else Reminder.objects.filter(pk__in=ids)
    records = list(
        pending.filter(
            status__in=[ReminderStatus.PENDING, ReminderStatus.FAILED],
            day__gte=oldest,
            user__is_active=True,
        )
        .exclude(user__email="")
        .order_by("user_id", "kind", "day", "pk")
    )
    if not records:
        return counts
    connection = mail.connection()
    try:
        for user, kind, group in _groups(records):
            items = _claim(group)
            if not items:
                continue
            ids = [i.pk for i in items]
            message = _message(user, kind, items)
            message.connection = connection
            try:
                message.send()
            except Exception as error:  # smtplib, socket and TLS errors alike
                answer = f"{type(error).__name__}: {error}"[:500]
                logger.warning("Reminder to %s not sent: %s", user.email, answer)
                _mark(ids, status=ReminderStatus.FAILED, error=answer)
                counts.failed += len(ids)
                # The connection may be half-open after a failure: start again for the next.
                connection.close()
                continue
            _mark(ids, status=ReminderStatus.SENT, error="")
            counts.sent += len(ids)
            counts.messages += 1
    finally:
        connection.close()
    return counts


def _mark(ids: list[int], *, status: str, error: str) -> None:
    Reminder.objects.filter(pk__in=ids).update(
        status=status,
        last_error=error,
        sent_at=timezone.now() if status == ReminderStatus.SENT else None,
    )


def run(today: datetime.date | None = None) -> RunCounts:
    """The daily run: record what is owed today, then send everything not yet sent."""
    today = today or timezone.localdate()
    counts = RunCounts()
    counts.recorded = record(due_today(today), today)
    return send_pending(today, counts)
