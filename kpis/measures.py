"""A KPI value as people type it and as the app shows it: parsing, validation, the text a form
starts from, and outliers. The return form, the importer and the return lifecycle all use these."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from kpis import rag
from kpis.models import KPI, Measure

# Bounded so every accepted value fits the database column (16 digits, 4 decimals).
MAX_MAGNITUDE = Decimal("999999999999")


# Words people write for a yes/no or a grade, as the form's choices and the workbook say them.
YES_WORDS = {"yes", "y", "true"}
NO_WORDS = {"no", "n", "false"}
GRADE_WORDS = {name: grade for grade, name in rag.GRADE_NAMES.items()}

# What each measure accepts, in its own terms, for the message when a value cannot be read.
EXPECTED = {
    Measure.PERCENTAGE: "Enter a percentage from 0 to 100, such as 95 or 95%",
    Measure.COUNT: "Enter a whole number of 0 or more, such as 12",
    Measure.MONEY: "Enter an amount in pounds, such as £12,300 or -5000",
    Measure.NUMBER: "Enter a number, such as 4.25",
}
CHOOSE_GRADE = "Choose a grade from 1 (outstanding) to 4 (inadequate)"
ENTER_YES_NO = "Enter Yes or No"


def parse_value(kpi: KPI, raw: str | None) -> Decimal | None:
    """Read what a person typed for a KPI into its value, or say exactly what is wrong.

    Percentages accept "95", "95%", "95.0" and " 95 % "; money accepts "£12,300" and "-5000";
    counts must be whole numbers ≥ 0; grades 1–4 (or their names, "good"); yes/no 1 or 0 (or
    "Yes", "No"). Blank is None. Each refusal says what the measure accepts, in its own terms:
    "“Maybe” is not Yes or No. Enter Yes or No."
    """
    text = (raw or "").strip()
    if not text:
        return None
    label = f"{kpi.code} {kpi.name}"
    words = " ".join(text.lower().split())
    if kpi.measure == Measure.YES_NO and words in YES_WORDS | NO_WORDS:
        return Decimal(1 if words in YES_WORDS else 0)
    if kpi.measure == Measure.GRADE and words in GRADE_WORDS:
        return Decimal(GRADE_WORDS[words])
    cleaned = text.replace(",", "").replace("−", "-").replace(" ", "")
    if kpi.measure == Measure.PERCENTAGE:
        cleaned = cleaned.removesuffix("%")
    elif kpi.measure == Measure.MONEY:
        cleaned = re.sub(r"^(-?)£", r"\1", cleaned.replace("£-", "-£"))
    # ASCII digits only: Decimal() would also take "١٢" and other scripts' digits.
    if len(cleaned) > 40 or not re.fullmatch(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", cleaned):
        raise ValidationError(f"{label}: {_unreadable(kpi, text)}.")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:  # pragma: no cover - the pattern above rules it out
        raise ValidationError(f"{label}: {_unreadable(kpi, text)}.") from error
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
    elif kpi.measure in (Measure.GRADE, Measure.YES_NO):
        if value not in ((1, 2, 3, 4) if kpi.measure == Measure.GRADE else (0, 1)):
            raise ValidationError(f"{label}: {_unreadable(kpi, text)}.")
    if value.as_tuple().exponent < -4:
        value = value.quantize(Decimal("0.0001"))
    return value


def _unreadable(kpi: KPI, text: str) -> str:
    """Why ``text`` is not a value of the KPI's measure, and what it accepts."""
    shown = f"“{_short(text)}”"
    if kpi.measure == Measure.YES_NO:
        return f"{shown} is not Yes or No. {ENTER_YES_NO}"
    if kpi.measure == Measure.GRADE:
        return f"{shown} is not a grade. {CHOOSE_GRADE}"
    return f"{shown} is not a number. {EXPECTED.get(kpi.measure, EXPECTED[Measure.NUMBER])}"


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
        if not far:
            return None
        # In the measure's words ("£30,200"), last period's value named once.
        shown, before = (rag.format_value(v, kpi.measure, kpi.unit) for v in (value, previous))
        return f"{shown} is {'up' if change > 0 else 'down'} on last period ({before})"
    if not far:
        return None
    return f"{_plain(value)} is {words} on last period ({_plain(previous)})"


def initial_text(kpi: KPI, value: Decimal) -> str:
    if kpi.measure in (Measure.GRADE, Measure.YES_NO, Measure.COUNT):
        return str(int(value))
    # Every stored digit, so saving the form unchanged changes nothing.
    return f"{value.normalize():f}"
