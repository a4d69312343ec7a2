"""Ofsted inspections as KPIs: the two frameworks, their grades, and how an inspection becomes
a KPI's value. Pure functions and tables: no ORM, no templates.

Two frameworks, never mapped onto each other (Ofsted: the old grades cannot be compared with
the new ones):
- ``four_point``: the grades before November 2025: an overall effectiveness and key judgements
  graded 1 outstanding – 4 inadequate, and safeguarding effective or not;
- ``report_card``: report cards from 10 November 2025: each evaluation area graded on five
  points (exceptional … urgent improvement) and safeguarding met or not met; no overall grade.

An inspection-based KPI asks one of three questions (``KPI.inspection_rule``):
- ``all_areas``: every area at expected standard or above and safeguarding met (green); amber
  when any area needs attention; red when any area is urgent improvement or safeguarding is not
  met. On the old scale the same KPI reads its overall grade: good or better is green,
  requires improvement amber, inadequate (or safeguarding not effective) red;
- ``area``: one area (``KPI.inspection_area``) at expected standard or above (old scale: that
  key judgement good or better, where the old framework graded it);
- ``safeguarding``: safeguarding met (old scale: effective).

The value a KPI holds for a period is a code of this module (``CODES``): each code is one
reading on one framework's scale, so a code names its own words and outcome, and two codes of
different frameworks are never compared (``comparable``). Pages, exports and papers show the
words, never the code.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

FOUR_POINT = "four_point"
REPORT_CARD = "report_card"
FRAMEWORKS = {
    REPORT_CARD: "Ofsted report card (from November 2025)",
    FOUR_POINT: "Ofsted grades 1–4 (before November 2025)",
}

# Report cards replaced the grades for inspections from this day (Ofsted, school inspection
# toolkit, November 2025): an inspection's date says which framework it was on.
REPORT_CARDS_FROM = datetime.date(2025, 11, 10)

ALL_AREAS = "all_areas"
AREA = "area"
SAFEGUARDING = "safeguarding"
RULES = {
    ALL_AREAS: "Every area at expected standard or above, and safeguarding met",
    AREA: "One evaluation area at expected standard or above",
    SAFEGUARDING: "Safeguarding met",
}

# Report-card evaluation areas for schools, in Ofsted's order; the last two only where a
# school has them.
REPORT_CARD_AREAS = {
    "inclusion": "Inclusion",
    "curriculum_teaching": "Curriculum and teaching",
    "achievement": "Achievement",
    "attendance_behaviour": "Attendance and behaviour",
    "personal_development": "Personal development and well-being",
    "leadership_governance": "Leadership and governance",
    "early_years": "Early years",
    "sixth_form": "Sixth form",
}
OPTIONAL_AREAS = ("early_years", "sixth_form")
REPORT_GRADES = {
    1: "Exceptional",
    2: "Strong standard",
    3: "Expected standard",
    4: "Needs attention",
    5: "Urgent improvement",
}

# The old framework's judgements (the education inspection framework, 2019–2025).
FOUR_POINT_AREAS = {
    "overall": "Overall effectiveness",
    "quality_of_education": "Quality of education",
    "behaviour_attitudes": "Behaviour and attitudes",
    "personal_development": "Personal development",
    "leadership_management": "Leadership and management",
    "early_years": "Early years provision",
    "sixth_form": "Sixth-form provision",
}
# The old judgement a report-card area's KPI reads while an inspection before November 2025 is
# in force: the same question on the old scale (its own grades, never converted). Inclusion
# and achievement had no judgement of their own.
OLD_JUDGEMENT = {
    "curriculum_teaching": "quality_of_education",
    "attendance_behaviour": "behaviour_attitudes",
    "personal_development": "personal_development",
    "leadership_governance": "leadership_management",
    "early_years": "early_years",
    "sixth_form": "sixth_form",
}
FOUR_POINT_GRADES = {1: "Outstanding", 2: "Good", 3: "Requires improvement", 4: "Inadequate"}

AREAS = {REPORT_CARD: REPORT_CARD_AREAS, FOUR_POINT: FOUR_POINT_AREAS}
GRADES = {REPORT_CARD: REPORT_GRADES, FOUR_POINT: FOUR_POINT_GRADES}
SAFEGUARDING_WORDS = {
    REPORT_CARD: {True: "Met", False: "Not met"},
    FOUR_POINT: {True: "Effective", False: "Not effective"},
}

GREEN, AMBER, RED = "green", "amber", "red"

# code → (framework, words shown, outcome). Lower codes of one framework are better.
CODES: dict[int, tuple[str, str, str]] = {
    1: (FOUR_POINT, "Outstanding (pre-2025 grade)", GREEN),
    2: (FOUR_POINT, "Good (pre-2025 grade)", GREEN),
    3: (FOUR_POINT, "Requires improvement (pre-2025 grade)", AMBER),
    4: (FOUR_POINT, "Inadequate (pre-2025 grade)", RED),
    8: (FOUR_POINT, "Safeguarding effective (pre-2025)", GREEN),
    9: (FOUR_POINT, "Safeguarding not effective (pre-2025)", RED),
    11: (REPORT_CARD, "Exceptional", GREEN),
    12: (REPORT_CARD, "Strong standard", GREEN),
    13: (REPORT_CARD, "Expected standard", GREEN),
    14: (REPORT_CARD, "Needs attention", AMBER),
    15: (REPORT_CARD, "Urgent improvement", RED),
    16: (REPORT_CARD, "Safeguarding not met", RED),
    18: (REPORT_CARD, "Safeguarding met", GREEN),
    19: (REPORT_CARD, "Safeguarding not met", RED),
}
# code → the questions (KPI.inspection_rule) whose KPIs read the code back from its words
# (parse_words), as code_of gives them: the grades for a KPI of every area or of one area, the
# safeguarding readings for a safeguarding KPI; safeguarding not met or not effective also for
# a KPI of every area (16 on report cards, where 19 is the safeguarding KPI's; 9 on the old
# scale, shared), and no reading of one area.
_GRADED = (ALL_AREAS, AREA)
QUESTIONS: dict[int, tuple[str, ...]] = {
    **dict.fromkeys((1, 2, 3, 4, 11, 12, 13, 14, 15), _GRADED),
    **dict.fromkeys((8, 18, 19), (SAFEGUARDING,)),
    9: (SAFEGUARDING, ALL_AREAS),
    16: (ALL_AREAS,),
}
_OFFSET = {FOUR_POINT: 0, REPORT_CARD: 10}
# What a code's KPI asks, in words, by framework ("the target").
TARGET_WORDS = {
    (REPORT_CARD, ALL_AREAS): "every area at expected standard or above, safeguarding met",
    (REPORT_CARD, AREA): "expected standard or above",
    (REPORT_CARD, SAFEGUARDING): "safeguarding met",
    (FOUR_POINT, ALL_AREAS): "good or better (pre-2025 grades)",
    (FOUR_POINT, AREA): "good or better (pre-2025 grades)",
    (FOUR_POINT, SAFEGUARDING): "safeguarding effective (pre-2025)",
}


def code_of(
    rule: str,
    area: str,
    framework: str,
    grades: dict[str, int],
    safeguarding: bool | None,
) -> int | None:
    """The code an inspection gives a KPI asking ``rule`` (of ``area``), or None when the
    inspection does not answer it (an area it did not grade, safeguarding not recorded)."""
    offset = _OFFSET[framework]
    if rule == SAFEGUARDING:
        if safeguarding is None:
            return None
        return offset + (8 if safeguarding else 9)
    if rule == AREA:
        grade = grades.get(area if framework == REPORT_CARD else OLD_JUDGEMENT.get(area, ""))
        return None if grade is None else offset + int(grade)
    # Every area: on report cards the worst area, unless safeguarding is not met; on the old
    # scale the overall grade (safeguarding not effective is red whatever the grade).
    if safeguarding is False:
        return 16 if framework == REPORT_CARD else 9
    if framework == FOUR_POINT:
        grade = grades.get("overall")
        return None if grade is None else int(grade)
    graded = [int(g) for g in grades.values() if g is not None]
    return 10 + max(graded) if graded else None


def _code(value: Decimal | int | None) -> int | None:
    if value is None:
        return None
    value = Decimal(value)
    if value != value.to_integral_value() or int(value) not in CODES:
        return None
    return int(value)


def words(value: Decimal | int | None) -> str:
    """The words of a code: "Needs attention", "Good (pre-2025 grade)"."""
    code = _code(value)
    if code is None:
        return "—" if value is None else "not an inspection reading"
    return CODES[code][1]


def outcome(value: Decimal | int) -> str | None:
    """green, amber or red for a code; None if it is not one."""
    code = _code(value)
    return None if code is None else CODES[code][2]


def framework_of(value: Decimal | int | None) -> str | None:
    code = _code(value)
    return None if code is None else CODES[code][0]


def comparable(a: Decimal | int | None, b: Decimal | int | None) -> bool:
    """Two readings on the same framework's scale (report cards never compare with grades)."""
    fa, fb = framework_of(a), framework_of(b)
    return fa is not None and fa == fb


