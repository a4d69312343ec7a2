"""Reads for the board's pages, each a fixed number of queries whatever the trust's size.

The pages never judge anything themselves: these selectors fetch the published values once
and run kpis.rag over them in Python.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import F, FilteredRelation, Q
from django.http import Http404, HttpRequest

from academies.models import Academy, AcademyGroup
from core.cache import CACHE_SECONDS
from kpis import ofsted, rag
from kpis.cache import column_versions
from kpis.models import (
    KPI,
    PUBLISHED_STATUSES,
    AcademyTarget,
    KPIValue,
    NationalFigure,
    Period,
    Return,
    format_academic_year,
)


def rule_for(kpi: KPI, override: AcademyTarget | None = None) -> rag.Rule:
    rule = rag.Rule(
        measure=kpi.measure,
        direction=kpi.direction,
        target_kind=kpi.target_kind,
        target=kpi.target_value,
        amber_margin=kpi.amber_margin or Decimal(0),
        unit=kpi.unit,
        inspection=kpi.inspection_rule,
    )
    if override is not None and kpi.measure != "inspection":
        return rule.with_target(override.target_value, override.amber_margin)
    return rule


# How the rule names a phase whose every academy has the same override.
PHASE_PLURALS = {
    "primary": "primary schools",
    "secondary": "secondary schools",
    "all_through": "all-through schools",
    "special": "special schools",
    "sixth_form": "sixth forms",
    "alternative": "alternative provision academies",
}


def _target_in_words(kpi: KPI, target: Decimal | None, margin: Decimal | None) -> str:
    """ "At least 95%; amber within 1 of the target", for the KPI's target or an override's."""
    if kpi.target_kind == "none":
        return "No target: the value is reported for context"
    if kpi.target_kind == "change":
        way = "reduced" if kpi.lower_is_better else "increased"
        words = (
            f"{way.capitalize()} by at least {rag.format_value(target, 'number')}% "
            f"against the same term of {format_academic_year(kpi.baseline_year)}"
        )
    elif kpi.target_kind == "national":
        at = "At most" if kpi.lower_is_better else "At least"
        offset = target or 0
        words = f"{at} the national figure" + (
            f" {'+' if offset > 0 else '−'} {rag.format_value(abs(offset), 'number')}"
            if offset
            else ""
        )
    elif kpi.measure in ("yes_no", "grade"):
        words = rag.threshold_for(rule_for(kpi).with_target(target))[2]
        words = words[:1].upper() + words[1:]
    else:
        at = "At most" if kpi.lower_is_better else "At least"
        words = f"{at} {rag.format_value(target, kpi.measure, kpi.unit)}"
    if margin:
        unit = " percentage points of change" if kpi.target_kind == "change" else ""
        # In pounds for money ("£50,000"); other margins are points of the measure ("1").
        measure = "money" if kpi.measure == "money" and not unit else "number"
        words += f"; amber within {rag.format_value(margin, measure)}{unit} of the target"
    else:
        words += "; anything short of it is red"
    return words


def rule_in_words(
    kpi: KPI,
    academies: Sequence[Academy] = (),
    overrides: Mapping[int, AcademyTarget] | None = None,
) -> str:
    """The rule as applied: "At least 95%; amber within 1 of the target. Special schools: at
    least 90%; amber within 2 of the target. Trust column: mean weighted by pupils on roll."

    ``overrides`` are the KPI's academy targets by academy id, ``academies`` the academies
    they may belong to (fetched once by the caller, see kpi_rule). An override every academy
    of a phase shares (two or more academies, all those of the phase the KPI applies to) is
    stated for the phase; any other by the academy's name, in the academies' order.
    """
    if kpi.measure == "inspection":
        return _inspection_rule_in_words(kpi)
    margin = kpi.amber_margin or Decimal(0)
    sentences = [_target_in_words(kpi, kpi.target_value, margin) + "."]
    if overrides and kpi.target_kind != "none":
        for who, target in _override_groups(kpi, academies, overrides):
            words = _target_in_words(
                kpi,
                target.target_value,
                margin if target.amber_margin is None else target.amber_margin,
            )
            sentences.append(f"{who[:1].upper()}{who[1:]}: {words[:1].lower()}{words[1:]}.")
    sentences.append(f"Trust column: {kpi.get_aggregation_display().lower()}.")
    return " ".join(sentences)


def _inspection_rule_in_words(kpi: KPI) -> str:
    """An inspection KPI's rule: report cards first, then how an inspection on the old scale
    (still in force, or in earlier periods) is read; never one mapped onto the other."""
    if kpi.inspection_rule == ofsted.SAFEGUARDING:
        sentences = [
            "From the academy's latest Ofsted inspection: green when safeguarding is met, red "
            "when it is not.",
            "An inspection before November 2025 counts safeguarding effective as green.",
        ]
    elif kpi.inspection_rule == ofsted.AREA:
        area = ofsted.REPORT_CARD_AREAS.get(kpi.inspection_area, kpi.inspection_area).lower()
        old = ofsted.FOUR_POINT_AREAS.get(ofsted.OLD_JUDGEMENT.get(kpi.inspection_area, ""))
        sentences = [
            f"From the academy's latest Ofsted report card: {area} at expected standard or "
            "above is green, needs attention amber, urgent improvement red.",
            f"An inspection before November 2025 is read on its own scale: {old.lower()} good "
            "or better is green, requires improvement amber, inadequate red."
            if old
            else "An inspection before November 2025 did not grade this area, so the KPI has "
            "no value while one is in force.",
        ]
    else:
        sentences = [
            "From the academy's latest Ofsted report card: every evaluation area at expected "
            "standard or above and safeguarding met is green; any area needing attention is "
            "amber; any area at urgent improvement, or safeguarding not met, is red.",
            "An inspection before November 2025 is read on its own scale: good or better "
            "overall is green, requires improvement amber, inadequate or safeguarding not "
            "effective red.",
        ]
    sentences.append(
        "Ofsted's report cards and its earlier grades are not compared, so there is no trend "
        "between them."
    )
    sentences.append(f"Trust column: {kpi.get_aggregation_display().lower()}.")
    return " ".join(sentences)


def _override_groups(
    kpi: KPI, academies: Sequence[Academy], overrides: Mapping[int, AcademyTarget]
) -> list[tuple[str, AcademyTarget]]:
    """(a phase's plural or an academy's name, its override), in the academies' order."""
    applicable = [a for a in academies if kpi.applies_to(a)]

    def same(target: AcademyTarget | None) -> tuple | None:
        if target is None:
            return None
        return (Decimal(target.target_value), target.amber_margin)

    by_phase: dict[str, list[Academy]] = defaultdict(list)
    for academy in applicable:
        by_phase[academy.phase].append(academy)
    groups: list[tuple[str, AcademyTarget]] = []
    stated: set[str] = set()
    for academy in applicable:
        target = overrides.get(academy.pk)
        if target is None:
            continue
        members = by_phase[academy.phase]
        shared = len(members) > 1 and all(
            same(overrides.get(m.pk)) == same(target) for m in members
        )
        if not shared:
            groups.append((academy.name, target))
        elif academy.phase not in stated:
            stated.add(academy.phase)
            groups.append((PHASE_PLURALS.get(academy.phase, academy.phase), target))
    return groups


