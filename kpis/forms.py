"""The termly return form: one value, note and "not available" box per applicable KPI."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from kpis import rag
from kpis.measures import initial_text, is_outlier, parse_value
from kpis.models import KPI, Measure

GRADE_CHOICES = [("", "—")] + [(str(g), f"{g} – {name}") for g, name in rag.GRADE_NAMES.items()]
YES_NO_CHOICES = [("", "—"), ("1", "Yes"), ("0", "No")]


@dataclass
class EntryRow:
    """One KPI line of the form, with what the page shows beside the fields."""

    kpi: KPI
    value_field: forms.BoundField
    note_field: forms.BoundField
    na_field: forms.BoundField
    confirm_field: forms.BoundField
    was_field: forms.BoundField
    previous: str
    last_year: str
    target: str
    history: list


class ReturnForm(forms.Form):
    """Values for one academy and period. Field names carry the KPI's id, not its code."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        kpis: list[KPI],
        existing: dict[int, object],
        previous: dict[int, Decimal | None],
        read_only: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kpis = kpis
        self.previous = previous
        self.saved = {kpi_id: getattr(v, "value", None) for kpi_id, v in existing.items()}
        for kpi in kpis:
            current = existing.get(kpi.pk)
            value = getattr(current, "value", None)
            initial = "" if value is None else initial_text(kpi, value)
            if kpi.measure == Measure.GRADE:
                field = forms.ChoiceField(choices=GRADE_CHOICES, required=False)
            elif kpi.measure == Measure.YES_NO:
                field = forms.ChoiceField(choices=YES_NO_CHOICES, required=False)
            else:
                field = forms.CharField(required=False, max_length=60)
                field.widget.attrs.update(inputmode="decimal", autocomplete="off", size=10)
            field.label = f"{kpi.code} {kpi.name}"
            field.initial = initial
            field.disabled = read_only
            self.fields[f"value_{kpi.pk}"] = field
            self.fields[f"note_{kpi.pk}"] = forms.CharField(
                required=False,
                max_length=2000,
                initial=getattr(current, "note", ""),
                disabled=read_only,
                label=f"Note for {kpi.code}",
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
            self.fields[f"na_{kpi.pk}"] = forms.BooleanField(
                required=False,
                initial=getattr(current, "not_available", False),
                disabled=read_only,
                label=f"{kpi.code} not available",
            )
            self.fields[f"confirm_{kpi.pk}"] = forms.BooleanField(
                required=False, disabled=read_only, label=f"Confirm the unusual {kpi.code} value"
            )
            self.fields[f"was_{kpi.pk}"] = forms.CharField(
                required=False, initial=initial, widget=forms.HiddenInput
            )

    def clean(self) -> dict:
        data = super().clean()
        self.values: dict[int, tuple[Decimal | None, bool, str]] = {}
        for kpi in self.kpis:
            raw = self.data.get(f"value_{kpi.pk}", "") if self.is_bound else ""
            note = (data.get(f"note_{kpi.pk}") or "").strip()
            not_available = bool(data.get(f"na_{kpi.pk}"))
            try:
                value = parse_value(kpi, raw)
            except ValidationError as error:
                self.add_error(f"value_{kpi.pk}", error)
                continue
            if value is not None and not_available:
                self.add_error(
                    f"na_{kpi.pk}",
                    f"{kpi.code} {kpi.name}: give a value or tick “not available”, not both.",
                )
                continue
            if not_available and not note:
                self.add_error(
                    f"note_{kpi.pk}",
                    f"{kpi.code} {kpi.name}: say in the note why no value is available.",
                )
                continue
            reason = is_outlier(kpi, value, self.previous.get(kpi.pk))
            # A value already saved was confirmed then: it is not questioned again, but the
            # note explaining it must stay.
            unchanged = kpi.pk in self.saved and self.saved[kpi.pk] == value
            if reason and unchanged and not note:
                self.add_error(
                    f"note_{kpi.pk}",
                    f"{kpi.code} {kpi.name}: {reason}; keep a note explaining it.",
                )
                continue
            if reason and not unchanged and not (data.get(f"confirm_{kpi.pk}") and note):
                self.add_error(
                    f"value_{kpi.pk}",
                    f"{kpi.code} {kpi.name}: {reason}. If it is right, tick “confirm” and add a "
                    "note saying why.",
                )
                continue
            self.values[kpi.pk] = (value, not_available, note)
        return data
