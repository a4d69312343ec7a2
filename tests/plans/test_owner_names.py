"""Owners are visible text wherever an action lists them (a tablet has no hover): the code the
plan uses and, when known, the name — "CT (Central Team)" — never a name only in title="…"."""

from __future__ import annotations

import re

from django.urls import reverse

from academies.models import Owner
from plans.models import Action
from tests.plans.test_plan_views import action_rows, main_of, words


def _named_action(trust) -> Action:
    """An action of the Amethyst plan that Central Team (CT) is responsible for, with NLI too."""
    action = Action.objects.filter(objective__plan=trust, responsible__code="CT").first()
    action.responsible.add(Owner.objects.get(code="NLI"))
    return action


def test_the_plan_tree_shows_owner_codes_with_their_names(client_for, trust):
    action = _named_action(trust)
    page = main_of(client_for("trustee").get(reverse("plans:plan")))
    row = action_rows(page)[action.pk]
    assert "CT (Central Team)" in words(row).replace("( ", "(")
    assert "NLI" in words(row)
    assert "<abbr" not in page
    assert not re.search(r'title="[^"]*Central Team', row)


def test_the_action_page_shows_owner_codes_with_their_names(client_for, trust):
    action = _named_action(trust)
    page = main_of(client_for("trustee").get(reverse("plans:action", args=[action.pk])))
    responsibility = words(page.split(">Responsibility</dt>")[1].split("</dd>")[0])
    assert responsibility.replace("( ", "(").replace(" ;", ";") == "NLI; CT (Central Team)"
