"""Pure tests of plans/references.py: the KPI and owner reference cells real plans hold.

The cell values come from the Amethyst 2023/24 plan (shared/seeds/003_2b3c481e459533ac.txt).
"""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from plans.references import (
    ReferenceError,
    format_kpi_codes,
    parse_kpi_codes,
    parse_owner_codes,
    suggest,
)

ONE_TO_NINE = ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9"]

# The Amethyst owners as owner_lookup() presents them: each code and each name → the code.
AMETHYST_OWNERS = {
    "NLI": "NLI",
    "TBR": "TBR",
    "JIN": "JIN",
    "LGB": "LGB",
    "BOARD": "BOARD",
    "Trust Board": "BOARD",
    "TSC": "TSC",
    "Trust sub-committees": "TSC",
    "BAS": "BAS",
    "Behaviour, attendance and safeguarding sub committee": "BAS",
    "CT": "CT",
    "Central Team": "CT",
}


# parse_kpi_codes ---------------------------------------------------------------------------


def test_kpi_range_is_nine_kpis():
    assert parse_kpi_codes("1.1-1.9") == ONE_TO_NINE


def test_kpi_range_with_space_before_dash_is_nine_kpis():
    assert parse_kpi_codes("1.1 -1.9") == ONE_TO_NINE


def test_kpi_range_with_spaces_around_dash_is_nine_kpis():
    assert parse_kpi_codes("1.1 - 1.9") == ONE_TO_NINE


def test_kpi_range_into_two_digit_codes_counts_numerically():
    assert parse_kpi_codes("4.9-4.11") == ["4.9", "4.10", "4.11"]


def test_kpi_range_with_en_dash_reads_like_a_hyphen():
    assert parse_kpi_codes("4.9–4.11") == ["4.9", "4.10", "4.11"]


def test_kpi_range_with_em_dash_reads_like_a_hyphen():
    assert parse_kpi_codes("4.9—4.11") == ["4.9", "4.10", "4.11"]


def test_two_kpis_separated_by_two_spaces_are_two_codes_in_written_order():
    assert parse_kpi_codes("4.13  4.1") == ["4.13", "4.1"]


def test_two_kpis_separated_by_one_space_are_two_codes():
    assert parse_kpi_codes("4.12 4.13") == ["4.12", "4.13"]


def test_asset_plan_kpis_are_four_point_five_and_four_point_six():
    assert parse_kpi_codes("4.5 4.6") == ["4.5", "4.6"]


def test_kpis_written_out_of_order_keep_their_order():
    assert parse_kpi_codes("4.11 4.9") == ["4.11", "4.9"]


def test_continuation_rows_joined_with_spaces_give_each_kpi():
    assert parse_kpi_codes("2.5 3.2 4.8") == ["2.5", "3.2", "4.8"]


def test_kpis_separated_by_commas_are_separate_codes():
    assert parse_kpi_codes("4.5, 4.6,4.7") == ["4.5", "4.6", "4.7"]


def test_kpis_separated_by_and_are_separate_codes():
    assert parse_kpi_codes("4.5 and 4.6") == ["4.5", "4.6"]


def test_kpis_mixing_ranges_commas_and_and():
    assert parse_kpi_codes("1.1-1.3, 2.5 and 4.9–4.11") == [
        "1.1",
        "1.2",
        "1.3",
        "2.5",
        "4.9",
        "4.10",
        "4.11",
    ]


def test_kpi_range_written_with_to_is_the_same_as_with_a_dash():
    # "1.1 to 1.3" reads as a range in English; it must not silently become ["1.1", "1.3"].
    assert parse_kpi_codes("1.1 to 1.3") == ["1.1", "1.2", "1.3"]


@pytest.mark.parametrize("blank", ["", "   ", "\t", None])
def test_blank_kpi_cell_is_no_kpis(blank):
    assert parse_kpi_codes(blank) == []


def test_repeated_kpi_is_listed_once():
    assert parse_kpi_codes("4.2 4.2") == ["4.2"]


def test_kpi_already_inside_a_range_is_not_repeated():
    assert parse_kpi_codes("1.1-1.9 1.4") == ONE_TO_NINE


