from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ rag|get_item:kpi.pk }}: a dict lookup by a variable key."""
    return mapping.get(key) if mapping else None


@register.simple_tag
def overdue(action, today) -> bool:
    """Whether the action is overdue; action_rows() has usually worked it out already."""
    known = getattr(action, "overdue", None)
    return action.is_overdue(today) if known is None else known
