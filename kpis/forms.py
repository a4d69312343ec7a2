"""The termly return form: one value, note and "not available" box per applicable KPI."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from kpis import rag
from kpis.models import KPI, Measure

# Bounded so every accepted value fits the database column (16 digits, 4 decimals).
MAX_MAGNITUDE = Decimal("999999999999")
GRADE_CHOICES = [("", "—")] + [(str(g), f"{g} – {name}") for g, name in rag.GRADE_NAMES.items()]
YES_NO_CHOICES = [("", "—"), ("1", "Yes"), ("0", "No")]


def parse_value(kpi: KPI, raw: str | None) -> Decimal | None:
    """Read what a person typed for a KPI into its value, or say exactly what is wrong.

    Percentages accept "95", "95%", "95.0" and " 95 % "; money accepts "£12,300" and "-5000";
    counts must be whole numbers ≥ 0; grades 1–4; yes/no 1 or 0. Blank is None.
    """
    text = (raw or "").strip()
    if not text:
        return None
    label = f"{kpi.code} {kpi.name}"
    cleaned = text.replace(",", "").replace("−", "-").replace(" ", "")
    if kpi.measure == Measure.PERCENTAGE:
        cleaned = cleaned.removesuffix("%")
    elif kpi.measure == Measure.MONEY:
        cleaned = re.sub(r"^(-?)£", r"\1", cleaned.replace("£-", "-£"))
    # ASCII digits only: Decimal() would also take "١٢" and other scripts' digits.
    if len(cleaned) > 40 or not re.fullmatch(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", cleaned):
        raise ValidationError(f"{label}: “{_short(text)}” is not a number.")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:  # pragma: no cover - the pattern above rules it out
        raise ValidationError(f"{label}: “{_short(text)}” is not a number.") from error
    if abs(value) > MAX_MAGNITUDE:
        raise ValidationError(f"{label}: {_short(text)} is too large.")
    if kpi.measure == Measure.PERCENTAGE:
        if value > 100:
            raise ValidationError(f"{label}: {_plain(value)} is above 100.")
        if value < 0:
            raise ValidationError(f"{label}: {_plain(value)} is below 0.")
    elif kpi.measure == Measure.COUNT:
        if value != value.to_integral_value():
            raise ValidationError(f"{label}: {_plain(value)} is not a whole number.")
        if value < 0:
            raise ValidationError(f"{label}: a count cannot be negative ({_plain(value)}).")
    elif kpi.measure == Measure.GRADE:
        if value not in (1, 2, 3, 4):
            raise ValidationError(f"{label}: choose a grade from 1 (outstanding) to 4.")
    elif kpi.measure == Measure.YES_NO:
        if value not in (0, 1):
            raise ValidationError(f"{label}: choose Yes or No.")
    if value.as_tuple().exponent < -4:
        value = value.quantize(Decimal("0.0001"))
    return value


def _short(text: str) -> str:
    return text if len(text) <= 30 else f"{text[:27]}…"


def _plain(value: Decimal) -> str:
    return rag.format_value(value, "number")


def is_outlier(kpi: KPI, value: Decimal | None, previous: Decimal | None) -> str | None:
    """Why a value is far outside the academy's own history, or None.

    Percentages moving 10 points or more term on term, grades moving two or more, and other
    numbers at least doubling or halving (by at least 5) ask for confirmation and a note.
    """
    if value is None or previous is None or kpi.measure == Measure.YES_NO:
        return None
    change = value - previous
    if kpi.measure == Measure.PERCENTAGE:
        far = abs(change) >= 10
        words = f"{_plain(abs(change))} points {'up' if change > 0 else 'down'}"
    elif kpi.measure == Measure.GRADE:
        far = abs(change) >= 2
        words = f"{_plain(abs(change))} grades {'lower' if change > 0 else 'higher'}"
    else:
        big, small = max(abs(value), abs(previous)), min(abs(value), abs(previous))
        far = abs(change) >= 5 and (small * 2 <= big or (value < 0) != (previous < 0))
        words = f"{'up' if change > 0 else 'down'} from {_plain(previous)}"
    if not far:
        return None
    return f"{_plain(value)} is {words} on last period ({_plain(previous)})"


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
            initial = "" if value is None else _initial_text(kpi, value)
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


def _initial_text(kpi: KPI, value: Decimal) -> str:
    if kpi.measure in (Measure.GRADE, Measure.YES_NO, Measure.COUNT):
        return str(int(value))
    # Every stored digit, so saving the form unchanged changes nothing.
    return f"{value.normalize():f}"
