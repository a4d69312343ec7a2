"""The trust development plan: plan → strategic objective → aim → action → progress update.

Both seed plans fit: in the 2023/24 Amethyst plan each action serves one aim and names its
responsibility, KPIs and monitors; in the 2019–2022 plan actions and success criteria are
stated once for a *group* of sub-priorities, so an action (and a success criterion) links to
one or more aims of its objective.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from academies.models import Academy, Owner
from kpis.models import KPI, Period, format_academic_year


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


class Plan(models.Model):
    title = models.CharField(max_length=200)
    start_year = models.PositiveSmallIntegerField(help_text="First calendar year covered: 2023.")
    end_year = models.PositiveSmallIntegerField(help_text="Last calendar year covered: 2024.")
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    history = HistoricalRecords()
    introduction = models.TextField(blank=True)
    objective_label = models.CharField(
        max_length=40,
        default="Strategic objective",
        help_text="What this plan calls its top level (“Key priority”).",
    )
    aim_label = models.CharField(
        max_length=40, default="Aim", help_text="What this plan calls its second level."
    )

    class Meta:
        ordering = ["-start_year", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")), name="plan_years_in_order"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="plan_status_valid"
            ),
            # At most one plan is the trust's current plan.
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="plan_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.years})"

    @property
    def years(self) -> str:
        if self.end_year == self.start_year + 1:
            return format_academic_year(self.start_year)
        return f"{self.start_year}–{self.end_year}"

    def covers(self, period: Period) -> bool:
        """Whether the period is in one of the plan's academic years: a plan of 2019–2022
        covers 2019/20 to 2021/22, one of 2023–2024 covers 2023/24."""
        return self.start_year <= period.year_start <= max(self.start_year, self.end_year - 1)


class StrategicObjective(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="objectives")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=500)

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="objective_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.objective_label} {self.number}: {self.title}"


class Aim(models.Model):
    """An aim (or sub-priority) of an objective, numbered "1.2" by its position."""

    objective = models.ForeignKey(StrategicObjective, on_delete=models.CASCADE, related_name="aims")
    position = models.PositiveSmallIntegerField()
    title = models.TextField(
        blank=True, help_text="Blank where the plan lists actions under no stated aim."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["objective", "position"]
        constraints = [
            models.UniqueConstraint(fields=["objective", "position"], name="aim_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title or '(no aim stated)'}"

    @property
    def number(self) -> str:
        # objective_id is enough to avoid a query when the objective is already loaded.
        return f"{self.objective.number}.{self.position}"

    @property
    def plan(self) -> Plan:
        return self.objective.plan


class SuccessCriterion(models.Model):
    """A success criterion stated for one aim or for a group of aims of one objective."""

    objective = models.ForeignKey(
        StrategicObjective, on_delete=models.CASCADE, related_name="success_criteria"
    )
    aims = models.ManyToManyField(Aim, related_name="success_criteria")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()

    class Meta:
        ordering = ["objective", "position"]
        verbose_name_plural = "success criteria"

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else f"{self.text[:77]}…"


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    COMPLETE = "complete", "Complete"


class ActionQuerySet(models.QuerySet):
    def with_current_status(self) -> ActionQuerySet:
        """Annotate ``latest_status`` and ``latest_update_at`` from the newest progress update."""
        latest = ProgressUpdate.objects.filter(action=OuterRef("pk")).order_by(
            "-date", "-created_at", "-pk"
        )
        return self.annotate(
            latest_status=Subquery(latest.values("status")[:1]),
            latest_update_on=Subquery(latest.values("date")[:1]),
        )

    def overdue(self, today: datetime.date) -> ActionQuerySet:
        """The overdue ones among these actions. Action.is_overdue decides; SQL only narrows to
        those due by a date in the past or by a term. Completeness is judged in Python, since
        excluding on the annotation would drop actions with no update, which are overdue too."""
        past = Q(due_date__lt=today) | Q(due_date__isnull=True, due_period__isnull=False)
        candidates = self.filter(past).select_related("due_period")
        if "latest_status" not in candidates.query.annotations:
            candidates = candidates.with_current_status()
        return self.filter(pk__in=[a.pk for a in candidates if a.is_overdue(today)])


class Action(models.Model):
    objective = models.ForeignKey(
        StrategicObjective, on_delete=models.CASCADE, related_name="actions"
    )
    aims = models.ManyToManyField(
        Aim, related_name="actions", help_text="The aim(s) of its objective this action serves."
    )
    position = models.PositiveSmallIntegerField(default=0)
    description = models.TextField(
        blank=True, help_text="Blank where the plan names owners and KPIs for an aim directly."
    )
    responsible = models.ManyToManyField(
        Owner, blank=True, related_name="responsible_for", verbose_name="responsibility"
    )
    monitors = models.ManyToManyField(
        Owner, blank=True, related_name="monitored_actions", verbose_name="monitored by"
    )
    kpis = models.ManyToManyField(KPI, blank=True, related_name="actions", verbose_name="KPIs")
    academies = models.ManyToManyField(
        Academy,
        blank=True,
        related_name="actions",
        help_text="Academies in scope; none means the whole trust.",
    )
    due_date = models.DateField(null=True, blank=True)
    due_period = models.ForeignKey(
        Period,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions_due",
        help_text="Due by the end of this term (when no exact date is set).",
    )

    history = HistoricalRecords(m2m_fields=[responsible, monitors, kpis, academies])
    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["objective", "position", "pk"]

    def __str__(self) -> str:
        text = self.description or "(no action stated)"
        return text if len(text) <= 80 else f"{text[:77]}…"

    def get_absolute_url(self) -> str:
        return reverse("plans:action", args=[self.pk])

    @property
    def plan(self) -> Plan:
        return self.objective.plan

    @property
    def status(self) -> str:
        """The latest progress update's status; "not started" before the first update."""
        if hasattr(self, "latest_status"):  # annotated by with_current_status(): no query
            return self.latest_status or ActionStatus.NOT_STARTED
        latest = self.updates.order_by("-date", "-created_at", "-pk").first()
        return latest.status if latest else ActionStatus.NOT_STARTED

    @property
    def status_label(self) -> str:
        return ActionStatus(self.status).label

    @property
    def due(self) -> datetime.date | None:
        """The due date, or the last day of the due term."""
        if self.due_date:
            return self.due_date
        return self.due_period.end_date if self.due_period_id else None

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        """The one rule for "overdue": due (by date, or by the end of its term) before today
        and not complete. Everything that shows or counts overdue actions asks this."""
        due = self.due
        if due is None:
            return False
        today = today or timezone.localdate()
        return due < today and self.status != ActionStatus.COMPLETE


