"""Demo progress for the Amethyst plan: due dates and updates in every status, some overdue.

Dates are relative to the day the demo is loaded, so the demo stays alive: most actions are
due in the coming months, a few are past due and not complete (shown overdue).
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from plans.cache import bump_plan_version
from plans.models import Action, ActionStatus, Plan, ProgressUpdate

COMMENTARY = {
    ActionStatus.ON_TRACK: "Demo: progressing as planned; reviewed at the last meeting.",
    ActionStatus.AT_RISK: "Demo: staffing gap this half term may delay the next milestone.",
    ActionStatus.OFF_TRACK: "Demo: the supplier withdrew; a new plan goes to the next meeting.",
    ActionStatus.COMPLETE: "Demo: done; evidence filed with the clerk.",
    ActionStatus.NOT_STARTED: "",
}
# The statuses the demo's latest updates cycle through: every status appears.
CYCLE = [
    ActionStatus.ON_TRACK,
    ActionStatus.ON_TRACK,
    ActionStatus.AT_RISK,
    ActionStatus.COMPLETE,
    ActionStatus.OFF_TRACK,
    ActionStatus.ON_TRACK,
    None,  # no update yet: not started
    ActionStatus.NOT_STARTED,
]


def generate_demo_progress(*, plan: Plan, author, seed: int = 2023, today=None) -> int:
    """Give the plan's actions due dates and progress updates, once. Returns updates made."""
    if ProgressUpdate.objects.filter(action__objective__plan=plan).exists():
        return 0
    today = today or timezone.localdate()
    rng = random.Random(seed)
    actions = list(
        Action.objects.filter(objective__plan=plan).order_by("objective__number", "position")
    )
    updates = []
    for index, action in enumerate(actions):
        status = CYCLE[index % len(CYCLE)]
        # Every fifth action is past due; the rest are due within the year.
        offset = -rng.randint(5, 60) if index % 5 == 2 else rng.randint(20, 330)
        action.due_date = today + datetime.timedelta(days=offset)
        if status is None:
            continue
        first = today - datetime.timedelta(days=rng.randint(40, 90))
        if status != ActionStatus.ON_TRACK:
            updates.append(
                ProgressUpdate(
                    action=action,
                    date=first,
                    author=author,
                    status=ActionStatus.ON_TRACK,
                    commentary=COMMENTARY[ActionStatus.ON_TRACK],
                )
            )
        updates.append(
            ProgressUpdate(
                action=action,
                date=today - datetime.timedelta(days=rng.randint(1, 30)),
                author=author,
                status=status,
                commentary=COMMENTARY[status],
                evidence_url="https://example.org/evidence/demo" if status == "complete" else "",
            )
        )
    bulk_update_with_history(actions, Action, ["due_date"], default_change_reason="Demo data")
    bulk_create_with_history(updates, ProgressUpdate, default_change_reason="Demo data")
    bump_plan_version()  # bulk writes send no signals
    return len(updates)
