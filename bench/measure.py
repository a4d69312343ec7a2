"""Measurements inside one Django process against one (already generated) database.

Run by bench/run.py as `python bench/measure.py pages|import-export|export|pack` with DATABASE_URL
set; prints one JSON object. Timings are medians of repeated runs taken in the same process.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustplan.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from entry_form import form_data  # noqa: E402 - bench/, the script's own folder

from academies.models import RoleAssignment  # noqa: E402
from kpis.models import KPI, Academy, KPIValue, Period  # noqa: E402

REPEATS = 7


def _median_ms(function, repeats: int = REPEATS) -> float:
    function()  # warm-up (and cache fill)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def _client(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def pages() -> dict:
    periods = list(Period.objects.order_by("year_start", "term"))
    board_period = next(p for p in reversed(periods) if not p.is_open)
    open_period = periods[-1]
    head_role = RoleAssignment.objects.heads().select_related("user", "academy").first()
    academy = head_role.academy
    trustee = _client("scale-user-000")
    head = _client(head_role.user.username)
    urls = {
        "home": "/",
        "kpis": f"/kpis/?period={board_period.slug}",
        "scorecard": f"/academies/{academy.slug}/",
        "entry_get": f"/entry/{academy.slug}/{open_period.slug}/",
        "plan": "/plan/",
    }
    results: dict[str, float | int] = {}
    for key, url in urls.items():
        client = head if key.startswith("entry") else trustee
        client.get(url)  # warm
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        results[f"queries.{key}"] = len(context.captured_queries)
        results[f"median_ms.{key}"] = _median_ms(lambda c=client, u=url: c.get(u))
        # The same page with every cache empty: the first visit after a change to the data.
        cache.clear()
        with CaptureQueriesContext(connection) as context:
            client.get(url)
        results[f"queries.{key}_uncached"] = len(context.captured_queries)
        results[f"median_ms.{key}_uncached"] = _median_ms(
            lambda c=client, u=url: (cache.clear(), c.get(u)), repeats=5
        )

    entry_url = urls["entry_get"]

    def post_entry() -> int:
        data = form_data(head.get(entry_url).content.decode())
        with CaptureQueriesContext(connection) as context:
            response = head.post(entry_url, data)
        assert response.status_code == 302, response.status_code
        return len(context.captured_queries)

    results["queries.entry_post"] = post_entry()
    results["median_ms.entry_post"] = _median_ms(post_entry)

    # The matrix page against the bare fetch of the same cells, alternately, same process:
    # cached, with every cache empty, and after one academy's submitted return (the board's
    # token and that academy's column token replaced, as the return service's save does:
    # kpis.cache; its column is judged again, the other 149 read from the cache).
    from kpis.cache import bump_board_version

    page_times, cold_times, return_times, fetch_times = [], [], [], []
    kpis_url = urls["kpis"]
    trustee.get(kpis_url)
    for _ in range(9):
        start = time.perf_counter()
        trustee.get(kpis_url)
        page_times.append(time.perf_counter() - start)
        cache.clear()
        start = time.perf_counter()
        trustee.get(kpis_url)
        cold_times.append(time.perf_counter() - start)
        bump_board_version(academy.pk)
        start = time.perf_counter()
        trustee.get(kpis_url)
        return_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        list(
            KPIValue.objects.filter(period=board_period).values_list(
                "kpi_id", "academy_id", "value"
            )
        )
        fetch_times.append(time.perf_counter() - start)
    page_ms = statistics.median(page_times) * 1000
    fetch_ms = statistics.median(fetch_times) * 1000
    results["board_matrix_ms"] = round(page_ms, 1)
    results["bare_fetch_ms"] = round(fetch_ms, 1)
    results["board_matrix_overhead_ratio"] = round(page_ms / fetch_ms, 2)
    cold_ms = statistics.median(cold_times) * 1000
    results["board_matrix_uncached_ms"] = round(cold_ms, 1)
    results["board_matrix_overhead_ratio_uncached"] = round(cold_ms / fetch_ms, 2)
    after_return_ms = statistics.median(return_times) * 1000
    results["board_matrix_after_return_ms"] = round(after_return_ms, 1)
    results["board_matrix_overhead_ratio_after_return"] = round(after_return_ms / fetch_ms, 2)
    results["cells"] = KPI.objects.count() * Academy.objects.count()
    return results


def import_export_rate(rows: int) -> dict:
    """django-import-export's default ModelResource importing the same long rows (undone)."""
    import tablib
    from import_export import resources

    class ValueResource(resources.ModelResource):
        class Meta:
            model = KPIValue
            fields = ("id", "kpi", "academy", "period", "value")

    dataset = tablib.Dataset(headers=["id", "kpi", "academy", "period", "value"])
    kpis = list(KPI.objects.values_list("pk", flat=True))
    academies = list(Academy.objects.values_list("pk", flat=True))
    period = Period.objects.create(year_start=2150, term=1, slug="2150-51-autumn")
    count = 0
    for kpi in kpis:
        for academy in academies:
            dataset.append(["", kpi, academy, period.pk, "95"])
            count += 1
            if count >= rows:
                break
        if count >= rows:
            break
    start = time.perf_counter()
    with transaction.atomic():
        result = ValueResource().import_data(dataset, dry_run=False, use_transactions=False)
        assert not result.has_errors() and not result.has_validation_errors()
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    period.delete()
    return {"import_export_rows": count, "import_export_rows_per_s": round(count / elapsed, 1)}


def export() -> dict:
    from spreadsheets.export import board_pack

    period = Period.objects.filter(is_open=False).order_by("-year_start", "-term").first()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        data = board_pack(period)
        times.append(time.perf_counter() - start)
    return {"export.board_pack_s": round(statistics.median(times), 2), "export.bytes": len(data)}


def pack() -> dict:
    """The PDF board pack of the board's period (papers.pack), median of three in this
    process (the first, which also loads WeasyPrint's fonts, reported beside it)."""
    from kpis.selectors import PeriodIndex, default_period
    from papers.pack import board_pack_pdf

    period = default_period(PeriodIndex())
    times = []
    for _ in range(3):
        start = time.perf_counter()
        data = board_pack_pdf(period, produced_by="bench")
        times.append(time.perf_counter() - start)
    return {
        "pack.demo_s": round(statistics.median(times), 2),
        "pack.demo_first_s": round(times[0], 2),
        "pack.demo_bytes": len(data),
    }


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "pages":
        output = pages()
    elif command == "import-export":
        output = import_export_rate(int(sys.argv[2]))
    elif command == "pack":
        output = pack()
    else:
        output = export()
    print(json.dumps(output))