def kpi_rule(kpi: KPI) -> str:
    """rule_in_words with the KPI's overrides: one query, the active academies each with its
    override of this KPI joined in."""
    rows = (
        Academy.objects.active()
        .annotate(override=FilteredRelation("kpi_targets", condition=Q(kpi_targets__kpi=kpi)))
        .annotate(override_target=F("override__target_value"))
        .annotate(override_amber=F("override__amber_margin"))
    )
    academies = list(rows)
    overrides = {
        a.pk: AcademyTarget(
            kpi=kpi, academy=a, target_value=a.override_target, amber_margin=a.override_amber
        )
        for a in academies
        if a.override_target is not None
    }
    return rule_in_words(kpi, academies, overrides)


# Slots: a full-scale matrix makes 9,000 of these (and reads their fields tens of thousands of
# times); a slotted instance is made and read faster.
@dataclass(slots=True)
class Cell:
    academy: Academy | None
    value: Decimal | None
    judgement: rag.Judgement
    trend: rag.Trend | None = None
    previous: Decimal | None = None
    is_demo: bool = False
    measure: str = "number"
    unit: str = ""
    tip_id: str = ""
    # The head's note on the value as published, and who last saved it (issue 15: the board
    # reads the explanation beside the RAG, not only the arithmetic).
    note: str = ""
    note_by: str = ""
    # The trust cell only: how many academies the KPI applies to, how many of them reported,
    # and the names of those that did not ("4 of 5"; "Moreton School missing").
    expected: int | None = None
    reported: int | None = None
    unreported: tuple[str, ...] = ()
    # Why there is no trend although both periods have a value (the trust cell: the sets of
    # academies differ, e.g. "not comparable: Moreton School missing").
    trend_note: str = ""
    # The target that applied to this value, in the measure's words ("at least 95%"): by
    # default the judgement's (kpis.rag.judge), which the matrix, the series and the trust
    # cells all come from.
    target_words: str = ""
    # A group's cell (academy None, like the trust's): its group, and how many exception
    # cells its academies have (the group's figure may be green while one academy is red).
    group: AcademyGroup | None = None
    exceptions: int = 0

    def __post_init__(self) -> None:
        if not self.target_words:
            self.target_words = self.judgement.target_words

    @property
    def coverage(self) -> str:
        """ "4 of 5" when some academies the KPI applies to have not reported, else ""."""
        if self.expected is None or self.reported is None or self.reported >= self.expected:
            return ""
        return f"{self.reported} of {self.expected}"

    @property
    def outcome(self) -> rag.Outcome:
        return self.judgement.outcome

    @property
    def shown(self) -> str:
        return rag.format_value(self.value, self.measure, self.unit)

    @property
    def is_exception(self) -> bool:
        """Red, missing, or amber and getting worse (rag.is_board_exception)."""
        return rag.is_board_exception(self.outcome, self.trend)


class _CellSource:
    """A row's academy cells not made yet: the academies and their entries of the judged
    columns (_MatrixJudge.columns' layout), made into Cells only when read. A large trust's
    board shows group columns, its overview counts, and 9,000 cells would be made for
    nothing; their outcomes and exceptions are read from the entries."""

    __slots__ = ("kpi", "academies", "entries")

    def __init__(self, kpi: KPI, academies: list[Academy], entries: list[tuple]) -> None:
        self.kpi, self.academies, self.entries = kpi, academies, entries

    def cells(self, places: Iterable[int] | None = None) -> list[Cell]:
        """The cells (of the academies at these places only, if given), in column order."""
        kpi, academies, entries = self.kpi, self.academies, self.entries
        measure, unit, tip = kpi.measure, kpi.unit, f"tip-{kpi.code}-"
        judgement, make_cell = rag.Judgement, Cell
        out = []
        for i in range(len(entries)) if places is None else places:
            academy = academies[i]
            value, is_demo, note, note_by, _, outcome, why, threshold, words, old = entries[i]
            if old is None:
                trend = old_value = None
            else:
                old_value, _, _, trend = old
            # Positionally, in Cell's field order (academy, value, judgement, trend,
            # previous, is_demo, measure, unit, tip_id, note, note_by).
            out.append(
                make_cell(
                    academy,
                    value,
                    judgement(outcome, why, threshold, words),
                    trend,
                    old_value,
                    is_demo,
                    measure,
                    unit,
                    tip + academy.slug,
                    note,
                    note_by,
                )
            )
        return out

    def exception_places(self) -> list[int]:
        """Where the exception cells are (as Cell.is_exception: the outcome and the trend,
        read from the entries)."""
        exception = rag.is_board_exception
        return [
            i
            for i, entry in enumerate(self.entries)
            if exception(entry[5], None if entry[9] is None else entry[9][3])
        ]

    def only(self, academy_ids: set[int]) -> _CellSource:
        places = [i for i, a in enumerate(self.academies) if a.pk in academy_ids]
        return _CellSource(
            self.kpi, [self.academies[i] for i in places], [self.entries[i] for i in places]
        )


