"""The board's fragment cache: used when nothing changed, never stale after a change."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.values import generate_demo_values
from kpis.models import KPI, Academy, AcademyTarget, KPIValue, Period, Return, ReturnStatus
from kpis.returns import return_save
from tests.cache_backends import BACKENDS, use_cache


@pytest.fixture(params=BACKENDS)
def cached(request, settings, trust):
    """The per-process cache, then the real Redis (as with REDIS_URL)."""
    use_cache(settings, request.param, "t")
    generate_demo_values()
    return Period.objects.get(slug="2023-24-summer")


def _queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as context:
        html = client.get(url).content.decode()
    # The sign-out form's CSRF token differs per response; nothing else may.
    return len(context.captured_queries), re.sub(r'csrfmiddlewaretoken" value="[^"]+"', "", html)


def _exceptions(html: str) -> str:
    return html.split('id="exceptions-heading"')[1].split('id="returns-heading"')[0]


def test_a_second_visit_uses_the_cached_matrix(client_for, cached):
    client = client_for("trustee")
    url = reverse("kpis:matrix") + "?period=2023-24-autumn"
    first, html = _queries(client, url)
    second, again = _queries(client, url)
    assert second < first
    assert again == html


def test_a_submitted_return_changes_the_cached_matrix_at_once(client_for, cached, cast):
    client = client_for("trustee")
    moreton = Academy.objects.get(slug="moreton-school")
    url = reverse("kpis:matrix") + f"?period={cached.slug}"
    client.get(url)  # cache the matrix
    kpis = [k for k in KPI.objects.active().with_area() if k.applies_to(moreton)]
    ret = Return.objects.get(academy=moreton, period=cached)
    Return.objects.filter(pk=ret.pk).update(status=ReturnStatus.DRAFT)  # central sent it back
    attendance = next(k for k in kpis if k.code == "2.1")
    return_save(
        academy=moreton,
        period=cached,
        user=cast["central"],
        kpis=kpis,
        values={attendance.pk: (Decimal("97.7"), False, "")},
        version=ret.version,
        was={},
        submit=False,
    )
    assert "97.7%" not in client.get(url).content.decode()  # a draft: not on the board
    ret.refresh_from_db()
    ret.status = ReturnStatus.SUBMITTED
    ret.save()
    assert "97.7%" in client.get(url).content.decode()


def test_an_admin_edit_of_a_target_changes_the_cached_matrix(client_for, cached):
    client = client_for("trustee")
    url = reverse("kpis:matrix") + "?period=2023-24-autumn"
    before = client.get(url).content.decode()
    target = AcademyTarget.objects.get(kpi__code="2.1", academy__slug="penn-hall-school")
    target.target_value = Decimal("99")
    target.save()
    after = client.get(url).content.decode()
    assert after != before
    assert "at least 99%" in after


def test_an_import_changes_the_cached_overview(client_for, cached, cast):
    from spreadsheets.importer import apply_import, prepare_import

    client = client_for("trustee")
    url = reverse("home") + "?period=2023-24-summer"
    assert "41%" not in _exceptions(client.get(url).content.decode())
    csv = b"KPI,Academy,Period,Value\n2.1,Penn Hall School,2023-24 Summer,41\n"
    preview = prepare_import(csv, "late.csv", state=ReturnStatus.SUBMITTED)
    assert preview.ok, [str(p) for p in preview.problems]
    apply_import(preview, user=cast["admin"])
    assert KPIValue.objects.get(
        kpi__code="2.1", academy__slug="penn-hall-school", period=cached
    ).value == Decimal("41")
    exceptions = _exceptions(client.get(url).content.decode())
    assert "41% is below the target of at least 90%" in exceptions


def test_saving_a_draft_keeps_the_cached_board(client_for, cached, cast):
    from kpis.cache import board_version

    aldersley = Academy.objects.get(slug="aldersley-high-school")
    ret = Return.objects.get(academy=aldersley, period=cached)
    assert ret.status == ReturnStatus.DRAFT
    kpis = [k for k in KPI.objects.active().with_area() if k.applies_to(aldersley)]
    attendance = next(k for k in kpis if k.code == "2.1")
    token = board_version()
    return_save(
        academy=aldersley,
        period=cached,
        user=cast["head_a"],
        kpis=kpis,
        values={attendance.pk: (Decimal("96.6"), False, "")},
        version=ret.version,
        was={},
    )
    assert board_version() == token  # a draft is not on the board: nothing to invalidate
    ret.refresh_from_db()
    return_save(
        academy=aldersley,
        period=cached,
        user=cast["head_a"],
        kpis=kpis,
        values={},
        version=ret.version,
        was={},
        submit=False,
    )
    ret.refresh_from_db()
    ret.status = ReturnStatus.SUBMITTED
    ret.save()
    assert board_version() != token  # submitting publishes it
