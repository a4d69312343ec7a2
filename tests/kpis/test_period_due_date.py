"""A period's collection deadline: central team set it when they open the period
(kpis.returns.period_set_open, the returns grid's Open form); the grid shows "due 15 Jan 2027"
and "overdue" for a return past it and not submitted."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from academies.models import Academy
from kpis.models import Period, Return, ReturnStatus, Term
from kpis.returns import default_due_date, period_set_open

JAN_15 = datetime.date(2027, 1, 15)


@pytest.fixture
def autumn(trust) -> Period:
    """2026/27 autumn, closed, no due date yet."""
    return Period.objects.create(year_start=2026, term=Term.AUTUMN)


def open_it(client, period: Period, **data):
    return client.post(
        reverse("entry:period_status", args=[period.slug]), {"open": "1"} | data, follow=True
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- The service --------------------------------------------------------------------------------


def test_opening_sets_the_due_date_given(autumn):
    period_set_open(period=autumn, is_open=True, due_date=JAN_15)
    autumn.refresh_from_db()
    assert (autumn.is_open, autumn.due_date) == (True, JAN_15)


def test_opening_without_a_date_gives_two_weeks_before_the_end_of_term(autumn):
    period_set_open(period=autumn, is_open=True)
    autumn.refresh_from_db()
    assert autumn.due_date == default_due_date(autumn) == datetime.date(2026, 12, 17)


def test_reopening_and_closing_keep_the_date_set(autumn):
    period_set_open(period=autumn, is_open=True, due_date=JAN_15)
    period_set_open(period=autumn, is_open=False)
    period_set_open(period=autumn, is_open=True)
    autumn.refresh_from_db()
    assert autumn.due_date == JAN_15


# --- The grid's Open form -----------------------------------------------------------------------


def test_central_opens_a_period_with_its_due_date(client_for, autumn):
    response = open_it(client_for("central"), autumn, due_date="2027-01-15")
    autumn.refresh_from_db()
    assert (autumn.is_open, autumn.due_date) == (True, JAN_15)
    assert any("returns due 15 Jan 2027" in m for m in messages_of(response))


@pytest.mark.parametrize(
    "typed, problem",
    [
        ("", "Give the date 2026/27 Autumn's returns are due to open it."),
        ("15/01/2027", "must be a date such as 2027-01-15; you entered “15/01/2027”"),
        ("2027-02-30", "must be a date such as 2027-01-15; you entered “2027-02-30”"),
        ("2030-01-01", "must be between 1 Sep 2026 and 31 Dec 2027; you entered 1 Jan 2030"),
    ],
)
def test_a_missing_or_wrong_due_date_opens_nothing_and_says_why(client_for, autumn, typed, problem):
    response = open_it(client_for("central"), autumn, due_date=typed)
    assert response.status_code == 200
    autumn.refresh_from_db()
    assert (autumn.is_open, autumn.due_date) == (False, None)
    assert any(problem in m and "was not changed" in m for m in messages_of(response))


def test_the_open_form_offers_a_required_date_prefilled(client_for, autumn):
    page = client_for("central").get(reverse("entry:grid")).content.decode()
    box = re.search(r'<input[^>]*name="due_date"[^>]*>', page).group(0)
    assert 'value="2026-12-17"' in box and "required" in box
    assert f'<label class="small d-block" for="due-{autumn.slug}">Returns due</label>' in page


def test_heads_see_the_due_date_and_overdue_on_the_grid(client_for, cast, academy_a, autumn):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    period_set_open(period=autumn, is_open=True, due_date=yesterday)
    page = client_for("head_a").get(reverse("entry:grid")).content.decode()
    assert f"due {date_format(yesterday, 'j M Y')}" in page
    assert '<strong class="overdue">(overdue)</strong>' in page
    assert 'name="due_date"' not in page  # heads do not open periods

    Return.objects.create(academy=academy_a, period=autumn, status=ReturnStatus.SUBMITTED)
    page = client_for("head_a").get(reverse("entry:grid")).content.decode()
    assert "(overdue)" not in page


def test_the_grid_does_not_say_overdue_before_the_due_date(client_for, autumn):
    period_set_open(period=autumn, is_open=True, due_date=timezone.localdate())
    page = client_for("central").get(reverse("entry:grid")).content.decode()
    assert "(overdue)" not in page
    assert Academy.objects.active().count() > 1