class Row:
    """One KPI's row of the matrix: its academies' cells (a list, or made from a _CellSource
    when first read), the trust's cell and one cell per column of Board.groups, in order."""

    __slots__ = ("kpi", "trust", "groups", "_cells", "_source")

    def __init__(
        self,
        kpi: KPI,
        cells: list[Cell] | _CellSource,
        trust: Cell,
        groups: list[Cell] | None = None,
    ) -> None:
        self.kpi, self.trust = kpi, trust
        self.groups = [] if groups is None else groups
        if isinstance(cells, _CellSource):
            self._cells, self._source = None, cells
        else:
            self._cells, self._source = cells, None

    @property
    def cells(self) -> list[Cell]:
        if self._cells is None:
            self._cells = self._source.cells()
        return self._cells

    def academy_outcomes(self) -> list[tuple[Academy, rag.Outcome]]:
        """Each academy cell's (academy, outcome), in column order, without making cells."""
        if self._cells is None:
            source = self._source
            return [
                (a, entry[5]) for a, entry in zip(source.academies, source.entries, strict=True)
            ]
        return [(cell.academy, cell.outcome) for cell in self._cells]

    def exception_cells(self) -> list[Cell]:
        """The academy cells that are exceptions (Cell.is_exception); only these are made."""
        if self._cells is None:
            return self._source.cells(self._source.exception_places())
        return [cell for cell in self._cells if cell.is_exception]

    def cells_with(self, outcomes: Collection[rag.Outcome]) -> list[Cell]:
        """The academy cells of these outcomes; only these are made."""
        if self._cells is None:
            entries = self._source.entries
            return self._source.cells([i for i, e in enumerate(entries) if e[5] in outcomes])
        return [cell for cell in self._cells if cell.outcome in outcomes]

    def only(self, academy_ids: set[int], group_places: list[int]) -> Row:
        """This row with only these academies' cells and the groups' at these places."""
        groups = [self.groups[i] for i in group_places]
        if self._cells is None:
            return Row(self.kpi, self._source.only(academy_ids), self.trust, groups)
        return Row(
            self.kpi, [c for c in self._cells if c.academy.pk in academy_ids], self.trust, groups
        )

    @property
    def has_exception(self) -> bool:
        """An exception in an academy's cell, a group's (its figure, or any of its
        academies') or the trust's."""
        if self._cells is None:
            academies = bool(self._source.exception_places())
        else:
            academies = any(cell.is_exception for cell in self._cells)
        return (
            academies
            or any(cell.is_exception or cell.exceptions for cell in self.groups)
            or self.trust.is_exception
        )


@dataclass
class GroupColumn:
    """A group of academies on the board (academies.AcademyGroup) and those of its academies
    the board was worked out from (the active ones of the phase filtered)."""

    group: AcademyGroup
    academies: list[Academy]

    @property
    def key(self) -> str:
        """How a counts link names the column (?academy=group:north)."""
        return f"group:{self.group.slug}"

    @property
    def anchor(self) -> str:
        """The group's part of its chart's id (board.charts.chart_id)."""
        return f"group-{self.group.slug}"


@dataclass
class AreaRows:
    area: object
    rows: list[Row]


@dataclass
class Board:
    period: Period
    previous: Period | None
    academies: list[Academy]
    areas: list[AreaRows]
    counts: dict[int | None, Counter] = field(default_factory=dict)
    # (kpi, academy) → that academy's target override (for rule_in_words in the board pack).
    overrides: dict[tuple[int, int], AcademyTarget] = field(default_factory=dict)
    # The groups of the board's academies (group columns: Row.groups), in their order.
    groups: list[GroupColumn] = field(default_factory=list)

    @property
    def column_count(self) -> int:
        """The matrix's columns: the KPI's, each academy's and group's, the trust's."""
        return len(self.academies) + len(self.groups) + 2

    def overrides_of(self, kpi: KPI) -> dict[int, AcademyTarget]:
        """One KPI's overrides by academy id, for rule_in_words(kpi, board.academies, …)."""
        return {a: t for (k, a), t in self.overrides.items() if k == kpi.pk}

    @property
    def rows(self) -> list[Row]:
        return [row for area in self.areas for row in area.rows]

    def unsubmitted(self) -> list[tuple[Academy, int]]:
        """Academies with no published value for any KPI on the board that applies to them
        (their return is not submitted), each with the number of KPIs missing: the overview
        says "Moreton School: return not submitted — 30 KPIs" once instead of 30 rows."""
        missing: Counter = Counter()
        reported: set[int] = set()
        for row in self.rows:
            for academy, outcome in row.academy_outcomes():
                if outcome == rag.Outcome.MISSING:
                    missing[academy.pk] += 1
                elif outcome != rag.Outcome.NOT_APPLICABLE:
                    reported.add(academy.pk)
        return [
            (academy, missing[academy.pk])
            for academy in self.academies
            if missing[academy.pk] and academy.pk not in reported
        ]

    def exceptions(self, unsubmitted: list | None = None) -> list[tuple[Row, Cell]]:
        """Every exception cell, reds first, then missing, then declining ambers; the missing
        values of an academy that has not submitted at all are left to ``unsubmitted`` (pass
        its result when the caller has it already: it reads every academy's outcome). Only the
        exception cells are made (Row.exception_cells)."""
        if unsubmitted is None:
            unsubmitted = self.unsubmitted()
        silent = {academy.pk for academy, _ in unsubmitted}
        found = [
            (row, cell)
            for row in self.rows
            for cell in row.exception_cells()
            if not (cell.outcome == rag.Outcome.MISSING and cell.academy.pk in silent)
        ]
        order = {rag.Outcome.RED: 0, rag.Outcome.MISSING: 1, rag.Outcome.AMBER: 2}
        return sorted(found, key=lambda pair: order.get(pair[1].outcome, 3))

    def restricted_to(self, academy_ids: set[int] | None) -> Board:
        """This board with only these academies' columns (None: all of them), for a user's
        scope (academies.permissions.visible_academy_ids). The trust column keeps the figure
        worked out from every academy on the board."""
        if academy_ids is None:
            return self
        # A group's figure is kept only when every academy of it is in scope: a governor
        # reads the figures of academies they govern, and the trust's.
        whole = {
            column.group.pk
            for column in self.groups
            if all(a.pk in academy_ids for a in column.academies)
        }
        return self.with_columns(academy_ids, whole)

    def with_columns(self, academy_ids: set[int], group_ids: set[int]) -> Board:
        """This board with only these academies' and groups' columns (and the trust's)."""
        keep = [i for i, column in enumerate(self.groups) if column.group.pk in group_ids]
        areas = [
            AreaRows(
                group.area,
                [row.only(academy_ids, keep) for row in group.rows],
            )
            for group in self.areas
        ]
        group_keys = {("group", self.groups[i].group.pk) for i in keep}
        return Board(
            period=self.period,
            previous=self.previous,
            academies=[a for a in self.academies if a.pk in academy_ids],
            areas=areas,
            counts={
                k: n
                for k, n in self.counts.items()
                if k is None or k in academy_ids or k in group_keys
            },
            overrides=self.overrides,
            groups=[self.groups[i] for i in keep],
        )


class PeriodIndex:
    """All periods (a small table, one query) and the lookups pages need."""

    def __init__(self) -> None:
        self.periods = list(Period.objects.order_by("year_start", "term"))
        self.by_slug = {p.slug: p for p in self.periods}
        self.by_year_term = {(p.year_start, p.term): p for p in self.periods}

    def previous(self, period: Period) -> Period | None:
        index = self.periods.index(period)
        return self.periods[index - 1] if index > 0 else None

    def baseline(self, kpi: KPI, period: Period) -> Period | None:
        if kpi.target_kind != "change" or kpi.baseline_year is None:
            return None
        if period.year_start <= kpi.baseline_year:
            return None  # the baseline year itself is not judged against itself
        return self.by_year_term.get((kpi.baseline_year, period.term))


