"""Every write of a person on the People pages: invite, change, deactivate, reactivate.

Each save records what changed in words (PersonChange: "Role: Trustee → Central team",
"Headteacher of: added Moreton School"), so role and academy changes are kept in history.
Deactivating ends the person's sessions at once (every session row naming them is deleted,
whatever way they signed in).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from academies import permissions
from academies.models import Academy, AcademyRole, RoleAssignment
from people import mail, signals
from people.models import Invitation, PersonChange
from people.tokens import invitation_token

logger = logging.getLogger(__name__)

User = get_user_model()

# Roles whose holders use the Django admin (each with their group's permissions).
STAFF_ROLES = {permissions.CENTRAL_TEAM, permissions.ADMINISTRATOR}


class PersonError(Exception):
    """A change the People pages refuse, with the reason in words."""


class MailError(Exception):
    """The mail server did not take a message; the message says what it answered."""


@dataclass
class PersonDetails:
    first_name: str
    last_name: str
    email: str
    roles: list[str]
    heads: list[Academy] = field(default_factory=list)
    governs: list[Academy] = field(default_factory=list)


def _snapshot(user) -> dict[str, str]:
    """What the history compares, in words."""
    assignments = RoleAssignment.objects.filter(user=user).select_related("academy")
    heads = sorted(a.academy.name for a in assignments if a.role == AcademyRole.HEADTEACHER)
    governs = sorted(a.academy.name for a in assignments if a.role == AcademyRole.GOVERNOR)
    roles = [role for role in permissions.ROLE_GROUPS if role in permissions.role_names(user)]
    return {
        "Name": user.get_full_name(),
        "E-mail": user.email,
        "Role": ", ".join(roles) or "none",
        "Headteacher of": heads,
        "Local governor of": governs,
        "Active": "Yes" if user.is_active else "No",
    }


def _differences(before: dict, after: dict) -> list[str]:
    lines = []
    for label, old in before.items():
        new = after[label]
        if old == new:
            continue
        if isinstance(old, list):
            parts = []
            added = [name for name in new if name not in old]
            removed = [name for name in old if name not in new]
            if added:
                parts.append(f"added {', '.join(added)}")
            if removed:
                parts.append(f"removed {', '.join(removed)}")
            lines.append(f"{label}: {'; '.join(parts)}")
        else:
            lines.append(f"{label}: {old or '(blank)'} → {new or '(blank)'}")
    return lines


def _record(user, *, by, lines: list[str]) -> None:
    if lines:
        PersonChange.objects.create(
            user=user, changed_by=by, changed_at=timezone.now(), lines=lines
        )


def _forget_cached_roles(user) -> None:
    for name in ("_trustplan_groups", "_trustplan_headed", "_trustplan_governed"):
        user.__dict__.pop(name, None)


def check_may_give(by, roles: list[str], user=None) -> None:
    """Central team may add and change people but never give, take or hold the Administrator
    role over an administrator: only administrators do that."""
    if permissions.is_administrator(by):
        return
    if permissions.ADMINISTRATOR in roles:
        raise PersonError("Only an administrator may give the Administrator role.")
    if user is not None and permissions.is_administrator(user):
        raise PersonError("Only an administrator may change an administrator.")


def _apply(user, details: PersonDetails) -> None:
    with signals.quiet():  # this save is recorded as one entry by the caller
        _write(user, details)
    _forget_cached_roles(user)


def _write(user, details: PersonDetails) -> None:
    user.first_name = details.first_name.strip()
    user.last_name = details.last_name.strip()
    user.email = details.email.strip()
    user.is_staff = user.is_superuser or bool(set(details.roles) & STAFF_ROLES)
    user.save()
    groups = permissions.ensure_role_groups()
    user.groups.remove(*Group.objects.filter(name__in=permissions.ROLE_GROUPS))
    user.groups.add(*(groups[role] for role in details.roles))
    RoleAssignment.objects.filter(user=user).delete()
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=user, academy=a, role=AcademyRole.HEADTEACHER) for a in details.heads]
        + [RoleAssignment(user=user, academy=a, role=AcademyRole.GOVERNOR) for a in details.governs]
    )


def email_taken(email: str, *, exclude_pk: int | None = None) -> bool:
    users = User.objects.filter(email__iexact=email.strip())
    if exclude_pk is not None:
        users = users.exclude(pk=exclude_pk)
    return users.exists()


@transaction.atomic
def invite_person(*, details: PersonDetails, by):
    """Add a person with no password and an invitation to choose one; send it with
    ``send_invitation`` once this has committed. Their username is their e-mail address."""
    check_may_give(by, details.roles)
    email = details.email.strip()
    if email_taken(email):
        raise PersonError(f"{email} is already someone's address in trustplan.")
    username = email.lower()
    if User.objects.filter(username=username).exists():
        raise PersonError(f"The username {username} is taken; change that person's first.")
    user = User(username=username)
    user.set_unusable_password()
    _apply(user, details)
    Invitation.objects.create(user=user, invited_by=by, sent_at=timezone.now(), times_sent=0)
    after = _snapshot(user)
    after.pop("Active")  # a new person is active: nothing to say
    nothing = {label: ([] if isinstance(v, list) else "") for label, v in after.items()}
    _record(user, by=by, lines=["Invited", *_differences(nothing, after)])
    return user


@transaction.atomic
def update_person(*, user, details: PersonDetails, by) -> list[str]:
    """Change a person's name, address, roles and academies; returns what changed."""
    check_may_give(by, details.roles, user)
    if email_taken(details.email, exclude_pk=user.pk):
        raise PersonError(f"{details.email.strip()} is already someone else's address.")
    if user.pk == by.pk and permissions.is_administrator(user):
        if permissions.ADMINISTRATOR not in details.roles and not user.is_superuser:
            raise PersonError("You cannot take the Administrator role from yourself.")
    before = _snapshot(user)
    _apply(user, details)
    lines = _differences(before, _snapshot(user))
    _record(user, by=by, lines=lines)
    return lines


