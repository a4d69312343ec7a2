"""The board pack reads a fixed number of queries whatever the plan's size.

Its plan sheet printed each action's aims by number (Aim.number reads the aim's objective),
and the aims were prefetched without their objectives: one query per action, 500 at the
benchmark's full scale.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.values import generate_demo_values
from kpis.models import Period
from plans.models import Action
from spreadsheets.export import board_pack


def _queries(period) -> int:
    with CaptureQueriesContext(connection) as captured:
        board_pack(period)
    return len(captured)


def test_the_board_pack_queries_do_not_grow_with_the_number_of_actions(trust):
    generate_demo_values()
    period = Period.objects.get(slug="2023-24-spring")
    before = _queries(period)
    # Ten more actions, each serving an aim, spread over the objectives.
    template = Action.objects.filter(objective__plan=trust, aims__isnull=False).first()
    aims = list(template.aims.all())
    for position in range(10):
        action = Action.objects.create(
            objective=template.objective,
            description=f"Extra action {position}",
            position=1000 + position,
        )
        action.aims.set(aims)
    assert _queries(period) == before
