"""History that says what changed: core.history (one entry per save, fields old → new in words,
links added/removed) and the action page's "Change history"."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.utils import bulk_update_with_history

from academies.models import Owner
from core import history
from kpis import views as kpi_views
from kpis.models import KPI, KPIValue, Period, Return, ReturnStatus, Term
from plans import services
from plans.models import Action
from tests.plans.test_plan_views import main_of, words

OCT_21 = datetime.date(2026, 10, 21)
JAN_31 = datetime.date(2027, 1, 31)


@pytest.fixture
def action(trust) -> Action:
    """Action 1.1's first: responsibility TBR, KPIs 1.1–1.9, monitored by NLI."""
    return Action.objects.get(
        objective__plan=trust,
        description__startswith="New curriculum and assessment frameworks are implemented",
    )


def edit(action: Action, user, **changes) -> None:
    """services.action_edit with the action's current fields and links, but for ``changes``."""
    current = {
        "aims": list(action.aims.all()),
        "description": action.description,
        "academies": list(action.academies.all()),
        "due_date": action.due_date,
        "due_period": action.due_period,
        "responsible": list(action.responsible.all()),
        "monitors": list(action.monitors.all()),
        "kpis": list(action.kpis.all()),
    }
    services.action_edit(action=action, user=user, **(current | changes))


def action_entries(action: Action) -> list[history.Entry]:
    records = list(
        action.history.select_related("history_user", "due_period").order_by(
            "history_date", "history_id"
        )
    )
    return history.entries(records, exclude=["position"])


def change_lines(entry: history.Entry) -> set[tuple]:
    return {(c.label, c.old, c.new, c.added, c.removed) for c in entry.changes}


def history_rows(page: str) -> list[str]:
    """The visible text of each row of the action page's change history, newest first."""
    section = page.split('id="history-heading"')[1]
    body = section.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [words(re.sub(r"</?span[^>]*>", "", row)) for row in rows]


# --- Grouping records into saves ----------------------------------------------------------------


def record(seconds: float, user: int | None = 1, kind: str = "~") -> SimpleNamespace:
    start = datetime.datetime(2026, 10, 21, 9, 0, tzinfo=datetime.UTC)
    return SimpleNamespace(
        history_date=start + datetime.timedelta(seconds=seconds),
        history_user_id=user,
        history_type=kind,
    )


def test_records_of_one_save_are_one_run():
    # action_edit: save() then four m2m set() calls, each a record, milliseconds apart.
    records = [record(0, kind="+"), record(0.01), record(0.02), record(0.03), record(0.04)]
    assert history.group_saves(records) == [records]


def test_another_person_or_a_later_save_starts_a_new_run():
    first, by_other, later = record(0), record(0.5, user=2), record(10, user=2)
    assert history.group_saves([first, by_other, later]) == [[first], [by_other], [later]]


def test_a_second_save_that_changes_a_field_starts_a_new_run(action, cast):
    edit(action, cast["central"], due_date=OCT_21)
    edit(action, cast["central"], due_date=JAN_31)  # the same person, milliseconds later
    records = list(action.history.order_by("history_date", "history_id"))
    runs = history.group_saves(records)
    assert [run[-1].due_date for run in runs[-2:]] == [OCT_21, JAN_31]


def test_a_deletion_ends_its_run():
    deleted, recreated = record(0, kind="-"), record(0.1, kind="+")
    assert history.group_saves([deleted, recreated]) == [[deleted], [recreated]]


# --- What one save changed ----------------------------------------------------------------------


def test_one_action_edit_is_one_entry_with_the_due_date_and_owners_that_changed(action, cast):
    edit(action, cast["central"], due_date=OCT_21)
    before = action.history.count()
    edit(
        action,
        cast["central"],
        due_date=JAN_31,
        responsible=[Owner.objects.get(code="LJO"), Owner.objects.get(code="NLI")],
    )
    assert action.history.count() > before + 1  # the save and its link updates: several records

    latest = action_entries(action)[-1]
    assert latest.kind == "changed"
    assert latest.user == cast["central"]
    assert change_lines(latest) == {
        ("Due date", "21 Oct 2026", "31 Jan 2027", (), ()),
        ("Responsibility", "", "", ("LJO", "NLI"), ("TBR",)),
    }


