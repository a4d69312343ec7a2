"""Development plans from Word (issue 20): .docx files built from the two seed transcriptions
import back equal to them; the 2023/24 and 2019–2022 layouts as trusts write them; updating an
existing plan; unknown owners; and the refusals (damaged, .doc, password-protected, bombs, no
plan table, an unknown header)."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from docx.oxml.ns import qn

from academies.models import Owner
from academies.services import read_fixture
from plans.models import Action, Plan, PlanStatus
from plans.references import ReferenceError
from plans.services import load_plan
from spreadsheets.export import example_workbook
from spreadsheets.plan_document import (
    LAYOUT_2019,
    LAYOUT_2023,
    apply_plan_import,
    parse_years,
    plan_tree,
    prepare_plan_import,
)
from tests.spreadsheets.plan_docs import (
    AMETHYST,
    PLAN_2019,
    amethyst_document,
    plan_2019_document,
    snapshot,
    to_bytes,
)

pytestmark = pytest.mark.django_db


def _fixture_snapshot(name: str) -> tuple[dict, dict]:
    """The fixture's data and the plan load_plan makes of it, as a snapshot."""
    data = read_fixture(name)
    Plan.objects.filter(title=data["title"]).delete()
    plan, _ = load_plan(data=data)
    return data, snapshot(plan)


def _import_new(content: bytes, data: dict, **options) -> Plan:
    preview = prepare_plan_import(
        content,
        "plan.docx",
        title=data["title"],
        years=(data["start_year"], data["end_year"]),
        **options,
    )
    assert preview.ok, [str(p) for p in preview.problems]
    apply_plan_import(preview, user=None)
    return preview.result.plan


# --- Both seeds, back as they were transcribed -------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},  # one table, objective rows merged across, aims merged down
        {"one_table": False},  # one table per objective, its objective a paragraph above it
        {"repeat_aims": True},  # the aim's text in every row instead of a merged cell
        {"header": ["Objective", "Actions", "Lead", "Success criteria", "Monitoring"]},
    ],
    ids=["one-table", "table-per-objective", "aim-repeated", "synonyms"],
)
def test_the_2023_24_plan_from_word_equals_its_transcription(trust, options):
    data, expected = _fixture_snapshot(AMETHYST)
    content = amethyst_document(**options)
    preview = prepare_plan_import(content, "amethyst.docx", title="T", years=(2023, 2024))
    assert preview.layout == LAYOUT_2023
    plan = _import_new(content, data)
    assert plan.status == PlanStatus.DRAFT  # a new plan is a draft, whatever the active one
    assert snapshot(plan) == expected
    assert plan.pk != Plan.objects.get(status=PlanStatus.ACTIVE).pk


def test_the_2023_24_plan_keeps_the_untitled_aim_and_the_action_without_words(trust):
    data, _ = _fixture_snapshot(AMETHYST)
    plan = _import_new(amethyst_document(), data)
    assert plan.objectives.get(number=3).aims.order_by("position").first().title == ""
    empty = Action.objects.get(objective__plan=plan, description="")
    assert {o.code for o in empty.responsible.all()} and empty.kpis.exists()
    continued = Action.objects.get(
        objective__plan=plan, description__startswith="Each area within OD"
    )
    assert {k.code for k in continued.kpis.all()} == {"4.7", "4.8"}  # 4.8 on a blank-action row


@pytest.mark.parametrize(
    "options",
    [
        {},  # the seed's header КРІ (Cyrillic), sub-priorities of 1 run on in one paragraph
        {"run_on_first": False, "one_table": False},
        {"header": ("Key priorities", "Actions", "Success criteria")},
    ],
    ids=["seed", "table-per-priority", "latin-header"],
)
def test_the_2019_2022_plan_from_word_equals_its_transcription(trust, options):
    data, expected = _fixture_snapshot(PLAN_2019)
    content = plan_2019_document(**options)
    preview = prepare_plan_import(content, "2019.docx", title="T", years=(2019, 2022))
    assert preview.layout == LAYOUT_2019, [str(p) for p in preview.problems]
    plan = _import_new(content, data)
    got = snapshot(plan)
    assert got == expected
    assert plan.objective_label == "Key priority" and plan.aim_label == "Sub-priority"
    assert plan.introduction == data["introduction"]  # the paragraph before the table


def test_the_2019_run_on_sub_priorities_are_said_in_the_preview(trust):
    preview = prepare_plan_import(plan_2019_document(), "2019.docx", years=(2019, 2022))
    assert any("lists 3 sub-priorities (1.1, 1.2, 1.3)" in str(n) for n in preview.notes)
    # Without --new TITLE the document's own first paragraph is the title.
    assert preview.result.title == "TRUST DEVELOPMENT PLAN"
    tree = plan_tree(preview.result)
    assert "Key priority 1: Children and young people achieve the best outcomes" in tree
    assert "  Serving 1.1, 1.2, 1.3:" in tree


