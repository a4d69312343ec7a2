"""Plausible, clearly-marked demo values for the Amethyst framework.

Seeded random, so every run generates the same values. Each academy has a steady "strength"
and a gentle trend, so its values tell a consistent story across terms and the matrix shows a
realistic mix of green, amber, red and missing.
"""

from __future__ import annotations

import copy
import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from academies.models import Academy, AcademyRole, RoleAssignment
from kpis import ofsted, rag
from kpis.cache import bump_board_version
from kpis.models import (
    KPI,
    Direction,
    Inspection,
    KPIValue,
    Measure,
    NationalFigure,
    Period,
    Return,
    ReturnStatus,
    TargetKind,
    Term,
)
from kpis.returns import default_due_date, sync_inspections
from kpis.selectors import rule_for

DEMO_NOTE = "Demo data: generated, not real."
SUMMER_STATES = {
    "aldersley-high-school": ReturnStatus.DRAFT,
    "moreton-school": ReturnStatus.SUBMITTED,
    "amethyst-sixth-form": ReturnStatus.SENT_BACK,
}
SENT_BACK_REASON = "Demo: 3.4 enrichment looks too low against autumn; please check the register."

# The inspection KPIs (1.9, 2.5, 3.1, 3.2) were grades and yes/no before issue 17; the demo's
# random draws still follow those rules, so every other demo value stays as it was.
LEGACY_RULES = {
    "1.9": (Measure.GRADE, Direction.LOWER_BETTER, Decimal(2), Decimal(1)),
    "2.5": (Measure.GRADE, Direction.LOWER_BETTER, Decimal(2), Decimal(1)),
    "3.2": (Measure.GRADE, Direction.LOWER_BETTER, Decimal(2), Decimal(1)),
    "3.1": (Measure.YES_NO, Direction.HIGHER_BETTER, Decimal(1), Decimal(0)),
}

# The demo academies' Ofsted inspections: each has one on the old four-point scale, and three
# have a report card within the demo's year 2023/24. (Report cards really began on 10
# November 2025; the demo keeps the seed's calendar, so its report cards are dated in it, to
# show both scales side by side: README, "Ofsted inspections".)
RC = ofsted.REPORT_CARD
FP = ofsted.FOUR_POINT
_AREAS6 = (
    "inclusion",
    "curriculum_teaching",
    "achievement",
    "attendance_behaviour",
    "personal_development",
    "leadership_governance",
)
DEMO_INSPECTIONS = [
    # (academy slug, date, framework, grades, safeguarding met)
    (
        "aldersley-high-school",
        datetime.date(2019, 11, 13),
        FP,
        {
            "overall": 2,
            "quality_of_education": 2,
            "behaviour_attitudes": 2,
            "personal_development": 2,
            "leadership_management": 2,
        },
        True,
    ),
    (
        "aldersley-high-school",
        datetime.date(2024, 2, 7),
        RC,
        dict(zip(_AREAS6, (3, 2, 3, 4, 2, 3), strict=True)),
        True,
    ),
    (
        "moreton-school",
        datetime.date(2022, 3, 9),
        FP,
        {
            "overall": 3,
            "quality_of_education": 3,
            "behaviour_attitudes": 3,
            "personal_development": 2,
            "leadership_management": 3,
        },
        True,
    ),
    (
        "amethyst-sixth-form",
        datetime.date(2018, 5, 16),
        FP,
        {
            "overall": 2,
            "quality_of_education": 2,
            "behaviour_attitudes": 2,
            "personal_development": 2,
            "leadership_management": 2,
            "sixth_form": 2,
        },
        True,
    ),
    (
        "amethyst-sixth-form",
        datetime.date(2023, 11, 29),
        RC,
        {**dict(zip(_AREAS6, (2, 2, 3, 3, 2, 2), strict=True)), "sixth_form": 2},
        True,
    ),
    (
        "penn-hall-school",
        datetime.date(2021, 6, 23),
        FP,
        {
            "overall": 1,
            "quality_of_education": 1,
            "behaviour_attitudes": 1,
            "personal_development": 1,
            "leadership_management": 1,
        },
        True,
    ),
    (
        "tettenhall-wood-school",
        datetime.date(2019, 10, 2),
        FP,
        {
            "overall": 2,
            "quality_of_education": 2,
            "behaviour_attitudes": 2,
            "personal_development": 2,
            "leadership_management": 2,
        },
        True,
    ),
    (
        "tettenhall-wood-school",
        datetime.date(2024, 3, 13),
        RC,
        dict(zip(_AREAS6, (3, 3, 3, 3, 3, 3), strict=True)),
        True,
    ),
]