def default_period(periods: PeriodIndex) -> Period | None:
    """The period the board opens on (one query).

    The latest period closed for entry that has a published return: a term still being
    collected would show mostly missing values. Failing that, the latest period with a
    published return, then simply the latest period.
    """
    published = set(
        Return.objects.filter(status__in=PUBLISHED_STATUSES)
        .values_list("period_id", flat=True)
        .distinct()
    )
    candidates = [p for p in periods.periods if p.pk in published]
    closed = [p for p in candidates if not p.is_open]
    for choice in (closed, candidates, periods.periods):
        if choice:
            return choice[-1]
    return None


def board_matrix(
    period: Period,
    periods: PeriodIndex,
    *,
    academies: list[Academy] | None = None,
    area: int | None = None,
) -> Board:
    """The KPI matrix of one period: KPI rows by area × academy columns + trust column.

    Queries: KPIs with their areas; academies (unless given); the academies' column tokens;
    academy targets; published values of this period, the previous one and the baselines (of
    the academies whose judged column is not cached; none when all are); national figures.
    """
    every_kpi = list(KPI.objects.active().with_area())
    kpis = every_kpi if area is None else [k for k in every_kpi if k.area.number == area]
    if academies is None:
        academies = list(Academy.objects.active())
    previous = periods.previous(period)
    keys, columns, judge = _judged_columns(academies, every_kpi, periods, period, previous)
    groups = board_groups(academies)
    board = Board(
        period=period,
        previous=previous,
        academies=academies,
        areas=[],
        overrides=judge.overrides,
        groups=groups,
    )
    # Each group's academies by their place in the columns.
    places = {academy.pk: i for i, academy in enumerate(academies)}
    members = [[places[a.pk] for a in column.academies] for column in groups]
    counts: dict[object, Counter] = defaultdict(Counter)
    by_area: dict[int, AreaRows] = {}
    make_figure = rag.AcademyFigure
    rows: list[tuple] = []  # (kpi, entries, figures, previous figures, trust cell)
    in_order = [columns[academy.id] for academy in academies]
    weights = [(academy.pupils_on_roll or 1, academy.name) for academy in academies]
    for kpi in kpis:
        # The KPI's row: every academy's entry of its judged column and its figures (this
        # period's, the previous one's); the cells are made only if read (_CellSource).
        kpi_id = kpi.id
        entries = [column[kpi_id] for column in in_order]
        figures, before = [], []
        for entry, (weight, name) in zip(entries, weights, strict=True):
            value, _, _, _, baseline, outcome, _, _, _, old = entry
            figures.append(make_figure(value, weight, outcome, baseline, name))
            if old is not None:
                before.append(make_figure(old[0], weight, old[1], old[2], name))
        trust_cell = judge.trust_cell(kpi, period, previous, figures, before)
        rows.append((kpi, entries, figures, before, trust_cell))
    # Each group's cells, from the cache unless one of its academies' columns changed (after
    # one academy's return, only its group's are worked out again).
    group_keys = _group_keys(groups, keys, kpis) if keys else {}
    found = cache.get_many(list(group_keys.values())) if group_keys else {}
    by_group = {
        column.group.pk: _group_cells(column, kpis, found[group_keys[column.group.pk]])
        for column in groups
        if group_keys.get(column.group.pk) in found
    }
    fresh: dict[int, dict[int, Cell]] = {}
    exceptional: dict[int, set[int]] = {}  # KPI id → the places of its academies' exceptions
    for column, places_of in zip(groups, members, strict=True):
        if column.group.pk in by_group:
            continue
        mine_of: dict[int, Cell] = {}
        for kpi, entries, figures, before, _ in rows:
            # A group's figure exactly as the trust's, over its academies only.
            mine = [figures[i] for i in places_of]
            cell = judge.combined_cell(kpi, period, mine, group=column.group)
            if previous is not None:
                theirs = [before[i] for i in places_of]
                old = rag.aggregate(kpi.aggregation, theirs, kpi.measure)[0]
                _combined_trend(kpi, cell, mine, theirs, old)
            if kpi.id not in exceptional:
                exceptional[kpi.id] = set(_CellSource(kpi, academies, entries).exception_places())
            cell.exceptions = len(exceptional[kpi.id].intersection(places_of))
            mine_of[kpi.id] = cell
        fresh[column.group.pk] = mine_of
    if fresh and group_keys:
        cache.set_many(
            {group_keys[pk]: _group_figures(cells) for pk, cells in fresh.items()}, CACHE_SECONDS
        )
    by_group.update(fresh)
    academy_counts = [counts[academy.id] for academy in academies] if rows else []
    for kpi, entries, _, _, trust_cell in rows:
        group_cells = [by_group[column.group.pk][kpi.id] for column in groups]
        for column, cell in zip(groups, group_cells, strict=True):
            counts["group", column.group.pk][cell.outcome] += 1
        for counted, entry in zip(academy_counts, entries, strict=True):
            counted[entry[5]] += 1
        counts[None][trust_cell.outcome] += 1
        if kpi.area.number not in by_area:
            by_area[kpi.area.number] = AreaRows(kpi.area, [])
            board.areas.append(by_area[kpi.area.number])
        by_area[kpi.area.number].rows.append(
            Row(kpi, _CellSource(kpi, academies, entries), trust_cell, group_cells)
        )
    board.counts = dict(counts)
    return board


def _judged_columns(
    academies: list[Academy],
    every_kpi: list[KPI],
    periods: PeriodIndex,
    period: Period,
    previous: Period | None,
) -> tuple[dict[int, str] | None, dict[int, dict], _MatrixJudge]:
    """(the columns' cache keys, each academy's judged column, the judge with the targets
    and national figures). Each academy's column (of every KPI, whatever the area shown, so
    that every view of the period shares it) comes from the cache unless its values or
    anything else on the board changed since (kpis.cache: column tokens); the rest are
    fetched and judged now. Queries: column tokens, academy targets, published values (of the
    academies not cached; none when all are), national figures."""
    keys = _column_keys(academies, every_kpi, period, previous)
    columns: dict[int, dict] = {}
    if keys:
        found = cache.get_many(list(keys.values()))
        columns = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [academy for academy in academies if academy.id not in columns]
    judge = _MatrixJudge.fetch(
        every_kpi,
        missing,
        periods,
        (period, previous) if previous else (period,),
        every_academy=len(missing) == len(academies),
    )
    if missing:
        fresh = judge.columns(every_kpi, period, previous)
        if keys:
            cache.set_many({keys[pk]: column for pk, column in fresh.items()}, CACHE_SECONDS)
        columns.update(fresh)
    return keys, columns, judge


