"""The board's read-only pages across apps: the overview, the KPI matrix, a KPI across
academies and periods, an academy's scorecard, the governance papers and my work.

Every page shows only the academies the user may see (academies.permissions: a governor sees
the academies they govern, plus trust-level figures) and keys what it caches by that scope.
An academy outside the scope is a 404, as an unknown one is: the page does not say which
academies exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from academies import permissions
from academies.models import Academy, Owner, Phase
from board.governance import (
    TooManyAcademies,
    local_paper_academies,
    monitoring_context,
    paper_academies,
)
from core.cache import cached_fragment, cached_value
from core.http import parse_id
from kpis import rag
from kpis.cache import board_version
from kpis.models import KPI, Area, Inspection, Period, Return, ReturnStatus
from kpis.selectors import (
    PeriodIndex,
    academy_scorecard,
    board_groups,
    board_matrix,
    kpi_history,
    kpi_rule,
    period_from_request,
    trust_series,
)
from plans.cache import plan_and_board_version, plan_version
from plans.models import Action, PlanStatus
from plans.selectors import (
    action_rows,
    actions_for_display,
    active_plan,
    addresses,
    in_scope,
    kpi_actions,
    kpi_rag_map,
    linked_actions,
    most_relevant_first,
    plan_progress,
    with_latest_commentary,
)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Board overview: plan progress by objective, KPI exceptions, return completeness."""
    periods = PeriodIndex()
    period = period_from_request(request, periods)
    academies = list(Academy.objects.active())  # all of them: the trust's figures need them
    visible = permissions.visible_academy_ids(request.user)
    plan = active_plan()

    built: dict = {}

    def period_board():
        """The period's board, built once for both fragments that need it (exceptions and
        the RAG-by-area chart are cached under the same key parts and token)."""
        if "board" not in built:
            built["board"] = board_matrix(period, periods, academies=academies) if period else None
        return built["board"]

    def render_exceptions() -> str:
        today = timezone.localdate()
        # The board's part kept under the board's token: after a plan edit (which renews
        # the fragment: it shows the linked actions) the board is not worked out again.
        cells = cached_value(
            "exception-cells",
            (period.pk if period else None, permissions.scope_key(request.user)),
            lambda: _exception_cells(period_board(), visible, period),
            board_token,
        )
        context = _with_linked_actions(cells, period, today, plan_only)
        return render_to_string("_exceptions.html", {**context, "today": today})

    board_token = board_version()
    # The exceptions show the plan's linked actions too: the plan's changes renew them.
    plan_only = plan_version()
    plan_token = plan_and_board_version(board_token, plan_only)
    exceptions_html = cached_fragment(
        "exceptions",
        # Today's date too: the linked actions say which are overdue.
        (period.pk if period else None, permissions.scope_key(request.user), timezone.localdate()),
        render_exceptions,
        plan_token,
    )
    rag_by_area_html = cached_fragment(
        "rag-by-area",
        (period.pk if period else None, permissions.scope_key(request.user)),
        lambda: _render_rag_by_area(period_board(), visible, period),
        board_token,
    )
    returns = {r.academy_id: r for r in Return.objects.filter(period=period)} if period else {}
    today = timezone.localdate()
    progress = (
        cached_value(
            "plan-progress",
            (plan.pk, today.isoformat()),
            lambda: plan_progress(plan, today),
            plan_token,
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
            "rag_by_area_html": rag_by_area_html,
            "completeness": [
                (academy, returns.get(academy.pk))
                for academy in academies
                if visible is None or academy.pk in visible
            ],
        },
    )


@dataclass
class ExceptionItem:
    """One academy's exception cell under its KPI; ``unaddressed``: a red that none of the
    KPI's linked actions addresses although some address other academies of the group."""

    cell: object
    unaddressed: bool = False


@dataclass
class ExceptionGroup:
    """A KPI's exceptions, as the board reads them: its academies' cells (reds first) with
    their heads' notes, and its linked plan actions once — the most relevant one in a line
    (``lead``), how many more the KPI page lists, or the flag that no action addresses it."""

    kpi: KPI
    items: list[ExceptionItem] = field(default_factory=list)
    lead: Action | None = None
    more: int = 0

    @property
    def outcome(self) -> rag.Outcome:
        return self.items[0].cell.outcome

    @property
    def unaddressed(self) -> bool:
        """A red KPI for which no linked action addresses any of these academies."""
        return self.lead is None and any(i.cell.outcome == rag.Outcome.RED for i in self.items)

    @property
    def judged(self) -> bool:
        """Whether any of its cells is red or amber (a missing value has no linked actions)."""
        return any(i.cell.outcome in _JUDGED for i in self.items)


