"""An XLSX (openpyxl) or XLS (xlrd) workbook: each sheet a table, each cell at its row and
column, merged ranges as HTML spans (the range's first cell holds the text; the others are no
cells). Values keep their sheet name as provenance. Numbers are printed as the sheet shows
them to a reader (an integer as 12, not 12.0)."""

from __future__ import annotations

from pipelines.file_reading import FileReading
from pipelines.limits import MAX_FILE_PAGES, MAX_TABLE_CELLS
from pipelines.office_zip import open_package


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_grid(reading: FileReading, sheet: str, rows: list[list], covered: set[tuple[int, int]]) -> None:
    reading.new_table()
    for r, row in enumerate(rows):
        texts = [None if (r, c) in covered else cell_text(v) for c, v in enumerate(row)]
        while texts and not texts[-1]:
            texts.pop()  # the sheet's unused columns to the right
        if texts:
            reading.row(texts, [{"sheet": sheet}] * len(texts))


def read_xlsx(body: bytes, reader: str = "openpyxl") -> FileReading:
    import openpyxl

    reading = FileReading(reader)
    workbook = open_package(body, lambda data: openpyxl.load_workbook(data, data_only=True), "workbook", reading.problems)
    if workbook is None:
        return reading
    for sheet in workbook.worksheets[:MAX_FILE_PAGES]:
        if sheet.max_row * sheet.max_column > MAX_TABLE_CELLS:
            reading.problems.append(f"limit: sheet {sheet.title!r} has more than MAX_TABLE_CELLS ({MAX_TABLE_CELLS}) cells; not read")
            continue
        covered = set()
        for merged in sheet.merged_cells.ranges:
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if (r, c) != (merged.min_row, merged.min_col):
                        covered.add((r - 1, c - 1))
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        read_grid(reading, sheet.title, rows, covered)
        reading.pages += 1
    return reading


def read_xls(body: bytes) -> FileReading:
    import xlrd

    reading = FileReading("xlrd")
    try:
        book = xlrd.open_workbook(file_contents=body, formatting_info=True)
    except Exception as error:  # xlrd raises its own errors for damaged and encrypted files
        reading.problems.append(f"unreadable file: the XLS cannot be opened ({type(error).__name__}: {str(error)[:200]})")
        return reading
    for sheet in book.sheets()[:MAX_FILE_PAGES]:
        if sheet.nrows * sheet.ncols > MAX_TABLE_CELLS:
            reading.problems.append(f"limit: sheet {sheet.name!r} has more than MAX_TABLE_CELLS ({MAX_TABLE_CELLS}) cells; not read")
            continue
        covered = {(r, c) for r0, r1, c0, c1 in sheet.merged_cells for r in range(r0, r1) for c in range(c0, c1)
                   if (r, c) != (r0, c0)}  # fmt: skip
        rows = [sheet.row_values(r) for r in range(sheet.nrows)]
        read_grid(reading, sheet.name, rows, covered)
        reading.pages += 1
    return reading