def test_a_save_that_changes_nothing_is_not_an_entry(action, cast):
    edit(action, cast["central"], due_date=OCT_21)
    count = len(action_entries(action))
    edit(action, cast["central"])
    assert len(action_entries(action)) == count


def test_kpis_monitors_and_academies_are_named_as_added_and_removed(action, cast, academy_a):
    edit(
        action,
        cast["central"],
        kpis=[KPI.objects.get(code="1.1"), KPI.objects.get(code="2.1")],
        monitors=[Owner.objects.get(code="LGB")],
        academies=[academy_a],
    )
    changes = {c.label: c for c in action_entries(action)[-1].changes}
    kpi_2_1 = str(KPI.objects.get(code="2.1"))
    assert changes["KPIs"].added == (kpi_2_1,)
    assert len(changes["KPIs"].removed) == 8  # 1.2–1.9
    assert changes["Monitored by"].added == ("LGB – Local Governing Body",)
    assert changes["Monitored by"].removed == ("NLI",)
    assert changes["Academies"].added == ("Aldersley High School",)


def test_a_term_is_named_and_a_cleared_date_reads_none(action, cast):
    spring = Period.objects.create(year_start=2026, term=Term.SPRING)
    edit(action, cast["central"], due_date=OCT_21)
    edit(action, cast["central"], due_date=None, due_period=spring)
    assert change_lines(action_entries(action)[-1]) == {
        ("Due date", "21 Oct 2026", "", (), ()),
        ("Due period", "", str(spring), (), ()),
    }


def test_a_created_action_lists_what_it_was_created_with(objective_one, cast):
    created = services.action_create(
        objective=objective_one,
        user=cast["central"],
        aims=[objective_one.aims.first()],
        description="Run a reading programme",
        academies=[],
        due_date=OCT_21,
        due_period=None,
        responsible=[Owner.objects.get(code="NLI")],
        monitors=[],
        kpis=[],
    )
    [entry] = action_entries(created)
    assert entry.kind == "created"
    lines = change_lines(entry)
    assert ("Description", "", "Run a reading programme", (), ()) in lines
    assert ("Due date", "", "21 Oct 2026", (), ()) in lines
    assert ("Responsibility", "", "", ("NLI",), ()) in lines
    assert not any(label == "Monitored by" for label, *_ in lines)  # nothing: not mentioned


def test_statuses_read_by_their_label(academy_a, cast):
    period = Period.objects.create(year_start=2026, term=Term.AUTUMN)
    ret = Return.objects.create(academy=academy_a, period=period)
    ret.status = ReturnStatus.SUBMITTED
    ret.save()
    records = list(ret.history.select_related("history_user").order_by("history_date"))
    entry = history.entries(records, exclude=["version", "submitted_by", "submitted_at"])[-1]
    assert change_lines(entry) == {("Status", "Draft", "Submitted", (), ())}


# --- The action page ----------------------------------------------------------------------------


def test_the_action_page_shows_one_entry_per_edit_with_old_and_new(client_for, action, cast):
    edit(action, cast["central"], due_date=OCT_21)
    edit(action, cast["admin"], due_date=JAN_31, responsible=[Owner.objects.get(code="LJO")])
    page = main_of(client_for("trustee").get(reverse("plans:action", args=[action.pk])))
    rows = history_rows(page)
    # Newest first: the admin's edit, central's edit, then the plan's load (created).
    assert len(rows) == 3
    assert "Due date: 21 Oct 2026 → 31 Jan 2027" in rows[0]
    assert "Responsibility: added LJO; removed TBR" in rows[0]
    assert "Due date: none → 21 Oct 2026" in rows[1]
    assert "Created" in rows[2] and "Description: New curriculum" in rows[2]


def test_the_action_page_history_costs_the_same_queries_however_many_edits(
    client_for, action, cast, django_assert_num_queries
):
    client = client_for("trustee")
    url = reverse("plans:action", args=[action.pk])
    edit(action, cast["central"], due_date=OCT_21)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for day in range(1, 6):
        edit(action, cast["central"], due_date=OCT_21 + datetime.timedelta(days=day))
        edit(
            action, cast["admin"], responsible=[Owner.objects.get(code="LJO" if day % 2 else "NLI")]
        )
    with django_assert_num_queries(len(few)):
        assert client.get(url).status_code == 200
    history_queries = [q["sql"] for q in few.captured_queries if "historical" in q["sql"].lower()]
    # The records (with who saved them, the due term and the objective), then one query for
    # each kind of link the action's history keeps: owners, monitors, KPIs, academies.
    assert len(history_queries) == 5


