"""Termly KPI returns: the entry form, central team's review, and who may do what.

Each test makes its own period (2023/24 summer, open unless it says otherwise) and checks what
the database holds after each request, not only the status code.
"""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from academies.models import Academy
from kpis.models import KPI, KPIValue, Measure, Period, Return, ReturnStatus, Term

SLUG = "2023-24-summer"
SPRING_SLUG = "2023-24-spring"


# --- Helpers ----------------------------------------------------------------------------------


def make_period(*, year_start: int = 2023, term: int = Term.SUMMER, is_open: bool = True):
    return Period.objects.create(year_start=year_start, term=term, is_open=is_open)


def applicable(academy: Academy) -> list[KPI]:
    return [
        k
        for k in KPI.objects.active().with_area()
        if k.applies_to(academy) and not k.from_inspections
    ]


def kpi(code: str) -> KPI:
    return KPI.objects.get(code=code)


def label(code: str) -> str:
    """How messages name a KPI: "2.1 Attendance > 95%"."""
    found = kpi(code)
    return f"{found.code} {found.name}"


def good_value(k: KPI) -> str:
    """A value that meets (or has no) target, so a return of these is green throughout.

    Percentages are 100 (5 for lower-is-better 2.2): 96 would be red for 2.2 (at most 10%) and
    4.1 (at least 100%, amber 3). Change targets 2.3/2.4 have no baseline and 1.1/1.3 no
    national figure, so whatever is entered there has no target.
    """
    if k.measure == Measure.PERCENTAGE:
        return "5" if k.lower_is_better else "100"
    return {
        Measure.COUNT: "0",
        Measure.GRADE: "2",
        Measure.YES_NO: "1",
        Measure.MONEY: "1000",
        Measure.NUMBER: "50",
    }[k.measure]


def complete_post(
    academy: Academy,
    *,
    action: str = "save",
    version: int = 0,
    values: dict[str, str] | None = None,
    notes: dict[str, str] | None = None,
    not_available: tuple[str, ...] = (),
    confirm: tuple[str, ...] = (),
) -> dict[str, str]:
    """A complete, valid POST for a new return, with per-KPI-code changes."""
    values, notes = values or {}, notes or {}
    data = {"action": action, "version": str(version)}
    for k in applicable(academy):
        default = "" if k.code in not_available else good_value(k)
        data[f"value_{k.pk}"] = values.get(k.code, default)
        data[f"note_{k.pk}"] = notes.get(k.code, "")
        data[f"was_{k.pk}"] = ""
        if k.code in not_available:
            data[f"na_{k.pk}"] = "on"
        if k.code in confirm:
            data[f"confirm_{k.pk}"] = "on"
    return data


def form_as_sent(response, *, action: str = "save", **values: str) -> dict[str, str]:
    """What a browser posts back from the page it was given (version and was_ included).

    Keyword arguments change values by KPI code with "_" for ".": v2_1="90".
    """
    form = response.context["form"]
    data = {"action": action}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else str(value)
    for key, value in values.items():
        data[f"value_{kpi(key.removeprefix('v').replace('_', '.')).pk}"] = value
    return data


def entry_url(academy: Academy, slug: str = SLUG) -> str:
    return reverse("entry:form", args=[academy.slug, slug])


def action_url(name: str, academy: Academy, slug: str = SLUG) -> str:
    return reverse(f"entry:{name}", args=[academy.slug, slug])


def stored(academy: Academy, slug: str = SLUG) -> dict[str, tuple]:
    """code → (value, not available, note) of the academy's values in the period."""
    return {
        v.kpi.code: (v.value, v.not_available, v.note)
        for v in KPIValue.objects.filter(academy=academy, period__slug=slug).select_related("kpi")
    }


def snapshot() -> tuple[list, list]:
    """Every value and every return, to show a refused request wrote nothing."""
    return (
        list(
            KPIValue.objects.order_by("pk").values_list(
                "pk", "kpi_id", "academy_id", "period_id", "value", "not_available", "note"
            )
        ),
        list(
            Return.objects.order_by("pk").values_list(
                "pk", "academy_id", "period_id", "status", "version", "sent_back_reason"
            )
        ),
    )


def the_return(academy: Academy, slug: str = SLUG) -> Return | None:
    return Return.objects.filter(academy=academy, period__slug=slug).first()


def page(response) -> str:
    return html.unescape(response.content.decode())


def row_text(response, code: str) -> str:
    """The entry table's row for one KPI, as text."""
    text = page(response)
    at = text.index(f'for="id_value_{kpi(code).pk}"')
    start = text.rindex("<tr", 0, at)
    return text[start : text.index("</tr>", start)]


def signed_in(user) -> Client:
    other = Client()
    other.force_login(user)
    return other


def submitted_return(client, academy: Academy, **changes) -> Return:
    """The head (already signed in on client) submits a complete return."""
    response = client.post(entry_url(academy), complete_post(academy, action="submit", **changes))
    assert response.status_code == 302, page(response)
    ret = the_return(academy)
    assert ret.status == ReturnStatus.SUBMITTED
    return ret


def make_return(academy, period, status, user=None, **fields) -> Return:
    return Return.objects.create(
        academy=academy, period=period, status=status, updated_by=user, **fields
    )


# --- Heads: what the form shows ---------------------------------------------------------------


