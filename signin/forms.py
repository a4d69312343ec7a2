from django import forms
from django.core.exceptions import ValidationError

from signin import twofactor

TOKEN_HELP = "The six-digit code your authenticator app shows now, or one of your recovery codes."


class TokenForm(forms.Form):
    """A second-factor code: six digits from the authenticator or an eight-character recovery
    code. Only its shape is checked here; the view asks the device (throttled, locked out)."""

    otp_token = forms.CharField(
        label="Code",
        max_length=32,
        help_text=TOKEN_HELP,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the code from your authenticator app."},
    )

    def __init__(self, *args, recovery_allowed: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.recovery_allowed = recovery_allowed
        if not recovery_allowed:
            self.fields["otp_token"].help_text = "The six-digit code your authenticator app shows."
            self.fields["otp_token"].widget.attrs["inputmode"] = "numeric"

    def clean_otp_token(self) -> str:
        token = twofactor.normalise(self.cleaned_data["otp_token"])
        kind = twofactor.token_kind(token)
        if kind == "totp" or (kind == "recovery" and self.recovery_allowed):
            return token
        shown = self.cleaned_data["otp_token"][:20]
        if self.recovery_allowed:
            raise ValidationError(
                "A code is six digits from your authenticator app, or a recovery code of eight "
                "letters and digits; you entered %(shown)s.",
                params={"shown": repr(shown)},
            )
        raise ValidationError(
            "The code is the six digits your authenticator app shows; you entered %(shown)s.",
            params={"shown": repr(shown)},
        )