@pytest.fixture
def objective_one(trust):
    return trust.objectives.get(number=1)


# --- The return page's value history ------------------------------------------------------------


def save_value(row: KPIValue, user, **fields) -> None:
    for name, new in fields.items():
        setattr(row, name, new)
    row._history_user = user
    row.save()


@pytest.fixture
def attendance(academy_a, cast) -> KPIValue:
    """Aldersley's attendance (2.1, a percentage) in an open term, entered by its head as 55."""
    period = Period.objects.create(year_start=2026, term=Term.AUTUMN, is_open=True)
    value = KPIValue(kpi=KPI.objects.get(code="2.1"), academy=academy_a, period=period)
    save_value(value, cast["head_a"], value=Decimal("55"))
    return value


def value_entries(value: KPIValue) -> list[history.Entry]:
    records = list(value.history.select_related("history_user").order_by("history_date"))
    return kpi_views._history_lines(value.kpi, records)


def test_a_value_history_says_value_and_note_old_and_new(attendance, cast):
    save_value(attendance, cast["head_a"], value=Decimal("62.00"), note="New maths lead")
    save_value(attendance, cast["central"], note="New maths lead started in April")
    created, first, second = value_entries(attendance)
    assert created.kind == "created"
    assert change_lines(created) == {("Value", "", "55%", (), ())}
    assert change_lines(first) == {
        ("Value", "55%", "62%", (), ()),
        ("Note", "", "New maths lead", (), ()),
    }
    assert change_lines(second) == {
        ("Note", "New maths lead", "New maths lead started in April", (), ())
    }
    assert second.user == cast["central"]


def test_not_available_reads_as_the_value_and_a_resave_is_no_entry(attendance, cast):
    save_value(attendance, cast["head_a"], value=Decimal("55.0000"))  # the same value again
    save_value(attendance, cast["head_a"], value=None, not_available=True, note="Closed")
    entries = value_entries(attendance)
    assert len(entries) == 2
    assert ("Value", "55%", "not available", (), ()) in change_lines(entries[-1])


def test_the_return_page_shows_each_value_change_in_words(client_for, attendance, cast):
    save_value(attendance, cast["head_a"], value=Decimal("62"), note="New maths lead")
    page = client_for("head_a").get(
        reverse("entry:form", args=[attendance.academy.slug, attendance.period.slug])
    )
    assert page.status_code == 200
    text = words(page.content.decode())
    assert "changed – Value: 55% → 62%; Note: none → New maths lead" in text
    assert "created – Value: 55%" in text


def test_a_deleted_value_says_what_it_held(attendance, cast):
    attendance._history_user = cast["head_a"]
    attendance.delete()
    records = list(
        KPIValue.history.filter(academy=attendance.academy, period=attendance.period)
        .select_related("history_user")
        .order_by("history_date")
    )
    deleted = kpi_views._history_lines(attendance.kpi, records)[-1]
    assert deleted.kind == "deleted"
    assert change_lines(deleted) == {("Value", "55%", "", (), ())}


def test_a_bulk_update_that_recorded_no_links_claims_no_link_change(action, cast):
    # simple-history's bulk helpers (the demo's due dates, a plan sheet's updates) write one
    # record and no link rows: the links did not change, the next edit's changes are its own.
    edit(action, cast["central"], due_date=OCT_21)
    action.due_date = JAN_31
    del action._history_user  # a script's write: nobody's
    bulk_update_with_history([action], Action, ["due_date"], default_change_reason="Demo data")
    edit(action, cast["central"], responsible=[Owner.objects.get(code="LJO")])
    bulk, edited = action_entries(action)[-2:]
    assert change_lines(bulk) == {("Due date", "21 Oct 2026", "31 Jan 2027", (), ())}
    assert bulk.reason == "Demo data"
    assert change_lines(edited) == {("Responsibility", "", "", ("LJO",), ("TBR",))}
