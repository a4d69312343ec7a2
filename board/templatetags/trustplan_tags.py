from html import escape as _escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


def escape(text) -> str:
    """What django.utils.html.escape does, without its lazy-string wrapper (a third of the
    matrix's cell rendering time over 9,000 cells)."""
    return _escape(str(text))


@register.filter
def counts_for(board, key: str) -> dict[str, int]:
    """Red/amber/green counts of one matrix column: an academy's slug, or "trust"."""
    if key == "trust":
        counter = board.counts.get(None, {})
    else:
        academy = next((a for a in board.academies if a.slug == key), None)
        counter = board.counts.get(academy.pk if academy else -1, {})
    return {outcome: counter.get(outcome, 0) for outcome in ("red", "amber", "green")}


@register.filter
def rag_cell(cell) -> str:
    """One RAG table cell: colour AND symbol AND (for screen readers) label, value, trend and
    explanation, which also shows on hover and keyboard focus.

    Built in Python rather than with an {% include %}: the matrix has thousands of cells and
    the include cost dominated its rendering time.
    """
    judgement = cell.judgement
    outcome = judgement.outcome.value
    classes = f"rag rag-{outcome}" + (" rag-exception" if cell.is_exception else "")
    tip = escape(cell.tip_id)
    parts = [
        f'<td class="{classes}"><span class="rag-cell" tabindex="0" aria-describedby="{tip}">',
        f'<span class="rag-symbol" aria-hidden="true">{escape(judgement.symbol)}</span>',
        f'<span class="visually-hidden">{escape(judgement.label)}:</span> ',
    ]
    if outcome != "not_applicable":
        parts.append(f'<span class="rag-value">{escape(cell.shown)}</span>')
    if cell.trend:
        label = escape(cell.trend.label)
        parts.append(
            f' <span class="rag-trend" title="{label}"><span aria-hidden="true">'
            f'{cell.trend.symbol}</span><span class="visually-hidden">, {label}</span></span>'
        )
    if cell.is_demo:
        parts.append(' <span class="rag-demo" title="Demo data">*</span>')
    parts.append(
        f'<span class="rag-tip" role="tooltip" id="{tip}">{escape(judgement.explanation)}</span>'
        "</span></td>"
    )
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


@register.filter
def rag_cells(cells) -> str:
    """A run of RAG cells (a matrix row, a series): one filter call instead of one per cell,
    which on a 9,000-cell matrix saves the template engine's per-variable work."""
    return mark_safe("".join(rag_cell(cell) for cell in cells))  # noqa: S308 - rag_cell escapes
