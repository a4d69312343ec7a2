"""The PDF board pack of a period, as a download (issue 16).

``/kpis/pack.pdf?period=2023-24-spring``: the pack of papers.pack for the academies the reader
may see (a governor's has only theirs; the trust column is still the whole trust's). A pack of
more academies than TRUSTPLAN_PACK_WEB_MAX_ACADEMIES is not made in a request — at full scale
it takes minutes (bench/run.py measures it) — and the page says how to get it instead.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from academies import permissions
from academies.models import Academy
from kpis.selectors import PeriodIndex, period_from_request
from papers.pack import board_pack_pdf


def produced_by(user) -> str:
    """The signed-in person as the pack names who produced it: their name, else username."""
    return user.get_full_name().strip() or user.get_username()


def pack_filename(period) -> str:
    return f"board-pack-{period.slug}.pdf"


@require_safe
def pack_pdf(request: HttpRequest) -> HttpResponse:
    """The board pack of the period (?period=, default the board's) as a PDF attachment."""
    periods = PeriodIndex()
    period = period_from_request(request, periods)  # an unknown period is a 404 that names it
    if period is None:
        raise Http404("No periods yet")
    visible = permissions.visible_academy_ids(request.user)
    count = len(visible) if visible is not None else Academy.objects.active().count()
    limit = settings.TRUSTPLAN_PACK_WEB_MAX_ACADEMIES
    if count > limit:
        context = {"period": period, "count": count, "limit": limit}
        return render(request, "papers/pack_too_large.html", context)
    pdf = board_pack_pdf(
        period,
        academy_ids=visible,
        produced_by=produced_by(request.user),
        produced_at=timezone.now(),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pack_filename(period)}"'
    return response
