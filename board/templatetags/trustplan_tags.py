import html

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from kpis import rag

register = template.Library()

# The pieces of a RAG cell that depend only on its outcome, trend and demo flag, built and
# escaped once here; each cell then escapes only its own texts (tooltip id, value,
# explanation) in one format_html call. Escaping every piece of every cell made the
# 9,000-cell matrix render nearly three times slower than this.
_NOTHING = SafeString("")
_CLASSES = {
    (outcome, exception): format_html(
        "rag rag-{}{}", outcome.value, " rag-exception" if exception else ""
    )
    for outcome in rag.Outcome
    for exception in (False, True)
}
_JUDGED = {
    outcome: format_html(
        '<span class="rag-symbol" aria-hidden="true">{}</span>'
        '<span class="visually-hidden">{}:</span> ',
        outcome.symbol,
        outcome.label,
    )
    for outcome in rag.Outcome
}
_TREND = {
    trend: format_html(
        ' <span class="rag-trend" title="{label}"><span aria-hidden="true">{symbol}</span>'
        '<span class="visually-hidden">, {label}</span></span>',
        label=trend.label,
        symbol=trend.symbol,
    )
    for trend in rag.Trend
}
_DEMO = format_html(' <span class="rag-demo" title="{}">*</span>', "Demo data")
# After the value: the trend (if any) and the demo mark (if demo data).
_AFTER = {
    (trend, demo): format_html(
        "{}{}", _TREND[trend] if trend else _NOTHING, _DEMO if demo else _NOTHING
    )
    for trend in (None, *rag.Trend)
    for demo in (False, True)
}
# The head's note (issue 15): a visible mark on the cell, its words in the tip, which the
# cell's aria-describedby reads out.
_NOTE_MARK = format_html(
    ' <span class="rag-note-mark" aria-hidden="true">{}</span>'
    '<span class="visually-hidden">, {}</span>',
    "✎",
    "has a note",
)
# {0} classes, {1} tooltip id, {2} symbol and label, {3} value, {4} trend and demo mark,
# {5} explanation, {6} after the marks (note mark, the trust's coverage, the target that
# applied), {7} more in the tip (the note and who wrote it, why there is no trend).
_CELL = (
    '<td class="{0}"><span class="rag-cell" tabindex="0" aria-describedby="{1}">'
    '{2}<span class="rag-value">{3}</span>{4}{6}'
    '<span class="rag-tip" role="tooltip" id="{1}">{5}{7}</span></span></td>'
)
# A cell that does not apply shows its symbol and label but no value.
_CELL_NOT_APPLICABLE = _CELL.replace('<span class="rag-value">{3}</span>', "")
# The same cells for the many that have no note nor anything else extra: two arguments fewer.
_CELL_PLAIN = _CELL.replace("{6}", "").replace("{7}", "")
_CELL_PLAIN_NOT_APPLICABLE = _CELL_NOT_APPLICABLE.replace("{6}", "").replace("{7}", "")
# A scorecard cell (show="target") with nothing beyond its judgement: the cell itself says the
# rating, the value, the trend and the target that applied, so the explanation would only
# repeat them (issue 19: 1,080 such tips were a sixth of a full-scale scorecard) and there is
# no tip to focus. A cell with a note keeps its tip.
_CELL_BARE = (
    '<td class="{0}"><span class="rag-cell">{1}<span class="rag-value">{2}</span>{3}{4}</span></td>'
)
_CELL_BARE_NOT_APPLICABLE = _CELL_BARE.replace('<span class="rag-value">{2}</span>', "{2}")
_COVERAGE = (
    '<span class="rag-coverage">{}<span class="visually-hidden"> academies reported</span></span>'
)
_TARGET = '<span class="rag-target"><span class="visually-hidden">Target: </span>{}</span>'
# A group's cell: how many of its academies' cells are exceptions (its figure may be green).
_GROUP_EXCEPTIONS = '<span class="rag-group-exceptions">{} exception{} in its academies</span>'
_TIP_NOTE = '<span class="rag-tip-note">Note: “{}”{}</span>'
_TIP_TREND = '<span class="rag-tip-note">Trend: {}</span>'


def _escape(text) -> SafeString:
    """django.utils.html.escape without its lazy-string check (every text here is a str):
    that check was a third of the matrix's cell time. format_html keeps the result as is."""
    return SafeString(html.escape(str(text)))


