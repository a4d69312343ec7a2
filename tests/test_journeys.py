"""Real-browser journeys, one per test, clicking through the site as each role would.

Debian's Chromium through Playwright against `live_server`; screenshots of the key steps go to
test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from academies.models import Academy
from kpis.models import KPI, KPIValue, Measure, Period, Return, ReturnStatus, TargetKind, Term
from kpis.returns import record_inspection, return_save
from plans.models import Action, ActionStatus
from tests.browser_support import cell, load_demo, matrix_workbook, screenshot, sign_in, table

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OPEN = "2024-25-autumn"
OPEN_LABEL = "2024/25 Autumn"
MATRIX = "KPI values for"
RETURNS = "Return status of every academy"


def open_period() -> Period:
    return Period.objects.create(year_start=2024, term=Term.AUTUMN, is_open=True)


def applicable_kpis(academy: Academy) -> list[KPI]:
    kpis = KPI.objects.active().with_area().order_by("area__number", "position")
    # The KPIs measured from inspections are read-only on the return (kpis.inspections).
    return [kpi for kpi in kpis if kpi.applies_to(academy) and not kpi.from_inspections]


def on_target(kpi: KPI) -> str:
    """What a head types for a KPI that meets its target (exactly on target is green)."""
    if kpi.measure == Measure.GRADE:
        return "2"
    if kpi.measure == Measure.YES_NO:
        return "1"
    if kpi.measure == Measure.MONEY:
        return "£12,300"
    if kpi.target_kind == TargetKind.ABSOLUTE:
        return f"{kpi.target_value.normalize():f}"
    return "3" if kpi.measure == Measure.COUNT else "47"


def test_head_enters_corrects_and_submits_this_terms_return(live_server, new_context, cast):
    open_period()
    academy = Academy.objects.get(slug="aldersley-high-school")
    kpis = applicable_kpis(academy)
    attendance = next(kpi for kpi in kpis if kpi.code == "2.1")
    page = sign_in(new_context().new_page(), live_server.url, "t-head-a")

    page.get_by_role("link", name="My work").click()
    returns = table(page, "Your academies' returns")
    expect(returns).to_contain_text("Open – not started")
    returns.get_by_role("link", name=OPEN_LABEL).click()
    expect(page).to_have_url(f"{live_server.url}/entry/aldersley-high-school/{OPEN}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Aldersley High School: KPI return for {OPEN_LABEL}"
    )

    # Every value but attendance, as the mouse user would; grades and yes/no are choices.
    for kpi in kpis:
        if kpi == attendance:
            continue
        field = page.get_by_label(f"{kpi.code} {kpi.name}", exact=True)
        if kpi.measure in (Measure.GRADE, Measure.YES_NO):
            field.select_option(on_target(kpi))
        else:
            field.fill(on_target(kpi))

    # Attendance by keyboard only: Tab from the field before it, type, Enter submits the form
    # (the first button, Save draft). 105 is refused, naming the KPI and the reason.
    page.get_by_label("1.7 not available", exact=True).focus()
    page.keyboard.press("Tab")
    attendance_field = page.get_by_label("2.1 Attendance > 95%", exact=True)
    expect(attendance_field).to_be_focused()
    page.keyboard.type("105")
    page.keyboard.press("Enter")
    summary = page.get_by_role("alert").filter(has_text="Please correct these")
    expect(summary).to_contain_text("2.1 Attendance > 95%: 105 is above 100")
    # Issue 15: every other value is saved; attendance alone is not, and the page says why.
    expect(page.locator(".tp-messages")).to_contain_text("1 value(s) could not be read")
    screenshot(page, "journey-1-head-validation-message")
    assert KPIValue.objects.filter(academy=academy).count() == len(kpis) - 1
    assert not KPIValue.objects.filter(academy=academy, kpi=attendance).exists()
    # What was typed is still there; the bad value too, to be corrected.
    expect(page.get_by_label("1.4 English and maths (9-4)", exact=True)).to_have_value("65")
    expect(attendance_field).to_have_value("105")

    summary.get_by_role("link", name=re.compile("105 is above 100")).click()
    attendance_field.fill("96")
    page.get_by_role("button", name="Submit return").click()

    expect(page.locator(".tp-messages")).to_contain_text(
        f"Aldersley High School's return for {OPEN_LABEL} is submitted. Thank you."
    )
    expect(page.locator("p", has_text="Status:").locator("strong")).to_have_text("Submitted")
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    expect(page.get_by_role("button", name="Submit return")).to_have_count(0)
    expect(attendance_field).to_be_disabled()
    expect(attendance_field).to_have_value("96")
    expect(page.get_by_role("note")).to_contain_text("submitted and is read-only")
    screenshot(page, "journey-1-head-submitted-read-only")

    ret = Return.objects.get(academy=academy, period__slug=OPEN)
    assert ret.status == ReturnStatus.SUBMITTED
    assert KPIValue.objects.filter(academy=academy, period=ret.period).count() == len(kpis)
    assert KPIValue.objects.get(academy=academy, kpi=attendance).value == 96
    money = KPIValue.objects.get(academy=academy, kpi__code="4.9")
    assert money.value == Decimal("12300")


def test_central_approves_and_the_board_shows_the_values(live_server, new_context, cast):
    period = open_period()
    academy = Academy.objects.get(slug="aldersley-high-school")
    # Its last inspection (good, before report cards) answers the inspection KPIs.
    record_inspection(
        academy=academy,
        date=datetime.date(2022, 3, 9),
        framework="four_point",
        grades={"overall": 2, "behaviour_attitudes": 2, "personal_development": 2},
        safeguarding_met=True,
        user=cast["central"],
    )
    kpis = applicable_kpis(academy)
    values = {}
    for kpi in kpis:
        text = "90" if kpi.code == "2.1" else on_target(kpi).replace("£12,300", "12300")
        values[kpi.pk] = (Decimal(text), False, "Flu outbreak in December" if text == "90" else "")
    return_save(
        academy=academy,
        period=period,
        user=cast["head_a"],
        kpis=kpis,
        values=values,
        version=0,
        was={},
    )
    board = f"{live_server.url}/?period={OPEN}"
    trustee = new_context().new_page()
    sign_in(trustee, live_server.url, "t-trustee")

    # While the return is a draft the board sees nothing of it: every KPI is missing.
    trustee.goto(board)
    navigation = trustee.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="KPI matrix")).to_be_visible()
    expect(navigation.get_by_role("link", name="Returns")).to_have_count(0)  # not theirs
    expect(cell(trustee, RETURNS, "Aldersley High School", "Return")).to_have_text("Draft")
    # Its missing values are one line (issue 15), not a row per KPI.
    unsubmitted = trustee.get_by_role("list", name="Returns not submitted")
    expect(unsubmitted).to_contain_text("Aldersley High School: return not submitted")
    # The exceptions: a card per KPI, the academies with an exception beneath it.
    aldersley = trustee.get_by_role("list", name="KPI exceptions, reds first").locator(
        "li.exception-kpi",
        has=trustee.locator(".exception-academy", has_text="Aldersley High School"),
    )
    expect(aldersley).to_have_count(0)

    head = sign_in(new_context().new_page(), live_server.url, "t-head-a")
    head.goto(f"{live_server.url}/entry/aldersley-high-school/{OPEN}/")
    head.get_by_role("button", name="Submit return").click()
    expect(head.locator(".tp-messages")).to_contain_text("is submitted")

    central = sign_in(new_context().new_page(), live_server.url, "t-central")
    central.get_by_role("link", name="Returns", exact=True).click()
    # Each cell's link names its academy and period for screen readers ("Submitted: …").
    aldersley_returns = table(central, "Return status by academy and period").locator(
        "tr", has_text="Aldersley High School"
    )
    aldersley_returns.get_by_role("link", name=re.compile(r"^Submitted\W+Aldersley")).click()
    central.get_by_role("button", name="Approve").click()
    expect(central.locator(".tp-messages")).to_contain_text(
        f"Approved Aldersley High School's return for {OPEN_LABEL}."
    )
    expect(central.locator("p", has_text="Status:").locator("strong")).to_have_text("Approved")
    expect(central.get_by_role("button", name="Approve")).to_have_count(0)
    screenshot(central, "journey-2-central-approved")

    # The trustee's matrix: the values with their RAG (colour class, symbol and words).
    trustee.goto(f"{live_server.url}/kpis/?period={OPEN}")
    red = cell(trustee, MATRIX, "2.1 Attendance > 95%", "Aldersley High School")
    expect(red).to_have_class(re.compile(r"\brag-red\b"))
    expect(red).to_contain_text("✗")
    expect(red).to_contain_text("90%")
    expect(red.locator(".visually-hidden").first).to_have_text("Red:")
    green = cell(trustee, MATRIX, "1.4 English and maths (9-4)", "Aldersley High School")
    expect(green).to_have_class(re.compile(r"\brag-green\b"))
    expect(green).to_contain_text("✓")
    expect(green).to_contain_text("65%")
    money = cell(trustee, MATRIX, "4.9 Robust financial", "Aldersley High School")
    expect(money).to_have_class(re.compile(r"\brag-green\b"))
    expect(money).to_contain_text("£12,300")
    screenshot(trustee, "journey-2-trustee-matrix")

    # The board overview: approved, and the exceptions now say why rather than "missing".
    trustee.goto(board)
    expect(cell(trustee, RETURNS, "Aldersley High School", "Return")).to_have_text("Approved")
    attendance = aldersley.filter(has_text="2.1 Attendance > 95%")
    expect(attendance).to_contain_text("Red")
    expect(attendance).to_contain_text("90% is below the target of at least 95%")
    expect(aldersley.filter(has_text="1.4 English and maths (9-4)")).to_have_count(0)
    expect(aldersley).to_have_count(1)  # the red attendance is Aldersley's only exception
    screenshot(trustee, "journey-2-trustee-board-overview")


def _off_track_cell(page, objective):
    label = f"Strategic objective {objective.number}: "
    return cell(page, "Actions of each", label, "Off track")


def _off_track(page, objective) -> int:
    return int(_off_track_cell(page, objective).inner_text())


def test_central_edits_an_action_and_posts_an_off_track_update(
    live_server, new_context, trust, cast
):
    load_demo(trust, cast["central"])  # owner NLI is linked to t-central
    action = next(
        a
        for a in Action.objects.filter(objective__plan=trust, responsible__code="NLI")
        .with_current_status()
        .order_by("objective__number", "position")
        if a.status in (ActionStatus.ON_TRACK, ActionStatus.NOT_STARTED) and a.description
    )
    objective = action.objective
    page = sign_in(new_context().new_page(), live_server.url, "t-central")
    off_track_before = _off_track(page, objective)

    page.get_by_role("link", name="My work").click()
    mine = page.locator("tr", has=page.get_by_role("link", name=action.description, exact=True))
    expect(mine).not_to_contain_text("Off track")

    page.goto(f"{live_server.url}/plan/actions/{action.pk}/edit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit action")
    revised = f"{action.description} (revised with the trust board)"
    page.get_by_label("Description").fill(revised)
    # The saved due date is shown in the form (it once came back empty and was lost).
    expect(page.get_by_label("Due date")).to_have_value(action.due_date.isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".tp-messages")).to_contain_text("Action saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text(revised)

    post = page.locator("form", has=page.get_by_role("button", name="Post update"))
    today = timezone.localdate().isoformat()
    expect(post.get_by_label("Date")).to_have_value(today)  # defaults to today
    post.get_by_label("Status").select_option(label="Off track")
    post.get_by_role("button", name="Post update").click()
    expect(
        page.get_by_text("Say why the action is off track: commentary is required.")
    ).to_be_visible()
    expect(post.get_by_label("Date")).to_have_value(today)  # kept when the form comes back
    post.get_by_label("Commentary").fill("The supplier withdrew; a new tender goes to the board.")
    post.get_by_role("button", name="Post update").click()
    expect(page.locator(".tp-messages")).to_contain_text("Progress posted: off track.")
    timeline = page.locator("ol.timeline li").first
    expect(timeline).to_contain_text("Off track")
    expect(timeline).to_contain_text("The supplier withdrew; a new tender goes to the board.")
    expect(page.locator("p", has=page.locator(".action-status")).first).to_contain_text("Off track")
    screenshot(page, "journey-3-central-off-track-update")

    page.get_by_role("link", name="Board overview").click()
    # expect retries: the overview the click opens may still be loading.
    expect(_off_track_cell(page, objective)).to_have_text(str(off_track_before + 1))
    page.get_by_role("link", name="My work").click()
    mine = page.locator("tr", has=page.get_by_role("link", name=revised, exact=True))
    expect(mine).to_contain_text("Off track")
    screenshot(page, "journey-3-owner-my-work")


def test_the_action_form_shows_the_saved_due_date(live_server, new_context, trust, cast):
    # Was a bug: type=date inputs got "17/05/2027", which browsers refuse, so the form showed
    # the due date empty and saving it unchanged cleared it.
    load_demo(trust, cast["central"])
    action = Action.objects.filter(objective__plan=trust, due_date__isnull=False).first()
    page = sign_in(new_context().new_page(), live_server.url, "t-central")
    page.goto(f"{live_server.url}/plan/actions/{action.pk}/edit/")
    expect(page.get_by_label("Due date")).to_have_value(action.due_date.isoformat(), timeout=1000)


def test_administrator_imports_a_workbook_after_fixing_its_error(
    live_server, new_context, cast, tmp_path
):
    header = ["KPI", "Aldersley High School", "Moreton School", "Amethyst Academies Trust"]
    sheet = "2024-25 Autumn"

    def workbook(name: str, moreton_attendance) -> str:
        rows = [
            header,
            ["2. Behaviour and Attitudes"],
            ["2.1 Attendance > 95%", 96.5, moreton_attendance, None],
            ["2.2 Persistence absence < xxxxx", 8, 11, None],
        ]
        return str(matrix_workbook(tmp_path / name, sheet, rows))

    page = sign_in(new_context().new_page(), live_server.url, "t-admin")
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a workbook")
    page.get_by_label("Workbook (.xlsx) or CSV file").set_input_files(
        workbook("attendance.xlsx", 105)
    )
    page.get_by_role("button", name="Preview the import").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Import preview: attendance.xlsx")
    problems = table(page, "Problems by sheet, row and column")
    expect(problems.locator("tbody tr")).to_have_count(1)
    expect(problems.locator("tbody tr td")).to_have_text(
        [sheet, "3", "C", "2.1 Attendance > 95%: 105 is above 100."]
    )
    expect(page.get_by_role("alert")).to_contain_text("nothing will be imported")
    expect(page.get_by_role("button", name="Confirm and import")).to_have_count(0)
    screenshot(page, "journey-4-import-preview-with-error")

    page.get_by_role("link", name="Upload a corrected file").click()
    page.get_by_label("Workbook (.xlsx) or CSV file").set_input_files(
        workbook("attendance-fixed.xlsx", 94.5)
    )
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Import preview: attendance-fixed.xlsx"
    )
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_text("KPI values to create:")).to_contain_text("4")
    expect(page.get_by_text("Periods to create:")).to_have_text(f"Periods to create: {OPEN_LABEL}")
    assert not Period.objects.filter(slug=OPEN).exists()  # nothing written before confirming
    screenshot(page, "journey-4-import-preview-clean")
    page.get_by_role("button", name="Confirm and import").click()
    expect(page.locator(".tp-messages")).to_contain_text("Imported attendance-fixed.xlsx")

    page.get_by_role("link", name="KPI matrix").click()
    page.get_by_label("Period").select_option(label=OPEN_LABEL)
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"period={OPEN}"))
    expected = {
        ("2.1 Attendance > 95%", "Aldersley High School"): ("green", "96.5%"),
        ("2.1 Attendance > 95%", "Moreton School"): ("amber", "94.5%"),
        # The workbook above uses the seed's wording; the matrix shows the display name.
        ("2.2 Persistent absence", "Aldersley High School"): ("green", "8%"),
        ("2.2 Persistent absence", "Moreton School"): ("amber", "11%"),
    }
    for (kpi, academy), (rag, shown) in expected.items():
        found = cell(page, MATRIX, kpi, academy)
        expect(found).to_have_class(re.compile(rf"\brag-{rag}\b"))
        expect(found.locator(".rag-value")).to_have_text(shown)
    screenshot(page, "journey-4-matrix-after-import")


def test_head_is_refused_another_academys_return(live_server, new_context, cast):
    open_period()
    page = sign_in(new_context().new_page(), live_server.url, "t-head-a")
    response = page.goto(f"{live_server.url}/entry/moreton-school/{OPEN}/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page).to_have_title(re.compile(r"^Not allowed – "))
    # Inside the site's layout: navigation, who is signed in, a way back.
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Board overview")).to_be_visible()
    expect(navigation).to_contain_text("Signed in as t-head-a")
    expect(page.get_by_role("main")).to_contain_text("does not have permission")
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    screenshot(page, "journey-5-head-not-allowed")
    page.get_by_role("link", name="Back to the board overview").click()
    expect(page).to_have_url(f"{live_server.url}/")
