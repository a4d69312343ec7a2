"""Plan writes at the same moment, on real connections (tests/test_races.py's harness): two
aims added to one objective at once each get their own position, never a server error.

Fixed bug: the aim's position was read (the objective's last + 1) and then written with no lock,
so on PostgreSQL two adds read the same position and one was an IntegrityError (a 500) on
aim_unique_position; plans.services.aim_create now locks the objective first, as moves do.
(SQLite's immediate transactions happened to serialise them.)"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from plans.models import Aim
from tests.test_races import ROUNDS, together

pytestmark = pytest.mark.django_db(transaction=True)


def _adder(user, objective_id: int, title: str):
    def add():
        client = Client()
        client.force_login(user)
        return client.post(reverse("plans:aim_create", args=[objective_id]), {"title": title})

    return add


def test_two_aims_added_at_once_take_the_next_two_positions(trust, cast):
    objective = trust.objectives.get(number=1)
    before = objective.aims.count()
    for round_ in range(ROUNDS):
        results = together(
            _adder(cast["central"], objective.pk, f"Central's aim {round_}"),
            _adder(cast["admin"], objective.pk, f"Admin's aim {round_}"),
        )
        assert [r.status_code for r in results] == [302, 302]
    positions = list(
        Aim.objects.filter(objective=objective)
        .order_by("position")
        .values_list("position", flat=True)
    )
    assert positions == list(range(1, before + 2 * ROUNDS + 1))
