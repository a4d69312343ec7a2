"""A development plan from a Word document (.docx) — or a workbook's plan sheet — into a new
draft plan or an existing plan: what ``import_plan`` and the plan import page read.

``prepare_plan_import`` reads the file (core.document for Word, core.workbook for a workbook),
compares it with the plan it goes into and writes nothing: a PlanFilePreview with the plan's
tree, every problem by table (or sheet), row and column, what was ambiguous and assumed, and
the owners trustplan does not have with the closest known one. ``apply_plan_import`` writes it
all or nothing (plans.services.apply_plan_sheet); nothing in the plan is ever deleted.

Word layouts, recognised by their header rows (case, spacing, synonyms and Latin look-alikes
ignored, plans.sheet.header_norm):
- **2023/24**: Aim | Action | Responsibility | KPI | Monitored by, one table per objective or one
  for all; an objective row ("Strategic objective 1: …", often merged across the table, or a
  paragraph just before the table); an aim merged down over its actions; every row read by the
  plan sheet's rules (spreadsheets.plan_sheet), a cell's paragraphs joined by single spaces.
- **2019–2022**: Key priorities | Actions | Success criteria; a priority row ("1 Children and young
  people achieve the best outcomes"), then rows whose first cell lists the sub-priorities the
  row serves ("1.1 …", one per paragraph — or run on in one), whose second holds the actions
  and whose third the success criteria, one per paragraph: actions and criteria serving that
  group of sub-priorities.
Text before the first plan table is the plan's title (its first paragraph) and introduction.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field

from core.document import DocTable, Document, Paragraph, open_document
from core.workbook import ZIP_MAGIC, WorkbookRefused, open_sheets
from plans.models import Plan, PlanStatus
from plans.services import apply_plan_sheet
from plans.sheet import ActionRow, AimRow, GroupRow, ObjectiveRow, PlanImport, header_norm, norm
from spreadsheets.plan_sheet import (
    HEADERS,
    OBJECTIVE_ROW,
    OwnerReader,
    _match_plan,
    _read_head,
    _RowReader,
    _years_from,
)
from spreadsheets.problems import Problem, report_unsaved_formulas

HEADER_SCAN_ROWS = 3  # a Word table's header is among its first rows
WORKBOOK_HEADER_SCAN_ROWS = 30
# The 2019–2022 layout's first column: the (key or sub-) priorities a row serves.
PRIORITY_HEADERS = {
    "key priority",
    "key priorities",
    "priority",
    "priorities",
    "sub-priority",
    "sub-priorities",
    "sub priority",
    "sub priorities",
    "aim",
    "aims",
    "objective",
    "objectives",
    "kpi",  # the seed's "КРІ"
    "kp",
    "kpis",
}
CRITERIA_HEADERS = {"success criteria", "success criterion", "criteria", "outcomes"}
LAYOUT_2023 = "2023/24 (Aim | Action | Responsibility | KPI | Monitored by)"
LAYOUT_2019 = "2019–2022 (Key priorities | Actions | Success criteria)"
EXPECTED = (
    "a plan table has the header Aim | Action | Responsibility | KPI | Monitored by (the "
    "2023/24 layout) or Key priorities | Actions | Success criteria (the 2019–2022 layout)"
)
PRIORITY_ROW = re.compile(
    r"^(?:(key\s+priority|priority)\s+)?(\d{1,2})(?![.\d])\s*[:.)\-–]?\s+(.+)$", re.I
)
SUB_PRIORITY = re.compile(r"(?<![\w.])(\d{1,2})\.(\d{1,2})(?![\d])\.?")
BULLET = re.compile(r"^[\-–—•·▪◦*]\s+")
SENTENCE_END = re.compile(r"[.!?](?:\s+|$)(?=[A-Z]|$)")


@dataclass
class PlanFilePreview:
    filename: str
    kind: str = ""  # "Word document" or "workbook"
    layout: str = ""
    document_title: str = ""
    problems: list[Problem] = field(default_factory=list)
    result: PlanImport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.result is not None

    @property
    def has_changes(self) -> bool:
        return self.result is not None and self.result.has_changes

    @property
    def notes(self) -> list[Problem]:
        return self.result.notes if self.result else []

    @property
    def unknown_owners(self) -> list:
        return list(self.result.unknown_owners.values()) if self.result else []

    @property
    def needs_owner_consent(self) -> bool:
        return bool(self.unknown_owners) and not self.result.create_owners

    @property
    def plan(self) -> Plan | None:
        return self.result.plan if self.result else None


def is_word_document(data: bytes, filename: str) -> bool:
    """Whether an upload is meant as a Word document: named .docx/.doc, or a zip holding
    word/document.xml (an .xlsx is a workbook, whatever its name)."""
    if data.startswith(ZIP_MAGIC):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            names = []
        if "word/document.xml" in names:
            return True
        if any(name.startswith("xl/") for name in names):
            return False
    return filename.lower().endswith((".docx", ".doc", ".docm", ".dotx", ".rtf", ".odt"))


def prepare_plan_import(
    data: bytes,
    filename: str,
    *,
    title: str = "",
    years: tuple[int, int] | None = None,
    plan: Plan | None = None,
    create_owners: bool = False,
) -> PlanFilePreview:
    """Read a plan file and say what importing it would do: into a new draft plan (no `plan`:
    `title` and `years`, or the document's title and the years it names) or into `plan`.
    Writes nothing."""
    preview = PlanFilePreview(filename=filename)
    result = PlanImport(sheet=filename, title=title, new_plan=plan is None)
    result.reason = f"Imported from {filename}"
    result.create_owners = create_owners
    if plan is not None and plan.status == PlanStatus.ARCHIVED:
        preview.problems.append(
            Problem("", None, None, f"“{plan}” is archived: it can be read but not changed.")
        )
        return preview
    try:
        if is_word_document(data, filename):
            preview.kind = "Word document"
            document = open_document(data, filename)
            preview.layout = _read_document(document, result, preview.problems)
        else:
            preview.kind = "workbook"
            preview.layout = _read_workbook(data, filename, result, preview.problems)
    except WorkbookRefused as error:
        preview.problems.append(Problem("", None, None, str(error)))
        return preview
    preview.document_title = result.title
    if not preview.layout:
        return preview
    if plan is None:
        result.title = title or result.title
        result.years = years or _years_from(result.title)
        if not result.title:
            preview.problems.append(
                Problem("", None, None, "the new plan needs a title: the file gives none")
            )
        if result.years is None:
            preview.problems.append(
                Problem(
                    "",
                    None,
                    None,
                    "the new plan needs its years (such as 2023-2024): the title does not "
                    "give them",
                )
            )
    _match_plan(result, preview.problems, plan)
    preview.result = result
    return preview


def apply_plan_import(preview: PlanFilePreview, *, user) -> dict[str, int]:
    """Write a problem-free preview, all of it or nothing; counts of what changed."""
    if not preview.ok:
        raise ValueError("A plan import with problems cannot be applied.")
    return apply_plan_sheet(preview.result, user=user)


# --- A workbook's plan sheet -------------------------------------------------------------


def _read_workbook(data: bytes, filename: str, result: PlanImport, problems: list) -> str:
    """The first sheet whose header is a plan sheet's, read by the plan sheet's rules (owners
    trustplan lacks collected, not refused); the layout read, or "" (and a problem)."""
    names = []
    for sheet in open_sheets(data, filename):
        names.append(sheet.name)
        head = list(itertools.islice(sheet.rows, WORKBOOK_HEADER_SCAN_ROWS))
        header_number = next(
            (
                number
                for number, cells in head
                if {"aim", "action"} <= {HEADERS.get(header_norm(c.layout_text)) for c in cells}
            ),
            None,
        )
        if header_number is None:
            continue
        result.sheet = sheet.name
        rest = itertools.chain((r for r in head if r[0] > header_number), sheet.rows)
        with report_unsaved_formulas(sheet.name, problems):
            sheet_title, header = _read_head(sheet.name, head, header_number, problems)
            result.title = result.title or sheet_title
            reader = _RowReader(
                result, header, problems, owners=OwnerReader(result, collect_unknown=True)
            )
            for number, cells in rest:
                reader.read(number, cells)
        if not result.objectives:
            problems.append(Problem(sheet.name, None, None, "the plan sheet has no objectives"))
        return LAYOUT_2023
    problems.append(
        Problem(
            "",
            None,
            None,
            "No sheet is a plan sheet (Aim | Action | Responsibility | KPI | Monitored by); "
            f"sheets found: {', '.join(f'“{n}”' for n in names) or 'none'}.",
        )
    )
    return ""


# --- A Word document ---------------------------------------------------------------------


@dataclass
class _Header:
    row: int
    layout: str
    columns: dict[str, int]  # role → grid column
    names: dict[int, str]  # grid column → the header's text


def _header(table: DocTable, problems: list) -> _Header | None:
    """The table's header row and layout, or None when it has none. A row that is plainly a
    header (it names an action column) with a cell no layout has is a problem naming it."""
    for number, cells in table.rows[:HEADER_SCAN_ROWS]:
        texts = {c.column: c.text for c in cells if c.text and not c.merged_above}
        keys = {column: header_norm(text) for column, text in texts.items()}
        roles = {column: HEADERS.get(key) for column, key in keys.items()}
        if "action" not in roles.values():
            continue
        where = f"Table {table.number}"
        owned = {"responsibility", "monitored_by"} & set(roles.values())
        if owned or not any(key in CRITERIA_HEADERS for key in keys.values()):
            unknown = [c for c, role in roles.items() if role is None]
            columns: dict[str, int] = {}
            for column, role in roles.items():
                if role and role not in columns:
                    columns[role] = column
            layout = LAYOUT_2023
        else:
            columns = {}
            unknown = []
            for column, key in keys.items():
                if HEADERS.get(key) == "action" and "action" not in columns:
                    columns["action"] = column
                elif key in CRITERIA_HEADERS and "criteria" not in columns:
                    columns["criteria"] = column
                elif key in PRIORITY_HEADERS and "priorities" not in columns:
                    columns["priorities"] = column
                else:
                    unknown.append(column)
            layout = LAYOUT_2019
            if "priorities" not in columns:
                first = min(texts)
                if first not in columns.values():
                    unknown.append(first)
        for column in unknown:
            problems.append(
                Problem(
                    where,
                    number,
                    _column_name(column, texts[column]),
                    f"the header “{texts[column]}” is not one a plan table has ({EXPECTED}); "
                    "rename the column or remove it",
                    document=True,
                )
            )
        if unknown:
            return _Header(number, "", {}, texts)
        if layout == LAYOUT_2023 and "aim" not in columns:
            problems.append(
                Problem(where, number, None, "the table has no Aim column", document=True)
            )
            return _Header(number, "", {}, texts)
        if layout == LAYOUT_2019 and not {"priorities", "action"} <= set(columns):
            return None
        return _Header(number, layout, columns, texts)
    return None


def _column_name(column: int, text: str) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)} ({text})"


def _read_document(document: Document, result: PlanImport, problems: list) -> str:
    """Read the document's plan tables into `result`; the layout, or "" (and a problem)."""
    own_problems: list[Problem] = []
    owners = OwnerReader(result, collect_unknown=True)
    layout = ""
    reader: _TableReader | None = None
    header: _Header | None = None
    before: list[Paragraph] = []  # paragraphs since the last table
    seen_plan_table = False
    header_columns = 0
    refused = False
    intro: list[str] = []
    doc_title = ""
    for block in document.blocks:
        if isinstance(block, Paragraph):
            if block.text:
                before.append(block)
            continue
        table_header = _header(block, own_problems)
        if table_header is not None and not table_header.layout:
            refused = True
            continue
        if table_header is None:
            if reader is None or header is None or block.columns != header_columns:
                continue  # not a plan table (a KPI list, a key): ignored
            result.notes.append(
                _note(
                    f"Table {block.number}",
                    None,
                    f"no header row: read as a continuation of the table above "
                    f"({', '.join(header.names.values())})",
                )
            )
            table_header = dataclasses.replace(header, row=0)
        if layout and table_header.layout != layout:
            own_problems.append(
                Problem(
                    f"Table {block.number}",
                    table_header.row,
                    None,
                    "this table's layout differs from the tables above: one document holds "
                    "one plan in one layout",
                    document=True,
                )
            )
            continue
        if not seen_plan_table:
            doc_title, intro, before = _title_and_introduction(before)
        seen_plan_table = True
        layout, header = table_header.layout, table_header
        header_columns = block.columns
        if reader is None:
            cls = _Reader2023 if layout == LAYOUT_2023 else _Reader2019
            reader = cls(result, header, own_problems, owners)
        reader.start_table(block, header)
        for paragraph in before:
            reader.paragraph_before(paragraph, block.number)
        before = []
        for number, cells in block.rows:
            if number > header.row:
                reader.row(number, cells)
                continue
            texts = [c.text for c in cells if c.text and not c.merged_above]
            if number < header.row and len(texts) == 1:  # an objective row above the header
                reader.paragraph_before(Paragraph(texts[0]), block.number)
    problems.extend(dataclasses.replace(p, document=True) for p in own_problems)
    if not seen_plan_table:
        if not refused:
            found = len(document.tables)
            problems.append(
                Problem(
                    "",
                    None,
                    None,
                    f"The document has no plan table ({found} table{'s' if found != 1 else ''} "
                    f"found): {EXPECTED}.",
                )
            )
        return ""
    result.title = result.title or doc_title
    result.introduction = "\n\n".join(intro)
    if layout == LAYOUT_2019:
        result.objective_label, result.aim_label = "Key priority", "Sub-priority"
    else:
        result.objective_label = reader.objective_label or "Strategic objective"
        result.aim_label = "Aim"
    if not result.objectives:
        problems.append(
            Problem(
                "",
                None,
                None,
                "The plan table has no objective rows (“Strategic objective 1: …” or “1 …”).",
            )
        )
    return layout


def _title_and_introduction(paragraphs: list[Paragraph]) -> tuple[str, list[str], list[Paragraph]]:
    """The text before the first plan table: its first paragraph is the title, the rest the
    introduction, save the objective headings just before the table (kept for the reader)."""
    tail = []
    while paragraphs and (
        OBJECTIVE_ROW.match(paragraphs[-1].text) or PRIORITY_ROW.match(paragraphs[-1].text)
    ):
        tail.insert(0, paragraphs.pop())
    title = paragraphs[0].text if paragraphs else ""
    return title, [p.text for p in paragraphs[1:]], tail


def _note(where: str, row: int | None, message: str) -> Problem:
    return Problem(where, row, None, message, document=True)


class _TableReader:
    objective_label = ""

    def __init__(self, result, header, problems, owners) -> None:
        self.result, self.problems, self.owners = result, problems, owners
        self.header = header
        self.where = ""

    def start_table(self, table: DocTable, header: _Header) -> None:
        self.header = header
        self.where = f"Table {table.number}"

    def paragraph_before(self, paragraph: Paragraph, table_number: int) -> None:
        raise NotImplementedError

    def row(self, number: int, cells) -> None:
        raise NotImplementedError


class _DocRowReader(_RowReader):
    """The plan sheet's row reader, where a Word table's aim repeated in the next row continues
    the aim (a merged cell copied out as text)."""

    def repeats_aim(self, number: int, aim_text: str) -> bool:
        if norm(aim_text) != norm(self.aim.title):
            return False
        self.result.notes.append(
            _note(
                self.where,
                number,
                "the aim above is repeated: read as the same aim (as a merged cell), not a new one",
            )
        )
        return True


@dataclass(frozen=True)
class _RowsNote(Problem):
    row_list: list = field(default_factory=list, compare=False)


class _Reader2023(_TableReader):
    def __init__(self, result, header, problems, owners) -> None:
        super().__init__(result, header, problems, owners)
        self.joined_notes: dict[str, _RowsNote] = {}
        self.rows = _DocRowReader(result, header.columns, problems, owners=owners)

    def start_table(self, table: DocTable, header: _Header) -> None:
        super().start_table(table, header)
        self.rows.header = header.columns
        self.rows.names = header.names
        self.rows.where = self.where

    def paragraph_before(self, paragraph: Paragraph, table_number: int) -> None:
        match = OBJECTIVE_ROW.match(paragraph.text)
        if match:
            self._label(match.group(1))
            self.rows._objective(
                0, int(match.group(2)), match.group(3).strip(), f"Text before table {table_number}"
            )

    def _label(self, word: str) -> None:
        if not self.objective_label:
            self.objective_label = word[:1].upper() + word[1:].lower()

    def row(self, number: int, cells) -> None:
        texts = {c.column: c.text for c in cells if not c.merged_above}
        first = next((t for t in texts.values() if t), "")
        match = OBJECTIVE_ROW.match(first)
        if match:
            self._label(match.group(1))
        action_column = self.header.columns.get("action")
        action_cell = next((c for c in cells if c.column == action_column), None)
        if action_cell is not None and len(action_cell.texts) > 1 and not match:
            self._joined(number)
        self.rows.read_texts(number, texts)

    def _joined(self, number: int) -> None:
        """One note per table for its Action cells of several paragraphs, naming their rows."""
        note = self.joined_notes.get(self.where)
        rows = [*(note.row_list if note else []), number]
        many = len(rows) > 1
        message = (
            f"{len(rows)} Action cell{'s' if many else ''} (row{'s' if many else ''} "
            f"{', '.join(map(str, rows))}) hold{'' if many else 's'} several paragraphs: "
            "each read as one action, its paragraphs joined by spaces (as a cell split by a page "
            "break); put each action in a row of its own to split them"
        )
        fresh = _RowsNote(self.where, None, None, message, document=True, row_list=rows)
        if note is None:
            self.result.notes.append(fresh)
        else:
            self.result.notes[self.result.notes.index(note)] = fresh
        self.joined_notes[self.where] = fresh


class _Reader2019(_TableReader):
    def __init__(self, result, header, problems, owners) -> None:
        super().__init__(result, header, problems, owners)
        self.objective: ObjectiveRow | None = None
        self.group: GroupRow | None = None
        self.aims: dict[str, AimRow] = {}  # of the objective, by stated number

    def paragraph_before(self, paragraph: Paragraph, table_number: int) -> None:
        match = OBJECTIVE_ROW.match(paragraph.text) or PRIORITY_ROW.match(paragraph.text)
        if match:
            self._objective(0, int(match.group(2)), match.group(3).strip())

    def _problem(self, number: int, message: str, role: str | None = None) -> None:
        column = self.header.columns.get(role) if role else None
        name = _column_name(column, self.header.names.get(column, "")) if column else None
        self.problems.append(Problem(self.where, number, name, message, document=True))

    def _objective(self, number: int, objective_number: int, title: str) -> None:
        if any(o.number == objective_number for o in self.result.objectives):
            self._problem(number, f"key priority {objective_number} appears twice")
        self.objective = ObjectiveRow(number, objective_number, title)
        self.result.objectives.append(self.objective)
        self.group, self.aims = None, {}

    def row(self, number: int, cells) -> None:
        by_role = {}
        for role, column in self.header.columns.items():
            by_role[role] = next((c for c in cells if c.column == column), None)
        priorities = by_role.get("priorities")
        texts = [c.text for c in cells if c.text and not c.merged_above]
        if not texts:
            return
        first = priorities.text if priorities and not priorities.merged_above else ""
        match = OBJECTIVE_ROW.match(first) or PRIORITY_ROW.match(first)
        if match and texts == [first]:  # the priority alone in its row (often merged across)
            self._objective(number, int(match.group(2)), match.group(3).strip())
            return
        if (
            header_norm(first) in PRIORITY_HEADERS
            and by_role.get("action")
            and HEADERS.get(header_norm(by_role["action"].text)) == "action"
        ):
            return  # a repeated header row
        if self.objective is None:
            self._problem(number, "a plan row before any key priority row (“1 …”)")
            return
        if first:
            group_aims = self._sub_priorities(number, priorities)
            if not group_aims:
                return
            self.group = GroupRow(number, group_aims)
            self.objective.groups.append(self.group)
        elif self.group is None:
            self._problem(
                number,
                "actions or success criteria with no sub-priorities before them: list the "
                "sub-priorities they serve (“1.1 …”) in the first cell",
                "priorities",
            )
            return
        for paragraph in _items(by_role.get("action")):
            self.group.actions.append(ActionRow(number, paragraph))
        self.group.criteria.extend(_items(by_role.get("criteria")))
        for role, cell in (
            ("action", by_role.get("action")),
            ("criteria", by_role.get("criteria")),
        ):
            if cell is None or len(cell.texts) != 1:
                continue
            sentences = len(SENTENCE_END.findall(cell.texts[0]))
            if sentences > 2:
                what = "action" if role == "action" else "success criterion"
                self.result.notes.append(
                    _note(
                        self.where,
                        number,
                        f"the {'Actions' if role == 'action' else 'Success criteria'} cell is one "
                        f"paragraph of {sentences} sentences: read as one {what}; put each in a "
                        "paragraph of its own to split them",
                    )
                )

    def _sub_priorities(self, number: int, cell) -> list[AimRow]:
        """The sub-priorities a first cell lists, one per paragraph or run on in one: those
        already read are referred to, new ones become the objective's next aims."""
        found: list[AimRow] = []
        created: list[AimRow] = []
        objective = self.objective
        for paragraph in cell.texts:
            paragraph = BULLET.sub("", paragraph)
            starts = [
                m for m in SUB_PRIORITY.finditer(paragraph) if int(m.group(1)) == objective.number
            ]
            head = paragraph[: starts[0].start() if starts else len(paragraph)].strip()
            if head and found and found[-1] in created:  # a title wrapped into a new paragraph
                found[-1].title = f"{found[-1].title} {head}"
                self.result.notes.append(
                    _note(
                        self.where,
                        number,
                        f"“{head[:40]}” has no sub-priority number: read as the rest of "
                        f"{found[-1].number}'s title",
                    )
                )
            elif head:
                self._problem(
                    number,
                    f"“{head[:60]}” is not a sub-priority of key priority {objective.number} "
                    f"(expected “{objective.number}.1 …”)",
                    "priorities",
                )
                return []
            if len(starts) > 1:
                self.result.notes.append(
                    _note(
                        self.where,
                        number,
                        f"one paragraph lists {len(starts)} sub-priorities "
                        f"({', '.join(m.group(0).rstrip('.') for m in starts)}): read as "
                        "separate sub-priorities",
                    )
                )
            for index, match in enumerate(starts):
                end = starts[index + 1].start() if index + 1 < len(starts) else len(paragraph)
                title = paragraph[match.end() : end].strip(" :–-")
                stated = f"{int(match.group(1))}.{int(match.group(2))}"
                is_new = stated not in self.aims
                aim = self._aim(number, stated, title)
                if aim is None:
                    return []
                if is_new:
                    created.append(aim)
                if aim not in found:
                    found.append(aim)
        return found

    def _aim(self, number: int, stated: str, title: str) -> AimRow | None:
        known = self.aims.get(stated)
        if known is not None:
            if title and norm(title) != norm(known.title):
                self.result.notes.append(
                    _note(
                        self.where,
                        number,
                        f"sub-priority {stated} is titled differently here than in row "
                        f"{known.row}: the first title is kept",
                    )
                )
            return known
        if not title:
            self._problem(number, f"sub-priority {stated} has no title", "priorities")
            return None
        aim = AimRow(number, title, number=stated)
        self.objective.aims.append(aim)
        self.aims[stated] = aim
        position = f"{self.objective.number}.{len(self.objective.aims)}"
        if position != stated:
            self.result.notes.append(
                _note(
                    self.where,
                    number,
                    f"sub-priority {stated} is the key priority's sub-priority number "
                    f"{len(self.objective.aims)}: trustplan numbers it {position}",
                )
            )
        return aim


def _items(cell) -> list[str]:
    """A cell's paragraphs as items, bullets dropped."""
    if cell is None or cell.merged_above:
        return []
    return [text for text in (BULLET.sub("", t).strip() for t in cell.texts) if text]


YEARS = re.compile(r"^\s*(\d{4})\s*[-/–]\s*(\d{4}|\d{2})\s*$")


def parse_years(text: str) -> tuple[int, int] | None:
    """ "2023-2024", "2023/24", "2019–2022" as (first, last) calendar years; None if not."""
    match = YEARS.match(text or "")
    if not match:
        return None
    start, end = int(match.group(1)), match.group(2)
    end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
    return (start, end_year) if end_year > start else None


def plan_tree(result: PlanImport) -> list[str]:
    """The plan a file holds, as lines of text: objectives, aims, actions with owners, KPIs and
    monitors, and success criteria (import_plan prints it; the page shows it as a list)."""
    objective_label = result.objective_label or "Strategic objective"
    lines = [f"Plan: {result.title}"]
    for objective in result.objectives:
        lines.append(f"{objective_label} {objective.number}: {objective.title}")
        for position, aim in enumerate(objective.aims, start=1):
            title = aim.title or "(no aim stated)"
            lines.append(f"  {objective.number}.{position} {title}")
            for action in aim.actions:
                lines.append(f"    - {action_words(action)}")
        for group in objective.groups:
            numbers = ", ".join(aim_number(objective, aim) for aim in group.aims)
            lines.append(f"  Serving {numbers}:")
            lines.extend(f"    - {action.description}" for action in group.actions)
            lines.extend(f"    ✓ {text}" for text in group.criteria)
    return lines


def aim_number(objective: ObjectiveRow, aim: AimRow) -> str:
    return f"{objective.number}.{objective.aims.index(aim) + 1}"


def action_words(action: ActionRow) -> str:
    parts = [action.description or "(no action stated)"]
    if action.responsibility:
        parts.append(f"responsibility {', '.join(action.responsibility)}")
    if action.kpis:
        parts.append(f"KPIs {', '.join(action.kpis)}")
    if action.monitors:
        parts.append(f"monitored by {', '.join(action.monitors)}")
    return "; ".join(parts)
