"""Publishing a board pack for a meeting, and what has changed since.

A published pack keeps the PDF and the XLSX exactly as they were made, their SHA-256s, a
digest of the data behind them and a snapshot of each value shown, so that however the values
are corrected afterwards the meeting's papers stay as they were, and the pack's page can say
how many of its values differ now ("data changed since publication: 3 values").

The data behind a pack (pack_data) is what it shows that could change later: the published
values (value, not available, note and who saved it) of every period up to the pack's, for
every active academy (the trust column and the scorecards' charts), the returns' statuses, the
KPIs' rules, academy targets and national figures, and the active plan's actions and progress
updates. Its digest is the SHA-256 of that as canonical JSON (keys sorted, no spaces, decimals
normalised), so the same data always gives the same digest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from academies.models import Academy
from kpis import rag
from kpis.models import KPI, AcademyTarget, KPIValue, NationalFigure, Period, Return
from papers.models import PublishedPack, packs_storage
from papers.pack import board_pack_pdf
from plans.models import Action, ProgressUpdate
from plans.selectors import active_plan
from spreadsheets.export import board_pack

logger = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1
NOT_AVAILABLE = "n/a"
# How many times the pack is made again when the data changed while it was being made.
ATTEMPTS = 3


class PublishError(Exception):
    """The pack could not be published; the message says why, in words for the page."""


# --- The data behind a pack ------------------------------------------------------------------


def _plain(value):
    """JSON for what values_list returns: decimals normalised ("95.2", never "95.2000"), dates
    as ISO strings."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def canonical_json(data) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    ).encode("utf-8")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _up_to(period: Period) -> Q:
    """Periods up to and including ``period`` (the scorecards chart every one of them)."""
    return Q(year_start__lt=period.year_start) | Q(
        year_start=period.year_start, term__lte=period.term
    )


def shown_value(value: Decimal | None, not_available: bool) -> str:
    """A value as the snapshot keeps it: "95.2", or "n/a" for "not available"."""
    return NOT_AVAILABLE if not_available else _plain(value)


def _key(kpi_id: int, academy_id: int) -> str:
    return f"{kpi_id}:{academy_id}"


def _published_values(period_ids) -> Iterable[tuple]:
    """(period, kpi, academy, value, not available, note, is demo, saved by) of the board's
    values — published, active KPIs, active academies — in the periods (one query)."""
    return (
        KPIValue.objects.published()
        .filter(period_id__in=period_ids, kpi__is_active=True, academy__is_active=True)
        .order_by("period_id", "kpi_id", "academy_id")
        .values_list(
            "period_id",
            "kpi_id",
            "academy_id",
            "value",
            "not_available",
            "note",
            "is_demo",
            "updated_by__first_name",
            "updated_by__last_name",
        )
    )


def pack_data(period: Period, academy_ids: set[int] | None) -> dict:
    """Everything behind the pack of ``period`` for ``academy_ids`` (None: the trust), as
    plain JSON-able data. Ten queries whatever the trust's size."""
    periods = list(Period.objects.filter(_up_to(period)).values_list("pk", "slug"))
    period_ids = [pk for pk, _slug in periods]
    plan = active_plan()
    actions = Action.objects.filter(objective__plan=plan) if plan else Action.objects.none()
    return {
        "period": period.slug,
        "scope": sorted(academy_ids) if academy_ids is not None else None,
        "periods": periods,
        "academies": list(
            Academy.objects.active()
            .order_by("pk")
            .values_list("pk", "name", "phase", "pupils_on_roll", "position")
        ),
        "kpis": list(
            KPI.objects.active()
            .order_by("pk")
            .values_list(
                "pk",
                "code",
                "name",
                "area_id",
                "measure",
                "direction",
                "unit",
                "target_kind",
                "target_value",
                "amber_margin",
                "baseline_year",
                "trust_target_value",
                "aggregation",
                "phases",
                "frequency",
            )
        ),
        "targets": list(
            AcademyTarget.objects.order_by("pk").values_list(
                "kpi_id", "academy_id", "target_value", "amber_margin"
            )
        ),
        "national": list(
            NationalFigure.objects.filter(period_id__in=period_ids)
            .order_by("pk")
            .values_list("kpi_id", "period_id", "value")
        ),
        "returns": list(
            Return.objects.filter(period_id__in=period_ids)
            .order_by("pk")
            .values_list("academy_id", "period_id", "status")
        ),
        "values": [list(row) for row in _published_values(period_ids)],
        "actions": list(
            actions.order_by("pk").values_list(
                "pk", "objective_id", "description", "due_date", "due_period_id"
            )
        ),
        "action_academies": list(
            Action.academies.through.objects.filter(action__in=actions)
            .order_by("pk")
            .values_list("action_id", "academy_id")
        ),
        "updates": list(
            ProgressUpdate.objects.filter(action__in=actions)
            .order_by("pk")
            .values_list("pk", "action_id", "date", "status", "commentary")
        ),
    }