def _legacy(kpi: KPI) -> KPI:
    """The KPI as its rule was before issue 17, for the demo's random draws only."""
    if kpi.code not in LEGACY_RULES:
        return kpi
    legacy = copy.copy(kpi)
    legacy.measure, legacy.direction, legacy.target_value, legacy.amber_margin = LEGACY_RULES[
        kpi.code
    ]
    legacy.inspection_rule = ""
    return legacy


def create_demo_inspections() -> int:
    """The demo's inspections (once) and the inspection KPIs' values they give every period."""
    academies = {a.slug: a for a in Academy.objects.all()}
    created = 0
    for slug, date, framework, grades, safeguarding in DEMO_INSPECTIONS:
        if slug not in academies:
            continue
        _, new = Inspection.objects.get_or_create(
            academy=academies[slug],
            date=date,
            defaults={
                "framework": framework,
                "grades": grades,
                "safeguarding_met": safeguarding,
                "is_demo": True,
            },
        )
        created += new
    # The demo's seeding, as its other values: written straight in, its closed periods and
    # approved returns included (sync_inspections checks every other caller's writes).
    sync_inspections(user=None, reason="Demo data", check=False)
    return created


# National figures for the KPIs judged against national (Attainment 8 and 9-5 English and maths).
NATIONAL = {"1.1": Decimal("46.3"), "1.3": Decimal("45.3")}


def demo_periods() -> list[Period]:
    """2022/23 and 2023/24, three terms each, the seed's own years; 2023/24 summer is the open
    collection period. Each has the default collection deadline (kpis.returns.default_due_date,
    two weeks before the term's last day: summer 2023/24's is demo.dates.AS_OF)."""
    periods = []
    for year_start in (2022, 2023):
        for term in Term:
            period, _ = Period.objects.get_or_create(year_start=year_start, term=term)
            if period.due_date is None:
                period.due_date = default_due_date(period)
                period.save(update_fields=["due_date"])
            periods.append(period)
    current = periods[-1]
    Period.objects.exclude(pk=current.pk).filter(pk__in=[p.pk for p in periods]).update(
        is_open=False
    )
    if not current.is_open:
        current.is_open = True
        current.save(update_fields=["is_open"])
    return periods


def _rounded(kpi: KPI, value: float) -> Decimal:
    if kpi.measure == Measure.PERCENTAGE:
        return Decimal(str(round(min(100.0, max(0.0, value)), 1)))
    if kpi.measure in (Measure.COUNT, Measure.GRADE, Measure.YES_NO):
        return Decimal(max(0, round(value)))
    if kpi.measure == Measure.MONEY:
        return Decimal(round(value / 100) * 100)
    return Decimal(str(round(value, 2)))


