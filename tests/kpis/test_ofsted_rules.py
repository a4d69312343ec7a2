"""RAG for inspection KPIs (kpis.ofsted, kpis.rag): every report-card rule, the old scale kept
apart, the trust's share of academies and of pupils, and trends that never cross frameworks."""

from decimal import Decimal

import pytest

from kpis import ofsted, rag
from kpis.rag import AcademyFigure, Outcome, Trend

RC, OLD = ofsted.REPORT_CARD, ofsted.FOUR_POINT
# Grades on the report-card scale: 1 exceptional … 3 expected standard, 4 needs attention,
# 5 urgent improvement.
EXPECTED = {key: 3 for key in ofsted.REPORT_CARD_AREAS if key not in ofsted.OPTIONAL_AREAS}


def rule(question: str) -> rag.Rule:
    """As the demo framework sets these KPIs up (fixtures/amethyst_kpis.yaml)."""
    return rag.Rule(
        measure="inspection",
        direction=rag.LOWER,
        target_kind="absolute",
        target=Decimal(3),
        amber_margin=Decimal(1),
        inspection=question,
    )


def judged(question, area, framework, grades, safeguarding):
    code = ofsted.code_of(question, area, framework, grades, safeguarding)
    value = None if code is None else Decimal(code)
    return value, rag.judge(rule(question), value)


@pytest.mark.parametrize(
    "changes, safeguarding, outcome, words",
    [
        ({}, True, Outcome.GREEN, "Expected standard"),
        ({"achievement": 1, "inclusion": 2}, True, Outcome.GREEN, "Expected standard"),
        ({key: 1 for key in EXPECTED}, True, Outcome.GREEN, "Exceptional"),
        ({"attendance_behaviour": 4}, True, Outcome.AMBER, "Needs attention"),
        ({"attendance_behaviour": 4, "achievement": 5}, True, Outcome.RED, "Urgent improvement"),
        ({"early_years": 5}, True, Outcome.RED, "Urgent improvement"),  # an optional area
        ({}, False, Outcome.RED, "Safeguarding not met"),
        ({key: 1 for key in EXPECTED}, False, Outcome.RED, "Safeguarding not met"),
    ],
)
def test_every_area_at_expected_standard_and_safeguarding_met(
    changes, safeguarding, outcome, words
):
    value, judgement = judged(ofsted.ALL_AREAS, "", RC, {**EXPECTED, **changes}, safeguarding)
    assert judgement.outcome == outcome
    assert rag.format_value(value, "inspection") == words
    assert words in judgement.explanation
    assert judgement.target_words == "every area at expected standard or above, safeguarding met"


@pytest.mark.parametrize(
    "grade, outcome, words",
    [
        (1, Outcome.GREEN, "Exceptional"),
        (2, Outcome.GREEN, "Strong standard"),
        (3, Outcome.GREEN, "Expected standard"),
        (4, Outcome.AMBER, "Needs attention"),
        (5, Outcome.RED, "Urgent improvement"),
    ],
)
def test_one_area_at_least_expected_standard(grade, outcome, words):
    grades = {**EXPECTED, "personal_development": grade, "achievement": 5}
    value, judgement = judged(ofsted.AREA, "personal_development", RC, grades, True)
    assert judgement.outcome == outcome
    assert rag.format_value(value, "inspection") == words  # the area's own grade, not the worst


def test_an_area_the_inspection_did_not_grade_is_missing_not_a_guess():
    value, judgement = judged(ofsted.AREA, "sixth_form", RC, EXPECTED, True)
    assert value is None
    assert judgement.outcome == Outcome.MISSING


@pytest.mark.parametrize(
    "framework, met, outcome, words",
    [
        (RC, True, Outcome.GREEN, "Safeguarding met"),
        (RC, False, Outcome.RED, "Safeguarding not met"),
        (OLD, True, Outcome.GREEN, "Safeguarding effective (pre-2025)"),
        (OLD, False, Outcome.RED, "Safeguarding not effective (pre-2025)"),
        (RC, None, Outcome.MISSING, "—"),
    ],
)
def test_safeguarding_met(framework, met, outcome, words):
    value, judgement = judged(ofsted.SAFEGUARDING, "", framework, EXPECTED, met)
    assert judgement.outcome == outcome
    assert rag.format_value(value, "inspection") == words


@pytest.mark.parametrize(
    "overall, outcome, words",
    [
        (1, Outcome.GREEN, "Outstanding (pre-2025 grade)"),
        (2, Outcome.GREEN, "Good (pre-2025 grade)"),
        (3, Outcome.AMBER, "Requires improvement (pre-2025 grade)"),
        (4, Outcome.RED, "Inadequate (pre-2025 grade)"),
    ],
)
def test_the_old_scale_stays_its_own_framework(overall, outcome, words):
    value, judgement = judged(ofsted.ALL_AREAS, "", OLD, {"overall": overall}, True)
    assert judgement.outcome == outcome
    assert rag.format_value(value, "inspection") == words
    # Never mapped onto the new scale: its own words and its own target.
    assert ofsted.framework_of(value) == OLD
    assert judgement.target_words == "good or better (pre-2025 grades)"


