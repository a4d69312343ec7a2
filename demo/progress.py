"""Demo progress for the Amethyst plan: due dates and updates in every status, some overdue.

Dates are the seed's (demo/dates.py): each action is due by the date its own text names, or on a
day of the plan's year 2023/24 when it names none; updates are dated in that year up to the
summer 2024 collection (AS_OF). Updates go through plans.services.progress_update_post, which
checks their dates as the form does.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from demo.dates import AS_OF, YEAR_END, YEAR_START, named_window
from plans.cache import bump_plan_version
from plans.models import Action, ActionStatus, Plan, ProgressUpdate
from plans.services import progress_update_post

COMMENTARY = {
    # What a lead writes: the pages already say the data is demo data.
    ActionStatus.ON_TRACK: "Progressing as planned; milestones reviewed at the last meeting.",
    ActionStatus.AT_RISK: "A staffing gap this half term may delay the next milestone.",
    ActionStatus.OFF_TRACK: "The supplier withdrew; a revised plan goes to the next meeting.",
    ActionStatus.COMPLETE: "Done; evidence filed with the clerk.",
    ActionStatus.NOT_STARTED: "Not started: scheduled to begin after the staffing review.",
}
# The statuses the demo's latest updates cycle through: every status appears, and at the end
# of its year (AS_OF) a plan has a good share of its actions complete.
CYCLE = [
    ActionStatus.ON_TRACK,
    ActionStatus.COMPLETE,
    ActionStatus.AT_RISK,
    ActionStatus.COMPLETE,
    ActionStatus.OFF_TRACK,
    ActionStatus.COMPLETE,
    ActionStatus.ON_TRACK,
    None,  # no update yet: not started
    ActionStatus.COMPLETE,
    ActionStatus.NOT_STARTED,
]


def _day_between(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    if last <= first:
        return last
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def _due_date(
    rng: random.Random, window: tuple[datetime.date, datetime.date] | None, status
) -> datetime.date:
    """The last day of the date the text names; otherwise a day of the plan's year: late in
    it for an action still in progress at AS_OF (a few of them already past due then)."""
    if window is not None:
        return window[1]
    if status == ActionStatus.COMPLETE:
        return _day_between(rng, YEAR_START + datetime.timedelta(days=30), AS_OF)
    return _day_between(rng, AS_OF - datetime.timedelta(days=60), YEAR_END)


def generate_demo_progress(*, plan: Plan, author, seed: int = 2023, today=None) -> int:
    """Give the plan's actions due dates and progress updates, once. Returns updates made."""
    if ProgressUpdate.objects.filter(action__objective__plan=plan).exists():
        return 0
    today = today or timezone.localdate()
    last_day = min(AS_OF, today)  # an update is never dated after today
    rng = random.Random(seed)
    actions = list(
        Action.objects.filter(objective__plan=plan).order_by("objective__number", "position")
    )
    made = 0
    for index, action in enumerate(actions):
        status = CYCLE[index % len(CYCLE)]
        window = named_window(action.description)
        if window is not None and window[1] < YEAR_START:
            status = ActionStatus.COMPLETE  # due before the plan's year began: it was done
        action.due_date = _due_date(rng, window, status)
        if status is None:
            continue
        if status == ActionStatus.COMPLETE:
            # Done by its due date, within the date its text names.
            earliest = window[0] if window else action.due_date - datetime.timedelta(days=20)
            final = _day_between(rng, earliest, min(action.due_date, last_day))
        else:
            final = last_day - datetime.timedelta(days=rng.randint(1, 30))
        dates = [final]
        if status in (ActionStatus.AT_RISK, ActionStatus.OFF_TRACK, ActionStatus.COMPLETE):
            dates.insert(0, final - datetime.timedelta(days=rng.randint(30, 60)))
        for number, date in enumerate(dates):
            latest = number == len(dates) - 1
            shown = status if latest else ActionStatus.ON_TRACK
            progress_update_post(
                action=action,
                user=author,
                date=date,
                status=shown,
                commentary=COMMENTARY[shown],
                evidence_url="https://example.org/evidence/demo"
                if shown == ActionStatus.COMPLETE
                else "",
            )
            made += 1
    # Only the due date changes, so one bulk update (with history) rather than action_edit,
    # which replaces every link of the action.
    bulk_update_with_history(actions, Action, ["due_date"], default_change_reason="Demo data")
    bump_plan_version()  # bulk writes send no signals
    return made
