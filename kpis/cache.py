"""The board's version token (kpis.BoardVersion): what board pages cache is keyed by it.

A cached fragment is keyed by the board's version token, kept in the database and replaced in
the same transaction as any write that changes what the board shows. Every process reads the
token (one query) before using its cache, so a change made in one gunicorn worker invalidates
every worker's copies at once, and a rolled-back write changes nothing (core.cache).

Single saves and deletes bump the token through signals (admin edits included); bulk writes
(return saves, imports, demo and scale data) call bump_board_version() themselves.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from academies.models import Academy, AcademyGroup
from core.cache import read_token, replace_token
from kpis.models import (
    KPI,
    AcademyTarget,
    Area,
    BoardVersion,
    KPIValue,
    NationalFigure,
    Period,
    Return,
)


def bump_board_version() -> None:
    replace_token(BoardVersion)


def board_version() -> str | None:
    return read_token(BoardVersion)


def _bump(sender, instance=None, **kwargs) -> None:
    # A draft saved by a head changes nothing the board shows (drafts are never on it): the
    # return service marks such saves, so a busy entry week keeps the board's cache warm.
    if getattr(instance, "_board_unchanged", False):
        return
    bump_board_version()


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
