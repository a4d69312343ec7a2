"""Records every app may use: password-change failures (core/throttle.py)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class PasswordChangeFailure(models.Model):
    """A wrong current password on a signed-in password-change form (core/throttle.py).

    Kept in the database, not a cache, so every gunicorn worker counts the same failures; a
    successful change deletes the user's rows, and an administrator may delete them to unlock.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_change_failures"
    )
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    attempted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-attempted_at"]
        indexes = [models.Index(fields=["user", "attempted_at"])]

    def __str__(self) -> str:
        return f"{self.user} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"
