"""The one lifecycle of termly returns: every write of KPI values and of a return's status.

A head's form (return_save), central team's decisions (approve, send back, reopen), opening and
closing periods, the workbook import (import_refusal, import_values) and the Django admin
(admin_correct_value, admin_delete_values, admin_save_return) all write through here, so each:

- checks, inside its transaction and with the period (and the returns) locked, that the write is
  allowed now: nothing lands in a closed period or an approved return, and an import never
  lowers a return's status;
- bumps the version of every return it touches, so a form or an import preview opened before it
  is refused, with what changed, instead of silently writing over it;
- records history (who, when, why): in bulk, with the bulk writes, where the write is in bulk.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from academies import permissions
from academies.models import Academy
from kpis import ofsted, rag
from kpis.cache import bump_board_version
from kpis.measures import initial_text, is_outlier
from kpis.models import (
    KPI,
    AcademyTarget,
    Inspection,
    KPIValue,
    Measure,
    NationalFigure,
    Period,
    Return,
    ReturnStatus,
    inspection_problems,
)
from kpis.selectors import PeriodIndex, rule_for
from kpis.signals import return_sent_back

VALUE_FIELDS = ["value", "not_available", "note", "updated_by", "updated_at", "is_demo"]


class ReturnError(Exception):
    """A return action that is not allowed now; the message says why, for the person."""


class ReturnConflict(ReturnError):
    """Someone else saved this return since the form was opened."""

    def __init__(self, message: str, changes: list[str]) -> None:
        super().__init__(message)
        self.changes = changes


class ImportConflict(Exception):
    """The data changed between an import's preview and its confirm: nothing was written."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class SaveResult:
    """What a save did. ``problems`` (KPI id → why) are why a Submit was refused: the values
    were saved as a draft all the same (``submitted`` is False)."""

    ret: Return
    created: int
    updated: int
    deleted: int
    submitted: bool = False
    problems: dict[int, str] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


@dataclass
class _ValueWrites:
    """What a save does to a return's values."""

    create: list[KPIValue]
    update: list[KPIValue]
    delete: list[KPIValue]


def _lock_period(period: Period) -> Period:
    """The period as it is now, locked until the transaction ends: a period closed a moment ago
    refuses the write, and closing waits for a write in progress (never a value after closing)."""
    return Period.objects.select_for_update().get(pk=period.pk)


def _claim(ret: Return, version: int) -> None:
    """Optimistic lock: bump the version only if nobody else has (works on SQLite too)."""
    if not Return.objects.filter(pk=ret.pk, version=version).update(version=F("version") + 1):
        raise ReturnConflict("Someone else has changed this return since you opened it.", [])
    ret.version = version + 1


def _who(user) -> str:
    return user.get_full_name() or user.username


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
            by = f" by {_who(who)}" if who else ""
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
    if ret.status == ReturnStatus.SUBMITTED and not permissions.may_review_returns(user):
        raise ReturnError(
            "This return has been submitted and is read-only. Ask central team to send it back "
            "if it needs changing."
        )


def editable_refusal(*, ret: Return | None, period: Period, user) -> str | None:
    """Why the user may not change this return's values now (check_editable's reason), or None."""
    try:
        check_editable(ret=ret, period=period, user=user)
    except ReturnError as error:
        return str(error)
    return None


