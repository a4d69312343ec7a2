"""Reads of the plan for the board's pages."""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from academies.models import Owner
from core.cache import cached_value
from kpis.cache import board_version, board_wide_version
from kpis.models import KPI, PUBLISHED_STATUSES, Period, Return
from kpis.rag import Outcome
from kpis.selectors import (
    PeriodIndex,
    board_matrix,
    default_period,
    rule_in_words,
    trust_cells,
)
from plans.models import (
    Action,
    ActionStatus,
    Aim,
    Plan,
    PlanStatus,
    ProgressUpdate,
    StrategicObjective,
    SuccessCriterion,
)


@dataclass
class ObjectiveProgress:
    objective: StrategicObjective
    by_status: Counter = field(default_factory=Counter)
    overdue: list[Action] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def status_counts(self) -> list[tuple[str, str, int]]:
        return [(s.value, s.label, self.by_status.get(s.value, 0)) for s in ActionStatus]


def active_plan() -> Plan | None:
    return Plan.objects.filter(status=PlanStatus.ACTIVE).first()


def plan_progress(
    plan: Plan, today: datetime.date | None = None, actions=None
) -> list[ObjectiveProgress]:
    """Actions by status and the overdue ones, per objective (objectives; actions).

    ``actions``: the plan's actions to count, with their current status (default: every one;
    the board pack passes those in its reader's scope)."""
    today = today or timezone.localdate()
    progress = {o.pk: ObjectiveProgress(o) for o in plan.objectives.order_by("number")}
    if actions is None:
        actions = Action.objects.filter(objective__plan=plan).with_current_status()
    for action in actions:
        entry = progress[action.objective_id]
        entry.by_status[action.status] += 1
        if action.is_overdue(today):
            entry.overdue.append(action)
    return list(progress.values())


# --- The plan tree ----------------------------------------------------------------------------


def _actions_in_order(queryset):
    """The actions with their latest status, update and commentary, objective, plan and due
    term joined, in plan order (one query)."""
    return (
        with_latest_commentary(queryset.with_current_status())
        .select_related("objective__plan", "due_period")
        .order_by("objective__number", "position", "pk")
    )


def actions_for_display(queryset):
    """Actions with everything a row shows (its latest commentary too), in a fixed number of
    queries."""
    return _actions_in_order(queryset).prefetch_related(
        # Each aim with its objective: Aim.number reads it (one query per action else,
        # 500 in the board pack's plan sheet at scale).
        Prefetch("aims", queryset=Aim.objects.select_related("objective")),
        "responsible",
        "monitors",
        "kpis",
        "academies",
    )


def action_rows(actions, today=None) -> list[Action]:
    """Actions ready for the action-row partial: their prefetched links as plain lists and
    whether they are overdue, worked out once (a template calling .all() per row per relation
    cloned thousands of querysets on a 500-action plan)."""
    today = today or timezone.localdate()
    rows = list(actions)
    for action in rows:
        action.responsible_list = list(action.responsible.all())
        action.monitor_list = list(action.monitors.all())
        action.kpi_list = list(action.kpis.all())
        action.aim_list = list(action.aims.all())
        action.overdue = action.is_overdue(today)
    return rows


def tree_action_rows(actions, today=None) -> list[Action]:
    """action_rows(actions_for_display(actions)) for the plan tree, without prefetch_related.

    The tree shows 500 actions at full scale and their 2,000 links to a few dozen owners, 60
    KPIs and their aims; prefetch_related makes a model instance for every link, which took
    most of the tree's time (issue 19: /plan/ after a plan edit). Here the links are read as
    (action, target) pairs and each target is made once and shared, in the order the prefetch
    gives (the target's own ordering). Queries: the actions (latest status, update and
    commentary annotated; objective, plan and due term joined), owners, KPIs, the aims they
    serve (with their objectives) and the four link tables. No academies: the tree does not
    show them.
    """
    today = today or timezone.localdate()
    rows = list(_actions_in_order(actions))
    ids = [action.pk for action in rows]

    def pairs(name: str) -> dict[int, list[int]]:
        field = Action._meta.get_field(name)
        through = field.remote_field.through
        found: dict[int, list[int]] = {}
        for action_id, target_id in through.objects.filter(action_id__in=ids).values_list(
            field.m2m_column_name(), field.m2m_reverse_name()
        ):
            found.setdefault(action_id, []).append(target_id)
        return found

    aims_of = pairs("aims")
    owners = list(Owner.objects.all())
    kpis = list(KPI.objects.all())
    aims = list(
        Aim.objects.filter(pk__in={pk for linked in aims_of.values() for pk in linked})
        .select_related("objective")
        .order_by(*Aim._meta.ordering, "pk")
    )

    def lists(found: dict[int, list[int]], targets: list) -> dict[int, list]:
        place = {target.pk: i for i, target in enumerate(targets)}
        by_pk = {target.pk: target for target in targets}
        return {
            action_id: [by_pk[pk] for pk in sorted(linked, key=place.__getitem__)]
            for action_id, linked in found.items()
        }

    responsible = lists(pairs("responsible"), owners)
    monitors = lists(pairs("monitors"), owners)
    linked_kpis = lists(pairs("kpis"), kpis)
    served = lists(aims_of, aims)
    for action in rows:
        action.responsible_list = responsible.get(action.pk, [])
        action.monitor_list = monitors.get(action.pk, [])
        action.kpi_list = linked_kpis.get(action.pk, [])
        action.aim_list = served.get(action.pk, [])
        action.overdue = action.is_overdue(today)
    return rows