def test_the_form_lists_every_kpi_for_the_academys_phase_grouped_by_area(client_for, academy_a):
    make_period()
    response = client_for("head_a").get(entry_url(academy_a))
    assert response.status_code == 200
    areas = response.context["areas"]
    assert [area.number for area, _rows in areas] == [1, 2, 3, 4]
    for area, rows in areas:
        assert all(row.kpi.area == area for row in rows)
    shown = [row.kpi.code for _area, rows in areas for row in rows]
    assert shown == [k.code for k in applicable(academy_a)]
    assert len(shown) == 26 and "1.8" not in shown and "1.1" in shown
    # The four KPIs measured from inspections are shown read-only, never as fields.
    inspected = [k.code for k, _shown, _judgement in response.context["inspection_rows"]]
    assert inspected == ["1.9", "2.5", "3.1", "3.2"]
    assert not any(f"value_{kpi(code).pk}" in response.context["form"].fields for code in inspected)
    text = page(response)
    assert "1. Quality of Education" in text and "4. Leadership and Management" in text
    assert not Return.objects.exists() and not KPIValue.objects.exists()


def test_a_special_schools_form_shows_the_ehcp_kpi_and_not_attainment_8(client_for):
    make_period()
    penn = Academy.objects.get(slug="penn-hall-school")
    response = client_for("exec_head").get(entry_url(penn))
    assert response.status_code == 200
    shown = [row.kpi.code for _area, rows in response.context["areas"] for row in rows]
    assert shown == [k.code for k in applicable(penn)]
    assert "1.8" in shown and "1.1" not in shown
    assert label("1.8") in page(response) and label("1.1") not in page(response)
    # Penn Hall's own attendance target (90%) replaces the trust's 95%.
    assert "At least 90%" in row_text(response, "2.1")
    assert not Return.objects.exists()


def test_each_kpi_shows_last_period_and_same_term_last_year_with_target_and_unit(
    client_for, academy_a
):
    make_period()
    spring = make_period(term=Term.SPRING, is_open=False)
    last_summer = make_period(year_start=2022, is_open=False)
    for period, attendance, balance in ((spring, "94.5", "12300"), (last_summer, "93.25", "-800")):
        KPIValue.objects.create(
            kpi=kpi("2.1"), academy=academy_a, period=period, value=Decimal(attendance)
        )
        KPIValue.objects.create(
            kpi=kpi("4.9"), academy=academy_a, period=period, value=Decimal(balance)
        )
    response = client_for("head_a").get(entry_url(academy_a))
    assert response.status_code == 200
    text = page(response)
    assert "2023/24 Spring" in text and "2022/23 Summer" in text
    attendance = row_text(response, "2.1")
    assert "94.5%" in attendance and "93.25%" in attendance
    assert "At least 95%" in attendance and "(%)" in attendance
    balance = row_text(response, "4.9")
    assert "£12,300" in balance and "−£800" in balance
    assert "At least £0" in balance and "(£)" in balance
    assert stored(academy_a) == {}


# --- Heads: what each kind of measure accepts -------------------------------------------------


@pytest.mark.parametrize(
    ("code", "typed", "expected"),
    [
        ("2.1", "95", "95"),
        ("2.1", "95%", "95"),
        ("2.1", "95.0", "95"),
        ("2.1", " 95 % ", "95"),
        ("2.3", "3", "3"),
        ("2.3", "0", "0"),
        ("1.9", "3", "3"),
        ("3.1", "0", "0"),
        ("4.9", "£12,300", "12300"),
        ("4.9", "-5000", "-5000"),
        ("1.7", "4.25", "4.25"),
    ],
)
def test_a_value_typed_as_people_write_it_is_stored_as_a_number(
    client_for, academy_a, graded_kpis, code, typed, expected
):
    make_period()
    response = client_for("head_a").post(
        entry_url(academy_a), complete_post(academy_a, values={code: typed})
    )
    assert response.status_code == 302, page(response)
    assert stored(academy_a)[code][0] == Decimal(expected)
    assert the_return(academy_a).status == ReturnStatus.DRAFT


def others_saved(academy: Academy, but: str) -> bool:
    """Every applicable KPI but ``but`` has a stored value (the rest of the form saved)."""
    return set(stored(academy)) == {k.code for k in applicable(academy)} - {but}


def test_a_percentage_above_100_is_not_saved_naming_the_kpi_and_the_rest_saves(
    client_for, academy_a
):
    # Issue 15: one unreadable row used to refuse the whole form ("Nothing was saved"); now
    # that row keeps its stored value (none here), every other row saves.
    make_period()
    response = client_for("head_a").post(
        entry_url(academy_a), complete_post(academy_a, values={"2.1": "105"})
    )
    assert response.status_code == 400
    assert "2.1 Attendance > 95%: 105 is above 100" in page(response)
    assert "could not be read and were not saved" in page(response)
    assert others_saved(academy_a, but="2.1")
    assert 'value="105"' in row_text(response, "2.1")  # what was typed is kept
    assert the_return(academy_a).status == ReturnStatus.DRAFT


@pytest.mark.parametrize(
    ("code", "typed", "message"),
    [
        ("2.3", "2.5", "2.5 is not a whole number"),
        ("2.3", "-1", "a count cannot be negative (-1)"),
        ("2.1", "-3", "-3 is below 0"),
        ("2.1", "ninety", "“ninety” is not a number. Enter a percentage from 0 to 100"),
        ("1.9", "5", "“5” is not a grade. Choose a grade from 1 (outstanding) to 4"),
        ("1.9", "0", "“0” is not a grade. Choose a grade from 1 (outstanding) to 4"),
        ("3.1", "2", "“2” is not Yes or No. Enter Yes or No."),
        ("3.1", "Maybe", "“Maybe” is not Yes or No. Enter Yes or No."),
        ("4.9", "twelve pounds", "“twelve pounds” is not a number. Enter an amount in pounds"),
    ],
)
def test_a_rejected_value_is_not_saved_the_rest_is_and_it_answers_400(
    client_for, academy_a, graded_kpis, code, typed, message
):
    # Issue 15: the rest of the form saves (it used to write nothing).
    make_period()
    response = client_for("head_a").post(
        entry_url(academy_a), complete_post(academy_a, values={code: typed})
    )
    assert response.status_code == 400
    assert f"{label(code)}: {message}" in page(response)
    assert others_saved(academy_a, but=code)