@dataclass
class ReturnContext:
    """What judging an academy's values in a period needs besides the values, by KPI id: its
    per-academy targets, the baseline and previous period's values, the national figures."""

    overrides: dict[int, AcademyTarget]
    baselines: dict[int, Decimal | None]
    previous: dict[int, Decimal | None]
    national: dict[int, Decimal]

    @classmethod
    def load(
        cls,
        *,
        kpis: list[KPI],
        academy: Academy,
        period: Period,
        periods: PeriodIndex | None = None,
        value_of=None,
    ) -> ReturnContext:
        """Four queries whatever the number of KPIs: periods, targets, values, national.

        A caller that has read the periods and the academy's values already (the entry page)
        passes them: ``value_of(kpi, period)`` → the stored value; then two queries."""
        periods = periods or PeriodIndex()
        before = periods.previous(period)
        baseline_of = {kpi.pk: periods.baseline(kpi, period) for kpi in kpis}
        if value_of is None:
            ids = {p.pk for p in baseline_of.values() if p} | ({before.pk} if before else set())
            stored = {
                (kpi_id, period_id): value
                for kpi_id, period_id, value in KPIValue.objects.filter(
                    academy=academy, period_id__in=ids
                ).values_list("kpi_id", "period_id", "value")
            }

            def value_of(kpi: KPI, when: Period | None) -> Decimal | None:
                return stored.get((kpi.pk, when.pk)) if when else None

        return cls(
            overrides={t.kpi_id: t for t in AcademyTarget.objects.filter(academy=academy)},
            baselines={kpi.pk: value_of(kpi, baseline_of[kpi.pk]) for kpi in kpis},
            previous={kpi.pk: value_of(kpi, before) for kpi in kpis},
            national=dict(
                NationalFigure.objects.filter(period=period).values_list("kpi_id", "value")
            ),
        )

    def rule(self, kpi: KPI) -> rag.Rule:
        return rule_for(kpi, self.overrides.get(kpi.pk))

    def threshold(self, kpi: KPI) -> tuple[Decimal | None, Decimal, str]:
        """(threshold, amber width, target in words) for this academy, as rag.threshold_for."""
        return rag.threshold_for(
            self.rule(kpi),
            baseline=self.baselines.get(kpi.pk),
            national=self.national.get(kpi.pk),
        )

    def judge(self, kpi: KPI, value: Decimal | None) -> rag.Judgement:
        return rag.judge(
            self.rule(kpi),
            value,
            baseline=self.baselines.get(kpi.pk),
            national=self.national.get(kpi.pk),
        )


@dataclass(frozen=True)
class RowCheck:
    """One KPI of a return: its RAG (None without a value) and what stops a Submit ("")."""

    judgement: rag.Judgement | None
    problem: str = ""
    empty: bool = False  # no value and not marked "not available"


def check_rows(
    kpis: list[KPI], final: dict[int, tuple], context: ReturnContext
) -> dict[int, RowCheck]:
    """Each KPI's RAG and the one thing to resolve before the return can be submitted.

    The same checks are warnings on a saved draft and the reasons a Submit is refused: a KPI
    with no value (and not "not available"), "not available" without a note saying why, a red
    value without a note, and a value far from last period's (measures.is_outlier) without a
    note explaining it.
    """
    checks = {}
    for kpi in kpis:
        value, not_available, note = final.get(kpi.pk, (None, False, ""))
        label = f"{kpi.code} {kpi.name}"
        if value is None:
            if not not_available:
                checks[kpi.pk] = RowCheck(
                    None,
                    f"{label}: enter a value, or tick “not available” and give the reason.",
                    empty=True,
                )
            elif not note:
                checks[kpi.pk] = RowCheck(
                    None, f"{label}: say in the note why no value is available."
                )
            else:
                checks[kpi.pk] = RowCheck(None)
            continue
        judgement = context.judge(kpi, value)
        problem = ""
        outlier = is_outlier(kpi, value, context.previous.get(kpi.pk))
        if judgement.outcome == rag.Outcome.RED and not note:
            problem = (
                f"{label}: this value is red ({judgement.explanation}) Add a note explaining it."
            )
        elif outlier and not note:
            problem = (
                f"{label}: {outlier}. If it is right, add a note saying why; if not, correct it."
            )
        checks[kpi.pk] = RowCheck(judgement, problem)
    return checks


