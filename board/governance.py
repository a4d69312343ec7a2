"""The governance paper of a monitoring body, as the web page and the PDF both show it.

One function, monitoring_context, decides what a paper holds for a reader: which actions (in
the reader's scope, or narrowed to chosen academies), in which order (overdue first), which red
and amber KPIs they link to and which academies' cells beside them. The page
(board.views.monitoring) and the PDF (papers.governance) both call it, so they cannot differ.

An LGB's paper covers only the academies that body governs. The plan's "LGB" is one owner
meaning "each academy's local governing body", so a paper takes ``?academy=<slug>``
(repeatable) to be the paper of one academy's LGB: only that academy's cells, and only the
actions addressed to it or to the whole trust. A governor's paper is always limited to the
academies they govern; naming an academy outside the reader's scope is a 404, as an unknown
one is (the page does not say which academies exist).
"""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from academies import permissions
from academies.models import Academy, Owner, OwnerKind
from plans.selectors import governance_paper

# The codes (and the name's start) of a body that is each academy's own local governing body.
LOCAL_BODY_CODES = {"LGB"}
LOCAL_BODY_NAME = "local governing"

# More academies than any trust has: a longer list is a mistyped or hostile URL.
MAX_ACADEMIES = 500


class TooManyAcademies(ValueError):
    """?academy= named more academies than a paper can be made for."""


def is_local_body(owner: Owner) -> bool:
    """Whether a body is each academy's local governing body (the seed's "LGB"), so that its
    paper is offered per academy.

    Only an LGB: the Trust Board and its committees (the seed's "Trust sub-committees" and the
    "Behaviour, attendance and safeguarding sub committee") scrutinise the whole trust, so their
    paper is the trust's; a copy per academy would be a paper no such meeting reads. A person or
    team monitoring actions reads them for the trust too. (Any paper still takes ?academy=.)
    """
    return owner.kind == OwnerKind.BODY and (
        owner.code.upper() in LOCAL_BODY_CODES or owner.name.lower().startswith(LOCAL_BODY_NAME)
    )


def paper_academies(user, slugs: list[str]) -> list[Academy]:
    """The academies ``?academy=`` names (blank values ignored, repeats once), in name order;
    [] when it names none. One query (the governor's scope aside: permissions caches it).

    Raises Http404 for a slug that is no academy or one outside the user's scope, and
    TooManyAcademies for a list longer than any trust's.
    """
    wanted = {slug.strip() for slug in slugs if slug.strip()}
    if not wanted:
        return []
    if len(wanted) > MAX_ACADEMIES:
        raise TooManyAcademies(
            f"A paper covers at most {MAX_ACADEMIES} academies; ?academy= named {len(wanted)}."
        )
    academies = list(Academy.objects.filter(slug__in=wanted).order_by("name"))
    if len(academies) != len(wanted) or not all(
        permissions.may_see_academy(user, academy.pk) for academy in academies
    ):
        raise Http404("No such academy")
    return academies


def local_paper_academies(user, owner: Owner) -> list[Academy]:
    """The academies whose LGB paper the monitoring page offers: for a local body only (see
    is_local_body), the active academies in the user's scope (one query); else none, and no
    query (the Trust Board's page keeps its count)."""
    if not is_local_body(owner):
        return []
    return list(permissions.visible_academies(user, Academy.objects.active()).order_by("name"))


def monitoring_context(user, owner: Owner, academies: list[Academy] | None = None) -> dict:
    """Everything the governance paper of ``owner`` shows ``user``.

    ``academies``: the academies the paper is for (from paper_academies, already checked against
    the user's scope); none or [] for the whole of the user's scope (every academy for a trustee;
    a governor's own). Actions: those in that scope (trust-wide, or naming one of its
    academies), overdue first, then in plan order. Flagged KPIs: those the listed actions link
    to, red or amber for the trust (a trust-level figure, which everyone sees) or for an academy
    of the scope, with only the scope's red and amber academy cells.

    ``covers``: the academies the paper is limited to, by name, and ``whole_trust`` when it is
    not limited: for a governor's paper without ?academy=, one query when a template reads it.
    """
    plan, period, rag, actions, flagged, rules = governance_paper(owner)
    if academies:
        scope: set[int] | None = {academy.pk for academy in academies}
        covers = list(academies)
    else:
        scope = permissions.visible_academy_ids(user)
        # Lazy: the query runs only where a paper names them (the PDF does; the page says
        # "the academies you govern", so a governor's page costs one query more than a
        # trustee's, their scope, as every board page does).
        covers = (
            []
            if scope is None
            else SimpleLazyObject(
                lambda: list(Academy.objects.filter(pk__in=scope).order_by("name"))
            )
        )
    # Only the actions in the scope, the KPIs those link to, and the academies' red and amber
    # cells in the scope; a KPI flagged only for academies outside the scope is left out.
    actions = [action for action in actions if permissions.action_in_scope(action, scope)]
    linked = {kpi.pk for action in actions for kpi in action.kpi_list}
    flagged = [
        (kpi, trust, [c for c in cells if scope is None or c.academy.pk in scope])
        for kpi, trust, cells in flagged
        if kpi.pk in linked
    ]
    flagged = [item for item in flagged if item[2] or item[1].outcome in ("red", "amber")]
    today = timezone.localdate()
    actions.sort(key=lambda a: (not a.is_overdue(today), a.objective.number, a.position))
    # Each action's number in the paper, and the numbers of those each flagged KPI links to
    # (the PDF says "Actions 2, 5" beside a KPI, as a paper refers to its own items).
    numbers: dict[int, list[int]] = {}
    for number, action in enumerate(actions, start=1):
        action.paper_number = number
        for kpi in action.kpi_list:
            numbers.setdefault(kpi.pk, []).append(number)
    return {
        "owner": owner,
        "body_name": owner.name or owner.code,
        "plan": plan,
        "actions": actions,
        "overdue_count": sum(1 for action in actions if action.overdue),
        "flagged": flagged,
        "rules": {kpi.pk: rules.get(kpi.pk, "") for kpi, _trust, _cells in flagged},
        "linked_numbers": numbers,
        "rag": rag,
        "rag_period": period,
        "today": today,
        "selected": list(academies or []),
        "covers": covers,
        "whole_trust": scope is None,
    }
