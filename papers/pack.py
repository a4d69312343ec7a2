"""The PDF board pack of a period: the paper a trust board reads (issue 16).

Seven parts: a cover; contents; a one-page summary (RAG counts by area and by academy, what
improved and what declined since last term, returns outstanding, the DfE's four questions);
the exceptions report by academy (every red and missing value and every declining amber, each
with the arithmetic, the head's note with who and when, the linked plan actions with their
status and latest commentary, and a blank column for the board's question); the KPI matrix in
the seed's layout (landscape, in bands of at most ten academies); a page per academy (its
scorecard and the charts of its red and amber KPIs); plan progress by objective.

Every figure comes from the selectors the web pages use (kpis.selectors, plans.selectors), so
the pack says what the pages say, in a fixed number of queries whatever the trust's size.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from academies import permissions
from academies.models import Academy
from board.charts import plan_progress_rows
from kpis import rag
from kpis.models import PUBLISHED_STATUSES, KPIValue, Period, Return
from kpis.selectors import (
    AreaRows,
    Board,
    Cell,
    PeriodIndex,
    Row,
    Series,
    academy_scorecards,
    board_matrix,
    rule_in_words,
)
from papers.pdf import html_to_pdf_and_pages, render_pdf
from plans.models import Action
from plans.selectors import (
    ObjectiveProgress,
    action_rows,
    actions_for_display,
    active_plan,
    addresses,
    kpi_actions,
    most_relevant_first,
    plan_progress,
)

TEMPLATE = "papers/pack.html"
COUNTED = (rag.Outcome.RED, rag.Outcome.AMBER, rag.Outcome.GREEN, rag.Outcome.MISSING)
# The matrix prints at most this many academies side by side (A4 landscape at 8pt); a larger
# trust's matrix comes in bands, each repeating the KPI and trust columns.
BAND_SIZE = 10
# The summary lists every academy's counts up to this many academies (one page); a larger
# trust's summary names the academies with the most exceptions and its counts by academy
# get a part of their own.
SUMMARY_ACADEMIES = 10
# The academy pages' scorecard shows the pack's period and the one before (its charts show
# every period up to the pack's): one line a KPI, so the demo's academies take a page each.
SCORECARD_PERIODS = 2
# Linked actions shown beside each exception, the most pressing first, as on the overview; the
# rest are counted ("+ 2 more linked actions").
ACTIONS_PER_EXCEPTION = 1
# Charts on an academy's page: its red KPIs first, then amber, at most this many (a large
# trust's academy can have thirty; the table above them rates every KPI).
CHARTS_PER_ACADEMY = 4
# The summary names at most this many of the trust's KPIs that improved, of those that
# declined, and of the academies whose return is outstanding.
MOVES_LISTED = 10


@dataclass
class CountRow:
    """One line of the summary's RAG counts (an area, an academy or the trust)."""

    label: str
    counts: Counter = field(default_factory=Counter)
    improved: int = 0
    declined: int = 0

    @property
    def cells(self) -> list[tuple[rag.Outcome, int]]:
        return [(outcome, self.counts.get(outcome, 0)) for outcome in COUNTED]

    @property
    def exceptions(self) -> int:
        return self.counts.get(rag.Outcome.RED, 0) + self.counts.get(rag.Outcome.MISSING, 0)

    def add(self, cell: Cell) -> None:
        self.counts[cell.outcome] += 1
        self.improved += cell.trend == rag.Trend.BETTER
        self.declined += cell.trend == rag.Trend.WORSE


@dataclass
class Exception_:
    """One exception cell in the exceptions report, with its KPI's linked plan actions that
    address the academy (the most relevant first) and how many more there are."""

    row: Row
    cell: Cell
    note_on: datetime.date | None = None
    actions: list[Action] = field(default_factory=list)
    more: int = 0

    @property
    def unaddressed(self) -> bool:
        """A red or amber that no linked plan action addresses."""
        return not self.actions and self.cell.outcome in (rag.Outcome.RED, rag.Outcome.AMBER)