def trust_cells(period: Period, periods: PeriodIndex) -> dict[int, Cell]:
    """Each active KPI's trust cell of the period (KPI id → cell), exactly as board_matrix's
    trust column, without its academies' and groups' cells: the plan's KPI chips read only
    these. Queries: KPIs with their areas, academies, then _judged_columns'."""
    every_kpi = list(KPI.objects.active().with_area())
    academies = list(Academy.objects.active())
    previous = periods.previous(period)
    _, columns, judge = _judged_columns(academies, every_kpi, periods, period, previous)
    make_figure = rag.AcademyFigure
    out = {}
    for kpi in every_kpi:
        kpi_id = kpi.id
        figures, before = [], []
        for academy in academies:
            value, _, _, _, baseline, outcome, _, _, _, old = columns[academy.id][kpi_id]
            weight, name = academy.pupils_on_roll or 1, academy.name
            figures.append(make_figure(value, weight, outcome, baseline, name))
            if old is not None:
                before.append(make_figure(old[0], weight, old[1], old[2], name))
        out[kpi_id] = judge.trust_cell(kpi, period, previous, figures, before)
    return out


# The layout of a cached academy column (_MatrixJudge.columns) and group's cells: a new
# number whenever either changes, so that a cache (Redis) filled by the code before never
# feeds the code after.
_COLUMN_LAYOUT = 1


def _group_figures(cells: dict[int, Cell]) -> dict[int, tuple]:
    """A group's cells as plain values to cache (model instances unpickle slowly)."""
    return {
        kpi_id: (
            cell.value,
            cell.judgement.outcome,
            cell.judgement.explanation,
            cell.judgement.threshold,
            cell.judgement.target_words,
            cell.measure,
            cell.unit,
            cell.tip_id,
            cell.trend,
            cell.previous,
            cell.trend_note,
            cell.expected,
            cell.reported,
            cell.unreported,
            cell.exceptions,
        )
        for kpi_id, cell in cells.items()
    }


def _group_cells(column: GroupColumn, kpis: list[KPI], figures: dict[int, tuple]) -> dict:
    """_group_figures' values as the group's cells again."""
    cells = {}
    for kpi in kpis:
        (
            value,
            outcome,
            why,
            threshold,
            words,
            measure,
            unit,
            tip,
            trend,
            previous,
            note,
            expected,
            reported,
            unreported,
            exceptions,
        ) = figures[kpi.id]
        cells[kpi.id] = Cell(
            None,
            value,
            rag.Judgement(outcome, why, threshold, words),
            trend=trend,
            previous=previous,
            measure=measure,
            unit=unit,
            tip_id=tip,
            expected=expected,
            reported=reported,
            unreported=unreported,
            trend_note=note,
            group=column.group,
            exceptions=exceptions,
        )
    return cells


def _group_keys(
    groups: list[GroupColumn], column_keys: dict[int, str], kpis: list[KPI]
) -> dict[int, str]:
    """Each group's cells' cache key: its academies' column keys (their tokens, the periods),
    in the board's order, and the KPIs shown."""
    rows = ",".join(str(kpi.id) for kpi in kpis)
    return {
        column.group.pk: "board-group:"
        + hashlib.sha256(
            "|".join(
                [str(_COLUMN_LAYOUT), rows, *(column_keys[a.id] for a in column.academies)]
            ).encode()
        ).hexdigest()
        for column in groups
    }


def _column_keys(
    academies: list[Academy], kpis: list[KPI], period: Period, previous: Period | None
) -> dict[int, str] | None:
    """Each academy's column's cache key (kpis.cache: the "all" token and its own, the
    periods, the KPIs), or None before any token is set (nothing cached). One query."""
    versions = column_versions()
    every = versions.get("all")
    if every is None:
        return None
    rows = hashlib.sha256(",".join(str(kpi.id) for kpi in kpis).encode()).hexdigest()[:16]
    shown = f"{period.id}-{previous.id if previous else 0}"
    return {
        academy.id: (
            f"board-column:{_COLUMN_LAYOUT}:{every}:{versions.get(str(academy.id), '-')}:"
            f"{academy.id}:{shown}:{rows}"
        )
        for academy in academies
    }


def board_groups(academies: Sequence[Academy]) -> list[GroupColumn]:
    """The groups of these academies (their ``group``, fetched with them: no query), in the
    groups' order, each with its academies in the board's order."""
    columns: dict[int, GroupColumn] = {}
    if any(a.group_id and not Academy.group.is_cached(a) for a in academies):
        # Academies fetched without their group (not through Academy.objects.active()): one
        # query for the groups rather than one per academy.
        groups = AcademyGroup.objects.in_bulk({a.group_id for a in academies if a.group_id})
        for academy in academies:
            if academy.group_id:
                academy.group = groups[academy.group_id]
    for academy in academies:
        if academy.group_id is not None:
            column = columns.setdefault(academy.group_id, GroupColumn(academy.group, []))
            column.academies.append(academy)
    return sorted(columns.values(), key=lambda c: (c.group.position, c.group.name, c.group.pk))


def _combined_trend(
    kpi: KPI,
    cell: Cell,
    figures: list[rag.AcademyFigure],
    before: list[rag.AcademyFigure],
    before_value: Decimal | None,
) -> None:
    """A trust's or group's cell's previous figure and its trend, like for like."""
    cell.previous = before_value
    cell.trend, cell.trend_note = rag.trust_trend(
        kpi.aggregation,
        figures,
        before,
        kpi.direction,
        kpi.measure,
        values=(cell.value, before_value),
    )


