"""Reading Word documents (.docx) safely, into paragraphs and tables that name where they are.

Nothing here writes to the database. ``open_document`` refuses what is not a Word document —
a legacy .doc, a password-protected file (Word encrypts it into an OLE2 container), a damaged
zip, a workbook — and zip or XML bombs (the workbook limits of core.workbook: size, parts,
expanded size, DTD and entity declarations), before python-docx parses anything. It returns the
body's blocks in order: paragraphs outside tables, and tables whose rows list each cell once.

Merged cells are read from the table's own markup, not from python-docx's grid (which repeats a
merged cell's text in every row and column it spans): a cell spanning columns is one cell with
its ``span``; a cell merged down over the rows below is its text in its first row and, in each
row it continues into, a cell with ``merged_above`` set and no text of its own.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, field

from django.conf import settings

from core.workbook import OLE2_MAGIC, ZIP_MAGIC, WorkbookRefused, check_size, open_package

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOCUMENT_PART = "word/document.xml"


class DocumentRefused(WorkbookRefused):
    """The document as a whole cannot be read; the message says why, for the person."""


@dataclass(frozen=True)
class Paragraph:
    text: str  # its runs joined, runs of spaces as one, trimmed
    bold: bool = False  # every run with text is bold


@dataclass
class DocCell:
    column: int  # 1-based grid column where it starts
    paragraphs: list[Paragraph] = field(default_factory=list)
    span: int = 1  # grid columns it covers
    merged_above: bool = False  # continues the cell above it (a vertical merge)

    @property
    def texts(self) -> list[str]:
        """Its non-empty paragraphs' texts."""
        return [p.text for p in self.paragraphs if p.text]

    @property
    def text(self) -> str:
        """Its paragraphs joined by single spaces."""
        return " ".join(self.texts)

    @property
    def bold(self) -> bool:
        paragraphs = [p for p in self.paragraphs if p.text]
        return bool(paragraphs) and all(p.bold for p in paragraphs)


@dataclass
class DocTable:
    number: int  # 1-based, in the order of the document
    rows: list[tuple[int, list[DocCell]]] = field(default_factory=list)  # (1-based row, cells)

    @property
    def columns(self) -> int:
        return max((c.column + c.span - 1 for _, cells in self.rows for c in cells), default=0)


@dataclass
class Document:
    blocks: list[Paragraph | DocTable]

    @property
    def tables(self) -> list[DocTable]:
        return [b for b in self.blocks if isinstance(b, DocTable)]


def _ole2_refusal(data: bytes) -> DocumentRefused:
    """An OLE2 compound file: Word's encrypted .docx, or a legacy .doc (or .xls)."""
    head = data[: 1 << 20]
    if (
        "EncryptedPackage".encode("utf-16-le") in head
        or "EncryptionInfo".encode("utf-16-le") in head
    ):
        return DocumentRefused(
            "The document is password-protected. Open it in Word, remove the password (File › "
            "Info › Protect Document › Encrypt with Password, then clear it), save it and upload "
            "it again."
        )
    if "Workbook".encode("utf-16-le") in head:
        return DocumentRefused(
            "The file is an old Excel workbook (.xls), not a Word document: save the plan as a "
            "Word document (.docx), or the workbook as .xlsx."
        )
    return DocumentRefused(
        "The file is an old Word document (.doc, Word 97–2003), which this app does not read. "
        "Open it in Word or LibreOffice and save it as a Word document (.docx), then upload it "
        "again."
    )


def _has_declarations(blob: bytes) -> bool:
    """Whether an XML part declares a DTD or entities (real Word parts never do)."""
    if blob.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = blob.decode("utf-16", errors="ignore")
    else:
        text = blob.decode("utf-8", errors="ignore")
    upper = text.upper()
    return "<!DOCTYPE" in upper or "<!ENTITY" in upper


