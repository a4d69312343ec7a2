"""Invitation links: Django's password-reset token, salted apart and with its own lifetime.

The token is a hash of the person's password, last sign-in, e-mail address and — here — when
the invitation was last sent and how many times, so a link stops working when the person
chooses a password, when the invitation is sent again (only the newest link works) and after
TRUSTPLAN_INVITATION_DAYS (password-reset links have Django's PASSWORD_RESET_TIMEOUT)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "trustplan.people.tokens.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token) or not isinstance(token, str) or token.count("-") != 1:
            return False
        ts_b36 = token.split("-")[0]
        try:
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - timestamp
        return 0 <= age <= settings.TRUSTPLAN_INVITATION_DAYS * 24 * 60 * 60

    def _make_hash_value(self, user, timestamp: int) -> str:
        invitation = getattr(user, "invitation", None)
        if invitation is None:
            return super()._make_hash_value(user, timestamp)
        sent = f"{invitation.sent_at.replace(microsecond=0).isoformat()}#{invitation.times_sent}"
        return f"{super()._make_hash_value(user, timestamp)}{sent}"


invitation_token = InvitationTokenGenerator()
