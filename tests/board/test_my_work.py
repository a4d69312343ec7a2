"""/my/ as a work list: central team's returns to review (awaiting approval, sent back) with
academy, period, who and when and a link to the return; heads' returns with their due dates."""

from __future__ import annotations

import datetime
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from academies.models import Academy
from kpis.models import Period, Return, ReturnStatus, Term
from tests.plans.test_plan_views import words


@pytest.fixture
def autumn(trust) -> Period:
    return Period.objects.create(
        year_start=2026, term=Term.AUTUMN, is_open=True, due_date=datetime.date(2027, 1, 15)
    )


def make_return(academy, period, status, *, by, at=None, reason="") -> Return:
    at = at or timezone.now()
    ret = Return.objects.create(
        academy=academy,
        period=period,
        status=status,
        submitted_by=by if status == ReturnStatus.SUBMITTED else None,
        submitted_at=at if status == ReturnStatus.SUBMITTED else None,
        updated_by=by,
        sent_back_reason=reason,
    )
    return ret


def review_rows(client) -> list[str]:
    page = client.get(reverse("my")).content.decode()
    if 'id="review-heading"' not in page:
        return []
    section = page.split('id="review-heading"')[1].split("</section>")[0]
    return [
        words(row) for row in re.findall(r'<tr class="review-[a-z_]+">(.*?)</tr>', section, re.S)
    ]


def test_central_sees_returns_awaiting_approval_oldest_first_then_those_sent_back(
    client_for, cast, academy_a, academy_b, autumn
):
    penn = Academy.objects.get(slug="penn-hall-school")
    tettenhall = Academy.objects.get(slug="tettenhall-wood-school")
    now = timezone.now()
    make_return(academy_b, autumn, ReturnStatus.SUBMITTED, by=cast["head_b"], at=now)
    make_return(
        academy_a, autumn, ReturnStatus.SUBMITTED, by=cast["head_a"], at=now - timedelta(days=2)
    )
    make_return(penn, autumn, ReturnStatus.SENT_BACK, by=cast["central"], reason="2.1 looks wrong")
    make_return(tettenhall, autumn, ReturnStatus.DRAFT, by=cast["exec_head"])
    rows = review_rows(client_for("central"))
    assert len(rows) == 3  # the draft is the academy's to finish, not central team's to review
    first, second, sent_back = rows
    assert first.startswith("Aldersley High School 2026/27 Autumn Awaiting approval")
    assert "Submitted by t-head-a" in first
    assert "due 15 Jan 2027" in first
    assert "Review Aldersley High School's return for 2026/27 Autumn" in first
    assert second.startswith("Moreton School")
    assert sent_back.startswith("Penn Hall School 2026/27 Autumn Sent back: 2.1 looks wrong")
    assert "Sent back by t-central" in sent_back
    page = client_for("central").get(reverse("my")).content.decode()
    assert reverse("entry:form", args=[academy_a.slug, autumn.slug]) in page


def test_an_approved_return_is_not_on_the_review_list(client_for, cast, academy_a, autumn):
    make_return(academy_a, autumn, ReturnStatus.APPROVED, by=cast["central"])
    assert review_rows(client_for("central")) == []
    page = words(client_for("central").get(reverse("my")).content.decode())
    assert "No return is awaiting approval or sent back." in page


@pytest.mark.parametrize("role", ["head_a", "trustee", "governor"])
def test_only_reviewers_get_the_review_list(client_for, cast, academy_a, autumn, role):
    make_return(academy_a, autumn, ReturnStatus.SUBMITTED, by=cast["head_a"])
    page = client_for(role).get(reverse("my")).content.decode()
    assert 'id="review-heading"' not in page


def test_a_head_sees_each_returns_due_date(client_for, cast, academy_a, autumn):
    page = client_for("head_a").get(reverse("my")).content.decode()
    section = words(page.split('id="returns-heading"')[1].split('id="actions-heading"')[0])
    assert "Aldersley High School 2026/27 Autumn Open – not started due 15 Jan 2027" in section


def test_the_review_list_costs_one_query_however_many_returns(client_for, cast, trust):
    client = client_for("central")
    periods = [
        Period.objects.create(year_start=2025, term=term, is_open=False)
        for term in (Term.AUTUMN, Term.SPRING)
    ]
    academies = list(Academy.objects.active())
    make_return(academies[0], periods[0], ReturnStatus.SUBMITTED, by=cast["head_a"])
    client.get(reverse("my"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("my"))
    for period in periods:
        for academy in academies[1:]:
            make_return(academy, period, ReturnStatus.SENT_BACK, by=cast["central"])
    with CaptureQueriesContext(connection) as many:
        assert len(review_rows(client)) == 2 * len(academies) - 1
    assert len(many) == len(few)