@dataclass
class _MatrixJudge:
    """The figures a matrix judges, fetched once, and the judging of one KPI's column."""

    academies: list[Academy]
    periods: PeriodIndex
    # (kpi, academy) → its target override.
    overrides: dict[tuple[int, int], AcademyTarget]
    # (kpi, academy, period) → (published value, is demo data, note, who saved it).
    values: dict[tuple[int, int, int], tuple[Decimal | None, bool, str, str]]
    # (kpi, period) → national figure.
    national: dict[tuple[int, int], Decimal]

    @classmethod
    def fetch(
        cls,
        kpis: list[KPI],
        academies: list[Academy],
        periods: PeriodIndex,
        shown: tuple[Period, ...],
        *,
        every_academy: bool = True,
    ) -> _MatrixJudge:
        """Three queries: academy targets; published values of the periods shown and their
        baselines (of ``academies`` only unless ``every_academy``; none for no academy);
        national figures of the same periods."""
        shown_ids = {at.pk for at in shown}
        # A baseline period's values only of the KPIs whose change target is measured from it
        # (at full scale the matrix fetched every KPI's values of two more periods: twice the
        # rows it needs).
        baselines: dict[int, set[int]] = defaultdict(set)
        for at in shown:
            for kpi in kpis:
                if (b := periods.baseline(kpi, at)) is not None and b.pk not in shown_ids:
                    baselines[b.pk].add(kpi.pk)
        where = Q(period_id__in=shown_ids)
        for period_id, kpi_ids in baselines.items():
            where |= Q(period_id=period_id, kpi_id__in=kpi_ids)
        overrides = {(t.kpi_id, t.academy_id): t for t in AcademyTarget.objects.all()}
        if not every_academy:
            where &= Q(academy_id__in=[academy.id for academy in academies])
        values = _published(where) if academies else {}
        # Only the shown periods' cells are judged against a national figure.
        national = {
            (kpi_id, period_id): value
            for kpi_id, period_id, value in NationalFigure.objects.filter(
                period_id__in=shown_ids
            ).values_list("kpi_id", "period_id", "value")
        }
        return cls(academies, periods, overrides, values, national)

    def value(self, kpi: KPI, academy: Academy, at: Period | None) -> Decimal | None:
        if at is None:
            return None
        return self.values.get((kpi.id, academy.id, at.id), _NO_VALUE)[0]

    def columns(
        self, kpis: list[KPI], period: Period, previous: Period | None
    ) -> dict[int, dict[int, tuple]]:
        """Each of the academies' judged column: academy id → KPI id → (value, is demo data,
        note, who saved it, baseline, outcome, explanation, threshold, target in words, and
        — with a previous period — (its value, outcome and baseline as its figure, the
        trend), else None). Plain values, as board_matrix caches them."""
        out: dict[int, dict[int, tuple]] = {academy.id: {} for academy in self.academies}
        in_order = [out[academy.id] for academy in self.academies]
        trend = rag.trend
        for kpi in kpis:
            kpi_id, direction, measure = kpi.id, kpi.direction, kpi.measure
            judged = self.judged(kpi, period)
            # Without a previous period, no figure to compare with (None in the entry).
            before = (
                self.previous_figures(kpi, previous)
                if previous is not None
                else [None] * len(judged)
            )
            for column, (value, is_demo, note, note_by, baseline, judgement), then in zip(
                in_order, judged, before, strict=True
            ):
                column[kpi_id] = (
                    value,
                    is_demo,
                    note,
                    note_by,
                    baseline,
                    judgement.outcome,
                    judgement.explanation,
                    judgement.threshold,
                    judgement.target_words,
                    None
                    if then is None
                    else (
                        then.value,
                        then.outcome,
                        then.baseline,
                        trend(value, then.value, direction, measure),
                    ),
                )
        return out

    def judged(self, kpi: KPI, at: Period) -> list[tuple]:
        """Every academy's (value, is demo data, note, who saved it, baseline, judgement) for
        one KPI in one period, in the academies' order: the matrix's inner loop (9,000 at full
        scale), so what does not change from academy to academy is worked out before it, ids
        are read once (not through .pk, a property), and no Cell is made (the board makes
        them from the cached columns only where it shows them)."""
        baseline_period = self.periods.baseline(kpi, at)
        kpi_id, at_id = kpi.id, at.id
        baseline_id = baseline_period.id if baseline_period is not None else None
        national = self.national.get((kpi_id, at_id))
        phases = kpi.phases
        out = []
        base_rule = rule_for(kpi)  # one per KPI; academies with an override get their own
        values, overrides, judge = self.values, self.overrides, rag.judge
        for academy in self.academies:
            academy_id = academy.id
            value, is_demo, note, note_by = values.get((kpi_id, academy_id, at_id), _NO_VALUE)
            baseline = (
                None
                if baseline_id is None
                else values.get((kpi_id, academy_id, baseline_id), _NO_VALUE)[0]
            )
            override = overrides.get((kpi_id, academy_id))
            judgement = judge(
                base_rule if override is None else rule_for(kpi, override),
                value,
                applicable=not phases or academy.phase in phases,  # KPI.applies_to
                baseline=baseline,
                national=national,
            )
            out.append((value, is_demo, note, note_by, baseline, judgement))
        return out

    def combined_cell(
        self,
        kpi: KPI,
        at: Period,
        figures: list[rag.AcademyFigure],
        *,
        group: AcademyGroup | None = None,
    ) -> Cell:
        """The trust's cell (or a group's, over its academies' figures): aggregated by the
        KPI's aggregation and judged by the trust-level target (kpis.rag.judge_trust), with
        how many academies the KPI applies to, how many reported, and which not."""
        value, judgement = rag.judge_trust(
            rule_for(kpi),
            kpi.aggregation,
            kpi.trust_target_value,
            figures,
            national=self.national.get((kpi.id, at.id)),
        )
        applicable = [f for f in figures if f.outcome != rag.Outcome.NOT_APPLICABLE]
        unreported = tuple(f.name for f in applicable if f.value is None)
        return Cell(
            None,
            value,
            judgement,
            measure="percentage" if kpi.aggregation in rag.SHARES else kpi.measure,
            unit=kpi.unit,
            tip_id=f"tip-{kpi.code}-{f'group-{group.slug}' if group else 'trust'}",
            expected=len(applicable),
            reported=len(applicable) - len(unreported),
            unreported=unreported,
            group=group,
        )

    def previous_figures(self, kpi: KPI, at: Period) -> list[rag.AcademyFigure]:
        """The academies' figures in an earlier period, for the trends. Only a share-meeting
        trust value counts judgements; any other is aggregated from the values alone, so
        that period's column need not be judged."""
        if kpi.aggregation in rag.SHARES:
            make_figure = rag.AcademyFigure
            return [
                make_figure(
                    value, academy.pupils_on_roll or 1, judgement.outcome, baseline, academy.name
                )
                for academy, (value, _, _, _, baseline, judgement) in zip(
                    self.academies, self.judged(kpi, at), strict=True
                )
            ]
        return [
            rag.AcademyFigure(
                self.value(kpi, academy, at),
                academy.pupils_on_roll or 1,
                rag.Outcome.MISSING if kpi.applies_to(academy) else rag.Outcome.NOT_APPLICABLE,
                None,
                academy.name,
            )
            for academy in self.academies
        ]

    def trust_cell(
        self,
        kpi: KPI,
        period: Period,
        previous: Period | None,
        figures: list[rag.AcademyFigure],
        before: list[rag.AcademyFigure],
    ) -> Cell:
        """The trust's cell of a period from its academies' figures, with its trend against
        the previous period's figures (``before``): the trust's previous figure as the board
        saw it, compared like for like."""
        cell = self.combined_cell(kpi, period, figures)
        if previous is not None:
            _combined_trend(kpi, cell, figures, before, self.figure_of(kpi, previous, before))
        return cell

    def figure_of(self, kpi: KPI, at: Period, figures: list[rag.AcademyFigure]) -> Decimal | None:
        """The trust's value in a period from its academies' figures (previous_figures'), as
        its cell reads it: a share meeting target as judged, any other aggregated."""
        if kpi.aggregation in rag.SHARES:
            return self.combined_cell(kpi, at, figures).value
        return rag.aggregate(kpi.aggregation, figures, kpi.measure)[0]


