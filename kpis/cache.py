"""The board's version token (kpis.BoardVersion): what board pages cache is keyed by it.

A cached fragment is keyed by the board's version token, kept in the database and replaced in
the same transaction as any write that changes what the board shows. Every process reads the
token (one query) before using its cache, so a change made in one gunicorn worker invalidates
every worker's copies at once, and a rolled-back write changes nothing (core.cache).

Single saves and deletes bump the token through signals (admin edits included); bulk writes
(return saves, imports, demo and scale data) call bump_board_version() themselves.

The matrix's judged academy columns (kpis.selectors.board_matrix) are kept under finer tokens
(kpis.ColumnVersion): "all", replaced with any change, and one per academy, replaced when a
save or delete of one of its values or returns (a submitted return, an approval, an admin's
correction) changes the board; so after a submitted return only that academy's column is
fetched and judged again. Anything else — a bulk write, a target, a KPI, a period, a national
figure, an academy — replaces "all": every column is worked out again.
"""

from __future__ import annotations

import uuid

from django.db.models.signals import post_delete, post_save

from academies.models import Academy, AcademyGroup
from core.cache import read_token, replace_token
from kpis.models import (
    KPI,
    AcademyTarget,
    Area,
    BoardVersion,
    ColumnVersion,
    KPIValue,
    NationalFigure,
    Period,
    Return,
)


def bump_board_version(academy_id: int | None = None) -> None:
    """A change to the board: its token replaced, and every academy column's ("all"), or with
    ``academy_id`` only that academy's (a change to its values or returns alone)."""
    replace_token(BoardVersion)
    key = "all" if academy_id is None else str(academy_id)
    # One statement, so two writers creating the same key at once cannot collide.
    ColumnVersion.objects.bulk_create(
        [ColumnVersion(key=key, token=uuid.uuid4().hex)],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["token"],
    )


def board_version() -> str | None:
    return read_token(BoardVersion)


def board_wide_version() -> str | None:
    """The "all" column token alone: replaced by any change to the board but one academy's
    values or returns (what no academy column shows: names, periods, KPIs, targets)."""
    return ColumnVersion.objects.filter(key="all").values_list("token", flat=True).first()


def column_versions() -> dict[str, str]:
    """Every column token by key ("all", "<academy id>"); one query. Empty: no caching yet."""
    return dict(ColumnVersion.objects.values_list("key", "token"))


def _bump(sender, instance=None, **kwargs) -> None:
    # A draft saved by a head changes nothing the board shows (drafts are never on it): the
    # return service marks such saves, so a busy entry week keeps the board's cache warm.
    if getattr(instance, "_board_unchanged", False):
        return
    # A value or a return is one academy's: only its column of the matrix changes.
    one_academy = sender in (KPIValue, Return) and instance is not None
    bump_board_version(instance.academy_id if one_academy else None)


def connect_signals() -> None:
    for model in (
        KPIValue,
        Return,
        KPI,
        AcademyTarget,
        NationalFigure,
        Period,
        Area,
        Academy,
        AcademyGroup,
    ):
        post_save.connect(_bump, sender=model, dispatch_uid=f"board-{model.__name__}-save")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"board-{model.__name__}-delete")