@dataclass
class Section:
    """Aims that share their actions and success criteria (one aim, in most plans)."""

    aims: list
    actions: list = field(default_factory=list)
    criteria: list = field(default_factory=list)
    by_status: Counter = field(default_factory=Counter)

    def status_counts(self):
        return [(s.label, self.by_status[s.value]) for s in ActionStatus if self.by_status[s.value]]

    # Set by plan_tree: the aims first shown here (with their titles) and those an earlier
    # section of the objective already showed (named by number only), so a plan whose actions
    # and criteria serve groups of aims shows each aim's title once.
    new_aims: list = field(default_factory=list)
    aims_above: list = field(default_factory=list)

    @property
    def numbers(self) -> str:
        numbers = [aim.number for aim in self.aims]
        if not numbers:
            return "(no aim)"
        return numbers[0] if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}"

    @property
    def numbers_above(self) -> str:
        """ "5.1, 5.2 and 5.3": the aims shown in an earlier section."""
        numbers = [aim.number for aim in self.aims_above]
        return numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} and {numbers[-1]}"


@dataclass
class ObjectiveNode:
    objective: StrategicObjective
    sections: list[Section] = field(default_factory=list)
    by_status: Counter = field(default_factory=Counter)
    overdue: int = 0

    def status_counts(self):
        return [(s.value, s.label, self.by_status.get(s.value, 0)) for s in ActionStatus]


def _aims_of(action: Action) -> list:
    """The aims an action serves: as action_rows or tree_action_rows read them, else its
    (prefetched) aims."""
    return action.aim_list if hasattr(action, "aim_list") else list(action.aims.all())


def plan_tree(
    plan: Plan, actions: list[Action], *, filtered: bool, today=None
) -> list[ObjectiveNode]:
    """Objectives → sections of aims → actions, with status roll-ups at each level.

    Queries: objectives, aims, success criteria (with their aims). ``actions`` come from
    actions_for_display(); when ``filtered``, sections and objectives with no matching action
    are left out.
    """
    today = today or timezone.localdate()
    objectives = list(plan.objectives.order_by("number"))
    aims = {
        aim.pk: aim for aim in Aim.objects.filter(objective__plan=plan).select_related("objective")
    }
    criteria = list(SuccessCriterion.objects.filter(objective__plan=plan).prefetch_related("aims"))
    nodes = {o.pk: ObjectiveNode(o) for o in objectives}
    sections: dict[tuple[int, frozenset], Section] = {}

    def section_for(objective_id: int, aim_ids) -> Section:
        key = (objective_id, frozenset(aim_ids))
        if key not in sections:
            members = sorted((aims[i] for i in aim_ids if i in aims), key=lambda a: a.position)
            sections[key] = Section(members)
        return sections[key]

    if not filtered:
        for criterion in criteria:
            section_for(criterion.objective_id, [a.pk for a in criterion.aims.all()])
        for action in actions:
            section_for(action.objective_id, [a.pk for a in _aims_of(action)])
        # An aim that nothing serves still gets its own (empty) section, to be seen and edited;
        # one served with others only (a group of the 2019–2022 plan) does not: it would repeat.
        served = {pk for (_objective, aim_ids) in sections for pk in aim_ids}
        for aim in aims.values():
            if aim.pk not in served:
                section_for(aim.objective_id, [aim.pk])
    for action in actions:
        section = section_for(action.objective_id, [a.pk for a in _aims_of(action)])
        section.actions.append(action)
        section.by_status[action.status] += 1
        node = nodes[action.objective_id]
        node.by_status[action.status] += 1
        node.overdue += getattr(action, "overdue", None) or action.is_overdue(today)
    for criterion in criteria:
        key = (criterion.objective_id, frozenset(a.pk for a in criterion.aims.all()))
        if key in sections:
            sections[key].criteria.append(criterion)
    for (objective_id, _aim_ids), section in sections.items():
        nodes[objective_id].sections.append(section)
    result = []
    for node in nodes.values():
        # A group comes after the last aim it serves (5.1, 5.2, 5.3, then "5.1–5.3 together").
        node.sections.sort(key=lambda s: (s.aims[-1].position if s.aims else 10_000, len(s.aims)))
        shown: set[int] = set()
        for section in node.sections:
            section.new_aims = [aim for aim in section.aims if aim.pk not in shown]
            section.aims_above = [aim for aim in section.aims if aim.pk in shown]
            shown.update(aim.pk for aim in section.aims)
        if filtered and not node.by_status:
            continue
        result.append(node)
    return result