_JUDGED = (rag.Outcome.RED, rag.Outcome.AMBER)


def _render_rag_by_area(board, visible: set[int] | None, period) -> str:
    """The RAG distribution by area of the academies the reader sees, its heading saying
    whose values it counts: "every academy's", or a governor's "Moreton School's"."""
    if board is not None:
        board = board.restricted_to(visible)
    names = [a.name for a in board.academies] if board is not None else []
    return render_to_string(
        "charts/_rag_by_area.html",
        {
            "board": board,
            "period": period,
            "scoped": visible is not None,
            "scope_names": rag.names_list(names),
            "scope_count": len(names),
        },
    )


@dataclass
class TrustException:
    """A KPI whose trust figure is an exception (a large trust's overview lists these)."""

    kpi: KPI
    trust: object


def _exception_cells(board, visible: set[int] | None, period) -> dict | None:
    """The board's part of the overview's exceptions in the user's scope (None: no period):
    one group per KPI (Board.exceptions' order: a KPI with a red first, then missing, then
    declining ambers), and one line per academy whose return is not submitted
    (Board.unsubmitted); a large trust's counts by group and academy instead of its cells,
    and the KPIs whose trust figure is an exception. No plan data: _with_linked_actions adds
    it, so this part is kept under the board's token alone."""
    if board is None:
        return None
    scoped = board.restricted_to(visible)
    unsubmitted = scoped.unsubmitted()
    if board.groups and len(scoped.academies) > settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE:
        # A large trust: thousands of cells would be listed; counts by group and academy,
        # each linking to its cells in the matrix, and the trust's own exceptions.
        return {
            "summary": exception_summary(scoped, unsubmitted),
            "trust_rows": [
                TrustException(row.kpi, row.trust) for row in scoped.rows if row.trust.is_exception
            ],
            "unsubmitted": unsubmitted,
        }
    groups: dict[int, ExceptionGroup] = {}
    for row, cell in scoped.exceptions(unsubmitted):
        group = groups.setdefault(row.kpi.pk, ExceptionGroup(row.kpi))
        group.items.append(ExceptionItem(cell))
    return {"groups": list(groups.values()), "unsubmitted": unsubmitted}


def _with_linked_actions(cells: dict | None, period, today: date, plan_token: str | None) -> dict:
    """The overview's exceptions (_exception_cells) with their plan actions.

    A group's actions: the active plan's actions linked to its KPI that address one of its red
    or amber academies (trust-wide, or naming it: so always in the user's scope), the most
    relevant first (plans.selectors.most_relevant_first); a large trust's trust rows, the
    most relevant action linked to each. Same queries for any number of KPIs
    (plans.selectors.linked_actions, under the plan's token ``plan_token``: one when kept,
    three when not), none without a period.
    """
    if cells is None:
        return {"groups": [], "unsubmitted": [], "period": period}
    if "summary" in cells:
        trust_rows = cells["trust_rows"]
        linked = linked_actions((row.kpi.pk for row in trust_rows), plan_token)
        return {
            **cells,
            "trust_rows": [
                (row, (most_relevant_first(linked[row.kpi.pk], today) or [None])[0])
                if linked.get(row.kpi.pk)
                else (row, None)
                for row in trust_rows
            ],
            "period": period,
        }
    groups = cells["groups"]
    linked = linked_actions((group.kpi.pk for group in groups if group.judged), plan_token)
    for group in groups:
        academies = {i.cell.academy.pk for i in group.items if i.cell.outcome in _JUDGED}
        actions = [
            action
            for action in linked.get(group.kpi.pk, [])
            if any(addresses(action, academy) for academy in academies)
        ]
        if not actions:
            continue
        ranked = most_relevant_first(actions, today)
        group.lead, group.more = ranked[0], len(ranked) - 1
        for item in group.items:
            item.unaddressed = item.cell.outcome == rag.Outcome.RED and not any(
                addresses(action, item.cell.academy.pk) for action in actions
            )
    return {**cells, "period": period}


@dataclass
class AcademyExceptions:
    """One academy's exception cells counted: red, missing, amber getting worse."""

    academy: Academy
    red: int = 0
    missing: int = 0
    amber: int = 0

    @property
    def total(self) -> int:
        return self.red + self.missing + self.amber


