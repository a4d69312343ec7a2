"""The board in a real browser (issue 19): Chromium (Debian's, through Playwright) against
gunicorn on the full-scale trust.

For the sign-in page (the floor) and each board page — `/`, `/kpis/`, a KPI's page, `/plan/`
and a scorecard — it reports DOMContentLoaded on the first visit after a change and on the
second visit (cached), the number of elements, and the HTML's size raw and as gzip sends it;
each time as a ratio to the sign-in page's second visit in the same run (measured before and
after the pages). Medians of ROUNDS rounds. Run by bench/run.py (`python bench/run.py browser`
alone).

The first visit is measured after each kind of change, as the caches see it:
- ``first_after_return``: one academy's submitted return (the board's version token and that
  academy's column token replaced, as the return service's save does: kpis.cache);
- ``first_after_plan_edit``: a plan edit or progress update (the plan's token replaced);
- ``first``: the slower of those two, the figure the target reads;
- ``first_after_both``: the board's (every column's) and the plan's tokens at once, as an
  import of a plan sheet does (every cache of these pages cold), reported beside them.
"""

from __future__ import annotations

import gzip
import statistics
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROUNDS = 5
# DOMContentLoaded from the navigation's start, in ms (the Navigation Timing entry).
DCL = "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
ELEMENTS = "() => document.getElementsByTagName('*').length"
# What each kind of change does to the caches (the version tokens it replaces).
CHANGES = {
    # One academy's return: the board's token and that academy's column token.
    "return": (
        "from academies.models import Academy; from kpis.cache import bump_board_version; "
        "bump_board_version(Academy.objects.active().first().pk)"
    ),
    "plan_edit": "from plans.cache import bump_plan_version; bump_plan_version()",
    "both": (
        "from kpis.cache import bump_board_version; from plans.cache import bump_plan_version; "
        "bump_board_version(); bump_plan_version()"
    ),
}


def _size(url: str, cookies: dict[str, str]) -> tuple[int, int]:
    """(raw bytes, bytes on the wire with Accept-Encoding: gzip) of one page."""
    request = urllib.request.Request(
        url,
        headers={
            "Accept-Encoding": "gzip",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        },
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
        encoded = response.headers.get("Content-Encoding") == "gzip"
    return (len(gzip.decompress(body)) if encoded else len(body)), len(body)


def browser_pass(
    base: str, pages: dict[str, str], username: str, bump: Callable[[str], None]
) -> dict:
    """Everything above, for ``pages`` (name → path) signed in as ``username`` (password
    "trustplan", generate_scale_data's)."""
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()

            def visit(path: str) -> float:
                response = page.goto(base + path, wait_until="domcontentloaded", timeout=180_000)
                assert response is not None and response.status == 200, (path, response)
                return float(page.evaluate(DCL))

            floor_first, floor = [], []

            def sign_in_page() -> None:
                """The floor: the sign-in page, signed out, first and second visit."""
                context.clear_cookies()
                for _ in range(ROUNDS):
                    floor_first.append(visit("/accounts/login/"))
                    floor.append(visit("/accounts/login/"))

            sign_in_page()
            results["browser.signin.elements"] = page.evaluate(ELEMENTS)
            signin_raw, signin_gz = _size(base + "/accounts/login/", {})
            results["browser.signin.html_kb"] = round(signin_raw / 1024, 1)
            results["browser.signin.html_gzip_kb"] = round(signin_gz / 1024, 1)

            page.fill("#id_username", username)
            page.fill("#id_password", "trustplan")
            with page.expect_navigation():
                page.click("form [type=submit]")
            cookies = {c["name"]: c["value"] for c in context.cookies()}
            measured: dict[str, tuple[dict[str, list[float]], list[float]]] = {}
            for name, path in pages.items():
                firsts: dict[str, list[float]] = {change: [] for change in CHANGES}
                seconds = []
                for _ in range(ROUNDS):
                    for change in CHANGES:
                        bump(change)
                        firsts[change].append(visit(path))
                    seconds.append(visit(path))
                measured[name] = (firsts, seconds)
                raw, gz = _size(base + path, cookies)
                key = f"browser.{name}"
                results[f"{key}.elements"] = page.evaluate(ELEMENTS)
                results[f"{key}.html_kb"] = round(raw / 1024, 1)
                results[f"{key}.html_gzip_kb"] = round(gz / 1024, 1)
            # The floor again after the pages, so that a machine busier at one end of the run
            # than at the other moves the floor as it moves the pages.
            sign_in_page()
            floor_ms = statistics.median(floor)
            results["browser.signin.second_ms"] = round(floor_ms, 1)
            results["browser.signin.first_ms"] = round(statistics.median(floor_first), 1)
            for name, (firsts, seconds) in measured.items():
                key = f"browser.{name}"
                after = {change: statistics.median(times) for change, times in firsts.items()}
                for change, ms in after.items():
                    results[f"{key}.first_after_{change}_ms"] = round(ms, 1)
                    results[f"{key}.first_after_{change}_ratio"] = round(ms / floor_ms, 1)
                first = max(after["return"], after["plan_edit"])
                second = statistics.median(seconds)
                results[f"{key}.first_ms"] = round(first, 1)
                results[f"{key}.second_ms"] = round(second, 1)
                results[f"{key}.first_ratio"] = round(first / floor_ms, 1)
                results[f"{key}.second_ratio"] = round(second / floor_ms, 1)
        finally:
            browser.close()
    return results


def bumper(python: str, root: Path, env: dict) -> Callable[[str], None]:
    """Replaces the version tokens a change of a kind in CHANGES replaces (a manage.py
    shell)."""

    def bump(change: str) -> None:
        subprocess.run(
            [python, "manage.py", "shell", "-c", CHANGES[change]],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
        )
        time.sleep(0.05)

    return bump
