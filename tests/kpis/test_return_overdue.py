"""A return is overdue in one place (Period.return_overdue), which /my/ asks: past the period's
due date and neither submitted nor approved (a return not started counts)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from kpis.models import Period, Return, ReturnStatus, Term

TODAY = datetime.date(2024, 11, 15)


@pytest.mark.parametrize(
    ("due", "status", "overdue"),
    [
        (TODAY - datetime.timedelta(days=1), None, True),  # not started
        (TODAY - datetime.timedelta(days=1), ReturnStatus.DRAFT, True),
        (TODAY - datetime.timedelta(days=1), ReturnStatus.SENT_BACK, True),
        (TODAY - datetime.timedelta(days=1), ReturnStatus.SUBMITTED, False),
        (TODAY - datetime.timedelta(days=1), ReturnStatus.APPROVED, False),
        (TODAY, ReturnStatus.DRAFT, False),  # due today is not late yet
        (TODAY + datetime.timedelta(days=1), None, False),
        (None, None, False),  # no due date
    ],
)
def test_a_return_is_overdue_past_its_due_date_until_submitted(due, status, overdue):
    period = Period(year_start=2024, term=Term.AUTUMN, due_date=due)
    ret = Return(period=period, status=status) if status else None

    assert period.return_overdue(ret, TODAY) is overdue


@pytest.fixture
def autumn(trust) -> Period:
    return Period.objects.create(
        year_start=2024,
        term=Term.AUTUMN,
        is_open=True,
        due_date=timezone.localdate() - datetime.timedelta(days=3),
    )


def _my_returns_row(client) -> str:
    page = client.get(reverse("my")).content.decode()
    return page.split('id="returns-heading"')[1].split('id="actions-heading"')[0]


@pytest.mark.parametrize(
    ("status", "overdue"),
    [(None, True), (ReturnStatus.DRAFT, True), (ReturnStatus.SUBMITTED, False)],
)
def test_my_work_marks_a_late_return_overdue_until_it_is_submitted(
    client_for, cast, academy_a, autumn, status, overdue
):
    if status:
        Return.objects.create(academy=academy_a, period=autumn, status=status)

    row = _my_returns_row(client_for("head_a"))

    assert autumn.due_date.strftime("%b %Y") in row
    assert ("(overdue)" in row) is overdue
