"""The named permission questions the returns pages and the import views ask
(academies/permissions.py), for each member of the cast; the pages themselves are pinned by
tests/test_role_matrix.py."""

import pytest
from django.test import Client
from django.urls import reverse

from academies import permissions
from academies.models import Academy, AcademyRole, RoleAssignment
from kpis.models import Period, Term
from tests.conftest import _user

pytestmark = pytest.mark.django_db

EVERYONE = ["trustee", "governor", "head_a", "exec_head", "central", "admin"]


def test_only_central_team_and_administrators_review_returns_and_open_periods(cast):
    for role in EVERYONE:
        expected = role in ("central", "admin")
        assert permissions.may_review_returns(cast[role]) is expected, role
        assert permissions.may_open_periods(cast[role]) is expected, role


def test_only_administrators_may_import(cast):
    for role in EVERYONE:
        assert permissions.may_import(cast[role]) is (role == "admin"), role


def test_central_team_enter_for_every_academy_and_a_head_for_those_they_head(
    cast, academy_a, academy_b
):
    assert permissions.entry_academy_ids(cast["central"]) is None
    assert permissions.entry_academy_ids(cast["admin"]) is None
    assert permissions.entry_academy_ids(cast["head_a"]) == {academy_a.pk}
    assert len(permissions.entry_academy_ids(cast["exec_head"])) == 2
    assert permissions.entry_academy_ids(cast["trustee"]) == set()
    assert permissions.can_enter_for(cast["head_a"], academy_a.pk)
    assert not permissions.can_enter_for(cast["head_a"], academy_b.pk)
    assert permissions.can_enter_for(cast["central"], academy_b.pk)


def test_the_returns_grid_asks_may_enter_returns_as_the_header_link_does(cast, academy_a):
    """A head assignment without the Headteacher group: the header offers no Returns link
    (may_enter_returns), so the grid refuses too; the grid used to list the academy."""
    user = _user("assigned-not-grouped", None)
    RoleAssignment.objects.create(user=user, academy=academy_a, role=AcademyRole.HEADTEACHER)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("entry:grid")).status_code == 403
    assert not permissions.may_enter_returns(user)


def test_a_heads_grid_lists_their_academies_and_only_central_team_open_periods(cast, client_for):
    periods = [Period.objects.create(year_start=2023, term=t) for t in (Term.AUTUMN, Term.SPRING)]
    switches = [reverse("entry:period_status", args=[p.slug]) for p in periods]
    page = client_for("head_a").get(reverse("entry:grid"))
    assert [academy.slug for academy, _cells in page.context["rows"]] == ["aldersley-high-school"]
    assert "your academies'" in page.content.decode()
    assert not any(url in page.content.decode() for url in switches)
    page = client_for("central").get(reverse("entry:grid"))
    assert len(page.context["rows"]) == Academy.objects.active().count()
    assert "every academy's" in page.content.decode()
    assert all(url in page.content.decode() for url in switches)
