"""Template tags of the board papers (papers.pdf renders them with WeasyPrint).

``pdf_cell``: a RAG cell as printed — colour, symbol AND word, the value, the trend arrow —
with none of the screen's tooltip machinery (a paper has no hover). ``pdf_chart`` and
``pdf_bars``: the web pages' own charts (board.charts), styled for print. WeasyPrint styles an
inline SVG only from its own markup, not from the document's stylesheet, so each chart's
classes get the paint of the web stylesheet's chart rules (static/trustplan/trustplan.css,
"Charts": the one home of their colours) as presentation attributes.
"""

from __future__ import annotations

import html
import re
from functools import cache

import tinycss2
from django import template
from django.contrib.staticfiles import finders
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from board import charts
from kpis import rag

register = template.Library()

WEB_CSS = "trustplan/trustplan.css"
# Only what paints an SVG: a rule's sizes and layout are the HTML page's business.
PAINT = {
    "fill",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "stroke-linecap",
    "stroke-linejoin",
    "font-size",
    "font-weight",
}
# The paper's font in every chart (the web's system-ui stack has no meaning to WeasyPrint).
CHART_FONT = ' font-family="DejaVu Sans, Liberation Sans, sans-serif"'
_CLASS = re.compile(r'class="([^"]*)"')


@cache
def chart_rules() -> tuple[tuple[frozenset[str], tuple[tuple[str, str], ...]], ...]:
    """The web stylesheet's chart rules (every selector made of ``.chart…`` classes, outside
    any @media), as (classes an element must have, its paint declarations), in the
    stylesheet's order (see _subject for descendant rules)."""
    path = finders.find(WEB_CSS)
    if path is None:
        raise FileNotFoundError(f"static file {WEB_CSS} not found")
    with open(path, encoding="utf-8") as handle:
        rules = tinycss2.parse_stylesheet(handle.read(), skip_comments=True, skip_whitespace=True)
    found = []
    for rule in rules:
        if rule.type != "qualified-rule":
            continue
        selectors = [_subject(s) for s in tinycss2.serialize(rule.prelude).split(",")]
        if not all(s.startswith(".chart") and ":" not in s for s in selectors):
            continue
        declarations = tuple(
            (d.lower_name, tinycss2.serialize(d.value).strip())
            for d in tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True)
            if d.type == "declaration" and d.lower_name in PAINT
        )
        if declarations:
            found.extend((frozenset(s.strip(".").split(".")), declarations) for s in selectors)
    return tuple(found)


def _subject(selector: str) -> str:
    """The compound a rule paints: its last (``.chart-axis .chart-note`` paints the note), or
    for an element type (``.chart-axis text``) the ancestor, whose paint the texts inherit."""
    parts = selector.split()
    return parts[-1] if parts[-1].startswith(".") else parts[0]


@cache
def _paint(classes: str) -> str:
    """The presentation attributes for an element of these classes (the later rule wins, as
    in the stylesheet; a compound rule such as ``.chart-point.chart-green`` comes after the
    simple one it refines)."""
    mine = set(classes.split())
    paint: dict[str, str] = {}
    for required, declarations in chart_rules():
        if required <= mine:
            paint.update(declarations)
    attributes = "".join(f' {name}="{html.escape(value)}"' for name, value in paint.items())
    return attributes + (CHART_FONT if "chart" in mine else "")


def _styled(svg: str) -> SafeString:
    """The chart with its classes' paint as presentation attributes, which WeasyPrint reads
    directly (a ``<style>`` in each SVG cost it a selector match per element per chart)."""
    styled = _CLASS.sub(lambda m: m.group(0) + _paint(m.group(1)), svg)
    return mark_safe(styled)  # noqa: S308 — our own markup, attribute values escaped


@register.simple_tag
def pdf_chart(series, periods, heading: str = "") -> SafeString:
    """A KPI's trend chart (board.charts.series_chart) as a figure with its heading."""
    chart = charts.series_chart(series, periods)
    return format_html(
        '<figure class="chart-figure">{}{}</figure>',
        format_html('<figcaption class="chart-heading">{}</figcaption>', heading)
        if heading
        else "",
        _styled(chart.svg),
    )


@register.simple_tag
def pdf_bars(rows, chart_id: str, title: str) -> SafeString:
    """Stacked bars (board.charts.stacked_bars), e.g. plan progress by objective."""
    return _styled(charts.stacked_bars(chart_id=chart_id, title=title, rows=rows))


def _e(text) -> str:
    return html.escape(str(text))


@register.filter
def pdf_cell(cell, layout: str = "") -> SafeString:
    """One printed RAG cell: ``<td class="rag-red"><b>✗ Red</b> 13.2% ↓ ✎ *</td>``: colour,
    symbol AND word, the value, the trend arrow, ✎ for a head's note (the note is in the
    exceptions report), * for demo data, and the trust's coverage ("4 of 5").
    ``layout="stack"``: the value under the word (narrow columns).

    A format string with as few elements as can be rather than an include: the full-scale
    matrix has 9,000 cells, and WeasyPrint's time grows with every inline box (spans round
    each piece made the demo's scorecards twice as slow to lay out)."""
    outcome = cell.outcome
    figure = []
    if outcome != rag.Outcome.NOT_APPLICABLE and cell.value is not None:
        figure.append(_e(cell.shown))
    if cell.trend:
        figure.append(_TREND[cell.trend])
    if cell.note:
        figure.append("✎")
    if cell.is_demo:
        figure.append("*")
    gap = "<br>" if layout == "stack" and figure else " "
    coverage = (
        f"<br><small>{_e(cell.coverage)}</small>" if cell.academy is None and cell.coverage else ""
    )
    return mark_safe(  # noqa: S308 — every text is escaped
        f'<td class="rag-{outcome.value}"><b>{_WORD[outcome]}</b>{gap}{" ".join(figure)}'
        f"{coverage}</td>"
    )


_WORD = {outcome: _e(f"{outcome.symbol} {outcome.label}") for outcome in rag.Outcome}
_TREND = {trend: _e(trend.symbol) for trend in rag.Trend}


@register.filter
def pdf_cells(cells, layout: str = "") -> SafeString:
    """A run of printed RAG cells (a matrix row): one filter call for the row."""
    return mark_safe("".join(pdf_cell(cell, layout) for cell in cells))  # noqa: S308 — escaped
