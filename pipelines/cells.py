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

import bisect
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
    # tables of an HTML page (what tells the cells of one printed line, for the table reader)
    # flattened tables of an HTML page: the line of its stored plain text that shows the cell
    # (the provenance `where` gives), NOT_PLACED when not found there; None where `line`
    # already is that line (plain text, files)
    shown_line: int | None = None
    row_end: bool = False  # last cell of a real row (HTML, pipe or tab row)

    @property
    def width(self) -> int:
        """How many table cells this one fills."""
        return self.blanks if self.kind == "blank" else 1

    def where(self) -> dict:
        if self.table is not None:
            return {"table": self.table, "row": self.row, "col": self.col}
        line = self.line if self.shown_line is None else self.shown_line
        return {"line": None if line == NOT_PLACED else line, "col": self.col}


def parse_number(text: str) -> tuple[Decimal, str] | None:
    """'251000元' -> (251000, '元'); '１２' -> 12; '-43' -> -43; None when not a number."""
    return squeezed_number(squeeze(text))


def squeezed_number(squeezed: str) -> tuple[Decimal, str] | None:
    """`parse_number` of a text already squeezed (pipelines.schema.squeeze)."""
    match = NUMBER.match(squeezed)
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
    squeezed = squeeze(text)  # once: NFKC of a paragraph read as a cell is not cheap
    if squeezed in no_data_cells():
        return text, "blank", None, "", 1
    number = squeezed_number(squeezed)
    if number is not None:
        return text, "number", number[0], number[1], 0
    if (zero := lost_mark_zero(squeezed)) is not None:
        return text, "number", zero, "", 0
    return text, "label", None, "", 0


# A character the page's last encoder could not write (a non-breaking space, most often)
# comes out as "?" (or U+FFFD where a decoder lost it): copies print "? 0" for "&nbsp;0".
LOST_MARKS = "?\ufffd"


def lost_mark_zero(squeezed: str) -> Decimal | None:
    """The 0 of a cell printing lost characters before it ("? 0"), else None. Only a zero:
    the lost character is no digit (a charset that kept the page's Hanzi has the digits,
    full-width ones too), but it may have been a sign, which leaves 0 alone and not 5."""
    if squeezed[:1] not in LOST_MARKS:
        return None
    number = squeezed_number(squeezed.lstrip(LOST_MARKS))
    return None if number is None or number[0] != 0 or number[1] else Decimal(0)


# Short cell texts repeat from page to page ("0", the labels): each is read once. Long ones
# (a paragraph read as a cell) are not kept, so the cache stays small.
SHORT_CELL = 64
read_short_cell = lru_cache(maxsize=1 << 14)(read_cell)


# -- HTML ----------------------------------------------------------------------------------
def html_cells(root: etree._Element, text: str | None = None) -> list[Cell]:
    """The cells of a page's tree (pipelines.text.parse_html, scripts dropped). Marks each
    <br> in the tree: read its text before. `text`: the tree's stored plain text
    (pipelines.text.tree_text), whose lines the flattened cells are placed on."""
    cells, read_in_order = read_tree(root)
    if text is not None and any(cell.table is None for cell in cells):
        place_on_lines(read_in_order, cells, text)
    return cells


def element_showing_line(root: etree._Element, text: str, line: int) -> etree._Element | None:
    """The element of a flattened table's cell that the stored `text` shows on `line` (the
    archived page marks it)."""
    cells, read_in_order = read_tree(root)
    place_on_lines(read_in_order, cells, text)
    elements = {read.line: read.element for read in read_in_order if read.line is not None}
    shown = [cell for cell in cells if cell.table is None and cell.shown_line == line]
    return elements.get(shown[0].line) if shown else None


