"""Helpers shared by the browser tests (journeys, accessibility): signing in, demo data, tables,
workbooks and screenshots. Playwright drives Debian's Chromium (see conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook
from playwright.sync_api import Locator, Page, expect

from academies.models import Owner
from demo.progress import generate_demo_progress
from demo.values import generate_demo_values
from tests.conftest import PASSWORD

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def sign_in(page: Page, base_url: str, username: str) -> Page:
    """Sign in through the login form, as a person would; returns the page on the board."""
    page.context.set_default_timeout(10_000)  # a local server: fail in seconds, not 30
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    return page


def load_demo(plan, central_user) -> None:
    """`make demo`'s data: values for 2022/23–2023/24 (2023/24 summer open), progress updates,
    and owner NLI linked to the central team member (so /my/ lists NLI's actions)."""
    Owner.objects.filter(code="NLI").update(user=central_user)
    generate_demo_values()
    generate_demo_progress(plan=plan, author=central_user)


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG under test-artifacts/ (git-ignored) to look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def table(page: Page, caption: str) -> Locator:
    """The table whose caption contains this text (every table on the site has a caption)."""
    return page.locator("table", has=page.locator("caption", has_text=caption))


def cell(page: Page, caption: str, row: str, column: str) -> Locator:
    """One cell of a captioned table, by the text its row header starts with and the exact
    text of its column header (first header row)."""
    grid = table(page, caption)
    header_cells = grid.locator("thead tr").first.locator("th")
    header_cells.first.wait_for()  # all_inner_texts does not wait for a page still loading
    headers = [text.strip() for text in header_cells.all_inner_texts()]
    assert column in headers, f"no column {column!r} in {headers}"
    row_header = page.locator("th", has_text=re.compile(r"^\s*" + re.escape(row)))
    return (
        grid.locator("tbody tr", has=row_header).first.locator("th, td").nth(headers.index(column))
    )


def matrix_workbook(path: Path, sheet: str, rows: list[list]) -> Path:
    """A KPI matrix laid out like the trust's own table: a header row naming the academies, an
    area row, then one row per KPI ("2.1 Attendance > 95%", values...)."""
    book = Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path
