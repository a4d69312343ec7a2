"""A corpus of malformed uploads, form posts and query strings.

Every case must end in a clear message (or a 404 for an address that names nothing), never a
server error, and must leave the database exactly as it was.
"""

from __future__ import annotations

import io
import random
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpis.models import KPI, KPIValue, Period, Return, Term
from plans.models import Action, Aim, ProgressUpdate, StrategicObjective


def snapshot() -> tuple:
    return (
        sorted(KPIValue.objects.values_list("kpi_id", "academy_id", "period_id", "value", "note")),
        sorted(Return.objects.values_list("academy_id", "period_id", "status", "version")),
        Period.objects.count(),
        StrategicObjective.objects.count(),
        Aim.objects.count(),
        sorted(Action.objects.values_list("pk", "description")),
        ProgressUpdate.objects.count(),
    )


# --- Uploads ---------------------------------------------------------------------------------


def _xlsx(rows_by_sheet: dict[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in rows_by_sheet.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["KPI", "Aldersley High School", "Moreton School"]
GOOD = _xlsx({"2024-25 Autumn": [HEADER, ["2.1 Attendance > 95%", 95, 96]]})


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _with_sheet_xml(data: bytes, transform) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = transform(content.decode()).encode()
            target.writestr(item, content)
    return out.getvalue()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def _upload_cases() -> list[tuple[str, str, bytes]]:
    rng = random.Random(7)
    cases: list[tuple[str, str, bytes]] = [
        ("empty xlsx", "empty.xlsx", b""),
        ("empty csv", "empty.csv", b""),
        ("one byte", "x.xlsx", b"x"),
        ("png named xlsx", "image.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(200)),
        ("pdf named xlsx", "doc.xlsx", b"%PDF-1.7\n" + bytes(100)),
        ("text named xlsx", "notes.xlsx", b"just some text\n"),
        ("an image", "photo.jpg", b"\xff\xd8\xff\xe0" + bytes(50)),
        ("legacy or encrypted", "secret.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)),
        ("old xls", "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)),
        ("zip without a workbook", "a.xlsx", _zip({"readme.txt": b"hello"})),
        (
            "zip with bad xml",
            "b.xlsx",
            _zip({"[Content_Types].xml": b"<", "xl/workbook.xml": b"<"}),
        ),
        ("too many parts", "c.xlsx", _zip({f"xl/p{i}.xml": b"x" for i in range(250)})),
        (
            "zip bomb",
            "bomb.xlsx",
            _zip({"[Content_Types].xml": b"<a/>", "xl/big.xml": b"0" * 160_000_000}),
        ),
        (
            "xml entity bomb",
            "laughs.xlsx",
            _with_sheet_xml(GOOD, lambda xml: BILLION_LAUGHS + xml.split("?>", 1)[-1]),
        ),
        ("only a legend sheet", "legend.xlsx", _xlsx({"Legend": [["Rating", "Meaning"]]})),
        (
            "matrix without a period",
            "m.xlsx",
            _xlsx({"Sheet1": [HEADER, ["2.1 Attendance", 95, 96]]}),
        ),
        (
            "unknown academy",
            "u.xlsx",
            _xlsx({"2024-25 Autumn": [["KPI", "Hogwarts"], ["2.1 Attendance", 95]]}),
        ),
        ("csv with nul bytes", "n.csv", b"KPI,Academy,Period,Value\n\x00\x00\x00"),
        ("csv wrong encoding", "e.csv", b"KPI,Academy\n\x81\x8d\x90"),
        ("csv unknown columns", "w.csv", b"foo,bar\n1,2\n"),
    ]
    for cut in (10, 50, 100, 200, 400, 800, 1200, 1600, 2400, 3200):
        cases.append((f"truncated at {cut}", f"t{cut}.xlsx", GOOD[:cut]))
    for index in range(10):
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000)))
        cases.append((f"noise {index}", f"noise{index}.xlsx", noise))
        cases.append((f"noise csv {index}", f"noise{index}.csv", noise))
    # Damage the compressed bytes of the sheet itself (a flipped byte in a zip's padding or
    # timestamps would leave a perfectly good workbook).
    archive = zipfile.ZipFile(io.BytesIO(GOOD))
    sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    start = sheet.header_offset + 30 + len(sheet.filename.encode()) + len(sheet.extra)
    for index in range(10):
        corrupt = bytearray(GOOD)
        corrupt[start + (index * 7) % max(sheet.compress_size - 1, 1)] ^= 0xFF
        cases.append((f"corrupt sheet byte {index}", f"cb{index}.xlsx", bytes(corrupt)))
    for index, cut in enumerate((5, 12, 20)):
        cases.append(
            (f"truncated csv {index}", f"tc{index}.csv", b"KPI,Academy,Period,Value\n"[:cut])
        )
    bad_values = [
        "abc",
        "1e309",
        "9" * 400,
        "NaN",
        "Infinity",
        "-inf",
        "105",
        "-5",
        "½",
        "١٢",
        "95%%",
        "=1+1",
        "@SUM(A1)",
        "x" * 10_000,
        "🙂",
        "\u202e95",
        "0x5F",
        "1,2,3",
        "--5",
        "+-3",
    ]
    for index, value in enumerate(bad_values):
        data = _xlsx({"2024-25 Autumn": [HEADER, ["2.1 Attendance > 95%", value, 95]]})
        cases.append((f"bad matrix value {index}", f"v{index}.xlsx", data))
        quoted = value.replace('"', '""')
        csv = f'KPI,Academy,Period,Value\n2.1,Aldersley High School,2024-25 Autumn,"{quoted}"\n'
        cases.append((f"bad csv value {index}", f"v{index}.csv", csv.encode("utf-8")))
    bad_cells = [
        ("9.99 Unknown KPI", "AHS"),
        ("2.1", "Nowhere School"),
        ("x" * 10_000, "AHS"),
        ("2.1", "x" * 10_000),
        ("", "AHS"),
        ("2.1", "🙂"),
        ("=cmd", "AHS"),
        ("2.1", "=cmd"),
    ]
    for index, (kpi, academy) in enumerate(bad_cells):
        csv = f"KPI,Academy,Period,Value\n{kpi},{academy},2024-25 Autumn,95\n"
        cases.append((f"bad csv cell {index}", f"c{index}.csv", csv.encode("utf-8")))
    for index, period in enumerate(["Winter 2024", "2024-26 Autumn", "", "Autumn", "x" * 5000]):
        csv = f"KPI,Academy,Period,Value\n2.1,AHS,{period},95\n"
        cases.append((f"bad period {index}", f"p{index}.csv", csv.encode("utf-8")))
    plan_rows = [
        ["Aim", "Action", "Responsibility", "KPI", "Monitored by"],
        ["An aim before any objective", "An action", "NLI", "1.1", "Trust Board"],
    ]
    cases.append(("plan row before objective", "plan.xlsx", _xlsx({"Plan": plan_rows})))
    for index, (owner, kpi) in enumerate([("XYZ", "1.1"), ("NLI", "9.9"), ("NLI", "1.9-1.1")]):
        rows = [
            ["Aim", "Action", "Responsibility", "KPI", "Monitored by"],
            ["Strategic objective 1: Increasing quality"],
            ["New aim", "New action", owner, kpi, "Trust Board"],
        ]
        cases.append((f"bad plan refs {index}", f"pr{index}.xlsx", _xlsx({"Plan": rows})))
    # A formula with no saved value (openpyxl writes none) in any cell an import reads: it
    # named only value cells before; a note, code, header, period or plan cell read as blank.
    long_header = ["KPI", "Academy", "Period", "Value", "Note"]
    plan_header = ["Aim", "Action", "Responsibility", "KPI", "Monitored by"]
    objective = ["Strategic objective 4: Growing the trust"]
    term = "2024-25 Autumn"
    formula_books = {
        "note": {"Values": [long_header, ["2.1", "AHS", "2024-25 Autumn", 95, '="x"']]},
        "long kpi": {"Values": [long_header, ['="2.1"', "AHS", "2024-25 Autumn", 95, ""]]},
        "long academy": {"Values": [long_header, ["2.1", '="AHS"', "2024-25 Autumn", 95, ""]]},
        "long period": {"Values": [long_header, ["2.1", "AHS", '="2024-25 Autumn"', 95, ""]]},
        "long header": {"Values": [[*long_header[:4], '="Note"'], ["2.1", "AHS", term, 95]]},
        "matrix code": {"2024-25 Autumn": [HEADER, ['="2.1 Attendance > 95%"', 95, 96]]},
        "matrix header": {"2024-25 Autumn": [[*HEADER[:2], '="Moreton School"'], ["2.1", 95, 96]]},
        "matrix value": {"2024-25 Autumn": [HEADER, ["2.1 Attendance > 95%", "=94+1", 96]]},
        "plan title": {"Plan": [['="Plan 2023/2024"'], plan_header, objective, ["A", "B", "NLI"]]},
        "plan objective": {"Plan": [plan_header, objective, ['="Key priority 5: x"'], ["A"]]},
        "plan aim": {"Plan": [plan_header, objective, ['="Aim"', "An action", "NLI"]]},
        "plan action": {"Plan": [plan_header, objective, ["An aim", '="Do"', "NLI"]]},
        "plan owners": {"Plan": [plan_header, objective, ["An aim", "An action", '="NLI"']]},
        "plan kpis": {"Plan": [plan_header, objective, ["An aim", "An action", "NLI", '="1.1"']]},
        "plan monitors": {"Plan": [plan_header, objective, ["Aim", "Act", "NLI", "1.1", '="TSC"']]},
    }
    for label, sheets in formula_books.items():
        cases.append((f"formula without value: {label}", "f.xlsx", _xlsx(sheets)))
    # A period whose year the database refuses (1990/91 to 2200/01): it passed the preview and
    # broke the period_year_plausible constraint on confirm.
    for index, name in enumerate(["Autumn 2999", "2999-00 Autumn", "Spring 1990", "Autumn 0000"]):
        data = _xlsx({name: [HEADER, ["2.1 Attendance > 95%", 95, 96]]})
        cases.append((f"period year out of range {index}", f"y{index}.xlsx", data))
    for index, period in enumerate(["Autumn 2999", "2201-02 Summer", "1989/90 Spring"]):
        csv = f"KPI,Academy,Period,Value\n2.1,AHS,{period},95\n"
        cases.append((f"period year out of range csv {index}", f"y{index}.csv", csv.encode()))
    return cases


UPLOADS = _upload_cases()


@pytest.fixture
def import_dir(settings, tmp_path):
    settings.TRUSTPLAN_IMPORT_DIR = tmp_path
    settings.TRUSTPLAN_IMPORT_MAX_UNZIPPED_BYTES = 150_000_000
    return tmp_path


def test_the_upload_corpus_is_large_enough():
    assert len(UPLOADS) >= 120


@pytest.mark.parametrize(("label", "filename", "data"), UPLOADS, ids=[c[0] for c in UPLOADS])
def test_a_malformed_upload_gets_a_message_and_writes_nothing(
    client_for, import_dir, label, filename, data
):
    before = snapshot()
    response = client_for("admin").post(
        reverse("imports:upload"),
        {"file": SimpleUploadedFile(filename, data), "state": "submitted"},
    )
    assert response.status_code in (200, 400), label
    page = response.content.decode()
    assert "problem" in page or "invalid-feedback" in page or "is empty" in page, label
    assert "Confirm and import" not in page, label
    assert list(import_dir.iterdir()) == [], label
    assert snapshot() == before, label


# --- Form posts ------------------------------------------------------------------------------


ENTRY_VALUES = [
    "abc",
    "1e309",
    "9" * 10_000,
    "NaN",
    "Infinity",
    "-inf",
    "105",
    "-0.5",
    "½",
    "١٢",
    "95%%",
    "=1+1",
    "🙂",
    "\u202e95",
    "0x5F",
    "--5",
    "+-3",
    "1.2.3",
    "95 96",
    "€95",
]


@pytest.fixture
def open_period(trust):
    return Period.objects.create(year_start=2024, term=Term.AUTUMN, is_open=True)


def _entry_post(value: str, note: str = "") -> dict:
    attendance = KPI.objects.get(code="2.1")
    return {
        "version": "0",
        f"value_{attendance.pk}": value,
        f"note_{attendance.pk}": note,
        "action": "save",
    }


@pytest.mark.parametrize("value", ENTRY_VALUES)
@pytest.mark.parametrize("role", ["head_a", "central"])
def test_a_malformed_value_on_the_return_form_is_refused_by_name(
    client_for, open_period, role, value
):
    before = snapshot()
    url = reverse("entry:form", args=["aldersley-high-school", open_period.slug])
    response = client_for(role).post(url, _entry_post(value))
    assert response.status_code == 400
    assert "2.1 Attendance &gt; 95%:" in response.content.decode()
    assert snapshot() == before


ENTRY_JUNK = [
    {"version": "abc"},
    {"version": "9" * 400},
    {"version": "-1"},
    {"version": ""},
    {"note_x": "y"},
]


@pytest.mark.parametrize("extra", ENTRY_JUNK)
def test_a_tampered_return_form_is_refused(client_for, open_period, extra):
    before = snapshot()
    url = reverse("entry:form", args=["aldersley-high-school", open_period.slug])
    data = {**_entry_post("96"), **extra}
    if "note_x" in extra:
        data[f"note_{KPI.objects.get(code='2.1').pk}"] = "n" * 10_000
    response = client_for("head_a").post(url, data)
    assert response.status_code in (400, 409)
    assert snapshot() == before


PLAN_POSTS = [
    ("objective_create", {"number": "abc", "title": "T"}),
    ("objective_create", {"number": "-1", "title": "T"}),
    ("objective_create", {"number": "99999999999", "title": "T"}),
    ("objective_create", {"number": "1", "title": "duplicate number"}),
    ("objective_create", {"number": "7", "title": "x" * 10_000}),
    ("objective_create", {"number": "7", "title": ""}),
    ("aim_create", {"title": ""}),
    ("aim_create", {"title": "   "}),
    ("action_create", {"description": "A", "kpi_codes": "1.1-99.9"}),
    ("action_create", {"description": "A", "kpi_codes": "🙂"}),
    ("action_create", {"description": "A", "responsibility": "x" * 10_000}),
    ("action_create", {"description": "A", "responsibility": "Nobody"}),
    ("action_create", {"description": "A", "monitored_by": "=cmd|' /C calc'!A0"}),
    ("action_create", {"description": "A", "due_date": "2023-02-30"}),
    ("action_create", {"description": "A", "due_date": "tomorrow"}),
    ("action_create", {"description": "A", "academies": ["999999"]}),
    ("action_create", {"description": "A", "due_period": "abc"}),
    ("action_create", {"description": "", "aims": []}),
    ("action_create", {"description": "A", "aims": ["abc"]}),
    ("action_create", {"description": "A", "kpi_codes": "1.9-1.1"}),
]


@pytest.mark.parametrize(("view", "data"), PLAN_POSTS)
def test_a_malformed_plan_form_is_refused_with_its_errors(client_for, trust, view, data):
    objective = trust.objectives.get(number=1)
    args = [trust.pk] if view == "objective_create" else [objective.pk]
    if view == "action_create" and "aims" not in data:
        data = {**data, "aims": [objective.aims.first().pk]}
    before = snapshot()
    response = client_for("central").post(reverse(f"plans:{view}", args=args), data)
    assert response.status_code == 400
    assert (
        "invalid-feedback" in response.content.decode() or "errorlist" in response.content.decode()
    )
    assert snapshot() == before


UPDATE_POSTS = [
    {"status": "exploded", "date": "2024-01-01"},
    {"status": "off_track", "date": "2024-01-01", "commentary": ""},
    {"status": "at_risk", "date": "2024-01-01", "commentary": "   "},
    {"status": "on_track", "date": "2024-13-01"},
    {"status": "on_track", "date": "yesterday"},
    {"status": "on_track", "date": "2024-01-01", "evidence_url": "javascript:alert(1)"},
    {"status": "on_track", "date": "2024-01-01", "evidence_url": "x" * 5000},
    {"status": "", "date": "2024-01-01"},
    {"status": "🙂", "date": ""},
    {"status": "complete", "date": "2024-01-01", "evidence_url": "ftp//broken"},
    # Far-future and far-past dates: the latest-dated update is the action's status, so a
    # "complete" dated 9999 would freeze the action for ever.
    {"status": "complete", "date": "9999-12-31"},
    {"status": "on_track", "date": "0001-01-01"},
    {"status": "on_track", "date": "2022-12-31"},  # before the 2023/24 plan's first year
]


@pytest.mark.parametrize("data", UPDATE_POSTS)
def test_a_malformed_progress_update_is_refused(client_for, trust, data):
    action = Action.objects.filter(objective__plan=trust).first()
    before = snapshot()
    response = client_for("central").post(reverse("plans:action_update", args=[action.pk]), data)
    assert response.status_code == 400
    assert "The update was not posted" in response.content.decode()
    assert snapshot() == before


QUERIES = [
    ("kpis:matrix", "?period=garbage", 404),
    ("kpis:matrix", "?period=2023-24-winter", 404),
    ("kpis:matrix", "?area=abc", 200),
    ("kpis:matrix", "?area=99999999999999999999", 200),
    ("kpis:matrix", "?phase=<script>", 200),
    ("kpis:matrix", "?outcome=../../etc", 200),
    ("kpis:matrix", "?academy=" + "x" * 5000, 200),
    ("home", "?period=" + "🙂", 404),
    ("plans:plan", "?plan=abc", 404),
    # Not ASCII digits: "²".isdigit() is true but int() fails; int("٣") is 3.
    ("plans:plan", "?plan=²", 404),
    ("plans:plan", "?plan=٣", 404),
    ("plans:plan", "?plan=+1", 404),
    ("plans:plan", "?plan=99999999999999999999999", 404),
    ("kpis:matrix", "?area=²", 200),
    ("kpis:matrix", "?area=٣", 200),
    ("plans:plan", "?plan=999999", 404),
    ("plans:plan", "?status=exploded", 200),
    ("plans:plan", "?owner=abc&monitor=-1&academy=🙂", 200),
    ("plans:plan", "?overdue=maybe", 200),
    ("kpis:export_csv", "?period=nope", 404),
    ("kpis:export_xlsx", "?period=nope", 404),
]


@pytest.mark.parametrize(("name", "query", "status"), QUERIES)
def test_a_malformed_query_string_never_breaks_a_page(client_for, trust, name, query, status):
    response = client_for("trustee").get(reverse(name) + query)
    assert response.status_code == status


@pytest.mark.parametrize("aim", ["²", "٣", "1²", "99999999999999999999999", "-1", " 1"])
def test_a_malformed_aim_on_the_new_action_page_is_ignored(client_for, trust, aim):
    objective = trust.objectives.first()
    url = reverse("plans:action_create", args=[objective.pk])
    response = client_for("central").get(url, {"aim": aim})
    assert response.status_code == 200


LOGINS = [
    {"username": "x" * 10_000, "password": "p"},
    {"username": "🙂", "password": "🙂"},
    {"username": "", "password": ""},
    {"username": "admin' OR '1'='1", "password": "' OR '1'='1"},
    {"username": "\x00", "password": "\x00"},
]


@pytest.mark.parametrize("data", LOGINS)
def test_a_malformed_login_is_refused_with_a_message(client, cast, data):
    response = client.post(reverse("login"), data)
    assert response.status_code in (200, 400)
    assert not response.wsgi_request.user.is_authenticated


def test_the_whole_corpus_has_at_least_200_cases():
    total = (
        len(UPLOADS)
        + 2 * len(ENTRY_VALUES)
        + len(ENTRY_JUNK)
        + len(PLAN_POSTS)
        + len(UPDATE_POSTS)
        + len(QUERIES)
        + len(LOGINS)
    )
    assert total >= 200, total


# --- NUL characters ----------------------------------------------------------------------------
# PostgreSQL refuses NUL in text (psycopg raises before the query runs), so a NUL anywhere the
# app stores or looks up text was a 500 there. One middleware refuses any request with a NUL in
# its path, a query or form key or value, an upload's field name, a cookie or a header (400, a
# message).


def _nul_context(trust, cast) -> dict:
    from academies.models import Academy

    period = Period.objects.create(year_start=2024, term=Term.AUTUMN, is_open=True)
    academy = Academy.objects.get(slug="aldersley-high-school")
    ret = Return.objects.create(
        academy=academy, period=period, status="submitted", submitted_by=cast["head_a"]
    )
    objective = trust.objectives.get(number=1)
    return {
        "period": period.slug,
        "version": str(ret.version),
        "objective": objective.pk,
        "aim": objective.aims.first().pk,
        "action": Action.objects.filter(objective__plan=trust).first().pk,
        "plan": trust.pk,
    }


def _entry(ctx) -> str:
    return reverse("entry:form", args=["aldersley-high-school", ctx["period"]])


# (label, role, method, url(ctx), data(ctx)); role None is an anonymous visitor.
NUL_REQUESTS = [
    ("path kpi", "trustee", "get", lambda c: "/kpis/%00/", None),
    ("path kpi suffix", "trustee", "get", lambda c: "/kpis/2.1%00/", None),
    ("path monitoring", "trustee", "get", lambda c: "/plan/monitoring/%00/", None),
    ("path scorecard", "trustee", "get", lambda c: "/academies/moreton%00school/", None),
    ("path plan delete", "central", "post", lambda c: "/plan/%00/1/delete/", {}),
    ("query matrix academy", "trustee", "get", lambda c: "/kpis/?academy=%00", None),
    ("query matrix outcome", "trustee", "get", lambda c: "/kpis/?outcome=red%00", None),
    ("query home period", "trustee", "get", lambda c: "/?period=%00", None),
    ("query plan owner", "trustee", "get", lambda c: "/plan/?owner=%00&academy=%00", None),
    ("query export period", "trustee", "get", lambda c: "/kpis/export.csv?period=%00", None),
    ("query key", "trustee", "get", lambda c: "/kpis/?%00=1", None),
    ("query login next", None, "get", lambda c: "/accounts/login/?next=/%00", None),
    (
        "send-back reason",
        "central",
        "post",
        lambda c: reverse("entry:send_back", args=["aldersley-high-school", c["period"]]),
        lambda c: {"version": c["version"], "reason": "Please check\x00 attendance"},
    ),
    (
        "send-back version",
        "central",
        "post",
        lambda c: reverse("entry:send_back", args=["aldersley-high-school", c["period"]]),
        lambda c: {"version": "1\x00", "reason": "Please check"},
    ),
    (
        "return form note",
        "central",
        "post",
        _entry,
        lambda c: {**_entry_post("96", note="Late\x00 figure"), "version": c["version"]},
    ),
    (
        "return form value",
        "central",
        "post",
        _entry,
        lambda c: {**_entry_post("9\x006"), "version": c["version"]},
    ),
    (
        "objective title",
        "central",
        "post",
        lambda c: reverse("plans:objective_create", args=[c["plan"]]),
        lambda c: {"number": "7", "title": "New\x00 objective"},
    ),
    (
        "aim title",
        "central",
        "post",
        lambda c: reverse("plans:aim_create", args=[c["objective"]]),
        lambda c: {"title": "\x00"},
    ),
    (
        "action description",
        "central",
        "post",
        lambda c: reverse("plans:action_create", args=[c["objective"]]),
        lambda c: {"description": "Do\x00 it", "aims": [c["aim"]]},
    ),
    (
        "action kpi codes",
        "central",
        "post",
        lambda c: reverse("plans:action_create", args=[c["objective"]]),
        lambda c: {"description": "Do it", "aims": [c["aim"]], "kpi_codes": "2.1\x00"},
    ),
    (
        "progress commentary",
        "central",
        "post",
        lambda c: reverse("plans:action_update", args=[c["action"]]),
        lambda c: {"status": "on_track", "date": "2024-01-01", "commentary": "ok\x00"},
    ),
    (
        "form key",
        "central",
        "post",
        lambda c: reverse("plans:objective_create", args=[c["plan"]]),
        lambda c: {"number": "7", "title": "Fine", "title\x00": "x"},
    ),
    (
        # Multipart: Django drops non-printable characters from file names itself.
        "upload form field",
        "admin",
        "post",
        lambda c: reverse("imports:upload"),
        lambda c: {
            "file": SimpleUploadedFile("values.csv", b"KPI,Academy,Period,Value\n"),
            "state": "submitted\x00",
        },
    ),
    (
        "login username",
        None,
        "post",
        lambda c: reverse("login"),
        lambda c: {"username": "t-trustee\x00", "password": "x"},
    ),
]


@pytest.mark.parametrize(
    ("label", "role", "method", "url", "data"), NUL_REQUESTS, ids=[r[0] for r in NUL_REQUESTS]
)
def test_a_nul_character_is_refused_with_a_message(
    client, cast, trust, label, role, method, url, data
):
    ctx = _nul_context(trust, cast)
    if role:
        client.force_login(cast[role])
    before = snapshot()
    send = getattr(client, method)
    response = send(url(ctx), data(ctx)) if data else send(url(ctx))
    assert response.status_code == 400, label
    assert "NUL character" in response.content.decode(), label
    assert snapshot() == before, label


@pytest.mark.parametrize(
    ("where", "extra"),
    [
        ("user agent", {"HTTP_USER_AGENT": "Mozilla\x00"}),
        ("forwarded for", {"HTTP_X_FORWARDED_FOR": "1.2.3.4\x00"}),
        ("referer", {"HTTP_REFERER": "https://x/\x00"}),
    ],
)
def test_a_nul_character_in_a_header_is_refused(client, cast, where, extra):
    response = client.post(reverse("login"), {"username": "t-trustee", "password": "x"}, **extra)
    assert response.status_code == 400, where
    assert "NUL character" in response.content.decode()
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.exists()


def test_a_nul_character_in_the_session_cookie_is_refused(client, cast):
    from django.conf import settings

    client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefghij\x00klmnop"
    response = client.get(reverse("home"))
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_text_without_nul_still_passes(client_for, trust):
    response = client_for("trustee").get("/kpis/?academy=%01x")
    assert response.status_code == 200
