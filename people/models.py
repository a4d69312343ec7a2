"""People: invitations, the history of a person's roles and academies, reminder preferences
and the record of every reminder (sent once per person, subject and day; retried when the mail
server failed)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Invitation(models.Model):
    """The invitation of a person added by central team or an administrator.

    ``sent_at`` is part of the link's token (people.tokens), so re-sending makes every earlier
    link stop working; choosing a password makes the link stop working too (Django's token
    covers the password)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitation"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField()
    times_sent = models.PositiveSmallIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        state = "accepted" if self.accepted_at else "waiting"
        return f"Invitation of {self.user} ({state})"


class PersonChange(models.Model):
    """One save of a person on the People pages: what changed, old → new, in words."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person_changes"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()
    lines = models.JSONField(default=list, help_text="“Role: Trustee → Central team”, …")

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} {self.changed_at:%Y-%m-%d %H:%M}: {'; '.join(self.lines)}"


class ReminderKind(models.TextChoices):
    RETURN_DUE = "return_due", "Return due soon"
    RETURN_OVERDUE = "return_overdue", "Return overdue"
    AWAITING_APPROVAL = "awaiting_approval", "Returns waiting for approval"
    SENT_BACK = "sent_back", "Return sent back"
    ACTION_DUE = "action_due", "Action update due"
    ACTION_OVERDUE = "action_overdue", "Action overdue"


class ReminderPreference(models.Model):
    """What one person wants to be told; a person without a row gets every kind, daily."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    returns = models.BooleanField(
        default=True, verbose_name="Returns due and overdue (headteachers)"
    )
    approvals = models.BooleanField(
        default=True, verbose_name="Returns waiting for approval (central team)"
    )
    sent_back = models.BooleanField(
        default=True, verbose_name="A return of mine is sent back (headteachers)"
    )
    actions = models.BooleanField(
        default=True, verbose_name="Plan actions of mine due and overdue (action owners)"
    )
    weekly_digest = models.BooleanField(
        default=False,
        verbose_name="One weekly digest instead of daily reminders",
        help_text="Sent-back returns are still told at once.",
    )

    # The preference field that switches each kind on or off.
    FIELD_OF_KIND = {
        ReminderKind.RETURN_DUE: "returns",
        ReminderKind.RETURN_OVERDUE: "returns",
        ReminderKind.AWAITING_APPROVAL: "approvals",
        ReminderKind.SENT_BACK: "sent_back",
        ReminderKind.ACTION_DUE: "actions",
        ReminderKind.ACTION_OVERDUE: "actions",
    }

    def __str__(self) -> str:
        return f"Reminder preferences of {self.user}"

    def wants(self, kind: str) -> bool:
        return bool(getattr(self, self.FIELD_OF_KIND[kind]))


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (retried at the next run)"


class Reminder(models.Model):
    """One reminder to one person about one subject on one day: the record that makes
    ``send_reminders`` send nothing twice, and keeps what could not be sent until it is."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    subject = models.CharField(
        max_length=200, help_text="What it is about: “return:aldersley-high-school:2023-24-summer”."
    )
    day = models.DateField()
    text = models.TextField(help_text="What the message says of it.")
    url = models.CharField(max_length=300, help_text="The page it is about (a path).")
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "user_id", "kind", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "subject", "day"], name="reminder_once_per_day"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="reminder_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReminderStatus.values), name="reminder_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="reminder_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.user} on {self.day}: {self.text}"


class PasswordResetRequest(models.Model):
    """One use of the password-reset form, whether or not the address is anyone's: the form is
    throttled by address and by e-mail address (people.views.PasswordResetView)."""

    ip_address = models.GenericIPAddressField(null=True)
    email = models.CharField(max_length=254, help_text="As typed, lower case.")
    requested_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["requested_at"], name="reset_request_at_idx")]

    def __str__(self) -> str:
        return f"Password reset for {self.email} from {self.ip_address} at {self.requested_at}"
