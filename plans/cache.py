"""Caching of the plan's heavy pieces (the plan tree, the overview's roll-up).

The same scheme as the board's (kpis.cache, core.cache): cached pieces are keyed by a version
token kept in the database and replaced in the same transaction as any write to the plan, so
every gunicorn worker sees a change at once and a rolled-back write changes nothing. Single saves,
deletes and link changes bump the token through signals (admin edits included); bulk writes and
QuerySet.update() calls (imports, moves, demo and scale data) call bump_plan_version().
What a plan page also shows of the board (KPI RAG chips, term end dates) is keyed by the
board's token as well, or, for the plan tree, by a digest of just what it shows of the board
(plans.selectors.tree_board_key), so that a submitted return renders the tree again only when
it re-rates a chip.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from academies.models import Owner
from core.cache import read_token, replace_token
from kpis.cache import board_version
from plans.models import (
    Action,
    Aim,
    Plan,
    PlanVersion,
    ProgressUpdate,
    StrategicObjective,
    SuccessCriterion,
)


def bump_plan_version() -> None:
    replace_token(PlanVersion)


def plan_version() -> str | None:
    return read_token(PlanVersion)


def plan_and_board_version(board: str | None = None, plan: str | None = None) -> str | None:
    """One token for pieces that show both plan and board data (None: no caching yet); pass
    the board's token, or the plan's, when the page has already read it."""
    plan, board = plan or plan_version(), board or board_version()
    return f"{plan}-{board}" if plan and board else None


def _bump(sender, **kwargs) -> None:
    bump_plan_version()


def _bump_links(sender, action=None, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        bump_plan_version()


def connect_signals() -> None:
    for model in (Plan, StrategicObjective, Aim, Action, ProgressUpdate, SuccessCriterion, Owner):
        post_save.connect(_bump, sender=model, dispatch_uid=f"plan-{model.__name__}-save")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"plan-{model.__name__}-delete")
    links = [Action.aims, Action.responsible, Action.monitors, Action.kpis, Action.academies]
    links.append(SuccessCriterion.aims)
    for link in links:
        through = link.through
        m2m_changed.connect(_bump_links, sender=through, dispatch_uid=f"plan-{through.__name__}")