@dataclass
class Series:
    """One KPI for one academy (or the trust) across every period, oldest first."""

    kpi: KPI
    academy: Academy | None
    cells: list[Cell]
    # For the charts (board.charts), one entry per period like ``cells``: the national figure
    # (None: none) and the target band that applied (None: no target), see chart_bands.
    national: tuple[Decimal | None, ...] = ()
    bands: tuple[TargetBand | None, ...] = ()
    # A group's series (academy None, like the trust's): trust_series over its academies.
    group: AcademyGroup | None = None
    # The trust's (or a group's) series only, one entry per period: why its chart's line must
    # not join this period's point to the one before, as the academies counted differ
    # ("not comparable: Moreton School missing"), else "" (see trust_series).
    line_breaks: tuple[str, ...] = ()

    @property
    def applies(self) -> bool:
        """The KPI applies to this series' academy (by its phase); a trust's or group's
        series: always (board.views.detail leaves out a group none of whose academies it
        applies to)."""
        return self.academy is None or self.kpi.applies_to(self.academy)

    @property
    def latest(self) -> Cell | None:
        reported = [cell for cell in self.cells if cell.value is not None]
        return reported[-1] if reported else None

    @property
    def sparkline(self) -> Sparkline:
        return Sparkline.of([cell.value for cell in self.cells], self.kpi.lower_is_better)


@dataclass
class Sparkline:
    """An inline SVG polyline of a series, scaled to a small box; gaps are skipped."""

    points: str
    last: tuple[float, float] | None
    width: int = 120
    height: int = 28

    @classmethod
    def of(cls, values: list[Decimal | None], lower_is_better: bool = False) -> Sparkline:
        present = [float(v) for v in values if v is not None]
        if not present:
            return cls(points="", last=None)
        low, high = min(present), max(present)
        span = (high - low) or 1.0
        step = (cls.width - 8) / max(len(values) - 1, 1)
        coordinates = []
        for index, value in enumerate(values):
            if value is None:
                continue
            x = 4 + index * step
            y = cls.height - 4 - (float(value) - low) / span * (cls.height - 8)
            coordinates.append((round(x, 1), round(y, 1)))
        return cls(points=" ".join(f"{x},{y}" for x, y in coordinates), last=coordinates[-1])


def _series(
    kpi: KPI,
    academy: Academy,
    periods: PeriodIndex,
    values: dict,
    override: AcademyTarget | None,
    national: dict,
) -> Series:
    rule = rule_for(kpi, override)
    cells: list[Cell] = []
    for period in periods.periods:
        value, is_demo, note, note_by = values.get((kpi.pk, academy.pk, period.pk), _NO_VALUE)
        baseline_period = periods.baseline(kpi, period)
        baseline = (
            values.get((kpi.pk, academy.pk, baseline_period.pk), (None,))[0]
            if baseline_period
            else None
        )
        judgement = rag.judge(
            rule,
            value,
            applicable=kpi.applies_to(academy),
            baseline=baseline,
            national=national.get((kpi.pk, period.pk)),
        )
        previous = cells[-1].value if cells else None
        cells.append(
            Cell(
                academy,
                value,
                judgement,
                trend=rag.trend(value, previous, kpi.direction, kpi.measure),
                previous=previous,
                is_demo=is_demo,
                measure=kpi.measure,
                unit=kpi.unit,
                tip_id=f"tip-{kpi.code}-{academy.slug}-{period.slug}",
                note=note,
                note_by=note_by,
            )
        )
    nationals = tuple(national.get((kpi.pk, period.pk)) for period in periods.periods)
    return Series(kpi, academy, cells, nationals, chart_bands(rule, kpi, cells, periods, nationals))


_NO_VALUE: tuple[Decimal | None, bool, str, str] = (None, False, "", "")


def _published(
    *where: Q, **filters
) -> dict[tuple[int, int, int], tuple[Decimal | None, bool, str, str]]:
    """Published values (one query, the saver's name joined in): (kpi, academy, period) →
    (value, is demo data, note, who saved it — only when there is a note). Unordered: a
    lookup needs no order, and the model's ordering joined three tables to sort by."""
    rows = (
        KPIValue.objects.published()
        .filter(*where, **filters)
        .order_by()
        .values_list(
            "kpi_id",
            "academy_id",
            "period_id",
            "value",
            "is_demo",
            "note",
            "updated_by__first_name",
            "updated_by__last_name",
            "updated_by__username",
        )
    )
    return {
        (kpi_id, academy_id, period_id): (
            value,
            is_demo,
            note,
            (f"{first or ''} {last or ''}".strip() or username or "") if note else "",
        )
        for kpi_id, academy_id, period_id, value, is_demo, note, first, last, username in rows
    }


def kpi_history(kpi: KPI, periods: PeriodIndex) -> list[Series]:
    """Every active academy's series for one KPI (academies; targets; values; national)."""
    academies = list(Academy.objects.active())
    overrides = {t.academy_id: t for t in AcademyTarget.objects.filter(kpi=kpi)}
    values = _published(kpi=kpi)
    national = {
        (kpi.pk, period_id): value
        for period_id, value in NationalFigure.objects.filter(kpi=kpi).values_list(
            "period_id", "value"
        )
    }
    return [
        _series(kpi, academy, periods, values, overrides.get(academy.pk), national)
        for academy in academies
    ]


def academy_scorecard(academy: Academy, periods: PeriodIndex) -> list[AreaRows]:
    """Every applicable KPI for one academy across all periods, grouped by area.

    Queries: KPIs with areas; this academy's targets; its published values; national figures.
    """
    return academy_scorecards([academy], periods)[academy.pk]


