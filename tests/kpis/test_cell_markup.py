"""The RAG cell's markup (board/templatetags/trustplan_tags.py), read back as a tree.

Every outcome, trend and measure kind: the classes, the texts a sighted reader and a screen
reader get, the tooltip wiring, and that every text that comes from data is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from academies.models import Academy
from board.templatetags.trustplan_tags import rag_cell, rag_cells
from kpis import rag
from kpis.models import KPI, Area, KPIValue, Period, Return, ReturnStatus, Term
from kpis.selectors import Cell, PeriodIndex, board_matrix


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    @property
    def elements(self) -> list[Element]:
        return [c for c in self.children if isinstance(c, Element)]

    def find(self, css_class: str) -> Element | None:
        """The first element below this one with the class, depth first."""
        for child in self.elements:
            if css_class in child.classes:
                return child
            found = child.find(css_class)
            if found is not None:
                return found
        return None

    def walk(self):
        yield self
        for child in self.elements:
            yield from child.walk()


class TreeBuilder(HTMLParser):
    """The standard library's parser (it decodes character references) into Elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        self.stack.append(element)

    def handle_endtag(self, tag) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data) -> None:
        self.stack[-1].children.append(data)


def parse(markup: str) -> Element:
    builder = TreeBuilder()
    builder.feed(markup)
    builder.close()
    assert builder.stack == [builder.root], "an element was left open"
    return builder.root


def parse_cell(markup: str) -> Element:
    root = parse(markup)
    assert [e.tag for e in root.children] == ["td"]  # one cell, nothing around it
    return root.elements[0]


def make_cell(
    outcome: rag.Outcome = rag.Outcome.GREEN,
    *,
    value: Decimal | None = Decimal("96.5"),
    measure: str = "percentage",
    unit: str = "%",
    trend: rag.Trend | None = None,
    is_demo: bool = False,
    explanation: str = "96.5% meets the target of at least 95%.",
    tip_id: str = "tip-2.1-moreton-school",
) -> Cell:
    return Cell(
        None,
        value,
        rag.Judgement(outcome, explanation),
        trend=trend,
        is_demo=is_demo,
        measure=measure,
        unit=unit,
        tip_id=tip_id,
    )


def test_rag_cell_is_safe_markup_that_a_template_does_not_escape_again():
    cell = make_cell()
    assert isinstance(rag_cell(cell), SafeString)
    rendered = Template("{% load trustplan_tags %}{{ cell|rag_cell }}").render(
        Context({"cell": cell})
    )
    assert rendered == rag_cell(cell)
    assert rendered.startswith('<td class="rag rag-green">')


@pytest.mark.parametrize("outcome", list(rag.Outcome))
def test_every_outcome_shows_its_colour_class_symbol_and_label(outcome):
    td = parse_cell(rag_cell(make_cell(outcome)))
    exception = outcome in (rag.Outcome.RED, rag.Outcome.MISSING)
    assert td.classes == ["rag", f"rag-{outcome.value}"] + (["rag-exception"] if exception else [])
    assert td.attrs.keys() == {"class"}
    [inner] = td.children
    assert inner.tag == "span" and inner.classes == ["rag-cell"]
    # Focusable, so the explanation shows on keyboard focus too, and tied to it for readers.
    assert inner.attrs == {
        "class": "rag-cell",
        "tabindex": "0",
        "aria-describedby": "tip-2.1-moreton-school",
    }
    symbol = inner.find("rag-symbol")
    assert symbol.attrs == {"class": "rag-symbol", "aria-hidden": "true"}
    assert symbol.text == outcome.symbol
    label = inner.elements[1]
    assert label.classes == ["visually-hidden"] and label.text == f"{outcome.label}:"
    tip = inner.find("rag-tip")
    assert tip.attrs == {"class": "rag-tip", "role": "tooltip", "id": "tip-2.1-moreton-school"}
    assert tip.text == "96.5% meets the target of at least 95%."
    if outcome == rag.Outcome.NOT_APPLICABLE:
        # A cell that does not apply shows no value, only its symbol and label.
        assert [e.classes[0] for e in inner.elements] == [
            "rag-symbol",
            "visually-hidden",
            "rag-tip",
        ]
        assert inner.text == f"{outcome.symbol}{outcome.label}: {tip.text}"
    else:
        assert [e.classes[0] for e in inner.elements] == [
            "rag-symbol",
            "visually-hidden",
            "rag-value",
            "rag-tip",
        ]
        assert inner.find("rag-value").attrs == {"class": "rag-value"}
        assert inner.text == f"{outcome.symbol}{outcome.label}: 96.5%{tip.text}"