@dataclass
class PlanTreeView:
    """What the plan page's tree shows: the tree, and the KPI RAG chips with their period."""

    nodes: list[ObjectiveNode]
    rag: dict[int, object]
    rag_period: object


def plan_tree_view(
    plan: Plan, actions, *, filtered: bool, today: datetime.date, rating=None
) -> PlanTreeView:
    """The tree of ``actions`` (a queryset of the plan's actions), with the KPI RAG map
    (``rating``: kpi_rag_map(plan) when the caller has it already)."""
    period, rag = rating if rating is not None else kpi_rag_map(plan)
    chosen = tree_action_rows(actions, today)
    return PlanTreeView(plan_tree(plan, chosen, filtered=filtered, today=today), rag, period)


def actions_only_serving(aim: Aim) -> list[Action]:
    """The actions that serve this aim and no other (they go when it is deleted)."""
    return [a for a in aim.actions.prefetch_related("aims") if len(a.aims.all()) == 1]


def deletion_summary(item: StrategicObjective | Aim | Action) -> list[str]:
    """What goes with an objective, aim or action when it is deleted, in words."""
    if isinstance(item, StrategicObjective):
        return [
            f"{item.aims.count()} aim(s)",
            f"{item.actions.count()} action(s) and their progress updates",
            f"{item.success_criteria.count()} success criteria",
        ]
    if isinstance(item, Aim):
        only_here = actions_only_serving(item)
        shared = item.actions.count() - len(only_here)
        lines = [f"{len(only_here)} action(s) serving only this aim, with their progress updates"]
        if shared:
            lines.append(f"{shared} action(s) that also serve other aims lose this one")
        return lines
    return [f"{item.updates.count()} progress update(s)"]


def kpi_rag_map(plan: Plan | None = None) -> tuple[object, dict[int, object]]:
    """(period, each KPI's trust-column cell) for the board's default period.

    "Current RAG" of a KPI linked to an action: the trust's, in the latest period closed with
    published returns (the period the board opens on). Ratings are shown for a plan's own
    years only: for a ``plan`` that does not cover that period (an archived 2019–2022 plan
    read in 2024), its own last period with published returns, and none if it has none.
    """
    periods = PeriodIndex()
    period = default_period(periods)
    if period is not None and plan is not None and not plan.covers(period):
        period = plan_rating_period(plan, periods)
    if period is None:
        return None, {}

    return period, cached_value(
        "kpi-rag", (period.pk,), lambda: trust_cells(period, periods), board_version()
    )


def tree_board_key(plan: Plan, board_token: str | None, rating=None) -> str | None:
    """What the plan tree shows of the board, as a short digest (None: no caching): the KPI
    chips' trust ratings and the period they are rated in (kpi_rag_map), each KPI's code and
    name in the chips' order (their words), and each term's year and term (an action due "by
    the end of term" is due on its last day; overdue depends on it). The tree is cached under
    the plan's token and this, not under the board's token: a submitted return re-rates the
    chips, and only when a chip's rating changes is the 500-action tree built and rendered
    again (issue 19).

    Worked out once per board token (kept under it): the board's token read, then, when it
    has changed, the KPI RAG map (itself cached under the token; ``rating``: a callable giving
    kpi_rag_map(plan), for a caller that needs it too), periods and KPIs.
    """
    if board_token is None:
        return None

    def compute() -> str:
        period, rag = rating() if rating is not None else kpi_rag_map(plan)
        shown = (
            period.pk if period else None,
            sorted((kpi_id, cell.outcome.value) for kpi_id, cell in rag.items()),
            # In the chips' order (KPI's own ordering): moving a KPI reorders them.
            list(KPI.objects.order_by(*KPI._meta.ordering, "pk").values_list("pk", "code", "name")),
            list(Period.objects.order_by("pk").values_list("pk", "year_start", "term")),
        )
        return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]

    return cached_value("plan-tree-board", (plan.pk,), compute, board_token)


