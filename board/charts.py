"""The board's charts as server-rendered SVG: pure functions, data in and markup out.

Three charts, each one small function the pages (and the PDF board pack of issue 16, which
WeasyPrint renders from the same inline SVG) call:

- ``trend_chart``: one KPI for one academy (or the trust) across the periods, with the target
  band of each period (green: meets the target; amber: within the amber margin), the national
  figure where the rule is relative to it, and a symbol on every point (✓ ! ✗, ? for a missing
  value) so that RAG never rests on colour alone. Lower-is-better KPIs have their y axis
  reversed, so a rising line always reads better, and the chart says so in words.
- ``stacked_bars``: counts by category per row (plan progress by objective; the RAG
  distribution by area), each segment with its symbol and count.

Every chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``;
the page puts a data table beside it (templates/charts/). The markup is CSP-clean: no
``<style>``, no ``style=""``, no script; colours come from class names styled in
static/trustplan/trustplan.css (section "Charts (H4)"), and from presentation attributes.

Why hand-written rather than a charting library (measured 2026-12, Python 3.11, one core,
a line chart of 18 periods with a target line, 150 charts as on the KPI page of a 150-academy
trust):

- pygal 3.1.3: 4.4 ms a chart (0.66 s for the page), 16 kB each; with ``css=[]``, ``js=[]``
  and ``no_prefix`` it still writes a ``<style>`` element (its base font rules) and a
  ``<script>`` with its config (pygal/svg.py add_styles/add_scripts, unconditional), both
  refused by the CSP; no ``role="img"``.
- matplotlib 3.11 (SVG backend): 0.48 s to import, 18.6 ms a chart (2.8 s for the page),
  7 kB each with 16 ``style=""`` attributes and a ``<style>`` element.
- Altair / vl-convert: rendered by JavaScript in the browser or a bundled binary: no.

These functions: about 0.25 ms a chart of 18 periods and 4–10 kB (tests/board/test_charts.py
keeps them free of style and script).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kpis import rag

# The trend chart's box (SVG user units; the chart scales to its container's width).
WIDTH, HEIGHT = 300, 140
LEFT, RIGHT, TOP, BOTTOM = 44, 52, 20, 30
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

REVERSED_NOTE = "lower is better: axis reversed"
JUDGED = (rag.Outcome.GREEN, rag.Outcome.AMBER, rag.Outcome.RED)


@dataclass(frozen=True)
class Point:
    """One period of a trend chart."""

    period: str  # "2023/24 Autumn", for the table and the description
    term: str  # "Au", under the point
    year: str  # "23/24" under the first point of each year, else ""
    value: Decimal | None
    shown: str  # the value in the measure's words, "94.1%"
    outcome: rag.Outcome
    threshold: Decimal | None = None
    amber: Decimal = Decimal(0)
    target: str = ""  # the target in words, "at least 95%"
    national: Decimal | None = None
    # A trust's (or group's) point only: how many academies its figure covers ("4 of 5"), and
    # why the line does not join it to the point before ("not comparable: Moreton School
    # missing"; kpis.selectors.trust_series): a trend only between like-for-like sets.
    coverage: str = ""
    break_note: str = ""


@dataclass(frozen=True)
class Segment:
    key: str  # the CSS class suffix: chart-seg-<key>
    label: str  # "On track"
    symbol: str  # "✓"
    count: int


@dataclass(frozen=True)
class BarRow:
    label: str
    segments: tuple[Segment, ...]

    @property
    def total(self) -> int:
        return sum(segment.count for segment in self.segments)


def _f(number: float) -> str:
    """A coordinate: one decimal, no trailing zero."""
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _nice_step(span: float, ticks: int = 3) -> float:
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _y_range(points: Sequence[Point], measure: str) -> tuple[float, float, list[float]]:
    """The value range the plot shows (every value, target edge and national figure fits)
    and its gridline values."""
    found: list[float] = []
    for p in points:
        for v in (p.value, p.national):
            if v is not None:
                found.append(float(v))
        if p.threshold is not None:
            found += [
                float(p.threshold),
                float(p.threshold + p.amber),
                float(p.threshold - p.amber),
            ]
    if measure == "yes_no":
        return 0.0, 1.0, [0.0, 1.0]
    if measure == RATING:
        return 0.0, 2.0, [0.0, 1.0, 2.0]
    if measure == "percentage":  # no value exceeds 100%, so no band edge needs to be shown
        found = [min(v, 100.0) for v in found]
    if not found:
        return 0.0, 1.0, [0.0, 1.0]
    low, high = min(found), max(found)
    if high == low:
        low, high = low - (abs(low) * 0.1 or 1), high + (abs(high) * 0.1 or 1)
    step = _nice_step(high - low)
    if measure in ("count", "grade"):
        step = max(1.0, round(step))
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    if measure == "percentage":
        low, high = max(low, 0.0), min(high, 100.0) if high > 100 >= max(found) else high
    if measure in ("count", "percentage", "money") and min(found) >= 0:
        low = max(low, 0.0)
    count = round((high - low) / step)
    ticks = [low + i * step for i in range(count + 1)] if count <= 6 else [low, high]
    return low, high, ticks


def _tick_text(value: float, measure: str, unit: str) -> str:
    if measure == RATING:
        return RATING_TICKS[min(max(round(value), 0), 2)]
    if measure == "yes_no":
        return "Yes" if value >= 1 else "No"
    if measure == "grade":
        return str(round(value))
    if measure == "money":
        thousands = value / 1000
        return f"£{thousands:g}k" if abs(value) >= 1000 else f"£{value:g}"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}%" if measure == "percentage" else text


def _short(shown: str) -> str:
    """The value label beside the last point: "grade 2 (good)" → "grade 2"."""
    return shown.split(" (")[0]


def trend_chart(
    *,
    chart_id: str,
    title: str,
    points: Sequence[Point],
    lower_is_better: bool = False,
    measure: str = "number",
    unit: str = "",
) -> SafeString:
    """One KPI's line across the periods with its target band: an inline ``<svg>``."""
    n = len(points)
    low, high, ticks = _y_range(points, measure)
    span = (high - low) or 1.0
    step = PLOT_W / max(n, 1)

    def x(i: int) -> float:
        return LEFT + step * (i + 0.5)

    def y(value: float) -> float:
        share = (float(value) - low) / span
        # Reversed for lower-is-better: the low (good) values at the top.
        return TOP + share * PLOT_H if lower_is_better else TOP + PLOT_H - share * PLOT_H

    def clamp(value: float) -> float:
        return min(max(float(value), low), high)

    out: list[str] = []
    add = out.append
    tid, did = f"{chart_id}-title", f"{chart_id}-desc"
    add(
        f'<svg class="chart chart-trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{tid}" aria-describedby="{did}" '
        f'preserveAspectRatio="xMinYMin meet" focusable="false">'
    )
    add(f'<title id="{tid}">{escape(title)}</title>')
    add(f'<desc id="{did}">{escape(describe_trend(points, lower_is_better))}</desc>')
    # Target bands, over the periods each target applied to: better side of the threshold
    # green, the amber margin beyond it amber. Better is up on both kinds of axis. Periods in
    # a row with the same target share one band (a scorecard's 60 charts of 18 periods drew
    # 3,000 identical rectangles).
    add('<g class="chart-bands">')
    runs: list[tuple[int, int, Point]] = []  # (first period, how many, its point)
    for i, p in enumerate(points):
        if p.threshold is None:
            continue
        last = runs[-1] if runs else None
        if (
            last
            and last[0] + last[1] == i
            and (last[2].threshold, last[2].amber)
            == (
                p.threshold,
                p.amber,
            )
        ):
            runs[-1] = (last[0], last[1] + 1, last[2])
        else:
            runs.append((i, 1, p))
    for i, count, p in runs:
        t = float(p.threshold)
        amber_edge = t + float(p.amber) if lower_is_better else t - float(p.amber)
        best = low if lower_is_better else high
        x0 = _f(LEFT + step * i)
        w = _f(step * count)
        y_t, y_best, y_amber = y(clamp(t)), y(clamp(best)), y(clamp(amber_edge))
        if abs(y_t - y_best) > 0.05:
            add(
                f'<rect class="chart-band-green" x="{x0}" y="{_f(min(y_t, y_best))}" '
                f'width="{w}" height="{_f(abs(y_t - y_best))}"/>'
            )
        if p.amber and abs(y_amber - y_t) > 0.05:
            add(
                f'<rect class="chart-band-amber" x="{x0}" y="{_f(min(y_t, y_amber))}" '
                f'width="{w}" height="{_f(abs(y_amber - y_t))}"/>'
            )
        if low <= t <= high:
            add(
                f'<line class="chart-target" x1="{x0}" x2="{_f(LEFT + step * (i + count))}" '
                f'y1="{_f(y_t)}" y2="{_f(y_t)}"/>'
            )
    add("</g>")
    # Axes: gridlines with their values, the period under each point.
    add('<g class="chart-axis" aria-hidden="true">')
    # The gridlines as one path (one element, not one per tick).
    add(
        '<path class="chart-gridline" d="'
        + "".join(f"M{LEFT},{_f(y(tick))}H{LEFT + PLOT_W}" for tick in ticks)
        + '"/>'
    )
    for tick in ticks:
        add(
            f'<text x="{LEFT - 4}" y="{_f(y(tick) + 3)}" text-anchor="end">'
            f"{escape(_tick_text(tick, measure, unit))}</text>"
        )
    base = TOP + PLOT_H
    # Each term named while there is room; beyond TERM_LABELS_UP_TO points (18 terms are 11
    # units apart) only the first term of each year is, above its year.
    every_term = len(points) <= TERM_LABELS_UP_TO
    for i, p in enumerate(points):
        if every_term or p.year:
            add(
                f'<text x="{_f(x(i))}" y="{base + 11}" text-anchor="middle">{escape(p.term)}</text>'
            )
        if p.year:
            add(
                f'<text x="{_f(x(i))}" y="{base + 22}" text-anchor="middle">{escape(p.year)}</text>'
            )
    if lower_is_better:
        add(f'<text class="chart-note" x="{LEFT}" y="11">{REVERSED_NOTE}</text>')
    add("</g>")
    # The national figure: a dashed line, broken where a period has none.
    if any(p.national is not None for p in points):
        add('<g class="chart-national">')
        for run in _runs([(i, p.national) for i, p in enumerate(points)]):
            add(_polyline("chart-national-line", [(x(i), y(clamp(v))) for i, v in run]))
        i_last, v_last = next(
            (i, p.national) for i, p in reversed(list(enumerate(points))) if p.national is not None
        )
        add(
            f'<text class="chart-national-label" x="{_f(x(i_last) + 6)}" '
            f'y="{_f(y(clamp(v_last)) + (12 if lower_is_better else -4))}" '
            f'aria-hidden="true">national</text>'
        )
        add("</g>")
    # The values: a line broken at every missing period and wherever the academies a trust
    # figure counts differ from the period before's; a symbol on each point.
    add('<g class="chart-series">')
    breaks = {i for i, p in enumerate(points) if p.break_note}
    for run in _runs([(i, p.value) for i, p in enumerate(points)], breaks):
        if len(run) > 1:
            add(_polyline("chart-line", [(x(i), y(v)) for i, v in run]))
    # Each point a dot in its rating's colour, and for a judged one its rating's symbol above
    # it (✓ ! ✗, drawn as strokes): all the dots of one rating are one path, and all their
    # symbols another, so a chart of 18 points has a handful of elements, not 36 (a
    # scorecard's 60 charts drew over 2,000).
    last = None
    dots: dict[rag.Outcome, list[str]] = {}
    marks: dict[rag.Outcome, list[str]] = {}
    for i, p in enumerate(points):
        if p.value is None:
            if p.outcome == rag.Outcome.MISSING:
                add(
                    f'<text class="chart-missing" x="{_f(x(i))}" y="{_f(base - 3)}" '
                    f'text-anchor="middle" aria-hidden="true">?</text>'
                )
            continue
        cx, cy = x(i), y(p.value)
        last = (i, p, cx, cy)
        dots.setdefault(p.outcome, []).append(_dot(cx, cy))
        if p.outcome in JUDGED:
            # The symbol's middle: above the dot, or below it where the top is too near.
            above = cy - 9.5 if cy - 6 > TOP + 4 else cy + 9.5
            marks.setdefault(p.outcome, []).append(_symbol(p.outcome, cx, above))
    for outcome, ds in dots.items():
        add(f'<path class="chart-point chart-{outcome.value}" d="{"".join(ds)}"/>')
    for outcome, ds in marks.items():
        add(
            f'<path class="chart-symbol chart-symbol-{outcome.value}" d="{"".join(ds)}" '
            f'aria-hidden="true"/>'
        )
    if last is not None:
        _, p, cx, cy = last
        if measure == RATING:
            # A reading's words are long ("Requires improvement"): beside the point they would
            # run off the chart, so they sit in the gap between the rows, ending at the point.
            ly = cy + 27 if cy < TOP + PLOT_H / 2 else cy - 17
            add(
                f'<text class="chart-value" x="{_f(cx - 7)}" y="{_f(ly)}" text-anchor="end" '
                f'aria-hidden="true">{escape(_short(p.shown))}</text>'
            )
        else:
            add(
                f'<text class="chart-value" x="{_f(cx + 7)}" y="{_f(cy + 4)}" '
                f'aria-hidden="true">{escape(_short(p.shown))}</text>'
            )
    add("</g>")
    if not any(p.value is not None for p in points):
        add(
            f'<text class="chart-empty" x="{_f(LEFT + PLOT_W / 2)}" y="{_f(TOP + PLOT_H / 2)}" '
            f'text-anchor="middle" aria-hidden="true">no submitted values</text>'
        )
    add("</svg>")
    return mark_safe("".join(out))  # noqa: S308 — every text above is escaped


