"""The GIAS import's "Group" column (issue 19): a column the trust adds to the establishment
file naming each academy's group (region or hub)."""

from __future__ import annotations

from academies.gias import apply_gias
from academies.models import Academy, AcademyGroup
from tests.academies.gias_files import HEADER, gias_bytes
from tests.academies.test_gias import prepare, trust_rows

WITH_GROUP = [*HEADER, "Group"]


def _rows(groups: dict[str, str]) -> list[dict[str, str]]:
    rows = trust_rows()
    for row in rows:
        row["Group"] = groups.get(row["EstablishmentName"].casefold(), "")
    return rows


def test_the_group_column_puts_academies_in_groups_creating_those_trustplan_lacks(trust):
    AcademyGroup.objects.create(name="North hub", slug="north-hub")
    data = gias_bytes(
        _rows({"aldersley high school": "north hub", "penn hall school": "South hub"}),
        header=WITH_GROUP,
    )
    preview = prepare(data)
    assert preview.ok, preview.all_problems()
    aldersley = next(u for u in preview.updates if u.academy.name == "Aldersley High School")
    assert ("Group", "—", "north hub") in [
        (c.label, c.old_shown, c.new_shown) for c in aldersley.changes
    ]
    apply_gias(preview)
    groups = dict(Academy.objects.filter(group__isnull=False).values_list("slug", "group__name"))
    # "north hub" is trustplan's "North hub" (any case); "South hub" is created.
    assert groups == {"aldersley-high-school": "North hub", "penn-hall-school": "South hub"}
    assert AcademyGroup.objects.get(name="South hub").slug == "south-hub"
    # The same file again changes no group.
    again = prepare(data)
    assert not any(c.field == "group" for u in again.updates for c in u.changes)


def test_a_blank_group_takes_an_academy_out_and_no_column_keeps_the_groups(trust):
    north = AcademyGroup.objects.create(name="North hub", slug="north-hub")
    Academy.objects.filter(slug__in=["aldersley-high-school", "moreton-school"]).update(group=north)
    # Without the column, nothing is said of groups.
    plain = prepare(gias_bytes(trust_rows()))
    assert not any(c.field == "group" for u in plain.updates for c in u.changes)
    apply_gias(plain)
    assert north.academies.count() == 2
    # With it, Moreton School's blank cell takes it out of North hub.
    preview = prepare(gias_bytes(_rows({"aldersley high school": "North hub"}), header=WITH_GROUP))
    apply_gias(preview)
    assert list(north.academies.values_list("slug", flat=True)) == ["aldersley-high-school"]


def test_a_group_name_too_long_is_a_problem_naming_row_and_column(trust):
    data = gias_bytes(_rows({"aldersley high school": "N" * 101}), header=WITH_GROUP)
    preview = prepare(data)
    assert not preview.ok
    problems = preview.all_problems()
    letter = preview.letters["Group"]
    assert any(
        f"column {letter}" in p and "Group" in p and "100 characters" in p for p in problems
    ), problems
    assert not AcademyGroup.objects.exists()


def test_a_new_academy_gets_its_group(trust):
    preview = prepare(
        gias_bytes(_rows({"ståhl house school": "Special schools"}), header=WITH_GROUP)
    )
    assert preview.ok, preview.all_problems()
    apply_gias(preview)
    assert Academy.objects.get(name="Ståhl House School").group.name == "Special schools"
