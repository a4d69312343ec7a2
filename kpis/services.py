"""Writes across the KPI framework's models."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from academies import permissions
from academies.models import Academy
from kpis import rag
from kpis.measures import initial_text
from kpis.models import (
    KPI,
    AcademyTarget,
    Area,
    KPIValue,
    NationalFigure,
    Period,
    Return,
    ReturnStatus,
)
from kpis.selectors import PeriodIndex, rule_for


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@transaction.atomic
def load_framework(*, data: dict[str, Any]) -> list[KPI]:
    """Create or update the fixture's areas and KPIs (by code) and academy targets. Idempotent."""
    kpis = []
    for area_row in data["areas"]:
        area, _ = Area.objects.update_or_create(
            number=area_row["number"], defaults={"name": area_row["name"]}
        )
        for kpi_row in area_row["kpis"]:
            rule = kpi_row.get("rule", {})
            code = str(kpi_row["code"])
            kpi, _ = KPI.objects.update_or_create(
                code=code,
                defaults={
                    "area": area,
                    "position": int(code.split(".")[1]),
                    "name": kpi_row["name"],
                    "description": kpi_row.get("description", ""),
                    "measure": rule.get("measure", "number"),
                    "direction": rule.get("direction", "higher"),
                    "unit": rule.get("unit", ""),
                    "target_kind": rule.get("target", "none"),
                    "target_value": _decimal(rule.get("value")),
                    "amber_margin": _decimal(rule.get("amber", 0)),
                    "baseline_year": rule.get("baseline_year"),
                    "trust_target_value": _decimal(rule.get("trust_target")),
                    "aggregation": rule.get("aggregation", "mean"),
                    "phases": rule.get("phases", []),
                    "frequency": rule.get("frequency", "termly"),
                },
            )
            kpi.full_clean()
            kpis.append(kpi)
    academies = {academy.slug: academy for academy in Academy.objects.all()}
    by_code = {kpi.code: kpi for kpi in kpis}
    for row in data.get("academy_targets", []):
        AcademyTarget.objects.update_or_create(
            kpi=by_code[str(row["kpi"])],
            academy=academies[row["academy"]],
            defaults={
                "target_value": _decimal(row["value"]),
                "amber_margin": _decimal(row.get("amber")),
            },
        )
    return kpis


# --- Termly returns ---------------------------------------------------------------------------


class ReturnError(Exception):
    """A return action that is not allowed now; the message says why, for the person."""


class ReturnConflict(ReturnError):
    """Someone else saved this return since the form was opened."""

    def __init__(self, message: str, changes: list[str]) -> None:
        super().__init__(message)
        self.changes = changes


class ReturnIncomplete(ReturnError):
    """Submit refused: the errors map KPI ids to what is missing."""

    def __init__(self, errors: dict[int, str]) -> None:
        super().__init__(
            f"The return cannot be submitted yet: {len(errors)} KPI(s) need attention."
        )
        self.errors = errors


@dataclass
class SaveResult:
    ret: Return
    created: int
    updated: int
    deleted: int

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


def _claim(ret: Return, version: int) -> None:
    """Optimistic lock: bump the version only if nobody else has (works on SQLite too)."""
    if not Return.objects.filter(pk=ret.pk, version=version).update(version=F("version") + 1):
        raise ReturnConflict("Someone else has changed this return since you opened it.", [])
    ret.version = version + 1


def _conflict_changes(
    kpis: list[KPI], existing: dict[int, KPIValue], was: dict[int, str]
) -> list[str]:
    changes = []
    for kpi in kpis:
        current = existing.get(kpi.pk)
        now = "" if current is None or current.value is None else initial_text(kpi, current.value)
        if now != was.get(kpi.pk, ""):
            who = getattr(current, "updated_by", None) if current else None
            shown_now = rag.format_value(current.value if current else None, kpi.measure, kpi.unit)
            by = f" by {who.get_full_name() or who.username}" if who else ""
            changes.append(
                f"{kpi.code} {kpi.name}: now {shown_now}{by} "
                f"(it was “{was.get(kpi.pk) or 'blank'}” when you opened the form)"
            )
    return changes


