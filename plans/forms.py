"""Plan editing forms (crispy-forms, Bootstrap 5): objectives, aims, actions, progress updates.

They validate; the views hand their cleaned data to plans.services, which writes.
"""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from academies.models import Academy, Owner
from academies.services import owner_lookup
from kpis.models import KPI, Period
from plans.models import Action, ActionStatus, Aim, ProgressUpdate, StrategicObjective
from plans.references import ReferenceError, format_kpi_codes, parse_kpi_codes, parse_owner_codes


class _Crispy:
    """A FormHelper that leaves the <form> tag and buttons to the template."""

    def _helper(self) -> None:
        self.helper = FormHelper()
        self.helper.form_tag = False


class ObjectiveForm(_Crispy, forms.ModelForm):
    number = forms.IntegerField(min_value=1, max_value=99)

    class Meta:
        model = StrategicObjective
        fields = ["number", "title"]

    def __init__(self, *args, plan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        self._helper()

    def clean_number(self) -> int:
        number = self.cleaned_data["number"]
        clash = self.plan.objectives.filter(number=number).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                f"{self.plan.objective_label} {number} already exists in this plan."
            )
        return number


class AimForm(_Crispy, forms.ModelForm):
    class Meta:
        model = Aim
        fields = ["title"]
        widgets = {"title": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The seed has an untitled aim; a new or edited aim says what it is.
        self.fields["title"].required = True
        self._helper()


class ActionForm(_Crispy, forms.ModelForm):
    """Owners, monitors and KPIs are typed as the plan writes them: "TBR and NLI", "1.1-1.9"."""

    responsibility = forms.CharField(
        required=False, max_length=500, help_text="Owner codes or names, e.g. “TBR and NLI”."
    )
    monitored_by = forms.CharField(
        required=False,
        max_length=500,
        help_text="Who monitors it, e.g. “Trust Board and LGB” or “NLI and JIN”.",
    )
    kpi_codes = forms.CharField(
        label="KPIs",
        required=False,
        max_length=500,
        help_text="KPI codes and ranges, e.g. “1.1-1.9” or “4.12 4.13”.",
    )

    class Meta:
        model = Action
        fields = ["aims", "description", "academies", "due_date", "due_period"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "aims": forms.CheckboxSelectMultiple,
            "academies": forms.CheckboxSelectMultiple,
            # ISO format: a browser's date picker shows nothing for "17/05/2027".
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {"due_period": "Or due by the end of term"}

    def __init__(self, *args, objective: StrategicObjective, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.objective = objective
        self.fields["aims"].queryset = objective.aims.all()
        self.fields["aims"].label_from_instance = lambda aim: str(aim)
        self.fields["academies"].queryset = Academy.objects.active()
        self.fields["academies"].required = False
        self.fields["due_period"].queryset = Period.objects.all()
        self.fields["due_period"].required = False
        if self.instance.pk:
            self.fields["responsibility"].initial = " and ".join(
                o.code for o in self.instance.responsible.all()
            )
            self.fields["monitored_by"].initial = " and ".join(
                o.name or o.code for o in self.instance.monitors.all()
            )
            self.fields["kpi_codes"].initial = format_kpi_codes(
                k.code for k in self.instance.kpis.all()
            )
        self._helper()

    def _owners(self, field: str) -> list[Owner]:
        try:
            codes = parse_owner_codes(self.cleaned_data.get(field, ""), owner_lookup())
        except ReferenceError as error:
            raise forms.ValidationError(str(error)) from error
        owners = {o.code: o for o in Owner.objects.filter(code__in=codes)}
        return [owners[code] for code in codes]

    def clean_responsibility(self) -> list[Owner]:
        return self._owners("responsibility")

    def clean_monitored_by(self) -> list[Owner]:
        return self._owners("monitored_by")

    def clean_kpi_codes(self) -> list[KPI]:
        try:
            codes = parse_kpi_codes(self.cleaned_data.get("kpi_codes", ""))
        except ReferenceError as error:
            raise forms.ValidationError(str(error)) from error
        found = {k.code: k for k in KPI.objects.filter(code__in=codes)}
        missing = [code for code in codes if code not in found]
        if missing:
            raise forms.ValidationError(f"No KPI {', '.join(missing)} in the framework.")
        return [found[code] for code in codes]

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("aims"):
            self.add_error("aims", "Choose the aim (or aims) this action serves.")
        if not (data.get("description") or "").strip() and not data.get("responsibility"):
            self.add_error("description", "Describe the action.")
        return data

    def action_data(self) -> dict:
        """The cleaned form as plans.services.action_create and action_edit take it (the
        services write the action; this form only validates)."""
        data = self.cleaned_data
        return {
            "aims": data["aims"],
            "description": data["description"],
            "academies": data["academies"],
            "due_date": data["due_date"],
            "due_period": data["due_period"],
            "responsible": data["responsibility"],
            "monitors": data["monitored_by"],
            "kpis": data["kpi_codes"],
        }


class ProgressUpdateForm(_Crispy, forms.ModelForm):
    class Meta:
        model = ProgressUpdate
        fields = ["date", "status", "commentary", "evidence_url"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "commentary": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence_url"].assume_scheme = "https"
        # The browser's date picker offers no future date (the server refuses one anyway).
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()
        self._helper()

    def clean(self) -> dict:
        data = super().clean()
        needs_words = data.get("status") in (ActionStatus.AT_RISK, ActionStatus.OFF_TRACK)
        if needs_words and not (data.get("commentary") or "").strip():
            label = ActionStatus(data["status"]).label.lower()
            self.add_error("commentary", f"Say why the action is {label}: commentary is required.")
        return data
