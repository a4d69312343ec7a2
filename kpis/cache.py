"""Caching of the board's heavy fragments (the KPI matrix, the exceptions list).

A cached fragment is keyed by the board's version token, kept in the database and replaced in
the same transaction as any write that changes what the board shows. Every process reads the
token (one query) before using its cache, so a change made in one gunicorn worker invalidates
every worker's copies at once, and a rolled-back write changes nothing.

Single saves and deletes bump the token through signals (admin edits included); bulk writes
(return saves, imports, demo and scale data) call bump_board_version() themselves.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

CACHE_SECONDS = 60 * 60


def replace_token(model) -> None:
    """Give a version-token model (one row, pk 1) a new token, creating the row if need be."""
    token = uuid.uuid4().hex
    if not model.objects.filter(pk=1).update(token=token):
        model.objects.create(pk=1, token=token)


def read_token(model) -> str | None:
    return model.objects.filter(pk=1).values_list("token", flat=True).first()


def bump_board_version() -> None:
    from kpis.models import BoardVersion

    replace_token(BoardVersion)


def board_version() -> str | None:
    from kpis.models import BoardVersion

    return read_token(BoardVersion)


def cached_value(name: str, parts: tuple, compute: Callable[[], object], token: str | None):
    """The value kept under the current token, or computed now and kept (None: no caching)."""
    if token is None:
        return compute()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"board:{token}:{name}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def cached_fragment(name: str, parts: tuple, render: Callable[[], str], token: str | None) -> str:
    """A rendered HTML fragment of the board, from the cache when nothing has changed."""
    return cached_value(name, parts, render, token)


def _bump(sender, instance=None, **kwargs) -> None:
    # A draft saved by a head changes nothing the board shows (drafts are never on it): the
    # return service marks such saves, so a busy entry week keeps the board's cache warm.
    if getattr(instance, "_board_unchanged", False):
        return
    bump_board_version()


def connect_signals() -> None:
    from academies.models import Academy
    from kpis.models import KPI, AcademyTarget, Area, KPIValue, NationalFigure, Period, Return

    for model in (KPIValue, Return, KPI, AcademyTarget, NationalFigure, Period, Area, Academy):
        post_save.connect(_bump, sender=model, dispatch_uid=f"board-{model.__name__}-save")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"board-{model.__name__}-delete")
