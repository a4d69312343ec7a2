"""The board's KPI pages: the matrix of one period and one KPI across academies and periods."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from academies.models import Academy, Phase
from kpis import rag
from kpis.models import KPI, Area, Period
from kpis.selectors import PeriodIndex, board_matrix, default_period, kpi_history, rule_in_words


def period_from_request(request: HttpRequest, periods: PeriodIndex) -> Period | None:
    """The period named by ?period=2023-24-autumn, or the latest with published returns."""
    slug = request.GET.get("period")
    if slug:
        if slug not in periods.by_slug:
            raise Http404(f"No period {slug!r}")
        return periods.by_slug[slug]
    return default_period(periods)


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


@require_safe
def matrix(request: HttpRequest) -> HttpResponse:
    periods = PeriodIndex()
    period = period_from_request(request, periods)
    phase = request.GET.get("phase") if request.GET.get("phase") in Phase.values else ""
    area = _int_or_none(request.GET.get("area"))
    exceptions_only = request.GET.get("exceptions") == "1"
    focus_academy = request.GET.get("academy", "")
    focus_outcome = request.GET.get("outcome", "")
    if focus_outcome not in rag.Outcome.__members__.values():
        focus_outcome = ""
    board = None
    if period is not None:
        academies = Academy.objects.active()
        if phase:
            academies = academies.filter(phase=phase)
        board = board_matrix(period, periods, academies=list(academies), area=area)
        for area_rows in board.areas:
            if exceptions_only:
                area_rows.rows = [row for row in area_rows.rows if row.has_exception]
            if focus_outcome:
                area_rows.rows = [
                    row
                    for row in area_rows.rows
                    if any(
                        cell.outcome == focus_outcome
                        for cell in ([row.trust] if focus_academy == "trust" else row.cells)
                        if focus_academy in ("", "trust") or cell.academy.slug == focus_academy
                    )
                ]
        board.areas = [area_rows for area_rows in board.areas if area_rows.rows]
    return render(
        request,
        "kpis/matrix.html",
        {
            "board": board,
            "period": period,
            "periods": periods.periods,
            "areas": Area.objects.all(),
            "phases": Phase.choices,
            "selected": {
                "phase": phase,
                "area": area,
                "exceptions": exceptions_only,
                "academy": focus_academy,
                "outcome": focus_outcome,
            },
            "legend": [rag.Outcome(o) for o in rag.Outcome],
        },
    )


@require_safe
def detail(request: HttpRequest, code: str) -> HttpResponse:
    kpi = get_object_or_404(KPI.objects.select_related("area"), code=code)
    periods = PeriodIndex()
    history = kpi_history(kpi, periods)
    return render(
        request,
        "kpis/detail.html",
        {"kpi": kpi, "rule": rule_in_words(kpi), "history": history, "periods": periods.periods},
    )
