"""The board's story in a real browser (issue 15): a head explains a red in the return, a
trustee reads it on the overview beside the red and follows it to the KPI page's chart; the
trust cell says "4 of 5" while one return is missing; axe finds nothing on the pages that
carry the notes, for a trustee and a governor, at desktop and phone widths."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from academies.models import Academy
from kpis.models import KPI, KPIValue, Period, Return, ReturnStatus
from kpis.returns import return_save
from tests.browser_support import load_demo, screenshot, sign_in
from tests.test_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OPEN = "2023-24-summer"  # the demo's open period: Aldersley has a draft
SPRING = "2023-24-spring"  # the demo's latest closed period
AUTUMN = "2023-24-autumn"
NOTE = "Two Year 11 families moved abroad in May; both pupils are now off roll."
ALDERSLEY = "aldersley-high-school"


def submit_red_attendance_with_a_note(head) -> KPI:
    """Aldersley's head completes the open period's return, attendance red (88%) and
    explained, and submits it through the one return lifecycle (kpis.returns)."""
    academy = Academy.objects.get(slug=ALDERSLEY)
    period = Period.objects.get(slug=OPEN)
    attendance = KPI.objects.get(code="2.1")
    kpis = [
        k
        for k in KPI.objects.active().with_area().order_by("area__number", "position")
        if k.applies_to(academy)
    ]
    # Every other KPI as last term, so nothing else stops the Submit.
    spring = {
        v.kpi_id: v
        for v in KPIValue.objects.filter(academy=academy, period__slug=SPRING, kpi__in=kpis)
    }
    values = {
        kpi.pk: (
            spring[kpi.pk].value,
            spring[kpi.pk].not_available,
            spring[kpi.pk].note or "As last term.",  # a red by this term's target needs one
        )
        for kpi in kpis
    }
    values[attendance.pk] = (Decimal("88"), False, NOTE)
    ret = Return.objects.filter(academy=academy, period=period).first()
    result = return_save(
        academy=academy,
        period=period,
        user=head,
        kpis=kpis,
        values=values,
        version=ret.version if ret else 0,
        was={},
        submit=True,
    )
    assert result.submitted, result.problems
    return attendance


def test_a_trustee_reads_the_heads_note_beside_a_red_and_follows_it_to_the_chart(
    live_server, new_context, trust, cast
):
    load_demo(trust, cast["central"])
    head = cast["head_a"]
    head.first_name, head.last_name = "Priya", "Shah"
    head.save()
    attendance = submit_red_attendance_with_a_note(head)

    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server.url, "t-trustee")
    page.goto(f"{live_server.url}/?period={OPEN}")
    exceptions = page.get_by_role("list", name="KPI exceptions, reds first")
    card = exceptions.locator("li.exception-kpi", has_text=f"{attendance.code} {attendance.name}")
    item = card.locator("li.exception-item", has_text="Aldersley High School")
    expect(item).to_have_count(1)
    expect(item.locator(".rag")).to_have_text(re.compile(r"✗\s*Red"))
    expect(item).to_contain_text("88% is below the target")
    # The head's words and name, beside the red, on screen (not in a tooltip).
    note = item.locator(".exception-note")
    expect(note).to_be_visible()
    expect(note).to_have_text(f"Head's note: “{NOTE}” — Priya Shah")
    item.scroll_into_view_if_needed()
    screenshot(page, "narrative-overview-red-with-note", full_page=False)

    item.get_by_role("link", name=f"Chart of {attendance.code} for Aldersley High School").click()
    chart_id = f"chart-{attendance.code.replace('.', '-')}-{ALDERSLEY}"
    expect(page).to_have_url(f"{live_server.url}/kpis/{attendance.code}/#{chart_id}")
    chart = page.get_by_role(
        "img", name=f"{attendance.code} {attendance.name}: Aldersley High School"
    )
    expect(chart).to_be_visible()
    expect(chart).to_be_in_viewport()  # the link lands on the chart
    expect(page.locator(f"#{chart_id}")).to_contain_text("88")  # the new point is drawn
    row = page.locator(f"tr#academy-{ALDERSLEY}")
    expect(row.locator(".note-cell")).to_have_text(f"“{NOTE}” — Priya Shah")
    expect(row.locator(".note-cell")).to_be_visible()
    screenshot(page, "narrative-kpi-page-chart", full_page=False)


def test_the_trust_cell_reads_4_of_5_while_one_return_is_missing(
    live_server, new_context, trust, cast
):
    load_demo(trust, cast["central"])
    spring = Period.objects.get(slug=SPRING)
    moreton = Academy.objects.get(slug="moreton-school")
    Return.objects.filter(period=spring).exclude(academy=moreton).update(
        status=ReturnStatus.APPROVED
    )
    Return.objects.filter(period=spring, academy=moreton).update(status=ReturnStatus.DRAFT)
    attendance = KPI.objects.get(code="2.1")
    assert all(attendance.applies_to(a) for a in Academy.objects.active())  # all five

    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server.url, "t-trustee")
    page.goto(f"{live_server.url}/kpis/?period={SPRING}")
    row = page.locator(
        "tr", has=page.locator("th", has_text=f"{attendance.code} {attendance.name}")
    )
    trust_cell = row.locator("td").last
    expect(trust_cell.locator(".rag-coverage")).to_be_visible()
    expect(trust_cell.locator(".rag-coverage")).to_have_text(
        re.compile(r"^4 of 5(\s|$)")  # then the visually-hidden "academies reported"
    )
    assert "4 of 5" in trust_cell.inner_text()  # visible text of the cell
    # The matrix's column counts Moreton's missing values.
    expect(page.get_by_role("link", name=re.compile(r"^\d+ missing: show them"))).not_to_have_count(
        0
    )
    trust_cell.scroll_into_view_if_needed()
    trust_cell.locator(".rag-cell").focus()
    screenshot(page, "narrative-matrix-trust-cell-4-of-5", full_page=False)


PAGES = [
    ("overview", "/"),
    ("matrix", "/kpis/"),
    ("kpi-2.1", "/kpis/2.1/"),
    ("governance-paper", "/plan/monitoring/board/"),
]


@pytest.mark.parametrize("width", [1280, 390])
def test_pages_with_notes_have_no_wcag_violations(live_server, new_context, trust, cast, width):
    load_demo(trust, cast["central"])
    submit_red_attendance_with_a_note(cast["head_a"])
    # A note of Moreton's too (the demo's spring return of Moreton is a draft: in the autumn),
    # so the governor (of Moreton) reads one.
    moreton = KPIValue.objects.filter(
        academy__slug="moreton-school", period__slug=AUTUMN, value__isnull=False
    ).first()
    moreton.note = NOTE
    moreton.save()
    problems = []
    for role in ("t-trustee", "t-governor"):
        # axe is injected as a script: only this context may bypass the site's strict CSP.
        context = new_context(bypass_csp=True, viewport={"width": width, "height": 900})
        page = context.new_page()
        sign_in(page, live_server.url, role)
        for name, url in PAGES:
            page.goto(f"{live_server.url}{url}")
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            screenshot(page, f"narrative-{role}-{name}-{width}")
            scroll = page.evaluate("() => document.documentElement.scrollWidth")
            if scroll > width:
                problems.append(f"{role} {name} ({url}) is {scroll} px wide at {width} px")
            problems += axe_violations(page, f"{role} {name} ({url}) at {width} px")
        # The matrix with a noted cell focused: its tip shows the note.
        page.goto(f"{live_server.url}/kpis/?period={AUTUMN}")
        noted = page.locator(".rag-cell:has(.rag-note-mark)").first
        noted.scroll_into_view_if_needed()
        noted.focus()
        tip = page.locator(f'[id="{noted.get_attribute("aria-describedby")}"]')
        expect(tip).to_contain_text("Note: “")
        problems += axe_violations(page, f"{role} matrix, a noted cell focused, at {width} px")
        screenshot(page, f"narrative-{role}-matrix-focused-{width}", full_page=False)
        context.close()
    assert not problems, "axe or the width found:\n" + "\n".join(problems)
