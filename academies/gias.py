"""The trust's academies from the DfE's register, Get Information about Schools (GIAS).

Two files from get-information-schools.service.gov.uk → Downloads:

- the **establishment fields** CSV (``edubasealldataYYYYMMDD.csv``): every school in England,
  open and closed (about 50,000 rows of some 140 columns), Windows-1252, every field quoted,
  dates dd-mm-yyyy. Read: URN, EstablishmentName, TypeOfEstablishment (name),
  EstablishmentStatus (name), OpenDate, CloseDate (if present), PhaseOfEducation (name),
  NumberOfPupils, Trusts (name);
- the **academies and trusts links** file (optional): Group Name, Group Type (if present), URN,
  Joined date — the date each academy joined its trust.

``prepare_gias`` streams the file once, keeps the rows of the trust (``Trusts (name)`` or
``Group Name`` equal to the trust's name in any case), compares them with trustplan's academies
and returns a GiasPreview naming every change and every problem by row (as a spreadsheet numbers
it: the header is row 1) and column, writing nothing. ``apply_gias`` writes a preview without
problems in one transaction, all or nothing, and refuses if the academies changed since the
preview (``academy_fingerprint``).

Decisions (README, "GIAS"):
- An academy is matched by URN, or by name (in any case, straight or curly apostrophes) when its
  URN in trustplan is blank; a trustplan academy whose URN GIAS lists as closed is matched by
  name to the trust's open school of that name (a school re-opened under a new URN), which gives
  it its new URN. It gets the school's URN, phase, pupils on roll (a blank NumberOfPupils keeps
  trustplan's), open date and type; its name, short name and active flag stay the trust's own.
- An open school of the trust that trustplan lacks is created (short name from its initials);
  one "Proposed to open" is listed, not created, until GIAS shows it open.
- Closed schools of the trust are listed (with the trustplan academy they match), never deleted
  or deactivated: the administrator decides. Active academies the file does not list under the
  trust are listed too, with the trust GIAS gives them if it lists their URN elsewhere.
- Phase: a special type ("Academy special converter", "Free schools special"…) is special
  whatever the phase (GIAS gives special schools "Not applicable"); an alternative-provision
  type is alternative provision; a 16–19 type, or phase "16 plus", is sixth form; otherwise
  Primary / Middle deemed primary → primary, Secondary / Middle deemed secondary → secondary,
  All-through → all-through; anything else (Nursery, or Not applicable for an ordinary type) is
  a problem naming its row and column.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, router, transaction
from django.db.models.signals import post_save
from django.utils.text import slugify

from academies.models import Academy, AcademyGroup, Phase

URN = "URN"
NAME = "EstablishmentName"
TYPE = "TypeOfEstablishment (name)"
STATUS = "EstablishmentStatus (name)"
OPENED = "OpenDate"
CLOSED = "CloseDate"
PHASE = "PhaseOfEducation (name)"
PUPILS = "NumberOfPupils"
TRUST = "Trusts (name)"
ESTABLISHMENT_COLUMNS = [URN, NAME, TYPE, STATUS, OPENED, PHASE, PUPILS, TRUST]
# Not GIAS's: a column the trust may add to the file, naming each academy's group (a region
# or hub, issue 19). When present, a blank cell takes the academy out of its group; a group
# not in trustplan yet is created. Without the column, groups stay as they are.
ACADEMY_GROUP = "Group"

GROUP = "Group Name"
GROUP_TYPE = "Group Type"
JOINED = "Joined date"
LINK_COLUMNS = [URN, GROUP, JOINED]
LINK_NAMES = ("EstablishmentName", "Establishment Name", "Academy Name")

OPEN, CLOSED_STATUS, CLOSING, PROPOSED = (
    "open",
    "closed",
    "open, but proposed to close",
    "proposed to open",
)
STATUSES = {OPEN, CLOSED_STATUS, CLOSING, PROPOSED}

PHASE_NAMES = {
    "primary": Phase.PRIMARY,
    "middle deemed primary": Phase.PRIMARY,
    "secondary": Phase.SECONDARY,
    "middle deemed secondary": Phase.SECONDARY,
    "all-through": Phase.ALL_THROUGH,
    "all through": Phase.ALL_THROUGH,
    "16 plus": Phase.SIXTH_FORM,
}

DOWNLOAD = (
    "download the “Establishment fields” CSV from get-information-schools.service.gov.uk → "
    "Downloads"
)
STALE = (
    "The academies changed since the preview (someone edited one, or another import ran); "
    "nothing was written. Upload the file again to see the changes as they are now."
)
CHUNK = 1 << 20
MOST_PROBLEMS = 200  # a damaged file could give one per row; the rest are counted
GIAS_FIELDS = ["urn", "phase", "pupils_on_roll", "open_date", "establishment_type", "joined_trust"]
# What the fingerprint reads besides them: the group column changes the academy's group.
WRITTEN = [*GIAS_FIELDS, "group"]

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "–": "-", "—": "-"})
_DATE = re.compile(r"^(\d{1,2})[-/](\d{1,2})[-/](\d{4})$")


class GiasRefused(ValueError):
    """The file as a whole cannot be read as a GIAS file; the message says why."""


class GiasConflict(Exception):
    """The database moved on between preview and apply; nothing was written."""


def _norm(text: object) -> str:
    """A name as compared: spaces collapsed, any case, curly apostrophes straight."""
    return " ".join(str(text or "").translate(_APOSTROPHES).split()).casefold()


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class GiasProblem:
    row: int | None
    column: str | None  # the column's header, e.g. "OpenDate"
    letter: str | None  # where it is in a spreadsheet, e.g. "N"
    message: str

    @property
    def where(self) -> str:
        if self.row is None:
            return ""
        where = f"Row {self.row}"
        if self.column:
            where += (
                f", column {self.letter} ({self.column})" if self.letter else f", {self.column}"
            )
        return where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass
class School:
    """A row of the trust's, as read."""

    row: int
    urn: str
    name: str
    status: str = OPEN  # normalised: one of STATUSES
    type: str = ""
    phase: str | None = None
    pupils: int | None = None
    open_date: date | None = None
    close_date: date | None = None
    joined: date | None = None  # the links file's Joined date
    group: str | None = None  # the "Group" column's name ("": none); None: no such column


