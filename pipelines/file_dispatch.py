"""A file body (PDF, OFD, Word, WPS, Excel, ET, OpenDocument, a scan, a ZIP archive of one of
them) -> its reader -> the same parse as a page.

The type comes from the bytes (pipelines.filetype.file_kind). Each reader gives text and
cells with provenance (pipelines.file_reading.FileReading); metadata, the table reader and the
identity checks are the HTML pages' own (pipelines.parse.parse_cells). Values keep where they
were printed: page and bounding box for a PDF or scan, sheet for a workbook, and `source =
ocr` when OCR read them; a report whose OCR values fail an identity check says so.

No input makes it raise: an unreadable file (encrypted, corrupt, a zip bomb, over the page
limit) is the document's recorded problem, with whatever could be read.
"""

from __future__ import annotations

from pipelines.file_reading import FileReading, place_key
from pipelines.filetype import describe
from pipelines.limits import collecting
from pipelines.metadata import read_metadata
from pipelines.parse import ParsedDocument, parse_cells
from pipelines.validate import checked, keys_checked

DOCUMENTS = frozenset({"PDF", "OFD", "DOC", "WPS", "DOCX", "XLS", "ET", "XLSX", "ODT", "ODS", "PNG", "JPEG", "TIFF"})
READABLE = DOCUMENTS | {"ZIP"}  # a ZIP archive is read for the document in it (pipelines.zip_reader)
RECORDED = frozenset({"ENCRYPTED_OFFICE"})  # files named, not read: a problem says why
KINDS = READABLE | RECORDED


def read_file(body: bytes, kind: str) -> FileReading:
    if kind == "PDF":
        from pipelines.pdf_reader import read_pdf

        return read_pdf(body)
    if kind == "OFD":
        from pipelines.ofd_reader import read_ofd

        return read_ofd(body)
    if kind == "DOCX":
        from pipelines.docx_reader import read_docx

        return read_docx(body)
    if kind == "XLSX":
        from pipelines.sheet_reader import read_xlsx

        return read_xlsx(body)
    if kind == "XLS":
        from pipelines.sheet_reader import read_xls

        return read_xls(body)
    if kind == "ZIP":
        from pipelines.zip_reader import read_zip

        return read_zip(body)
    if kind in ("DOC", "WPS", "ET", "ODT", "ODS"):
        from pipelines.office_convert import read_converted

        return read_converted(body, kind)
    if kind in ("PNG", "JPEG", "TIFF"):
        from pipelines.ocr import ocr_image

        return ocr_image(body)
    reading = FileReading("none")
    if kind == "ENCRYPTED_OFFICE":
        reading.problems.append("unreadable file: the Office document is encrypted (a password is needed to open it)")
    else:
        reading.problems.append(f"unreadable file: {describe(kind)} is not read")
    return reading


def parse_file(reading: FileReading, url: str | None = None) -> ParsedDocument:
    """A file's reading -> the parsed document, values with their page/bbox and source."""
    text = reading.text
    parsed = parse_cells(read_metadata(None, text, url), text, reading.cells, url)
    for value in parsed.values.values():
        place = reading.places.get(place_key(value.where))
        if place:
            value.where = {**value.where, **place}
        if reading.source:
            value.source = reading.source
    if reading.source == "ocr" and parsed.values:
        withhold_doubtful_ocr(parsed)
    return parsed


def withhold_doubtful_ocr(parsed: ParsedDocument) -> None:
    """OCR's values that take part in an identity their reading fails are left out: one of
    them is misread (two readers can agree on a 2 for a 3), and which one cannot be told. The
    checks are made again over what is kept, so the report says what could not be checked."""
    failed = [check for check in parsed.validation if check.strict and not check.ok]
    if failed:
        doubtful = set().union(*(keys_checked(check, parsed.values) for check in failed))
        for key in doubtful:
            del parsed.values[key]
        parsed.validation, parsed.unverified = checked({k: v.value for k, v in parsed.values.items()}, parsed.format)
        parsed.problems.append(
            f"ocr: {len(doubtful)} values left out: read by OCR, they take part in {len(failed)} identity checks"
            f" that fail (e.g. {failed[0].rule} {failed[0].subject}), so one of them is misread"
        )
    parsed.problems.append(f"ocr: {len(parsed.values)} values read by OCR (source = ocr)")


def read_and_parse(body: bytes, kind: str, url: str | None = None) -> tuple[FileReading, ParsedDocument]:
    """Never raises: a reader or parser failure is the document's problem."""
    with collecting() as noted:
        try:
            reading = read_file(body, kind)
        except Exception as error:  # a reader bug or a library's own failure on a bad file
            reading = FileReading("none", problems=[f"unreadable file: {kind}: {type(error).__name__}: {str(error)[:200]}"])
        try:
            parsed = parse_file(reading, url)
        except Exception as error:
            parsed = ParsedDocument.unparsed(f"processing failed: {type(error).__name__}: {str(error)[:300]}")
    if reading.folded:
        reading.problems.append(f"file: {reading.folded} Kangxi radicals or compatibility characters normalised")
    parsed.problems = list(dict.fromkeys([*reading.problems, *noted, *parsed.problems]))
    return reading, parsed