def test_overlapping_ranges_give_each_kpi_once():
    assert parse_kpi_codes("4.1-4.3 4.2-4.4") == ["4.1", "4.2", "4.3", "4.4"]


def test_word_in_kpi_cell_is_an_error_naming_the_word():
    with pytest.raises(ReferenceError, match="abc"):
        parse_kpi_codes("abc")


def test_unknown_part_after_a_good_code_is_an_error_naming_only_that_part():
    with pytest.raises(ReferenceError) as raised:
        parse_kpi_codes("1.1 xyz")
    assert "xyz" in str(raised.value)
    assert "1.1 xyz" not in str(raised.value)


def test_backwards_kpi_range_is_an_error_naming_the_range():
    with pytest.raises(ReferenceError, match=r"1\.9-1\.1.*backwards"):
        parse_kpi_codes("1.9-1.1")


def test_kpi_range_spanning_two_areas_is_an_error_naming_the_range():
    with pytest.raises(ReferenceError, match=r"1\.1-2\.3.*two areas"):
        parse_kpi_codes("1.1-2.3")


def test_kpi_reference_error_is_a_value_error():
    assert issubclass(ReferenceError, ValueError)


# format_kpi_codes --------------------------------------------------------------------------


def test_three_or_more_consecutive_kpis_collapse_to_a_range():
    assert format_kpi_codes(ONE_TO_NINE) == "1.1-1.9"


def test_range_collapse_counts_two_digit_codes_numerically():
    assert format_kpi_codes(["4.11", "4.9", "4.10"]) == "4.9-4.11"


def test_two_consecutive_kpis_stay_separate():
    assert format_kpi_codes(["4.6", "4.5"]) == "4.5 4.6"


def test_formatted_kpis_are_sorted_by_area_then_number():
    assert format_kpi_codes(["4.13", "4.1", "1.9"]) == "1.9 4.1 4.13"


def test_ranges_do_not_run_across_areas():
    assert format_kpi_codes(["1.8", "1.9", "2.1", "2.2", "2.3"]) == "1.8 1.9 2.1-2.3"


def test_formatting_repeated_codes_lists_each_once():
    assert format_kpi_codes(["4.2", "4.2"]) == "4.2"


def test_formatting_no_codes_is_empty():
    assert format_kpi_codes([]) == ""


# Every code parse_kpi_codes accepts: a one- or two-digit area and a one- to three-digit number.
_areas = st.integers(min_value=0, max_value=99)
_minors = st.integers(min_value=0, max_value=999)
_scattered = st.sets(st.builds("{}.{}".format, _areas, _minors), max_size=30)
_runs = st.lists(
    st.tuples(_areas, _minors, st.integers(min_value=1, max_value=150)), max_size=3
).map(
    lambda runs: {
        f"{area}.{minor}"
        for area, start, length in runs
        for minor in range(start, min(start + length, 1000))
    }
)


@settings(database=None)
@given(scattered=_scattered, runs=_runs)
@example(scattered=set(), runs={f"1.{minor}" for minor in range(1, 103)})  # 1.1-1.102
def test_parsing_formatted_codes_gives_back_the_same_codes(scattered, runs):
    codes = scattered | runs
    assert set(parse_kpi_codes(format_kpi_codes(codes))) == codes


@settings(database=None)
@given(scattered=_scattered)
def test_formatted_codes_parse_without_duplicates(scattered):
    parsed = parse_kpi_codes(format_kpi_codes(scattered))
    assert len(parsed) == len(set(parsed)) == len(scattered)


# parse_owner_codes -------------------------------------------------------------------------


def test_two_people_joined_by_and_are_two_owners_in_order():
    assert parse_owner_codes("TBR and NLI", AMETHYST_OWNERS) == ["TBR", "NLI"]


def test_nli_and_jin_are_two_owners():
    assert parse_owner_codes("NLI and JIN", AMETHYST_OWNERS) == ["NLI", "JIN"]


def test_body_named_in_full_and_a_code_are_two_owners():
    assert parse_owner_codes("Trust Board and LGB", AMETHYST_OWNERS) == ["BOARD", "LGB"]


