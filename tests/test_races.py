"""Races: two people doing conflicting things at the same moment, on real connections.

Each test starts its contenders together on their own threads (each thread has its own
database connection), a fixed number of rounds, seconds not minutes. The rules: exactly the
outcomes the app allows (one wins, the other gets a clear conflict message), never a server
error or an unexpected exception, and the data is consistent afterwards. They run on SQLite
(a file database in WAL mode, as in production) and on PostgreSQL (the PostgreSQL pass of
.ci/run), where they are real concurrent transactions.
"""

# ruff: noqa: B023 - each contender runs within the loop iteration that defines it.

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from academies.models import Academy
from kpis.models import KPI, KPIValue, Period, Return, ReturnStatus, Term
from kpis.returns import (
    ReturnConflict,
    ReturnError,
    period_set_open,
    return_approve,
    return_save,
    return_send_back,
)
from plans.models import Aim, StrategicObjective

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 6
EXPECTED = (ReturnConflict, ReturnError)


def together(*calls, expected=EXPECTED, timeout: float = 30):
    """Run the calls at the same moment, one thread each; their results or expected errors.

    Any other exception (IntegrityError, "database is locked", a deadlock) fails the test.
    """
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout)
            results[index] = call()
        except BaseException as error:  # noqa: BLE001 - reported below
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a contender hung"
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, expected)
    ]
    assert not unexpected, f"unexpected errors: {unexpected!r}"
    return results


def _failed(results) -> list:
    return [r for r in results if isinstance(r, BaseException)]


@pytest.fixture
def period(trust):
    return Period.objects.create(year_start=2024, term=Term.AUTUMN, is_open=True)


@pytest.fixture
def kpis(trust):
    return list(KPI.objects.filter(code__in=["2.1", "2.3"]).order_by("code"))


def _values(kpis, number) -> dict:
    return {kpi.pk: (Decimal(number), False, "") for kpi in kpis}


def _save(academy, period, user, kpis, number, version, submit=False):
    return lambda: return_save(
        academy=academy,
        period=period,
        user=user,
        kpis=kpis,
        values=_values(kpis, number),
        version=version,
        was={},
        submit=submit,
    )


def test_save_vs_save_one_wins_the_other_is_told(trust, cast, period, kpis):
    academies = list(Academy.objects.order_by("pk")[:ROUNDS])
    for academy in academies:
        # A new return (both open the empty form: version 0), then the existing one.
        for version in (0, 1):
            results = together(
                _save(academy, period, cast["central"], kpis, 11, version),
                _save(academy, period, cast["admin"], kpis, 22, version),
            )
            assert len(_failed(results)) == 1, results
            winner = 11 if not isinstance(results[0], BaseException) else 22
            ret = Return.objects.get(academy=academy, period=period)
            assert ret.version == version + 1
            stored = KPIValue.objects.filter(academy=academy, period=period)
            assert sorted(stored.values_list("value", flat=True)) == [Decimal(winner)] * 2


def test_approve_vs_send_back_and_submit_vs_approve(trust, cast, period, kpis, academy_a):
    head, central, admin = cast["head_a"], cast["central"], cast["admin"]
    for _ in range(ROUNDS):
        ret = Return.objects.filter(academy=academy_a, period=period).first()
        version = ret.version if ret else 0
        # The head submits; a central team member approves from a page opened before it.
        stale = Return.objects.filter(academy=academy_a, period=period).first()
        results = together(
            _save(academy_a, period, head, kpis, 96, version, submit=True),
            lambda: return_approve(
                ret=stale or Return(academy=academy_a, period=period), user=central, version=version
            ),
            expected=(*EXPECTED, ValueError),
        )
        assert not isinstance(results[0], BaseException), results
        ret = Return.objects.get(academy=academy_a, period=period)
        assert ret.status == ReturnStatus.SUBMITTED  # never approved unseen
        # Two of central team decide at once: approve and send back, from the same version.
        results = together(
            lambda: return_approve(
                ret=Return.objects.get(pk=ret.pk), user=central, version=ret.version
            ),
            lambda: return_send_back(
                ret=Return.objects.get(pk=ret.pk),
                user=admin,
                version=ret.version,
                reason="Check 2.3",
            ),
        )
        assert len(_failed(results)) == 1, results
        final = Return.objects.get(pk=ret.pk)
        assert final.version == ret.version + 1
        won = (
            ReturnStatus.APPROVED
            if not isinstance(results[0], BaseException)
            else ReturnStatus.SENT_BACK
        )
        assert final.status == won
        if final.status == ReturnStatus.APPROVED:
            return_send_back(ret=final, user=central, version=final.version, reason="Next round")


