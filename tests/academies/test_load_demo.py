"""`python manage.py load_demo`: the Amethyst demo, idempotent, seeded, clearly marked."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from academies import permissions
from academies.models import Academy, AcademyRole, Owner, RoleAssignment
from kpis.models import KPIValue, Period, Return, ReturnStatus
from plans.models import Action, Plan


@pytest.fixture
def demo(db):
    # Without the published board pack: its PDF takes seconds to make, and
    # tests/papers/test_published_packs.py tests it once.
    out = StringIO()
    call_command("load_demo", "--without-pack", stdout=out)
    return out.getvalue()


def _snapshot():
    return sorted(
        KPIValue.objects.values_list("kpi__code", "academy__slug", "period__slug", "value")
    )


def test_demo_users_exist_for_every_role_with_the_demo_password(demo):
    User = get_user_model()
    expected = {
        "trustee": permissions.TRUSTEE,
        "governor": permissions.GOVERNOR,
        "head": permissions.HEADTEACHER,
        "exechead": permissions.HEADTEACHER,
        "central": permissions.CENTRAL_TEAM,
        "admin": permissions.ADMINISTRATOR,
    }
    for username, group in expected.items():
        user = User.objects.get(username=username)
        assert user.check_password("trustplan")
        assert list(user.groups.values_list("name", flat=True)) == [group]
        assert f"{username:<9} / trustplan" in demo
    assert User.objects.get(username="admin").is_superuser


def test_demo_role_assignments_match_the_issue(demo):
    def academies(username, role):
        return set(
            RoleAssignment.objects.filter(user__username=username, role=role).values_list(
                "academy__name", flat=True
            )
        )

    assert academies("governor", AcademyRole.GOVERNOR) == {"Moreton School"}
    assert academies("head", AcademyRole.HEADTEACHER) == {"Aldersley High School"}
    assert academies("exechead", AcademyRole.HEADTEACHER) == {
        "Penn Hall School",
        "Tettenhall Wood School",
    }
    assert Owner.objects.get(code="NLI").user.username == "central"


def test_demo_has_both_academic_years_with_summer_2024_open(demo):
    assert list(Period.objects.values_list("slug", flat=True)) == [
        "2022-23-autumn",
        "2022-23-spring",
        "2022-23-summer",
        "2023-24-autumn",
        "2023-24-spring",
        "2023-24-summer",
    ]
    assert list(Period.objects.open().values_list("slug", flat=True)) == ["2023-24-summer"]


def test_demo_values_are_marked_as_demo_and_cover_only_applicable_kpis(demo):
    values = KPIValue.objects.select_related("kpi", "academy")
    assert values.count() > 500
    assert not values.filter(is_demo=False).exists()
    for value in values:
        assert value.kpi.applies_to(value.academy), value
    sixth_form = Academy.objects.get(slug="amethyst-sixth-form")
    assert not values.filter(academy=sixth_form, kpi__code="1.1").exists()
    assert not values.filter(academy__phase="secondary", kpi__code="1.8").exists()


def test_demo_returns_tell_the_story_of_the_year(demo):
    def statuses(slug):
        return dict(Return.objects.filter(period__slug=slug).values_list("academy__slug", "status"))

    assert set(statuses("2022-23-summer").values()) == {ReturnStatus.APPROVED}
    assert statuses("2023-24-spring")["moreton-school"] == ReturnStatus.DRAFT
    assert statuses("2023-24-spring")["aldersley-high-school"] == ReturnStatus.SUBMITTED
    assert statuses("2023-24-summer") == {
        "aldersley-high-school": ReturnStatus.DRAFT,
        "moreton-school": ReturnStatus.SUBMITTED,
        "amethyst-sixth-form": ReturnStatus.SENT_BACK,
    }
    every_state = set(Return.objects.values_list("status", flat=True))
    assert every_state == set(ReturnStatus.values)


def test_load_demo_twice_changes_nothing(demo):
    counts = (Plan.objects.count(), Action.objects.count(), Owner.objects.count())
    values = _snapshot()
    call_command("load_demo", "--without-pack", stdout=StringIO())
    assert (Plan.objects.count(), Action.objects.count(), Owner.objects.count()) == counts
    assert _snapshot() == values


def test_demo_values_are_the_same_on_every_run(demo, django_db_blocker):
    first = _snapshot()
    KPIValue.history.all().delete()
    KPIValue.objects.all().delete()
    Return.objects.all().delete()
    call_command("load_demo", "--without-pack", stdout=StringIO())
    assert _snapshot() == first


def test_demo_values_are_recorded_in_history(demo):
    assert KPIValue.history.count() == KPIValue.objects.count()
    assert KPIValue.history.first().history_change_reason == "Demo data"


def test_pages_say_the_data_is_demo_data(demo, client):
    client.force_login(get_user_model().objects.get(username="trustee"))
    assert "Demo data:" in client.get("/").content.decode()


def test_demo_people_have_names_and_red_values_carry_their_heads_notes(demo):
    """The board shows who wrote a note ("— Priya Shah"): demo accounts have people's names,
    and the demo's red values carry an explanation signed by the academy's demo head; values
    that are not red carry no note."""
    from django.contrib.auth import get_user_model

    from kpis import rag
    from kpis.selectors import PeriodIndex, board_matrix

    head = get_user_model().objects.get(username="head")
    assert head.get_full_name() == "Priya Shah"
    periods = PeriodIndex()
    board = board_matrix(periods.by_slug["2023-24-spring"], periods)
    # The KPIs measured from inspections carry the inspection's summary instead (issue 17).
    cells = [
        cell
        for row in board.rows
        if row.kpi.measure != "inspection"
        for cell in row.cells
        if cell.value is not None
    ]
    reds = [cell for cell in cells if cell.outcome == rag.Outcome.RED]
    assert reds and all(cell.note for cell in reds)
    assert not any(cell.note for cell in cells if cell.outcome != rag.Outcome.RED)
    aldersley = [cell for cell in reds if cell.academy.slug == "aldersley-high-school"]
    assert aldersley and {cell.note_by for cell in aldersley} == {"Priya Shah"}