def test_a_shared_action_serves_every_sub_priority_of_its_row(trust):
    data, _ = _fixture_snapshot(PLAN_2019)
    plan = _import_new(plan_2019_document(), data)
    action = Action.objects.get(
        objective__plan=plan, description="A Trust wide monitoring dashboard is created."
    )
    assert sorted(a.number for a in action.aims.all()) == ["1.1", "1.2", "1.3"]


def test_the_years_come_from_the_title_when_not_given(trust):
    preview = prepare_plan_import(amethyst_document(), "a.docx")
    assert preview.ok and preview.result.years == (2023, 2024)
    preview = prepare_plan_import(plan_2019_document(), "b.docx")  # "TRUST DEVELOPMENT PLAN"
    assert any("needs its years" in str(p) for p in preview.problems)


# --- An existing plan: added to and updated, never deleted from ---------------------------


def test_importing_the_active_plans_own_document_changes_nothing(trust):
    preview = prepare_plan_import(amethyst_document(), "a.docx", plan=trust)
    assert preview.ok
    assert not preview.has_changes, preview.result.counts
    assert (
        preview.result.counts["actions_unchanged"]
        == Action.objects.filter(objective__plan=trust).count()
    )


def test_an_existing_plan_gets_the_new_action_and_the_changed_owner_nothing_deleted(trust):
    data = read_fixture(AMETHYST)
    first_aim = data["objectives"][0]["aims"][0]
    first_aim["actions"].append(
        {
            "description": "A brand new action",
            "responsibility": "LVE",
            "kpi": "4.2",
            "monitored_by": "",
        }
    )
    first_aim["actions"][0]["responsibility"] = "TBR"  # was NLI
    del data["objectives"][1]["aims"][0]["actions"][0]  # gone from the document: kept in the plan
    before = Action.objects.filter(objective__plan=trust).count()
    preview = prepare_plan_import(amethyst_document(data), "a.docx", plan=trust)
    assert preview.result.counts["actions_created"] == 1
    assert preview.result.counts["actions_updated"] == 1
    counts = apply_plan_import(preview, user=None)
    assert counts["actions_created"] == 1 and counts["actions_updated"] == 1
    assert Action.objects.filter(objective__plan=trust).count() == before + 1
    changed = Action.objects.get(
        objective__plan=trust, description="Present and gain buy-in from headteachers"
    )
    assert [o.code for o in changed.responsible.all()] == ["TBR"]
    new = Action.objects.get(objective__plan=trust, description="A brand new action")
    assert [k.code for k in new.kpis.all()] == ["4.2"]


def test_an_archived_plan_is_refused(trust):
    data = read_fixture(PLAN_2019)
    archived, _ = load_plan(data=data)
    preview = prepare_plan_import(plan_2019_document(), "b.docx", plan=archived)
    assert not preview.ok and "archived" in str(preview.problems[0])


# --- Owners trustplan does not have -------------------------------------------------------


def _with_owner(responsibility: str) -> bytes:
    data = read_fixture(AMETHYST)
    data["objectives"][0]["aims"][0]["actions"][0]["responsibility"] = responsibility
    return amethyst_document(data)


def test_unknown_owners_are_listed_with_the_closest_and_created_only_when_allowed(trust):
    content = _with_owner("NLJ and Head of School")
    preview = prepare_plan_import(content, "a.docx", years=(2023, 2024))
    assert preview.ok and preview.needs_owner_consent
    owners = {o.text: o for o in preview.unknown_owners}
    assert set(owners) == {"NLJ", "Head of School"}
    assert owners["NLJ"].closest == "NLI"
    assert owners["NLJ"].places == ["Table 1, row 3"]
    with pytest.raises(ReferenceError):
        apply_plan_import(preview, user=None)
    assert not Owner.objects.filter(code="NLJ").exists()

    allowed = prepare_plan_import(content, "a.docx", years=(2023, 2024), create_owners=True)
    assert not allowed.needs_owner_consent
    apply_plan_import(allowed, user=None)
    action = Action.objects.get(
        objective__plan=allowed.result.plan,
        description="Present and gain buy-in from headteachers",
    )
    assert sorted(o.code for o in action.responsible.all()) == ["Head of School", "NLJ"]
    assert Owner.objects.get(code="Head of School").name == "Head of School"


# --- The plan sheet workbook through the same route --------------------------------------


def test_the_example_workbooks_plan_sheet_makes_a_new_plan_equal_to_the_seed(trust):
    data, expected = _fixture_snapshot(AMETHYST)
    preview = prepare_plan_import(
        example_workbook(), "example.xlsx", title=data["title"], years=(2023, 2024)
    )
    assert preview.kind == "workbook" and preview.ok, [str(p) for p in preview.problems]
    apply_plan_import(preview, user=None)
    got = snapshot(preview.result.plan)
    assert got["objectives"] == expected["objectives"]


