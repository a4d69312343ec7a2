from django import template

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