def data_digest(data: dict) -> str:
    return sha256(canonical_json(data))


def snapshot_of(data: dict, period: Period, academy_ids: set[int] | None) -> dict:
    """What changes_since needs from pack_data: each value of the pack's period and academies,
    by "kpi id:academy id"."""
    values = {
        _key(kpi_id, academy_id): shown_value(value, not_available)
        for period_id, kpi_id, academy_id, value, not_available, *_rest in data["values"]
        if period_id == period.pk and (academy_ids is None or academy_id in academy_ids)
    }
    return {
        "version": SNAPSHOT_VERSION,
        "academies": sorted(academy_ids) if academy_ids is not None else None,
        "values": values,
    }


# --- Publishing ------------------------------------------------------------------------------


def publish_pack(
    *,
    meeting: str,
    meeting_date: date,
    period: Period,
    academy_ids: Iterable[int] | None,
    user,
    published_at: datetime | None = None,
) -> PublishedPack:
    """Make the PDF (papers.pack) and the XLSX (spreadsheets.export) of ``period`` for
    ``academy_ids`` (empty or None: the whole trust, a Trust Board pack) and store them with
    the data's digest and snapshot (store_pack). ``published_at`` (default: now) is also the
    cover's "as at" time; the demo gives the seed's own date.

    The pack is made outside any transaction (a big trust's takes long, and SQLite would hold
    its write lock all that time); the data is read before and after, and if anything changed
    in between the pack is made again (ATTEMPTS in all, then PublishError), so the files, the
    digest and the snapshot always describe the same data.
    """
    scope = set(academy_ids) if academy_ids else None
    produced_by = user.get_full_name() or user.get_username()
    for _attempt in range(ATTEMPTS):
        when = published_at or timezone.now()
        before = data_digest(pack_data(period, scope))
        pdf = board_pack_pdf(
            period,
            academy_ids=scope,
            produced_by=produced_by,
            produced_at=when,
            title=meeting,
        )
        xlsx = board_pack(period, scope)
        data = pack_data(period, scope)
        if data_digest(data) == before:
            break
    else:
        raise PublishError(
            "The data changed each time the pack was being made (values are being entered or "
            "corrected right now); nothing was published. Publish it again in a moment."
        )
    return store_pack(
        meeting=meeting,
        meeting_date=meeting_date,
        period=period,
        academy_ids=scope,
        user=user,
        pdf=pdf,
        xlsx=xlsx,
        data=data,
        published_at=when,
    )


def store_pack(
    *,
    meeting: str,
    meeting_date: date,
    period: Period,
    academy_ids: set[int] | None,
    user,
    pdf: bytes,
    xlsx: bytes,
    data: dict,
    published_at: datetime | None = None,
) -> PublishedPack:
    """Store a pack's files and its row as one: if the storage fails there is no row, and if
    the database fails the stored files are deleted again."""
    pack = PublishedPack(
        meeting=meeting,
        meeting_date=meeting_date,
        period=period,
        pdf_size=len(pdf),
        pdf_sha256=sha256(pdf),
        xlsx_size=len(xlsx),
        xlsx_sha256=sha256(xlsx),
        data_digest=data_digest(data),
        snapshot=snapshot_of(data, period, academy_ids),
        published_by=user,
        published_at=published_at or timezone.now(),
    )
    # Unguessable and unique, and saying what they are to whoever looks in the folder.
    stem = f"{slugify(meeting)[:60] or 'pack'}-{period.slug}-{secrets.token_hex(6)}"
    stored: list[str] = []
    try:
        with transaction.atomic():
            pack.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
            stored.append(pack.pdf.name)
            pack.xlsx.save(f"{stem}.xlsx", ContentFile(xlsx), save=False)
            stored.append(pack.xlsx.name)
            pack.save()
            if academy_ids:
                pack.academies.set(sorted(academy_ids))
    except BaseException:
        _delete_files(stored)
        raise
    return pack


def _delete_files(names: Iterable[str]) -> None:
    storage = packs_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # the first error is the one to report; log this one
            logger.exception("Could not delete the stored pack file %s", name)