@dataclass
class AcademyExceptions:
    """An academy's part of the exceptions report."""

    academy: Academy
    items: list[Exception_] = field(default_factory=list)
    unsubmitted: int = 0  # KPIs missing because the return is not submitted


@dataclass
class AcademyPage:
    """An academy's page: its return, counts, scorecard (last periods) and charts."""

    academy: Academy
    ret: Return | None
    counts: CountRow
    areas: list[AreaRows]
    charted: list[Series]
    more_charts: int = 0  # red and amber KPIs beyond CHARTS_PER_ACADEMY


@dataclass
class Band:
    """A slice of the matrix: up to BAND_SIZE academies' columns, the KPI and trust columns."""

    number: int
    academies: list[Academy]
    areas: list[AreaRows]


@dataclass
class ObjectivePlan:
    """Plan progress for one objective: its counts by status and its actions, overdue first."""

    progress: ObjectiveProgress
    actions: list[Action]


def _counts_by_area(board: Board) -> list[CountRow]:
    rows = []
    for group in board.areas:
        row = CountRow(str(group.area))
        for kpi_row in group.rows:
            for cell in kpi_row.cells:
                row.add(cell)
        rows.append(row)
    return rows


def _counts_by_academy(board: Board) -> dict[int, CountRow]:
    rows = {academy.pk: CountRow(academy.name) for academy in board.academies}
    for kpi_row in board.rows:
        for cell in kpi_row.cells:
            rows[cell.academy.pk].add(cell)
    return rows


def _note_dates(period: Period, academy_ids: list[int]) -> dict[tuple[int, int], datetime.date]:
    """When each published value with a note was last saved, (kpi, academy) → date (one
    query): the pack says who wrote a note and when ("— Priya Shah, 12 Jul 2024")."""
    rows = (
        KPIValue.objects.published()
        .filter(period=period, academy_id__in=academy_ids)
        .exclude(note="")
        .values_list("kpi_id", "academy_id", "updated_at")
    )
    return {(kpi, academy): timezone.localdate(at) for kpi, academy, at in rows}


def _exceptions(
    board: Board, period: Period, today: datetime.date
) -> tuple[list[AcademyExceptions], dict]:
    """The exceptions report by academy, in the board's column order: Board.exceptions (reds,
    then missing, then declining ambers), the linked actions of each (kpi_actions: two
    queries) that address the academy, and the academies whose return is not submitted."""
    groups = {academy.pk: AcademyExceptions(academy) for academy in board.academies}
    for academy, missing in board.unsubmitted():
        groups[academy.pk].unsubmitted = missing
    found = board.exceptions()
    dates = _note_dates(period, list(groups))
    linked = kpi_actions(row.kpi.pk for row, cell in found if cell.outcome != rag.Outcome.MISSING)
    facts = Counter()
    for row, cell in found:
        item = Exception_(row, cell, note_on=dates.get((row.kpi.pk, cell.academy.pk)))
        if cell.outcome != rag.Outcome.MISSING:
            actions = [a for a in linked.get(row.kpi.pk, []) if addresses(a, cell.academy.pk)]
            ranked = most_relevant_first(actions, today)
            item.actions = ranked[:ACTIONS_PER_EXCEPTION]
            item.more = len(ranked) - len(item.actions)
        groups[cell.academy.pk].items.append(item)
        facts[cell.outcome] += 1
        facts["unaddressed"] += item.unaddressed and cell.outcome == rag.Outcome.RED
    return [g for g in groups.values() if g.items or g.unsubmitted], facts