def test_grades_and_yes_no_are_offered_as_choices(client_for, academy_a, graded_kpis):
    make_period()
    form = client_for("head_a").get(entry_url(academy_a)).context["form"]
    grade = form.fields[f"value_{kpi('1.9').pk}"]
    yes_no = form.fields[f"value_{kpi('3.1').pk}"]
    assert [value for value, _name in grade.choices] == ["", "1", "2", "3", "4"]
    assert [value for value, _name in yes_no.choices] == ["", "1", "0"]
    assert not Return.objects.exists()


def test_a_rejected_row_keeps_its_stored_value_while_the_others_save(client_for, academy_a):
    # Issue 15: 2.1's change saves although 2.3 cannot be read (it used to save neither).
    make_period()
    client = client_for("head_a")
    assert client.post(entry_url(academy_a), complete_post(academy_a)).status_code == 302
    form = client.get(entry_url(academy_a))
    response = client.post(entry_url(academy_a), form_as_sent(form, v2_1="90", v2_3="2.5"))
    assert response.status_code == 400
    assert stored(academy_a)["2.1"][0] == Decimal("90")
    assert stored(academy_a)["2.3"][0] == Decimal("0")
    assert 'value="2.5"' in row_text(response, "2.3")


def test_save_draft_keeps_the_values_and_the_return_stays_editable(client_for, cast, academy_a):
    make_period()
    client = client_for("head_a")
    response = client.post(entry_url(academy_a), complete_post(academy_a, values={"2.1": "96"}))
    assert response.status_code == 302
    assert response["Location"] == entry_url(academy_a)
    values = stored(academy_a)
    assert set(values) == {k.code for k in applicable(academy_a)}
    assert values["2.1"] == (Decimal("96"), False, "")
    ret = the_return(academy_a)
    assert ret.status == ReturnStatus.DRAFT and ret.updated_by == cast["head_a"]
    assert ret.submitted_at is None
    again = client.get(entry_url(academy_a))
    assert again.context["editable"] is True
    assert again.context["form"][f"value_{kpi('2.1').pk}"].value() == "96"
    assert "Save draft" in page(again) and "Submit return" in page(again)
    assert "Draft saved: 26 value(s) changed" in page(again)


def test_a_draft_may_be_saved_incomplete(client_for, academy_a):
    make_period()
    data = complete_post(academy_a)
    for key in data:
        if key.startswith("value_"):
            data[key] = ""
    data[f"value_{kpi('2.1').pk}"] = "93"
    response = client_for("head_a").post(entry_url(academy_a), data)
    assert response.status_code == 302
    assert stored(academy_a) == {"2.1": (Decimal("93"), False, "")}
    assert the_return(academy_a).status == ReturnStatus.DRAFT


def test_submitting_with_a_missing_value_is_refused_naming_the_kpi(client_for, academy_a):
    # Issue 15: the refused Submit still saves the draft (it used to write nothing).
    make_period()
    response = client_for("head_a").post(
        entry_url(academy_a), complete_post(academy_a, action="submit", values={"2.1": ""})
    )
    assert response.status_code == 400
    # The summary groups the KPIs with no value yet, each a link to its row.
    assert "1 KPI with no value yet: enter a value, or tick “not available”" in page(response)
    assert f'href="#row-{kpi("2.1").pk}">2.1<' in page(response)
    assert "Enter a value, or tick “not available”" in row_text(response, "2.1")
    assert "The return was not submitted" in page(response)
    assert others_saved(academy_a, but="2.1")
    assert the_return(academy_a).status == ReturnStatus.DRAFT


def test_a_refused_submit_saves_the_draft_and_leaves_its_status(client_for, academy_a):
    # Issue 15: 2.2's change is saved by the refused Submit (it used to be dropped).
    make_period()
    client = client_for("head_a")
    client.post(entry_url(academy_a), complete_post(academy_a, values={"2.1": ""}))
    form = client.get(entry_url(academy_a))
    response = client.post(entry_url(academy_a), form_as_sent(form, action="submit", v2_2="7"))
    assert response.status_code == 400
    assert label("2.1") in page(response)
    assert the_return(academy_a).status == ReturnStatus.DRAFT
    assert stored(academy_a)["2.2"][0] == Decimal("7")


def test_a_kpi_not_available_with_a_reason_lets_the_return_be_submitted(
    client_for, cast, academy_a
):
    make_period()
    reason = "CPD log lost in the server move"
    response = client_for("head_a").post(
        entry_url(academy_a),
        complete_post(academy_a, action="submit", not_available=("4.2",), notes={"4.2": reason}),
    )
    assert response.status_code == 302, page(response)
    assert stored(academy_a)["4.2"] == (None, True, reason)
    ret = the_return(academy_a)
    assert ret.status == ReturnStatus.SUBMITTED and ret.submitted_by == cast["head_a"]


