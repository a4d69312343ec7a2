"""Organisation: the trust's academies, the owners named in its plan, and who holds which role."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse


class Phase(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    ALL_THROUGH = "all_through", "All-through"
    SPECIAL = "special", "Special"
    SIXTH_FORM = "sixth_form", "Sixth form"
    ALTERNATIVE = "alternative", "Alternative provision"


class AcademyGroup(models.Model):
    """A region or hub of the trust's academies (one level; an academy is in at most one).

    Large trusts read their board by group first: above settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE
    active academies the matrix opens with one column per group (kpis.selectors), each group's
    figure aggregated and judged like the trust column."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Column order on the board.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class AcademyQuerySet(models.QuerySet):
    def active(self) -> "AcademyQuerySet":
        """The active academies, each with its group (the board's group columns need it)."""
        return self.filter(is_active=True).select_related("group")


class Academy(models.Model):
    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(
        max_length=20, unique=True, help_text="Abbreviation used in the plan, e.g. “TWS”."
    )
    slug = models.SlugField(max_length=80, unique=True)
    urn = models.CharField(
        "DfE URN",
        max_length=8,
        blank=True,
        help_text="Unique reference number from Get Information about Schools (six digits).",
    )
    phase = models.CharField(max_length=20, choices=Phase.choices)
    pupils_on_roll = models.PositiveIntegerField(
        default=0, help_text="Used to weight trust averages by academy size."
    )
    establishment_type = models.CharField(
        max_length=100,
        blank=True,
        help_text="From GIAS (TypeOfEstablishment), e.g. “Academy converter”.",
    )
    open_date = models.DateField(
        "opened",
        null=True,
        blank=True,
        help_text="From GIAS (OpenDate): when the school opened as this establishment — for an "
        "academy, the day it opened as an academy.",
    )
    joined_trust = models.DateField(
        "joined the trust",
        null=True,
        blank=True,
        help_text="From the GIAS academies and trusts links file (Joined date), or typed.",
    )
    group = models.ForeignKey(
        AcademyGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="academies",
        help_text="The region or hub the academy belongs to, if the trust uses them.",
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Column order on the board (the trust's own KPI table order)."
    )

    objects = AcademyQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "academies"
        constraints = [
            models.UniqueConstraint(
                fields=["urn"], condition=~models.Q(urn=""), name="academy_unique_urn"
            ),
            models.CheckConstraint(
                condition=models.Q(phase__in=Phase.values), name="academy_phase_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("academies:scorecard", args=[self.slug])


class OwnerKind(models.TextChoices):
    PERSON = "person", "Person"
    TEAM = "team", "Team"
    BODY = "body", "Governance body"


class Owner(models.Model):
    """Someone who can be responsible for an action or monitor it: "NLI", "Trust Board", "LGB"."""

    code = models.CharField(
        max_length=20,
        unique=True,
        help_text="How the plan refers to them: initials such as “NLI”, or a short body name.",
    )
    name = models.CharField(
        max_length=200, blank=True, help_text="Full name; blank if the plan gives only initials."
    )
    kind = models.CharField(max_length=10, choices=OwnerKind.choices, default=OwnerKind.PERSON)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owners",
        help_text="The account that may post progress updates for this owner’s actions.",
    )

    class Meta:
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="owner_unique_code_ci"),
            models.CheckConstraint(
                condition=models.Q(kind__in=OwnerKind.values), name="owner_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        if self.name and self.name != self.code:
            return f"{self.code} – {self.name}"
        return self.code


class AcademyRole(models.TextChoices):
    HEADTEACHER = "headteacher", "Headteacher"
    GOVERNOR = "governor", "Local governor"


class RoleAssignmentQuerySet(models.QuerySet):
    def heads(self) -> "RoleAssignmentQuerySet":
        return self.filter(role=AcademyRole.HEADTEACHER)

    def governors(self) -> "RoleAssignmentQuerySet":
        return self.filter(role=AcademyRole.GOVERNOR)


class RoleAssignment(models.Model):
    """Links a user to an academy they lead or govern; an executive head has several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="academy_roles"
    )
    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=20, choices=AcademyRole.choices)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["academy__name", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "academy", "role"], name="roleassignment_unique_user_academy_role"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=AcademyRole.values), name="roleassignment_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} of {self.academy}"