# --- A head's (or central team's) return form ------------------------------------------------


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

    ``values`` holds the KPIs to write; any other KPI keeps its stored value (a row the form
    could not read is left out, so the rest still save). With ``submit``, a return with
    problems (check_rows) is saved as a draft and not submitted: the result lists them.
    """
    period = _lock_period(period)
    ret = Return.objects.filter(academy=academy, period=period).first()
    check_editable(ret=ret, period=period, user=user)
    existing = {
        v.kpi_id: v
        for v in KPIValue.objects.filter(academy=academy, period=period).select_related(
            "updated_by"
        )
    }
    if version != (ret.version if ret else 0):
        raise ReturnConflict(
            "Someone else has saved this return since you opened it; nothing of yours was saved.",
            _conflict_changes(kpis, existing, was),
        )
    final = _final_values(kpis, values, existing)
    problems: dict[int, str] = {}
    if submit:
        checks = check_rows(
            kpis, final, ReturnContext.load(kpis=kpis, academy=academy, period=period)
        )
        problems = {kpi_id: check.problem for kpi_id, check in checks.items() if check.problem}
        # A refused Submit still saves the draft: nothing the head typed is lost.
        submit = not problems

    now = timezone.now()
    was_published = ret is not None and ret.is_published
    if ret is None:
        ret = _start_return(academy, period, user=user, submit=submit, when=now)
        started = True
    else:
        _claim(ret, version)
        started = False
    writes = _value_writes(kpis, final, existing, academy, period, user=user, when=now)
    _write_values(writes, user=user, reason=change_reason, when=now)
    if not started:
        _finish_return(ret, user=user, submit=submit, when=now, was_published=was_published)
    return SaveResult(
        ret, len(writes.create), len(writes.update), len(writes.delete), submit, problems
    )


def _final_values(
    kpis: list[KPI], values: dict[int, tuple], existing: dict[int, KPIValue]
) -> dict[int, tuple[Decimal | None, bool, str]]:
    """Each KPI's (value, not available, note) after the save: the form's, else as stored."""
    final = {}
    for kpi in kpis:
        stored = existing.get(kpi.pk)
        kept = (stored.value, stored.not_available, stored.note) if stored else (None, False, "")
        final[kpi.pk] = values.get(kpi.pk, kept)
    return final


def _mark_submitted(ret: Return, user, when) -> None:
    ret.status = ReturnStatus.SUBMITTED
    ret.submitted_by, ret.submitted_at = user, when


def _start_return(academy: Academy, period: Period, *, user, submit: bool, when) -> Return:
    """The academy's first save this period creates its return (version 1)."""
    ret = Return(academy=academy, period=period, status=ReturnStatus.DRAFT, updated_by=user)
    if submit:
        _mark_submitted(ret, user, when)
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
    return ret


def _value_writes(
    kpis: list[KPI],
    final: dict[int, tuple],
    existing: dict[int, KPIValue],
    academy: Academy,
    period: Period,
    *,
    user,
    when,
) -> _ValueWrites:
    """The rows to insert, update and delete to turn the stored values into ``final``."""
    writes = _ValueWrites([], [], [])
    for kpi in kpis:
        value, not_available, note = final[kpi.pk]
        current = existing.get(kpi.pk)
        if value is None and not not_available:
            if current is not None:
                writes.delete.append(current)
        elif current is None:
            writes.create.append(
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
            current.updated_by, current.updated_at = user, when
            current.is_demo = False
            writes.update.append(current)
    return writes


def _write_values(writes: _ValueWrites, *, user, reason: str, when) -> None:
    """Bulk writes, one statement each, with their history rows in bulk."""
    if writes.create:
        bulk_create_with_history(
            writes.create, KPIValue, default_user=user, default_change_reason=reason
        )
    if writes.update:
        bulk_update_with_history(
            writes.update,
            KPIValue,
            VALUE_FIELDS,
            default_user=user,
            default_change_reason=reason,
        )
    if writes.delete:
        _record_deletions(writes.delete, user=user, reason=reason, when=when)
        _delete_rows(writes.delete)


def _finish_return(ret: Return, *, user, submit: bool, when, was_published: bool) -> None:
    """Save an existing return after its values: who saved it, and submitted if asked."""
    ret.updated_by = user
    if submit:
        _mark_submitted(ret, user, when)
    ret._history_user = user
    # Values written into a draft change nothing on the board (kpis.cache).
    ret._board_unchanged = not (was_published or ret.is_published)
    ret.save()


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


def _delete_rows(values: list[KPIValue]) -> None:
    """Delete the values' rows in one statement that sends no signals.

    Their history rows are written by _record_deletions (with the user and reason that
    simple-history's signal handler would not know), and the board's token is replaced once by
    the return's save. QuerySet.delete() would fetch the rows and send post_delete for each (a
    history row and a token each: two queries a value), so this is plain SQL, Django's public
    connection.cursor(), one statement whatever the number of KPIs.
    """
    table = connection.ops.quote_name(KPIValue._meta.db_table)
    column = connection.ops.quote_name(KPIValue._meta.pk.column)
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {column} IN ({placeholders})", [v.pk for v in values]
        )


