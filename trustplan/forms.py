from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError


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
