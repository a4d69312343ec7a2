"""Word documents (.docx) built with python-docx from the two seed transcriptions, as trusts
write them: merged objective rows and aim cells, blank cells continuing the row above, bold
aims, several paragraphs per cell, the 2019–2022 seed's Cyrillic "КРІ" header. And what a
plan holds, to compare an imported plan with the fixture's."""

from __future__ import annotations

import io

import docx
from docx.enum.text import WD_BREAK

from academies.services import read_fixture
from plans.models import Plan

AMETHYST = "plan_amethyst_2023_24.yaml"
PLAN_2019 = "plan_2019_2022.yaml"
HEADER_2023 = ["Aim", "Action", "Responsibility", "KPI", "Monitored by"]


def to_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _bold_cell(cell, text: str) -> None:
    cell.paragraphs[0].add_run(text).bold = True


def _split(text: str) -> list[str]:
    """A long cell as Word holds it after a page break: two paragraphs (the transcription joined
    such halves with a single space)."""
    if len(text) < 150:
        return [text]
    middle = text.index(" ", len(text) // 2)
    return [text[:middle], text[middle + 1 :]]


def _fill(cell, paragraphs: list[str], bold: bool = False) -> None:
    for index, text in enumerate(paragraphs):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.add_run(text).bold = bold


def amethyst_document(
    data: dict | None = None,
    *,
    one_table: bool = True,
    merge_aims: bool = True,
    repeat_aims: bool = False,
    header: list[str] | None = None,
) -> bytes:
    """The 2023/24 plan as a Word document: the title, then one table (or one per objective,
    its "Strategic objective N: …" a bold paragraph above it). Objective rows merged across the
    table and bold; each aim bold, merged down over its actions (or, with repeat_aims, its text
    repeated in every row); long cells in two paragraphs; an action's last KPI reference and
    its monitors on a continuation row with a blank Action cell."""
    data = data or read_fixture(AMETHYST)
    document = docx.Document()
    document.add_heading(data["title"], level=1)
    table = None

    def new_table():
        made = document.add_table(rows=1, cols=5)
        made.style = "Table Grid"
        for cell, text in zip(made.rows[0].cells, header or HEADER_2023, strict=True):
            _bold_cell(cell, text)
        return made

    if one_table:
        table = new_table()
    for objective in data["objectives"]:
        heading = f"Strategic objective {objective['number']}: {objective['title']}"
        if one_table:
            row = table.add_row()
            merged = row.cells[0].merge(row.cells[4])
            _bold_cell(merged, heading)
        else:
            document.add_paragraph().add_run(heading).bold = True
            table = new_table()
        for aim in objective["aims"]:
            first = len(table.rows)
            for index, action in enumerate(aim["actions"]):
                kpis = action["kpi"].split()
                continued = len(kpis) > 1 and "-" not in action["kpi"]
                row = table.add_row().cells
                if index == 0 or repeat_aims:
                    _fill(row[0], _split(aim["title"]) if aim["title"] else [], bold=True)
                _fill(row[1], _split(action["description"]) if action["description"] else [])
                _fill(row[2], [action["responsibility"]] if action["responsibility"] else [])
                _fill(row[3], [" ".join(kpis[:-1]) if continued else action["kpi"]])
                if not continued:
                    _fill(row[4], [action["monitored_by"]] if action["monitored_by"] else [])
                    continue
                # The rest on a row of its own, Action cell blank: it continues the action.
                more = table.add_row().cells
                _fill(more[3], [kpis[-1]])
                _fill(more[4], [action["monitored_by"]] if action["monitored_by"] else [])
            last = len(table.rows) - 1
            if merge_aims and not repeat_aims and last > first:
                table.cell(first, 0).merge(table.cell(last, 0))
        if not one_table:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    return to_bytes(document)


def plan_2019_document(
    data: dict | None = None,
    *,
    header: tuple[str, str, str] = ("КРІ", "ACTIONS", "SUCCESS CRITERIA"),
    run_on_first: bool = True,
    one_table: bool = True,
) -> bytes:
    """The 2019–2022 plan as its Word document: the heading and introduction as text, then
    the table with the seed's header (its first cell in Cyrillic). A priority row merged across;
    each group a row whose first cell lists its sub-priorities (numbers bold, one per paragraph;
    the first group's run on in one paragraph, as the seed has it; a sub-priority listed again
    by its number alone), its actions and success criteria one per paragraph."""
    data = data or read_fixture(PLAN_2019)
    document = docx.Document()
    document.add_heading("TRUST DEVELOPMENT PLAN", level=1)
    document.add_paragraph(data["introduction"])
    table = None

    def new_table():
        made = document.add_table(rows=1, cols=3)
        for cell, text in zip(made.rows[0].cells, header, strict=True):
            _bold_cell(cell, text)
        return made

    if one_table:
        table = new_table()
    for objective in data["objectives"]:
        heading = f"{objective['number']} {objective['title']}"
        if one_table:
            row = table.add_row()
            _bold_cell(row.cells[0].merge(row.cells[2]), heading)
        else:
            document.add_paragraph().add_run(heading).bold = True
            table = new_table()
        titles = {aim["number"]: aim["title"] for aim in objective["aims"]}
        listed: set[str] = set()
        for index, group in enumerate(objective["groups"]):
            cells = table.add_row().cells
            paragraphs = []
            for number in group["aims"]:
                paragraphs.append((number, "" if number in listed else titles[number]))
                listed.add(number)
            if run_on_first and objective["number"] == 1 and index == 0:
                paragraph = cells[0].paragraphs[0]
                for number, title in paragraphs:
                    paragraph.add_run(f" {number}").bold = True
                    paragraph.add_run(f" {title}")
            else:
                for position, (number, title) in enumerate(paragraphs):
                    paragraph = (
                        cells[0].paragraphs[0] if position == 0 else cells[0].add_paragraph()
                    )
                    paragraph.add_run(number).bold = True
                    if title:
                        paragraph.add_run(f" {title}")
            _fill(cells[1], group.get("actions", []))
            _fill(cells[2], [f"- {text}" for text in group.get("success_criteria", [])])
    return to_bytes(document)


def snapshot(plan: Plan) -> dict:
    """What a plan holds, as the seeds state it: objectives, aims (numbered), actions with
    their aims, owners, monitors, KPIs and academies, success criteria with their aims."""
    objectives = []
    for objective in plan.objectives.order_by("number"):
        actions = []
        for action in objective.actions.order_by("position", "pk"):
            actions.append(
                (
                    action.description,
                    sorted(aim.number for aim in action.aims.all()),
                    sorted(o.code for o in action.responsible.all()),
                    sorted(o.code for o in action.monitors.all()),
                    sorted(k.code for k in action.kpis.all()),
                    sorted(a.short_name for a in action.academies.all()),
                )
            )
        criteria = [
            (criterion.text, sorted(aim.number for aim in criterion.aims.all()))
            for criterion in objective.success_criteria.order_by("position", "pk")
        ]
        objectives.append(
            {
                "number": objective.number,
                "title": objective.title,
                "aims": [(aim.number, aim.title) for aim in objective.aims.order_by("position")],
                "actions": actions,
                "criteria": criteria,
            }
        )
    return {
        "title": plan.title,
        "years": (plan.start_year, plan.end_year),
        "introduction": plan.introduction,
        "labels": (plan.objective_label, plan.aim_label),
        "objectives": objectives,
    }
