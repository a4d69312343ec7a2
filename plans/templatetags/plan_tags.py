import functools

from django import template
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ rag|get_item:kpi.pk }}: a dict lookup by a variable key."""
    return mapping.get(key) if mapping else None


@register.simple_tag
def overdue(action, today) -> bool:
    """Whether the action is overdue (Action.is_overdue); action_rows() has usually worked it
    out already."""
    known = getattr(action, "overdue", None)
    return action.is_overdue(today) if known is None else known


@register.simple_tag
def return_overdue(period, ret, today) -> bool:
    """{% return_overdue period ret today as late %}: whether an academy's return for the
    period (ret None: not started) is overdue, as Period.return_overdue decides."""
    return period.return_overdue(ret or None, today)


_NONE = '<span class="text-body-secondary">—</span>'


def _owner(owner) -> str:
    """plans/_owner.html, as text."""
    name = owner.name and owner.name != owner.code
    suffix = format_html(' <span class="owner-name">({})</span>', owner.name) if name else ""
    return format_html('<span class="owner">{}{}</span>', owner.code, suffix)


def _status(action, today) -> str:
    """plans/_status.html, as text."""
    late = overdue(action, today)
    return format_html(
        '<span class="action-status status-{}{}">{}{}</span>',
        action.status,
        " status-overdue" if late else "",
        mark_safe('<span aria-hidden="true">✗ </span>Overdue · ') if late else "",
        action.status_label,
    )


@register.simple_tag
def action_row(action, rag, today):
    """plans/_action_row.html (show_objective and commentary_below off) written in Python: the
    plan tree has one per action, 500 at full scale, and the template's includes, loops and
    lookups cost more than the rest of the page's rendering together (issue 19: /plan/ after a
    plan edit). tests/plans/test_plan_views.py checks the two give the same HTML."""
    responsible = ", ".join(_owner(o) for o in action.responsible_list) or _NONE
    chips = []
    for kpi in action.kpi_list:
        cell = rag.get(kpi.pk) if rag else None
        if cell:
            label = cell.judgement.label
            chips.append(
                format_html(
                    '<a href="{}" class="kpi-chip rag-{}" title="{}: {}">{}'
                    '<span class="visually-hidden"> {}</span></a> ',
                    _kpi_url(kpi.code),
                    cell.outcome.value,
                    kpi.name,
                    label,
                    kpi.code,
                    label,
                )
            )
        else:
            chips.append(
                format_html(
                    '<a href="{}" class="kpi-chip" title="{}">{}</a> ',
                    _kpi_url(kpi.code),
                    kpi.name,
                    kpi.code,
                )
            )
    monitors = ", ".join(conditional_escape(o.name or o.code) for o in action.monitor_list)
    due = action.due
    updated = action.latest_update_on
    commentary = action.latest_commentary
    return format_html(
        '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td>'
        '<td class="text-nowrap">{}</td><td>{}</td>'
        '<td class="small"><span class="text-nowrap">{}</span>{}</td></tr>\n',
        reverse("plans:action", args=[action.pk]),
        action.description or "(no action stated)",
        mark_safe(responsible),
        mark_safe("".join(chips) or _NONE),
        mark_safe(monitors or _NONE),
        date_format(due, "j M Y") if due else mark_safe(_NONE),
        _status(action, today),
        date_format(updated, "j M Y")
        if updated
        else mark_safe('<span class="text-body-secondary">none</span>'),
        format_html(
            '<div class="action-latest-commentary">{}</div>',
            Truncator(commentary).words(15, truncate=" …"),
        )
        if commentary
        else "",
    )


@functools.lru_cache(maxsize=1024)
def _kpi_url(code: str) -> str:
    return reverse("kpis:detail", args=[code])