def _value(
    kpi: KPI, academy: Academy, period: Period, strength: float, rng: random.Random, baseline
) -> Decimal:
    step = (period.year_start - 2022) * 3 + period.term  # 1..6: later terms a little better
    better = 1 if kpi.direction == Direction.HIGHER_BETTER else -1
    if kpi.measure == Measure.GRADE:
        # Inspection grades change rarely: fixed per academy.
        return Decimal(1 if strength > 0.8 else 3 if strength < -0.8 else 2)
    if kpi.measure == Measure.YES_NO:
        return Decimal(0 if rng.random() < 0.08 + max(0.0, -strength) * 0.15 else 1)
    if kpi.target_kind == TargetKind.CHANGE:
        base = baseline.get((kpi.code, academy.pk, period.term))
        if base is None:  # this is the baseline year itself
            size = academy.pupils_on_roll / (35 if kpi.code == "2.3" else 900)
            return _rounded(kpi, max(0.0, size * rng.uniform(0.7, 1.3)))
        reduction = 0.25 + 0.12 * strength + rng.uniform(-0.15, 0.1)
        return _rounded(kpi, float(base) * (1 - reduction))
    if kpi.target_kind == TargetKind.NATIONAL:
        national = float(NATIONAL[kpi.code])
        return _rounded(kpi, national + 4 * strength + 0.4 * step + rng.gauss(0, 1.5))
    if kpi.measure == Measure.MONEY:
        return _rounded(kpi, 30000 * (strength + 0.3) + rng.gauss(0, 40000))
    if kpi.target_kind == TargetKind.NONE:
        return _rounded(kpi, 12 + 4 * strength + rng.gauss(0, 2))
    target = float(kpi.target_value)
    margin = float(kpi.amber_margin or 1)
    override = next((t for t in kpi.academy_targets.all() if t.academy_id == academy.pk), None)
    if override is not None:
        target = float(override.target_value)
        margin = float(override.amber_margin or margin)
    value = target + better * margin * (0.2 + 1.1 * strength + 0.12 * step + rng.gauss(0, 0.9))
    return _rounded(kpi, value)


def _return_status(academy: Academy, period: Period) -> ReturnStatus | None:
    """The demo return's state (None: not started).

    The states tell a story, and the entry grid shows every state: last year approved; this
    autumn approved; this spring submitted except one academy still in draft (so the board
    sees it missing); in the open summer term Aldersley has a draft, Moreton has submitted,
    the sixth form was sent back, and the special schools have not started.
    """
    if period.year_start == 2022 or period.term == Term.AUTUMN:
        return ReturnStatus.APPROVED
    if period.term == Term.SPRING:
        return ReturnStatus.DRAFT if academy.slug == "moreton-school" else ReturnStatus.SUBMITTED
    return SUMMER_STATES.get(academy.slug)


def _return_times(period: Period, status: ReturnStatus) -> dict:
    """When a demo return was submitted and approved: three days before the period's deadline,
    approved a week after it (a draft was never submitted)."""
    if status == ReturnStatus.DRAFT:
        return {}
    deadline = datetime.datetime.combine(
        period.due_date, datetime.time(12), tzinfo=timezone.get_current_timezone()
    )
    times = {"submitted_at": deadline - datetime.timedelta(days=3)}
    if status == ReturnStatus.APPROVED:
        times["approved_at"] = deadline + datetime.timedelta(days=7)
    return times


# What a head writes beside a red value, by KPI area: the board reads these beside the RAG.
RED_NOTES = {
    1: [
        "Maths lead left at Easter; a new lead started in April and intervention groups run "
        "after school.",
        "Cohort with high prior-attainment gaps; targeted tutoring in place for 40 pupils.",
    ],
    2: [
        "Two families with long-term absence account for most of the gap; the attendance "
        "officer is involved and plans are in place.",
        "Spike after a behaviour policy relaunch in January; incidents fell in the last "
        "four weeks.",
    ],
    3: [
        "Enrichment paused during the building works; the programme restarts next term.",
        "Student council elections moved to next term after staffing changes.",
    ],
    4: [
        "Recruitment under way for two posts; interim cover from the trust's central team.",
        "Audit actions agreed with the finance committee; due for completion next term.",
    ],
}


def _note(kpi: KPI, rule_override, value, baseline, rng: random.Random) -> str:
    """A head's explanation for a red demo value; other values carry no note (the board marks
    demo data as such without one)."""
    judgement = rag.judge(
        rule_for(kpi, rule_override),
        value,
        baseline=baseline,
        national=NATIONAL.get(kpi.code),
    )
    if judgement.outcome != rag.Outcome.RED:
        return ""
    return rng.choice(RED_NOTES.get(kpi.area.number, RED_NOTES[4]))