def test_an_old_key_judgement_answers_the_report_card_area_it_became():
    grades = {"overall": 2, "personal_development": 3}
    value, judgement = judged(ofsted.AREA, "personal_development", OLD, grades, True)
    assert rag.format_value(value, "inspection") == "Requires improvement (pre-2025 grade)"
    assert judgement.outcome == Outcome.AMBER


def test_no_inspection_in_force_is_missing_and_says_so():
    judgement = rag.judge(rule(ofsted.ALL_AREAS), None)
    assert judgement.outcome == Outcome.MISSING
    assert "No inspection in force" in judgement.explanation


def test_a_number_that_is_no_reading_is_never_judged():
    judgement = rag.judge(rule(ofsted.ALL_AREAS), Decimal("2.5"))
    assert judgement.outcome == Outcome.MISSING
    assert rag.format_value(Decimal("7"), "inspection") == "not an inspection reading"


def test_words_read_back_to_the_same_code_for_each_rule():
    for code, (_framework, shown, _outcome) in ofsted.CODES.items():
        question = ofsted.SAFEGUARDING if code in (8, 9, 18, 19) else ofsted.ALL_AREAS
        assert ofsted.parse_words(shown.upper(), question) == code
    assert ofsted.parse_words("Good", ofsted.ALL_AREAS) is None  # "Good (pre-2025 grade)"


def test_every_code_an_inspection_gives_a_kpi_reads_back_under_that_kpis_question():
    """An exported value imports again: whatever code_of gives a KPI (any framework, question,
    grades and safeguarding), its words parse back to it under the same question. An old
    inspection with safeguarding not effective gives a KPI of every area code 9, which read
    back only for a safeguarding KPI."""
    checked = set()
    for framework, areas in ofsted.AREAS.items():
        area_keys = list(areas) + (["overall"] if framework == OLD else [])
        for grade in range(1, 5 if framework == OLD else 6):
            grades = dict.fromkeys(area_keys, grade)
            for safeguarding in (True, False, None):
                for question in (ofsted.ALL_AREAS, ofsted.AREA, ofsted.SAFEGUARDING):
                    area = "curriculum_teaching"
                    code = ofsted.code_of(question, area, framework, grades, safeguarding)
                    if code is None:
                        continue
                    words = ofsted.CODES[code][1]
                    assert ofsted.parse_words(words, question) == code, (question, words)
                    checked.add((question, code))
    assert (ofsted.ALL_AREAS, 9) in checked


def test_trends_never_cross_frameworks():
    good_old, expected, attention = Decimal(2), Decimal(13), Decimal(14)
    assert rag.trend(expected, good_old, rag.LOWER, "inspection") is None
    assert rag.trend(good_old, Decimal(3), rag.LOWER, "inspection") == Trend.BETTER
    assert rag.trend(attention, expected, rag.LOWER, "inspection") == Trend.WORSE


def figure(outcome, pupils=1, name=""):
    return AcademyFigure(Decimal(13), weight=pupils, outcome=outcome, name=name)


def test_trust_share_of_academies_and_of_pupils_meeting_it():
    figures = [
        figure(Outcome.GREEN, 1200, "Big"),
        figure(Outcome.AMBER, 300),
        figure(Outcome.RED, 200),
        figure(Outcome.GREEN, 300),
        figure(Outcome.MISSING, 900),  # not judged: counts in neither share
    ]
    assert rag.aggregate("share_meeting", figures)[0] == Decimal("50.00")
    assert rag.aggregate("share_pupils_meeting", figures)[0] == Decimal("75.00")  # 1500/2000


def test_trust_share_of_pupils_is_amber_within_the_largest_academys_share():
    kpi_rule = rule(ofsted.ALL_AREAS)
    # 1500 of 2000 pupils meet it (75%); the largest academy holds 60% of the pupils, so one
    # academy short of 100% (40%) is amber and 75% is amber too.
    figures = [figure(Outcome.GREEN, 1200), figure(Outcome.GREEN, 300), figure(Outcome.RED, 500)]
    value, judgement = rag.judge_trust(kpi_rule, "share_pupils_meeting", Decimal(100), figures)
    assert value == Decimal("75.00")
    assert judgement.outcome == Outcome.AMBER
    assert judgement.explanation.startswith("Pupils in academies meeting the target: 75%")
    assert "60 amber margin" in judgement.explanation
    by_count = rag.judge_trust(kpi_rule, "share_meeting", Decimal(100), figures)
    assert by_count[0] == Decimal("66.67")
    assert by_count[1].outcome == Outcome.AMBER  # one of three academies short


def test_a_rising_share_of_good_schools_is_better_though_the_grades_go_lower():
    # The bug this pins: the trust trend of a share used the KPI's own direction (lower is
    # better for a grade), so more academies meeting the target read as "↓ worse".
    before = [figure(Outcome.GREEN), figure(Outcome.RED), figure(Outcome.RED)]
    now = [figure(Outcome.GREEN), figure(Outcome.GREEN), figure(Outcome.RED)]
    found, note = rag.trust_trend("share_meeting", now, before, rag.LOWER)
    assert found == Trend.BETTER
    assert note == ""
    found, _ = rag.trust_trend("share_meeting", before, now, rag.LOWER)
    assert found == Trend.WORSE