@register.filter
def counts_for(board, key: str) -> dict[str, int]:
    """Red/amber/green/missing counts of one matrix column: an academy's slug, or "trust"."""
    if key == "trust":
        counter = board.counts.get(None, {})
    elif key.startswith("group:"):
        column = next((c for c in board.groups if c.key == key), None)
        counter = board.counts.get(("group", column.group.pk) if column else -1, {})
    else:
        academy = next((a for a in board.academies if a.slug == key), None)
        counter = board.counts.get(academy.pk if academy else -1, {})
    return {outcome: counter.get(outcome, 0) for outcome in ("red", "amber", "green", "missing")}


def _narrative(cell, with_target: bool) -> tuple[SafeString, SafeString]:
    """The cell's pieces after its marks and in its tip: the note mark, the trust's coverage
    ("4 of 5") and, when asked, the target that applied; the note with who wrote it and the
    trust's trend note. Only cells that have any of them come here (most matrix cells don't)."""
    after, tip = [], []
    if cell.note:
        after.append(_NOTE_MARK)
        by = f" — {cell.note_by}" if cell.note_by else ""
        tip.append(_TIP_NOTE.format(_escape(cell.note), _escape(by)))
    if cell.academy is None:
        if coverage := cell.coverage:
            after.append(_COVERAGE.format(_escape(coverage)))
        if cell.exceptions:
            after.append(
                _GROUP_EXCEPTIONS.format(cell.exceptions, "" if cell.exceptions == 1 else "s")
            )
        if cell.trend_note:
            tip.append(_TIP_TREND.format(_escape(cell.trend_note)))
    if with_target and cell.target_words:
        after.append(_TARGET.format(_escape(cell.target_words)))
    return SafeString("".join(after)), SafeString("".join(tip))


@register.filter
def rag_cell(cell, show: str = "") -> SafeString:
    """One RAG table cell: colour AND symbol AND (for screen readers) label, value, trend and
    explanation, which also shows on hover and keyboard focus; the head's note (a visible ✎
    mark, the words in the tip), the trust cell's coverage ("4 of 5") under its value and
    its trend note in the tip; with ``show="target"`` (the scorecard) the target that applied
    to that value, under it.

    One format_html call rather than an {% include %}: the matrix has thousands of cells and
    an include per cell dominated its rendering time. Cells with no note (most of them) take
    the fast path with no formatting of their own beyond that call.
    """
    judgement = cell.judgement
    outcome = judgement.outcome
    applies = outcome != rag.Outcome.NOT_APPLICABLE
    if not (cell.note or cell.academy is None or show):
        return format_html(
            _CELL_PLAIN if applies else _CELL_PLAIN_NOT_APPLICABLE,
            _CLASSES[outcome, cell.is_exception],
            _escape(cell.tip_id),
            _JUDGED[outcome],
            _escape(cell.shown) if applies else _NOTHING,
            _AFTER[cell.trend, cell.is_demo],
            _escape(judgement.explanation),
        )
    after, tip = _narrative(cell, show == "target")
    if show == "target" and not tip and cell.academy is not None:
        return format_html(
            _CELL_BARE if applies else _CELL_BARE_NOT_APPLICABLE,
            _CLASSES[outcome, cell.is_exception],
            _JUDGED[outcome],
            _escape(cell.shown) if applies else _NOTHING,
            _AFTER[cell.trend, cell.is_demo],
            after,
        )
    return format_html(
        _CELL if applies else _CELL_NOT_APPLICABLE,
        _CLASSES[outcome, cell.is_exception],
        _escape(cell.tip_id),
        _JUDGED[outcome],
        _escape(cell.shown) if applies else _NOTHING,
        _AFTER[cell.trend, cell.is_demo],
        _escape(judgement.explanation),
        after,
        tip,
    )


@register.filter
def rag_cells(cells, show: str = "") -> SafeString:
    """A run of RAG cells (a matrix row, a series): one filter call instead of one per cell,
    which on a 9,000-cell matrix saves the template engine's per-variable work.

    The cells are safe strings from format_html, so their concatenation is too (as Django's
    own NodeList.render joins rendered nodes)."""
    return SafeString("".join([rag_cell(cell, show) for cell in cells]))
