"""plans.services called directly (no HTTP): every plan write — create and edit, move, delete,
archive or activate, progress update, applying a plan sheet — and what each leaves in the
database, its history and the plan's cache token."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from academies.models import Owner
from kpis.models import KPI, Period
from plans import services
from plans.cache import plan_version
from plans.models import (
    Action,
    ActionStatus,
    Aim,
    Plan,
    PlanStatus,
    ProgressUpdate,
    StrategicObjective,
)
from plans.sheet import ActionRow, AimRow, ObjectiveRow, PlanImport


@pytest.fixture
def objective(trust) -> StrategicObjective:
    return trust.objectives.get(number=1)


@pytest.fixture
def archived(trust) -> Plan:
    trust.status = PlanStatus.ARCHIVED
    trust.save()
    return trust


def numbers(plan: Plan) -> list[tuple[int, int]]:
    return list(plan.objectives.order_by("number").values_list("pk", "number"))


def action_order(objective: StrategicObjective) -> list[int]:
    return list(objective.actions.order_by("position", "pk").values_list("pk", flat=True))


def codes(related) -> set[str]:
    return {item.code for item in related.all()}


# --- Move -------------------------------------------------------------------------------------


def test_moving_an_objective_up_swaps_its_number_with_the_one_above(trust):
    first, second = trust.objectives.order_by("number")[:2]
    token = plan_version()

    services.plan_item_move(item=second, direction="up")

    assert trust.objectives.get(pk=second.pk).number == first.number
    assert trust.objectives.get(pk=first.pk).number == second.number
    assert plan_version() != token  # update() sends no signal: the service bumps the token


def test_moving_an_aim_down_swaps_positions_with_the_next(objective):
    first, second = objective.aims.order_by("position")[:2]

    services.plan_item_move(item=first, direction="down")

    assert Aim.objects.get(pk=first.pk).position == second.position
    assert Aim.objects.get(pk=second.pk).position == first.position


def test_moving_an_action_renumbers_its_objectives_actions_in_order(objective):
    before = action_order(objective)
    Action.objects.filter(pk__in=before).update(position=1)  # shared positions, as imports make

    services.plan_item_move(item=Action.objects.get(pk=before[2]), direction="up")

    after = action_order(objective)
    assert after == before[:1] + [before[2], before[1]] + before[3:]
    positions = list(objective.actions.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, len(before) + 1))


def test_moving_the_first_up_or_the_last_down_changes_nothing(trust):
    objectives = list(trust.objectives.order_by("number"))
    before = numbers(trust)

    services.plan_item_move(item=objectives[0], direction="up")
    services.plan_item_move(item=objectives[-1], direction="down")

    assert numbers(trust) == before


def test_a_move_needs_up_or_down(objective):
    with pytest.raises(ValueError):
        services.plan_item_move(item=objective, direction="sideways")


def test_nothing_of_an_archived_plan_moves(archived):
    objective = archived.objectives.order_by("number")[1]
    before = numbers(archived)

    with pytest.raises(services.PlanArchived):
        services.plan_item_move(item=objective, direction="up")

    assert numbers(archived) == before


# --- Archive and activate ---------------------------------------------------------------------


def test_archiving_a_plan_records_who_and_keeps_it(trust, cast):
    services.plan_set_status(plan=trust, status=PlanStatus.ARCHIVED, user=cast["central"])

    trust.refresh_from_db()
    assert trust.status == PlanStatus.ARCHIVED
    assert trust.history.latest().history_user == cast["central"]
    assert trust.objectives.exists()


def test_making_a_plan_active_archives_the_one_that_was(trust, cast):
    other = Plan.objects.create(title="Next plan", start_year=2025, end_year=2026)

    services.plan_set_status(plan=other, status=PlanStatus.ACTIVE, user=cast["central"])

    assert Plan.objects.get(pk=other.pk).status == PlanStatus.ACTIVE
    assert Plan.objects.get(pk=trust.pk).status == PlanStatus.ARCHIVED
    assert Plan.objects.filter(status=PlanStatus.ACTIVE).count() == 1


def test_an_archived_plan_can_be_made_active_again(archived, cast):
    services.plan_set_status(plan=archived, status=PlanStatus.ACTIVE, user=cast["central"])

    assert Plan.objects.get(pk=archived.pk).status == PlanStatus.ACTIVE


def test_an_unknown_plan_status_is_refused(trust, cast):
    with pytest.raises(ValueError):
        services.plan_set_status(plan=trust, status="deleted", user=cast["central"])
    assert Plan.objects.get(pk=trust.pk).status == PlanStatus.ACTIVE


# --- Delete -----------------------------------------------------------------------------------


def test_deleting_an_aim_deletes_the_actions_serving_only_it_and_unlinks_shared_ones(
    objective, cast
):
    aim, other = objective.aims.order_by("position")[:2]
    only_here = list(aim.actions.values_list("pk", flat=True))
    assert only_here
    shared = Action.objects.get(pk=only_here[0])
    shared.aims.add(other)
    only_here = only_here[1:]
    pk = aim.pk  # delete() clears it

    services.plan_item_delete(item=aim, user=cast["central"])

    assert not Aim.objects.filter(pk=pk).exists()
    assert not Action.objects.filter(pk__in=only_here).exists()
    assert list(Action.objects.get(pk=shared.pk).aims.all()) == [other]
    gone = Action.history.filter(id__in=only_here, history_type="-")
    assert {record.history_user for record in gone} == {cast["central"]}
    assert gone.count() == len(only_here)


def test_deleting_an_action_deletes_its_updates_and_history_keeps_it(objective, cast):
    action = objective.actions.first()
    pk = action.pk  # delete() clears it
    ProgressUpdate.objects.create(
        action=action, date=timezone.localdate(), status=ActionStatus.ON_TRACK
    )

    services.plan_item_delete(item=action, user=cast["admin"])

    assert not Action.objects.filter(pk=pk).exists()
    assert not ProgressUpdate.objects.filter(action_id=pk).exists()
    assert Action.history.get(id=pk, history_type="-").history_user == cast["admin"]


def test_deleting_an_objective_deletes_its_aims_and_actions(trust, cast):
    objective = trust.objectives.get(number=2)
    pk, aim_ids = objective.pk, list(objective.aims.values_list("pk", flat=True))
    action_ids = list(objective.actions.values_list("pk", flat=True))
    assert aim_ids and action_ids

    services.plan_item_delete(item=objective, user=cast["central"])

    assert not StrategicObjective.objects.filter(pk=pk).exists()
    assert not Aim.objects.filter(pk__in=aim_ids).exists()
    assert not Action.objects.filter(pk__in=action_ids).exists()


def test_nothing_of_an_archived_plan_is_deleted(archived, cast):
    action = Action.objects.filter(objective__plan=archived).first()

    with pytest.raises(services.PlanArchived):
        services.plan_item_delete(item=action, user=cast["central"])

    assert Action.objects.filter(pk=action.pk).exists()


# --- Progress updates -------------------------------------------------------------------------


def test_a_progress_update_records_its_author_and_gives_the_action_its_status(objective, cast):
    action = objective.actions.first()
    today = timezone.localdate()

    update = services.progress_update_post(
        action=action,
        user=cast["head_a"],
        date=today,
        status=ActionStatus.AT_RISK,
        commentary="Staffing gap.",
        evidence_url="https://example.org/minutes",
    )

    stored = ProgressUpdate.objects.get(pk=update.pk)
    assert (stored.author, stored.date, stored.status) == (
        cast["head_a"],
        today,
        ActionStatus.AT_RISK,
    )
    assert stored.history.get().history_user == cast["head_a"]
    assert Action.objects.get(pk=action.pk).status == ActionStatus.AT_RISK


def test_a_progress_update_dated_after_today_is_refused(objective, cast):
    action = objective.actions.first()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        services.progress_update_post(
            action=action, user=cast["central"], date=tomorrow, status=ActionStatus.COMPLETE
        )

    assert "date" in error.value.message_dict
    assert not action.updates.exists()


def test_no_progress_is_posted_on_an_archived_plan(archived, cast):
    action = Action.objects.filter(objective__plan=archived).first()

    with pytest.raises(services.PlanArchived):
        services.progress_update_post(
            action=action,
            user=cast["central"],
            date=timezone.localdate(),
            status=ActionStatus.ON_TRACK,
        )

    assert not action.updates.exists()


# --- Objectives, aims and actions -------------------------------------------------------------


def test_an_aim_is_added_after_the_objectives_last(objective, cast):
    last = objective.aims.order_by("-position").first().position

    aim = services.aim_create(objective=objective, title="Every pupil reads", user=cast["central"])

    assert Aim.objects.get(pk=aim.pk).position == last + 1
    assert aim.history.get().history_user == cast["central"]


def test_an_objective_is_created_and_edited_with_history(trust, cast):
    objective = services.objective_create(
        plan=trust, number=9, title="Grow the trust", user=cast["central"]
    )
    services.objective_edit(objective=objective, number=10, title="Grow", user=cast["admin"])

    stored = StrategicObjective.objects.get(pk=objective.pk)
    assert (stored.plan, stored.number, stored.title) == (trust, 10, "Grow")
    assert stored.history.latest().history_user == cast["admin"]


def test_an_action_is_created_after_the_last_with_every_link(objective, cast):
    aim = objective.aims.order_by("position").first()
    last = objective.actions.order_by("-position").first().position
    nli, board = Owner.objects.get(code="NLI"), Owner.objects.get(code="BOARD")
    spring = Period.objects.create(year_start=2023, term=2)

    action = services.action_create(
        objective=objective,
        user=cast["central"],
        aims=[aim],
        description="Run a reading programme",
        due_period=spring,
        responsible=[nli],
        monitors=[board],
        kpis=KPI.objects.filter(code__in=["1.1", "1.2"]),
    )

    stored = Action.objects.get(pk=action.pk)
    assert (stored.position, stored.description, stored.due_period) == (
        last + 1,
        "Run a reading programme",
        spring,
    )
    assert list(stored.aims.all()) == [aim]
    assert (codes(stored.responsible), codes(stored.monitors), codes(stored.kpis)) == (
        {"NLI"},
        {"BOARD"},
        {"1.1", "1.2"},
    )
    assert stored.history.earliest().history_user == cast["central"]


def test_editing_an_action_replaces_its_links(objective, cast):
    action = objective.actions.filter(kpis__isnull=False).first()
    aims = list(objective.aims.order_by("position")[:2])
    due = timezone.localdate() + datetime.timedelta(days=30)

    services.action_edit(
        action=action,
        user=cast["admin"],
        aims=aims,
        description="Rewritten",
        academies=[],
        due_date=due,
        due_period=None,
        responsible=[Owner.objects.get(code="TBR")],
        monitors=[],
        kpis=[KPI.objects.get(code="2.1")],
    )

    stored = Action.objects.get(pk=action.pk)
    assert (stored.description, stored.due_date) == ("Rewritten", due)
    assert set(stored.aims.all()) == set(aims)
    assert (codes(stored.responsible), codes(stored.monitors), codes(stored.kpis)) == (
        {"TBR"},
        set(),
        {"2.1"},
    )
    assert stored.history.latest().history_user == cast["admin"]


def test_no_aim_or_action_is_added_to_an_archived_plan(archived, cast):
    objective = archived.objectives.first()
    aims, actions = objective.aims.count(), objective.actions.count()

    with pytest.raises(services.PlanArchived):
        services.aim_create(objective=objective, title="Late", user=cast["central"])
    with pytest.raises(services.PlanArchived):
        services.action_create(
            objective=objective, user=cast["central"], aims=[objective.aims.first()]
        )

    assert (objective.aims.count(), objective.actions.count()) == (aims, actions)


# --- A plan sheet -----------------------------------------------------------------------------


def _sheet(plan: Plan | None, *objectives: ObjectiveRow, **counts) -> PlanImport:
    """A plan sheet as read_plan_sheet leaves it: rows, the plan, and counts that say it
    changes something (apply_plan_sheet writes nothing for a sheet without changes)."""
    return PlanImport(
        sheet="Plan",
        title="Trust Development Plan 2023/2024",
        objectives=list(objectives),
        plan=plan,
        counts=counts or {"actions_updated": 1},
    )


def test_applying_a_plan_sheet_adds_objectives_aims_and_actions_with_their_links(trust, cast):
    sheet = _sheet(
        trust,
        ObjectiveRow(
            3,
            9,
            "Welcome new academies",
            [
                AimRow(
                    4,
                    "Due diligence",
                    [
                        ActionRow(4, "Visit each school", ["NLI"], ["1.1"], ["BOARD"]),
                        ActionRow(5, "Report to trustees", ["TBR"]),
                    ],
                ),
                AimRow(6, "Induction", [ActionRow(6, "Induct the new head", kpis=["2.1"])]),
            ],
        ),
        objectives_created=1,
    )
    token = plan_version()

    counts = services.apply_plan_sheet(sheet, user=cast["admin"])

    assert counts == {
        "objectives_created": 1,
        "aims_created": 2,
        "actions_created": 3,
        "actions_updated": 0,
    }
    objective = trust.objectives.get(number=9)
    assert list(objective.aims.order_by("position").values_list("position", "title")) == [
        (1, "Due diligence"),
        (2, "Induction"),
    ]
    visit = objective.actions.get(description="Visit each school")
    assert [a.title for a in visit.aims.all()] == ["Due diligence"]
    assert (codes(visit.responsible), codes(visit.kpis), codes(visit.monitors)) == (
        {"NLI"},
        {"1.1"},
        {"BOARD"},
    )
    assert list(objective.actions.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
    ]
    record = visit.history.get()
    assert (record.history_user, record.history_change_reason) == (
        cast["admin"],
        "Imported from sheet Plan",
    )
    assert plan_version() != token  # bulk writes send no signals: the service bumps it


def test_applying_a_plan_sheet_replaces_a_matched_actions_changed_links(trust, cast):
    objective = trust.objectives.get(number=1)
    aim = objective.aims.order_by("position").first()
    action = aim.actions.order_by("position").first()
    untouched = aim.actions.order_by("position")[1]
    before = (codes(untouched.responsible), codes(untouched.kpis), codes(untouched.monitors))
    sheet = _sheet(
        trust,
        ObjectiveRow(
            3,
            1,
            objective.title,
            [
                AimRow(
                    4,
                    f"  {aim.title.upper()} ",  # matched ignoring case and spacing
                    [
                        ActionRow(4, action.description, ["TBR"], ["2.1"], []),
                        ActionRow(
                            5,
                            untouched.description,
                            sorted(before[0]),
                            sorted(before[1]),
                            sorted(before[2]),
                        ),
                    ],
                )
            ],
        ),
    )
    aims = objective.aims.count()

    counts = services.apply_plan_sheet(sheet, user=cast["admin"])

    assert counts == {
        "objectives_created": 0,
        "aims_created": 0,
        "actions_created": 0,
        "actions_updated": 1,
    }
    assert objective.aims.count() == aims
    action = Action.objects.get(pk=action.pk)
    assert (codes(action.responsible), codes(action.kpis), codes(action.monitors)) == (
        {"TBR"},
        {"2.1"},
        set(),
    )
    assert list(action.aims.all()) == [aim]
    untouched = Action.objects.get(pk=untouched.pk)
    assert (codes(untouched.responsible), codes(untouched.kpis), codes(untouched.monitors)) == (
        before
    )
    assert action.history.latest().history_change_reason == "Imported from sheet Plan"


def test_applying_a_plan_sheet_without_an_active_plan_creates_one_from_its_years(trust, cast):
    trust.status = PlanStatus.ARCHIVED
    trust.save()
    sheet = _sheet(
        None,
        ObjectiveRow(3, 1, "Teaching", [AimRow(4, "Reading", [ActionRow(4, "Read daily")])]),
        plans_created=1,
    )
    sheet.years = (2025, 2026)

    services.apply_plan_sheet(sheet, user=cast["admin"])

    plan = Plan.objects.get(status=PlanStatus.ACTIVE)
    assert (plan.title, plan.start_year, plan.end_year) == (sheet.title, 2025, 2026)
    assert plan.objectives.get().actions.get().description == "Read daily"


def test_a_plan_sheet_without_changes_writes_nothing(trust, cast):
    sheet = _sheet(
        trust,
        ObjectiveRow(3, 42, "Never written", []),
        actions_unchanged=3,
    )

    assert services.apply_plan_sheet(sheet, user=cast["admin"]) == {}
    assert not trust.objectives.filter(number=42).exists()
