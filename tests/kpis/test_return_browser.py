"""A forgiving return in a real browser (issue 15): Debian's Chromium through Playwright against
`live_server`, as a head would use the entry page. Screenshots go to test-artifacts/.

1. Half a return with a "not available" and no note: Save draft keeps every value (without
   JavaScript: the page works without it), and the warning is there when the head comes back.
2. A Submit with problems is refused, the draft is saved, the summary links each problem and
   following a link moves focus to its row.
3. Each saved row shows its RAG; with JavaScript it follows what the head types.
4. axe: no WCAG 2.2 AA violations with the warnings shown, at desktop and phone width.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from academies.models import Academy
from kpis.models import KPI, KPIValue, Measure, Period, Return, ReturnStatus, TargetKind, Term
from tests.browser_support import screenshot, sign_in
from tests.test_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OPEN = "2024-25-autumn"
ENTRY = f"/entry/aldersley-high-school/{OPEN}/"


def open_period() -> Period:
    return Period.objects.create(year_start=2024, term=Term.AUTUMN, is_open=True)


def aldersley() -> Academy:
    return Academy.objects.get(slug="aldersley-high-school")


def applicable_kpis(academy: Academy) -> list[KPI]:
    kpis = KPI.objects.active().with_area().order_by("area__number", "position")
    return [kpi for kpi in kpis if kpi.applies_to(academy) and not kpi.from_inspections]


def on_target(kpi: KPI) -> str:
    """What a head types for a KPI that meets its target (or has none to meet)."""
    if kpi.measure == Measure.GRADE:
        return "2"
    if kpi.measure == Measure.YES_NO:
        return "1"
    if kpi.measure == Measure.MONEY:
        return "£12,300"
    if kpi.target_kind == TargetKind.ABSOLUTE:
        return f"{kpi.target_value.normalize():f}"
    return "3" if kpi.measure == Measure.COUNT else "47"


def fill(page: Page, kpi: KPI, text: str) -> None:
    field = page.get_by_label(f"{kpi.code} {kpi.name}", exact=True)
    if kpi.measure in (Measure.GRADE, Measure.YES_NO):
        field.select_option(text)
    else:
        field.fill(text)


def row(page: Page, kpi: KPI):
    return page.locator(f"#row-{kpi.pk}")


def summary(page: Page):
    return page.locator("#error-summary")


def test_half_a_return_with_a_not_available_and_no_note_is_all_kept(live_server, new_context, cast):
    open_period()
    academy = aldersley()
    kpis = applicable_kpis(academy)
    half, rest = kpis[: len(kpis) // 2], kpis[len(kpis) // 2 :]
    unavailable = rest[0]
    # Without JavaScript: saving must not depend on the enhancement.
    page = sign_in(new_context(java_script_enabled=False).new_page(), live_server.url, "t-head-a")
    page.goto(f"{live_server.url}{ENTRY}")
    for kpi in half:
        fill(page, kpi, on_target(kpi))
    page.get_by_label(f"{unavailable.code} not available", exact=True).check()
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".tp-messages")).to_contain_text(
        f"Draft saved: {len(half) + 1} value(s) changed"
    )

    page.get_by_role("link", name="My work").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"{live_server.url}{ENTRY}")
    for kpi in half:
        field = page.get_by_label(f"{kpi.code} {kpi.name}", exact=True)
        expected = on_target(kpi).replace("£12,300", "12300")
        expect(field).to_have_value(expected)
    expect(page.get_by_label(f"{unavailable.code} not available", exact=True)).to_be_checked()
    warning = "say in the note why no value is available"
    expect(summary(page)).to_contain_text(f"{unavailable.code} {unavailable.name}: {warning}")
    expect(row(page, unavailable)).to_contain_text("Before you submit: Say in the note why")
    expect(summary(page)).to_contain_text(f"{len(rest) - 1} KPIs with no value yet")
    screenshot(page, "return-1-half-saved-with-warnings")

    stored = KPIValue.objects.filter(academy=academy, period__slug=OPEN)
    assert stored.count() == len(half) + 1
    assert stored.get(kpi=unavailable).not_available
    assert Return.objects.get(academy=academy).status == ReturnStatus.DRAFT


def test_a_submit_with_problems_is_refused_saved_and_each_problem_linked_to_its_row(
    live_server, new_context, cast
):
    open_period()
    academy = aldersley()
    kpis = applicable_kpis(academy)
    attendance = next(kpi for kpi in kpis if kpi.code == "2.1")
    unavailable = next(kpi for kpi in kpis if kpi.code == "4.2")
    empty = next(kpi for kpi in kpis if kpi.code == "1.4")
    page = sign_in(new_context().new_page(), live_server.url, "t-head-a")
    page.goto(f"{live_server.url}{ENTRY}")
    for kpi in kpis:
        if kpi not in (attendance, unavailable, empty):
            fill(page, kpi, on_target(kpi))
    fill(page, attendance, "80")  # red, and no note
    page.get_by_label(f"{unavailable.code} not available", exact=True).check()
    page.get_by_role("button", name="Submit return").click()

    refused = page.get_by_role("alert").filter(has_text="The return was not submitted")
    expect(refused).to_be_visible()
    expect(refused).to_be_focused()  # return.js starts the head at the list
    expect(page.locator(".tp-messages")).to_contain_text("3 thing(s) to resolve")
    for kpi, words in (
        (attendance, "this value is red"),
        (unavailable, "say in the note why no value is available"),
        (empty, "enter a value, or tick"),
    ):
        if kpi == empty:
            link = refused.get_by_role("link", name=f"{kpi.code} {kpi.name}")
        else:
            link = refused.get_by_role("link", name=re.compile(re.escape(words)))
            expect(link).to_contain_text(f"{kpi.code} {kpi.name}")
        expect(link).to_have_attribute("href", f"#row-{kpi.pk}")
        expect(row(page, kpi)).to_contain_text("Before you submit:")
    screenshot(page, "return-2-submit-refused")

    ret = Return.objects.get(academy=academy)
    assert ret.status == ReturnStatus.DRAFT and ret.submitted_at is None
    values = {v.kpi_id: v for v in KPIValue.objects.filter(academy=academy)}
    assert values[attendance.pk].value == Decimal(80)
    assert values[unavailable.pk].not_available
    assert empty.pk not in values and len(values) == len(kpis) - 1

    # Following a link moves focus to the row; its field is described by the message.
    refused.get_by_role("link", name=re.compile("this value is red")).click()
    expect(row(page, attendance)).to_be_focused()
    field = page.get_by_label("2.1 Attendance > 95%", exact=True)
    described = f"message-{attendance.pk} rag-{attendance.pk}"
    expect(field).to_have_attribute("aria-describedby", described)
    refused.get_by_role("link", name=f"{empty.code} {empty.name}").click()
    expect(row(page, empty)).to_be_focused()

    # Resolve them and the return is submitted.
    page.get_by_label(f"Note for {attendance.code}").fill("Flu outbreak in October")
    page.get_by_label(f"Note for {unavailable.code}").fill("CPD log lost in the server move")
    fill(page, empty, on_target(empty))
    page.get_by_role("button", name="Submit return").click()
    expect(page.locator(".tp-messages")).to_contain_text("is submitted. Thank you.")
    assert Return.objects.get(academy=academy).status == ReturnStatus.SUBMITTED


def test_each_saved_row_shows_its_rag_and_it_follows_what_the_head_types(
    live_server, new_context, cast
):
    open_period()
    academy = aldersley()
    kpis = applicable_kpis(academy)
    attendance = next(kpi for kpi in kpis if kpi.code == "2.1")  # at least 95, amber 1
    page = sign_in(new_context().new_page(), live_server.url, "t-head-a")
    page.goto(f"{live_server.url}{ENTRY}")
    for kpi in kpis:
        fill(page, kpi, "95.5" if kpi == attendance else on_target(kpi))
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".tp-messages")).to_contain_text("Draft saved")

    for kpi in kpis:  # every saved row carries its RAG: a symbol and a word
        expect(page.locator(f"#rag-{kpi.pk}")).to_contain_text(
            re.compile(r"(✓ Green|! Amber|✗ Red|· No target)")
        )
    rag = page.locator(f"#rag-{attendance.pk}")
    expect(rag).to_contain_text("✓ Green")
    expect(rag).to_contain_text("95.5% meets the target of at least 95%")
    expect(rag).to_have_class(re.compile(r"\brag-green\b"))

    field = page.get_by_label("2.1 Attendance > 95%", exact=True)
    field.fill("94.5")
    expect(rag).to_contain_text("! Amber")
    expect(rag).to_contain_text("not saved yet")
    field.fill("90")
    expect(rag).to_contain_text("✗ Red")
    expect(rag).to_have_class(re.compile(r"\brag-red\b"))
    field.fill("abc")
    expect(rag).to_contain_text("Cannot be read")
    field.fill("95.5")  # back to the saved value: the server's words again
    expect(rag).to_contain_text("95.5% meets the target of at least 95%")
    screenshot(page, "return-3-rag-as-typed")


def _with_warnings(page: Page, base_url: str, kpis: list[KPI]) -> None:
    """A draft with a red, a "not available" without a note and empty rows, and one value
    that cannot be read: every kind of message on the page at once."""
    page.goto(f"{base_url}{ENTRY}")
    for kpi in kpis[:10]:
        fill(page, kpi, on_target(kpi))
    attendance = next(kpi for kpi in kpis if kpi.code == "2.1")
    fill(page, attendance, "80")
    page.get_by_label("4.2 not available", exact=True).check()
    fill(page, next(kpi for kpi in kpis if kpi.code == "2.2"), "abc")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert").filter(has_text="Please correct these")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_entry_page_with_warnings_has_no_wcag_violations(live_server, new_context, cast, width):
    open_period()
    kpis = applicable_kpis(aldersley())
    # axe is injected as a script: only this context may bypass the site's strict CSP.
    page = new_context(
        bypass_csp=True, viewport={"width": width, "height": 900}, is_mobile=width < 500
    ).new_page()
    sign_in(page, live_server.url, "t-head-a")
    _with_warnings(page, live_server.url, kpis)
    problems = axe_violations(page, f"entry with warnings at {width} px")
    screenshot(page, f"return-4-warnings-{width}")
    screenshot(page, f"return-4-warnings-{width}-top", full_page=False)
    if width == 390:
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.body.scrollWidth]"
        )
        assert max(widths) <= width, widths
        card = row(page, next(kpi for kpi in kpis if kpi.code == "4.2"))
        # On a phone each cell is labelled by the stylesheet (its header row is not shown).
        labels = card.locator("td[data-label]").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        )
        assert labels == [
            '"Value"',
            '"RAG"',
            '"Last period"',
            '"Same term last year"',
            '"Target"',
            '"Note"',
        ], labels
        expect(card).to_contain_text("not available")
        for control in (
            page.get_by_label("4.2 not available", exact=True),
            page.get_by_label("Note for 4.2"),
        ):
            control.scroll_into_view_if_needed()
            expect(control).to_be_visible()
            box = control.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert not problems, "axe found:\n" + "\n".join(problems)
