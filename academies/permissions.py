"""The five roles of DESIGN.md and the questions views ask about a user.

Trust-wide roles are Django groups; which academies a head leads or a governor governs are
RoleAssignment rows. Every permission check in the app goes through these helpers so the rules
live in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, Group, Permission

from academies.models import RoleAssignment

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TRUSTEE = "Trustee"
GOVERNOR = "Governor"
HEADTEACHER = "Headteacher"
CENTRAL_TEAM = "Central team"
ADMINISTRATOR = "Administrator"

ROLE_GROUPS = [TRUSTEE, GOVERNOR, HEADTEACHER, CENTRAL_TEAM, ADMINISTRATOR]

# Central team edit the plan and the KPI framework (in the Django admin too) but do not import.
CENTRAL_TEAM_MODEL_PERMISSIONS = {
    "kpis": ["area", "kpi", "academytarget", "nationalfigure", "period", "kpivalue", "return"],
    "plans": ["plan", "strategicobjective", "aim", "action", "successcriterion", "progressupdate"],
    "academies": ["owner"],
}


def _group_names(user: User | AnonymousUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_trustplan_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._trustplan_groups = cached
    return cached


def is_administrator(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_superuser or ADMINISTRATOR in _group_names(user))


def is_central(user: User | AnonymousUser) -> bool:
    """Central team or administrator: may edit the plan, KPIs and every academy's return."""
    return is_administrator(user) or CENTRAL_TEAM in _group_names(user)


def role_names(user: User | AnonymousUser) -> list[str]:
    """The user's roles in the order of DESIGN.md, for the header."""
    names = _group_names(user)
    if user.is_authenticated and user.is_superuser:
        names = names | {ADMINISTRATOR}
    return [role for role in ROLE_GROUPS if role in names]


def ensure_role_groups() -> dict[str, Group]:
    """Create the role groups and give central team and administrators their admin permissions.

    Idempotent: safe to call from every migration-time or demo-time setup.
    """
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLE_GROUPS}
    editable = Permission.objects.none()
    for app_label, models in CENTRAL_TEAM_MODEL_PERMISSIONS.items():
        editable = editable | Permission.objects.filter(
            content_type__app_label=app_label, content_type__model__in=models
        )
    groups[CENTRAL_TEAM].permissions.set(editable)
    groups[ADMINISTRATOR].permissions.set(Permission.objects.all())
    return groups


def headed_academy_ids(user: User | AnonymousUser) -> set[int]:
    """The academies the user is headteacher of (one query, then cached on the user)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_trustplan_headed", None)
    if cached is None:
        cached = set(
            RoleAssignment.objects.heads().filter(user=user).values_list("academy_id", flat=True)
        )
        user._trustplan_headed = cached
    return cached


def can_enter_for(user: User | AnonymousUser, academy_id: int) -> bool:
    """Central team and administrators enter for any academy; a head for their own only."""
    return is_central(user) or academy_id in headed_academy_ids(user)
