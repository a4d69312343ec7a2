"""The same history and the same sign-out for changes made outside the People pages: the
Django admin's user page (roles as groups, active), its role assignments and their imports.

people.services records its own saves in one entry each and tells these receivers to stay
quiet while it works (``quiet()``), so nothing is recorded twice.
"""

from __future__ import annotations

import contextlib
import contextvars

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone
from simple_history.models import HistoricalRecords

from academies import permissions
from academies.models import AcademyRole, RoleAssignment
from people.models import PersonChange

_QUIET = contextvars.ContextVar("people_quiet", default=False)

ROLE_LABELS = {
    AcademyRole.HEADTEACHER: "Headteacher of",
    AcademyRole.GOVERNOR: "Local governor of",
}


@contextlib.contextmanager
def quiet():
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


def _by():
    """Who is making the change: the signed-in user of the request in progress, if any
    (simple-history's middleware keeps the request)."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _record(user_id: int, line: str) -> None:
    PersonChange.objects.create(
        user_id=user_id, changed_by=_by(), changed_at=timezone.now(), lines=[line]
    )


def _user_pre_save(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (update_fields is not None and "is_active" not in update_fields):
        return
    instance._people_was_active = (
        sender.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    )


def _user_post_save(sender, instance, created, **kwargs) -> None:
    was = getattr(instance, "_people_was_active", None)
    instance.__dict__.pop("_people_was_active", None)
    if created or was is None or was == instance.is_active or _QUIET.get():
        return
    from people.services import end_sessions

    _record(
        instance.pk, f"Active: {'Yes' if was else 'No'} → {'Yes' if instance.is_active else 'No'}"
    )
    if not instance.is_active:
        end_sessions(instance)


def _groups_changed(sender, instance, action, pk_set, model, reverse, **kwargs) -> None:
    if _QUIET.get() or action not in ("post_add", "post_remove") or not pk_set:
        return
    verb = "added" if action == "post_add" else "removed"
    if reverse:  # group.user_set.add(user…)
        roles = [instance.name] if instance.name in permissions.ROLE_GROUPS else []
        users = list(pk_set)
    else:
        roles = list(
            model.objects.filter(pk__in=pk_set, name__in=permissions.ROLE_GROUPS).values_list(
                "name", flat=True
            )
        )
        users = [instance.pk]
    for role in sorted(roles):
        for user_id in users:
            _record(user_id, f"Role: {verb} {role}")


def _assignment_saved(sender, instance, created, **kwargs) -> None:
    if created and not _QUIET.get():
        _record(instance.user_id, f"{ROLE_LABELS[instance.role]}: added {instance.academy}")


def _assignment_deleted(sender, instance, **kwargs) -> None:
    if not _QUIET.get():
        _record(instance.user_id, f"{ROLE_LABELS[instance.role]}: removed {instance.academy}")


def connect_signals() -> None:
    User = get_user_model()
    uid = "people.signals."
    pre_save.connect(_user_pre_save, sender=User, dispatch_uid=uid + "user_pre_save")
    post_save.connect(_user_post_save, sender=User, dispatch_uid=uid + "user_post_save")
    m2m_changed.connect(_groups_changed, sender=User.groups.through, dispatch_uid=uid + "groups")
    post_save.connect(_assignment_saved, sender=RoleAssignment, dispatch_uid=uid + "ra_saved")
    post_delete.connect(_assignment_deleted, sender=RoleAssignment, dispatch_uid=uid + "ra_deleted")