DOT_R = 3.5


def _dot(cx: float, cy: float) -> str:
    """A point's dot (a circle of radius DOT_R) as path data: two half-circle arcs."""
    r = DOT_R
    return f"M{_f(cx - r)},{_f(cy)}a{r},{r} 0 1,0 {2 * r},0a{r},{r} 0 1,0 {-2 * r},0Z"


def _symbol(outcome: rag.Outcome, cx: float, cy: float) -> str:
    """A rating's symbol (rag.Outcome.symbol: ✓ ! ✗) centred on (cx, cy), as path data for
    a round-capped stroke about 7 units high, the size of the 10-unit bold glyph it replaces."""
    if outcome == rag.Outcome.GREEN:  # ✓
        return f"M{_f(cx - 3)},{_f(cy)}l2,2.5l4,-6"
    if outcome == rag.Outcome.RED:  # ✗
        return f"M{_f(cx - 2.75)},{_f(cy - 2.75)}l5.5,5.5m0,-5.5l-5.5,5.5"
    # ! (amber): a bar and, the round cap of a zero-length stroke, a dot.
    return f"M{_f(cx)},{_f(cy - 4)}v4.8m0,2.7v0"


def _runs(
    items: list[tuple[int, Decimal | None]], breaks: frozenset[int] | set[int] = frozenset()
) -> list[list[tuple[int, Decimal]]]:
    """Consecutive periods that have a value: the pieces a line is drawn in. A period in
    ``breaks`` starts a new piece (it is not comparable with the one before)."""
    runs: list[list[tuple[int, Decimal]]] = []
    current: list[tuple[int, Decimal]] = []
    for i, value in items:
        if value is None or i in breaks:
            if current:
                runs.append(current)
            current = []
        if value is not None:
            current.append((i, value))
    if current:
        runs.append(current)
    return runs


