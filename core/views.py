"""Views every deployment has: the health check and the throttled password change."""

import logging

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core import throttle
from core.client_ip import client_ip
from core.forms import ThrottledPasswordChangeForm

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 "ok" when the app can reach its database (one query)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok\n", content_type="text/plain")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's signed-in password change with the current password throttled like the login
    (core.throttle): 429 and a message while locked; a successful change resets the count.
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