def test_not_available_without_a_reason_saves_with_a_warning(client_for, academy_a):
    # Issue 15: a draft with "not available" and no note used to be refused whole.
    make_period()
    client = client_for("head_a")
    response = client.post(entry_url(academy_a), complete_post(academy_a, not_available=("4.2",)))
    assert response.status_code == 302
    assert stored(academy_a)["4.2"] == (None, True, "")
    again = client.get(entry_url(academy_a))
    warning = "say in the note why no value is available"
    assert f"Before you submit:</strong> S{warning[1:]}" in row_text(again, "4.2")
    summary = page(again).split('id="error-summary"')[1].split("</div>")[0]
    assert f"{label('4.2')}: {warning}" in summary


def test_a_red_value_cannot_be_submitted_without_a_note(client_for, academy_a):
    make_period()
    response = client_for("head_a").post(
        entry_url(academy_a), complete_post(academy_a, action="submit", values={"2.1": "80"})
    )
    assert response.status_code == 400
    assert f"{label('2.1')}: this value is red" in page(response)
    # Issue 15: saved as a draft, not submitted (it used to write nothing).
    assert stored(academy_a)["2.1"] == (Decimal("80"), False, "")
    assert the_return(academy_a).status == ReturnStatus.DRAFT


def test_a_red_value_with_a_note_is_submitted(client_for, academy_a):
    make_period()
    note = "Flu outbreak in May"
    response = client_for("head_a").post(
        entry_url(academy_a),
        complete_post(academy_a, action="submit", values={"2.1": "80"}, notes={"2.1": note}),
    )
    assert response.status_code == 302, page(response)
    assert stored(academy_a)["2.1"] == (Decimal("80"), False, note)
    assert the_return(academy_a).status == ReturnStatus.SUBMITTED


@pytest.mark.parametrize("action", ["save", "submit"])
def test_after_submitting_the_head_can_no_longer_change_values(client_for, academy_a, action):
    make_period()
    client = client_for("head_a")
    submitted_return(client, academy_a)
    before = snapshot()
    form = client.get(entry_url(academy_a))
    response = client.post(entry_url(academy_a), form_as_sent(form, action=action, v2_1="90"))
    assert response.status_code == 409
    assert "submitted and is read-only" in page(response)
    assert snapshot() == before
    assert stored(academy_a)["2.1"][0] == Decimal("100")
    assert the_return(academy_a).status == ReturnStatus.SUBMITTED


def test_a_submitted_return_shows_the_head_no_save_or_submit_buttons(client_for, academy_a):
    make_period()
    client = client_for("head_a")
    submitted_return(client, academy_a)
    response = client.get(entry_url(academy_a))
    assert response.status_code == 200
    assert response.context["editable"] is False
    text = page(response)
    assert "Save draft" not in text and "Submit return" not in text
    assert 'name="action"' not in text
    assert the_return(academy_a).status == ReturnStatus.SUBMITTED


# --- Heads: values far from last period's -----------------------------------------------------


# Issue 15: a value far from last period's no longer stops a draft. It is saved, and a warning
# asks for a note explaining it (or a correction); Submit is refused until it has one. The old
# "confirm" tick box is gone: the note is the confirmation, and it is kept with the value.


def far_value(client, academy: Academy, *, before: str, after: str, note: str = "", **post):
    """Last period's 2.1 was `before`; the head saves `after` with `note`."""
    spring = make_period(term=Term.SPRING, is_open=False)
    KPIValue.objects.create(kpi=kpi("2.1"), academy=academy, period=spring, value=Decimal(before))
    data = complete_post(academy, values={"2.1": after}, notes={"2.1": note}, **post)
    return client.post(entry_url(academy), data)


def test_a_value_far_from_last_periods_is_saved_with_a_warning_asking_for_a_note(
    client_for, academy_a
):
    make_period()
    client = client_for("head_a")
    assert far_value(client, academy_a, before="80", after="100").status_code == 302
    assert stored(academy_a)["2.1"] == (Decimal("100"), False, "")
    assert stored(academy_a, SPRING_SLUG)["2.1"][0] == Decimal(80)
    again = client.get(entry_url(academy_a))
    assert "100 is 20 points up on last period (80)" in row_text(again, "2.1")
    assert f"{label('2.1')}: 100 is 20 points up on last period (80)" in page(again)


def test_a_far_value_without_a_note_cannot_be_submitted(client_for, academy_a):
    make_period()
    client = client_for("head_a")
    # 2.1 at 100 after 80 is green but far: the outlier alone refuses the Submit.
    response = far_value(client, academy_a, before="80", after="100", action="submit")
    assert response.status_code == 400
    assert f"{label('2.1')}: 100 is 20 points up on last period (80)" in page(response)
    assert the_return(academy_a).status == ReturnStatus.DRAFT


def test_a_far_value_with_a_note_is_submitted(client_for, academy_a):
    make_period()
    client = client_for("head_a")
    response = far_value(
        client, academy_a, before="80", after="100", note="New attendance officer", action="submit"
    )
    assert response.status_code == 302, page(response)
    assert stored(academy_a)["2.1"] == (Decimal("100"), False, "New attendance officer")
    assert the_return(academy_a).status == ReturnStatus.SUBMITTED


def test_removing_the_note_of_a_far_value_stops_the_submit(client_for, academy_a):
    # Was a bug: an unchanged outlier skipped the check, so its note could be cleared. Now the
    # draft keeps what the head typed, and Submit is refused until a note explains the value.
    make_period()
    client = client_for("head_a")
    far_value(client, academy_a, before="80", after="96", note="New attendance officer")
    form = client.get(entry_url(academy_a))
    data = form_as_sent(form, action="submit")
    data[f"note_{kpi('2.1').pk}"] = ""
    response = client.post(entry_url(academy_a), data)
    assert response.status_code == 400
    assert "96 is 16 points up on last period (80). If it is right, add a note" in page(response)
    assert the_return(academy_a).status == ReturnStatus.DRAFT