def check_editable(*, ret: Return | None, period: Period, user) -> None:
    """Raise ReturnError unless the user may change this return's values now."""
    if not period.is_open:
        raise ReturnError(f"{period} is closed for entry. Central team can reopen the period.")
    if ret is None:
        return
    if ret.status == ReturnStatus.APPROVED:
        raise ReturnError("This return is approved. Central team must reopen it before any change.")
    if ret.status == ReturnStatus.SUBMITTED and not permissions.is_central(user):
        raise ReturnError(
            "This return has been submitted and is read-only. Ask central team to send it back "
            "if it needs changing."
        )


def judge_for_submit(
    *, kpis: list[KPI], academy: Academy, period: Period, final: dict[int, tuple]
) -> dict[int, str]:
    """Completeness and red-needs-a-note errors for a return about to be submitted."""
    periods = PeriodIndex()
    overrides = {t.kpi_id: t for t in AcademyTarget.objects.filter(academy=academy)}
    baseline_ids = {b.pk for kpi in kpis if (b := periods.baseline(kpi, period))}
    baselines = {
        (kpi_id, period_id): value
        for kpi_id, period_id, value in KPIValue.objects.filter(
            academy=academy, period_id__in=baseline_ids
        ).values_list("kpi_id", "period_id", "value")
    }
    national = dict(NationalFigure.objects.filter(period=period).values_list("kpi_id", "value"))
    errors: dict[int, str] = {}
    for kpi in kpis:
        value, not_available, note = final.get(kpi.pk, (None, False, ""))
        label = f"{kpi.code} {kpi.name}"
        if value is None and not not_available:
            errors[kpi.pk] = f"{label}: enter a value, or tick “not available” and give the reason."
            continue
        if value is None:
            continue
        baseline_period = periods.baseline(kpi, period)
        judgement = rag.judge(
            rule_for(kpi, overrides.get(kpi.pk)),
            value,
            baseline=baselines.get((kpi.pk, baseline_period.pk)) if baseline_period else None,
            national=national.get(kpi.pk),
        )
        if judgement.outcome == rag.Outcome.RED and not note:
            errors[kpi.pk] = (
                f"{label}: this value is red ({judgement.explanation}) Add a note explaining it."
            )
    return errors


@transaction.atomic
def return_save(
    *,
    academy: Academy,
    period: Period,
    user,
    kpis: list[KPI],
    values: dict[int, tuple[Decimal | None, bool, str]],
    version: int,
    was: dict[int, str],
    submit: bool = False,
    change_reason: str = "Entered on the return form",
) -> SaveResult:
    """Save (and optionally submit) one academy's return for one period as one transaction.

    A fixed number of queries whatever the number of KPIs: the return, its values, one bulk
    insert, one bulk update and one bulk delete, each with its history rows in bulk.
    ``version`` is the return's version when the form was opened (0 for a new return): if
    anyone has saved since, nothing is written and ReturnConflict lists what they changed.
    """
    # The period as it is now, locked until this save commits: a period closed a moment ago
    # refuses the save, and closing waits for a save in progress (never a value after closing).
    period = Period.objects.select_for_update().get(pk=period.pk)
    ret = Return.objects.filter(academy=academy, period=period).first()
    check_editable(ret=ret, period=period, user=user)
    existing = {
        v.kpi_id: v
        for v in KPIValue.objects.filter(academy=academy, period=period).select_related(
            "updated_by"
        )
    }
    current_version = ret.version if ret else 0
    if version != current_version:
        raise ReturnConflict(
            "Someone else has saved this return since you opened it; nothing of yours was saved.",
            _conflict_changes(kpis, existing, was),
        )
    final = {
        kpi.pk: values.get(
            kpi.pk,
            (existing[kpi.pk].value, existing[kpi.pk].not_available, existing[kpi.pk].note)
            if kpi.pk in existing
            else (None, False, ""),
        )
        for kpi in kpis
    }
    if submit:
        errors = judge_for_submit(kpis=kpis, academy=academy, period=period, final=final)
        if errors:
            raise ReturnIncomplete(errors)

    now = timezone.now()
    created = ret is None
    was_published = ret is not None and ret.is_published
    if created:
        ret = Return(academy=academy, period=period, status=ReturnStatus.DRAFT, updated_by=user)
        if submit:
            ret.status = ReturnStatus.SUBMITTED
            ret.submitted_by, ret.submitted_at = user, now
        ret._history_user = user
        ret._board_unchanged = not ret.is_published
        try:
            with transaction.atomic():
                ret.save()
        except IntegrityError as error:  # someone created it a moment ago
            raise ReturnConflict(
                "Someone else started this return at the same moment; nothing of yours was saved.",
                [],
            ) from error
    else:
        _claim(ret, version)

    to_create, to_update, to_delete = [], [], []
    for kpi in kpis:
        value, not_available, note = final[kpi.pk]
        current = existing.get(kpi.pk)
        if value is None and not not_available:
            if current is not None:
                to_delete.append(current)
            continue
        if current is None:
            to_create.append(
                KPIValue(
                    kpi=kpi,
                    academy=academy,
                    period=period,
                    value=value,
                    not_available=not_available,
                    note=note,
                    updated_by=user,
                )
            )
        elif (current.value, current.not_available, current.note) != (value, not_available, note):
            current.value, current.not_available, current.note = value, not_available, note
            current.updated_by, current.updated_at = user, now
            current.is_demo = False
            to_update.append(current)
    if to_create:
        bulk_create_with_history(
            to_create, KPIValue, default_user=user, default_change_reason=change_reason
        )
    if to_update:
        bulk_update_with_history(
            to_update,
            KPIValue,
            ["value", "not_available", "note", "updated_by", "updated_at", "is_demo"],
            default_user=user,
            default_change_reason=change_reason,
        )
    if to_delete:
        _record_deletions(to_delete, user=user, reason=change_reason, when=now)
        # A raw delete: one query, and no per-object signals (the history is written above,
        # with the user and reason the signal handler would not know).
        doomed = KPIValue.objects.filter(pk__in=[v.pk for v in to_delete])
        doomed._raw_delete(doomed.db)

    if not created:
        ret.updated_by = user
        if submit:
            ret.status = ReturnStatus.SUBMITTED
            ret.submitted_by, ret.submitted_at = user, now
        ret._history_user = user
        # Values written into a draft change nothing on the board (kpis.cache).
        ret._board_unchanged = not (was_published or ret.is_published)
        ret.save()
    return SaveResult(ret, len(to_create), len(to_update), len(to_delete))


