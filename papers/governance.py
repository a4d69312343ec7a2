"""A monitoring body's governance paper as a PDF (issue 16): the paper of
/plan/monitoring/<code>/, made from the same context (board.governance.monitoring_context), so
the PDF lists exactly the actions and KPIs the page does, for the same reader and the same
?academy=.

The title block names the trust, the body (and the academies an LGB's paper is for), the plan,
the period of the KPI ratings, when it was made and by whom; then the actions, overdue first,
and the red and amber KPIs they link to with the heads' notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from academies.models import Owner
from board.governance import TooManyAcademies, monitoring_context, paper_academies
from kpis import rag
from kpis.models import KPIValue
from kpis.selectors import Cell
from papers.pdf import render_pdf

TEMPLATE = "papers/governance.html"

# A flagged KPI with more red and amber academies than this gives a row (value, rating, the
# arithmetic, the head's note) only to those whose head wrote a note, and names the others in
# one line per rating with their values: with a row each, a body's paper for a 150-academy
# trust ran to 200 pages and took 27 s to make.
FULL_ROWS = 10


@dataclass
class FlaggedKPI:
    """One red or amber KPI as the paper prints it."""

    kpi: object
    trust: Cell
    rule: str
    linked: list[int]  # the numbers of the paper's actions linking to it
    rows: list[Cell]  # the academies given a row
    listed: list[tuple[rag.Outcome, list[Cell]]] = field(default_factory=list)  # named in a line


def flagged_kpis(context: dict) -> list[FlaggedKPI]:
    """The context's flagged KPIs (monitoring_context's, in its order) laid out for print."""
    found = []
    for kpi, trust, cells in context["flagged"]:
        item = FlaggedKPI(
            kpi,
            trust,
            context["rules"].get(kpi.pk, ""),
            context["linked_numbers"].get(kpi.pk, []),
            list(cells),
        )
        if len(cells) > FULL_ROWS:
            item.rows = [cell for cell in cells if cell.note]
            for outcome in (rag.Outcome.RED, rag.Outcome.AMBER):
                quiet = [c for c in cells if not c.note and c.outcome == outcome]
                if quiet:
                    item.listed.append((outcome, quiet))
        found.append(item)
    return found


def produced_by(user) -> str:
    """The signed-in person as a paper names its author: their name, else their username."""
    return user.get_full_name().strip() or user.get_username()


def paper_filename(owner: Owner, academies, day) -> str:
    """governance-<code>-<date>.pdf; an LGB's paper for chosen academies adds their slugs
    ("governance-lgb-moreton-school-2024-03-04.pdf"), so two academies' papers saved the same
    day do not overwrite each other."""
    parts = [slugify(owner.code) or "body", *(academy.slug for academy in academies)]
    return f"governance-{'-'.join(parts)}-{day.isoformat()}.pdf"


@require_GET
def monitoring_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The governance paper as a tagged PDF, an attachment."""
    owner = get_object_or_404(Owner, code__iexact=code)
    try:
        academies = paper_academies(request.user, request.GET.getlist("academy"))
    except TooManyAcademies as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    context = monitoring_context(request.user, owner, academies)
    produced_at = timezone.localtime()
    context.update(
        trust_name=settings.TRUST_NAME,
        marking=settings.PAPER_MARKING,
        period=context["rag_period"],
        produced_at=produced_at,
        produced_by=produced_by(request.user),
        # The objectives of the listed actions, for the title block's key (no query: the
        # actions came with their objectives).
        objectives=sorted(
            {action.objective for action in context["actions"]}, key=lambda o: o.number
        ),
        has_demo_data=KPIValue.objects.filter(is_demo=True).exists(),
    )
    context["kpis"] = flagged_kpis(context)
    response = HttpResponse(render_pdf(TEMPLATE, context), content_type="application/pdf")
    filename = paper_filename(owner, academies, produced_at.date())
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Under /plan/ and the plans: namespace, beside the page (trustplan/urls.py).
plan_patterns = [
    path("monitoring/<str:code>/paper.pdf", monitoring_pdf, name="monitoring_pdf"),
]
