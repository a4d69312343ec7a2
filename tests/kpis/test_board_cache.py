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


def _moreton_sent_back_and_corrected(period, cast, attendance_value, note) -> Return:
    """Moreton School's return of the period sent back (a draft again) and its attendance
    saved by central team: nothing on the board changes until it is submitted again."""
    moreton = Academy.objects.get(slug="moreton-school")
    ret = Return.objects.get(academy=moreton, period=period)
    Return.objects.filter(pk=ret.pk).update(status=ReturnStatus.DRAFT)  # central sent it back
    ret.refresh_from_db()
    kpis = [k for k in KPI.objects.active().with_area() if k.applies_to(moreton)]
    attendance = next(k for k in kpis if k.code == "2.1")
    return_save(
        academy=moreton,
        period=period,
        user=cast["central"],
        kpis=kpis,
        values={attendance.pk: (attendance_value, False, note)},
        version=ret.version,
        was={},
    )
    ret.refresh_from_db()
    return ret


def test_a_submitted_return_changes_the_cached_matrix_at_once(client_for, cached, cast):
    client = client_for("trustee")
    url = reverse("kpis:matrix") + f"?period={cached.slug}"
    client.get(url)  # cache the matrix
    ret = _moreton_sent_back_and_corrected(cached, cast, Decimal("97.7"), "")
    assert "97.7%" not in client.get(url).content.decode()  # a draft: not on the board
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


# --- The matrix's judged academy columns (issue 19) ------------------------------------------


def _board_digest(period) -> str:
    """Every cell, group and trust figure and count of the period's matrix, as text."""
    import hashlib

    from kpis.selectors import PeriodIndex, board_matrix

    board = board_matrix(period, PeriodIndex())
    shown = []
    for row in board.rows:
        for cell in [*row.cells, *row.groups, row.trust]:
            shown.append(
                (
                    row.kpi.pk,
                    cell.academy.pk if cell.academy else None,
                    cell.group.pk if cell.group else None,
                    str(cell.value),
                    cell.judgement,
                    cell.trend,
                    str(cell.previous),
                    cell.is_demo,
                    cell.note,
                    cell.note_by,
                    cell.expected,
                    cell.reported,
                    cell.unreported,
                    cell.trend_note,
                    cell.target_words,
                    cell.exceptions,
                )
            )
    shown.append(
        sorted((str(k), sorted((str(o), n) for o, n in c.items())) for k, c in board.counts.items())
    )
    return hashlib.sha256(repr(shown).encode()).hexdigest()


def _values_fetches(context) -> list[str]:
    return [q["sql"] for q in context.captured_queries if '"kpis_kpivalue"."note"' in q["sql"]]


def test_after_a_submitted_return_the_matrix_judges_only_that_academys_column(cached, cast):
    """Each academy's judged column is kept under its own token: a submitted return of one
    academy fetches and judges that academy's values again, and the board is the same as one
    worked out from nothing."""
    from django.core.cache import cache

    moreton = Academy.objects.get(slug="moreton-school")
    before = _board_digest(cached)  # every column cached
    ret = _moreton_sent_back_and_corrected(cached, cast, Decimal("61.5"), "Flu outbreak")
    ret.status = ReturnStatus.SUBMITTED
    ret.save()  # submitted again: its values are on the board
    with CaptureQueriesContext(connection) as context:
        after = _board_digest(cached)
    fetches = _values_fetches(context)
    assert len(fetches) == 1
    assert f'"kpis_kpivalue"."academy_id" IN ({moreton.pk})' in fetches[0]
    assert after != before
    cache.clear()
    assert _board_digest(cached) == after  # the same board as from nothing


def test_a_second_matrix_with_every_column_cached_fetches_no_values(cached):
    _board_digest(cached)
    with CaptureQueriesContext(connection) as context:
        _board_digest(cached)
    assert _values_fetches(context) == []


def _target_edit():
    target = AcademyTarget.objects.get(kpi__code="2.1", academy__slug="penn-hall-school")
    target.target_value = Decimal("99")
    target.save()