@dataclass
class GroupExceptions:
    """A group's academies' exception counts (group None: the academies in no group)."""

    group: object
    academies: list[AcademyExceptions] = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(getattr(a, name) for a in self.academies)

    @property
    def red(self) -> int:
        return self._sum("red")

    @property
    def missing(self) -> int:
        return self._sum("missing")

    @property
    def amber(self) -> int:
        return self._sum("amber")

    @property
    def total(self) -> int:
        return self._sum("total")


def exception_summary(board, unsubmitted: list | None = None) -> list[GroupExceptions]:
    """The board's exception cells (Board.exceptions: an academy that has not submitted at
    all is counted once in Board.unsubmitted, not here) counted by group and academy, in the
    board's group and column order; academies without any are left out."""
    counted = {academy.pk: AcademyExceptions(academy) for academy in board.academies}
    for _row, cell in board.exceptions(unsubmitted):
        entry = counted[cell.academy.pk]
        if cell.outcome == rag.Outcome.RED:
            entry.red += 1
        elif cell.outcome == rag.Outcome.MISSING:
            entry.missing += 1
        else:
            entry.amber += 1
    summary = [GroupExceptions(column.group) for column in board.groups]
    places = {column.group.pk: i for i, column in enumerate(board.groups)}
    ungrouped = GroupExceptions(None)
    for academy in board.academies:
        if not counted[academy.pk].total:
            continue
        place = places.get(academy.group_id)
        (ungrouped if place is None else summary[place]).academies.append(counted[academy.pk])
    return [g for g in summary if g.academies] + ([ungrouped] if ungrouped.academies else [])


@require_safe
def matrix(request: HttpRequest) -> HttpResponse:
    periods = PeriodIndex()
    period = period_from_request(request, periods)
    phase = request.GET.get("phase") if request.GET.get("phase") in Phase.values else ""
    area = parse_id(request.GET.get("area"))
    exceptions_only = request.GET.get("exceptions") == "1"
    focus_academy = request.GET.get("academy", "")
    focus_outcome = request.GET.get("outcome", "")
    if focus_outcome not in rag.Outcome.__members__.values():
        focus_outcome = ""
    selected = {
        "phase": phase,
        "area": area,
        "exceptions": exceptions_only,
        "academy": focus_academy,
        "outcome": focus_outcome,
        # One group's academies (a large trust's matrix opens by group).
        "group": request.GET.get("group", "")[:80],
    }

    visible = permissions.visible_academy_ids(request.user)

    def render_matrix() -> str:
        board = _filtered_board(periods, period, selected, visible) if period else None
        # The filters as chosen, for the links that open (or close) one group's academies.
        filters = {"period": period.slug if period else ""}
        filters.update({k: selected[k] for k in ("area", "phase") if selected[k]})
        if exceptions_only:
            filters["exceptions"] = "1"
        return render_to_string(
            "kpis/_matrix_table.html",
            {
                "board": board,
                "period": period,
                "selected": selected,
                "legend": [rag.Outcome(o) for o in rag.Outcome],
                "trust_name": settings.TRUST_NAME,
                "filters_query": urlencode(filters),
            },
        )

    parts = (period.pk if period else None, *selected.values(), permissions.scope_key(request.user))
    return render(
        request,
        "kpis/matrix.html",
        {
            "matrix_html": cached_fragment("matrix", parts, render_matrix, board_version()),
            "period": period,
            "periods": periods.periods,
            "areas": Area.objects.all(),
            "phases": Phase.choices,
            "selected": selected,
        },
    )


def _filtered_board(periods: PeriodIndex, period: Period, selected: dict, visible: set | None):
    """The matrix as filtered, with only the columns of the academies in ``visible`` (None: all);
    the trust column is worked out from every academy of the chosen phase, whoever looks."""
    academies = Academy.objects.active()
    if selected["phase"]:
        academies = academies.filter(phase=selected["phase"])
    board = board_matrix(period, periods, academies=list(academies), area=selected["area"])
    board = by_group(board.restricted_to(visible), selected["group"])
    focus_academy, focus_outcome = selected["academy"], selected["outcome"]
    for area_rows in board.areas:
        if selected["exceptions"]:
            area_rows.rows = [row for row in area_rows.rows if row.has_exception]
        if focus_outcome:
            area_rows.rows = [
                row for row in area_rows.rows if _focused(row, focus_academy, focus_outcome)
            ]
    board.areas = [area_rows for area_rows in board.areas if area_rows.rows]
    return board


