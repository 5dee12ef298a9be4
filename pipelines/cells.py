"""A page as a flat sequence of cells, the form every statistics table can be read from.

A real HTML table gives one cell per <td>/<th> in reading order, each with its table, row and
grid column (rowspan/colspan expanded), and a mark on the last cell of each row. A page whose
tables were flattened gives one cell per line (seed 001: one cell per line, a line of N
non-breaking spaces standing for N empty cells), per `|` field of a pipe row, or per field of
a tab row. The table reader (pipelines.values) walks this sequence; provenance travels with
each cell.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import lxml.html
from lxml import etree

from pipelines.schema import no_data_cells, squeeze, units
from pipelines.text import XML_DECLARATION

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


@dataclass
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
    if not text:
        return None
    if not text.strip("\u00a0\u3000 "):
        return Cell("", "blank", blanks=text.count("\u00a0") or 1, **where)
    if squeeze(text) in no_data_cells():
        return Cell(text, "blank", blanks=1, **where)
    number = parse_number(text)
    if number is not None:
        return Cell(text, "number", number=number[0], unit=number[1], **where)
    return Cell(text, "label", **where)


# -- HTML ----------------------------------------------------------------------------------
def html_cells(html: str) -> list[Cell]:
    try:
        root = lxml.html.fromstring(XML_DECLARATION.sub("", html))
    except (etree.ParserError, ValueError):
        return text_cells(html)
    etree.strip_elements(root, etree.Comment, "script", "style", "noscript", with_tail=False)
    for br in root.iter("br"):  # a line break inside a paragraph may separate flattened cells
        br.tail = LINE_BREAK + (br.tail or "")
    tables = {table: n for n, table in enumerate(root.iter("table"))}
    holders = elements_holding_blocks(root)
    block_number = itertools.count()  # flattened cells of an HTML page: n-th line of text outside tables
    cells: list[Cell] = []

    def walk(element: etree._Element) -> None:
        if element.tag == "table" and element.find(".//table") is None:
            cells.extend(table_cells(element, tables[element]))
        elif element in holders or element.tag not in BLOCKS:
            for child in element:
                if isinstance(child.tag, str):
                    walk(child)
        else:
            # source tabs and newlines are layout in HTML, not cell separators: only <br> and | are
            for line in SOURCE_WHITESPACE.sub(" ", element.text_content()).split(LINE_BREAK):
                cells.extend(line_cells(line, next(block_number)))

    walk(root)
    return cells


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
    """One cell per <td>/<th>, with its grid column (rowspans carried down, colspans across)."""
    out: list[Cell] = []
    taken: dict[tuple[int, int], bool] = {}
    for r, tr in enumerate(table.iter("tr")):
        col = 0
        row_cells = []
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while taken.get((r, col)):
                col += 1
            rowspan, colspan = span(td.get("rowspan")), span(td.get("colspan"))
            for dr in range(rowspan):
                for dc in range(colspan):
                    taken[(r + dr, col + dc)] = True
            cell = make_cell(td.text_content().replace(LINE_BREAK, ""), table=index, row=r, col=col)
            if cell is None:  # an empty <td> is an empty table cell
                cell = Cell("", "blank", blanks=1, table=index, row=r, col=col)
            row_cells.append(cell)
            col += colspan
        if row_cells:
            row_cells[-1].row_end = True
            out += row_cells
    return out


def span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


# -- plain text ----------------------------------------------------------------------------
def text_cells(text: str) -> list[Cell]:
    return [cell for number, line in enumerate(text.splitlines()) for cell in line_cells(line, number)]


def line_cells(line: str, number: int) -> list[Cell]:
    """A pipe or tab row gives one cell per field (empty fields are empty cells), any other
    line one cell, or none when it holds nothing but ordinary spaces."""
    if "|" in line or "\t" in line.strip(" "):
        row = [make_cell(f, line=number, col=c) or Cell("", "blank", blanks=1, line=number, col=c)
               for c, f in enumerate(split_row(line))]  # fmt: skip
        if row:
            row[-1].row_end = True
        return row
    cell = make_cell(line, line=number)
    return [cell] if cell is not None else []


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