@pytest.mark.parametrize("outcome", [rag.Outcome.GREEN, rag.Outcome.AMBER])
def test_green_or_amber_is_an_exception_only_when_amber_gets_worse(outcome):
    classes = {
        trend: parse_cell(rag_cell(make_cell(outcome, trend=trend))).classes
        for trend in (None, *rag.Trend)
    }
    worse_amber = outcome == rag.Outcome.AMBER
    assert ("rag-exception" in classes[rag.Trend.WORSE]) is worse_amber
    for trend in (None, rag.Trend.BETTER, rag.Trend.SAME):
        assert "rag-exception" not in classes[trend]


@pytest.mark.parametrize(
    "trend, symbol, words",
    [
        (rag.Trend.BETTER, "↑", "better than last period"),
        (rag.Trend.WORSE, "↓", "worse than last period"),
        (rag.Trend.SAME, "→", "same as last period"),
    ],
)
def test_every_trend_shows_an_arrow_with_its_words_on_hover_and_for_screen_readers(
    trend, symbol, words
):
    inner = parse_cell(rag_cell(make_cell(trend=trend))).elements[0]
    shown = inner.find("rag-trend")
    assert shown.attrs == {"class": "rag-trend", "title": words}
    arrow, spoken = shown.elements
    assert arrow.attrs == {"aria-hidden": "true"} and arrow.text == symbol
    assert spoken.classes == ["visually-hidden"] and spoken.text == f", {words}"
    # After the value, one space before it.
    assert inner.text == f"✓Green: 96.5% {symbol}, {words}96.5% meets the target of at least 95%."
    assert [e.classes[0] for e in inner.elements] == [
        "rag-symbol",
        "visually-hidden",
        "rag-value",
        "rag-trend",
        "rag-tip",
    ]


def test_no_trend_without_a_previous_value():
    inner = parse_cell(rag_cell(make_cell(trend=None))).elements[0]
    assert inner.find("rag-trend") is None


@pytest.mark.parametrize("trend", [None, rag.Trend.WORSE])
def test_demo_data_is_marked_after_the_value_and_trend(trend):
    inner = parse_cell(rag_cell(make_cell(trend=trend, is_demo=True))).elements[0]
    mark = inner.find("rag-demo")
    assert mark.attrs == {"class": "rag-demo", "title": "Demo data"} and mark.text == "*"
    order = [e.classes[0] for e in inner.elements]
    assert order[-2:] == ["rag-demo", "rag-tip"]
    assert inner.children[inner.children.index(mark) - 1] == " "
    assert parse_cell(rag_cell(make_cell(trend=trend))).find("rag-demo") is None


@pytest.mark.parametrize(
    "measure, unit, value, shown",
    [
        ("percentage", "%", Decimal("94.10"), "94.1%"),
        ("count", "", Decimal("12"), "12"),
        ("grade", "", Decimal("2"), "grade 2 (good)"),
        ("yes_no", "", Decimal("1"), "Yes"),
        ("yes_no", "", Decimal("0"), "No"),
        ("money", "", Decimal("-12300"), "−£12,300"),
        ("number", "pupils", Decimal("4.25"), "4.25 pupils"),
        ("percentage", "%", None, "—"),
    ],
)
def test_every_measure_shows_its_value_as_a_trustee_reads_it(measure, unit, value, shown):
    outcome = rag.Outcome.MISSING if value is None else rag.Outcome.NO_TARGET
    td = parse_cell(rag_cell(make_cell(outcome, value=value, measure=measure, unit=unit)))
    assert td.find("rag-value").text == shown


