"""Throttling of the signed-in password-change forms, like the login's (django-axes).

A session holder who does not know the password must not be able to guess it through the
"current password" field without limit. After AXES_FAILURE_LIMIT wrong current passwords within
AXES_COOLOFF_TIME for one user, further attempts are refused without checking the password until
the oldest of them is older than the cool-off. The failures are PasswordChangeFailure rows, so the
count is shared by every worker and visible to administrators in the admin.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.models import PasswordChangeFailure

# Failures older than this are deleted when the user next tries (the count only looks back
# AXES_COOLOFF_TIME; the rest is kept a while for administrators).
KEEP = timedelta(days=30)


def cooloff() -> timedelta:
    return settings.AXES_COOLOFF_TIME or timedelta(minutes=15)


def reserve_attempt(user, ip_address: str | None) -> PasswordChangeFailure | None:
    """Record an attempt as a failure before the password is checked, or None when the user is
    locked out (then nothing is recorded and the password must not be checked).

    Reserving first makes concurrent attempts count: the user's row is locked for the check
    (PostgreSQL; SQLite's IMMEDIATE transactions serialise every writer), so requests in
    parallel cannot all pass a count of limit - 1. The caller deletes the row when the password
    turns out right (forget_attempt).
    """
    now = timezone.now()
    with transaction.atomic():
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        failures = PasswordChangeFailure.objects.filter(user=user)
        failures.filter(attempted_at__lt=now - KEEP).delete()
        recent = failures.filter(attempted_at__gte=now - cooloff()).count()
        if recent >= settings.AXES_FAILURE_LIMIT:
            return None
        return PasswordChangeFailure.objects.create(
            user=user, ip_address=ip_address, attempted_at=now
        )


def forget_attempt(attempt: PasswordChangeFailure) -> None:
    """The current password was right: this attempt was not a failure."""
    PasswordChangeFailure.objects.filter(pk=attempt.pk).delete()


def reset(user) -> None:
    """A successful change clears the user's failures."""
    PasswordChangeFailure.objects.filter(user=user).delete()
