"""What a file reader gives the parser: the document's text and its cells, each cell with where
it was printed (page and bounding box, or sheet), and how it was read (`source`).

Readers (pdf_reader, docx_reader, sheet_reader, ocr) build one `FileReading` through its
`line` and `row` methods, in reading order; the cells then go through the same table reader
and checks as an HTML page's (pipelines.parse.parse_cells). Tables keep their index, row and
grid column; text outside tables is numbered by line, as a flattened HTML table is.

Kangxi radicals and CJK compatibility ideographs, which PDF fonts often map to (⽂ for 文),
are folded to the unified ideographs: the radicals as HTML pages have them
(pipelines.kangxi), the compatibility ideographs with NFKC limited to their blocks, so that
full-width digits and punctuation stay as printed (the cell reader reads those itself).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from pipelines.cells import Cell, make_cell
from pipelines.kangxi import unify_radicals
from pipelines.limits import MAX_PAGE_CELLS

# CJK Compatibility Ideographs (and Supplement): NFKC gives the unified ideograph.
COMPATIBILITY_IDEOGRAPHS = re.compile("[\uf900-\ufaff\U0002f800-\U0002fa1f]")


def normalise(text: str) -> tuple[str, int]:
    """Text with radicals (pipelines.kangxi) and compatibility ideographs folded; and how many were."""
    text, radicals = unify_radicals(text)
    found = len(COMPATIBILITY_IDEOGRAPHS.findall(text))
    if found:
        text = COMPATIBILITY_IDEOGRAPHS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return text, radicals + found


@dataclass
class FileReading:
    reader: str  # what read the text: pdfplumber | pdftotext | ocr | python-docx | openpyxl | xlrd
    pages: int = 0  # pages (or sheets) read
    lines: list[str] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    places: dict[tuple, dict] = field(default_factory=dict)  # cell position -> page, bbox, sheet
    problems: list[str] = field(default_factory=list)
    folded: int = 0  # compatibility characters normalised
    tables: int = 0  # tables started
    next_row: int = 0  # the next row index of the current table

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def source(self) -> str:
        """The `source` of the values read: ocr for OCR, else None (the table reader's own)."""
        return "ocr" if self.reader == "ocr" else ""

    def clean(self, text: str) -> str:
        text, folded = normalise(text.replace("\u3000", " ").strip())
        self.folded += folded
        return text

    def line(self, text: str, **place) -> None:
        """A line of text outside tables: one cell (a label, a number or nothing)."""
        text = self.clean(text)
        if not text or len(self.cells) >= MAX_PAGE_CELLS:
            return
        number = len(self.lines)
        self.lines.append(text)
        cell = make_cell(text, line=number)
        if cell is not None:
            self.cells.append(cell)
            self.places[("line", number, None)] = place

    def words_row(self, words: list[tuple[str, dict]]) -> None:
        """A line of text whose words stand apart (a table row printed without rules): one cell
        per word, as a tab row of plain text is read."""
        texts = [(self.clean(text), place) for text, place in words]
        texts = [(text, place) for text, place in texts if text]
        if len(texts) < 2:
            for text, place in texts:
                self.line(text, **place)
            return
        number = len(self.lines)
        self.lines.append("\t".join(text for text, _ in texts))
        for col, (text, place) in enumerate(texts):
            cell = make_cell(text, line=number, col=col) or Cell("", "blank", blanks=1, line=number, col=col)
            self.cells.append(cell)
            self.places[("line", number, col)] = place
        self.cells[-1].row_end = True

    def new_table(self) -> None:
        self.tables += 1
        self.next_row = 0

    def row(self, texts: list[str | None], places: list[dict | None]) -> None:
        """A row of the current table: a text per grid column, None where a merged cell above or
        to the left covers the column (no cell, as HTML has no <td> there)."""
        table, row = self.tables - 1, self.next_row
        self.next_row += 1
        out = []
        for col, (text, place) in enumerate(zip(texts, places, strict=True)):
            if text is None:
                continue
            text = self.clean(text.replace("\n", ""))
            cell = make_cell(text, table=table, row=row, col=col) if text else None
            out.append(cell or Cell("", "blank", blanks=1, table=table, row=row, col=col))
            self.places[("table", table, row, col)] = place or {}
        if out and len(self.cells) < MAX_PAGE_CELLS:
            out[-1].row_end = True
            self.cells += out
        if any(text for text in texts if text):
            self.lines.append("\t".join(self.clean(t.replace("\n", "")) for t in texts if t))


def place_key(where: dict) -> tuple:
    if "table" in where:
        return ("table", where["table"], where["row"], where["col"])
    return ("line", where.get("line"), where.get("col"))


def readable_text(text: str) -> bool:
    """Whether a text layer reads as Chinese: (cid:NN) runs, U+FFFD and glyph codes shown as
    Latin-1 or symbols make a font without a Unicode map; a report is mostly hanzi."""
    text = re.sub(r"\(cid:\d+\)", "\ufffd", text)
    letters = [ch for ch in text if not ch.isspace() and not ch.isascii()]
    if len(letters) < 20:
        return len(text.strip()) > 0 and "\ufffd" not in text
    hanzi = sum(1 for ch in letters if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")
    return hanzi >= 0.6 * len(letters)