# --- Central team's decisions ----------------------------------------------------------------


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
    ret = _transition(
        ret,
        user=user,
        version=version,
        allowed=(ReturnStatus.SUBMITTED, ReturnStatus.APPROVED),
        to=ReturnStatus.SENT_BACK,
        sent_back_reason=reason,
    )
    # The academy's heads are told at once (people.notify listens), once this has committed.
    transaction.on_commit(lambda: return_sent_back.send(sender=Return, ret=ret, user=user))
    return ret


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


def default_due_date(period: Period) -> datetime.date:
    """When a term's returns are due unless central team say otherwise: two weeks before the
    term's last day (17 December, 17 March, 17 July)."""
    return period.end_date - datetime.timedelta(days=14)


@transaction.atomic
def period_set_open(
    *, period: Period, is_open: bool, due_date: datetime.date | None = None
) -> Period:
    """Open or close a period for entry; waits for any return save in progress (it locks).

    ``due_date`` is when its returns are due (Period.return_overdue); an open period always has
    one: the one given, else the one it had, else ``default_due_date``. Closing keeps it.
    """
    Period.objects.select_for_update().filter(pk=period.pk).first()
    period.is_open = is_open
    if due_date is not None:
        period.due_date = due_date
    elif is_open and period.due_date is None:
        period.due_date = default_due_date(period)
    period.save(update_fields=["is_open", "due_date"])
    if is_open:
        # A period opened for the first time shows the inspections in force (kpis.ofsted).
        sync_inspections(period_ids=[period.pk], user=None)
    return period


# --- Inspections -----------------------------------------------------------------------------

FROM_INSPECTIONS = (
    "{kpi}: its values come from the academy's Ofsted inspections; record or correct the "
    "inspection on the academy's Inspections page instead."
)

INSPECTION_REASON = "From the academy's Ofsted inspection record"


def inspection_in_force(inspections: list[Inspection], period: Period) -> Inspection | None:
    """The latest of an academy's inspections (oldest first) on or before the period's end."""
    found = None
    for inspection in inspections:
        if inspection.date <= period.end_date:
            found = inspection
    return found


def inspection_readings(
    kpis: list[KPI],
    academies: list[Academy],
    periods: list[Period],
    inspections: list[Inspection],
) -> dict[tuple[int, int, int], tuple[Decimal, str, Inspection]]:
    """(kpi, academy, period) → (the kpis.ofsted code, its note, the inspection) for every
    inspection KPI an academy's inspection in force answers. Pure: no queries."""
    by_academy: dict[int, list[Inspection]] = {}
    for inspection in sorted(inspections, key=lambda i: i.date):
        by_academy.setdefault(inspection.academy_id, []).append(inspection)
    readings = {}
    for academy in academies:
        own = by_academy.get(academy.pk, [])
        if not own:
            continue
        for period in periods:
            inspection = inspection_in_force(own, period)
            if inspection is None:
                continue
            for kpi in kpis:
                if not kpi.applies_to(academy):
                    continue
                code = ofsted.code_of(
                    kpi.inspection_rule,
                    kpi.inspection_area,
                    inspection.framework,
                    inspection.grades or {},
                    inspection.safeguarding_met,
                )
                if code is not None:
                    readings[(kpi.pk, academy.pk, period.pk)] = (
                        Decimal(code),
                        inspection.summary(),
                        inspection,
                    )
    return readings


