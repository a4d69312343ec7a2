from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_variables

from core import throttle


class LoginForm(AuthenticationForm):
    """Django's login form with the autocomplete hints password managers and WCAG expect."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username")
        self.fields["password"].widget.attrs.update(autocomplete="current-password")

    def clean_username(self) -> str:
        # AuthenticationForm sets max_length after the field is built, so it is not enforced;
        # an over-long name would reach authenticate() and the lockout's database table.
        username = self.cleaned_data.get("username", "")
        limit = get_user_model()._meta.get_field("username").max_length
        if len(username) > limit:
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
        return username


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """Django's password-change form, with the current password throttled (core.throttle).

    While the user is locked out the current password is not even checked; ``throttled`` tells
    the view to answer 429.
    """

    error_messages = {
        **PasswordChangeForm.error_messages,
        "throttled": (
            "Too many wrong current passwords for this account: password changes are paused for "
            "%(minutes)s minutes. Try again later, or ask your trust's administrator."
        ),
    }

    def __init__(self, user, *args, ip_address: str | None = None, **kwargs) -> None:
        super().__init__(user, *args, **kwargs)
        self.ip_address = ip_address
        self.throttled = False

    @sensitive_variables("old_password")
    def clean_old_password(self) -> str:
        attempt = throttle.reserve_attempt(self.user, self.ip_address)
        if attempt is None:
            self.throttled = True
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": int(throttle.cooloff().total_seconds() // 60)},
            )
        old_password = super().clean_old_password()  # raises when wrong: the failure stays
        throttle.forget_attempt(attempt)
        return old_password


class ThrottledAdminPasswordChangeForm(ThrottledPasswordChangeForm):
    """The admin's password-change form (django.contrib.admin.forms), throttled."""

    required_css_class = "required"
