"""A page as a flat sequence of cells, the form every statistics table can be read from.

A real HTML table gives one cell per <td>/<th> in reading order, each with its table, row and
grid column (rowspan/colspan expanded), and a mark on the last cell of each row. A page whose
tables were flattened gives one cell per line (seed 001: one cell per line, a line of N
non-breaking spaces standing for N empty cells), per `|` field of a pipe row, or per field of
a tab row. The table reader (pipelines.values) walks this sequence; provenance travels with
each cell.

Bounded (pipelines.limits): rowspan/colspan are capped, a table stops being read after
MAX_TABLE_CELLS grid slots and a page after MAX_PAGE_CELLS cells, with a `limit:` recorded.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from lxml import etree

from pipelines.limits import MAX_PAGE_CELLS, MAX_SPAN, MAX_TABLE_CELLS, note
from pipelines.printed import header_word_cores, page_footer
from pipelines.schema import core, no_data_cells, squeeze, units
from pipelines.text import text_content

NUMBER = re.compile(
    r"^(?P<sign>[+\-−－]?)(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?P<fraction>\.\d+)?(?P<unit>\D*)$"
)
SOURCE_WHITESPACE = re.compile(r"[ \t\r\n]+")
LINE_BREAK = "\u2029"  # PARAGRAPH SEPARATOR: never in report text, and XML-safe
BLOCKS = {
    "td",
    "th",
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "dd",
    "dt",
    "blockquote",
    "pre",
    "section",
}


@dataclass(slots=True)  # a page may hold MAX_PAGE_CELLS of them
class Cell:
    raw: str  # the cell's text as printed (whitespace trimmed)
    kind: str  # label | number | blank
    number: Decimal | None = None
    unit: str = ""
    blanks: int = 0  # empty cells this one stands for (a flattened run of them counts several)
    table: int | None = None  # index of the <table> in the page (document order)
    row: int | None = None  # <tr> index in that table
    col: int | None = None  # grid column, spans expanded
    line: int | None = None  # flattened tables: line of a plain-text page, or n-th text line outside
    # tables of an HTML page
    row_end: bool = False  # last cell of a real row (HTML, pipe or tab row)

    @property
    def width(self) -> int:
        """How many table cells this one fills."""
        return self.blanks if self.kind == "blank" else 1

    def where(self) -> dict:
        keys = ("table", "row", "col") if self.table is not None else ("line", "col")
        return {key: getattr(self, key) for key in keys}


def parse_number(text: str) -> tuple[Decimal, str] | None:
    """'251000元' -> (251000, '元'); '１２' -> 12; '-43' -> -43; None when not a number."""
    match = NUMBER.match(squeeze(text))
    if not match or (match.group("unit") and match.group("unit") not in units()):
        return None
    digits = match.group("digits").replace(",", "") + (match.group("fraction") or "")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return (-value if match.group("sign") in ("-", "−", "－") else value), match.group("unit")


def make_cell(raw: str, **where) -> Cell | None:
    """A cell from its text; None for a separator (empty, or ordinary spaces only)."""
    text = raw.strip(" \t\r\n")
    reading = read_short_cell(text) if len(text) <= SHORT_CELL else read_cell(text)
    return None if reading is None else Cell(*reading, **where)


def read_cell(text: str) -> tuple[str, str, Decimal | None, str, int] | None:
    """(raw, kind, number, unit, blanks) of a cell's trimmed text."""
    if not text:
        return None
    if not text.strip("\u00a0\u3000 "):
        return "", "blank", None, "", text.count("\u00a0") or 1
    if squeeze(text) in no_data_cells():
        return text, "blank", None, "", 1
    number = parse_number(text)
    if number is not None:
        return text, "number", number[0], number[1], 0
    return text, "label", None, "", 0


# Short cell texts repeat from page to page ("0", the labels): each is read once. Long ones
# (a paragraph read as a cell) are not kept, so the cache stays small.
SHORT_CELL = 64
read_short_cell = lru_cache(maxsize=1 << 14)(read_cell)


# -- HTML ----------------------------------------------------------------------------------
def html_cells(root: etree._Element) -> list[Cell]:
    """The cells of a page's tree (pipelines.text.parse_html, scripts dropped). Marks each
    <br> in the tree: read its text before."""
    for br in root.iter("br"):  # a line break inside a paragraph may separate flattened cells
        br.tail = LINE_BREAK + (br.tail or "")
    tables = {table: n for n, table in enumerate(root.iter("table"))}
    holders = elements_holding_blocks(root)
    block_number = itertools.count()  # flattened cells of an HTML page: n-th line of text outside tables
    cells: list[Cell] = []
    stack = [root]  # depth-first in document order; a loop, since pages nest deeper than Python recurses
    while stack and len(cells) < MAX_PAGE_CELLS:
        element = stack.pop()
        if element.tag == "table" and element.find(".//table") is None:
            cells.extend(table_cells(element, tables[element]))
        elif element in holders or element.tag not in BLOCKS:
            stack.extend(reversed([child for child in element if isinstance(child.tag, str)]))
        else:
            # source tabs and newlines are layout in HTML, not cell separators: only <br> and | are
            for line in SOURCE_WHITESPACE.sub(" ", text_content(element)).split(LINE_BREAK):
                cells.extend(line_cells(line, next(block_number)))
    return capped(cells)


def capped(cells: list[Cell]) -> list[Cell]:
    if len(cells) >= MAX_PAGE_CELLS:
        note(f"limit: more than MAX_PAGE_CELLS ({MAX_PAGE_CELLS}) cells on the page; the rest not read")
    return cells[:MAX_PAGE_CELLS]


