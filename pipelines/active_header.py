"""Table 二's column headers, read cell by cell after 信息内容, as real reports print them.

Besides one cell per header, real reports print a header wrapped over two cells of a flattened
Word table (`本年新` / `制作数量`) and a header cut short (`现行有效件`, `本年增/` with its last
character lost). Fragments are joined while the join is still the start of a column label; a
fragment left over names its column only when it starts exactly one column label (and is at
least MIN_CUT_SHORT characters long), and the header goes on with the next cell. Copies that
lost the second line of each wrapped header print the same fragment once per column it starts
(`本年新` / `本年新` over 本年新制作数量 and 本年新公开数量): such a run names those columns in
the order the format prints them, and only when the run is exactly as long as they are many.
A header cell that names no column makes the whole sub-table unreadable: its rows are left
out with a problem, never read into columns shifted by one. No library reads a table header
wrapped over cells of a flattened table, hence this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.cells import Cell
from pipelines.schema import active_column_cores, active_row_cores, format_markers

MIN_CUT_SHORT = 3  # characters: 本年增 names 本年增减 (the only label it starts); 本年新 starts two
MAX_HEADER_CORE = 10  # characters: a longer label is a heading or a sentence, not a header cell
CAPTION = re.compile(r"第.{1,4}条")  # 第二十条第（一）项: the caption of the next sub-table
UNIT_NOTE = re.compile(r"^[（(]?单位[:：]")  # 单位：件, printed in a header cell of its own


@dataclass
class ActiveHeader:
    columns: list[tuple[str, Cell]] = field(default_factory=list)  # (measure, header cell)
    collecting: bool = False
    unread: str | None = None  # the header cell that names no column, if any
    formats: set[str] = field(default_factory=set)  # formats whose own column labels were seen
    fragment: str = ""
    fragment_cell: Cell | None = None
    repeats: int = 0  # further cells printing the same cut fragment
    reported: bool = False

    def open(self) -> None:
        """信息内容: a new sub-table's header starts."""
        self.columns, self.collecting, self.unread, self.fragment, self.fragment_cell = [], True, None, "", None
        self.repeats, self.reported = 0, False

    def close(self) -> None:
        self.columns, self.collecting, self.unread, self.fragment, self.fragment_cell = [], False, None, "", None
        self.repeats = 0

    def unread_to_report(self) -> str | None:
        """The header cell that names no column, once."""
        if self.unread is None or self.reported:
            return None
        self.reported = True
        return self.unread

    def add(self, label: str, cell: Cell) -> None:
        measure, fmt = active_column_cores()[label]
        self.columns.append((measure, cell))
        if label in format_markers()[fmt]:
            self.formats.add(fmt)

    def see(self, label: str, cell: Cell) -> bool:
        """Take the cell (core `label`) while the header is being read: True if it was part of
        the header, False if the header has ended before it (a row label, a caption...)."""
        if not self.collecting:
            return False
        if UNIT_NOTE.match(cell.raw.strip()) and not self.fragment:
            return True  # a note on the unit, no column of its own
        joined = self.fragment + label  # a run of one cut fragment (repeats) joins nothing more
        if not self.repeats and joined in active_column_cores():
            self.add(joined, self.fragment_cell or cell)
            self.fragment, self.fragment_cell = "", None
            return True
        if not self.repeats and starts_a_column(joined):
            self.fragment, self.fragment_cell = joined, self.fragment_cell or cell
            return True
        if self.fragment and label == self.fragment and cut_short(label) is None:
            self.repeats += 1  # the same cut header once more: the next column it starts
            return True
        if self.fragment:
            fragment, fragment_cell, count = self.fragment, self.fragment_cell or cell, 1 + self.repeats
            self.fragment, self.fragment_cell, self.repeats = "", None, 0
            named = [cut_short(fragment)] if count == 1 else cut_run(fragment, count)
            if named and None not in named:
                for column in named:
                    self.add(column, fragment_cell)
                return self.see(label, cell)  # the cell after a cut header: the next header or a row
            self.unread = fragment
        self.collecting = False
        taken = self.unread is None and looks_like_header(label, cell)
        if taken:
            self.unread = cell.raw
        if self.unread is not None:
            self.columns = []  # the columns after it are unknown: no row is read by position
        return taken


def starts_a_column(text: str) -> bool:
    return any(column.startswith(text) and column != text for column in active_column_cores())


def cut_short(text: str) -> str | None:
    """The one column label `text` starts, if it is long enough to say so."""
    if len(text) < MIN_CUT_SHORT:
        return None
    named = [column for column in active_column_cores() if column.startswith(text)]
    return named[0] if len(named) == 1 else None


def cut_run(text: str, count: int) -> list[str] | None:
    """The columns a fragment printed `count` times in a row names, in printed order: those it
    starts, when they are exactly `count`, all of one format."""
    if len(text) < MIN_CUT_SHORT:
        return None
    named = [column for column in active_column_cores() if column.startswith(text)]
    formats = {active_column_cores()[column][1] for column in named}
    return named if len(named) == count and len(formats) == 1 else None


def looks_like_header(label: str, cell: Cell) -> bool:
    """A short label that is no row label and no caption, where a header cell is expected."""
    return (
        0 < len(label) <= MAX_HEADER_CORE
        and label not in active_row_cores()
        and not CAPTION.search(cell.raw)
    )