# --- Heads: my work ---------------------------------------------------------------------------


def test_my_work_shows_the_heads_returns_with_status_and_the_sent_back_reason(
    client_for, cast, academy_a, academy_b
):
    summer = make_period()
    spring = make_period(term=Term.SPRING, is_open=False)
    autumn = make_period(term=Term.AUTUMN, is_open=False)
    make_return(academy_a, summer, ReturnStatus.DRAFT, cast["head_a"])
    make_return(
        academy_a,
        spring,
        ReturnStatus.SENT_BACK,
        cast["head_a"],
        sent_back_reason="Attendance missing for Year 9",
    )
    make_return(academy_a, autumn, ReturnStatus.APPROVED, cast["head_a"])
    make_return(academy_b, summer, ReturnStatus.SUBMITTED, cast["head_b"])
    before = snapshot()
    response = client_for("head_a").get(reverse("my"))
    assert response.status_code == 200
    listed = [
        (academy.slug, period.slug, ret.status if ret else None)
        for academy, period, ret in response.context["my_returns"]
    ]
    assert listed == [
        (academy_a.slug, SLUG, ReturnStatus.DRAFT),
        (academy_a.slug, SPRING_SLUG, ReturnStatus.SENT_BACK),
    ]
    text = page(response)
    assert "Sent back: Attendance missing for Year 9" in text
    assert "Moreton School" not in text
    assert snapshot() == before


def test_my_work_shows_an_open_period_not_yet_started(client_for):
    make_period()
    response = client_for("exec_head").get(reverse("my"))
    listed = [(a.slug, p.slug, r) for a, p, r in response.context["my_returns"]]
    assert sorted(listed) == [
        ("penn-hall-school", SLUG, None),
        ("tettenhall-wood-school", SLUG, None),
    ]
    assert "Open – not started" in page(response)
    assert not Return.objects.exists()


# --- Central team: the grid -------------------------------------------------------------------


def test_the_grid_shows_every_academy_and_period_with_status_and_who_last_saved(
    client_for, cast, academy_a, academy_b
):
    summer = make_period()
    spring = make_period(term=Term.SPRING, is_open=False)
    penn = Academy.objects.get(slug="penn-hall-school")
    tettenhall = Academy.objects.get(slug="tettenhall-wood-school")
    make_return(academy_a, summer, ReturnStatus.DRAFT, cast["head_a"])
    make_return(academy_b, summer, ReturnStatus.SUBMITTED, cast["head_b"])
    make_return(penn, spring, ReturnStatus.APPROVED, cast["central"])
    make_return(tettenhall, spring, ReturnStatus.SENT_BACK, cast["central"])
    response = client_for("central").get(reverse("entry:grid"))
    assert response.status_code == 200
    cells = {
        (academy.slug, period.slug): ret.get_status_display() if ret else "Not started"
        for academy, row in response.context["rows"]
        for period, ret, _overdue in row
    }
    active = list(Academy.objects.active())
    assert len(cells) == len(active) * 2
    assert cells[(academy_a.slug, SLUG)] == "Draft"
    assert cells[(academy_b.slug, SLUG)] == "Submitted"
    assert cells[(penn.slug, SPRING_SLUG)] == "Approved"
    assert cells[(tettenhall.slug, SPRING_SLUG)] == "Sent back"
    assert cells[("amethyst-sixth-form", SLUG)] == "Not started"
    text = page(response)
    for status, academy, period in [
        ("Draft", academy_a, summer),
        ("Submitted", academy_b, summer),
        ("Approved", penn, spring),
        ("Sent back", tettenhall, spring),
        ("Not started", academy_a, spring),
    ]:
        assert f'{status}<span class="visually-hidden">: {academy.name}, {period}</span>' in text
    assert "t-head-a" in text and "t-head-b" in text
    assert Return.objects.count() == 4


def test_a_head_sees_only_their_own_academies_in_the_grid(client_for):
    make_period()
    response = client_for("exec_head").get(reverse("entry:grid"))
    assert response.status_code == 200
    shown = {academy.slug for academy, _row in response.context["rows"]}
    assert shown == {"penn-hall-school", "tettenhall-wood-school"}
    assert "Aldersley High School" not in page(response)
    assert not Return.objects.exists()


@pytest.mark.parametrize("role", ["trustee", "governor"])
def test_trustees_and_governors_cannot_see_the_grid(client_for, role):
    make_period()
    assert client_for(role).get(reverse("entry:grid")).status_code == 403


# --- Central team: approve, send back, reopen -------------------------------------------------


def test_central_approves_a_submitted_return(client_for, cast, academy_a):
    ret = make_return(academy_a, make_period(), ReturnStatus.SUBMITTED, cast["head_a"])
    response = client_for("central").post(
        action_url("approve", academy_a), {"version": ret.version}
    )
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.APPROVED
    assert ret.approved_by == cast["central"] and ret.approved_at is not None


def test_central_cannot_approve_a_draft(client_for, cast, academy_a):
    ret = make_return(academy_a, make_period(), ReturnStatus.DRAFT, cast["head_a"])
    response = client_for("central").post(
        action_url("approve", academy_a), {"version": ret.version}, follow=True
    )
    assert "Only a submitted return can be approved" in page(response)
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.DRAFT and ret.approved_by is None