def delete_packs(packs: Iterable[PublishedPack]) -> int:
    """Delete published packs and, once the deletion is committed, their stored files (the
    administrator's delete in the Django admin: the only way a pack goes)."""
    packs = list(packs)
    names = [name for pack in packs for name in (pack.pdf.name, pack.xlsx.name) if name]
    with transaction.atomic():
        PublishedPack.objects.filter(pk__in=[pack.pk for pack in packs]).delete()
        transaction.on_commit(lambda: _delete_files(names))
    return len(packs)


# --- What has changed since --------------------------------------------------------------------


@dataclass(frozen=True)
class ValueChange:
    """One value that differs from the pack's: changed, added (was None) or removed (now
    None)."""

    kpi_id: int
    academy_id: int
    was: str | None
    now: str | None


def _current_values(period_ids: set[int]) -> dict[int, dict[str, tuple[int, str]]]:
    """period → "kpi:academy" → (academy, shown value) as the board shows them now (one
    query)."""
    current: dict[int, dict[str, tuple[int, str]]] = {pk: {} for pk in period_ids}
    for period_id, kpi_id, academy_id, value, not_available, *_rest in _published_values(
        period_ids
    ):
        current[period_id][_key(kpi_id, academy_id)] = (
            academy_id,
            shown_value(value, not_available),
        )
    return current


def _changes(pack: PublishedPack, now: dict[str, tuple[int, str]]) -> list[ValueChange]:
    scope = pack.snapshot.get("academies")
    scope = None if scope is None else set(scope)
    was: dict[str, str] = pack.snapshot.get("values", {})
    current = {
        key: shown
        for key, (academy_id, shown) in now.items()
        if scope is None or academy_id in scope
    }
    changes = []
    for key in sorted(was.keys() | current.keys()):
        if was.get(key) != current.get(key):
            kpi_id, academy_id = (int(part) for part in key.split(":"))
            changes.append(ValueChange(kpi_id, academy_id, was.get(key), current.get(key)))
    return changes


def changes_for(packs: Iterable[PublishedPack]) -> dict[int, int]:
    """How many values differ now from each pack's (pack id → count), in one query whatever
    the number of packs or academies."""
    packs = list(packs)
    current = _current_values({pack.period_id for pack in packs})
    return {pack.pk: len(_changes(pack, current[pack.period_id])) for pack in packs}


def changes_since(pack: PublishedPack) -> int:
    """How many values (KPI × academy of the pack's period and academies) differ now from
    those the pack showed: changed, added or removed. A value corrected and then put back
    counts nothing."""
    return changes_for([pack])[pack.pk]


@dataclass(frozen=True)
class ChangeRow:
    """A changed value as the pack's page lists it: "2.1 Attendance", "Moreton School", the
    value the pack showed and the value now, in words."""

    kpi: str
    academy: str
    was: str
    now: str
    order: tuple = ()


def changed_values(pack: PublishedPack) -> list[ChangeRow]:
    """The values that differ now, in words ("95.2%" → "93%"; "not reported" when added or
    removed), in the framework's order: three queries (the values, their KPIs, academies)."""
    changes = _changes(pack, _current_values({pack.period_id})[pack.period_id])
    if not changes:
        return []
    kpis = KPI.objects.select_related("area").in_bulk({c.kpi_id for c in changes})
    academies = Academy.objects.in_bulk({c.academy_id for c in changes})
    rows = []
    for change in changes:
        kpi, academy = kpis.get(change.kpi_id), academies.get(change.academy_id)
        # A KPI or academy deleted since (its values first): still counted, named by its id.
        order = (
            (kpi.area.number, kpi.position, kpi.code) if kpi else (10**6, 0, str(change.kpi_id)),
            academy.position if academy else 10**6,
            academy.name if academy else "",
        )
        rows.append(
            ChangeRow(
                kpi=str(kpi) if kpi else f"KPI {change.kpi_id} (since deleted)",
                academy=academy.name if academy else f"Academy {change.academy_id} (since deleted)",
                was=_in_words(kpi, change.was),
                now=_in_words(kpi, change.now),
                order=order,
            )
        )
    return sorted(rows, key=lambda row: row.order)


def _in_words(kpi: KPI | None, shown: str | None) -> str:
    if shown is None:
        return "not reported"
    if shown == NOT_AVAILABLE:
        return "not available"
    if kpi is None:
        return shown
    return rag.format_value(Decimal(shown), kpi.measure, kpi.unit)