class ProgressUpdate(models.Model):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    date = models.DateField(default=timezone.localdate)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=ActionStatus.choices)
    commentary = models.TextField(blank=True)
    evidence_url = models.URLField(blank=True, verbose_name="evidence link")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        # Newest first: by date, then by when it was posted (two updates on one day).
        ordering = ["-date", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ActionStatus.values), name="progressupdate_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[ActionStatus.AT_RISK, ActionStatus.OFF_TRACK])
                | ~Q(commentary=""),
                name="progressupdate_risk_needs_commentary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d %b %Y} {self.get_status_display()}: {self.action}"

    def clean(self) -> None:
        super().clean()
        plan = self.action.objective.plan if self.action_id else None
        problem = update_date_problem(self.date, plan)
        if problem:
            raise ValidationError({"date": problem})


def update_date_problem(
    date: datetime.date | None, plan: Plan | None, today: datetime.date | None = None
) -> str | None:
    """Why a progress update may not carry this date, or None.

    An action's status is its latest-dated update, so an update dated in the future would
    outrank every later one (a "complete" dated 9999 freezes the action for ever).
    """
    if date is None:
        return None
    today = today or timezone.localdate()
    if date > today:
        return f"The date cannot be after today ({today:%d %b %Y}): post an update when it happens."
    if plan is not None and date.year < plan.start_year:
        return (
            f"The date cannot be before the plan's first year ({plan.start_year}): "
            f"{date:%d %b %Y} is earlier."
        )
    return None


class PlanVersion(models.Model):
    """A token that changes whenever anything the plan pages show changes (plans.cache)."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token