def academy_scorecards(academies: Sequence[Academy], periods: PeriodIndex) -> dict[int, list]:
    """academy_scorecard of each of these academies (academy id → its areas), in the same
    four queries whatever their number (the PDF board pack's academy pages): KPIs with areas;
    these academies' targets; their published values; national figures."""
    every = list(KPI.objects.active().with_area())
    ids = [academy.pk for academy in academies]
    overrides = {
        (t.academy_id, t.kpi_id): t for t in AcademyTarget.objects.filter(academy_id__in=ids)
    }
    values = _published(academy_id__in=ids)
    national = {
        (kpi_id, period_id): value
        for kpi_id, period_id, value in NationalFigure.objects.values_list(
            "kpi_id", "period_id", "value"
        )
    }
    cards: dict[int, list[AreaRows]] = {}
    for academy in academies:
        areas: list[AreaRows] = cards.setdefault(academy.pk, [])
        for kpi in every:
            if not kpi.applies_to(academy):
                continue
            if not areas or areas[-1].area.pk != kpi.area.pk:
                areas.append(AreaRows(kpi.area, []))
            override = overrides.get((academy.pk, kpi.pk))
            areas[-1].rows.append(_series(kpi, academy, periods, values, override, national))
    return cards


def period_from_request(request: HttpRequest, periods: PeriodIndex) -> Period | None:
    """The period named by ?period=2023-24-autumn, or the latest with published returns."""
    slug = request.GET.get("period")
    if slug:
        if slug not in periods.by_slug:
            raise Http404(f"No period {slug!r}")
        return periods.by_slug[slug]
    return default_period(periods)


# --- For the charts (board.charts; H4, issue 15) ------------------------------------------------


@dataclass(frozen=True)
class TargetBand:
    """The target that applied in one period: the threshold, the width of the amber margin
    beyond it (value units), and the target in words (kpis.rag.threshold_for)."""

    threshold: Decimal
    amber: Decimal
    words: str


def chart_bands(
    rule: rag.Rule,
    kpi: KPI,
    cells: list[Cell],
    periods: PeriodIndex,
    nationals: tuple[Decimal | None, ...],
) -> tuple[TargetBand | None, ...]:
    """Each period's target band for one academy's series (cells in period order): the same
    kpis.rag.threshold_for that judged the value, so band and RAG never disagree. A change
    target's baseline is this academy's own value in the same term of the baseline year."""
    index = {period.pk: i for i, period in enumerate(periods.periods)}
    seen: dict[tuple, TargetBand | None] = {}
    bands = []
    for period, national in zip(periods.periods, nationals, strict=True):
        base_period = periods.baseline(kpi, period)
        baseline = cells[index[base_period.pk]].value if base_period else None
        key = (baseline, national)
        if key not in seen:
            threshold, amber, words = rag.threshold_for(rule, baseline=baseline, national=national)
            seen[key] = None if threshold is None else TargetBand(threshold, amber, words)
        bands.append(seen[key])
    return tuple(bands)


def trust_series(
    kpi: KPI, history: list[Series], periods: PeriodIndex, *, group: AcademyGroup | None = None
) -> Series | None:
    """The trust's series for one KPI, worked out from the academies' series of kpi_history
    (no query): each period's trust figure by kpis.rag.judge_trust, as the matrix's trust
    column, with its target band, coverage and like-for-like trend. None when there are no
    academies. With ``group``: that group's series, from its academies' series."""
    if not history:
        return None
    base_rule = rule_for(kpi)
    nationals = history[0].national
    index = {period.pk: i for i, period in enumerate(periods.periods)}
    cells: list[Cell] = []
    bands: list[TargetBand | None] = []
    breaks: list[str] = []
    before: list[rag.AcademyFigure] | None = None
    for i, period in enumerate(periods.periods):
        base_period = periods.baseline(kpi, period)
        figures = [
            rag.AcademyFigure(
                series.cells[i].value,
                series.academy.pupils_on_roll or 1,
                series.cells[i].outcome,
                series.cells[index[base_period.pk]].value if base_period else None,
                series.academy.name,
            )
            for series in history
        ]
        value, judgement = rag.judge_trust(
            base_rule, kpi.aggregation, kpi.trust_target_value, figures, national=nationals[i]
        )
        previous = cells[-1].value if cells else None
        trend, trend_note = (
            rag.trust_trend(kpi.aggregation, figures, before, kpi.direction, kpi.measure)
            if before is not None
            else (None, "")
        )
        breaks.append(
            _line_break(kpi.aggregation, figures, before, periods.periods[i - 1])
            if before is not None and value is not None and previous is not None
            else ""
        )
        before = figures
        applicable = [f for f in figures if f.outcome != rag.Outcome.NOT_APPLICABLE]
        unreported = tuple(f.name for f in applicable if f.value is None)
        cells.append(
            Cell(
                None,
                value,
                judgement,
                trend=trend,
                previous=previous,
                measure="percentage" if kpi.aggregation in rag.SHARES else kpi.measure,
                unit=kpi.unit,
                tip_id=f"tip-{kpi.code}-{f'group-{group.slug}' if group else 'trust'}-"
                f"{period.slug}",
                group=group,
                expected=len(applicable),
                reported=len(applicable) - len(unreported),
                unreported=unreported,
                trend_note=trend_note,
            )
        )
        judged = sum(1 for f in figures if f.outcome in rag.SEVERITY)
        trust = rag.trust_rule(
            base_rule,
            kpi.aggregation,
            kpi.trust_target_value,
            judged,
            rag.largest_share(figures),
        )
        threshold, amber, words = rag.threshold_for(
            trust, baseline=rag.aggregate(kpi.aggregation, figures)[1], national=nationals[i]
        )
        judged_threshold = judgement.threshold
        bands.append(
            None
            if judged_threshold is None and threshold is None
            else TargetBand(
                threshold if judged_threshold is None else judged_threshold, amber, words
            )
        )
    return Series(kpi, None, cells, nationals, tuple(bands), group=group, line_breaks=tuple(breaks))


def _line_break(
    aggregation: str,
    figures: Sequence[rag.AcademyFigure],
    before: Sequence[rag.AcademyFigure],
    previous: Period,
) -> str:
    """Why a trust chart's line must not join two consecutive periods' figures (both have a
    value): "" when they count the same academies, else "not comparable: Moreton School
    missing" (counted before, not now) and "… missing in 2023/24 Spring" (counted now, not in
    the period before), in the words of the matrix's trust cell."""
    now, then = rag.counted(aggregation, figures), rag.counted(aggregation, before)
    if now == then:
        return ""
    gone = [f.name for f, a, b in zip(figures, now, then, strict=True) if b and not a]
    back = [f.name for f, a, b in zip(figures, now, then, strict=True) if a and not b]
    parts = []
    if gone:
        parts.append(f"{rag.names_list(gone)} missing")
    if back:
        parts.append(f"{rag.names_list(back)} missing in {previous}")
    return "not comparable: " + "; ".join(parts)
