"""Change history in words: what one save changed, old → new, from django-simple-history's records.

A save can leave several historical records: an action's ``save()`` writes one and each of its
many-to-many ``set()`` calls (owners, monitors, KPIs, academies) writes another, each a full
snapshot. ``entries`` collapses the records of one save (the same person, each record within
``WINDOW`` of the one before and repeating its own fields) into one entry, compares its last
snapshot with the previous save's last one, and drops entries that changed nothing a reader
sees.

Values are put in words a reader knows: the field's verbose name, dates as "21 Oct 2026",
choices by label, related rows by their ``str()``, many-to-many links as added/removed.
Plain fields are compared by simple-history's ``diff_against``; many-to-many snapshots are read
by ``m2m_snapshots`` in one query per field for all the records at once (``diff_against`` would
query twice per field per pair of records).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst

# Records of one save are written within milliseconds of each other; two saves by one person
# within two seconds are, for a reader, one change.
WINDOW = datetime.timedelta(seconds=2)

Formatter = Callable[[models.Model], str]  # a historical record -> the field's value in words


@dataclass(frozen=True)
class Change:
    """One field's change. ``old``/``new`` are words ("" for none); a many-to-many field says
    what was ``added`` and ``removed`` instead."""

    label: str
    old: str = ""
    new: str = ""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def is_links(self) -> bool:
        return bool(self.added or self.removed)


@dataclass
class Entry:
    """One save: when, by whom, what kind ("created", "changed", "deleted") and its changes."""

    when: datetime.datetime
    user: models.Model | None
    kind: str
    changes: list[Change] = field(default_factory=list)
    reason: str = ""
    record: models.Model | None = None  # the save's last record

    @property
    def is_created(self) -> bool:
        return self.kind == "created"

    @property
    def is_deleted(self) -> bool:
        return self.kind == "deleted"

    @property
    def who(self) -> str:
        if self.user is None:
            return "system"
        return self.user.get_full_name() or self.user.get_username()


def m2m_snapshots(records: Sequence[models.Model]) -> dict[int, dict[str, list[str]]]:
    """{history_id: {m2m field name: [linked rows in words, sorted]}} for these historical
    records of one model: one query per many-to-many field the model's history keeps."""
    snapshots: dict[int, dict[str, list[str]]] = {r.history_id: {} for r in records}
    if not records:
        return snapshots
    history_model = type(records[0])
    for m2m_field in getattr(history_model, "_history_m2m_fields", ()):
        m2m_model = getattr(history_model, m2m_field.name).model
        target = m2m_field.m2m_reverse_field_name()  # the through row's FK to the linked row
        for name in snapshots.values():
            name[m2m_field.name] = []
        rows = m2m_model.objects.filter(history__in=list(snapshots)).select_related(target)
        for row in rows:
            linked = getattr(row, target)
            words = str(linked) if linked is not None else "(deleted)"
            snapshots[row.history_id][m2m_field.name].append(words)
    for by_field in snapshots.values():
        for names in by_field.values():
            names.sort()
    return snapshots


def words(record: models.Model, model_field: models.Field) -> str:
    """A field's value on a historical record, in words ("" for none)."""
    value = getattr(record, model_field.attname)
    if value is None or value == "":
        return ""
    if model_field.is_relation:
        try:
            related = getattr(record, model_field.name)
        except ObjectDoesNotExist:
            related = None
        return str(related) if related is not None else f"(deleted, #{value})"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return "yes" if value else "no"
    if isinstance(model_field, models.DateTimeField):
        return date_format(timezone.localtime(value), "j M Y H:i")
    if isinstance(model_field, models.DateField):
        return date_format(value, "j M Y")
    return str(value)


def _label(model_field: models.Field) -> str:
    return capfirst(str(model_field.verbose_name))


