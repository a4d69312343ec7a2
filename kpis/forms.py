"""The termly return form: one value, note and "not available" box per applicable KPI.

The form is forgiving: each KPI row is read on its own. A row that cannot be read (a value
that is not one of the measure's, a note too long, a value *and* "not available") is an error
for that row only: it is left out of ``values``, so it keeps its stored value while every other
row saves, and ``row_errors`` says why. What is merely incomplete (no value, no note for a red
or a "not available") is not the form's business: kpis.returns.check_rows makes those warnings
to resolve before Submit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from kpis import rag
from kpis.measures import initial_text, parse_value
from kpis.models import KPI, Measure

GRADE_CHOICES = [("", "—")] + [(str(g), f"{g} – {name}") for g, name in rag.GRADE_NAMES.items()]
YES_NO_CHOICES = [("", "—"), ("1", "Yes"), ("0", "No")]


class MeasureChoiceField(forms.ChoiceField):
    """A select whose posted text is judged by measures.parse_value, like every other value,
    so "Maybe" for a yes/no KPI gets the measure's own message ("Enter Yes or No")."""

    def validate(self, value) -> None:
        pass


@dataclass
class EntryRow:
    """One KPI line of the form, with what the page shows beside the fields."""

    kpi: KPI
    value_field: forms.BoundField
    note_field: forms.BoundField
    na_field: forms.BoundField
    was_field: forms.BoundField
    previous: str
    last_year: str
    target: str
    history: list
    judgement: rag.Judgement | None = None  # the stored value's RAG
    error: str = ""  # this row could not be read and was not saved
    problem: str = ""  # to resolve before Submit (shown once a draft exists)
    empty: bool = False
    # For return.js: the RAG as the head types (threshold None: no target to judge against).
    threshold: Decimal | None = None
    amber: Decimal = Decimal(0)

    @property
    def error_here(self) -> str:
        """The error without the KPI's name, which the row already shows."""
        return self.error.removeprefix(f"{self.kpi.code} {self.kpi.name}: ")

    @property
    def problem_here(self) -> str:
        return self.problem.removeprefix(f"{self.kpi.code} {self.kpi.name}: ")

    @property
    def anchor(self) -> str:
        return f"row-{self.kpi.pk}"

    @property
    def message_id(self) -> str:
        return f"message-{self.kpi.pk}"


class ReturnForm(forms.Form):
    """Values for one academy and period. Field names carry the KPI's id, not its code."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        kpis: list[KPI],
        existing: dict[int, object],
        read_only: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kpis = kpis
        self.existing = existing
        self.values: dict[int, tuple[Decimal | None, bool, str]] = {}
        self.row_errors: dict[int, str] = {}
        for kpi in kpis:
            current = existing.get(kpi.pk)
            value = getattr(current, "value", None)
            initial = "" if value is None else initial_text(kpi, value)
            if kpi.measure == Measure.GRADE:
                value_field = MeasureChoiceField(choices=GRADE_CHOICES, required=False)
            elif kpi.measure == Measure.YES_NO:
                value_field = MeasureChoiceField(choices=YES_NO_CHOICES, required=False)
            else:
                value_field = forms.CharField(required=False, max_length=60)
                value_field.widget.attrs.update(inputmode="decimal", autocomplete="off", size=10)
            value_field.label = f"{kpi.code} {kpi.name}"
            value_field.initial = initial
            value_field.disabled = read_only
            self.fields[f"value_{kpi.pk}"] = value_field
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
            self.fields[f"was_{kpi.pk}"] = forms.CharField(
                required=False, initial=initial, widget=forms.HiddenInput
            )

    @property
    def refused_whole(self) -> bool:
        """Errors that are no KPI's (a tampered version): then nothing can be saved."""
        return bool(self.non_field_errors()) or "version" in self.errors

    def clean(self) -> dict:
        data = super().clean()
        for kpi in self.kpis:
            try:
                row = self._row(kpi, data)
            except ValidationError as error:
                message = error.messages[0]
                self.row_errors[kpi.pk] = message
                self.add_error(f"value_{kpi.pk}", message)
                continue
            self.values[kpi.pk] = row
        return data

    def _row(self, kpi: KPI, data: dict) -> tuple[Decimal | None, bool, str]:
        """(value, not available, note) of one KPI, or ValidationError saying what is wrong."""
        label = f"{kpi.code} {kpi.name}"
        for name, what in (("value", ""), ("note", " note"), ("na", " “not available”")):
            errors = self.errors.pop(f"{name}_{kpi.pk}", None)
            if errors:
                raise ValidationError(f"{label}{what}: {errors[0]}")
        raw = self.data.get(f"value_{kpi.pk}", "") if self.is_bound else ""
        value = parse_value(kpi, raw)
        note = (data.get(f"note_{kpi.pk}") or "").strip()
        not_available = bool(data.get(f"na_{kpi.pk}"))
        if value is not None and not_available:
            raise ValidationError(
                f"{label}: give a value or tick “not available”, not both (neither was saved)."
            )
        return value, not_available, note

    def changes_anything(self) -> bool:
        """Whether saving ``values`` would change any stored value (as the form saw them)."""
        for kpi_id, row in self.values.items():
            current = self.existing.get(kpi_id)
            stored = (
                (current.value, current.not_available, current.note)
                if current is not None
                else (None, False, "")
            )
            if row != stored:
                return True
        return False
