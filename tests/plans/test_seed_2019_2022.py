"""The 2019–2022 plan (fixtures/plan_2019_2022.yaml) loaded with load_plan, checked against its
source document, shared/seeds/000_4e415ad81b9b37df.txt.

In that plan, actions and success criteria are stated once for a group of sub-priorities, so each
links to every aim of its group. Expected values were read out of the seed text by hand.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

from academies.services import read_fixture
from plans.models import Action, Aim, Plan, SuccessCriterion
from plans.services import load_plan

SEED = Path(settings.BASE_DIR).parent / "shared" / "seeds" / "000_4e415ad81b9b37df.txt"

PRIORITY_TITLES = {
    1: "Children and young people achieve the best outcomes",
    2: "Develop our people and recruit the best staff driven by the common moral purpose to "
    "improve society through education",
    3: "To create systems and processes to enable every school to get a good or better Ofsted "
    "rating",
    4: "Deliver robust financial security to secure viability",
    5: "To promote a positive image of the Trust to parents, pupils and the wider community",
}

SUB_PRIORITIES = {
    1: ["1.1", "1.2", "1.3", "1.4"],
    2: ["2.1", "2.2", "2.3", "2.4"],
    3: ["3.1", "3.2", "3.3"],
    4: ["4.1", "4.2", "4.3", "4.4"],
    5: ["5.1", "5.2", "5.3"],
}


@pytest.fixture
def plan(trust):
    plan, created = load_plan(data=read_fixture("plan_2019_2022.yaml"))
    assert created is True
    return plan


def _normalise(text):
    """Drop markdown bold and collapse every run of whitespace to one space."""
    return " ".join(text.replace("**", "").split())


def _seed_text():
    return SEED.read_text(encoding="utf-8")


def _aim_numbers(item):
    return sorted(aim.number for aim in item.aims.select_related("objective"))


def _action(plan, start):
    matches = Action.objects.filter(objective__plan=plan, description__startswith=start)
    assert matches.count() == 1, f"{matches.count()} actions start “{start}”"
    return matches.get()


def _criterion(plan, start):
    matches = SuccessCriterion.objects.filter(objective__plan=plan, text__startswith=start)
    assert matches.count() == 1, f"{matches.count()} criteria start “{start}”"
    return matches.get()


# The plan and its key priorities -----------------------------------------------------------


def test_2019_2022_plan_calls_its_levels_key_priorities_and_sub_priorities(plan):
    assert plan.objective_label == "Key priority"
    assert plan.aim_label == "Sub-priority"


def test_2019_2022_plan_covers_three_years_and_is_archived(plan):
    assert (plan.start_year, plan.end_year) == (2019, 2022)
    assert plan.years == "2019–2022"
    assert plan.status == "archived"


def test_2019_2022_plan_introduction_is_the_seeds_opening_aim(plan):
    assert plan.introduction == (
        "Our aim is to create a strong platform which provides: recognised outstanding "
        "education for our students; financial security for all schools within the Trust and "
        "the right systems and people to deliver sustainable growth for the Trust over the next "
        "3 years 2019-2022."
    )
    assert plan.introduction in _normalise(_seed_text())


def test_loading_the_2019_2022_plan_leaves_the_amethyst_plan_active(trust, plan):
    assert Plan.objects.count() == 2
    assert list(Plan.objects.filter(status="active")) == [trust]
    assert trust.objectives.count() == 3


def test_2019_2022_plan_has_five_key_priorities_with_the_seed_titles(plan):
    assert {o.number: o.title for o in plan.objectives.all()} == PRIORITY_TITLES


def test_each_key_priority_title_follows_its_number_in_the_seed(plan):
    seed = _normalise(_seed_text())
    for objective in plan.objectives.all():
        assert f"{objective.number} {objective.title}" in seed


# Sub-priorities ----------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "expected"), sorted(SUB_PRIORITIES.items()))
def test_each_key_priority_has_the_seeds_sub_priority_numbers(plan, number, expected):
    aims = Aim.objects.filter(objective__plan=plan, objective__number=number).select_related(
        "objective"
    )
    assert [aim.number for aim in aims.order_by("position")] == expected


@pytest.mark.parametrize(
    ("number", "title"),
    [
        (
            "1.1",
            "All pupils and students achieve high levels of progress leading to increasingly "
            "high attainment and enhanced social mobility",
        ),
        (
            "1.4",
            "Pupils' educational experience leads to the development of skills to become "
            "positive, successful, resilient and caring citizens",
        ),
        ("2.1", "Positive, committed and valued staff, MLP becomes a MAT of choice"),
        (
            "3.3",
            "A clear accountability framework for the performance of the trust's improvement "
            "strategy is developed and differentiated for phase and stage",
        ),
        ("4.1", "Skilled management of Trust risk indicators"),
        ("5.1", "Trust-wide commitment to making a contribution to networks outside the Trust"),
        ("5.3", "Development of Marketing plans and team"),
    ],
)
def test_sub_priority_has_the_seeds_title(plan, number, title):
    priority, position = (int(part) for part in number.split("."))
    aim = Aim.objects.get(objective__plan=plan, objective__number=priority, position=position)
    assert aim.number == number
    assert aim.title == title


def test_every_sub_priority_title_follows_its_number_in_the_seed(plan):
    seed = _normalise(_seed_text())
    aims = Aim.objects.filter(objective__plan=plan).select_related("objective")
    assert aims.count() == 18
    missing = [aim.number for aim in aims if f"{aim.number} {aim.title}" not in seed]
    assert missing == []


# Actions and success criteria serving groups of sub-priorities ------------------------------


@pytest.mark.parametrize(
    ("number", "actions", "criteria"),
    [(1, 8, 6), (2, 8, 4), (3, 3, 3), (4, 5, 6), (5, 3, 3)],
)
def test_each_key_priority_has_the_seeds_number_of_actions_and_success_criteria(
    plan, number, actions, criteria
):
    objective = plan.objectives.get(number=number)
    assert objective.actions.count() == actions
    assert objective.success_criteria.count() == criteria


def test_each_action_of_priority_ones_first_group_serves_sub_priorities_1_1_to_1_3(plan):
    starts = [
        "Heads and relevant member of SLT meet half termly data",
        "Each Academy has a monitoring plan",
        "A Trust wide monitoring dashboard is created.",
        "Provision is made for collaboration between phases",
        "Each academy's SIP has a focus upon pupil/student personal development.",
    ]
    for start in starts:
        assert _aim_numbers(_action(plan, start)) == ["1.1", "1.2", "1.3"], start


def test_each_success_criterion_of_priority_ones_first_group_serves_1_1_to_1_3(plan):
    objective = plan.objectives.get(number=1)
    first_group = objective.success_criteria.order_by("position")[:5]
    assert [_aim_numbers(criterion) for criterion in first_group] == [["1.1", "1.2", "1.3"]] * 5


def test_actions_for_pupils_personal_development_serve_sub_priority_1_4_only(plan):
    starts = [
        "Student voice is prioritised",
        "Academies focus upon at least one strand of personal development",
        "All students get an opportunity to represent their academy",
    ]
    for start in starts:
        assert _aim_numbers(_action(plan, start)) == ["1.4"], start


def test_school_councils_criterion_serves_sub_priority_1_4_only(plan):
    criterion = _criterion(plan, "School Councils are established in all academies")
    assert _aim_numbers(criterion) == ["1.4"]


def test_every_action_of_priority_two_serves_all_of_2_1_to_2_4(plan):
    actions = plan.objectives.get(number=2).actions.all()
    assert actions.count() == 8
    for action in actions:
        assert _aim_numbers(action) == ["2.1", "2.2", "2.3", "2.4"], action.description


def test_every_success_criterion_of_priority_two_serves_all_of_2_1_to_2_4(plan):
    for criterion in plan.objectives.get(number=2).success_criteria.all():
        assert _aim_numbers(criterion) == ["2.1", "2.2", "2.3", "2.4"], criterion.text


def test_paragraph_split_in_two_is_one_action(plan):
    action = _action(plan, "Steps to improve clarity")
    assert action.description == "Steps to improve clarity planned by Heads."


def test_truncated_action_is_kept_as_the_seed_leaves_it(plan):
    action = _action(plan, "Regular programmes of link visits")
    assert action.description == "Regular programmes of link visits are"


@pytest.mark.parametrize(
    ("start", "number"),
    [
        ("All Schools have a community element of their improvement plans", "5.1"),
        ("This element is currently not a high priority", "5.2"),
        ("See Marketing development plan.", "5.3"),
    ],
)
def test_each_priority_five_action_serves_its_own_sub_priority(plan, start, number):
    assert _aim_numbers(_action(plan, start)) == [number]


def test_every_priority_five_success_criterion_serves_all_of_5_1_to_5_3(plan):
    criteria = plan.objectives.get(number=5).success_criteria.all()
    assert [_aim_numbers(criterion) for criterion in criteria] == [["5.1", "5.2", "5.3"]] * 3


def test_priority_three_and_four_actions_serve_all_their_sub_priorities(plan):
    for number, expected in ((3, SUB_PRIORITIES[3]), (4, SUB_PRIORITIES[4])):
        objective = plan.objectives.get(number=number)
        for item in [*objective.actions.all(), *objective.success_criteria.all()]:
            assert _aim_numbers(item) == expected, item


def test_actions_and_criteria_serve_only_sub_priorities_of_their_own_priority(plan):
    for action in Action.objects.filter(objective__plan=plan):
        assert {aim.objective_id for aim in action.aims.all()} == {action.objective_id}
    for criterion in SuccessCriterion.objects.filter(objective__plan=plan):
        assert {aim.objective_id for aim in criterion.aims.all()} == {criterion.objective_id}


# Nothing invented, nothing lost -------------------------------------------------------------


def test_every_action_and_success_criterion_text_appears_in_the_seed(plan):
    seed = _normalise(_seed_text())
    texts = [
        *Action.objects.filter(objective__plan=plan).values_list("description", flat=True),
        *SuccessCriterion.objects.filter(objective__plan=plan).values_list("text", flat=True),
    ]
    assert len(texts) == 27 + 22
    assert [text for text in texts if not text or _normalise(text) not in seed] == []


def _first_table_row(start):
    """The cells of the seed's table row whose first cell starts with ``start``."""
    for line in _seed_text().splitlines():
        cells = line.split("\t")
        if len(cells) == 3 and cells[0].strip().startswith(start):
            return [_normalise(cell) for cell in cells]
    raise AssertionError(f"no table row starts “{start}”")