@transaction.atomic
def sync_inspections(
    *,
    academy_ids: Iterable[int] | None = None,
    period_ids: Iterable[int] | None = None,
    user,
    reason: str = INSPECTION_REASON,
    check: bool = True,
) -> int:
    """Make the inspection KPIs' values of these academies and periods (None: all) what their
    inspections in force say; returns how many values changed.

    With ``check`` (always, but for the demo's seeding), a change that would land in a closed
    period or an approved return is refused (ReturnError naming each), as every other write
    of values is; the returns it changes get a new version, so a form opened before is
    refused with what changed.
    """
    kpis = list(KPI.objects.filter(measure=Measure.INSPECTION, is_active=True))
    if not kpis:
        return 0
    academies = Academy.objects.all()
    periods = Period.objects.order_by("year_start", "term")
    if academy_ids is not None:
        academies = academies.filter(pk__in=list(academy_ids))
    if period_ids is not None:
        periods = periods.filter(pk__in=list(period_ids))
    academies, periods = list(academies), list(periods.select_for_update())
    ids = [a.pk for a in academies]
    inspections = list(Inspection.objects.filter(academy_id__in=ids))
    wanted = inspection_readings(kpis, academies, periods, inspections)
    existing = {
        (v.kpi_id, v.academy_id, v.period_id): v
        for v in KPIValue.objects.filter(kpi__in=kpis, academy_id__in=ids, period__in=periods)
    }
    now = timezone.now()
    writes = _ValueWrites([], [], [])
    by_inspection: dict[int, Inspection] = {}
    for key, (code, note, inspection) in wanted.items():
        current = existing.get(key)
        who = inspection.recorded_by if inspection.recorded_by_id else user
        if current is None:
            writes.create.append(
                KPIValue(
                    kpi_id=key[0],
                    academy_id=key[1],
                    period_id=key[2],
                    value=code,
                    note=note,
                    updated_by=who,
                    is_demo=inspection.is_demo,
                )
            )
        elif (current.value, current.not_available, current.note) != (code, False, note):
            current.value, current.not_available, current.note = code, False, note
            current.updated_by, current.updated_at = who, now
            current.is_demo = inspection.is_demo
            writes.update.append(current)
        by_inspection[key[1]] = inspection
    writes.delete.extend(v for key, v in existing.items() if key not in wanted)
    changed = writes.create + writes.update + writes.delete
    if not changed:
        return 0
    touched = {(v.academy_id, v.period_id) for v in changed}
    returns = {
        (r.academy_id, r.period_id): r
        for r in Return.objects.select_for_update(of=("self",))
        .filter(academy_id__in={a for a, _ in touched}, period__in=periods)
        .select_related("academy", "period")
    }
    if check:
        by_id = {a.pk: a for a in academies}
        period_by_id = {p.pk: p for p in periods}
        problems = []
        for academy_id, period_id in sorted(touched, key=lambda t: (t[1], t[0])):
            ret, period = returns.get((academy_id, period_id)), period_by_id[period_id]
            where = f"{by_id[academy_id].name}'s {period} return"
            if ret is not None and ret.status == ReturnStatus.APPROVED:
                problems.append(
                    f"{where} is approved: central team must reopen it before an inspection "
                    "can change its values."
                )
            elif not period.is_open:
                problems.append(
                    f"{where} is in a closed period: central team must open {period} before "
                    "an inspection can change its values."
                )
        if problems:
            raise ReturnError(" ".join(problems))
    _write_values(writes, user=user, reason=reason, when=now)
    for key in touched:
        if key in returns:
            Return.objects.filter(pk=returns[key].pk).update(
                version=F("version") + 1, updated_at=now
            )
    bump_board_version()
    return len(changed)