def _date_the_returns(returns: list[Return], heads: dict) -> None:
    """Each demo return's last change on the day of its last event, in the seed's year (its
    updated_at is auto_now: set after the insert), by its academy's demo head where there is
    one; a sent-back return was sent back by central team two days after its deadline."""
    central = get_user_model().objects.filter(username="central").first()
    for ret in returns:
        head = heads.get(ret.academy_id)
        fields = {"updated_by": head}
        if ret.submitted_at:
            fields.update(submitted_by=head, updated_at=ret.approved_at or ret.submitted_at)
        if ret.status == ReturnStatus.SENT_BACK:
            deadline = datetime.datetime.combine(
                ret.period.due_date, datetime.time(12), tzinfo=timezone.get_current_timezone()
            )
            fields.update(updated_by=central, updated_at=deadline + datetime.timedelta(days=2))
        if ret.status == ReturnStatus.DRAFT:
            deadline = datetime.datetime.combine(
                ret.period.due_date, datetime.time(9), tzinfo=timezone.get_current_timezone()
            )
            fields.update(updated_at=deadline - datetime.timedelta(days=5))
        Return.objects.filter(academy_id=ret.academy_id, period_id=ret.period_id).update(**fields)


def generate_demo_values(*, seed: int = 2023) -> int:
    """Create demo values, returns and national figures once; returns the values created."""
    if KPIValue.objects.filter(is_demo=True).exists():
        return 0
    rng = random.Random(seed)
    periods = demo_periods()
    academies = list(Academy.objects.order_by("name"))
    kpis = list(KPI.objects.with_area().prefetch_related("academy_targets"))
    strength = {academy.pk: rng.uniform(-1.0, 1.0) for academy in academies}
    heads = {
        ra.academy_id: ra.user
        for ra in RoleAssignment.objects.filter(role=AcademyRole.HEADTEACHER).select_related("user")
    }

    NationalFigure.objects.bulk_create(
        [
            NationalFigure(kpi=kpi, period=period, value=NATIONAL[kpi.code], source=DEMO_NOTE)
            for kpi in kpis
            if kpi.code in NATIONAL
            for period in periods
        ],
        ignore_conflicts=True,
    )

    returns = []
    values = []
    baseline: dict[tuple[str, int, int], Decimal] = {}
    for period in periods:
        for academy in academies:
            status = _return_status(academy, period)
            if status is None:
                continue
            reason = SENT_BACK_REASON if status == ReturnStatus.SENT_BACK else ""
            returns.append(
                Return(
                    academy=academy,
                    period=period,
                    status=status,
                    sent_back_reason=reason,
                    **_return_times(period, status),
                )
            )
            for kpi in kpis:
                if not kpi.applies_to(academy):
                    continue
                from_inspections = kpi.measure == Measure.INSPECTION
                kpi = _legacy(kpi)
                before = baseline.get((kpi.code, academy.pk, period.term))
                value = _value(kpi, academy, period, strength[academy.pk], rng, baseline)
                if period.year_start == 2022:
                    baseline[(kpi.code, academy.pk, period.term)] = value
                    before = None  # the baseline year itself has nothing to compare with
                override = next(
                    (t for t in kpi.academy_targets.all() if t.academy_id == academy.pk), None
                )
                note = _note(kpi, override, value, before, rng)
                if from_inspections:
                    continue  # its values come from the academy's inspections
                values.append(
                    KPIValue(
                        kpi=kpi,
                        academy=academy,
                        period=period,
                        value=value,
                        note=note,
                        updated_by=heads.get(academy.pk) if note else None,
                        is_demo=True,
                    )
                )
    # Before the returns exist, so carrying the inspections into each period changes no
    # return's version or time (the demo's returns are dated as their heads made them).
    create_demo_inspections()
    Return.objects.bulk_create(returns, ignore_conflicts=True)
    _date_the_returns(returns, heads)
    bulk_create_with_history(values, KPIValue, default_change_reason="Demo data")
    bump_board_version()  # bulk writes send no signals
    return len(values)
