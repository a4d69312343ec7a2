"""Accessibility in a real browser: axe-core (WCAG 2.2 AA rules) on every page, for every role
that can see it, with the demo data loaded so pages are full; screenshots of each page to
test-artifacts/; and the board overview and data entry at phone width.

One test per role: it signs in once and walks its pages (interactive states included: a return
with a validation error, an action form with errors, the import previews, a failed sign-in),
then reports every violation of every page together, naming page, rule and elements.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from plans.models import Action
from tests.academies.gias_files import school, write_gias
from tests.browser_support import load_demo, matrix_workbook, screenshot, sign_in
from tests.spreadsheets.plan_docs import plan_2019_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE = Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
FULL = "2023-24-spring"  # the demo period where every academy has values
OPEN = "2023-24-summer"  # the demo's open period: Aldersley has a draft
USERNAMES = {
    "trustee": "t-trustee",
    "governor": "t-governor",
    "head_a": "t-head-a",
    "central": "t-central",
    "admin": "t-admin",
}


@dataclass
class Visit:
    name: str
    url: str
    status: int = 200
    shot: bool = False  # save a screenshot (one role per page is enough)
    then: Callable[[Page], None] | None = None  # reach an interactive state before checking


def _bad_attendance(page: Page) -> None:
    page.get_by_label("2.1 Attendance > 95%", exact=True).fill("105")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert")).to_contain_text("105 is above 100")


def _off_track_without_words(page: Page) -> None:
    page.get_by_label("Status").select_option(label="Off track")
    page.get_by_role("button", name="Post update").click()
    expect(page.get_by_text("commentary is required")).to_be_visible()


def _empty_password_change(page: Page) -> None:
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()


def _wrong_password(page: Page) -> None:
    page.get_by_label("Username").fill("t-trustee")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").or_(page.locator(".alert"))).to_be_visible()


def _publish_without_a_meeting(page: Page) -> None:
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".invalid-feedback, .alert-danger").first).to_be_visible()


def _publish_a_pack(page: Page) -> None:
    """Central team publish the Trust Board's pack: the pack's own page follows."""
    page.locator("#id_meeting").fill("Trust Board, 12 March 2024")
    page.locator("#id_meeting_date").fill("2024-03-12")
    page.locator("#id_period").select_option(label="2023/24 Spring")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="Trust Board, 12 March 2024")).to_be_visible()


def _record_an_empty_inspection(page: Page) -> None:
    page.get_by_role("button", name="Record the inspection").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was recorded")


def _preview(workbook: Path) -> Callable[[Page], None]:
    def upload(page: Page) -> None:
        page.get_by_label("Workbook (.xlsx) or CSV file").set_input_files(str(workbook))
        page.get_by_role("button", name="Preview the import").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Import preview")

    return upload


def _gias_preview(path: Path) -> Callable[[Page], None]:
    def upload(page: Page) -> None:
        page.get_by_label("GIAS establishment fields file (.csv)").set_input_files(str(path))
        page.get_by_role("button", name="Preview the GIAS import").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("GIAS import preview")

    return upload


def _plan_preview(path: Path) -> Callable[[Page], None]:
    def upload(page: Page) -> None:
        page.get_by_label("Development plan: Word document (.docx)", exact=False).set_input_files(
            str(path)
        )
        page.get_by_label("New plan's years").fill("2019-2022")
        page.get_by_role("button", name="Preview the plan").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Plan import preview")

    return upload


def _gias_files(tmp_path: Path) -> tuple[Path, Path]:
    """A clean GIAS file of the demo trust (an update, a new academy, a closed one, another
    trust's school) and one with a bad date."""
    trust = "AMETHYST ACADEMIES TRUST"
    rows = [
        school("138001", "Aldersley High School", trust=trust, pupils="1084"),
        school("150001", "St Mary’s C of E Primary", trust=trust, phase="Primary", pupils="210"),
        school("126001", "Old Park Academy", trust=trust, status="Closed", closed="31-08-2019"),
        school("100500", "Moreton School", trust="BLACK COUNTRY LEARNING TRUST", pupils="480"),
    ]
    good = write_gias(tmp_path / "edubasealldata20260105.csv", rows)
    rows[1]["OpenDate"] = "2024-04-01"
    bad = write_gias(tmp_path / "edubasealldata-bad.csv", rows)
    return good, bad


def _board_pages(action: int, *, shots: bool = False) -> list[Visit]:
    """What every signed-in role reads."""
    return [
        Visit("board-overview", "/", shot=shots),
        Visit("kpi-matrix", f"/kpis/?period={FULL}", shot=shots),
        Visit("kpi-2.1", "/kpis/2.1/", shot=shots),
        Visit("scorecard", "/academies/aldersley-high-school/", shot=shots),
        Visit("plan", "/plan/", shot=shots),
        Visit("action", f"/plan/actions/{action}/", shot=shots),
        Visit("governance", "/plan/monitoring/", shot=shots),
        Visit("board-paper", "/plan/monitoring/board/", shot=shots),
        Visit("my-work", "/my/", shot=shots),
        Visit("board-papers", "/packs/", shot=shots),
        Visit("change-password", "/accounts/password_change/", shot=shots),
        Visit("404", "/no-such-page/", status=404, shot=shots),
    ]


def visits(role: str, action: int, tmp_path: Path) -> list[Visit]:
    if role == "anonymous":
        return [
            Visit("sign-in", "/accounts/login/", shot=True),
            Visit("sign-in-failed", "/accounts/login/", shot=True, then=_wrong_password),
        ]
    if role == "trustee":
        return [
            *_board_pages(action, shots=True),
            Visit(
                "change-password-errors",
                "/accounts/password_change/",
                shot=True,
                then=_empty_password_change,
            ),
            Visit("403", "/entry/", status=403, shot=True),
            Visit("inspections-read", "/entry/inspections/aldersley-high-school/", shot=True),
        ]
    if role == "governor":  # of Moreton: another academy's scorecard is a 404
        own = Visit("scorecard", "/academies/moreton-school/")
        pages = [own if visit.name == "scorecard" else visit for visit in _board_pages(action)]
        return [*pages, Visit("403", "/entry/", status=403)]
    if role == "head_a":
        entry = f"/entry/aldersley-high-school/{OPEN}/"
        return [
            *_board_pages(action),
            Visit("returns", "/entry/", shot=True),
            Visit("return", entry, shot=True),
            Visit("return-errors", entry, shot=True, then=_bad_attendance),
            Visit("403", f"/entry/moreton-school/{OPEN}/", status=403, shot=True),
            Visit("inspections", "/entry/inspections/aldersley-high-school/", shot=True),
            Visit(
                "inspections-errors",
                "/entry/inspections/aldersley-high-school/",
                shot=True,
                then=_record_an_empty_inspection,
            ),
        ]
    if role == "central":
        return [
            *_board_pages(action),
            Visit("plan-editing", "/plan/", shot=True),
            Visit("my-work", "/my/", shot=True),
            Visit("returns", "/entry/", shot=True),
            Visit("return-submitted", f"/entry/aldersley-high-school/{FULL}/", shot=True),
            Visit("return-draft", f"/entry/aldersley-high-school/{OPEN}/"),
            Visit("action-form", f"/plan/actions/{action}/", shot=True),
            Visit(
                "action-form-errors",
                f"/plan/actions/{action}/",
                shot=True,
                then=_off_track_without_words,
            ),
            Visit("action-edit", f"/plan/actions/{action}/edit/", shot=True),
            Visit("publish-pack", "/packs/publish/", shot=True),
            Visit(
                "publish-pack-errors", "/packs/publish/", shot=True, then=_publish_without_a_meeting
            ),
            Visit("published-pack", "/packs/publish/", shot=True, then=_publish_a_pack),
            Visit("403", "/import/", status=403),
        ]
    assert role == "admin"
    header = ["KPI", "Aldersley High School", "Moreton School", "Amethyst Academies Trust"]
    rows = [header, ["2. Behaviour and Attitudes"], ["2.1 Attendance > 95%", 96.5, 105, None]]
    bad = matrix_workbook(tmp_path / "bad.xlsx", "2023-24 Summer", rows)
    rows[2][2] = 94.5
    good = matrix_workbook(tmp_path / "good.xlsx", "2023-24 Summer", rows)
    gias_good, gias_bad = _gias_files(tmp_path)
    word_plan = tmp_path / "plan-2019-2022.docx"
    word_plan.write_bytes(plan_2019_document())
    return [
        *_board_pages(action),
        Visit("returns", "/entry/"),
        Visit("import", "/import/", shot=True),
        Visit("import-preview-problems", "/import/", shot=True, then=_preview(bad)),
        Visit("import-preview", "/import/", shot=True, then=_preview(good)),
        Visit("gias-import", "/import/gias/", shot=True),
        Visit("gias-preview", "/import/gias/", shot=True, then=_gias_preview(gias_good)),
        Visit("gias-preview-problems", "/import/gias/", shot=True, then=_gias_preview(gias_bad)),
        Visit("plan-import", "/import/plan/", shot=True),
        Visit("plan-import-preview", "/import/plan/", shot=True, then=_plan_preview(word_plan)),
    ]


def axe_violations(page: Page, where: str) -> list[str]:
    """Every WCAG 2.2 AA violation on the page, one line each with a few of its elements."""
    found = []
    for violation in AXE.run(page, options=AXE_OPTIONS).response["violations"]:
        nodes = violation["nodes"]
        examples = "; ".join(" ".join(map(str, node["target"])) for node in nodes[:3])
        why = nodes[0]["failureSummary"].splitlines()[-1].strip() if nodes else ""
        found.append(
            f"{where}: {violation['id']} ({violation['impact']}) {violation['help']} — "
            f"{len(nodes)} element(s), e.g. {examples} — {why}"
        )
    return found


def _demo_action(plan) -> int:
    """An action with linked KPIs, progress updates and monitors: the fullest action page."""
    return (
        Action.objects.filter(
            objective__plan=plan, kpis__isnull=False, updates__isnull=False, monitors__isnull=False
        )
        .order_by("objective__number", "position")
        .values_list("pk", flat=True)
        .first()
    )


@pytest.mark.parametrize("role", ["anonymous", "trustee", "governor", "head_a", "central", "admin"])
def test_every_page_has_no_wcag_violations(role, live_server, new_context, trust, cast, tmp_path):
    load_demo(trust, cast["central"])
    # axe is injected as a script: only this context may bypass the site's strict CSP.
    page = new_context(bypass_csp=True).new_page()
    if role != "anonymous":
        sign_in(page, live_server.url, USERNAMES[role])
    problems = []
    for visit in visits(role, _demo_action(trust), tmp_path):
        response = page.goto(f"{live_server.url}{visit.url}")
        assert response.status == visit.status, f"{role} {visit.url}: {response.status}"
        if visit.then:
            visit.then(page)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        problems += axe_violations(page, f"{visit.name} ({visit.url}) as {role}")
        if visit.shot:
            screenshot(page, f"a11y-{role}-{visit.name}")
    assert not problems, "axe found:\n" + "\n".join(problems)


def _fits(page: Page, width: int) -> None:
    """Nothing makes the page itself scroll sideways (tables scroll inside their wrapper)."""
    page.wait_for_load_state("load")  # stylesheets applied
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth]"
    )
    assert max(widths) <= width, f"{page.url} is {max(widths)} px wide at {width} px"