def plan_rating_period(plan: Plan, periods: PeriodIndex) -> Period | None:
    """The latest of the plan's own periods with a published return (closed first), or None
    (one query; asked only for a plan that does not cover the board's period)."""
    own = [p for p in periods.periods if plan.covers(p)]
    if not own:
        return None
    published = set(
        Return.objects.filter(status__in=PUBLISHED_STATUSES, period__in=own).values_list(
            "period_id", flat=True
        )
    )
    candidates = [p for p in own if p.pk in published]
    closed = [p for p in candidates if not p.is_open]
    return (closed or candidates or [None])[-1]


def governance_paper(owner):
    """(plan, period, KPI RAG map, actions, flagged KPIs, rules) for one monitoring body: its
    actions with status and latest commentary, and the KPIs those actions link to that are red
    or amber for the trust or for an academy, reds first, each as (kpi, trust cell, the
    academies' red and amber cells, which carry their heads' notes); ``rules`` gives each
    flagged KPI's rule in words as applied (kpis.selectors.rule_in_words: the academies'
    overrides too), by KPI id.

    Queries: the actions and their links (actions_for_display, the latest commentary annotated
    in the same query); periods, the board's default period and the board's figures (once,
    then cached under the board's token, as kpi_rag_map's are).
    """
    plan = active_plan()
    if plan is None:
        return None, None, {}, [], [], {}
    actions = action_rows(
        with_latest_commentary(
            actions_for_display(Action.objects.filter(objective__plan=plan, monitors=owner))
        )
    )
    periods = PeriodIndex()
    period = default_period(periods)
    if period is None:
        return plan, None, {}, actions, [], {}

    def compute() -> dict:
        board = board_matrix(period, periods)
        overrides: dict[int, dict] = {}  # KPI id → its overrides by academy id, in one pass
        for (kpi_id, academy_id), target in board.overrides.items():
            overrides.setdefault(kpi_id, {})[academy_id] = target
        figures = {}
        for row in board.rows:
            cells = row.cells_with(_FLAGGED)
            # The rule only where the KPI can be flagged (it is what a paper prints).
            rule = (
                rule_in_words(row.kpi, board.academies, overrides.get(row.kpi.pk, {}))
                if cells or row.trust.outcome in _FLAGGED
                else ""
            )
            figures[row.kpi.pk] = (row.trust, cells, rule)
        return figures

    # "-v2": the entries gained the rule (an older deployment's cached pairs are not read).
    figures = cached_value("kpi-flags-v2", (period.pk,), compute, board_version())
    rag = {pk: trust for pk, (trust, _cells, _rule) in figures.items()}
    flagged = {}
    rules = {}
    for action in actions:
        for kpi in action.kpi_list:
            trust, cells, rule = figures.get(kpi.pk, (None, [], ""))
            if trust is not None and (trust.outcome in _FLAGGED or cells):
                flagged[kpi.pk] = (kpi, trust, cells)
                rules[kpi.pk] = rule
    ordered = sorted(
        flagged.values(),
        key=lambda item: (_worst(item) != Outcome.RED, item[0].area_id, item[0].position),
    )
    return plan, period, rag, actions, ordered, rules


_FLAGGED = (Outcome.RED, Outcome.AMBER)


def _worst(item) -> Outcome:
    """Red if the trust or any academy is red, else amber (a flagged KPI)."""
    _kpi, trust, cells = item
    reds = [c for c in [trust, *cells] if c.outcome == Outcome.RED]
    return Outcome.RED if reds else Outcome.AMBER


# --- The narrative beside exceptions: linked actions and their latest commentary --------------


def with_latest_commentary(queryset):
    """Actions with ``latest_commentary`` annotated: the newest progress update's, the same
    update with_current_status() takes the status and date from (same query)."""
    if "latest_commentary" in queryset.query.annotations:
        return queryset  # actions_for_display annotates it already
    latest = ProgressUpdate.objects.filter(action=OuterRef("pk")).order_by(
        "-date", "-created_at", "-pk"
    )
    return queryset.annotate(latest_commentary=Subquery(latest.values("commentary")[:1]))