def read_tree(root: etree._Element) -> tuple[list[Cell], list[Read]]:
    """The cells of a tree, and what was read (tables and block lines) in document order."""
    for br in root.iter("br"):  # a line break inside a paragraph may separate flattened cells
        br.tail = LINE_BREAK + (br.tail or "")
    tables = {table: n for n, table in enumerate(root.iter("table"))}
    holders = elements_holding_blocks(root)
    block_number = itertools.count()  # flattened cells of an HTML page: n-th line of text outside tables
    cells: list[Cell] = []
    read_in_order: list[Read] = []
    stack = [root]  # depth-first in document order; a loop, since pages nest deeper than Python recurses
    while stack and len(cells) < MAX_PAGE_CELLS:
        element = stack.pop()
        if element.tag == "table" and element.find(".//table") is None:
            cells.extend(table_cells(element, tables[element]))
            read_in_order.append(Read(None, element))
        elif element in holders or element.tag not in BLOCKS:
            stack.extend(reversed([child for child in element if isinstance(child.tag, str)]))
        else:
            # source tabs and newlines are layout in HTML, not cell separators: only <br> and | are
            for line in SOURCE_WHITESPACE.sub(" ", element_text(element)).split(LINE_BREAK):
                number = next(block_number)
                cells.extend(line_cells(line, number))
                read_in_order.append(Read(number, element, line))
    return capped(cells), read_in_order


@dataclass(slots=True)
class Read:
    line: int | None  # the block line number; None for a table
    element: etree._Element  # the table, or the block element holding the line
    line_text: str = ""

    def text(self) -> str:
        return self.line_text if self.line is not None else text_content(self.element)


def place_on_lines(read_in_order: list[Read], cells: list[Cell], text: str) -> None:
    """Set each flattened cell's `shown_line`: the line of `text` that shows it.

    `text` holds everything read, in the same order, with more whitespace and line breaks
    (a source newline inside a paragraph breaks its line there) and text the cell reader
    skips. So the page's text is compared without whitespace: each line read is found after
    the previous one, tables advancing the search past their text, and each cell inside the
    span of its line; an empty cell is where the search stands in that span (a line of
    non-breaking spaces, pipelines.text.normalise_lines, stands for itself). A cell not found
    there is NOT_PLACED."""
    # a line of NBSPs is the only line the stored text starts with one (normalise_lines)
    marked = ("\n" + text).replace("\n\u00a0", "\n" + EMPTY_CELLS)[1:]
    stripped = SPACES_BUT_NEWLINES.sub("", marked).split("\n")
    joined = "".join(stripped)
    starts = list(itertools.accumulate((len(line) for line in stripped[:-1]), initial=0))
    on_line: dict[int, list[Cell]] = {}
    for cell in cells:
        if cell.table is None and cell.line is not None:
            cell.shown_line = NOT_PLACED
            on_line.setdefault(cell.line, []).append(cell)
    position = 0
    for read in read_in_order:
        if read.line is not None and read.line not in on_line:
            continue  # a line without cells cannot be told from the text around it
        wanted = compared(read.text())
        found = joined.find(wanted, position) if wanted else -1
        if found < 0:
            continue
        end = found + len(wanted)
        cursor = found
        for cell in on_line.get(read.line, []) if read.line is not None else []:
            raw = WHITESPACE.sub("", cell.raw)
            at = joined.find(raw, cursor, end) if raw else min(cursor, end - 1)
            if at >= 0:
                cell.shown_line = bisect.bisect_right(starts, at) - 1
                cursor = at + len(raw)
        position = end


def compared(text: str) -> str:
    """A line as the placing compares it: without whitespace, a line of non-breaking spaces
    as EMPTY_CELLS."""
    return WHITESPACE.sub("", text) or (EMPTY_CELLS if "\u00a0" in text else "")


WHITESPACE = re.compile(r"\s+")
SPACES_BUT_NEWLINES = re.compile(r"[^\S\n]+")
EMPTY_CELLS = "\x00"  # no text holds it: libxml2 drops it
NOT_PLACED = -1


def capped(cells: list[Cell]) -> list[Cell]:
    if len(cells) >= MAX_PAGE_CELLS:
        note(f"limit: more than MAX_PAGE_CELLS ({MAX_PAGE_CELLS}) cells on the page; the rest not read")
    return cells[:MAX_PAGE_CELLS]


def element_text(element: etree._Element) -> str:
    """`text_content`: an element's text and its descendants'. A cell or paragraph holding
    at most one element without children (<td><p>12</p></td>) is read from its three text
    nodes, at half the cost of an XPath call."""
    children = len(element)
    if children == 0:
        return element.text or ""
    if children == 1:
        child = element[0]
        if isinstance(child.tag, str) and len(child) == 0:  # an element (not a comment's or PI's text)
            return (element.text or "") + (child.text or "") + (child.tail or "")
    return text_content(element)


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
            cell = make_cell(element_text(td).replace(LINE_BREAK, ""), table=index, row=r, col=col)
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