@dataclass
class Change:
    field: str
    label: str
    old: object
    new: object

    @staticmethod
    def shown(field_name: str, value: object) -> str:
        if value in (None, ""):
            return "—"
        if isinstance(value, date):
            return value.strftime("%d-%m-%Y")
        if field_name == "phase":
            return Phase(value).label
        return str(value)

    @property
    def old_shown(self) -> str:
        return self.shown(self.field, self.old)

    @property
    def new_shown(self) -> str:
        return self.shown(self.field, self.new)


LABELS = {
    "urn": "URN",
    "phase": "Phase",
    "pupils_on_roll": "Pupils on roll",
    "open_date": "Opened",
    "establishment_type": "Type",
    "joined_trust": "Joined the trust",
    "group": "Group",
}


@dataclass
class Update:
    academy: Academy
    school: School
    matched_by: str  # "URN", "name", or "name (successor)"
    changes: list[Change]


@dataclass
class New:
    school: School
    academy: Academy  # unsaved


@dataclass
class ClosedSchool:
    school: School
    academy: Academy | None  # the trustplan academy it matches, if any


@dataclass
class NotListed:
    academy: Academy
    elsewhere: str  # what GIAS says of its URN outside the trust, or ""


@dataclass
class GiasPreview:
    filename: str
    trust_name: str
    kind: str = "establishments"  # or "links"
    problems: list[GiasProblem] = field(default_factory=list)
    problems_not_shown: int = 0
    creates: list[New] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: list[Academy] = field(default_factory=list)
    closed: list[ClosedSchool] = field(default_factory=list)
    proposed: list[School] = field(default_factory=list)
    not_in_trustplan: list[School] = field(default_factory=list)  # links file rows
    not_listed: list[NotListed] = field(default_factory=list)
    rows_read: int = 0
    trust_rows: int = 0
    fingerprint: str = ""
    letters: dict[str, str] = field(default_factory=dict)  # column header → its letter

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        return bool(self.creates or self.updates)

    @property
    def other_rows(self) -> int:
        """Rows of other trusts' schools (and schools in no trust), ignored."""
        return self.rows_read - self.trust_rows

    @property
    def file_label(self) -> str:
        return "establishment fields" if self.kind == "establishments" else "academies links"

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        if len(self.problems) >= MOST_PROBLEMS:
            self.problems_not_shown += 1
            return
        self.problems.append(GiasProblem(row, column, self.letters.get(column or ""), message))

    def all_problems(self) -> list[str]:
        lines = [str(p) for p in self.problems]
        if self.problems_not_shown:
            lines.append(f"… and {self.problems_not_shown:,} more problems.")
        return lines