def _focused(row, column: str, outcome: str) -> bool:
    """Whether the row has a cell of this outcome in this column (an academy's slug, "trust",
    "group:<slug>"; "": any academy's)."""
    if column == "trust":
        return row.trust.outcome == outcome
    if column.startswith("group:"):
        return any(c.outcome == outcome for c in row.groups if c.group.slug == column[6:])
    return any(
        found == outcome
        for academy, found in row.academy_outcomes()
        if column in ("", academy.slug)
    )


def by_group(board, group_slug: str = ""):
    """The columns a reader sees. Above settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE academies
    with groups: one column per group (and any academy in none) plus the trust's; with
    ``group_slug``, that group's academies and its column. Otherwise every academy's column,
    as a small trust has always seen it. ``board.drill`` is the group opened (or None) and
    ``board.grouped`` whether the columns are by group."""
    drill = next((c for c in board.groups if c.group.slug == group_slug), None)
    grouped = False
    if drill is not None:
        board = board.with_columns({a.pk for a in drill.academies}, {drill.group.pk})
    elif board.groups and len(board.academies) > settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE:
        in_groups = {a.pk for column in board.groups for a in column.academies}
        board = board.with_columns(
            {a.pk for a in board.academies if a.pk not in in_groups},
            {column.group.pk for column in board.groups},
        )
        grouped = True
    else:
        board = board.with_columns({a.pk for a in board.academies}, set())
    board.drill, board.grouped = drill, grouped
    return board


@require_safe
def detail(request: HttpRequest, code: str) -> HttpResponse:
    kpi = get_object_or_404(KPI.objects.select_related("area"), code=code)
    periods = PeriodIndex()
    visible = permissions.visible_academy_ids(request.user)

    group_slug = request.GET.get("group", "")[:80]

    def render_history() -> str:
        every = kpi_history(kpi, periods)
        history = [series for series in every if visible is None or series.academy.pk in visible]
        context = {"kpi": kpi, "history": history, "periods": periods.periods}
        context.update(_groups_first(kpi, every, history, periods, visible, group_slug))
        # The charts (board.charts): the trust's line is the whole trust's, whoever looks.
        context["trust_series"] = trust_series(kpi, every, periods)
        context["chart_national"] = kpi.target_kind == "national"
        # No chart for an academy (or a group of academies) the KPI does not apply to by
        # phase: each would be an empty "no submitted values"; one line names them instead.
        # (The table keeps their rows, each cell saying "not applicable".)
        groups_out = [
            column.group
            for column, _ in context["group_series"]
            if not any(kpi.applies_to(academy) for academy in column.academies)
        ]
        context["groups_without_chart"] = {group.pk for group in groups_out}
        out = [f"{g.name} (group)" for g in groups_out]
        out += [series.academy.name for series in context["history"] if not series.applies]
        context["does_not_apply"] = rag.names_list(out, most=len(out))
        return render_to_string("kpis/_detail_table.html", context)

    parts = (kpi.pk, permissions.scope_key(request.user), group_slug)
    history_html = cached_fragment("kpi-detail", parts, render_history, board_version())
    today = timezone.localdate()
    # Every plan action linked to the KPI in the user's scope, the most relevant first (the
    # overview shows the first and links here for the rest): two queries (kpi_actions).
    actions = [a for a in kpi_actions([kpi.pk]).get(kpi.pk, []) if in_scope(a, visible)]
    return render(
        request,
        "kpis/detail.html",
        {
            "kpi": kpi,
            "rule": kpi_rule(kpi),
            "history_html": history_html,
            "actions": most_relevant_first(actions, today),
            "today": today,
        },
    )


def _groups_first(kpi, every, history, periods, visible, group_slug: str) -> dict:
    """A KPI's page at scale (as the matrix, board.views.by_group): above
    settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE academies with groups, each group's series (its
    figure worked out like the trust's) and the academies in no group; with ``group_slug``,
    that group's series and its academies'. Otherwise every academy's series, as before.
    Groups whose every academy is in the reader's scope only (as the matrix)."""
    columns = [
        column
        for column in board_groups([series.academy for series in every])
        if visible is None or all(a.pk in visible for a in column.academies)
    ]
    drill = next((c for c in columns if c.group.slug == group_slug), None)
    if drill is None and not (columns and len(history) > settings.TRUSTPLAN_GROUP_COLUMNS_ABOVE):
        return {"history": history, "group_series": [], "drill": None, "grouped": False}
    shown = [drill] if drill else columns
    group_series = [
        trust_series(
            kpi,
            [series for series in every if series.academy.group_id == column.group.pk],
            periods,
            group=column.group,
        )
        for column in shown
    ]
    if drill:
        history = [series for series in history if series.academy.group_id == drill.group.pk]
    else:
        history = [series for series in history if series.academy.group_id is None]
    return {
        "history": history,
        "group_series": [(c, s) for c, s in zip(shown, group_series, strict=True) if s],
        "drill": drill,
        "grouped": drill is None,
    }