def kpi_actions(kpi_ids) -> dict[int, list[Action]]:
    """The active plan's actions linked to each of these KPIs (KPI id → actions, in plan
    order), each with its current status, the date and commentary of its latest update
    (as with_current_status and with_latest_commentary annotate them), and ``academy_ids``
    and ``academy_names``, the academies it names (none: the whole trust), for addresses().

    Two queries whatever the number of KPIs or actions, and even for none (so a page's count
    does not depend on whether anything is red): the links to these KPIs with their actions
    and latest updates; the academies those actions name.
    """
    ids = sorted(set(kpi_ids)) or [0]  # no KPI has id 0: the queries run all the same
    latest = ProgressUpdate.objects.filter(action=OuterRef("action_id")).order_by(
        "-date", "-created_at", "-pk"
    )
    active = {"action__objective__plan__status": PlanStatus.ACTIVE}
    links = (
        Action.kpis.through.objects.filter(kpi_id__in=ids, **active)
        .select_related("action__objective", "action__due_period")
        .annotate(
            latest_status=Subquery(latest.values("status")[:1]),
            latest_update_on=Subquery(latest.values("date")[:1]),
            latest_commentary=Subquery(latest.values("commentary")[:1]),
        )
        .order_by("action__objective__number", "action__position", "action_id")
    )
    named: dict[int, set[int]] = {}
    names: dict[int, set[str]] = {}
    for action_id, academy_id, name in Action.academies.through.objects.filter(
        action__kpis__in=ids, **active
    ).values_list("action_id", "academy_id", "academy__name"):
        named.setdefault(action_id, set()).add(academy_id)
        names.setdefault(action_id, set()).add(name)
    actions: dict[int, Action] = {}
    found: dict[int, list[Action]] = {}
    for link in links:
        action = actions.setdefault(link.action_id, link.action)
        action.latest_status = link.latest_status
        action.latest_update_on = link.latest_update_on
        action.latest_commentary = link.latest_commentary or ""
        action.academy_ids = frozenset(named.get(link.action_id, ()))
        action.academy_names = sorted(names.get(link.action_id, ()))
        found.setdefault(link.kpi_id, []).append(action)
    return found


def linked_actions(kpi_ids, plan_token: str | None) -> dict[int, list[Action]]:
    """kpi_actions(kpi_ids), kept under the plan's token (``plan_token``, as read by the
    caller) and the board's trust-wide one (kpis.cache.board_wide_version: the academies'
    names and the periods it shows), not under the academies' own: after a submitted return
    the overview's linked actions are read, not fetched again. One query (that token) when
    kept, three when not."""
    ids = sorted(set(kpi_ids))
    wide = board_wide_version() if plan_token else None
    token = f"{plan_token}-{wide}" if wide else None
    return cached_value("kpi-actions", (tuple(ids),), lambda: kpi_actions(ids), token)


def addresses(action: Action, academy_id: int) -> bool:
    """Whether an action from kpi_actions addresses an academy: it names none (the whole
    trust) or names this one — permissions.action_in_scope's rule, on the ids fetched."""
    return not action.academy_ids or academy_id in action.academy_ids


# Overdue first, then the worst status: the action a board should read first about a KPI.
_STATUS_WEIGHT = {
    ActionStatus.OFF_TRACK: 1,
    ActionStatus.AT_RISK: 2,
    ActionStatus.NOT_STARTED: 3,
    ActionStatus.ON_TRACK: 4,
    ActionStatus.COMPLETE: 5,
}


def most_relevant_first(actions, today: datetime.date) -> list[Action]:
    """Actions from kpi_actions, the most relevant first: the worst status (overdue, off
    track, at risk, not started, on track, complete), then the most recently updated, then
    plan order (the overview shows the first beside a red or amber, the KPI page all)."""

    def key(item):
        position, action = item
        weight = 0 if action.is_overdue(today) else _STATUS_WEIGHT.get(action.status, 3)
        updated = action.latest_update_on.toordinal() if action.latest_update_on else 0
        return (weight, -updated, position)

    return [action for _position, action in sorted(enumerate(actions), key=key)]


def in_scope(action: Action, academy_ids: set[int] | None) -> bool:
    """Whether an action from kpi_actions is in a user's scope (academies.permissions
    .action_in_scope's rule on the ids fetched): trust-wide, or naming one of the academies."""
    return academy_ids is None or not action.academy_ids or bool(action.academy_ids & academy_ids)
