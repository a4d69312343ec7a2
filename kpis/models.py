"""The KPI framework: areas, KPIs with their target rules, periods, values and termly returns."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from academies.models import Academy, Phase
from kpis import ofsted


class Area(models.Model):
    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Measure(models.TextChoices):
    NUMBER = "number", "Number"
    PERCENTAGE = "percentage", "Percentage (0–100)"
    COUNT = "count", "Count"
    GRADE = "grade", "Ofsted-style grade (1 outstanding – 4 inadequate)"
    YES_NO = "yes_no", "Yes / no"
    MONEY = "money", "Money (£)"
    INSPECTION = "inspection", "From the academy's Ofsted inspections"


class Direction(models.TextChoices):
    HIGHER_BETTER = "higher", "Higher is better"
    LOWER_BETTER = "lower", "Lower is better"


class TargetKind(models.TextChoices):
    NONE = "none", "No target"
    ABSOLUTE = "absolute", "Absolute (e.g. attendance ≥ 95)"
    CHANGE = "change", "Change from baseline (e.g. suspensions reduced by 25%)"
    NATIONAL = "national", "Relative to the national figure"


class Aggregation(models.TextChoices):
    MEAN = "mean", "Mean of academies"
    WEIGHTED_MEAN = "weighted_mean", "Mean weighted by pupils on roll"
    SUM = "sum", "Sum"
    MIN = "min", "Minimum (worst or lowest academy)"
    MAX = "max", "Maximum"
    SHARE_MEETING = "share_meeting", "Share of academies meeting target (%)"
    SHARE_PUPILS_MEETING = (
        "share_pupils_meeting",
        "Share of pupils in academies meeting target (%)",
    )


class Frequency(models.TextChoices):
    TERMLY = "termly", "Every term"
    ANNUALLY = "annually", "Once a year"


class InspectionRule(models.TextChoices):
    NONE = "", "Not from inspections"
    ALL_AREAS = ofsted.ALL_AREAS, ofsted.RULES[ofsted.ALL_AREAS]
    AREA = ofsted.AREA, ofsted.RULES[ofsted.AREA]
    SAFEGUARDING = ofsted.SAFEGUARDING, ofsted.RULES[ofsted.SAFEGUARDING]


class Framework(models.TextChoices):
    REPORT_CARD = ofsted.REPORT_CARD, ofsted.FRAMEWORKS[ofsted.REPORT_CARD]
    FOUR_POINT = ofsted.FOUR_POINT, ofsted.FRAMEWORKS[ofsted.FOUR_POINT]


class DfeTransform(models.TextChoices):
    NONE = "", "As published"
    HUNDRED_MINUS = "100_minus", "100 minus the published figure"


class KPIQuerySet(models.QuerySet):
    def active(self) -> KPIQuerySet:
        return self.filter(is_active=True)

    def with_area(self) -> KPIQuerySet:
        return self.select_related("area").order_by("area__number", "position", "code")


class KPI(models.Model):
    """One indicator of the framework and the rule that judges its values.

    Target rule, by ``target_kind``:
    - absolute: the value must reach ``target_value`` in ``direction``;
    - change: the value must improve on the same term of ``baseline_year`` by ``target_value``
      per cent (``direction`` says which way is better: "reduced by 25%" is lower-better, 25);
    - national: the value must reach the national figure for the period, offset by
      ``target_value`` (0 = at least national).
    ``amber_margin`` is how far short of the target still counts as amber (same units as the
    comparison: the measure's units, or percentage points of change for change targets).
    """

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="kpis")
    code = models.CharField(
        max_length=10, unique=True, help_text="As in the framework, e.g. “2.1”."
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order within its area.")
    name = models.CharField(max_length=300, help_text="What pages show.")
    seed_name = models.CharField(
        max_length=300,
        blank=True,
        help_text="The framework document's own wording, where the name shown differs from it "
        "(the seed's “Persistence absence < xxxxx” is shown as “Persistent absence below target”).",
    )
    description = models.TextField(blank=True, help_text="Definition: what is measured and how.")
    measure = models.CharField(max_length=12, choices=Measure.choices, default=Measure.NUMBER)
    direction = models.CharField(
        max_length=8, choices=Direction.choices, default=Direction.HIGHER_BETTER
    )
    unit = models.CharField(max_length=20, blank=True, help_text="Shown after values, e.g. “%”.")
    target_kind = models.CharField(
        max_length=10, choices=TargetKind.choices, default=TargetKind.NONE
    )
    target_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    amber_margin = models.DecimalField(
        max_digits=14, decimal_places=4, null=True, blank=True, default=Decimal("0")
    )
    baseline_year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="For change targets: first calendar year of the baseline academic year "
        "(2022 for 2022/23).",
    )
    trust_target_value = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Target for the trust column; blank uses the academy target. For “share of "
        "academies meeting target” it is the share required, in per cent.",
    )
    aggregation = models.CharField(
        max_length=24, choices=Aggregation.choices, default=Aggregation.MEAN
    )
    phases = models.JSONField(
        default=list,
        blank=True,
        help_text="Phases the KPI applies to; empty means every phase.",
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.TERMLY)
    dfe_source = models.CharField(
        "DfE source column",
        max_length=60,
        blank=True,
        help_text="The Explore Education Statistics column this KPI's values come from, e.g. "
        "“susp_rate” (manage.py import_dfe); blank when the DfE does not publish it.",
    )
    dfe_transform = models.CharField(
        "DfE transform",
        max_length=12,
        choices=DfeTransform.choices,
        blank=True,
        default=DfeTransform.NONE,
        help_text="How the DfE figure becomes this KPI's value (attendance is 100 minus "
        "overall absence).",
    )
    inspection_rule = models.CharField(
        max_length=12,
        choices=InspectionRule.choices,
        blank=True,
        default=InspectionRule.NONE,
        help_text="For measure “From inspections”: what the KPI asks of the academy's "
        "inspection in force.",
    )
    inspection_area = models.CharField(
        max_length=24,
        choices=[(k, v) for k, v in ofsted.REPORT_CARD_AREAS.items()],
        blank=True,
        help_text="For “one evaluation area”: which area.",
    )
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()
    objects = KPIQuerySet.as_manager()

    class Meta:
        ordering = ["area__number", "position", "code"]
        verbose_name = "KPI"
        verbose_name_plural = "KPIs"
        constraints = [
            models.CheckConstraint(
                condition=Q(measure__in=Measure.values), name="kpi_measure_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="kpi_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(target_kind__in=TargetKind.values), name="kpi_target_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(aggregation__in=Aggregation.values), name="kpi_aggregation_valid"
            ),
            models.CheckConstraint(
                condition=Q(target_kind=TargetKind.NONE) | Q(target_value__isnull=False),
                name="kpi_target_has_value",
            ),
            models.CheckConstraint(
                condition=~Q(target_kind=TargetKind.CHANGE) | Q(baseline_year__isnull=False),
                name="kpi_change_target_has_baseline",
            ),
            models.CheckConstraint(
                condition=Q(amber_margin__isnull=True) | Q(amber_margin__gte=0),
                name="kpi_amber_margin_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("kpis:detail", args=[self.code])

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.target_kind != TargetKind.NONE and self.target_value is None:
            errors["target_value"] = "A target needs a target value."
        if self.target_kind == TargetKind.CHANGE and self.baseline_year is None:
            errors["baseline_year"] = "A change-from-baseline target needs a baseline year."
        if (self.measure == Measure.INSPECTION) != bool(self.inspection_rule):
            errors["inspection_rule"] = (
                "A KPI measured from inspections needs the question it asks of them, and only "
                "such a KPI has one."
            )
        if self.inspection_rule == InspectionRule.AREA and not self.inspection_area:
            errors["inspection_area"] = "Choose the evaluation area this KPI asks about."
        unknown = [p for p in self.phases or [] if p not in Phase.values]
        if unknown:
            errors["phases"] = f"Unknown phase(s): {', '.join(map(str, unknown))}."
        if errors:
            raise ValidationError(errors)

    @property
    def phase_labels(self) -> list[str]:
        return [Phase(p).label for p in self.phases or []]

    def applies_to(self, academy: Academy) -> bool:
        return not self.phases or academy.phase in self.phases

    @property
    def chart_reversed(self) -> bool:
        """Its academies' charts run lower-is-better up the axis (an inspection KPI's plot
        its rating instead, green at the top: board.charts)."""
        return self.lower_is_better and not self.from_inspections

    @property
    def from_inspections(self) -> bool:
        """Its values come from the academy's Ofsted inspections (kpis.returns.
        sync_inspections), never from a return form or a values import."""
        return self.measure == Measure.INSPECTION

    @property
    def lower_is_better(self) -> bool:
        return self.direction == Direction.LOWER_BETTER


class AcademyTarget(models.Model):
    """A per-academy override of the KPI's target (a special school's attendance target)."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="academy_targets")
    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="kpi_targets")
    target_value = models.DecimalField(max_digits=14, decimal_places=4)
    amber_margin = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Blank keeps the KPI's own amber margin.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["kpi__code", "academy__name"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "academy"], name="academytarget_unique"),
            models.CheckConstraint(
                condition=Q(amber_margin__isnull=True) | Q(amber_margin__gte=0),
                name="academytarget_amber_margin_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} target for {self.academy}: {self.target_value.normalize()}"


class Term(models.IntegerChoices):
    AUTUMN = 1, "Autumn"
    SPRING = 2, "Spring"
    SUMMER = 3, "Summer"


# The academic years a Period may hold, by first calendar year (1990 for 1990/91): the
# period_year_plausible constraint, and every check before a period is created, use these.
PERIOD_YEARS = (1990, 2200)


def period_year_problem(year_start: int) -> str | None:
    """Why a period starting in `year_start` cannot be held, or None if it can."""
    first, last = PERIOD_YEARS
    if first <= year_start <= last:
        return None
    return (
        f"this app holds periods of the academic years {format_academic_year(first)} to "
        f"{format_academic_year(last)} only"
    )


class PeriodQuerySet(models.QuerySet):
    def open(self) -> PeriodQuerySet:
        return self.filter(is_open=True)


class Period(models.Model):
    """One term of one academic year: the unit of KPI collection (“2023/24 Autumn”)."""

    year_start = models.PositiveSmallIntegerField(
        help_text="First calendar year of the academic year: 2023 for 2023/24."
    )
    term = models.PositiveSmallIntegerField(choices=Term.choices)
    slug = models.SlugField(max_length=30, unique=True, editable=False)
    is_open = models.BooleanField(default=False, help_text="Open for data entry.")
    due_date = models.DateField(null=True, blank=True, help_text="When returns are due.")

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["year_start", "term"]
        constraints = [
            models.UniqueConstraint(fields=["year_start", "term"], name="period_unique_year_term"),
            models.CheckConstraint(condition=Q(term__in=Term.values), name="period_term_valid"),
            models.CheckConstraint(
                condition=Q(year_start__gte=PERIOD_YEARS[0]) & Q(year_start__lte=PERIOD_YEARS[1]),
                name="period_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.academic_year} {self.get_term_display()}"

    def save(self, *args, **kwargs) -> None:
        self.slug = self.make_slug(self.year_start, self.term)
        super().save(*args, **kwargs)

    @property
    def end_date(self) -> datetime.date:
        """The term's last day, for "due by the end of the autumn term": 31 December,
        31 March or 31 July (English school terms end before these dates every year)."""
        if self.term == Term.AUTUMN:
            return datetime.date(self.year_start, 12, 31)
        if self.term == Term.SPRING:
            return datetime.date(self.year_start + 1, 3, 31)
        return datetime.date(self.year_start + 1, 7, 31)

    def return_overdue(self, ret: Return | None, today: datetime.date) -> bool:
        """Whether an academy's return for this term is overdue: the due date has passed and
        the return (None: not started) is neither submitted nor approved."""
        if self.due_date is None or self.due_date >= today:
            return False
        return ret is None or not ret.is_published

    @property
    def academic_year(self) -> str:
        return format_academic_year(self.year_start)

    @staticmethod
    def make_slug(year_start: int, term: int) -> str:
        return f"{format_academic_year(year_start, sep='-')}-{Term(term).label.lower()}"


def format_academic_year(year_start: int, sep: str = "/") -> str:
    """The one academic-year label: 2023 → "2023/24"; with sep="-", "2023-24" (period slugs,
    sheet names)."""
    return f"{year_start}{sep}{(year_start + 1) % 100:02d}"


class NationalFigure(models.Model):
    """The national figure for a KPI in a period, for "relative to national" targets."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="national_figures")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="national_figures")
    value = models.DecimalField(max_digits=14, decimal_places=4)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["kpi__code", "period"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "period"], name="nationalfigure_unique"),
        ]

    def __str__(self) -> str:
        return f"National {self.kpi.code} {self.period}: {self.value.normalize()}"


class ReturnStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    SENT_BACK = "sent_back", "Sent back"


# A head may change the values of a return in these states (and of one not yet started).
HEAD_EDITABLE_STATUSES = (ReturnStatus.DRAFT, ReturnStatus.SENT_BACK)


# Values the board may see: DESIGN.md, "Board dashboards count submitted and approved values only".
PUBLISHED_STATUSES = (ReturnStatus.SUBMITTED, ReturnStatus.APPROVED)


class Return(models.Model):
    """One academy's KPI return for one period: draft → submitted → approved (reopenable)."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="returns")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="returns")
    status = models.CharField(
        max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.DRAFT
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_back_reason = models.TextField(
        blank=True, help_text="Why central team sent the return back to the academy."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Raised on every save; a stale form is refused (no lost updates)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["period", "academy__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["academy", "period"], name="return_unique_academy_period"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReturnStatus.values), name="return_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.academy} {self.period} ({self.get_status_display().lower()})"

    @property
    def is_published(self) -> bool:
        return self.status in PUBLISHED_STATUSES


class KPIValueQuerySet(models.QuerySet):
    def published(self) -> KPIValueQuerySet:
        """Values whose academy's return for that period is submitted or approved."""
        return self.filter(
            Exists(
                Return.objects.filter(
                    academy=OuterRef("academy"),
                    period=OuterRef("period"),
                    status__in=PUBLISHED_STATUSES,
                )
            )
        )


class KPIValue(models.Model):
    """One KPI's value for one academy in one period, with its full change history."""

    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="values")
    academy = models.ForeignKey(Academy, on_delete=models.PROTECT, related_name="kpi_values")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="kpi_values")
    value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    not_available = models.BooleanField(
        default=False, help_text="No value can be given this period; the note says why."
    )
    note = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False, help_text="Generated demo data, not real.")

    history = HistoricalRecords()
    objects = KPIValueQuerySet.as_manager()

    class Meta:
        ordering = ["period", "kpi__code", "academy__name"]
        verbose_name = "KPI value"
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "academy", "period"], name="kpivalue_unique_kpi_academy_period"
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | Q(not_available=True),
                name="kpivalue_value_or_not_available",
            ),
        ]
        indexes = [models.Index(fields=["period", "academy"], name="kpivalue_period_academy")]

    def __str__(self) -> str:
        shown = "not available" if self.value is None else f"{self.value.normalize()}"
        return f"{self.kpi.code} {self.academy.short_name} {self.period}: {shown}"