def _looks_like_xml(name: str, blob: bytes) -> bool:
    """Whether a part is XML, whatever its name (a relationship may point at any part name)."""
    head = blob[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return name.endswith((".xml", ".rels")) or head.startswith((b"<", b"\xff\xfe", b"\xfe\xff"))


def _check_package(data: bytes) -> None:
    archive, entries = open_package(
        data,
        refused=DocumentRefused,
        noun="document",
        invalid="The file is not a valid Word document (.docx): it is damaged or not a document.",
        needed_by="a plan",
    )
    names = {entry.filename for entry in entries}
    if DOCUMENT_PART not in names or "[Content_Types].xml" not in names:
        if any(name.startswith("xl/") for name in names):
            raise DocumentRefused("The file is an Excel workbook, not a Word document.")
        raise DocumentRefused("The file is a zip archive but not a Word document (.docx).")
    for entry in entries:
        try:
            blob = archive.read(entry)  # checks each part's CRC
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
            raise DocumentRefused(
                "The document is damaged: its compressed data is corrupt."
            ) from None
        if _looks_like_xml(entry.filename, blob) and _has_declarations(blob):
            raise DocumentRefused(
                "The document contains XML entity or DTD declarations, which real Word "
                "documents do not; it was refused as a possible XML bomb."
            )


def open_document(data: bytes, filename: str = "") -> Document:
    """The blocks of a .docx file's body. Raises DocumentRefused."""
    check_size(len(data))
    if data.startswith(OLE2_MAGIC):
        raise _ole2_refusal(data)
    if not data.startswith(ZIP_MAGIC):
        if data.lstrip()[:5].lower() in (b"{\\rtf",):
            raise DocumentRefused(
                "The file is in Rich Text Format (.rtf): save it as a Word document (.docx)."
            )
        raise DocumentRefused(
            f"“{filename or 'The file'}” is not a Word document (.docx): it is damaged or of "
            "another kind."
        )
    _check_package(data)
    import docx  # python-docx: only once the package is known to be safe

    try:
        body = docx.Document(io.BytesIO(data)).element.body
        return Document(list(_blocks(body)))
    except DocumentRefused:
        raise
    except Exception as error:  # python-docx and lxml raise many kinds for damaged files
        raise DocumentRefused(
            f"The Word document could not be read; it may be damaged ({type(error).__name__})."
        ) from error


def _blocks(body):
    """Paragraphs and tables in body order (content controls looked into)."""
    tables = 0
    rows_read = 0
    max_rows = settings.TRUSTPLAN_IMPORT_MAX_ROWS
    for element in _children(body):
        if element.tag == f"{W}p":
            yield _paragraph(element)
        elif element.tag == f"{W}tbl":
            tables += 1
            table = _table(element, tables)
            rows_read += len(table.rows)
            if rows_read > max_rows:
                raise DocumentRefused(
                    f"The document's tables have more than {max_rows:,} rows, the most this "
                    "installation imports at once."
                )
            yield table


def _children(element):
    """Direct block children, content controls (w:sdt) unwrapped."""
    for child in element:
        if child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from _children(content)
        else:
            yield child


def _paragraph(p) -> Paragraph:
    parts: list[str] = []
    bold_flags: list[bool] = []
    for run in p.iter(f"{W}r"):
        if _inside(run, p, (f"{W}del", f"{W}moveFrom")):
            continue  # a tracked deletion is not the document's text
        text = []
        for node in run:
            if node.tag == f"{W}t":
                text.append(node.text or "")
            elif node.tag in (f"{W}tab", f"{W}br", f"{W}cr"):
                text.append(" ")
        joined = "".join(text)
        parts.append(joined)
        if joined.strip():
            bold_flags.append(_run_bold(run))
    text = " ".join("".join(parts).split())
    return Paragraph(text, bool(bold_flags) and all(bold_flags))


def _inside(node, stop, tags) -> bool:
    parent = node.getparent()
    while parent is not None and parent is not stop:
        if parent.tag in tags:
            return True
        parent = parent.getparent()
    return False


def _run_bold(run) -> bool:
    properties = run.find(f"{W}rPr")
    bold = properties.find(f"{W}b") if properties is not None else None
    if bold is None:
        return False
    return bold.get(f"{W}val", "true").lower() not in ("0", "false", "off")


def _table(tbl, number: int) -> DocTable:
    table = DocTable(number)
    for row_number, tr in enumerate(tbl.findall(f"{W}tr"), start=1):
        column = 1
        grid_before = tr.find(f"{W}trPr/{W}gridBefore")
        if grid_before is not None:
            column += int(grid_before.get(f"{W}val", "0") or 0)
        cells = []
        for tc in _row_cells(tr):
            properties = tc.find(f"{W}tcPr")
            span, merged_above = 1, False
            if properties is not None:
                grid_span = properties.find(f"{W}gridSpan")
                if grid_span is not None:
                    span = max(1, int(grid_span.get(f"{W}val", "1") or 1))
                v_merge = properties.find(f"{W}vMerge")
                if v_merge is not None:
                    merged_above = v_merge.get(f"{W}val", "continue") == "continue"
            paragraphs = [] if merged_above else [_paragraph(p) for p in _cell_paragraphs(tc)]
            cells.append(DocCell(column, paragraphs, span, merged_above))
            column += span
        table.rows.append((row_number, cells))
    return table


def _row_cells(tr):
    for child in tr:
        if child.tag == f"{W}tc":
            yield child
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from (c for c in content if c.tag == f"{W}tc")


def _cell_paragraphs(tc):
    """A cell's paragraphs, those of a table nested in it included (in order)."""
    for child in _children(tc):
        if child.tag == f"{W}p":
            yield child
        elif child.tag == f"{W}tbl":
            for tr in child.findall(f"{W}tr"):
                for inner in _row_cells(tr):
                    yield from _cell_paragraphs(inner)