@pytest.mark.parametrize(("row_start", "position"), [("1.1", 1), ("1.4", 4)])
def test_priority_one_rows_run_on_cells_are_split_without_losing_a_word(plan, row_start, position):
    _, actions_cell, criteria_cell = _first_table_row(row_start)
    aim = Aim.objects.get(objective__plan=plan, objective__number=1, position=position)
    actions = aim.actions.order_by("position").values_list("description", flat=True)
    criteria = aim.success_criteria.order_by("position").values_list("text", flat=True)
    assert " ".join(actions) == actions_cell
    assert " ".join(criteria) == criteria_cell


def test_every_success_criterion_bullet_of_priorities_two_to_five_is_one_criterion(plan):
    bullets = [
        _normalise(line[2:])
        for line in _seed_text().splitlines()
        if line.startswith("- ") and not re.match(r"- (\*\*)?\d", line)
    ]
    assert len(bullets) == 4 + 3 + 6 + 3
    criteria = SuccessCriterion.objects.filter(
        objective__plan=plan, objective__number__gte=2
    ).order_by("objective__number", "position")
    assert list(criteria.values_list("text", flat=True)) == bullets


def test_loading_the_2019_2022_plan_again_creates_nothing_new(plan):
    counts = (
        Plan.objects.count(),
        Aim.objects.count(),
        Action.objects.count(),
        SuccessCriterion.objects.count(),
        Action.aims.through.objects.count(),
        SuccessCriterion.aims.through.objects.count(),
    )
    again, created = load_plan(data=read_fixture("plan_2019_2022.yaml"))
    assert created is False
    assert again.pk == plan.pk
    assert (
        Plan.objects.count(),
        Aim.objects.count(),
        Action.objects.count(),
        SuccessCriterion.objects.count(),
        Action.aims.through.objects.count(),
        SuccessCriterion.aims.through.objects.count(),
    ) == counts
