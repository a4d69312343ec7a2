"""Ofsted inspections recorded once and shown in every later period (issue 17): the lifecycle's
refusals, the page and who may use it, the return's read-only rows, and the workbook round trip
(the Inspections sheet and the matrix's words)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from academies.models import Academy
from demo.values import generate_demo_values
from kpis import ofsted
from kpis.models import KPI, Inspection, KPIValue, Period, Term
from kpis.returns import ReturnError, period_set_open, record_inspection, sync_inspections
from spreadsheets.export import board_pack
from spreadsheets.importer import apply_import, prepare_import

RC = ofsted.REPORT_CARD
AREAS6 = [k for k in ofsted.REPORT_CARD_AREAS if k not in ofsted.OPTIONAL_AREAS]
SUMMER, SPRING = "2023-24-summer", "2023-24-spring"
AUTUMN_25 = "2025-26-autumn"  # report cards began on 10 November 2025
CARD_DAY = datetime.date(2025, 11, 20)


def card(**changes: int) -> dict[str, int]:
    return {**{key: 3 for key in AREAS6}, **changes}


def reading(code: str, slug: str, period: str) -> KPIValue | None:
    return KPIValue.objects.filter(kpi__code=code, academy__slug=slug, period__slug=period).first()


def words(code: str, slug: str, period: str) -> str:
    value = reading(code, slug, period)
    return ofsted.words(value.value) if value else "none"


@pytest.fixture
def demo(trust, cast):
    """The demo (2022/23 and 2023/24) and an open autumn 2025/26, the first term of report
    cards."""
    generate_demo_values()
    period_set_open(period=Period.objects.create(year_start=2025, term=Term.AUTUMN), is_open=True)
    return {a.slug: a for a in Academy.objects.all()}


def test_a_report_card_shows_in_every_period_from_its_date_and_not_before(demo, cast):
    penn = demo["penn-hall-school"]
    before = words("1.9", "penn-hall-school", SUMMER)
    inspection = record_inspection(
        academy=penn,
        date=CARD_DAY,
        framework=RC,
        grades=card(attendance_behaviour=4),
        safeguarding_met=True,
        user=cast["exec_head"],
    )
    assert words("1.9", "penn-hall-school", AUTUMN_25) == "Needs attention"
    assert words("2.5", "penn-hall-school", AUTUMN_25) == "Needs attention"
    assert words("3.1", "penn-hall-school", AUTUMN_25) == "Safeguarding met"
    assert words("3.2", "penn-hall-school", AUTUMN_25) == "Expected standard"
    assert words("1.9", "penn-hall-school", SUMMER) == before  # the older inspection still
    assert before.endswith("(pre-2025 grade)")
    value = reading("1.9", "penn-hall-school", AUTUMN_25)
    assert value.note == inspection.summary()
    assert "needs attention in attendance and behaviour" in value.note
    assert value.updated_by == cast["exec_head"] and not value.is_demo
    assert (
        value.history.first().history_change_reason == "From the academy's Ofsted inspection record"
    )
    # Running it again changes nothing.
    assert sync_inspections(user=cast["central"]) == 0


def test_an_inspection_that_would_change_an_approved_return_is_refused_whole(demo, cast):
    before = list(KPIValue.objects.order_by("pk").values_list("pk", "value", "note"))
    with pytest.raises(ReturnError) as refused:
        record_inspection(
            academy=demo["aldersley-high-school"],
            date=datetime.date(2023, 12, 1),  # reaches the approved autumn return
            framework=ofsted.FOUR_POINT,
            grades={"overall": 4},
            safeguarding_met=True,
            user=cast["central"],
        )
    message = str(refused.value)
    assert "Aldersley High School's 2023/24 Autumn return is approved" in message
    assert "central team must reopen it" in message
    assert not Inspection.objects.filter(date=datetime.date(2023, 12, 1)).exists()
    assert list(KPIValue.objects.order_by("pk").values_list("pk", "value", "note")) == before


def test_an_inspection_that_would_change_a_closed_period_is_refused(demo, cast):
    with pytest.raises(ReturnError, match=r"2023/24 Spring return is in a closed period"):
        record_inspection(
            academy=demo["penn-hall-school"],
            date=datetime.date(2024, 2, 1),  # spring is closed, Penn Hall's return submitted
            framework=ofsted.FOUR_POINT,
            grades={"overall": 2},
            safeguarding_met=True,
            user=cast["central"],
        )
    assert not Inspection.objects.filter(date=datetime.date(2024, 2, 1)).exists()


@pytest.mark.parametrize(
    "grades, safeguarding, message",
    [
        (card(inclusion=6), True, "Inclusion: 6 is not a grade"),
        ({"inclusion": 3}, True, "A report card grades every area"),
        (card(), None, "says whether safeguarding is met"),
        (card(overall=2), True, "“overall” is not an area"),  # the old scale's, never mixed
    ],
)
def test_a_report_card_that_is_not_one_is_refused(demo, cast, grades, safeguarding, message):
    with pytest.raises(ReturnError, match=message):
        record_inspection(
            academy=demo["penn-hall-school"],
            date=CARD_DAY,
            framework=RC,
            grades=grades,
            safeguarding_met=safeguarding,
            user=cast["central"],
        )


def test_a_head_records_only_their_own_academys_inspections(demo, cast):
    with pytest.raises(ReturnError, match="may not record inspections"):
        record_inspection(
            academy=demo["penn-hall-school"],
            date=CARD_DAY,
            framework=RC,
            grades=card(),
            safeguarding_met=True,
            user=cast["head_a"],
        )


@pytest.mark.parametrize(
    "framework, date, message",
    [
        (RC, datetime.date(2025, 11, 9), "Report cards began on 10 November 2025"),
        (ofsted.FOUR_POINT, CARD_DAY, "Inspections from 10 November 2025 give report cards"),
    ],
)
def test_the_date_says_which_framework_an_inspection_was_on(demo, cast, framework, date, message):
    grades = card() if framework == RC else {"overall": 2}
    with pytest.raises(ReturnError, match=message):
        record_inspection(
            academy=demo["penn-hall-school"],
            date=date,
            framework=framework,
            grades=grades,
            safeguarding_met=True,
            user=cast["central"],
        )


def post_card(client, slug: str, **extra) -> object:
    data = {
        "date": CARD_DAY.isoformat(),
        "framework": RC,
        "safeguarding": "1",
        **{f"rc_{key}": "3" for key in AREAS6},
        **extra,
    }
    return client.post(reverse("entry:inspections", args=[slug]), data)


def test_the_head_records_one_on_the_page_and_the_return_shows_it_read_only(demo, client_for):
    client = client_for("exec_head")
    response = post_card(client, "penn-hall-school", rc_inclusion="4")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Inspection of 20 November 2025 recorded" in page
    assert "20 November 2025 · Ofsted report card (from November 2025)" in page
    assert "<td>Needs attention</td>" in page
    entry = client.get(reverse("entry:form", args=["penn-hall-school", AUTUMN_25]))
    rows = {kpi.code: shown for kpi, shown, _judgement in entry.context["inspection_rows"]}
    assert rows == {
        "1.9": "Needs attention",
        "2.5": "Expected standard",
        "3.1": "Safeguarding met",
        "3.2": "Expected standard",
    }
    assert entry.context["inspection_in_force"].date == CARD_DAY
    text = entry.content.decode()
    assert "From Ofsted inspections" in text and "20 November 2025" in text
    assert not any(
        f"value_{KPI.objects.get(code=c).pk}" in entry.context["form"].fields for c in rows
    )


def test_a_refused_inspection_on_the_page_says_why_and_records_nothing(demo, client_for):
    response = post_card(client_for("head_a"), "aldersley-high-school", date="2023-12-01")
    assert response.status_code == 400
    assert "Nothing was recorded" in response.content.decode()
    assert "Report cards began on 10 November 2025" in response.content.decode()
    assert not Inspection.objects.filter(date=datetime.date(2023, 12, 1)).exists()


def test_a_future_date_is_refused_on_the_page(demo, client_for):
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    response = post_card(client_for("central"), "penn-hall-school", date=tomorrow.isoformat())
    assert response.status_code == 400
    assert "cannot be dated in the future" in response.content.decode()


def test_readers_see_the_record_but_no_form_and_cannot_post(demo, client_for):
    client = client_for("governor_b")  # governs Aldersley
    page = client.get(reverse("entry:inspections", args=["aldersley-high-school"]))
    assert page.status_code == 200
    assert page.context["form"] is None
    assert "Attendance and behaviour" in page.content.decode()
    assert post_card(client, "aldersley-high-school").status_code == 403
    # Moreton's governor does not see Aldersley at all.
    other = client_for("governor").get(reverse("entry:inspections", args=["aldersley-high-school"]))
    assert other.status_code == 404


def test_removing_an_inspection_falls_back_to_the_one_before(demo, client_for):
    latest = Inspection.objects.filter(academy__slug="aldersley-high-school").latest("date")
    assert latest.date == datetime.date(2024, 2, 7)  # the demo's report card
    assert words("1.9", "aldersley-high-school", SUMMER) == "Needs attention"
    client = client_for("central")
    url = reverse("entry:inspection_delete", args=["aldersley-high-school", latest.pk])
    response = client.post(url)
    # Its spring return is submitted in a closed period: refused, said, nothing removed.
    assert response.status_code == 302
    assert Inspection.objects.filter(pk=latest.pk).exists()
    page = client.get(response["Location"]).content.decode()
    assert "in a closed period" in page
    Period.objects.filter(slug=SPRING).update(is_open=True)
    client.post(url)
    assert not Inspection.objects.filter(pk=latest.pk).exists()
    assert words("1.9", "aldersley-high-school", SUMMER) == "Good (pre-2025 grade)"


# --- Workbooks: words out, words in -----------------------------------------------------------


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _save(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_board_pack_shows_words_and_imports_back_unchanged(demo, cast):
    period = Period.objects.get(slug=SPRING)  # published: submitted and approved values
    data = board_pack(period)
    book = _book(data)
    matrix = book[book.sheetnames[0]]
    cells = {
        row[0].value: [c.value for c in row[1:6]]
        for row in matrix.iter_rows(min_row=2)
        if row[0].value
    }
    row = next(v for k, v in cells.items() if str(k).startswith("1.9 "))
    assert row[0] == "Needs attention ! Amber"  # Aldersley's report card, in words
    assert all(isinstance(v, str) and not v[0].isdigit() for v in row if v)
    sheet = book["Inspections"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Academy", "Date", "Framework"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    aldersley = next(r for r in rows if r[0] == "Aldersley High School" and r[2] == "Report card")
    assert aldersley[header.index("Attendance and behaviour")] == "Needs attention"
    assert aldersley[header.index("Safeguarding")] == "Met"
    assert not any(isinstance(v, int) for r in rows for v in r)  # words, never numbers

    preview = prepare_import(data, "pack.xlsx")
    assert preview.problems == [], [str(p) for p in preview.problems]
    assert not preview.has_changes
    assert preview.inspections.unchanged == Inspection.objects.count()


def test_an_inspections_sheet_records_a_new_report_card(demo, cast):
    book = _book(board_pack(Period.objects.get(slug=SUMMER)))
    for name in book.sheetnames[:]:
        if name != "Inspections":
            del book[name]
    sheet = book["Inspections"]
    header = [c.value for c in sheet[1]]
    row = [""] * len(header)
    row[0], row[1], row[2] = "Penn Hall School", CARD_DAY, "Report card"
    for key in AREAS6:
        row[header.index(ofsted.REPORT_CARD_AREAS[key])] = "Expected standard"
    row[header.index("Inclusion")] = "Urgent improvement"
    row[header.index("Safeguarding")] = "Met"
    sheet.append(row)
    preview = prepare_import(_save(book), "inspections.xlsx")
    assert preview.problems == []
    assert [i.academy.slug for i in preview.inspections.creates] == ["penn-hall-school"]
    counts = apply_import(preview, user=cast["admin"])
    assert counts["inspections_recorded"] == 1
    assert words("1.9", "penn-hall-school", AUTUMN_25) == "Urgent improvement"
    recorded = Inspection.objects.get(academy__slug="penn-hall-school", date=CARD_DAY)
    assert recorded.grades["inclusion"] == 5 and recorded.safeguarding_met is True


def test_bad_inspection_rows_are_named_by_sheet_row_and_column(demo):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Inspections"
    sheet.append(["Academy", "Date", "Framework", "Inclusion", "Safeguarding"])
    sheet.append(["Penn Hall School", "15/05/2024", "Report card", "Quite good", "Met"])
    sheet.append(["Nowhere Academy", "15/05/2024", "Report card", "", ""])
    sheet.append(["Penn Hall School", "someday", "Report card", "", ""])
    sheet.append(["Penn Hall School", "15/05/2024", "Grades 5–9", "", ""])
    before = Inspection.objects.count()
    preview = prepare_import(_save(book), "bad.xlsx")
    found = [(p.sheet, p.row, p.column, p.message) for p in preview.problems]
    assert found[0][:3] == ("Inspections", 2, "D")
    assert "“Quite good” is not one of Exceptional" in found[0][3]
    assert found[1][:3] == ("Inspections", 3, "A") and "Nowhere Academy" in found[1][3]
    assert found[2][:3] == ("Inspections", 4, "B") and "is not a date" in found[2][3]
    assert found[3][:3] == ("Inspections", 5, "C") and "is not a framework" in found[3][3]
    assert Inspection.objects.count() == before


def test_a_matrix_value_that_differs_from_the_inspection_is_refused(demo):
    from tests.kpis.test_import import MATRIX_HEADER, xlsx

    data = xlsx(
        {"2023-24 Spring": [MATRIX_HEADER, ["1.9 Ofsted judgement at least good", "Exceptional"]]}
    )
    preview = prepare_import(data, "spring.xlsx")
    assert len(preview.problems) == 1
    problem = preview.problems[0]
    assert (problem.row, problem.column) == (2, "B")
    assert "comes from the academy's Ofsted inspections (now: Needs attention)" in problem.message
    assert "Inspections sheet" in problem.message
    # The same words as stored are simply unchanged.
    same = xlsx(
        {
            "2023-24 Spring": [
                MATRIX_HEADER,
                ["1.9 Ofsted judgement at least good", "Needs attention"],
            ]
        }
    )
    assert prepare_import(same, "spring.xlsx").problems == []


def test_values_csv_writes_inspection_words(demo):
    from spreadsheets.export import values_csv

    text = values_csv(Period.objects.get(slug=SPRING))
    line = next(row for row in text.splitlines() if row.startswith("1.9,") and "Aldersley" in row)
    assert "Needs attention" in line
    assert reading("1.9", "aldersley-high-school", SPRING).value == Decimal(14)  # the code


def test_an_inspection_kpis_chart_plots_its_rating_in_words_never_the_codes(demo):
    from board.charts import series_chart
    from kpis.selectors import PeriodIndex, kpi_history

    periods = PeriodIndex()
    history = kpi_history(KPI.objects.get(code="1.9"), periods)
    aldersley = next(s for s in history if s.academy.slug == "aldersley-high-school")
    chart = series_chart(aldersley, periods.periods)
    svg = str(chart.svg)
    for tick in ("Red", "Amber", "Green"):
        assert f">{tick}</text>" in svg
    assert ">13</text>" not in svg and ">14</text>" not in svg
    assert "Latest: Needs attention (Amber)" in svg
    assert "axis reversed" not in svg


def test_the_trusts_share_chart_runs_up_to_100_percent_and_is_never_reversed(demo):
    # Two bugs this pins (grade KPIs had them too): the trust's share took the KPI's own
    # "lower is better", so its chart was upside down, and its amber band's far edge
    # (100% + one academy's share) stretched the axis to 200%.
    from board.charts import REVERSED_NOTE, series_chart
    from kpis.selectors import PeriodIndex, kpi_history, trust_series

    periods = PeriodIndex()
    kpi = KPI.objects.get(code="1.9")
    trust = trust_series(kpi, kpi_history(kpi, periods), periods)
    chart = series_chart(trust, periods.periods)
    svg = str(chart.svg)
    assert REVERSED_NOTE not in svg and not chart.lower_is_better
    assert ">100%</text>" in svg and ">200%</text>" not in svg