def target_words(rule: str, framework: str | None = None) -> str:
    return TARGET_WORDS[(framework or REPORT_CARD, rule or ALL_AREAS)]


def parse_words(text: str, rule: str) -> int | None:
    """A code from the words an export wrote ("Needs attention"), for the KPI's rule; None
    when the words are none of that rule's readings."""
    wanted = " ".join((text or "").lower().split())
    question = rule if rule in (AREA, SAFEGUARDING) else ALL_AREAS
    for code, (_, shown, _) in CODES.items():
        if shown.lower() == wanted and question in QUESTIONS[code]:
            return code
    return None


def grade_words(framework: str, grade: int | None) -> str:
    return "—" if grade is None else GRADES[framework].get(int(grade), str(grade))


def grade_from_words(framework: str, text: str) -> int | None:
    """A grade from its words on a framework's scale ("needs attention" → 4), or from its
    number; None if neither."""
    wanted = " ".join((text or "").lower().split())
    for grade, name in GRADES[framework].items():
        if name.lower() == wanted or str(grade) == wanted:
            return grade
    return None


def worst_areas(grades: dict[str, int], framework: str) -> list[str]:
    """The names of the areas with the worst grade (for the note beside "Needs attention")."""
    graded = {k: int(g) for k, g in grades.items() if g is not None and k != "overall"}
    if not graded:
        return []
    worst = max(graded.values())
    return [AREAS[framework][k].lower() for k, g in graded.items() if g == worst]


def date_problem(framework: str, date: datetime.date) -> str | None:
    """Why an inspection of this date cannot be on this framework, or None."""
    when = f"{date:%-d %B %Y}"
    if framework == REPORT_CARD and date < REPORT_CARDS_FROM:
        return (
            f"Report cards began on 10 November 2025: an inspection of {when} was graded 1–4 "
            "(choose “grades 1–4”)."
        )
    if framework == FOUR_POINT and date >= REPORT_CARDS_FROM:
        return (
            f"Inspections from 10 November 2025 give report cards: an inspection of {when} has "
            "no grades 1–4 (choose “report card”)."
        )
    return None