@transaction.atomic
def record_inspection(
    *,
    academy: Academy,
    date: datetime.date,
    framework: str,
    grades: dict[str, int | None],
    safeguarding_met: bool | None,
    report_url: str = "",
    user,
    inspection: Inspection | None = None,
    check_permission: bool = True,
) -> Inspection:
    """Record (or correct) an academy's inspection and carry it into every period from its
    date until the next (sync_inspections): all or nothing, under the lifecycle's rules.

    ``check_permission=False`` only for a workbook import, whose own permission (central team
    and administrators, or the server's operator) already covers every academy."""
    if check_permission and not permissions.may_record_inspection(user, academy):
        raise ReturnError("You may not record inspections for this academy.")
    grades = {k: int(v) for k, v in grades.items() if v not in (None, "")}
    problems = inspection_problems(framework, grades, safeguarding_met)
    problems += filter(None, [ofsted.date_problem(framework, date)])
    if problems:
        raise ReturnError(" ".join(problems))
    clash = Inspection.objects.filter(academy=academy, date=date)
    if inspection is not None:
        clash = clash.exclude(pk=inspection.pk)
    if clash.exists():
        raise ReturnError(
            f"{academy.name} already has an inspection on {date:%-d %B %Y}: correct that one."
        )
    inspection = inspection or Inspection(academy=academy)
    inspection.date, inspection.framework = date, framework
    inspection.grades, inspection.safeguarding_met = grades, safeguarding_met
    inspection.report_url, inspection.recorded_by = report_url, user
    inspection.is_demo = False
    inspection._history_user = user
    inspection.save()
    sync_inspections(academy_ids=[academy.pk], user=user)
    return inspection


@transaction.atomic
def delete_inspection(inspection: Inspection, *, user) -> None:
    """Remove a mistaken inspection record; the periods it reached fall back to the one
    before it (or to no value), under the same rules."""
    if not permissions.may_record_inspection(user, inspection.academy):
        raise ReturnError("You may not record inspections for this academy.")
    academy_id = inspection.academy_id
    inspection._history_user = user
    inspection.delete()
    sync_inspections(academy_ids=[academy_id], user=user)


# --- Workbook imports ------------------------------------------------------------------------


IMPORT_STATES = (ReturnStatus.DRAFT, ReturnStatus.SUBMITTED)


def import_refusal(ret: Return | None, state: str) -> str | None:
    """Why an import whose values enter returns as ``state`` may not change this return's
    values, or None. (``ret`` with its academy and period loaded; None: not started yet.)

    An import never lowers a return's status: an approved return must be reopened first, and a
    submitted one takes values imported as submitted (it stays submitted) but not as draft.
    """
    if ret is None:
        return None
    which = f"{ret.academy.name}'s return for {ret.period}"
    if ret.status == ReturnStatus.APPROVED:
        return f"{which} is approved: central team must reopen it before an import can change it"
    if ret.status == ReturnStatus.SUBMITTED and state == ReturnStatus.DRAFT:
        return f"{which} has been submitted: import as submitted, or send it back first"
    return None


@dataclass
class ImportedValue:
    """One value an import writes: into ``old`` (the stored row the preview saw) or a new row."""

    kpi: KPI
    academy: Academy
    period: Period
    value: Decimal | None
    not_available: bool
    note: str | None  # None: the sheet has no note column, keep the stored note
    old: KPIValue | None


@dataclass
class ImportCounts:
    values_created: int
    values_updated: int
    returns_created: int
    returns_changed: int


# The return fields an import changes (version, who, and the submission when it submits).
RETURN_IMPORT_FIELDS = [
    "status",
    "updated_by",
    "version",
    "submitted_by",
    "submitted_at",
    "updated_at",
]


@transaction.atomic(savepoint=False)
def import_values(
    *,
    values: list[ImportedValue],
    state: str,
    user,
    reason: str,
    seen: dict[tuple[int, int], int],
) -> ImportCounts:
    """Write an import's values into their returns, in bulk: a fixed number of queries.

    ``seen`` is the version of each return the values go into, as the preview showed them, by
    (academy id, period id); 0 for one not started. With the periods and then the returns
    locked (a head's save locks in the same order, so the two never deadlock), it refuses with
    ImportConflict, writing nothing, if any of those returns has changed since, or may no longer
    take these values (import_refusal). Each touched return's version goes up, so a head's form
    opened before the import is refused rather than writing over it; history says ``reason``.
    """
    if not values:
        return ImportCounts(0, 0, 0, 0)
    now = timezone.now()
    touched = sorted({(v.academy.pk, v.period.pk) for v in values})
    academies = {v.academy.pk: v.academy for v in values}
    periods = {v.period.pk: v.period for v in values}
    returns = _lock_for_import(periods)
    _refuse_changed_returns(touched, returns, seen, state, academies, periods)
    new_returns, changed_returns = _returns_after_import(
        touched, returns, state, academies, periods, user=user, when=now
    )
    _bulk_write(Return, new_returns, changed_returns, RETURN_IMPORT_FIELDS, user, reason)
    created, updated = _imported_rows(values, user=user, when=now)
    _bulk_write(KPIValue, created, updated, VALUE_FIELDS, user, reason, batch_size=2000)
    bump_board_version()  # bulk writes send no signals
    return ImportCounts(len(created), len(updated), len(new_returns), len(changed_returns))