@require_safe
def scorecard(request: HttpRequest, slug: str) -> HttpResponse:
    academy = get_object_or_404(Academy, slug=slug)
    if not permissions.may_see_academy(request.user, academy.pk):
        raise Http404("No such academy")
    periods = PeriodIndex()
    returns = {r.period_id: r for r in Return.objects.filter(academy=academy)}
    actions = with_latest_commentary(
        Action.objects.filter(academies=academy, objective__plan__status="active")
        .with_current_status()
        .select_related("objective", "due_period")
        .prefetch_related("responsible")
    )

    # The table's latest TRUSTPLAN_SCORECARD_PERIODS periods (each chart plots them all), or
    # every period with ?periods=all; any other value is the default.
    all_asked = request.GET.get("periods") == "all"
    latest_count = max(settings.TRUSTPLAN_SCORECARD_PERIODS, 1)
    shown = periods.periods if all_asked else periods.periods[-latest_count:]

    def render_kpis() -> str:
        context = {
            "academy": academy,
            "areas": academy_scorecard(academy, periods),
            "periods": periods.periods,
            "shown_periods": shown,
            "cells_slice": f"-{len(shown)}:" if shown else ":0",
            "hidden_periods": len(periods.periods) - len(shown),
            "all_periods_asked": all_asked and len(periods.periods) > latest_count,
            "latest_count": latest_count,
        }
        return render_to_string("academies/_scorecard_kpis.html", context)

    # One academy's figures, the same for everyone allowed this far: no scope in the key.
    kpis_html = cached_fragment("scorecard", (academy.pk, len(shown)), render_kpis, board_version())
    return render(
        request,
        "academies/scorecard.html",
        {
            "academy": academy,
            "kpis_html": kpis_html,
            "periods": periods.periods,
            "returns": [(period, returns.get(period.pk)) for period in periods.periods],
            "actions": actions,
            "today": timezone.localdate(),
            "latest_inspection": Inspection.objects.filter(academy=academy)
            .order_by("-date")
            .first(),
        },
    )


@require_safe
def monitoring_index(request: HttpRequest) -> HttpResponse:
    plan = active_plan()
    actions = permissions.visible_actions(request.user, Action.objects.filter(objective__plan=plan))
    bodies = (
        Owner.objects.filter(monitored_actions__in=actions).distinct().order_by("kind", "code")
        if plan
        else Owner.objects.none()
    )
    return render(request, "plans/monitoring_index.html", {"plan": plan, "bodies": bodies})


@require_safe
def monitoring(request: HttpRequest, code: str) -> HttpResponse:
    """A body's governance paper (board.governance.monitoring_context, which the PDF shares),
    for ?academy= when given; a local body's page offers each academy's LGB paper."""
    owner = get_object_or_404(Owner, code__iexact=code)
    try:
        academies = paper_academies(request.user, request.GET.getlist("academy"))
    except TooManyAcademies as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    context = monitoring_context(request.user, owner, academies)
    context["local_papers"] = local_paper_academies(request.user, owner)
    context["academy_query"] = urlencode([("academy", a.slug) for a in academies])
    return render(request, "plans/monitoring.html", context)


@require_safe
def my_work(request: HttpRequest) -> HttpResponse:
    """What the signed-in person must do: a head's returns (open, due, submitted, sent back),
    central team's returns to review (awaiting approval, sent back) and the plan actions they
    are responsible for, overdue first."""
    headed = permissions.headed_academy_ids(request.user)
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
    # Central team's review queue: returns awaiting approval (oldest first), then those sent
    # back to their academy (one query, whatever the number).
    may_review = permissions.may_review_returns(request.user)
    to_review = (
        sorted(
            Return.objects.filter(
                status__in=(ReturnStatus.SUBMITTED, ReturnStatus.SENT_BACK)
            ).select_related("academy", "period", "submitted_by", "updated_by"),
            key=lambda r: (
                r.status != ReturnStatus.SUBMITTED,
                r.submitted_at or r.updated_at,
                r.pk,
            ),
        )
        if may_review
        else []
    )
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
            "may_review": may_review,
            "to_review": to_review,
            "my_actions": my_actions,
            "rag": rag,
            "rag_period": period,
            "today": today,
        },
    )