# --- Refusals -------------------------------------------------------------------------------


def _refusal(content: bytes, filename: str = "plan.docx") -> str:
    preview = prepare_plan_import(content, filename, years=(2023, 2024))
    assert not preview.ok and preview.result is None
    return " ".join(str(p) for p in preview.problems)


def _ole2(stream_name: str) -> bytes:
    """An OLE2 compound file's first bytes with a directory entry named `stream_name`."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    return header + stream_name.encode("utf-16-le") + b"\0" * 2048


def test_a_damaged_document_is_refused(trust):
    content = amethyst_document()
    assert "damaged" in _refusal(content[: len(content) // 2])


def test_a_legacy_doc_is_refused_with_what_to_do(trust):
    message = _refusal(_ole2("WordDocument"), "plan.doc")
    assert ".doc" in message and "save it as a Word document (.docx)" in message


def test_a_password_protected_document_is_refused(trust):
    message = _refusal(_ole2("EncryptedPackage") + "EncryptionInfo".encode("utf-16-le"))
    assert "password-protected" in message


def test_an_xml_bomb_is_refused(trust):
    content = amethyst_document()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            blob = source.read(item)
            if item.filename == "word/document.xml":
                blob = blob.replace(
                    b"?>",
                    b'?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
                    1,
                )
            target.writestr(item, blob)
    assert "XML bomb" in _refusal(out.getvalue())


def test_a_zip_bomb_is_refused(trust, settings):
    settings.TRUSTPLAN_IMPORT_MAX_UNZIPPED_BYTES = 10_000
    assert "zip bomb" in _refusal(amethyst_document())


def test_a_document_with_no_plan_table_is_refused(trust):
    document = docx.Document()
    document.add_paragraph("Minutes of the meeting")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Name", "Date"
    message = _refusal(to_bytes(document))
    assert "no plan table (1 table found)" in message


def test_an_unknown_header_is_refused_naming_it(trust):
    content = amethyst_document(
        header=["Aim", "Action", "Responsibility", "Budget", "Monitored by"]
    )
    message = _refusal(content)
    assert "Table 1, row 1, column D (Budget)" in message and "“Budget”" in message


def test_a_plan_row_with_an_unknown_kpi_is_a_problem_naming_table_row_and_column(trust):
    data = read_fixture(AMETHYST)
    data["objectives"][0]["aims"][0]["actions"][0]["kpi"] = "9.99"
    preview = prepare_plan_import(amethyst_document(data), "a.docx")
    assert [str(p) for p in preview.problems] == [
        "Table 1, row 3, column D (KPI): no KPI 9.99 in the framework"
    ]


# --- import_plan ------------------------------------------------------------------------------


def _write(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_import_plan_new_dry_run_writes_nothing_then_imports(trust, tmp_path):
    path = _write(tmp_path, "plan.docx", plan_2019_document())
    plans = Plan.objects.count()
    out = io.StringIO()
    call_command(
        "import_plan",
        path,
        "--new",
        "Trust Development Plan 2019–2022",
        "--years",
        "2019-2022",
        "--dry-run",
        stdout=out,
    )
    assert "Dry run: nothing was written." in out.getvalue()
    assert "Key priority 1: Children and young people achieve the best outcomes" in out.getvalue()
    assert Plan.objects.count() == plans
    out = io.StringIO()
    call_command(
        "import_plan",
        path,
        "--new",
        "Trust Development Plan 2019–2022",
        "--years",
        "2019-2022",
        stdout=out,
    )
    assert Plan.objects.count() == plans + 1
    plan = Plan.objects.order_by("-pk").first()
    assert (plan.start_year, plan.end_year, plan.status) == (2019, 2022, "draft")
    assert f"plan {plan.pk}" in out.getvalue()


def test_import_plan_into_an_existing_plan_and_its_refusals(trust, tmp_path):
    path = _write(tmp_path, "plan.docx", amethyst_document())
    out = io.StringIO()
    call_command("import_plan", path, "--plan", str(trust.pk), stdout=out)
    assert "Nothing to import" in out.getvalue()
    with pytest.raises(CommandError, match="No plan 999999"):
        call_command("import_plan", path, "--plan", "999999")
    with pytest.raises(CommandError, match="--years"):
        call_command("import_plan", path, "--new", "X", "--years", "2024")
    bad = _write(tmp_path, "old.doc", _ole2("WordDocument"))
    with pytest.raises(CommandError, match="problem"):
        call_command("import_plan", bad, "--new", "X", "--years", "2023-2024", stderr=io.StringIO())


def test_import_plan_unknown_owners_need_create_owners(trust, tmp_path):
    path = _write(tmp_path, "plan.docx", _with_owner("ZZQ"))
    with pytest.raises(CommandError, match="--create-owners"):
        call_command("import_plan", path, "--new", "X 2023/24", stdout=io.StringIO())
    assert not Owner.objects.filter(code="ZZQ").exists()
    call_command("import_plan", path, "--new", "X 2023/24", "--create-owners", stdout=io.StringIO())
    assert Owner.objects.filter(code="ZZQ").exists()


def test_parse_years():
    assert parse_years("2023-2024") == (2023, 2024)
    assert parse_years("2023/24") == (2023, 2024)
    assert parse_years("2019–2022") == (2019, 2022)
    assert parse_years("2024-2023") is None and parse_years("soon") is None


def test_a_table_without_a_header_after_the_plan_table_continues_it(trust):
    data = read_fixture(AMETHYST)
    document = docx.Document(io.BytesIO(amethyst_document(data)))
    more = document.add_table(rows=1, cols=5)
    for cell, text in zip(
        more.rows[0].cells, ["", "One more action", "LVE", "4.2", ""], strict=True
    ):
        cell.text = text
    preview = prepare_plan_import(to_bytes(document), "a.docx", plan=trust)
    assert preview.ok, [str(p) for p in preview.problems]
    assert any("Table 2: no header row" in str(n) for n in preview.notes)
    assert preview.result.counts["actions_created"] == 1


def test_damaged_bytes_anywhere_give_a_message_never_a_traceback(trust):
    """Every byte range of a real document overwritten in turn: each read ends in a preview
    (problems or none), never an exception."""
    import random

    content = amethyst_document()
    chance = random.Random(20)
    for _ in range(60):
        damaged = bytearray(content)
        start = chance.randrange(len(content))
        for index in range(start, min(len(content), start + chance.randrange(1, 64))):
            damaged[index] = chance.randrange(256)
        preview = prepare_plan_import(bytes(damaged), "damaged.docx", years=(2023, 2024))
        assert preview.ok or all(str(p) for p in preview.problems)


def test_damaged_document_xml_gives_a_message_never_a_traceback(trust):
    """The document's XML itself damaged (its zip intact): lxml's and python-docx's errors and
    odd markup end in a problem, never an exception."""
    import random

    content = amethyst_document()
    with zipfile.ZipFile(io.BytesIO(content)) as source:
        parts = {item.filename: source.read(item) for item in source.infolist()}
    xml = parts["word/document.xml"]
    chance = random.Random(7)
    tokens = [b"<", b">", b'"', b'w:gridSpan w:val="x"', b"</w:tc>", b"w:vMerge", b"\xff"]
    for _ in range(40):
        damaged = bytearray(xml)
        for _ in range(3):
            at = chance.randrange(len(damaged))
            damaged[at:at] = chance.choice(tokens)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for name, blob in parts.items():
                target.writestr(name, bytes(damaged) if name == "word/document.xml" else blob)
        preview = prepare_plan_import(out.getvalue(), "damaged.docx", years=(2023, 2024))
        assert preview.ok or all(str(p) for p in preview.problems)


def test_an_objective_row_above_each_tables_header_starts_the_objective(trust):
    data, expected = _fixture_snapshot(AMETHYST)
    document = docx.Document(io.BytesIO(amethyst_document(data, one_table=False)))
    body = document.element.body
    for table in document.tables:
        paragraph = table._tbl.getprevious()  # the "Strategic objective N: …" line above it
        text = "".join(node.text or "" for node in paragraph.iter(qn("w:t")))
        assert text.startswith("Strategic objective")
        row = table.add_row()  # appended, then moved above the header row
        row.cells[0].merge(row.cells[4]).text = text
        table._tbl.remove(row._tr)
        table._tbl.tr_lst[0].addprevious(row._tr)
        body.remove(paragraph)
    plan = _import_new(to_bytes(document), data)
    got = snapshot(plan)
    for want_objective, got_objective in zip(
        expected["objectives"], got["objectives"], strict=True
    ):
        for key in want_objective:
            assert got_objective[key] == want_objective[key], (want_objective["number"], key)
    assert got == expected


def test_an_xml_bomb_in_a_part_not_named_xml_is_refused(trust):
    content = amethyst_document()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr(
            "word/custom.bin", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "a">]><x/>'
        )
    assert "XML bomb" in _refusal(out.getvalue())


def test_a_workbook_without_a_plan_sheet_is_refused_naming_its_sheets(trust):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Values"
    book.active.append(["KPI", "Academy", "Period", "Value"])
    out = io.BytesIO()
    book.save(out)
    message = _refusal(out.getvalue(), "values.xlsx")
    assert "No sheet is a plan sheet" in message and "“Values”" in message
