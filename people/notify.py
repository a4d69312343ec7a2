"""Messages told at once, not waiting for the daily run: a return sent back goes to the
academy's heads with central team's reason. It is recorded like every reminder, so a failing
mail server leaves it waiting and ``send_reminders`` sends it at its next run."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from academies.models import RoleAssignment
from kpis.models import Return
from kpis.signals import return_sent_back
from people import reminders
from people.models import Reminder, ReminderKind, ReminderPreference

logger = logging.getLogger(__name__)


def connect_signals() -> None:
    return_sent_back.connect(
        _on_return_sent_back, sender=Return, dispatch_uid="people.notify.return_sent_back"
    )


def _on_return_sent_back(sender, *, ret: Return, user, **kwargs) -> None:
    try:
        return_was_sent_back(ret, by=user)
    except Exception:  # never turn central team's send-back into an error page
        logger.exception("Telling the heads that %s was sent back failed", ret)


def return_was_sent_back(ret: Return, *, by) -> int:
    """Record and send the message to each active head of the return's academy with an address
    (who has not turned these off). Returns how many were recorded."""
    today = timezone.localdate()
    heads = (
        get_user_model()
        .objects.filter(
            pk__in=RoleAssignment.objects.heads()
            .filter(academy_id=ret.academy_id)
            .values("user_id"),
            is_active=True,
        )
        .exclude(email="")
    )
    off = set(
        ReminderPreference.objects.filter(user__in=heads, sent_back=False).values_list(
            "user_id", flat=True
        )
    )
    who = (by.get_full_name() or by.get_username()) if by else "central team"
    text = (
        f"{ret.academy.name}, {ret.period}: sent back by {who}. "
        f"The reason given: {ret.sent_back_reason}"
    )
    url = reverse("entry:form", args=[ret.academy.slug, ret.period.slug])
    created = []
    for head in heads:
        if head.pk in off:
            continue
        item, made = Reminder.objects.get_or_create(
            user=head,
            kind=ReminderKind.SENT_BACK,
            subject=f"sent-back:{ret.academy.slug}:{ret.period.slug}:{ret.version}",
            day=today,
            defaults={"text": text, "url": url},
        )
        if made:
            created.append(item.pk)
    if created:
        reminders.send_pending(today, ids=created)
    return len(created)