def field_changes(
    old: models.Model | None,
    new: models.Model,
    *,
    exclude: Iterable[str] = (),
    formatters: dict[str, Formatter] | None = None,
    labels: dict[str, str] | None = None,
    snapshots: dict[int, dict[str, list[str]]] | None = None,
) -> list[Change]:
    """What changed from historical record ``old`` to ``new`` (``old`` None: what ``new`` was
    created with), in the model's field order. Only fields whose words differ count, so a
    value saved again unchanged, or 55.0 saved as 55.00, is no change. ``labels`` name fields
    whose verbose name does not read well on its own; ``formatters`` put a value in words."""
    formatters = formatters or {}
    labels = labels or {}
    snapshots = snapshots or {}
    excluded = set(exclude)
    m2m_fields = [f for f in getattr(new, "_history_m2m_fields", ()) if f.name not in excluded]
    plain = [
        f for f in new.tracked_fields if f.editable and not f.primary_key and f.name not in excluded
    ]
    if old is None:
        candidates = {f.name for f in plain}
    else:
        delta = new.diff_against(old, excluded_fields=excluded | {f.name for f in m2m_fields})
        # A formatter may read other fields too (a value that became "not available").
        candidates = set(delta.changed_fields) | set(formatters)
    changes = []
    for model_field in plain:
        if model_field.name not in candidates:
            continue
        show = formatters.get(model_field.name) or (lambda r, f=model_field: words(r, f))
        before = show(old) if old is not None else ""
        after = show(new)
        if before != after:
            label = labels.get(model_field.name) or _label(model_field)
            changes.append(Change(label, old=before, new=after))
    old_links = snapshots.get(old.history_id, {}) if old is not None else {}
    new_links = snapshots.get(new.history_id, {})
    if old_links is None or new_links is None:  # not recorded (_links_unrecorded): say nothing
        m2m_fields = []
    for m2m_field in m2m_fields:
        before = set(old_links.get(m2m_field.name, []))
        after = set(new_links.get(m2m_field.name, []))
        if before != after:
            changes.append(
                Change(
                    labels.get(m2m_field.name) or _label(m2m_field),
                    added=tuple(sorted(after - before)),
                    removed=tuple(sorted(before - after)),
                )
            )
    return changes


def _own_fields(record) -> tuple:
    """The record's own (not many-to-many) field values."""
    fields = getattr(record, "tracked_fields", ())
    return tuple(getattr(record, f.attname) for f in fields if not f.primary_key)


def _links_unrecorded(run: list, snapshots: dict) -> bool:
    """Whether a save's record carries no links because none were recorded, not because there
    were none: simple-history's bulk helpers (an import, the demo) write one record per object
    and no link rows. A save through ``save()`` that leaves links unchanged also writes one
    record, but with its links; one that removes them writes more records (one per ``set()``).
    So a lone change record with no link at all is taken as unrecorded. (A lone creation record
    with none is taken at its word: an action created with no links is one; a bulk-created
    one's links are not known.)"""
    links = snapshots.get(run[-1].history_id)
    return len(run) == 1 and run[0].history_type == "~" and bool(links) and not any(links.values())


def group_saves(records: Sequence[models.Model], window: datetime.timedelta = WINDOW) -> list:
    """The records (oldest first) in runs, one run per save. A record continues the run before
    it when it is by the same user, within ``window`` of the record before, and has the same
    own fields (the records a save's link updates write repeat the save's fields; a second save
    that changes a field starts a new run); a deletion ends its run."""
    runs: list[list] = []
    for record in records:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and last.history_type != "-"
            and record.history_type == "~"
            and record.history_user_id == last.history_user_id
            and record.history_date - last.history_date <= window
            and _own_fields(record) == _own_fields(last)
        ):
            runs[-1].append(record)
        else:
            runs.append([record])
    return runs


def entries(
    records: Sequence[models.Model],
    *,
    before: models.Model | None = None,
    exclude: Iterable[str] = (),
    formatters: dict[str, Formatter] | None = None,
    labels: dict[str, str] | None = None,
    snapshots: dict[int, dict[str, list[str]]] | None = None,
    window: datetime.timedelta = WINDOW,
) -> list[Entry]:
    """One entry per save, oldest first, each with what it changed; a save that changed nothing
    shown is left out. ``records`` are one object's historical records, oldest first, with the
    foreign keys the words need already joined; ``before`` is the record just before them (when
    only the latest records are read), ``snapshots`` their ``m2m_snapshots`` (read here when
    not given, so pass ``before`` among the records it was read for)."""
    if snapshots is None:
        snapshots = m2m_snapshots([*([before] if before else []), *records])
    snapshots = dict(snapshots)  # the unrecorded ones are replaced below
    result = []
    previous = before
    for run in group_saves(records, window):
        last = run[-1]
        if _links_unrecorded(run, snapshots):
            # As they were at the save before (None: unknown, so no link change is claimed).
            snapshots[last.history_id] = snapshots.get(previous.history_id) if previous else None
        kind = (
            "deleted"
            if last.history_type == "-"
            else "created"
            if run[0].history_type == "+"
            else "changed"
        )
        base = None if kind in ("created", "deleted") else previous
        changes = field_changes(
            base,
            last,
            exclude=exclude,
            formatters=formatters,
            labels=labels,
            snapshots=snapshots,
        )
        if kind == "deleted":  # what it held when it was deleted
            changes = [Change(c.label, old=c.new or ", ".join(c.added)) for c in changes]
        reasons = [r.history_change_reason for r in run if r.history_change_reason]
        previous = last
        if kind == "changed" and not changes:
            continue
        result.append(
            Entry(
                when=last.history_date,
                user=last.history_user,
                kind=kind,
                changes=changes,
                reason="; ".join(dict.fromkeys(reasons)),
                record=last,
            )
        )
    return result