HOSTILE = "<script>alert(\"x\" & 'y')</script>"


def test_every_text_from_the_data_is_escaped():
    cell = make_cell(
        rag.Outcome.RED,
        value=Decimal("5"),
        measure="number",
        unit=HOSTILE,
        trend=rag.Trend.WORSE,
        is_demo=True,
        explanation=f"5 {HOSTILE} is below the target.",
        tip_id='tip-"><script>-x',
    )
    markup = rag_cell(cell)
    assert "<script" not in markup
    td = parse_cell(markup)
    # Nothing the data says became an element or an attribute.
    assert {e.tag for e in td.walk()} == {"td", "span"}
    assert all(
        set(e.attrs)
        <= {"class", "tabindex", "aria-describedby", "aria-hidden", "title", "role", "id"}
        for e in td.walk()
    )
    # …and every text reads back exactly as the data gave it.
    assert td.find("rag-value").text == f"5 {HOSTILE}"
    assert td.find("rag-tip").text == f"5 {HOSTILE} is below the target."
    assert td.find("rag-tip").attrs["id"] == 'tip-"><script>-x'
    assert td.find("rag-cell").attrs["aria-describedby"] == 'tip-"><script>-x'


def test_a_run_of_cells_is_each_cell_in_order():
    cells = [
        make_cell(rag.Outcome.GREEN, tip_id="tip-a"),
        make_cell(rag.Outcome.NOT_APPLICABLE, tip_id="tip-b"),
        make_cell(rag.Outcome.RED, trend=rag.Trend.WORSE, is_demo=True, tip_id="tip-c"),
    ]
    run = rag_cells(cells)
    assert isinstance(run, SafeString)
    assert run == "".join(rag_cell(cell) for cell in cells)
    assert [td.find("rag-tip").attrs["id"] for td in parse(run).elements] == [
        "tip-a",
        "tip-b",
        "tip-c",
    ]
    assert rag_cells([]) == ""


def test_the_matrix_escapes_a_hostile_kpi_name_unit_and_code(trust):
    """Through board_matrix and the matrix template: a KPI whose name, code and unit hold
    markup and quotes shows them as text, in the row header and in every cell."""
    period = Period.objects.create(year_start=2023, term=Term.AUTUMN)
    kpi = KPI.objects.create(
        area=Area.objects.order_by("number").first(),
        code='9"<b>',
        name=f"Hostile {HOSTILE}",
        measure="number",
        unit='<i>"u"',
        target_kind="none",
    )
    academy = Academy.objects.active().first()
    Return.objects.create(academy=academy, period=period, status=ReturnStatus.APPROVED)
    KPIValue.objects.create(kpi=kpi, academy=academy, period=period, value=Decimal("7"))
    board = board_matrix(period, PeriodIndex())
    markup = render_to_string(
        "kpis/_matrix_table.html", {"board": board, "period": period, "selected": {}}
    )
    assert "<script" not in markup and "<b>" not in markup and "<i>" not in markup
    table = parse(markup)
    row_header = next(e for e in table.walk() if "kpi-name" in e.classes)
    assert row_header.text == f'9"<b> Hostile {HOSTILE}'
    cells = [e for e in table.walk() if e.attrs.get("aria-describedby", "").startswith('tip-9"')]
    assert cells, "the hostile KPI's cells are in the matrix"
    mine = next(e for e in cells if e.attrs["aria-describedby"] == f'tip-9"<b>-{academy.slug}')
    assert mine.find("rag-value").text == '7 <i>"u"'
    assert mine.find("rag-tip").attrs["id"] == f'tip-9"<b>-{academy.slug}'
