"""The academy scorecard: every applicable KPI across periods, its actions, its returns."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from academies.models import Academy
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
    return render(
        request,
        "academies/scorecard.html",
        {
            "academy": academy,
            "areas": academy_scorecard(academy, periods),
            "periods": periods.periods,
            "returns": [(period, returns.get(period.pk)) for period in periods.periods],
            "actions": actions,
        },
    )