def test_owners_separated_only_by_two_spaces_are_two_owners():
    assert parse_owner_codes("LGB  Trust sub-committees", AMETHYST_OWNERS) == ["LGB", "TSC"]


def test_owner_name_containing_a_comma_and_and_is_one_owner():
    text = "Behaviour, attendance and safeguarding sub committee"
    assert parse_owner_codes(text, AMETHYST_OWNERS) == ["BAS"]


def test_owner_name_with_comma_and_and_followed_by_another_owner():
    text = "Behaviour, attendance and safeguarding sub committee and Trust Board"
    assert parse_owner_codes(text, AMETHYST_OWNERS) == ["BAS", "BOARD"]


def test_single_person_is_one_owner():
    assert parse_owner_codes("NLI", AMETHYST_OWNERS) == ["NLI"]


def test_central_team_is_known_by_its_name():
    assert parse_owner_codes("Central Team", AMETHYST_OWNERS) == ["CT"]


def test_owner_matching_ignores_case_and_surrounding_spaces():
    assert parse_owner_codes("  nli ", AMETHYST_OWNERS) == ["NLI"]


def test_owner_name_matching_ignores_case_and_inner_space_runs():
    assert parse_owner_codes("trust   BOARD", AMETHYST_OWNERS) == ["BOARD"]


def test_owners_separated_by_commas_and_ampersand():
    assert parse_owner_codes("NLI, TBR & JIN", AMETHYST_OWNERS) == ["NLI", "TBR", "JIN"]


def test_owner_named_twice_is_listed_once():
    assert parse_owner_codes("NLI and nli", AMETHYST_OWNERS) == ["NLI"]


def test_code_and_name_of_the_same_owner_are_listed_once():
    assert parse_owner_codes("Trust Board and BOARD", AMETHYST_OWNERS) == ["BOARD"]


@pytest.mark.parametrize("blank", ["", "  ", None])
def test_blank_owner_cell_is_no_owners(blank):
    assert parse_owner_codes(blank, AMETHYST_OWNERS) == []


def test_unknown_owner_is_an_error_naming_it_and_suggesting_the_close_match():
    with pytest.raises(ReferenceError) as raised:
        parse_owner_codes("NLL", AMETHYST_OWNERS)
    message = str(raised.value)
    assert "NLL" in message
    assert "did you mean" in message
    assert "NLI" in message


def test_unknown_owner_beside_a_known_one_names_only_the_unknown():
    with pytest.raises(ReferenceError) as raised:
        parse_owner_codes("NLI and XYZ", AMETHYST_OWNERS)
    message = str(raised.value)
    assert "XYZ" in message
    assert "NLI" not in message


def test_unknown_owner_with_no_close_match_suggests_nothing():
    with pytest.raises(ReferenceError) as raised:
        parse_owner_codes("Qwertyuiop", AMETHYST_OWNERS)
    assert "Qwertyuiop" in str(raised.value)
    assert "did you mean" not in str(raised.value)


def test_each_unknown_owner_is_named():
    with pytest.raises(ReferenceError) as raised:
        parse_owner_codes("NLL and TBB", AMETHYST_OWNERS)
    assert "NLL" in str(raised.value)
    assert "TBB" in str(raised.value)


def test_known_code_as_prefix_of_a_longer_word_is_not_a_match():
    # "LGBs" is not "LGB": a code only matches as a whole word.
    with pytest.raises(ReferenceError, match="LGBs"):
        parse_owner_codes("LGBs", AMETHYST_OWNERS)


# suggest -----------------------------------------------------------------------------------


def test_suggest_gives_the_closest_choice_in_its_own_spelling():
    assert suggest("nll", ["NLI", "TBR", "JIN"]) == "NLI"


def test_suggest_ignores_case_and_surrounding_spaces():
    assert suggest("  trust bord ", ["Trust Board", "LGB"]) == "Trust Board"


def test_suggest_gives_none_when_nothing_is_close():
    assert suggest("zzz", ["NLI", "TBR"]) is None


def test_suggest_from_no_choices_is_none():
    assert suggest("NLI", []) is None


def test_suggest_accepts_any_iterable_of_choices():
    assert suggest("Central Tem", (name for name in ["Central Team", "Trust Board"])) == (
        "Central Team"
    )
