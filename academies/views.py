"""The academy scorecard: every applicable KPI across periods, its actions, its returns."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from academies.models import Academy
from kpis.cache import board_version, cached_fragment
from kpis.models import Return
from kpis.selectors import PeriodIndex, academy_scorecard
from plans.models import Action


@require_safe
def scorecard(request: HttpRequest, slug: str) -> HttpResponse:
    academy = get_object_or_404(Academy, slug=slug)
    periods = PeriodIndex()
    returns = {r.period_id: r for r in Return.objects.filter(academy=academy)}
    actions = (
        Action.objects.filter(academies=academy, objective__plan__status="active")
        .with_current_status()
        .select_related("objective")
        .prefetch_related("responsible")
    )

    def render_kpis() -> str:
        context = {
            "academy": academy,
            "areas": academy_scorecard(academy, periods),
            "periods": periods.periods,
        }
        return render_to_string("academies/_scorecard_kpis.html", context)

    kpis_html = cached_fragment("scorecard", (academy.pk,), render_kpis, board_version())
    return render(
        request,
        "academies/scorecard.html",
        {
            "academy": academy,
            "kpis_html": kpis_html,
            "periods": periods.periods,
            "returns": [(period, returns.get(period.pk)) for period in periods.periods],
            "actions": actions,
        },
    )
