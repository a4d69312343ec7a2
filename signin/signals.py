"""At every sign-in (password, single sign-on, the admin's, a test client's force_login), work
out once what the session owes for two-factor sign-in (signin.twofactor.owed)."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from signin import twofactor


@receiver(user_logged_in, dispatch_uid="signin.two_factor_owed")
def remember_what_is_owed(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[twofactor.OWED_SESSION_KEY] = twofactor.owed(user)