def _kpi_edit():
    kpi = KPI.objects.get(code="2.1")
    kpi.target_value = Decimal("97")
    kpi.save()


def _national_figure():
    from kpis.models import NationalFigure

    kpi = KPI.objects.filter(target_kind="national").first() or KPI.objects.get(code="2.1")
    kpi.target_kind = "national"
    kpi.save()
    NationalFigure.objects.update_or_create(
        kpi=kpi, period=Period.objects.get(slug="2023-24-summer"), defaults={"value": 93}
    )


def _academy_phase():
    academy = Academy.objects.get(slug="moreton-school")
    academy.phase = "primary" if academy.phase != "primary" else "secondary"
    academy.save()  # the KPIs of the other phase no longer apply to it


def _value_correction():
    value = (
        KPIValue.objects.published()
        .filter(period__slug="2023-24-summer", value__isnull=False, kpi__measure="percentage")
        .first()
    )
    value.value = value.value + 7
    value.save()


def _previous_value_correction():
    value = (
        KPIValue.objects.published()
        .filter(period__slug="2023-24-spring", value__isnull=False, kpi__measure="percentage")
        .first()
    )
    value.value = value.value - 9
    value.save()


def _return_reopened():
    ret = Return.objects.filter(
        period__slug="2023-24-summer", status=ReturnStatus.SUBMITTED
    ).first()
    ret.status = ReturnStatus.DRAFT
    ret.save()


def _return_deleted():
    ret = Return.objects.get(period__slug="2023-24-summer", status=ReturnStatus.SUBMITTED)
    ret.delete()  # an administrator's deletion: its values leave the board


def _bulk_import(cast):
    from spreadsheets.importer import apply_import, prepare_import

    csv = b"KPI,Academy,Period,Value\n2.1,Penn Hall School,2023-24 Summer,41\n"
    preview = prepare_import(csv, "late.csv", state=ReturnStatus.SUBMITTED)
    assert preview.ok, [str(p) for p in preview.problems]
    apply_import(preview, user=cast["admin"])


@pytest.mark.parametrize(
    "change",
    [
        _target_edit,
        _kpi_edit,
        _national_figure,
        _academy_phase,
        _value_correction,
        _previous_value_correction,
        _return_reopened,
        _return_deleted,
        _bulk_import,
    ],
)
def test_every_kind_of_change_reaches_the_cached_columns(cached, cast, change):
    """After each way the board's figures can change, the matrix worked out from the cached
    columns is the one worked out from nothing (and differs from before the change)."""
    from django.core.cache import cache

    before = _board_digest(cached)  # every column cached
    if change is _bulk_import:
        change(cast)
    else:
        change()
    after = _board_digest(cached)
    cache.clear()
    assert _board_digest(cached) == after
    assert after != before


def test_after_one_academys_change_only_its_group_is_worked_out_again(cached, monkeypatch):
    """A group's cells are kept under its academies' column tokens: after a change to one
    academy's values, its group's figures (and the trust's) are worked out again, the other
    groups' read from the cache; the board is the one worked out from nothing."""
    from django.core.cache import cache

    from kpis import selectors
    from kpis.cache import bump_board_version
    from tests.board.test_groups import _make_groups

    _make_groups()
    bump_board_version()  # the academies were put in groups by a queryset update: no signal
    before = _board_digest(cached)
    worked: list[str | None] = []
    real = selectors._MatrixJudge.combined_cell

    def spy(self, kpi, at, figures, *, group=None):
        worked.append(group.slug if group else None)
        return real(self, kpi, at, figures, group=group)

    monkeypatch.setattr(selectors._MatrixJudge, "combined_cell", spy)
    moreton = Academy.objects.get(slug="moreton-school")
    value = (
        KPIValue.objects.published()
        .filter(academy=moreton, period=cached, value__isnull=False, kpi__measure="percentage")
        .first()
    )
    value.value = value.value - 30
    value.save()  # a correction of one of its values: its column's token replaced
    after = _board_digest(cached)
    assert {slug for slug in worked if slug} == {moreton.group.slug}
    assert None in worked  # the trust's figures are worked out again
    monkeypatch.undo()
    assert after != before
    cache.clear()
    assert _board_digest(cached) == after