def test_approving_from_a_stale_page_changes_nothing(client_for, cast, academy_a):
    ret = make_return(academy_a, make_period(), ReturnStatus.SUBMITTED, cast["head_a"])
    before = snapshot()
    client_for("central").post(action_url("approve", academy_a), {"version": ret.version - 1})
    assert snapshot() == before
    assert the_return(academy_a).status == ReturnStatus.SUBMITTED


def test_central_sends_a_return_back_with_a_reason(client_for, cast, academy_a):
    ret = make_return(academy_a, make_period(), ReturnStatus.SUBMITTED, cast["head_a"])
    response = client_for("central").post(
        action_url("send_back", academy_a),
        {"version": ret.version, "reason": "2.1 looks like last term's figure"},
    )
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.SENT_BACK
    assert ret.sent_back_reason == "2.1 looks like last term's figure"


@pytest.mark.parametrize("reason", ["", "   "])
def test_sending_back_without_a_reason_is_refused(client_for, cast, academy_a, reason):
    ret = make_return(academy_a, make_period(), ReturnStatus.SUBMITTED, cast["head_a"])
    before = snapshot()
    response = client_for("central").post(
        action_url("send_back", academy_a), {"version": ret.version, "reason": reason}, follow=True
    )
    assert "Say why the return is being sent back" in page(response)
    assert snapshot() == before
    assert the_return(academy_a).status == ReturnStatus.SUBMITTED


def test_a_sent_back_return_can_be_changed_and_submitted_again_by_the_head(client_for, academy_a):
    make_period()
    client = client_for("head_a")
    ret = submitted_return(client, academy_a)
    central = client_for("central")
    central.post(action_url("send_back", academy_a), {"version": ret.version, "reason": "Check"})
    head = client_for("head_a")
    form = head.get(entry_url(academy_a))
    assert form.context["editable"] is True
    response = head.post(entry_url(academy_a), form_as_sent(form, action="submit", v2_1="97"))
    assert response.status_code == 302, page(response)
    assert stored(academy_a)["2.1"][0] == Decimal("97")
    assert the_return(academy_a).status == ReturnStatus.SUBMITTED


def test_central_reopens_an_approved_return_as_a_draft(client_for, cast, academy_a):
    ret = make_return(
        academy_a, make_period(), ReturnStatus.APPROVED, cast["head_a"], approved_by=cast["central"]
    )
    response = client_for("central").post(action_url("reopen", academy_a), {"version": ret.version})
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.DRAFT
    assert ret.approved_by is None and ret.approved_at is None


@pytest.mark.parametrize("name", ["approve", "send_back", "reopen"])
def test_review_actions_answer_only_post(client_for, cast, academy_a, name):
    make_return(academy_a, make_period(), ReturnStatus.SUBMITTED, cast["head_a"])
    before = snapshot()
    assert client_for("central").get(action_url(name, academy_a)).status_code == 405
    assert snapshot() == before


@pytest.mark.parametrize("role", ["head_a", "head_b", "trustee", "governor"])
@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("approve", ReturnStatus.SUBMITTED),
        ("send_back", ReturnStatus.SUBMITTED),
        ("reopen", ReturnStatus.APPROVED),
    ],
)
def test_only_central_team_can_review_returns(client_for, cast, academy_a, role, name, status):
    ret = make_return(academy_a, make_period(), status, cast["head_a"])
    before = snapshot()
    response = client_for(role).post(
        action_url(name, academy_a), {"version": ret.version, "reason": "Because"}
    )
    assert response.status_code == 403
    assert snapshot() == before
    assert the_return(academy_a).status == status


# --- Central team: opening and closing periods ------------------------------------------------


def test_central_closes_and_reopens_a_period(client_for):
    period = make_period()
    client = client_for("central")
    url = reverse("entry:period_status", args=[SLUG])
    response = client.post(url, {"open": "0"})
    assert response.status_code == 302 and response["Location"] == reverse("entry:grid")
    period.refresh_from_db()
    assert period.is_open is False
    client.post(url, {"open": "1", "due_date": "2024-07-10"})  # opening asks when returns are due
    period.refresh_from_db()
    assert period.is_open is True


def test_an_unclear_open_or_close_request_changes_nothing(client_for):
    period = make_period()
    client_for("central").post(reverse("entry:period_status", args=[SLUG]), {"open": "yes"})
    period.refresh_from_db()
    assert period.is_open is True


@pytest.mark.parametrize("role", ["head_a", "exec_head", "trustee", "governor"])
def test_only_central_team_can_open_or_close_a_period(client_for, role):
    period = make_period()
    response = client_for(role).post(reverse("entry:period_status", args=[SLUG]), {"open": "0"})
    assert response.status_code == 403
    period.refresh_from_db()
    assert period.is_open is True


def test_period_status_answers_only_post(client_for):
    period = make_period()
    response = client_for("central").get(reverse("entry:period_status", args=[SLUG]))
    assert response.status_code == 405
    period.refresh_from_db()
    assert period.is_open is True


# --- Central team: entering and correcting values, with history -------------------------------


def test_central_can_enter_a_return_for_any_academy(client_for, cast, academy_b):
    make_period()
    response = client_for("central").post(entry_url(academy_b), complete_post(academy_b))
    assert response.status_code == 302, page(response)
    assert set(stored(academy_b)) == {k.code for k in applicable(academy_b)}
    ret = the_return(academy_b)
    assert ret.status == ReturnStatus.DRAFT and ret.updated_by == cast["central"]