def _bands(board: Board) -> list[Band]:
    """The matrix in bands of at most BAND_SIZE academies, as even as they can be (23
    academies: 8, 8 and 7, not 10, 10 and 3)."""
    count = len(board.academies)
    parts = max(1, -(-count // BAND_SIZE))
    size = -(-count // parts) if count else 0
    bands = []
    for number in range(parts):
        start, stop = number * size, (number + 1) * size
        areas = [
            AreaRows(group.area, [Row(r.kpi, r.cells[start:stop], r.trust) for r in group.rows])
            for group in board.areas
        ]
        bands.append(Band(number + 1, board.academies[start:stop], areas))
    return bands


def _truncated(series: Series, count: int) -> Series:
    """A series up to the pack's period (the first ``count`` periods): a pack made later
    shows what the board knew then, not the terms after it."""
    return Series(
        series.kpi,
        series.academy,
        series.cells[:count],
        series.national[:count],
        series.bands[:count],
    )


def _academy_pages(
    board: Board, periods: PeriodIndex, period: Period, counts: dict[int, CountRow], returns
) -> tuple[list[AcademyPage], list[Period], list[Period]]:
    """Each academy's page (academy_scorecards: four queries for every academy), the periods
    its table shows (the last SCORECARD_PERIODS up to the pack's) and those its charts show
    (every period up to the pack's)."""
    upto = periods.periods.index(period) + 1
    charted_periods = periods.periods[:upto]
    shown_periods = charted_periods[-SCORECARD_PERIODS:]
    first = upto - len(shown_periods)
    cards = academy_scorecards(board.academies, periods)
    pages = []
    for academy in board.academies:
        areas, charted = [], []
        for group in cards[academy.pk]:
            rows = []
            for series in group.rows:
                whole = _truncated(series, upto)
                latest = whole.cells[-1]
                if latest.outcome in (rag.Outcome.RED, rag.Outcome.AMBER):
                    charted.append(whole)
                rows.append(whole)
            areas.append(AreaRows(group.area, rows))
        severity = {rag.Outcome.RED: 0, rag.Outcome.AMBER: 1}
        charted.sort(key=lambda s: severity[s.cells[-1].outcome])
        for group in areas:
            for series in group.rows:
                series.shown = series.cells[first:]
        page = AcademyPage(
            academy,
            returns.get(academy.pk),
            counts[academy.pk],
            areas,
            charted[:CHARTS_PER_ACADEMY],
        )
        page.more_charts = len(charted) - len(page.charted)
        pages.append(page)
    return pages, shown_periods, charted_periods


def _plan(academy_ids: set[int] | None, today: datetime.date) -> tuple[object, list]:
    """The active plan's objectives, each with its counts by status and its actions in the
    scope (trust-wide, or naming one of the academies), overdue first then in plan order."""
    plan = active_plan()
    if plan is None:
        return None, []
    actions = action_rows(
        actions_for_display(Action.objects.filter(objective__plan=plan)), today=today
    )
    actions = [a for a in actions if permissions.action_in_scope(a, academy_ids)]
    by_objective: dict[int, list[Action]] = defaultdict(list)
    for action in actions:
        by_objective[action.objective_id].append(action)
    ordered = [
        # Overdue first; sorted() is stable, so plan order within each.
        ObjectivePlan(
            progress, sorted(by_objective[progress.objective.pk], key=lambda a: not a.overdue)
        )
        for progress in plan_progress(plan, today, actions=actions)
    ]
    return plan, ordered


def pack_context(
    period: Period,
    *,
    academy_ids: set[int] | None = None,
    produced_by: str,
    produced_at: datetime.datetime | None = None,
    title: str | None = None,
) -> dict:
    """Everything the pack's template shows (papers/pack.html)."""
    produced_at = timezone.localtime(produced_at or timezone.now())
    today = produced_at.date()
    periods = PeriodIndex()
    # Every academy: the trust column is the whole trust's figure, whoever the pack is for.
    board = board_matrix(period, periods).restricted_to(academy_ids)
    returns = {r.academy_id: r for r in Return.objects.filter(period=period)}
    by_academy = _counts_by_academy(board)
    exceptions, facts = _exceptions(board, period, today)
    pages, shown_periods, charted_periods = _academy_pages(
        board, periods, period, by_academy, returns
    )
    plan, objectives = _plan(academy_ids, today)
    trust_rows = board.rows
    outstanding = [
        (academy, returns.get(academy.pk))
        for academy in board.academies
        if returns.get(academy.pk) is None or returns[academy.pk].status not in PUBLISHED_STATUSES
    ]
    ranked = sorted(by_academy.values(), key=lambda row: -row.exceptions)
    improved = [row for row in trust_rows if row.trust.trend == rag.Trend.BETTER]
    declined = [row for row in trust_rows if row.trust.trend == rag.Trend.WORSE]
    overdue = sum(len(entry.progress.overdue) for entry in objectives)
    return {
        "trust_name": settings.TRUST_NAME,
        "marking": settings.PAPER_MARKING,
        "period": period,
        "previous": board.previous,
        "produced_at": produced_at,
        "produced_by": produced_by,
        "today": today,
        "pack_title": title or f"Board pack – {period}",
        "meeting": title or "",
        "board": board,
        "whole_trust": academy_ids is None,
        "counted": COUNTED,
        "by_area": _counts_by_area(board),
        "by_academy": list(by_academy.values()),
        "academies_on_summary": len(board.academies) <= SUMMARY_ACADEMIES,
        "most_exceptions": [row for row in ranked if row.exceptions][:SUMMARY_ACADEMIES],
        "trust_counts": CountRow(settings.TRUST_NAME, board.counts.get(None, Counter())),
        "improved": improved,
        "declined": declined,
        # Each list as the summary names it: (the first MOVES_LISTED, how many more).
        "moves": [
            (rows[:MOVES_LISTED], max(0, len(rows) - MOVES_LISTED)) for rows in (improved, declined)
        ],
        "outstanding": outstanding,
        "outstanding_listed": outstanding[:MOVES_LISTED],
        "outstanding_more": max(0, len(outstanding) - MOVES_LISTED),
        "facts": facts,
        "overdue": overdue,
        "exceptions": exceptions,
        "bands": _bands(board),
        "rules": [
            (row.kpi, rule_in_words(row.kpi, board.academies, board.overrides_of(row.kpi)))
            for row in trust_rows
        ],
        "academy_pages": pages,
        "shown_periods": shown_periods,
        "charted_periods": charted_periods,
        "plan": plan,
        "objectives": objectives,
        "progress_rows": plan_progress_rows(
            [entry.progress for entry in objectives],
            plan.objective_label if plan else "Objective",
        ),
        "legend": [rag.Outcome(o) for o in rag.Outcome],
        "has_demo_data": any(cell.is_demo for row in trust_rows for cell in row.cells),
    }


def board_pack_pdf(
    period: Period,
    *,
    academy_ids: set[int] | None = None,
    produced_by: str,
    produced_at: datetime.datetime | None = None,
    title: str | None = None,
) -> bytes:
    """The board pack of ``period`` as a tagged PDF.

    ``academy_ids``: None for the whole trust, else only these academies' columns, exceptions
    and pages (a governor's scope, academies.permissions.visible_academy_ids) and the plan's
    trust-wide actions and those naming them; the trust column is still the whole trust's
    figure (Board.restricted_to). ``title``: the meeting the pack is published for ("Trust
    Board, 12 March 2024"), shown on the cover; else "Board pack – <period>".
    """
    context = pack_context(
        period,
        academy_ids=academy_ids,
        produced_by=produced_by,
        produced_at=produced_at,
        title=title,
    )
    return render_pdf(TEMPLATE, context)


def board_pack_pdf_and_pages(period: Period, **options) -> tuple[bytes, int]:
    """board_pack_pdf (same keyword arguments) and its number of pages."""
    return html_to_pdf_and_pages(render_to_string(TEMPLATE, pack_context(period, **options)))