# --- Reading ------------------------------------------------------------------------------


def check_size(size: int) -> None:
    """Refuse an empty file, or one above TRUSTPLAN_GIAS_MAX_BYTES (the messages of
    core.workbook.check_size, with GIAS's own bound: its file is larger than any workbook)."""
    most = settings.TRUSTPLAN_GIAS_MAX_BYTES
    if size == 0:
        raise GiasRefused("The file is empty.")
    if size > most:
        raise GiasRefused(
            f"The file is {size / 1_000_000:.1f} MB; the most this installation accepts is "
            f"{most / 1_000_000:.0f} MB."
        )


def _encoding(handle: BinaryIO) -> str:
    """UTF-8 (with or without its mark) or Windows-1252, from one pass over the bytes; refuses
    anything else, and files that are not text."""
    head = handle.read(8)
    handle.seek(0)
    if head.startswith(b"PK\x03\x04"):
        raise GiasRefused(
            "The file is a zip archive (GIAS downloads arrive as Results.zip): extract the "
            "edubasealldata….csv file from it and upload that."
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise GiasRefused(
            "The file is an Excel workbook, not the CSV file GIAS publishes: upload the CSV as "
            "downloaded, without opening and saving it in Excel."
        )
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = cp1252_ok = True
    while chunk := handle.read(CHUNK):
        if b"\x00" in chunk:
            raise GiasRefused("The file contains binary data; it is not a CSV file.")
        if utf8_ok:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                utf8_ok = False
        if cp1252_ok:
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError:
                cp1252_ok = False
        if not (utf8_ok or cp1252_ok):
            break
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    handle.seek(0)
    if utf8_ok:
        return "utf-8-sig"
    if cp1252_ok:
        return "cp1252"
    raise GiasRefused(
        "The file is not text in Windows-1252 (as GIAS publishes it) or UTF-8: upload the CSV "
        "as downloaded."
    )


def _records(handle: BinaryIO, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, fields) of each record, the header being row 1; csv errors and too many
    rows become GiasRefused."""
    most = settings.TRUSTPLAN_IMPORT_MAX_ROWS
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    number = 0
    try:
        for number, fields in enumerate(csv.reader(text), start=1):
            if number > most + 1:
                raise GiasRefused(
                    f"The file has more than {most:,} rows, the most this installation imports "
                    "at once."
                )
            yield number, fields
    except csv.Error as error:
        raise GiasRefused(f"Row {number + 1} could not be read as CSV: {error}.") from error
    finally:
        text.detach()  # leave the caller's file open


def _header(fields: list[str]) -> list[str]:
    return [" ".join(name.replace("\ufeff", "").split()) for name in fields]


def _kind(header: list[str]) -> str:
    names = set(header)
    if GROUP in names and JOINED in names and URN in names:
        return "links"
    if URN in names and NAME in names:
        return "establishments"
    shown = ", ".join(f"“{name}”" for name in header[:8] if name) or "nothing"
    more = "…" if len([n for n in header if n]) > 8 else ""
    raise GiasRefused(
        "This is not a GIAS establishment file: its first row has no URN and EstablishmentName "
        f"columns (it starts {shown}{more}). To set up the academies, {DOWNLOAD}."
    )


def _columns(header: list[str], wanted: list[str], optional: list[str]) -> dict[str, int]:
    index = {}
    for position, name in enumerate(header):
        index.setdefault(name, position)
    missing = [name for name in wanted if name not in index]
    if missing:
        names = ", ".join(f"“{name}”" for name in missing)
        raise GiasRefused(
            f"Row 1 (the header) lacks the column{'s' if len(missing) > 1 else ''} {names}, "
            f"which trustplan reads: {DOWNLOAD} (all fields, not a custom selection)."
        )
    return {name: index[name] for name in [*wanted, *optional] if name in index}


class _Row:
    """One record's fields by column name, reporting problems where they are."""

    def __init__(self, number: int, fields: list[str], columns: dict[str, int], preview):
        self.number, self.fields, self.columns, self.preview = number, fields, columns, preview
        self.ok = True

    def text(self, name: str) -> str:
        position = self.columns.get(name)
        if position is None or position >= len(self.fields):
            return ""
        return " ".join(self.fields[position].split())

    def problem(self, name: str, message: str) -> None:
        self.preview.problem(self.number, name, message)
        self.ok = False

    def date(self, name: str) -> date | None:
        text = self.text(name)
        if not text:
            return None
        match = _DATE.match(text)
        if not match:
            self.problem(
                name,
                f"“{_short(text)}” is not a date as GIAS writes them (dd-mm-yyyy, e.g. 01-09-2021)",
            )
            return None
        day, month, year = (int(part) for part in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            self.problem(name, f"“{text}” is not a real date (dd-mm-yyyy)")
            return None


def _short(text: str, most: int = 40) -> str:
    return text if len(text) <= most else f"{text[: most - 1]}…"


def _school(row: _Row) -> School | None:
    """A trust's row of the establishment file, checked; None if it has a problem."""
    urn = _urn(row)
    name = row.text(NAME)
    if not name:
        row.problem(NAME, "the school has no name")
    elif len(name) > 200:
        row.problem(NAME, "the name is longer than 200 characters")
    status = _norm(row.text(STATUS))
    if status not in STATUSES:
        row.problem(
            STATUS,
            f"“{_short(row.text(STATUS))}” is not a status GIAS uses (Open, Closed, Open, but "
            "proposed to close, Proposed to open)",
        )
    kind = row.text(TYPE)
    if len(kind) > 100:
        row.problem(TYPE, "the type is longer than 100 characters")
    phase = _phase(row, kind)
    pupils = _pupils(row)
    opened = row.date(OPENED)
    closed = row.date(CLOSED)
    group = row.text(ACADEMY_GROUP) if ACADEMY_GROUP in row.columns else None
    if group and len(group) > 100:
        row.problem(ACADEMY_GROUP, "the group's name is longer than 100 characters")
    if not row.ok:
        return None
    return School(
        row=row.number,
        urn=urn,
        name=name,
        status=status,
        type=kind,
        phase=phase,
        pupils=pupils,
        open_date=opened,
        close_date=closed,
        group=group,
    )


def _urn(row: _Row) -> str:
    urn = row.text(URN)
    if not urn:
        row.problem(URN, "the URN is blank")
    elif not re.fullmatch(r"\d{1,8}", urn):
        row.problem(URN, f"“{_short(urn)}” is not a URN (a number of up to eight digits)")
    return urn


def _phase(row: _Row, kind: str) -> str | None:
    """trustplan's phase for a school, from its type and GIAS phase (the module's decisions)."""
    lowered = _norm(kind)
    if "special" in lowered:
        return Phase.SPECIAL
    if "alternative provision" in lowered or lowered == "pupil referral unit":
        return Phase.ALTERNATIVE
    if "16 to 19" in lowered or "16-19" in lowered:
        return Phase.SIXTH_FORM
    text = row.text(PHASE)
    phase = PHASE_NAMES.get(_norm(text))
    if phase:
        return phase
    if _norm(text) == "not applicable":
        row.problem(
            PHASE,
            f"phase “{text}” for a school of type “{_short(kind) or 'none'}”: trustplan cannot "
            "tell its phase (only special, alternative provision and 16–19 types have none)",
        )
    else:
        row.problem(
            PHASE,
            f"“{_short(text) or 'blank'}” is not a phase trustplan has (primary, secondary, "
            "all-through, special, sixth form, alternative provision)",
        )
    return None


def _pupils(row: _Row) -> int | None:
    text = row.text(PUPILS).replace(",", "")
    if not text:
        return None
    if not text.isdigit():
        row.problem(PUPILS, f"“{_short(text)}” is not a number of pupils")
        return None
    if int(text) > 100_000:
        row.problem(PUPILS, f"{text} is not a plausible number of pupils for one school")
        return None
    return int(text)


def _link(row: _Row) -> School | None:
    """A trust's row of the links file, checked; None if it has a problem."""
    urn = _urn(row)
    joined = row.date(JOINED)
    name = next((row.text(column) for column in LINK_NAMES if row.text(column)), "")
    if not row.ok:
        return None
    return School(row=row.number, urn=urn, name=name, joined=joined)


@dataclass
class _Read:
    schools: list[School] = field(default_factory=list)
    # Other trusts' names as spelt, how often, for a suggestion: {"amethyst …": {"AMETHYST …": 8}}
    trust_names: dict[str, Counter] = field(default_factory=dict)
    # What the file says of trustplan's URNs outside the trust: URN → (status, trust name).
    elsewhere: dict[str, tuple[str, str]] = field(default_factory=dict)


def _read(handle: BinaryIO, preview: GiasPreview, known_urns: set[str]) -> _Read:
    records = _records(handle, _encoding(handle))
    try:
        return _read_records(records, preview, known_urns)
    finally:
        records.close()  # a refused header leaves the reader unfinished: detach it now


def _read_records(records, preview: GiasPreview, known_urns: set[str]) -> _Read:
    first = next(records, None)
    if first is None:
        raise GiasRefused("The file is empty.")
    header = _header(first[1])
    preview.kind = _kind(header)
    links = preview.kind == "links"
    if links:
        columns = _columns(header, LINK_COLUMNS, [GROUP_TYPE, *LINK_NAMES])
        trust_column = GROUP
    else:
        columns = _columns(header, ESTABLISHMENT_COLUMNS, [CLOSED, ACADEMY_GROUP])
        trust_column = TRUST
    preview.letters = {name: column_letter(position) for name, position in columns.items()}
    trust_at, urn_at, status_at = columns[trust_column], columns[URN], columns.get(STATUS)
    wanted = _norm(preview.trust_name)
    read = _Read()
    width = len(header)
    for number, fields in records:
        if not fields or fields == [""]:
            continue  # a blank line (at the end, usually)
        preview.rows_read += 1
        if len(fields) != width:
            preview.problem(
                number,
                None,
                f"the row has {len(fields)} fields where the header has {width}: the file may be "
                "cut short or damaged; download it again",
            )
            continue
        trust = _norm(fields[trust_at])
        if trust != wanted or (links and not _trust_link(fields, columns)):
            if trust:
                spelt = " ".join(fields[trust_at].split())
                read.trust_names.setdefault(trust, Counter())[spelt] += 1
            urn = fields[urn_at].strip()
            if urn in known_urns:
                status = _norm(fields[status_at]) if status_at is not None else ""
                read.elsewhere[urn] = (status, " ".join(fields[trust_at].split()))
            continue
        preview.trust_rows += 1
        row = _Row(number, fields, columns, preview)
        school = _link(row) if links else _school(row)
        if school is not None:
            read.schools.append(school)
    return read


def _trust_link(fields: list[str], columns: dict[str, int]) -> bool:
    """A links row for the trust itself, not a sponsor or federation of the same name."""
    if GROUP_TYPE not in columns:
        return True
    return "academy trust" in _norm(fields[columns[GROUP_TYPE]])


# --- Comparing ----------------------------------------------------------------------------


def academy_fingerprint() -> str:
    """A digest of every academy's fields that an import reads or writes (one query): a
    preview's is compared at apply, so a change made in between refuses the import."""
    digest = hashlib.sha256()
    rows = Academy.objects.order_by("pk").values_list(
        "pk", "name", "short_name", "slug", "is_active", "position", *GIAS_FIELDS, "group__name"
    )
    for row in rows:
        digest.update(repr(row).encode())
    return digest.hexdigest()


def prepare_gias(handle: BinaryIO, filename: str, *, trust_name: str | None = None) -> GiasPreview:
    """Read a GIAS file (a binary file object, seekable) and say what importing it would change
    for the trust (default settings.TRUST_NAME). Writes nothing; never raises for bad input."""
    preview = GiasPreview(filename=filename, trust_name=(trust_name or settings.TRUST_NAME).strip())
    preview.fingerprint = academy_fingerprint()
    academies = list(Academy.objects.select_related("group").order_by("position", "name"))
    try:
        size = handle.seek(0, io.SEEK_END)
        handle.seek(0)
        check_size(size)
        read = _read(handle, preview, {a.urn for a in academies if a.urn})
    except GiasRefused as error:
        preview.problems = [GiasProblem(None, None, None, str(error))]
        preview.problems_not_shown = 0
        return preview
    _duplicates(preview, read.schools)
    if preview.trust_rows == 0:
        preview.problem(None, None, _no_trust_rows(preview, read.trust_names))
        return preview
    if preview.kind == "links":
        _compare_links(preview, read.schools, academies)
    else:
        _compare(preview, read, academies)
    return preview


def _no_trust_rows(preview: GiasPreview, names: dict[str, Counter]) -> str:
    column = GROUP if preview.kind == "links" else TRUST
    close = difflib.get_close_matches(_norm(preview.trust_name), list(names), n=1, cutoff=0.8)
    hint = f" Did you mean “{names[close[0]].most_common(1)[0][0]}”?" if close else ""
    return (
        f"No school in the file belongs to “{preview.trust_name}” (column “{column}”, in any "
        f"case).{hint} Give the trust's name as GIAS spells it (--trust on the command line, "
        "the trust field on the import page, or TRUSTPLAN_TRUST_NAME)."
    )


def _duplicates(preview: GiasPreview, schools: list[School]) -> None:
    first: dict[str, School] = {}
    for school in list(schools):
        earlier = first.setdefault(school.urn, school)
        if earlier is not school:
            preview.problem(school.row, URN, f"URN {school.urn} is also on row {earlier.row}")
            schools.remove(school)


def _compare(preview: GiasPreview, read: _Read, academies: list[Academy]) -> None:
    by_urn = {a.urn: a for a in academies if a.urn}
    by_name = {_norm(a.name): a for a in academies}
    closed_urns = {s.urn for s in read.schools if s.status == CLOSED_STATUS}
    closed_urns |= {urn for urn, (status, _) in read.elsewhere.items() if status == CLOSED_STATUS}
    taken: dict[int, School] = {}
    names = _Names(academies)
    for school in (s for s in read.schools if s.status != CLOSED_STATUS):
        academy, how = by_urn.get(school.urn), "URN"
        if academy is None:
            named = by_name.get(_norm(school.name))
            if named is not None and not named.urn:
                academy, how = named, "name"
            elif named is not None and named.urn in closed_urns:
                academy, how = named, "name (successor)"
            elif named is not None:
                preview.problem(
                    school.row,
                    URN,
                    f"trustplan's “{named.name}” has URN {named.urn}, but this school of the same "
                    f"name has URN {school.urn}: correct the URN in trustplan (Django admin → "
                    "Academies), or rename the academy there, then import again",
                )
                continue
        if academy is not None:
            if academy.pk in taken:
                preview.problem(
                    school.row,
                    NAME,
                    f"“{school.name}” matches trustplan's “{academy.name}”, as row "
                    f"{taken[academy.pk].row} does: give the academy its URN in trustplan",
                )
                continue
            taken[academy.pk] = school
            changes = _changes(academy, school)
            if changes:
                preview.updates.append(Update(academy, school, how, changes))
            else:
                preview.unchanged.append(academy)
        elif school.status == PROPOSED:
            preview.proposed.append(school)
        else:
            preview.creates.append(New(school, names.new_academy(school)))
    for school in (s for s in read.schools if s.status == CLOSED_STATUS):
        academy = by_urn.get(school.urn)
        if academy is None:
            named = by_name.get(_norm(school.name))
            academy = named if named is not None and not named.urn else None
        if academy is not None and academy.pk in taken and academy.urn != school.urn:
            academy = None  # a closed predecessor of an academy matched to its open successor
        if academy is not None:
            taken.setdefault(academy.pk, school)
        preview.closed.append(ClosedSchool(school, academy))
    for academy in academies:
        if academy.is_active and academy.pk not in taken:
            preview.not_listed.append(NotListed(academy, _elsewhere(academy, read.elsewhere)))


def _elsewhere(academy: Academy, elsewhere: dict[str, tuple[str, str]]) -> str:
    if not academy.urn or academy.urn not in elsewhere:
        return ""
    status, trust = elsewhere[academy.urn]
    where = f"under “{trust}”" if trust else "in no trust"
    closed = ", closed" if status == CLOSED_STATUS else ""
    return f"GIAS lists URN {academy.urn} {where}{closed}"


def _changes(academy: Academy, school: School) -> list[Change]:
    new = {
        "urn": school.urn,
        "phase": school.phase,
        "pupils_on_roll": school.pupils,
        "open_date": school.open_date,
        "establishment_type": school.type,
    }
    changes = []
    for name, value in new.items():
        if value in (None, ""):
            continue  # GIAS has nothing: keep trustplan's
        if getattr(academy, name) != value:
            changes.append(Change(name, LABELS[name], getattr(academy, name), value))
    if school.group is not None:
        # The group by name, in any case ("north hub" is trustplan's "North hub").
        old = academy.group.name if academy.group_id else ""
        if _norm(old) != _norm(school.group):
            changes.append(Change("group", LABELS["group"], old, school.group))
    return changes


def _compare_links(preview: GiasPreview, schools: list[School], academies: list[Academy]):
    by_urn = {a.urn: a for a in academies if a.urn}
    for school in schools:
        academy = by_urn.get(school.urn)
        if academy is None:
            preview.not_in_trustplan.append(school)
        elif school.joined and academy.joined_trust != school.joined:
            change = Change(
                "joined_trust", LABELS["joined_trust"], academy.joined_trust, school.joined
            )
            preview.updates.append(Update(academy, school, "URN", [change]))
        else:
            preview.unchanged.append(academy)


class _Names:
    """Short names, slugs and positions for new academies, unique among all academies."""

    SKIP = {"of", "and", "the", "&", "for", "at", "in", "de", "la", "le"}

    def __init__(self, academies: list[Academy]) -> None:
        self.short = {a.short_name.casefold() for a in academies}
        self.slugs = {a.slug for a in academies}
        self.position = max((a.position for a in academies), default=0)

    def new_academy(self, school: School) -> Academy:
        self.position += 1
        return Academy(
            name=school.name,
            short_name=self._short_name(school.name),
            slug=self._slug(school.name),
            urn=school.urn,
            phase=school.phase,
            pupils_on_roll=school.pupils or 0,
            open_date=school.open_date,
            establishment_type=school.type,
            position=min(self.position, 32767),
        )

    def _short_name(self, name: str) -> str:
        words = re.findall(r"[^\W_][\w'’.-]*", name)
        initials = "".join(w[0] for w in words if w.casefold() not in self.SKIP).upper()
        base = initials if len(initials) >= 2 else slugify(name).replace("-", "")[:4].upper()
        base = base[:16] or "NEW"
        candidate, n = base, 1
        while candidate.casefold() in self.short:
            n += 1
            candidate = f"{base}{n}"
        self.short.add(candidate.casefold())
        return candidate

    def _slug(self, name: str) -> str:
        base = slugify(name)[:72].strip("-") or "academy"
        candidate, n = base, 1
        while candidate in self.slugs:
            n += 1
            candidate = f"{base}-{n}"
        self.slugs.add(candidate)
        return candidate


# --- Applying -----------------------------------------------------------------------------


class _Groups:
    """Academy groups by name (any case), those not in trustplan yet created when named."""

    def __init__(self) -> None:
        self.by_name = {_norm(g.name): g for g in AcademyGroup.objects.all()}
        self.slugs = {g.slug for g in self.by_name.values()}

    def named(self, name: str) -> AcademyGroup | None:
        if not name:
            return None
        if _norm(name) not in self.by_name:
            base = slugify(name)[:72].strip("-") or "group"
            slug, n = base, 1
            while slug in self.slugs:
                n += 1
                slug = f"{base}-{n}"
            self.slugs.add(slug)
            position = len(self.by_name) + 1
            self.by_name[_norm(name)] = AcademyGroup.objects.create(
                name=name, slug=slug, position=position
            )
        return self.by_name[_norm(name)]


def apply_gias(preview: GiasPreview, *, expected_fingerprint: str | None = None) -> dict[str, int]:
    """Write a problem-free preview in one transaction; counts of what changed.

    ``expected_fingerprint`` is academy_fingerprint() when the person saw the preview (by
    default this preview's own): if the academies changed since, GiasConflict and nothing is
    written. Bulk writes send no signals, so one post_save for Academy tells the board's cache
    (kpis.cache, which this app may not import) that the organisation changed.
    """
    if not preview.ok:
        raise ValueError("A GIAS import with problems cannot be applied.")
    expected = preview.fingerprint if expected_fingerprint is None else expected_fingerprint
    try:
        with transaction.atomic():
            if academy_fingerprint() != expected:
                raise GiasConflict(STALE)
            groups = _Groups()
            updated = []
            for update in preview.updates:
                for change in update.changes:
                    if change.field == "group":
                        update.academy.group = groups.named(change.new)
                    else:
                        setattr(update.academy, change.field, change.new)
                updated.append(update.academy)
            if updated:
                Academy.objects.bulk_update(updated, WRITTEN, batch_size=500)
            for new in preview.creates:
                if new.school.group:
                    new.academy.group = groups.named(new.school.group)
            created = Academy.objects.bulk_create([new.academy for new in preview.creates])
            touched = created or updated
            if touched:
                post_save.send(
                    sender=Academy,
                    instance=touched[0],
                    created=bool(created),
                    update_fields=None,
                    raw=False,
                    using=router.db_for_write(Academy),
                )
    except IntegrityError as error:
        raise GiasConflict(
            "Someone saved an academy with the same name, short name, slug or URN at the same "
            "moment; nothing was imported. Upload the file again."
        ) from error
    return {"academies_created": len(preview.creates), "academies_updated": len(preview.updates)}