def elements_holding_blocks(root: etree._Element) -> set[etree._Element]:
    """Elements with a block or table inside: walked into rather than read as one cell."""
    holders: set[etree._Element] = set()
    for element in root.iter(*BLOCKS, "table"):
        for ancestor in element.iterancestors():
            if ancestor in holders:
                break
            holders.add(ancestor)
    return holders


def table_cells(table: etree._Element, index: int) -> list[Cell]:
    """One cell per <td>/<th>, with its grid column (rowspans carried down, colspans across).

    Grid slots taken by spans are kept per row and dropped once the row is read, and the
    slots a table may fill are counted, so a span bomb costs bounded time and memory."""
    out: list[Cell] = []
    taken: dict[int, set[int]] = {}  # row -> grid columns filled from rows above
    slots = 0
    for r, tr in enumerate(table.iter("tr")):
        row_taken = taken.pop(r, set())
        col = 0
        row_cells = []
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while col in row_taken:
                col += 1
            rowspan, colspan = td.get("rowspan"), td.get("colspan")
            rowspan, colspan = span(rowspan) if rowspan else 1, span(colspan) if colspan else 1
            slots += rowspan * colspan
            if slots > MAX_TABLE_CELLS:
                note(f"limit: table {index} has more than MAX_TABLE_CELLS ({MAX_TABLE_CELLS}) cells"
                     f" after span expansion; read up to row {r}")  # fmt: skip
                return out + finished(row_cells)
            for dr in range(1, rowspan):
                taken.setdefault(r + dr, set()).update(range(col, col + colspan))
            cell = make_cell(text_content(td).replace(LINE_BREAK, ""), table=index, row=r, col=col)
            if cell is None:  # an empty <td> is an empty table cell
                cell = Cell("", "blank", blanks=1, table=index, row=r, col=col)
            row_cells.append(cell)
            col += colspan
        out += finished(row_cells)
    return out


def finished(row_cells: list[Cell]) -> list[Cell]:
    if row_cells:
        row_cells[-1].row_end = True
    return row_cells


def span(value: str | None) -> int:
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    if number > MAX_SPAN:
        note(f"limit: rowspan/colspan over MAX_SPAN ({MAX_SPAN}) read as {MAX_SPAN}")
    return max(1, min(number, MAX_SPAN))


# -- plain text ----------------------------------------------------------------------------
def text_cells(text: str) -> list[Cell]:
    cells: list[Cell] = []
    for number, line in enumerate(text.splitlines()):
        if len(cells) >= MAX_PAGE_CELLS:
            break
        cells += line_cells(line, number)
    return capped(cells)


def line_cells(line: str, number: int) -> list[Cell]:
    """A pipe or tab row gives one cell per field (empty fields are empty cells), any other
    line one cell, or none when it holds nothing but ordinary spaces."""
    if "|" in line or "\t" in line.strip(" "):
        row = [make_cell(f, line=number, col=c) or Cell("", "blank", blanks=1, line=number, col=c)
               for c, f in enumerate(split_row(line)[:MAX_PAGE_CELLS])]  # fmt: skip
        if row:
            row[-1].row_end = True
        return row
    stripped = line.strip(" \t\r\n\u3000")
    if (len(stripped) <= MAX_HEADER_ROW or "0" <= stripped[-1] <= "9") and SPACE_RUN.search(stripped):
        spaced = spaced_row(stripped, number)
        if spaced is not None:
            return spaced
    elif len(stripped) <= MAX_FOOTER and page_footer().match(stripped):
        return []  # a PDF's page footer (— 4 —) printed inside a table is no cell
    cell = make_cell(line, line=number)
    return [cell] if cell is not None else []


SPACE_RUN = re.compile(r"[ \u3000]+")
MAX_FOOTER = 16  # characters of a page footer (— 4 —, 第 4 页 共 12 页)


def spaced_row(line: str, number: int) -> list[Cell] | None:
    """A table row extracted from a PDF, one row per line with its cells spaced apart: a label
    followed by numbers (`行政许可 97`, `（一）予以公开 27 0 0 2 0 1 30`), numbers only, or
    header words only. None for any other line (prose keeps its spaces)."""
    if len(line) > MAX_ROW_LINE:
        return None
    if len(line) <= MAX_FOOTER and page_footer().match(line):
        return []
    tokens = SPACE_RUN.split(line)
    kinds = [kind_of(token) for token in tokens]
    if "label" not in kinds and "number" not in kinds:
        return None  # spaces between non-breaking spaces: a run of empty cells
    first_number = len(tokens)
    while first_number > 0 and kinds[first_number - 1] in ("number", "blank"):
        first_number -= 1
    if first_number == len(tokens):  # no number at the end: a header row, or prose
        if not all(core(token) in header_word_cores() for token in tokens):
            return None
        texts = tokens
    elif any(kind != "label" for kind in kinds[:first_number]):
        return None  # numbers inside the label: prose, not a row
    else:
        texts = [" ".join(tokens[:first_number]), *tokens[first_number:]] if first_number else tokens
    cells = [cell for c, text in enumerate(texts) if (cell := make_cell(text, line=number, col=c)) is not None]
    if cells:
        cells[-1].row_end = True
    return cells


MAX_ROW_LINE = 300  # characters: a longer line is prose, not a table row
MAX_HEADER_ROW = 80  # characters: a longer line not ending in a number is no table row


def kind_of(token: str) -> str | None:
    reading = read_short_cell(token) if len(token) <= SHORT_CELL else None
    return reading[1] if reading is not None else None


def split_row(line: str) -> list[str]:
    if "|" in line:
        fields = line.strip().split("|")
        if fields and not fields[0].strip():
            fields = fields[1:]
        if fields and not fields[-1].strip():
            fields = fields[:-1]
        return fields
    fields = line.strip(" ").split("\t")
    return fields[:-1] if line.rstrip(" ").endswith("\t") else fields