def _lock_for_import(periods: dict[int, Period]) -> dict[tuple[int, int], Return]:
    """Lock the import's periods, then their returns (each in id order, as a head's save does,
    so the two never deadlock); the returns by (academy id, period id)."""
    list(Period.objects.select_for_update().filter(pk__in=periods).order_by("pk"))
    return {
        (r.academy_id, r.period_id): r
        for r in Return.objects.select_for_update(of=("self",))
        .filter(period__in=periods)
        .select_related("academy", "period", "updated_by")
        .order_by("pk")
    }


def _bulk_write(model, created, updated, fields, user, reason, batch_size=None) -> None:
    """Insert and update rows in bulk, each with a history record by ``user`` for ``reason``."""
    if created:
        bulk_create_with_history(
            created, model, batch_size=batch_size, default_user=user, default_change_reason=reason
        )
    if updated:
        bulk_update_with_history(
            updated,
            model,
            fields,
            batch_size=batch_size,
            default_user=user,
            default_change_reason=reason,
        )


def _refuse_changed_returns(touched, returns, seen, state, academies, periods) -> None:
    problems = []
    for academy_id, period_id in touched:
        ret = returns.get((academy_id, period_id))
        now = ret.version if ret else 0
        if now != seen.get((academy_id, period_id), 0):
            who = f" by {_who(ret.updated_by)}" if ret is not None and ret.updated_by else ""
            problems.append(
                f"{academies[academy_id].name}'s return for {periods[period_id]} was "
                f"changed{who} after the preview"
            )
        elif refusal := import_refusal(ret, state):
            problems.append(refusal)
    if problems:
        raise ImportConflict(
            problems
            + ["Nothing was imported: upload the file again to see the values as they are now."]
        )


def _returns_after_import(
    touched, returns, state, academies, periods, *, user, when
) -> tuple[list[Return], list[Return]]:
    """The returns to create and to update: each a version up, none lower in status."""
    new_returns, changed_returns = [], []
    for academy_id, period_id in touched:
        ret = returns.get((academy_id, period_id))
        if ret is None:
            ret = Return(
                academy=academies[academy_id],
                period=periods[period_id],
                status=ReturnStatus.DRAFT,
                version=1,
            )
            new_returns.append(ret)
        else:
            ret.version += 1  # the row is locked: no one else can move it on meanwhile
            changed_returns.append(ret)
        ret.updated_by, ret.updated_at = user, when  # bulk writes skip auto_now
        if state == ReturnStatus.SUBMITTED and ret.status != ReturnStatus.SUBMITTED:
            _mark_submitted(ret, user, when)
    return new_returns, changed_returns


def _imported_rows(values: list[ImportedValue], *, user, when):
    """(rows to insert, rows to update) for the imported values."""
    created, updated = [], []
    for v in values:
        if v.old is None:
            created.append(
                KPIValue(
                    kpi=v.kpi,
                    academy=v.academy,
                    period=v.period,
                    value=v.value,
                    not_available=v.not_available,
                    note=v.note or "",
                    updated_by=user,
                    updated_at=when,
                )
            )
            continue
        old = v.old
        old.value, old.not_available = v.value, v.not_available
        if v.note is not None:
            old.note = v.note
        old.updated_by, old.updated_at, old.is_demo = user, when, False
        updated.append(old)
    return created, updated


# --- The Django admin ------------------------------------------------------------------------


