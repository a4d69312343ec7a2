"""Pages that belong to no single app: the board overview and the health check."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from academies.models import Academy
from kpis.models import Return
from kpis.selectors import PeriodIndex, board_matrix
from kpis.views import period_from_request
from plans.selectors import active_plan, plan_progress


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Board overview: plan progress by objective, KPI exceptions, return completeness."""
    periods = PeriodIndex()
    period = period_from_request(request, periods)
    academies = list(Academy.objects.active())
    plan = active_plan()
    board = board_matrix(period, periods, academies=academies) if period else None
    returns = {r.academy_id: r for r in Return.objects.filter(period=period)} if period else {}
    return render(
        request,
        "home.html",
        {
            "plan": plan,
            "progress": plan_progress(plan) if plan else [],
            "period": period,
            "periods": periods.periods,
            "exceptions": board.exceptions() if board else [],
            "completeness": [(academy, returns.get(academy.pk)) for academy in academies],
        },
    )


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 "ok" when the app can reach its database (one query)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok\n", content_type="text/plain")


def demo_accounts() -> list[tuple[str, str, str]]:
    """The demo accounts, shown on the login page when DEBUG is on."""
    if not settings.DEBUG:
        return []
    from academies.management.commands.load_demo import DEMO_PASSWORD, DEMO_USERS

    return [(username, spec[-1], DEMO_PASSWORD) for username, spec in DEMO_USERS.items()]