def test_the_trust_cells_alone_are_the_matrixs_trust_column(cached):
    """kpis.selectors.trust_cells (the plan's KPI chips) gives every KPI the very trust cell
    board_matrix does, in every period, with the columns cached or not."""
    from django.core.cache import cache

    from kpis.selectors import PeriodIndex, board_matrix, trust_cells

    periods = PeriodIndex()
    for period in periods.periods:
        board = {row.kpi.pk: row.trust for row in board_matrix(period, periods).rows}
        assert trust_cells(period, periods) == board, period  # columns cached by the board
        cache.clear()
        assert trust_cells(period, periods) == board, period  # and worked out from nothing


def _overview(client, period) -> tuple[list[str], str]:
    """The overview's queries' SQL and its exceptions' HTML."""
    with CaptureQueriesContext(connection) as context:
        html = client.get(reverse("home") + f"?period={period.slug}").content.decode()
    return [q["sql"] for q in context.captured_queries], _exceptions(html)


def _lead_action_naming_a_red_academy(period):
    """A plan action linked to a KPI that one academy is red on, naming that academy (so the
    overview leads the KPI's exceptions with it and names the academy beside it)."""
    from kpis.selectors import PeriodIndex, board_matrix
    from plans.models import Action

    row, cell = next(
        (row, cell)
        for row, cell in board_matrix(period, PeriodIndex()).exceptions()
        if cell.outcome == "red"
    )
    action = Action.objects.filter(objective__plan__status="active").first()
    action.kpis.set([row.kpi])
    action.academies.set([cell.academy])
    return action, cell.academy


def test_after_a_submitted_return_the_overview_reads_its_linked_actions_from_the_cache(
    client_for, cached, cast
):
    """The linked actions are kept under the plan's token and the board's trust-wide one, not
    the academies' own: a submitted return makes the overview's exceptions again without
    fetching the plan's actions, and they read as they would from nothing."""
    from django.core.cache import cache

    client = client_for("trustee")
    for value, note in [("61.5", "Flu outbreak"), ("60.5", "Flu outbreak, second week")]:
        # Moreton's attendance red: first a new exception (a KPI the linked actions are then
        # fetched for), then corrected again, the same KPIs red.
        ret = _moreton_sent_back_and_corrected(cached, cast, Decimal(value), note)
        ret.status = ReturnStatus.SUBMITTED
        ret.save()
        queries, html = _overview(client, cached)
        assert note in html  # the exceptions were made again
    assert not [sql for sql in queries if "plans_action_kpis" in sql]
    cache.clear()
    queries, fresh = _overview(client, cached)
    assert [sql for sql in queries if "plans_action_kpis" in sql]
    assert fresh == html


def test_the_overviews_cached_linked_actions_follow_a_rename_and_a_progress_update(
    client_for, cached, cast
):
    from plans.models import ProgressUpdate

    client = client_for("trustee")
    spring = Period.objects.get(slug="2023-24-spring")  # closed: its exceptions are judged
    action, academy = _lead_action_naming_a_red_academy(spring)
    _, html = _overview(client, spring)
    assert f"{action}</a> ({academy.name})" in html
    academy.name = "Renamed Academy"
    academy.save()  # the trust-wide token: the actions' academy names fetched again
    _, html = _overview(client, spring)
    assert f"{action}</a> (Renamed Academy)" in html
    ProgressUpdate.objects.create(
        action=action,
        status="off_track",  # it stays the most relevant of the KPI's actions
        commentary="Attendance officer appointed",
        author=cast["central"],
    )
    _, html = _overview(client, spring)
    assert "Attendance officer appointed" in html
