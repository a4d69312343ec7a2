"""{% series_chart series periods %}: a KPI's trend chart with its data table (board.charts)."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from board import charts

register = template.Library()


@register.simple_tag
def series_chart(series, periods, heading: str = "", compact: bool = False) -> SafeString:
    """The figure of one series: heading, SVG, a "Data table" disclosure with every period's
    value, rating, target and national figure. ``compact``: no heading (a table cell)."""
    chart = charts.series_chart(series, periods)
    return render_to_string(
        "charts/_trend.html", {"chart": chart, "heading": heading, "compact": compact}
    )


@register.filter
def chart_anchor(kpi_code: str, academy_slug: str | None = None) -> str:
    """The id of a KPI's chart for an academy (None: the trust), to link to it."""
    return charts.chart_id(kpi_code, academy_slug)


@register.simple_tag
def bars_chart(rows, chart_id: str, *title_parts) -> SafeString:
    """Stacked bars (board.charts.stacked_bars) of rows made by plan_progress_rows or
    rag_by_area_rows; the title is the remaining arguments joined by spaces."""
    title = " ".join(str(part) for part in title_parts)
    return charts.stacked_bars(chart_id=chart_id, title=title, rows=rows)


@register.filter
def plan_progress_rows(progress, objective_label: str = "Objective"):
    return charts.plan_progress_rows(progress, objective_label)


@register.filter
def rag_by_area_rows(board):
    return charts.rag_by_area_rows(board) if board else []
