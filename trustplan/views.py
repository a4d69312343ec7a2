"""Pages that belong to no single app: the board's home page and the health check."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from academies.models import Academy
from plans.models import Plan, PlanStatus


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The board's landing page: the academies and the current plan's objectives."""
    academies = Academy.objects.active()
    plan = Plan.objects.filter(status=PlanStatus.ACTIVE).first()
    objectives = plan.objectives.all() if plan else []
    return render(
        request,
        "home.html",
        {"academies": academies, "plan": plan, "objectives": objectives},
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


def demo_accounts() -> list[tuple[str, str]]:
    """The demo accounts, shown on the login page when DEBUG is on."""
    if not settings.DEBUG:
        return []
    from academies.management.commands.load_demo import DEMO_PASSWORD, DEMO_USERS

    return [(username, spec[-1], DEMO_PASSWORD) for username, spec in DEMO_USERS.items()]