def _polyline(css: str, coordinates: list[tuple[float, float]]) -> str:
    points = " ".join(f"{_f(cx)},{_f(cy)}" for cx, cy in coordinates)
    return f'<polyline class="{css}" fill="none" points="{points}"/>'


def describe_trend(points: Sequence[Point], lower_is_better: bool) -> str:
    """The chart in words, for its ``<desc>``: latest value, the target, national, the axis."""
    parts = [f"Line chart over {len(points)} period{'s' if len(points) != 1 else ''}."]
    reported = [p for p in points if p.value is not None]
    if reported:
        p = reported[-1]
        covers = f" ({p.coverage} academies)" if p.coverage else ""
        parts.append(f"Latest: {p.shown} ({p.outcome.label}) in {p.period}{covers}.")
    else:
        parts.append("No submitted values.")
    missing = [p.period for p in points if p.outcome == rag.Outcome.MISSING]
    if missing:
        parts.append(f"Missing: {', '.join(missing)}.")
    for p in points:
        if p.break_note:
            parts.append(f"Line broken at {p.period} ({p.break_note}).")
    targets = {p.target for p in points if p.target}
    if len(targets) == 1:
        parts.append(f"Target: {targets.pop()}.")
    elif targets:
        parts.append("The target changes by period (see the data table).")
    if any(p.national is not None for p in points):
        parts.append("Dashed line: the national figure.")
    if lower_is_better:
        parts.append("Lower is better: axis reversed, so up is better.")
    return " ".join(parts)