def _record_deletions(values: list[KPIValue], *, user, reason: str, when) -> None:
    """Bulk deletes skip simple-history's signals: write the "-" history rows ourselves."""
    History = KPIValue.history.model
    tracked = [f.attname for f in KPIValue._meta.concrete_fields]
    History.objects.bulk_create(
        [
            History(
                **{name: getattr(value, name) for name in tracked},
                history_date=when,
                history_type="-",
                history_user=user,
                history_change_reason=reason,
            )
            for value in values
        ]
    )


def _transition(ret: Return, *, user, version: int, allowed: tuple, to: str, **fields) -> Return:
    if ret.status not in allowed:
        names = " or ".join(ReturnStatus(s).label.lower() for s in allowed)
        raise ReturnError(
            f"Only a {names} return can be {ReturnStatus(to).label.lower()}; "
            f"this one is {ret.get_status_display().lower()}."
        )
    _claim(ret, version)
    ret.status = to
    ret.updated_by = user
    for name, value in fields.items():
        setattr(ret, name, value)
    ret._history_user = user
    ret.save()
    return ret


@transaction.atomic
def return_approve(*, ret: Return, user, version: int) -> Return:
    return _transition(
        ret,
        user=user,
        version=version,
        allowed=(ReturnStatus.SUBMITTED,),
        to=ReturnStatus.APPROVED,
        approved_by=user,
        approved_at=timezone.now(),
    )


@transaction.atomic
def return_send_back(*, ret: Return, user, version: int, reason: str) -> Return:
    reason = reason.strip()
    if not reason:
        raise ReturnError(
            "Say why the return is being sent back, so the academy knows what to fix."
        )
    return _transition(
        ret,
        user=user,
        version=version,
        allowed=(ReturnStatus.SUBMITTED, ReturnStatus.APPROVED),
        to=ReturnStatus.SENT_BACK,
        sent_back_reason=reason,
    )


@transaction.atomic
def return_reopen(*, ret: Return, user, version: int) -> Return:
    return _transition(
        ret,
        user=user,
        version=version,
        allowed=(ReturnStatus.SUBMITTED, ReturnStatus.APPROVED),
        to=ReturnStatus.DRAFT,
        approved_by=None,
        approved_at=None,
    )


@transaction.atomic
def period_set_open(*, period: Period, is_open: bool) -> Period:
    """Open or close a period for entry; waits for any return save in progress (it locks)."""
    Period.objects.select_for_update().filter(pk=period.pk).first()
    period.is_open = is_open
    period.save(update_fields=["is_open"])
    return period
