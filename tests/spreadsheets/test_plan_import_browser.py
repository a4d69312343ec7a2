"""The plan import in Chromium (issue 20): an administrator uploads the 2019–2022 plan as a Word
document, reads the new plan's tree in the preview, confirms, and lands on the new draft plan;
axe (WCAG 2.2 AA) on the upload page, the preview, a preview with problems and one with
unknown owners."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from academies.services import read_fixture
from plans.models import Plan, PlanStatus
from tests.browser_support import screenshot, sign_in
from tests.spreadsheets.plan_docs import AMETHYST, amethyst_document, plan_2019_document
from tests.test_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FILE_LABEL = "Development plan: Word document (.docx) or plan sheet workbook (.xlsx)"


def _preview(page: Page, base: str, path, *, title: str = "", years: str = "") -> None:
    page.goto(f"{base}/import/plan/")
    page.get_by_label(FILE_LABEL).set_input_files(str(path))
    page.get_by_label("A new draft plan").check()
    page.get_by_label("New plan's title").fill(title)
    page.get_by_label("New plan's years").fill(years)
    page.get_by_role("button", name="Preview the plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plan import preview")


def test_a_new_plan_from_word_previewed_and_confirmed_in_chromium(
    live_server, new_context, trust, cast, tmp_path
):
    word = tmp_path / "trust-development-plan-2019-2022.docx"
    word.write_bytes(plan_2019_document())
    page = new_context(bypass_csp=True).new_page()  # axe is injected as a script
    sign_in(page, live_server.url, "t-admin")
    page.goto(f"{live_server.url}/import/plan/")
    problems = axe_violations(page, "plan import")

    _preview(
        page, live_server.url, word, title="Trust Development Plan 2019–2022", years="2019-2022"
    )
    tree = page.locator("section", has=page.get_by_role("heading", name="The plan as read"))
    expect(
        tree.get_by_role("heading", name="Key priority 1: Children and young people achieve")
    ).to_be_visible()
    expect(tree.get_by_text("Serving 1.1, 1.2, 1.3", exact=True)).to_be_visible()
    expect(tree.get_by_text("A Trust wide monitoring dashboard is created.")).to_be_visible()
    expect(page.get_by_text("Key priorities: 5 new")).to_be_visible()
    expect(page.get_by_role("heading", name="Where the document was ambiguous")).to_be_visible()
    problems += axe_violations(page, "plan preview (new plan)")
    screenshot(page, "plan-import-preview")
    assert Plan.objects.filter(title="Trust Development Plan 2019–2022").count() == 0

    page.get_by_role("button", name="Confirm and import").click()
    expect(page.get_by_role("alert").or_(page.locator(".alert-success")).first).to_contain_text(
        "Imported trust-development-plan-2019-2022.docx"
    )
    plan = Plan.objects.get(title="Trust Development Plan 2019–2022")
    assert plan.status == PlanStatus.DRAFT
    assert page.url.endswith(f"/plan/?plan={plan.pk}")

    # A document with an unknown header, and one naming an owner trustplan lacks.
    bad = tmp_path / "bad.docx"
    bad.write_bytes(amethyst_document(header=["Aim", "Action", "Lead", "Budget", "Monitored by"]))
    _preview(page, live_server.url, bad)
    expect(page.get_by_role("alert")).to_contain_text("“Budget” is not one a plan table has")
    problems += axe_violations(page, "plan preview (problems)")
    data = read_fixture(AMETHYST)
    data["objectives"][0]["aims"][0]["actions"][0]["responsibility"] = "NLJ"
    owners = tmp_path / "owners.docx"
    owners.write_bytes(amethyst_document(data))
    _preview(page, live_server.url, owners, title="Next plan 2025/26")
    expect(page.get_by_label("Create these owners (1)")).to_be_visible()
    problems += axe_violations(page, "plan preview (unknown owners)")
    screenshot(page, "plan-import-preview-owners")
    assert not problems, "axe found:\n" + "\n".join(problems)
