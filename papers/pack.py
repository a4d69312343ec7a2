"""The PDF board pack of a period: the paper a trust board reads (issue 16).

Cover, contents, a one-page summary, the exceptions report by academy, the KPI matrix in the
seed's layout, one page per academy (its scorecard with charts) and plan progress by
objective. Every figure comes from the selectors the web pages use (kpis.selectors,
plans.selectors), so the pack says what the pages say.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from academies.models import Academy
from kpis import rag
from kpis.models import PUBLISHED_STATUSES, Period, Return
from kpis.selectors import Board, PeriodIndex, board_matrix
from papers.pdf import render_pdf

TEMPLATE = "papers/pack.html"
COUNTED = (rag.Outcome.RED, rag.Outcome.AMBER, rag.Outcome.GREEN, rag.Outcome.MISSING)


@dataclass
class CountRow:
    """One line of the summary's RAG counts: an area or an academy, and the trust."""

    label: str
    counts: Counter = field(default_factory=Counter)
    improved: int = 0
    declined: int = 0

    @property
    def cells(self) -> list[tuple[rag.Outcome, int]]:
        return [(outcome, self.counts.get(outcome, 0)) for outcome in COUNTED]


def _counts_by_area(board: Board) -> list[CountRow]:
    rows = []
    for group in board.areas:
        row = CountRow(str(group.area))
        for kpi_row in group.rows:
            for cell in kpi_row.cells:
                row.counts[cell.outcome] += 1
                row.improved += cell.trend == rag.Trend.BETTER
                row.declined += cell.trend == rag.Trend.WORSE
        rows.append(row)
    return rows


def _counts_by_academy(board: Board) -> list[CountRow]:
    rows = {academy.pk: CountRow(academy.name) for academy in board.academies}
    for kpi_row in board.rows:
        for cell in kpi_row.cells:
            row = rows[cell.academy.pk]
            row.counts[cell.outcome] += 1
            row.improved += cell.trend == rag.Trend.BETTER
            row.declined += cell.trend == rag.Trend.WORSE
    return list(rows.values())


def _trust_moves(board: Board) -> tuple[list, list]:
    """The trust's KPIs that improved and those that declined since the previous period, like
    for like (Cell.trend of the trust cell: kpis.rag.trust_trend)."""
    improved = [row for row in board.rows if row.trust.trend == rag.Trend.BETTER]
    declined = [row for row in board.rows if row.trust.trend == rag.Trend.WORSE]
    return improved, declined


def _returns_outstanding(board: Board, period: Period) -> list[tuple[Academy, Return | None]]:
    """The academies in the pack whose return for the period is not submitted (one query)."""
    returns = {r.academy_id: r for r in Return.objects.filter(period=period)}
    return [
        (academy, returns.get(academy.pk))
        for academy in board.academies
        if returns.get(academy.pk) is None or returns[academy.pk].status not in PUBLISHED_STATUSES
    ]


def pack_context(
    period: Period,
    *,
    academy_ids: set[int] | None = None,
    produced_by: str,
    produced_at: datetime | None = None,
    title: str | None = None,
) -> dict:
    """Everything the pack's template shows."""
    produced_at = timezone.localtime(produced_at or timezone.now())
    periods = PeriodIndex()
    whole = board_matrix(period, periods)  # every academy: the trust column is the trust's
    board = whole.restricted_to(academy_ids)
    improved, declined = _trust_moves(board)
    return {
        "trust_name": settings.TRUST_NAME,
        "marking": settings.PAPER_MARKING,
        "period": period,
        "produced_at": produced_at,
        "produced_by": produced_by,
        "pack_title": title or f"Board pack – {period}",
        "meeting": title,
        "board": board,
        "whole_trust": academy_ids is None,
        "by_area": _counts_by_area(board),
        "by_academy": _counts_by_academy(board),
        "trust_counts": CountRow(settings.TRUST_NAME, board.counts.get(None, Counter())),
        "improved": improved,
        "declined": declined,
        "outstanding": _returns_outstanding(board, period),
        "counted": COUNTED,
    }


def board_pack_pdf(
    period: Period,
    *,
    academy_ids: set[int] | None = None,
    produced_by: str,
    produced_at: datetime | None = None,
    title: str | None = None,
) -> bytes:
    """The board pack of ``period`` as a tagged PDF.

    ``academy_ids``: None for the whole trust, else only these academies' columns, exceptions
    and pages (a governor's scope, academies.permissions.visible_academy_ids); the trust
    column is still the whole trust's figure (Board.restricted_to). ``title``: the meeting the
    pack is published for ("Trust Board, 12 March 2024"), shown on the cover; else
    "Board pack – <period>".
    """
    context = pack_context(
        period,
        academy_ids=academy_ids,
        produced_by=produced_by,
        produced_at=produced_at,
        title=title,
    )
    return render_pdf(TEMPLATE, context)