def _on_screen(page: Page, locator, width: int) -> None:
    locator.scroll_into_view_if_needed()
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box


def test_board_overview_and_data_entry_work_at_phone_width(live_server, new_context, trust, cast):
    load_demo(trust, cast["central"])
    width = 390
    page = new_context(
        viewport={"width": width, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    sign_in(page, live_server.url, "t-head-a")

    expect(page).to_have_url(f"{live_server.url}/")
    _fits(page, width)
    _on_screen(page, page.get_by_role("heading", level=1), width)
    # The navigation folds behind its toggle button and opens with a tap.
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="KPI matrix")).to_be_hidden()
    screenshot(page, "phone-board-overview", full_page=False)
    screenshot(page, "phone-board-overview-full")
    navigation.get_by_role("button", name="Show navigation").tap()
    expect(navigation.get_by_role("link", name="KPI matrix")).to_be_visible()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))  # opened
    screenshot(page, "phone-navigation-open", full_page=False)

    page.goto(f"{live_server.url}/entry/aldersley-high-school/{OPEN}/")
    _fits(page, width)
    _on_screen(page, page.get_by_role("heading", level=1), width)
    first_value = page.get_by_label("1.1 Attainment 8", exact=True)
    _on_screen(page, first_value, width)
    expect(first_value).to_be_editable()
    screenshot(page, "phone-return", full_page=False)
    submit = page.get_by_role("button", name="Submit return")
    _on_screen(page, submit, width)
    submit.click(trial=True)  # actionable: visible, enabled, not covered
    save = page.get_by_role("button", name="Save draft")
    _on_screen(page, save, width)
    screenshot(page, "phone-return-buttons", full_page=False)
    save.tap()
    expect(page.locator(".tp-messages")).to_contain_text("saved")
    _fits(page, width)