def invitation_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token.make_token(user)
    return mail.site_url(reverse("people:accept", kwargs={"uidb64": uid, "token": token}))


def _sso_name() -> str:
    """ "Microsoft 365" when single sign-on is on (part of signin's settings), else blank."""
    if not getattr(settings, "OIDC_ISSUER", ""):
        return ""
    return getattr(settings, "OIDC_NAME", "") or "single sign-on"


def send_invitation(*, user, by) -> None:
    """Send (or send again) the person's invitation. Each sending makes the earlier links stop
    working. Raises MailError when the mail server refuses; the invitation is kept, so it can
    be sent again."""
    if not user.is_active:
        raise PersonError(f"{user.get_full_name() or user} is deactivated: reactivate them first.")
    with transaction.atomic():
        invitation, _ = Invitation.objects.select_for_update().get_or_create(
            user=user, defaults={"invited_by": by, "sent_at": timezone.now(), "times_sent": 0}
        )
        if invitation.accepted_at is not None:
            raise PersonError(f"{user.get_full_name() or user} has already accepted.")
        invitation.sent_at = timezone.now()
        invitation.times_sent += 1
        invitation.invited_by = invitation.invited_by or by
        invitation.save()
        user.invitation = invitation
        if invitation.times_sent > 1:
            _record(user, by=by, lines=[f"Invitation sent again ({invitation.times_sent} times)"])
    context = {
        "person": user,
        "link": invitation_link(user),
        "days": settings.TRUSTPLAN_INVITATION_DAYS,
        "invited_by": by.get_full_name() or by.get_username(),
        "sso_name": _sso_name(),
        "login_link": mail.site_url(reverse("login")),
        "roles": ", ".join(permissions.role_names(user)) or "no role yet",
    }
    message = mail.message(
        to=user.email,
        subject="you are invited to trustplan",
        template="invitation",
        context=context,
    )
    try:
        message.send()
    except Exception as error:  # smtplib, socket and TLS errors alike
        logger.warning("Invitation to %s not sent: %s", user.email, error)
        raise MailError(f"The invitation to {user.email} could not be sent: {error}") from error


@transaction.atomic
def accept_invitation(user) -> None:
    Invitation.objects.filter(user=user, accepted_at__isnull=True).update(
        accepted_at=timezone.now()
    )


def end_sessions(user) -> int:
    """Delete every stored session that is signed in as ``user``: they are signed out at their
    next request. Sessions kept in the database (the default) are each read once; other
    engines end too, since Django's backends refuse an inactive account's session."""
    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    model = store_class.get_model_class()
    ended = 0
    for key, data in (
        model.objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator()
    ):
        decoded = store_class().decode(data)
        if str(decoded.get("_auth_user_id")) == str(user.pk):
            store_class(session_key=key).delete()
            ended += 1
    return ended


@transaction.atomic
def set_active(*, user, active: bool, by) -> int:
    """Deactivate (signs them out everywhere at once) or reactivate a person; returns how many
    sessions were ended."""
    if user.pk == by.pk and not active:
        raise PersonError("You cannot deactivate yourself.")
    check_may_give(by, [], user)
    if user.is_active == active:
        return 0
    before = _snapshot(user)
    user.is_active = active
    with signals.quiet():
        user.save(update_fields=["is_active"])
    _record(user, by=by, lines=_differences(before, _snapshot(user)))
    ended = 0 if active else end_sessions(user)
    return ended
