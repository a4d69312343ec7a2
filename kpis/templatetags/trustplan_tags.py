from django import template

register = template.Library()


@register.filter
def counts_for(board, key: str) -> dict[str, int]:
    """Red/amber/green counts of one matrix column: an academy's slug, or "trust"."""
    if key == "trust":
        counter = board.counts.get(None, {})
    else:
        academy = next((a for a in board.academies if a.slug == key), None)
        counter = board.counts.get(academy.pk if academy else -1, {})
    return {outcome: counter.get(outcome, 0) for outcome in ("red", "amber", "green")}
