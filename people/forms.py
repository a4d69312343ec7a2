from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordResetForm

from academies import permissions
from academies.models import Academy
from core.http import parse_id
from people.models import ReminderPreference
from people.services import PersonDetails, email_taken

ROLE_CHOICES = [(role, role) for role in permissions.ROLE_GROUPS]


class AcademiesField(forms.ModelMultipleChoiceField):
    """Academies ticked by id: ASCII digits only, short enough for the database ("٣" is not 3,
    and forty nines are no id), checked before any query."""

    def clean(self, value):
        for item in value or []:
            if parse_id(str(item)) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                )
        return super().clean(value)


class PersonForm(forms.Form):
    """A person as central team or an administrator add or change them."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(
        max_length=254,
        label="E-mail address",
        help_text="The invitation goes here; it is also their username.",
    )
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, label="Role"
    )
    heads = AcademiesField(
        queryset=Academy.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Headteacher of",
    )
    governs = AcademiesField(
        queryset=Academy.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Local governor of",
    )

    def __init__(self, *args, person=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        academies = Academy.objects.active().order_by("position", "name")
        self.fields["heads"].queryset = academies
        self.fields["governs"].queryset = academies
        self.fields["email"].widget.attrs.update(autocomplete="off")

    def clean_first_name(self) -> str:
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self) -> str:
        return self.cleaned_data["last_name"].strip()

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email_taken(email, exclude_pk=self.person.pk if self.person else None):
            raise forms.ValidationError(f"{email} is already someone's address in trustplan.")
        return email

    def clean(self) -> dict:
        data = super().clean()
        roles = data.get("roles") or []
        if data.get("heads") and permissions.HEADTEACHER not in roles:
            self.add_error("heads", "Tick the Headteacher role for a person who heads academies.")
        if data.get("governs") and permissions.GOVERNOR not in roles:
            self.add_error("governs", "Tick the Governor role for a person who governs academies.")
        return data

    def details(self) -> PersonDetails:
        data = self.cleaned_data
        return PersonDetails(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            roles=list(data["roles"]),
            heads=list(data["heads"]),
            governs=list(data["governs"]),
        )


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = ReminderPreference
        fields = ["returns", "approvals", "sent_back", "actions", "weekly_digest"]


class ResetForm(PasswordResetForm):
    """Django's password-reset form with the autocomplete hint."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(autocomplete="email")