def stacked_bars(
    *, chart_id: str, title: str, rows: Sequence[BarRow], description: str = ""
) -> SafeString:
    """Horizontal stacked bars, one per row, each segment labelled with symbol and count."""
    label_w, bar_w, row_h, gap = 150, 260, 22, 8
    width = label_w + bar_w + 40
    height = max(len(rows), 1) * (row_h + gap) + gap
    tid, did = f"{chart_id}-title", f"{chart_id}-desc"
    out = [
        f'<svg class="chart chart-bars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{tid}" aria-describedby="{did}" '
        f'preserveAspectRatio="xMinYMin meet" focusable="false">',
        f'<title id="{tid}">{escape(title)}</title>',
        f'<desc id="{did}">{escape(description or describe_bars(rows))}</desc>',
    ]
    most = max((row.total for row in rows), default=0) or 1
    for r, row in enumerate(rows):
        top = gap + r * (row_h + gap)
        # 22 characters fit the label column at the chart's font size (24 ran off its left).
        label = row.label if len(row.label) <= 22 else row.label[:21].rstrip() + "…"
        out.append(
            f'<text class="chart-bar-label" x="{label_w - 6}" y="{top + row_h / 2 + 4}" '
            f'text-anchor="end" aria-hidden="true">{escape(label)}</text>'
        )
        left = float(label_w)
        for segment in row.segments:
            if not segment.count:
                continue
            w = bar_w * segment.count / most
            out.append(
                f'<rect class="chart-seg chart-seg-{escape(segment.key)}" x="{_f(left)}" '
                f'y="{top}" width="{_f(w)}" height="{row_h}"/>'
            )
            text = f"{segment.symbol}{segment.count}"
            if w >= 7 * len(text) + 4:
                out.append(
                    f'<text class="chart-seg-text chart-seg-text-{escape(segment.key)}" '
                    f'x="{_f(left + w / 2)}" y="{top + row_h / 2 + 4}" text-anchor="middle" '
                    f'aria-hidden="true">{escape(text)}</text>'
                )
            left += w
        out.append(
            f'<text class="chart-bar-total" x="{_f(left + 5)}" y="{top + row_h / 2 + 4}" '
            f'aria-hidden="true">{row.total}</text>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 — every text above is escaped


def describe_bars(rows: Sequence[BarRow]) -> str:
    return " ".join(
        f"{row.label}: "
        + (", ".join(f"{s.count} {s.label.lower()}" for s in row.segments if s.count) or "none")
        + "."
        for row in rows
    )


# --- From the board's data -------------------------------------------------------------------
# The pages hand over what kpis.selectors and plans.selectors already read: no query here.

TERM_SHORT = {1: "Au", 2: "Sp", 3: "Su"}
TERM_LABELS_UP_TO = 9


@dataclass(frozen=True)
class Chart:
    """A rendered trend chart and the points of its data table (templates/charts/)."""

    chart_id: str
    title: str
    svg: SafeString
    points: tuple[Point, ...]
    lower_is_better: bool

    @property
    def has_national(self) -> bool:
        return any(p.national is not None for p in self.points)

    @property
    def has_coverage(self) -> bool:
        """A trust's or group's chart: its table says how many academies each point covers."""
        return any(p.coverage for p in self.points)

    @property
    def has_breaks(self) -> bool:
        return any(p.break_note for p in self.points)


def chart_id(kpi_code: str, academy_slug: str | None) -> str:
    """ "chart-2-1-moreton-school": the chart's anchor, linked from the exceptions."""
    return f"chart-{kpi_code.replace('.', '-')}-{academy_slug or 'trust'}"


def series_points(series, periods: Sequence) -> list[Point]:
    """A kpis.selectors.Series (cells, national and target bands per period) as chart points."""
    points = []
    first = True
    breaks = getattr(series, "line_breaks", ())
    for i, (period, cell) in enumerate(zip(periods, series.cells, strict=True)):
        band = series.bands[i] if i < len(series.bands) else None
        national = series.national[i] if i < len(series.national) else None
        # A trust's or group's figure: the academies it covers, "4 of 5" (its value only).
        covers = cell.academy is None and cell.expected and cell.value is not None
        coverage = f"{cell.reported} of {cell.expected}" if covers else ""
        new_year = first or period.term == 1
        first = False
        points.append(
            Point(
                period=str(period),
                term=TERM_SHORT.get(period.term, str(period.term)),
                year=f"{period.year_start % 100:02d}/{(period.year_start + 1) % 100:02d}"
                if new_year
                else "",
                value=cell.value,
                shown=cell.shown,
                outcome=cell.outcome,
                threshold=band.threshold if band else None,
                amber=band.amber if band else Decimal(0),
                target=band.words if band else "",
                national=national,
                coverage=coverage,
                break_note=breaks[i] if i < len(breaks) else "",
            )
        )
    return points


# An inspection KPI's chart plots its rating, never the reading's code (a report card's and an
# old grade's codes are on different scales): red at the foot, green at the top, the words of
# each reading beside its point and in the chart's table.
RATING = "rating"
RATING_TICKS = ("Red", "Amber", "Green")
RATING_OF = {rag.Outcome.RED: 0, rag.Outcome.AMBER: 1, rag.Outcome.GREEN: 2}


def _as_ratings(points: Sequence[Point]) -> tuple[Point, ...]:
    return tuple(
        replace(
            p,
            value=Decimal(RATING_OF[p.outcome]) if p.outcome in RATING_OF else None,
            threshold=None,
            amber=Decimal(0),
        )
        for p in points
    )


def series_chart(series, periods: Sequence, *, title: str = "") -> Chart:
    """The trend chart of one KPI for one academy (or the trust: series.academy is None)."""
    kpi = series.kpi
    group = getattr(series, "group", None)
    name = series.academy.name if series.academy else group.name if group else "Trust"
    title = title or f"{kpi.code} {kpi.name}: {name}"
    points = tuple(series_points(series, periods))
    identifier = chart_id(
        kpi.code,
        series.academy.slug if series.academy else f"group-{group.slug}" if group else None,
    )
    measure = series.cells[0].measure if series.cells else kpi.measure
    lower_is_better = kpi.lower_is_better
    if series.academy is None and kpi.aggregation in rag.SHARES:
        # The trust's share of academies meeting the target: more is better, whichever way
        # the KPI's own values go (a grade's lower is better).
        lower_is_better = False
    if measure == "inspection":
        points, measure, lower_is_better = _as_ratings(points), RATING, False
    svg = trend_chart(
        chart_id=identifier,
        title=title,
        points=points,
        lower_is_better=lower_is_better,
        measure=measure,
        unit=kpi.unit,
    )
    return Chart(identifier, title, svg, points, lower_is_better)


STATUS_SEGMENTS = (
    # (status, symbol), best first: the bar reads from done to not begun.
    ("complete", "★"),
    ("on_track", "✓"),
    ("at_risk", "!"),
    ("off_track", "✗"),
    ("not_started", "○"),
)
RAG_SEGMENTS = (rag.Outcome.GREEN, rag.Outcome.AMBER, rag.Outcome.RED, rag.Outcome.MISSING)


def plan_progress_rows(progress, objective_label: str = "Objective") -> list[BarRow]:
    """plans.selectors.plan_progress as one bar per objective, by the actions' status."""
    rows = []
    for entry in progress:
        labels = {value: label for value, label, _ in entry.status_counts()}
        rows.append(
            BarRow(
                f"{objective_label} {entry.objective.number}",
                tuple(
                    Segment(
                        status, labels.get(status, status), symbol, entry.by_status.get(status, 0)
                    )
                    for status, symbol in STATUS_SEGMENTS
                ),
            )
        )
    return rows


def rag_by_area_rows(board) -> list[BarRow]:
    """A period's board (kpis.selectors.Board) as one bar per area: the academies' cells
    that are green, amber, red and missing (not applicable and no target left out)."""
    rows = []
    for group in board.areas:
        counts = {outcome: 0 for outcome in RAG_SEGMENTS}
        for row in group.rows:
            for _, outcome in row.academy_outcomes():
                if outcome in counts:
                    counts[outcome] += 1
        rows.append(
            BarRow(
                str(group.area),
                tuple(Segment(o.value, o.label, o.symbol, counts[o]) for o in RAG_SEGMENTS),
            )
        )
    return rows