def test_central_corrects_a_submitted_return_which_stays_submitted_with_history(
    client_for, cast, academy_a
):
    make_period()
    submitted_return(client_for("head_a"), academy_a, values={"2.1": "96"})
    central = client_for("central")
    form = central.get(entry_url(academy_a))
    assert form.context["editable"] is True
    response = central.post(entry_url(academy_a), form_as_sent(form, v2_1="94"))
    assert response.status_code == 302, page(response)
    ret = the_return(academy_a)
    assert ret.status == ReturnStatus.SUBMITTED and ret.submitted_by == cast["head_a"]
    value = KPIValue.objects.get(kpi=kpi("2.1"), academy=academy_a, period__slug=SLUG)
    assert value.value == Decimal("94") and value.updated_by == cast["central"]
    history = [
        (record.history_type, record.history_user, record.value)
        for record in value.history.order_by("history_date", "history_id")
    ]
    assert history == [
        ("+", cast["head_a"], Decimal("96")),
        ("~", cast["central"], Decimal("94")),
    ]
    # Values central did not touch have no new history.
    untouched = KPIValue.objects.get(kpi=kpi("2.2"), academy=academy_a, period__slug=SLUG)
    assert untouched.history.count() == 1
    shown = row_text(central.get(entry_url(academy_a)), "2.1")
    assert "History" in shown and "96% → 94%" in shown and "t-central" in shown


def test_clearing_a_draft_value_deletes_it_and_records_who_did(client_for, cast, academy_a):
    make_period()
    client = client_for("head_a")
    client.post(entry_url(academy_a), complete_post(academy_a, values={"2.1": "96"}))
    form = client.get(entry_url(academy_a))
    response = client.post(entry_url(academy_a), form_as_sent(form, v2_1=""))
    assert response.status_code == 302
    assert "2.1" not in stored(academy_a)
    history = KPIValue.history.filter(kpi=kpi("2.1"), academy=academy_a).order_by("history_date")
    assert [(r.history_type, r.history_user, r.value) for r in history] == [
        ("+", cast["head_a"], Decimal("96")),
        ("-", cast["head_a"], Decimal("96")),
    ]
    assert "96% → deleted" in row_text(client.get(entry_url(academy_a)), "2.1")


# --- Integrity --------------------------------------------------------------------------------


def test_a_head_cannot_open_or_change_another_academys_return(
    client_for, cast, academy_a, academy_b
):
    period = make_period()
    make_return(academy_b, period, ReturnStatus.DRAFT, cast["head_b"])
    KPIValue.objects.create(kpi=kpi("2.1"), academy=academy_b, period=period, value=Decimal(91))
    before = snapshot()
    client = client_for("head_a")
    assert client.get(entry_url(academy_b)).status_code == 403
    response = client.post(entry_url(academy_b), complete_post(academy_b, version=1))
    assert response.status_code == 403
    assert snapshot() == before
    assert stored(academy_b) == {"2.1": (Decimal(91), False, "")}


def test_a_crafted_post_to_the_heads_own_academy_cannot_write_anything_else(
    client_for, academy_a, academy_b
):
    make_period()
    data = complete_post(academy_a)
    ehcp = kpi("1.8")  # special schools only: no field on Aldersley's form
    data.update(
        {
            f"value_{ehcp.pk}": "50",
            f"note_{ehcp.pk}": "crafted",
            "academy": str(academy_b.pk),
            "academy_slug": academy_b.slug,
            "period": "2023-24-autumn",
        }
    )
    response = client_for("head_a").post(entry_url(academy_a), data)
    assert response.status_code == 302
    assert set(KPIValue.objects.values_list("academy_id", flat=True)) == {academy_a.pk}
    assert set(stored(academy_a)) == {k.code for k in applicable(academy_a)}
    assert not KPIValue.objects.filter(kpi=ehcp).exists()
    assert list(Return.objects.values_list("academy_id", flat=True)) == [academy_a.pk]


@pytest.mark.parametrize("role", ["trustee", "governor"])
def test_trustees_and_governors_cannot_see_or_change_entry_pages(client_for, cast, academy_b, role):
    period = make_period()
    make_return(academy_b, period, ReturnStatus.DRAFT, cast["head_b"])
    KPIValue.objects.create(kpi=kpi("2.1"), academy=academy_b, period=period, value=Decimal(91))
    before = snapshot()
    client = client_for(role)
    assert client.get(entry_url(academy_b)).status_code == 403
    assert client.post(entry_url(academy_b), complete_post(academy_b)).status_code == 403
    assert snapshot() == before


def board_cell(response, code: str, academy: Academy):
    for group in response.context["board"].areas:
        for row in group.rows:
            if row.kpi.code == code:
                return next(cell for cell in row.cells if cell.academy == academy)
    raise AssertionError(f"no {code} row on the board")


def test_a_draft_value_never_shows_on_the_board(client_for, cast, academy_a):
    make_period()
    client_for("head_a").post(
        entry_url(academy_a), complete_post(academy_a, values={"2.1": "87.65"})
    )
    assert stored(academy_a)["2.1"][0] == Decimal("87.65")
    trustee = signed_in(cast["trustee"])
    board = trustee.get(reverse("kpis:matrix"), {"period": SLUG})
    assert board.status_code == 200
    assert board_cell(board, "2.1", academy_a).value is None
    assert "87.65" not in page(board)
    assert "87.65" not in page(trustee.get(reverse("kpis:detail", args=["2.1"])))
    scorecard = trustee.get(reverse("academies:scorecard", args=[academy_a.slug]))
    assert scorecard.status_code == 200 and "87.65" not in page(scorecard)
    # Once submitted it is published.
    form = client_for("head_a").get(entry_url(academy_a))
    notes = form_as_sent(form, action="submit")
    notes[f"note_{kpi('2.1').pk}"] = "Flu outbreak in May"
    assert client_for("head_a").post(entry_url(academy_a), notes).status_code == 302
    board = trustee.get(reverse("kpis:matrix"), {"period": SLUG})
    assert board_cell(board, "2.1", academy_a).value == Decimal("87.65")
    assert "87.65%" in page(board)