ADMIN_REASON = "Corrected in the admin"


def _locked_return(academy_id: int, period: Period) -> Return | None:
    return (
        Return.objects.select_for_update()
        .filter(academy_id=academy_id, period=period)
        .select_related("period")
        .first()
    )


def _bump_return(ret: Return | None, *, academy_id: int, period: Period, user) -> Return:
    """A version up for a return whose values changed (a draft started if there is none), so a
    head's form opened before the change is refused with what changed, never reverting it."""
    if ret is None:
        ret = Return(academy_id=academy_id, period=period, status=ReturnStatus.DRAFT)
    else:
        ret.version += 1  # locked by _locked_return
    ret.updated_by = user
    ret._history_user = user
    ret.save()
    return ret


@transaction.atomic
def admin_correct_value(value: KPIValue, *, user, reason: str = ADMIN_REASON) -> KPIValue:
    """Save a value added or changed in the Django admin, under the entry form's rules.

    With its period and return locked: refused (ReturnError) in a closed period or an approved
    return, as check_editable says for central team; otherwise the return's version goes up.
    """
    if value.kpi.from_inspections:
        raise ReturnError(FROM_INSPECTIONS.format(kpi=value.kpi))
    period = _lock_period(value.period)
    ret = _locked_return(value.academy_id, period)
    check_editable(ret=ret, period=period, user=user)
    _bump_return(ret, academy_id=value.academy_id, period=period, user=user)
    value.updated_by = user
    value._history_user = user
    value._change_reason = reason
    value.save()
    return value


@transaction.atomic
def admin_delete_values(values: Iterable[KPIValue], *, user, reason: str = ADMIN_REASON) -> int:
    """Delete values from the Django admin under the same rules; each return a version up."""
    values = list(values)
    inspected = sorted({v.kpi.code for v in values if v.kpi.from_inspections})
    if inspected:
        raise ReturnError(FROM_INSPECTIONS.format(kpi=", ".join(inspected)))
    by_return: dict[tuple[int, int], list[KPIValue]] = {}
    for value in values:
        by_return.setdefault((value.academy_id, value.period_id), []).append(value)
    locked = {
        p.pk: p
        for p in Period.objects.select_for_update().filter(
            pk__in={period_id for _, period_id in by_return}
        )
    }
    for (academy_id, period_id), doomed in sorted(by_return.items()):
        period = locked[period_id]
        ret = _locked_return(academy_id, period)
        check_editable(ret=ret, period=period, user=user)
        _bump_return(ret, academy_id=academy_id, period=period, user=user)
        for value in doomed:
            value._history_user = user
            value._change_reason = reason
            value.delete()
    return len(values)


STATUS_ON_ENTRY_PAGES = (
    "A return's status changes on its entry page (submit, approve, send back, reopen), "
    "where its rules are checked, not here."
)


@transaction.atomic
def admin_save_return(ret: Return, *, user, reason: str = ADMIN_REASON) -> Return:
    """Save a return edited (or imported) in the Django admin: refused in a closed period or
    once approved, and its status changes only on the entry pages; its version goes up."""
    period = _lock_period(ret.period)
    stored = Return.objects.select_for_update().filter(pk=ret.pk).first() if ret.pk else None
    check_editable(ret=stored, period=period, user=user)
    if ret.status != (stored.status if stored else ReturnStatus.DRAFT):
        raise ReturnError(STATUS_ON_ENTRY_PAGES)
    if stored is not None:
        ret.version = stored.version + 1
    ret.updated_by = user
    ret._history_user = user
    ret._change_reason = reason
    ret.save()
    return ret


@transaction.atomic
def admin_delete_return(ret: Return, *, user, reason: str = ADMIN_REASON) -> None:
    """Delete a return from the Django admin: refused in a closed period or once approved. Its
    values stay (off the board, as for a return not started); a form opened before sees the
    version gone and is refused."""
    period = _lock_period(ret.period)
    stored = Return.objects.select_for_update().get(pk=ret.pk)
    check_editable(ret=stored, period=period, user=user)
    stored._history_user = user
    stored._change_reason = reason
    stored.delete()