def test_save_vs_closing_the_period(trust, cast, kpis, academy_a):
    """A head's save and central team closing the period: a value never lands after closing."""
    for round_ in range(ROUNDS):
        period = Period.objects.create(year_start=2010 + round_, term=Term.SPRING, is_open=True)
        # As the entry view does: the period is read when the request starts.
        stale = Period.objects.get(pk=period.pk)
        closed_at: list[float] = []
        save_began: list[float] = []

        def close(period=period):
            period_set_open(period=Period.objects.get(pk=period.pk), is_open=False)
            closed_at.append(time.monotonic())

        def save(stale=stale, round_=round_):
            if round_ % 2:  # every other round the save comes just after the close
                time.sleep(0.2)
            save_began.append(time.monotonic())
            return _save(academy_a, stale, cast["head_a"], kpis, 90, 0)()

        results = together(save, close)
        saved = not isinstance(results[0], BaseException)
        if saved:
            assert save_began[0] < closed_at[0], "a value was saved after the period was closed"
            assert KPIValue.objects.filter(period=period).count() == len(kpis)
        else:
            assert "closed for entry" in str(results[0])
            assert not KPIValue.objects.filter(period=period).exists()
            assert not Return.objects.filter(period=period).exists()
        assert not Period.objects.get(pk=period.pk).is_open


def _mover(user, kind, pk, direction):
    def move():
        client = Client()
        client.force_login(user)
        return client.post(reverse("plans:move", args=[kind, pk]), {"direction": direction})

    return move


@pytest.mark.parametrize("kind", ["objective", "aim", "action"])
def test_two_moves_at_once_never_break(trust, cast, kind):
    if kind == "objective":
        parent, field = trust, "number"
        rows = lambda: StrategicObjective.objects.filter(plan=trust)  # noqa: E731
    else:
        parent = max(trust.objectives.all(), key=lambda o: o.aims.count() + o.actions.count())
        field = "position"
        model = Aim if kind == "aim" else parent.actions.model
        rows = lambda: model.objects.filter(objective=parent)  # noqa: E731
    assert rows().count() >= 3, parent
    for round_ in range(ROUNDS):
        ordered = list(rows().order_by(field, "pk"))
        first, second = ordered[round_ % 2], ordered[round_ % 2 + 1]
        results = together(
            _mover(cast["central"], kind, first.pk, "down"),
            _mover(cast["admin"], kind, second.pk, "up"),
        )
        assert [r.status_code for r in results] == [302, 302]
        positions = sorted(rows().values_list(field, flat=True))
        assert positions == list(range(positions[0], positions[0] + len(positions))), positions
        assert len(set(positions)) == len(ordered)


def _workbook(value) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "2024-25 Autumn"
    sheet.append(["KPI", "Aldersley High School", "Moreton School"])
    sheet.append(["2.1 Attendance > 95%", value, value])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_import_confirmed_after_a_heads_save_refuses(
    trust, cast, period, academy_a, settings, tmp_path
):
    """The head saves between the preview and the confirm: the import refuses, naming whose."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.TRUSTPLAN_IMPORT_DIR = tmp_path
    attendance = KPI.objects.get(code="2.1")
    admin = Client()
    admin.force_login(cast["admin"])
    upload = SimpleUploadedFile("returns.xlsx", _workbook(91))
    response = admin.post(reverse("imports:upload"), {"file": upload, "state": "submitted"})
    assert response.status_code == 200
    token = admin.session["import"]["token"]
    _save(academy_a, period, cast["head_a"], [attendance], 97, 0)()
    response = admin.post(reverse("imports:confirm"), {"token": token}, follow=True)
    text = response.content.decode()
    assert "Aldersley High School" in text and "changed by t-head-a after the preview" in text
    assert "Nothing was imported" in text
    assert KPIValue.objects.get(academy=academy_a, period=period, kpi=attendance).value == 97
    assert not KPIValue.objects.filter(period=period).exclude(academy=academy_a).exists()


def test_import_confirm_vs_a_heads_save(trust, cast, period, academy_a):
    from spreadsheets.importer import ImportConflict, apply_import, prepare_import

    attendance = KPI.objects.get(code="2.1")
    for round_ in range(ROUNDS):
        ret = Return.objects.filter(academy=academy_a, period=period).first()
        if ret is not None and ret.status != ReturnStatus.DRAFT:
            ret.status = ReturnStatus.DRAFT
            ret.save()
        version = Return.objects.get(pk=ret.pk).version if ret else 0
        others = KPIValue.objects.filter(period=period, kpi=attendance).exclude(academy=academy_a)
        before = list(others.values_list("value", flat=True))
        preview = prepare_import(_workbook(80 + round_), "returns.xlsx", state="submitted")
        assert preview.ok and preview.creates + preview.updates, preview.problems
        results = together(
            lambda preview=preview: apply_import(preview, user=cast["admin"]),
            _save(academy_a, period, cast["head_a"], [attendance], 60 + round_, version),
            expected=(*EXPECTED, ImportConflict),
        )
        assert len(_failed(results)) == 1, results
        stored = KPIValue.objects.get(academy=academy_a, period=period, kpi=attendance).value
        imported = not isinstance(results[0], BaseException)
        assert stored == (80 + round_ if imported else 60 + round_)
        after = list(others.values_list("value", flat=True))
        # All or nothing: Moreton's value from the same file lands only with Aldersley's.
        assert after == ([80 + round_] if imported else before)
