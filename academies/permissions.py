"""The five roles of DESIGN.md and the questions views ask about a user.

Trust-wide roles are Django groups; which academies a head leads or a governor governs are
RoleAssignment rows. Every permission check in the app goes through these helpers so the rules
live in one place: "may this user …" (may_*) and "which academies may this user see" (the
scope: visible_academy_ids and the helpers built on it, which every board read goes through).

The scope (DESIGN.md, roles): trustees, headteachers, central team and administrators see every
academy. A user whose only board role is Governor (the Governor group, or governor assignments
without any wider role) sees only the academies they govern, plus trust-level figures; a
governor who is also a trustee, head or central team sees everything, as the wider role does.
A user with no role at all keeps what every signed-in user saw before scoping: everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db.models import Q

from academies.models import RoleAssignment

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TRUSTEE = "Trustee"
GOVERNOR = "Governor"
HEADTEACHER = "Headteacher"
CENTRAL_TEAM = "Central team"
ADMINISTRATOR = "Administrator"

ROLE_GROUPS = [TRUSTEE, GOVERNOR, HEADTEACHER, CENTRAL_TEAM, ADMINISTRATOR]
# Roles that see every academy: a governor holding one of them is not scoped.
WHOLE_TRUST_ROLES = {TRUSTEE, HEADTEACHER, CENTRAL_TEAM, ADMINISTRATOR}

# Central team edit the plan and the KPI framework (in the Django admin too) but do not import.
CENTRAL_TEAM_MODEL_PERMISSIONS = {
    "kpis": [
        "area",
        "kpi",
        "academytarget",
        "nationalfigure",
        "period",
        "kpivalue",
        "return",
        "inspection",
    ],
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


def entry_academy_ids(user: User | AnonymousUser) -> set[int] | None:
    """The academies whose returns the user enters: None for every academy (central team and
    administrators), else the academies they head (none for anyone else)."""
    return None if is_central(user) else headed_academy_ids(user)


def can_enter_for(user: User | AnonymousUser, academy_id: int) -> bool:
    """Central team and administrators enter for any academy; a head for their own only."""
    ids = entry_academy_ids(user)
    return ids is None or academy_id in ids


def may_record_inspection(user: User | AnonymousUser, academy) -> bool:
    """Who records an academy's Ofsted inspections: central team and administrators for any
    academy, a headteacher for the academies they head (as for returns)."""
    if not user.is_authenticated:
        return False
    if is_central(user):
        return True
    return HEADTEACHER in _group_names(user) and academy.pk in headed_academy_ids(user)


def may_enter_returns(user: User | AnonymousUser) -> bool:
    """Central team and administrators, or a headteacher who heads at least one academy (the
    Returns page). Only members of the Headteacher group pay the query for their academies."""
    if is_central(user):
        return True
    return HEADTEACHER in _group_names(user) and bool(headed_academy_ids(user))


def may_review_returns(user: User | AnonymousUser) -> bool:
    """Central team and administrators approve, send back and reopen any academy's return, and
    may still change a submitted one (its head may not)."""
    return is_central(user)


def may_open_periods(user: User | AnonymousUser) -> bool:
    """Central team and administrators open and close a period for entry."""
    return is_central(user)


def may_import(user: User | AnonymousUser) -> bool:
    """Administrators import spreadsheets; central team do not."""
    return is_administrator(user)


def may_open_admin(user: User | AnonymousUser) -> bool:
    """Central team and administrators use the Django admin (each with their permissions)."""
    return is_central(user)


def may_edit_plan(user: User | AnonymousUser) -> bool:
    """Central team and administrators edit the plan (an archived plan is closed to everyone:
    plans checks the plan's own state)."""
    return is_central(user)


def may_post_update(user: User | AnonymousUser, action) -> bool:
    """Central team, or a user linked to one of the action's responsible owners (prefetch
    ``responsible`` to ask this of many actions). Whether the action's plan is archived, and
    so closed to updates, is the plan's own state: plans checks it."""
    if is_central(user):
        return True
    return user.is_authenticated and any(
        owner.user_id == user.pk for owner in action.responsible.all()
    )


# --- Scope: which academies a user may see --------------------------------------------------------


def governed_academy_ids(user: User | AnonymousUser) -> set[int]:
    """The academies the user is a local governor of (one query, then cached on the user)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_trustplan_governed", None)
    if cached is None:
        cached = set(
            RoleAssignment.objects.governors()
            .filter(user=user)
            .values_list("academy_id", flat=True)
        )
        user._trustplan_governed = cached
    return cached


def visible_academy_ids(user: User | AnonymousUser) -> set[int] | None:
    """The academies whose figures the user may see: None for every academy (trustees, heads,
    central team, administrators), else the set a governor governs (see the module's note).

    Costs no query for whole-trust roles beyond the user's groups (read once per request), and
    one for a governor.
    """
    if not user.is_authenticated:
        return set()
    if user.is_superuser or _group_names(user) & WHOLE_TRUST_ROLES:
        return None
    governed = governed_academy_ids(user)
    if governed or GOVERNOR in _group_names(user):
        return governed
    return None


def scope_key(user: User | AnonymousUser) -> str | tuple[int, ...]:
    """The user's scope as a cache-key part: "all", or the sorted ids they may see. Every cached
    piece that shows academies' figures is keyed by it, so a governor's page is never served to
    a trustee, nor a trustee's to a governor."""
    ids = visible_academy_ids(user)
    return "all" if ids is None else tuple(sorted(ids))


def may_see_academy(user: User | AnonymousUser, academy_id: int) -> bool:
    ids = visible_academy_ids(user)
    return ids is None or academy_id in ids


def visible_academies(user: User | AnonymousUser, queryset):
    """An Academy queryset narrowed to the academies the user may see."""
    ids = visible_academy_ids(user)
    return queryset if ids is None else queryset.filter(pk__in=ids)


def action_in_scope(action, academy_ids: set[int] | None) -> bool:
    """Whether an action belongs to a scope: every action for None; else the trust-wide ones
    (no academies named) and those naming one of the academies. Prefetch ``academies``."""
    if academy_ids is None:
        return True
    named = {academy.pk for academy in action.academies.all()}
    return not named or bool(named & academy_ids)


def may_see_action(user: User | AnonymousUser, action) -> bool:
    return action_in_scope(action, visible_academy_ids(user))


def visible_actions(user: User | AnonymousUser, queryset):
    """A plan Action queryset narrowed as action_in_scope does, in the same query (subqueries
    on the actions' academy links; no join, so no duplicate rows)."""
    ids = visible_academy_ids(user)
    if ids is None:
        return queryset
    links = queryset.model.academies.through.objects
    naming_mine = links.filter(academy_id__in=ids).values("action_id")
    naming_any = links.values("action_id")
    return queryset.filter(Q(pk__in=naming_mine) | ~Q(pk__in=naming_any))


# --- Published board packs (papers) ----------------------------------------------------------

# Roles that read every published pack, the Trust Board's included.
EVERY_PACK_ROLES = {TRUSTEE, CENTRAL_TEAM, ADMINISTRATOR}


def may_publish_packs(user: User | AnonymousUser) -> bool:
    """Central team and administrators publish a board pack for a meeting."""
    return is_central(user)


def may_see_packs(user: User | AnonymousUser) -> bool:
    """Whether the user may read some published packs (the header's "Board papers" link):
    trustees, central team and administrators all of them; governors and heads those of
    their academies' bodies (pack_academy_ids). Asks only the user's groups: no query."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(
        _group_names(user) & (EVERY_PACK_ROLES | {GOVERNOR, HEADTEACHER})
    )


def pack_academy_ids(user: User | AnonymousUser) -> set[int] | None:
    """Which published packs the user may read: None for every pack (trustees, central team,
    administrators), else the academies whose bodies' packs they read — a pack is theirs when
    it names academies and every one is among these. A governor reads their local governing
    body's papers; a headteacher, who sits on their academy's body, reads those too, but not
    the Trust Board's trust-wide packs (trustees' papers). Anyone else reads none."""
    if not user.is_authenticated:
        return set()
    if user.is_superuser or _group_names(user) & EVERY_PACK_ROLES:
        return None
    ids = set(governed_academy_ids(user))
    if HEADTEACHER in _group_names(user):
        ids |= headed_academy_ids(user)
    return ids


# --- People (invitations, roles and academies; people.views) -----------------------------------


def may_manage_people(user: User | AnonymousUser) -> bool:
    """Central team and administrators add people, invite them and change their roles and
    academies; only administrators give the Administrator role or change an administrator
    (people.services.check_may_give)."""
    return is_central(user)