class BoardVersion(models.Model):
    """A token that changes whenever anything the board shows changes (kpis.cache)."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token


class ColumnVersion(models.Model):
    """The version tokens of the matrix's judged academy columns (kpis.cache, issue 19): key
    "all" changes with any change to the board (every column), key "<academy id>" with a
    change to that academy's values or returns only (its column)."""

    key = models.CharField(max_length=20, primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.key}: {self.token}"


class Inspection(models.Model):
    """One Ofsted inspection of an academy, on its own framework's scale (kpis.ofsted).

    Recorded once; every period from the inspection's date shows it until the next one (the
    KPIs measured from inspections take their values from it: kpis.returns.sync_inspections).
    """

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="inspections")
    date = models.DateField(help_text="The inspection's (last) day.")
    framework = models.CharField(max_length=12, choices=Framework.choices)
    grades = models.JSONField(
        default=dict,
        blank=True,
        help_text="Area → grade on the framework's scale (report cards 1 exceptional – 5 "
        "urgent improvement; before November 2025, 1 outstanding – 4 inadequate).",
    )
    safeguarding_met = models.BooleanField(
        null=True, help_text="Report cards: met; before November 2025: effective."
    )
    report_url = models.URLField(blank=True, help_text="The report on reports.ofsted.gov.uk.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False, help_text="Generated demo data, not real.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["academy__name", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["academy", "date"], name="inspection_unique_day"),
            models.CheckConstraint(
                condition=Q(framework__in=Framework.values), name="inspection_framework_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.academy} inspection {self.date:%-d %b %Y} ({self.get_framework_display()})"

    def clean(self) -> None:
        problems = inspection_problems(self.framework, self.grades or {}, self.safeguarding_met)
        if problems:
            raise ValidationError({"grades": problems})

    def grade_rows(self) -> list[tuple[str, str]]:
        """(area, grade in words) in the framework's order, graded areas only."""
        areas = ofsted.AREAS.get(self.framework, {})
        return [
            (name, ofsted.grade_words(self.framework, self.grades[key]))
            for key, name in areas.items()
            if self.grades.get(key) is not None
        ]

    @property
    def safeguarding_words(self) -> str:
        if self.safeguarding_met is None:
            return "not recorded"
        return ofsted.SAFEGUARDING_WORDS[self.framework][self.safeguarding_met]

    def summary(self) -> str:
        """ "Report card, 12 March 2026: needs attention in attendance and behaviour." """
        when = f"{self.date:%-d %B %Y}"
        if self.framework == ofsted.FOUR_POINT:
            overall = ofsted.grade_words(self.framework, self.grades.get("overall"))
            return f"Ofsted inspection of {when} (pre-2025 grades): {overall.lower()} overall."
        worst = ofsted.worst_areas(self.grades or {}, self.framework)
        graded = [int(g) for g in (self.grades or {}).values() if g is not None]
        if not graded:
            found = "no grades recorded"
        elif max(graded) > 3:
            found = (
                f"{ofsted.grade_words(self.framework, max(graded)).lower()} in {', '.join(worst)}"
            )
        else:
            found = f"{ofsted.grade_words(self.framework, max(graded)).lower()} or above everywhere"
        safeguarding = self.safeguarding_words.lower()
        return f"Ofsted report card of {when}: {found}; safeguarding {safeguarding}."


def inspection_problems(framework: str, grades: dict, safeguarding: bool | None) -> list[str]:
    """What is wrong with an inspection's grades for its framework, in words ([] if nothing)."""
    if framework not in ofsted.AREAS:
        return [f"Unknown framework “{framework}”."]
    areas, scale = ofsted.AREAS[framework], ofsted.GRADES[framework]
    problems = []
    for key, grade in grades.items():
        if key not in areas:
            problems.append(f"“{key}” is not an area of {ofsted.FRAMEWORKS[framework]}.")
        elif grade is not None and (not isinstance(grade, int) or grade not in scale):
            problems.append(
                f"{areas[key]}: {grade!r} is not a grade of {ofsted.FRAMEWORKS[framework]} "
                f"(1–{max(scale)})."
            )
    if framework == ofsted.REPORT_CARD:
        required = [k for k in areas if k not in ofsted.OPTIONAL_AREAS]
        lacking = [areas[k] for k in required if grades.get(k) is None]
        if lacking:
            problems.append(f"A report card grades every area: {', '.join(lacking)} missing.")
        if safeguarding is None:
            problems.append("A report card says whether safeguarding is met.")
    elif grades.get("overall") is None:
        problems.append("An inspection before November 2025 has an overall effectiveness grade.")
    return problems
