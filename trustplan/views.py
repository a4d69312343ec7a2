"""Pages that belong to no single app: the board overview, my work and the health check."""

import logging
from datetime import date

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from academies import roles
from academies.models import Academy
from kpis.cache import board_version, cached_fragment, cached_value
from kpis.models import Period, Return, ReturnStatus
from kpis.selectors import PeriodIndex, board_matrix
from kpis.views import period_from_request
from plans.cache import plan_and_board_version
from plans.models import Action, PlanStatus
from plans.selectors import (
    action_rows,
    actions_for_display,
    active_plan,
    kpi_rag_map,
    plan_progress,
)
from trustplan import throttle
from trustplan.client_ip import client_ip
from trustplan.forms import ThrottledPasswordChangeForm

logger = logging.getLogger(__name__)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Board overview: plan progress by objective, KPI exceptions, return completeness."""
    periods = PeriodIndex()
    period = period_from_request(request, periods)
    academies = list(Academy.objects.active())
    plan = active_plan()

    def render_exceptions() -> str:
        board = board_matrix(period, periods, academies=academies) if period else None
        exceptions = board.exceptions() if board else []
        return render_to_string("_exceptions.html", {"exceptions": exceptions, "period": period})

    board_token = board_version()
    exceptions_html = cached_fragment(
        "exceptions", (period.pk if period else None,), render_exceptions, board_token
    )
    returns = {r.academy_id: r for r in Return.objects.filter(period=period)} if period else {}
    today = timezone.localdate()
    progress = (
        cached_value(
            "plan-progress",
            (plan.pk, today.isoformat()),
            lambda: plan_progress(plan, today),
            plan_and_board_version(board_token),
        )
        if plan
        else []
    )
    return render(
        request,
        "home.html",
        {
            "plan": plan,
            "progress": progress,
            "period": period,
            "periods": periods.periods,
            "exceptions_html": exceptions_html,
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


@require_safe
def my_work(request: HttpRequest) -> HttpResponse:
    """What the signed-in person must do: a head's returns (open, due, submitted, sent back)
    and the plan actions they are responsible for, overdue first."""
    headed = roles.headed_academy_ids(request.user)
    academies = list(Academy.objects.filter(pk__in=headed)) if headed else []
    periods = list(Period.objects.order_by("-year_start", "-term"))
    open_or_recent = [p for p in periods if p.is_open] or periods[:1]
    returns = {
        (r.academy_id, r.period_id): r
        for r in Return.objects.filter(academy__in=academies).select_related("period")
    }
    my_returns = []
    for academy in academies:
        for period in periods:
            ret = returns.get((academy.pk, period.pk))
            if period in open_or_recent or (ret and ret.status == ReturnStatus.SENT_BACK):
                my_returns.append((academy, period, ret))
    today = timezone.localdate()
    my_actions = sorted(
        action_rows(
            actions_for_display(
                Action.objects.filter(
                    responsible__user=request.user, objective__plan__status=PlanStatus.ACTIVE
                ).distinct()
            ),
            today,
        ),
        key=lambda action: (not action.overdue, action.due or date.max, action.pk),
    )
    period, rag = kpi_rag_map() if my_actions else (None, {})
    return render(
        request,
        "my.html",
        {
            "my_returns": my_returns,
            "my_actions": my_actions,
            "rag": rag,
            "rag_period": period,
            "today": today,
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's signed-in password change with the current password throttled like the login
    (trustplan.throttle): 429 and a message while locked; a successful change resets the count.
    Serves /accounts/password_change/ and the admin's /admin/password_change/."""

    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "ip_address": client_ip(self.request)}

    def form_valid(self, form):
        response = super().form_valid(form)
        throttle.reset(form.user)
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled:
            logger.warning("Password change refused for %s: too many wrong passwords", form.user)
            response.status_code = 429
        return response