@pytest.mark.parametrize("role", ["head_a", "central"])
def test_nothing_can_be_written_into_a_closed_period(client_for, academy_a, role):
    make_period(is_open=False)
    response = client_for(role).post(
        entry_url(academy_a), complete_post(academy_a, action="submit")
    )
    assert response.status_code == 409
    assert "closed for entry" in page(response)
    assert not KPIValue.objects.exists() and not Return.objects.exists()


def test_a_closed_period_shows_no_save_or_submit_buttons(client_for, academy_a):
    make_period(is_open=False)
    response = client_for("head_a").get(entry_url(academy_a))
    assert response.status_code == 200
    assert "Save draft" not in page(response) and "closed for entry" in page(response)
    assert not Return.objects.exists()


def test_an_approved_return_is_locked_until_central_reopens_it(client_for, cast, academy_a):
    make_period()
    ret = submitted_return(client_for("head_a"), academy_a)
    central = client_for("central")
    central.post(action_url("approve", academy_a), {"version": ret.version})
    assert the_return(academy_a).status == ReturnStatus.APPROVED
    before = snapshot()
    for role in ("head_a", "central"):
        client = client_for(role)
        form = client.get(entry_url(academy_a))
        response = client.post(entry_url(academy_a), form_as_sent(form, v2_1="90"))
        assert response.status_code == 409, role
        assert "This return is approved" in page(response)
        assert snapshot() == before
    central = client_for("central")
    central.post(action_url("reopen", academy_a), {"version": the_return(academy_a).version})
    assert the_return(academy_a).status == ReturnStatus.DRAFT
    head = client_for("head_a")
    form = head.get(entry_url(academy_a))
    response = head.post(entry_url(academy_a), form_as_sent(form, v2_1="90"))
    assert response.status_code == 302, page(response)
    assert stored(academy_a)["2.1"][0] == Decimal("90")
    assert the_return(academy_a).status == ReturnStatus.DRAFT


def test_a_stale_form_is_refused_and_told_what_changed(client_for, cast, academy_a):
    make_period()
    first = client_for("head_a")
    first.post(entry_url(academy_a), complete_post(academy_a, values={"2.1": "96"}))
    second = signed_in(cast["central"])
    first_form = first.get(entry_url(academy_a))
    second_form = second.get(entry_url(academy_a))
    version = the_return(academy_a).version
    assert first_form.context["form"]["version"].value() == version
    assert second_form.context["form"]["version"].value() == version

    assert first.post(entry_url(academy_a), form_as_sent(first_form, v2_1="90")).status_code == 302
    after_first = snapshot()
    response = second.post(entry_url(academy_a), form_as_sent(second_form, v2_2="7"))
    assert response.status_code == 409
    conflict = [str(change) for change in response.context["conflict"].changes]
    assert len(conflict) == 1
    assert conflict[0].startswith(f"{label('2.1')}: now 90% by t-head-a")
    assert f"{label('2.1')}: now 90% by t-head-a" in page(response)
    assert snapshot() == after_first
    values = stored(academy_a)
    assert values["2.1"][0] == Decimal("90") and values["2.2"][0] == Decimal("5")


def test_two_people_starting_the_same_return_cannot_overwrite_each_other(
    client_for, cast, academy_a
):
    make_period()
    first = client_for("head_a")
    second = signed_in(cast["central"])
    first_form = first.get(entry_url(academy_a))
    second_form = second.get(entry_url(academy_a))
    data_first = form_as_sent(first_form)
    data_second = form_as_sent(second_form)
    for key, value in complete_post(academy_a, values={"2.1": "96"}).items():
        if key.startswith("value_"):
            data_first[key] = value
            data_second[key] = value
    data_second[f"value_{kpi('2.1').pk}"] = "92"
    assert first.post(entry_url(academy_a), data_first).status_code == 302
    after_first = snapshot()
    response = second.post(entry_url(academy_a), data_second)
    assert response.status_code == 409
    assert f"{label('2.1')}: now 96% by t-head-a" in page(response)
    assert snapshot() == after_first
    assert stored(academy_a)["2.1"][0] == Decimal("96")
    assert the_return(academy_a).updated_by == cast["head_a"]


# --- Anonymous visitors -----------------------------------------------------------------------


ENTRY_URLS = [
    ("entry:grid", []),
    ("entry:form", ["aldersley-high-school", SLUG]),
    ("entry:approve", ["aldersley-high-school", SLUG]),
    ("entry:send_back", ["aldersley-high-school", SLUG]),
    ("entry:reopen", ["aldersley-high-school", SLUG]),
    ("entry:period_status", [SLUG]),
    ("my", []),
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "args"), ENTRY_URLS, ids=[name for name, _ in ENTRY_URLS])
def test_anonymous_visitors_are_sent_to_log_in(client, trust, academy_a, method, name, args):
    period = make_period()
    make_return(academy_a, period, ReturnStatus.SUBMITTED)
    before = snapshot()
    url = reverse(name, args=args)
    data = complete_post(academy_a) if method == "post" else None
    response = getattr(client, method)(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")
    assert snapshot() == before
    period.refresh_from_db()
    assert period.is_open is True
