"""manage.py generate_scale_data, called directly: the trust it makes and its refusal."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from academies.models import Academy, AcademyGroup, Owner, RoleAssignment
from kpis.models import KPI, Area, KPIValue, Period, Return, ReturnStatus
from plans.models import Action, Plan, ProgressUpdate

SMALL = ["--academies", "6", "--kpis", "8", "--years", "2", "--actions", "12", "--users", "40"]


def _empty() -> None:
    """Remove the trust (the session's, or one this command made): the command wants an
    empty database."""
    for model in (KPIValue, Return, Period, Action, Plan, RoleAssignment, KPI, Area):
        model.objects.all().delete()
    Academy.objects.all().delete()
    AcademyGroup.objects.all().delete()
    Owner.objects.filter(code__regex=r"^(P\d\d|B\d)$").delete()
    get_user_model().objects.filter(username__startswith="scale-user-").delete()


@pytest.fixture
def empty(db):
    _empty()


def test_it_makes_every_value_return_and_action_it_says(empty):
    out = StringIO()
    call_command("generate_scale_data", *SMALL, stdout=out)
    assert out.getvalue().strip() == (
        "Created 6 academies, 8 KPIs, 6 periods, 288 values, 12 actions, 40 users."
    )
    assert KPIValue.objects.count() == 6 * 8 * 6
    periods = list(Period.objects.order_by("year_start", "term"))
    assert [p.is_open for p in periods] == [False] * 5 + [True]
    # Every earlier term approved; in the open one the first third have not started.
    assert (
        Return.objects.exclude(period=periods[-1]).filter(status=ReturnStatus.APPROVED).count()
        == 6 * 5
    )
    assert Return.objects.filter(period=periods[-1], status=ReturnStatus.SUBMITTED).count() == 4
    # Every fourth user from the third is a head (of an academy in turn): ten of the 40.
    assert RoleAssignment.objects.count() == 10
    assert Action.objects.count() == 12 and ProgressUpdate.objects.count() == 6
    assert all(action.kpis.count() == 3 for action in Action.objects.all())


def test_the_same_seed_gives_the_same_values(empty):
    call_command("generate_scale_data", *SMALL, stdout=StringIO())
    first = list(
        KPIValue.objects.order_by("kpi__code", "academy__slug", "period__slug").values_list(
            "kpi__code", "academy__slug", "period__slug", "value"
        )
    )
    pupils = list(Academy.objects.order_by("slug").values_list("pupils_on_roll", flat=True))
    links = sorted(Action.kpis.through.objects.values_list("action__position", "kpi__code"))
    _empty()
    call_command("generate_scale_data", *SMALL, stdout=StringIO())
    again = list(
        KPIValue.objects.order_by("kpi__code", "academy__slug", "period__slug").values_list(
            "kpi__code", "academy__slug", "period__slug", "value"
        )
    )
    assert again == first and len(set(v for *_, v in first)) > 10
    assert list(Academy.objects.order_by("slug").values_list("pupils_on_roll", flat=True)) == (
        pupils
    )
    assert sorted(Action.kpis.through.objects.values_list("action__position", "kpi__code")) == (
        links
    )


def test_it_puts_the_academies_in_consecutive_groups_of_the_size_asked(empty):
    call_command("generate_scale_data", *SMALL, "--group-size", "4", stdout=StringIO())
    groups = {
        group.name: sorted(group.academies.values_list("slug", flat=True))
        for group in AcademyGroup.objects.all()
    }
    # Six academies in groups of four: four, then the two left over.
    assert groups == {
        "Region 01": [f"scale-academy-00{i}" for i in (1, 2, 3, 4)],
        "Region 02": ["scale-academy-005", "scale-academy-006"],
    }


def test_group_size_zero_makes_no_groups(empty):
    call_command("generate_scale_data", *SMALL, "--group-size", "0", stdout=StringIO())
    assert not AcademyGroup.objects.exists()
    assert Academy.objects.count() == 6 and not Academy.objects.filter(group__isnull=False)


def test_it_refuses_a_database_that_has_academies(trust):
    with pytest.raises(CommandError, match="already has academies"):
        call_command("generate_scale_data", *SMALL, stdout=StringIO())
