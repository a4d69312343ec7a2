"""The demo's calendar: the seed's own dates, never shifted towards today.

The Amethyst seed is the trust's plan for 2023/24, and its actions name dates ("Due diligence
presented to Trustees July 2023", "… for January 2024"). The demo is that plan as it stood at
the summer 2024 collection: its periods are 2022/23 (the baseline year) and 2023/24 with summer
2023/24 open, its progress updates are dated within 2023/24 up to AS_OF, and each action is due
by the date its text names or, when it names none, on a day of the plan's academic year. Pages
judge "overdue" against the real today, so read later, every action not complete is overdue,
as a real plan read after its year would be (README, "The demo's dates").
"""

from __future__ import annotations

import calendar
import datetime
import re

from kpis.models import Period, Term

# The plan's academic year 2023/24: from the start of the autumn term to the end of summer.
YEAR_START = datetime.date(2023, 9, 1)
YEAR_END = datetime.date(2024, 7, 31)
# The day the demo stands on: the open summer 2023/24 return's deadline.
AS_OF = datetime.date(2024, 7, 17)

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTH_YEAR = re.compile(r"\b(" + "|".join(MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(20\d{2})\b")
_TERM = re.compile(r"\b(autumn|spring|summer)\s+term(?:\s+([12]))?\b", re.IGNORECASE)
_TERM_YEARS = {"autumn": 0, "spring": 1, "summer": 1}
# The half terms' last days in England: autumn 1 ends in late October, spring 1 in February.
_HALF_TERM_ENDS = {"autumn": (10, 31), "spring": (2, 28), "summer": (5, 31)}
_TERMS = {"autumn": Term.AUTUMN, "spring": Term.SPRING, "summer": Term.SUMMER}


def named_window(
    text: str, year_start: int = YEAR_START.year
) -> tuple[datetime.date, datetime.date] | None:
    """The first and last day of the date an action's text names, or None if it names none.

    "July 2023" is July 2023; "calendared for 2023" is the year 2023; "Autumn Term 1" is the
    first half of the autumn term of the plan's year (``year_start``: 2023 for 2023/24), and
    "Autumn Term" the whole term. A month with its year wins over a bare year.
    """
    match = _MONTH_YEAR.search(text or "")
    if match:
        year, month = int(match.group(2)), MONTHS[match.group(1).lower()]
        last = calendar.monthrange(year, month)[1]
        return datetime.date(year, month, 1), datetime.date(year, month, last)
    match = _TERM.search(text or "")
    if match:
        term = match.group(1).lower()
        period = Period(year_start=year_start, term=_TERMS[term])
        end = period.end_date
        first = {"autumn": (year_start, 9, 1), "spring": (year_start + 1, 1, 1)}.get(
            term, (year_start + 1, 4, 1)
        )
        if match.group(2) == "1":
            month, day = _HALF_TERM_ENDS[term]
            end = datetime.date(year_start + _TERM_YEARS[term], month, day)
        return datetime.date(*first), end
    match = _YEAR.search(text or "")
    if match:
        year = int(match.group(1))
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return None


def due_date_for(text: str, fallback: datetime.date) -> datetime.date:
    """The action's due date: the last day of the date its text names ("July 2023": 31 July
    2023; "calendared for 2023": 31 December 2023), or ``fallback`` when it names none."""
    window = named_window(text)
    if window is None:
        return fallback
    return window[1]
