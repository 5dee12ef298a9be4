"""Read the standard statistics tables (二, 三, 四) off a page's cells into canonical keys.

The reader walks the cell sequence of pipelines.cells once. A row label it recognises (by its
core, see pipelines.schema.core) is followed by that row's cells: one per column header of
the current sub-table in table 二, 7 in table 三 in the order its printed column headers give
(pipelines.app_columns), 15 in table 四's data row or 5 in each of its sub-tables, in the
order its printed headers give (pipelines.reviews). Empty cells count as 0. A row whose cells
do not come out at the expected count, whose header names no column order, whose cells ran
together with no certain split (pipelines.run_together, pipelines.joint_split) or whose label was lost and is not
confirmed by the identities (pipelines.unlabelled) is reported as a problem and left out,
never guessed. The legacy 政府信息公开情况统计表 is read the same way, under the spec's loose map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from pipelines.active_header import ActiveHeader
from pipelines.app_columns import ApplicationHeader
from pipelines.cells import Cell
from pipelines.joint_split import joint_choice
from pipelines.limits import MAX_RUN_TOGETHER_ROWS, implausible, note, shown
from pipelines.printed import header_openings, review_sub_table_plain
from pipelines.reviews import ReviewLayout, confirmed_by_identities, fused_header, plain
from pipelines.run_together import (
    MAX_DIGITS,
    candidate_splits,
    label_and_digits,
    row_total_holds,
    unique_split,
)
from pipelines.schema import (
    FORMATS,
    ApplicationRow,
    active_column_cores,
    active_row_cores,
    application_column_labels,
    application_columns,
    application_parent_cores,
    application_rows,
    core,
    legacy_table_map,
    measure_unit,
    review_keys,
    review_label_cores,
    review_labels,
    review_measures,
    schema,
)
from pipelines.short_row import certain_cells
from pipelines.unlabelled import confirmed, missing_row

YUAN_PER_10K = Decimal(10000)
MAX_CANDIDATES = 50  # splits of one run-together table-三 row that add up, kept for the joint solve
MAX_SHORT_ROWS = 40  # table-三 rows one cell short weighed on one page (a table has 23-25 rows)
ACTIVE_HEADER = core("信息内容")
LEGACY_HEADER = core("指标名称")
TOTAL_CORE = core("总计")
MAX_HEADER_LABEL = 40  # characters: table 四's header labels, fused ones included, are shorter
NOTE_CORE = core(schema()["applications"]["header_note"])


@dataclass
class Value:
    key: str
    value: Decimal
    source: str  # table (an HTML table) | text (a flattened table) | legacy_table | prose
    row_label: str
    col_label: str
    raw: str  # the cell as printed; "" for an empty cell
    where: dict = field(default_factory=dict)  # {table,row,col} or {line[,col]}
    unit: str = ""

    def as_json(self) -> dict:
        return {
            "value": number_json(self.value),
            "source": self.source,
            "row_label": self.row_label,
            "col_label": self.col_label,
            "raw": self.raw,
            **self.where,
        }


def number_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class RunTogetherRow:
    """A table-三 row printed with its cells run together, and its splits that add up to the
    row's 总计."""

    key: str  # the row, e.g. granted
    columns: list[str]  # printed column order
    adding_up: list[list[Decimal]]
    cell: Cell
    label: str
    digits: str


@dataclass
class ActiveRun:
    """A table-二 row printed with its cells run together, cut into its cells one way."""

    item: str
    columns: list[tuple[str, Cell]]  # (measure, header cell) of the sub-table
    numbers: list[Decimal]
    cell: Cell
    label: str
    digits: str


@dataclass
class ShortRow:
    """A table-三 row printed with 6 of its 7 cells, left to pipelines.short_row."""

    key: str
    columns: list[str]  # printed column order
    cells: list[Cell]  # the 6 printed, empty runs spread
    label: Cell


@dataclass
class TableReading:
    values: dict[str, Value] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    format_labels: set[str] = field(default_factory=set)  # formats whose own labels were seen
    run_together_rows: int = 0  # tried for a split, at most MAX_RUN_TOGETHER_ROWS
    run_together: list[RunTogetherRow] = field(default_factory=list)  # table-三 rows, split at the end
    active_runs: list[ActiveRun] = field(default_factory=list)  # table-二 rows, kept at the end
    empty_cells_shown_by: str | None = None  # the first row that shows the report prints empty cells
    short: list[ShortRow] = field(default_factory=list)  # table-三 rows printed one cell short
    # rows whose cells ran together, split by their own row's identities: (label, digits, keys)
    splits: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)

    def add(self, value: Value) -> None:
        if value.key in self.values:  # a twin table further down (e.g. a summary): keep the first
            self.problems.append(
                f"{value.key} printed twice; kept the first ({self.values[value.key].raw!r})"
            )
            return
        self.values[value.key] = value

    def shows_empty_cells(self, label: str) -> None:
        """`label`'s row shows that the report prints empty cells (the first such row is named)."""
        self.empty_cells_shown_by = self.empty_cells_shown_by or label


def source_of(cell: Cell) -> str:
    return "table" if cell.table is not None else "text"


def row_cells(cells: list[Cell], start: int, expected: int, label: Cell) -> tuple[list[Cell], int] | None:
    """The `expected` value cells from `start` (empty runs count as several); None if a label
    or the end of a real row comes first. Returns the cells and the index after them."""
    out: list[Cell] = []
    width = 0
    i = start
    same_row = label.row_end is False and (label.table is not None or label.col is not None)
    while i < len(cells) and width < expected:
        cell = cells[i]
        if cell.kind == "label":
            break
        if same_row and (cell.table, cell.row, cell.line) != (label.table, label.row, label.line):
            break
        out.append(cell)
        width += cell.width
        i += 1
        if same_row and cell.row_end:
            break
    if same_row and width > expected:  # trailing empty spacer cells of a Word table
        while out and out[-1].kind == "blank" and width - out[-1].width >= expected:
            width -= out.pop().width
    if width != expected:
        return None
    return out, i


def spread(cells: list[Cell]) -> list[Cell]:
    """One entry per table cell: a run of N empty cells becomes N entries."""
    return [cell for cell in cells for _ in range(cell.width)]


def read_tables(cells: list[Cell]) -> TableReading:
    reading = TableReading()
    app_columns = application_columns()
    app_column_cores = {core(label) for label in application_column_labels().values()}
    header = ActiveHeader()  # table 二's column headers of the current sub-table
    parent: str | None = None  # current parent row of table 三, e.g. 不予公开
    in_reviews = False
    review_layout = ReviewLayout()
    app_header = ApplicationHeader()
    last_row: str | None = None  # the table-三 row read last
    guessed: list[str] = []  # rows placed by the format's order, their label lost
    in_legacy = False
    i = 0
    while i < len(cells):
        cell = cells[i]
        if cell.kind != "label":
            if in_reviews:
                got = review_row(reading, cells, i, review_layout)
                if got is None:
                    in_reviews = False
                else:
                    i, in_reviews = got
                    continue
            elif last_row not in (None, "carried_forward") and app_header.closed:
                got = unlabelled_row(reading, cells, i, last_row, parent, app_header)
                if got is not None:
                    i, last_row = got
                    guessed.append(last_row)
                    continue
            i += 1
            continue

        label = core(cell.raw)
        in_header = not label.startswith(ACTIVE_HEADER) and header.see(label, cell)
        if (unread := header.unread_to_report()) is not None:
            reading.problems.append(f"table 二: column header {unread!r} names no column; its rows left out")
        if label == ACTIVE_HEADER:
            header.open()
            in_reviews = False
        elif label.startswith(ACTIVE_HEADER) and (fused := fused_words(label[len(ACTIVE_HEADER) :])):
            # a header row run together: 信息内容本年制发件数本年废止件数现行有效件数
            header.close()
            in_reviews = False
            for word in fused:
                header.add(word, cell)
        elif in_header:
            pass
        elif label in active_row_cores() and header.columns:
            item = active_row_cores()[label]
            got = row_cells(cells, i + 1, len(header.columns), cell)
            if got is None:
                reading.problems.append(
                    f"table 二: row {cell.raw!r} does not have {len(header.columns)} cells"
                )
                if before_a_run_together_row(cells, i):
                    reading.shows_empty_cells(cell.raw)
            else:
                for (measure, header_cell), value_cell in zip(header.columns, spread(got[0]), strict=True):
                    key = f"active.{item}.{measure}"
                    if measure in schema()["active"][item]:
                        add_value(reading, key, value_cell, cell.raw, header_cell.raw, measure_unit(item, measure))
                i = got[1]
                continue
        elif label in active_row_cores() and header.unread is not None:
            reading.problems.append(
                f"table 二: row {cell.raw!r} left out: its column header {header.unread!r} names no column"
            )
        elif in_reviews and review_layout.see(cell.raw):
            pass
        elif opens_reviews(cell.raw, label, reading, app_column_cores):
            in_reviews, review_layout = True, ReviewLayout()
            review_layout.see(cell.raw)
        elif label == LEGACY_HEADER:
            in_legacy = True
        elif in_legacy and label in legacy_table_map():
            number = next((c for c in cells[i + 1 : i + 4] if c.kind == "number"), None)
            if number is not None:
                add_value(
                    reading, legacy_table_map()[label], number, cell.raw, "本年度", source="legacy_table"
                )
        elif (run := run_together(reading, cell)) is not None and run_together_row(
            reading, cell, run, parent, header.columns, app_header
        ):
            pass
        else:
            row = application_row(label, parent)
            if label in application_parent_cores():
                parent = label
            if label in app_column_cores or label == NOTE_CORE:
                in_reviews = False
            if label == NOTE_CORE or label in header_openings():
                app_header.reset()
            if row is not None:
                in_reviews = False
                got = row_cells(cells, i + 1, len(app_columns), cell)
                if got is not None:
                    if row.key == "other.total" and label == parent:
                        parent = None  # 2019: （六）其他处理 is a row, not a parent
                    columns = app_header.order()
                    if columns is None:
                        if not app_header.reported:
                            app_header.reported = True
                            reading.problems.append(
                                "table 三: its column headers name no order of the 7 columns"
                                f" ({', '.join(app_header.seen)}); its rows left out"
                            )
                        i = got[1]
                        continue
                    last_row = row.key
                    for column, value_cell in zip(columns, spread(got[0]), strict=True):
                        add_value(
                            reading,
                            f"applications.{row.key}.{column}",
                            value_cell,
                            cell.raw,
                            application_column_labels()[column],
                        )
                    i = got[1]
                    continue
                short = one_cell_short(cells, i + 1, cell) if len(reading.short) < MAX_SHORT_ROWS else None
                if len(reading.short) == MAX_SHORT_ROWS and next_has_number(cells, i + 1):
                    note(f"limit: more than MAX_SHORT_ROWS ({MAX_SHORT_ROWS}) table-三 rows one cell short; the rest left out")
                if short is not None and app_header.order() is not None:
                    reading.short.append(ShortRow(row.key, app_header.order(), short[0], cell))
                    last_row = row.key
                    i = short[1]
                    continue
                if next_has_number(cells, i + 1):
                    reading.problems.append(
                        f"table 三: row {cell.raw!r} does not have {len(app_columns)} cells"
                    )
                else:
                    app_header.see(label)
                    # among rows run together (the headers, 其他 and 总计 among them, come first);
                    # （六）其他处理 is a parent in 2021, with no numbers of its own
                    if reading.run_together and row.key != "other.total" and before_a_run_together_row(cells, i):
                        reading.shows_empty_cells(cell.raw)
            else:
                app_header.see(label)
        i += 1
    if reading.empty_cells_shown_by:
        left_out_run_together_rows(reading)
    else:
        for run in reading.active_runs:
            for (measure, column), number in zip(run.columns, run.numbers, strict=True):
                add_number(reading, f"active.{run.item}.{measure}", number, run.cell, run.label, column.raw, measure_unit(run.item, measure))
        if reading.run_together:
            settle_run_together_rows(reading)
    for short in reading.short:
        keep_certain_cells(reading, short)
    if guessed:
        confirm_guessed_rows(reading, guessed)
    reading.format_labels |= header.formats
    if any(key.endswith(".no_correction.total") for key in reading.values):
        reading.format_labels.add("2021")
    return reading


def opens_reviews(raw: str, label: str, reading: TableReading, app_column_cores: set[str]) -> bool:
    """A label that starts table 四: one of its headers that table 三 does not print, a
    sub-table label, a fused header, or a bare 总计 once table 三 has been read."""
    if len(raw) > MAX_HEADER_LABEL:
        return False  # prose, not a table header
    if label in review_label_cores() and label not in app_column_cores:
        return True
    if not ("复议" in label or "诉讼" in label or label == TOTAL_CORE):
        return False  # every other opening of table 四 names 复议 or 诉讼
    if plain(raw) in review_sub_table_plain() or fused_header().match(label):
        return True
    return label == TOTAL_CORE and any(key.startswith("applications.carried_forward.") for key in reading.values)


def review_row(reading: TableReading, cells: list[Cell], i: int, layout: ReviewLayout) -> tuple[int, bool] | None:
    """Read table 四's numbers at cells[i]: a 15-cell data row, or one 5-cell sub-table.
    Returns (index after them, whether more of the table follows); None when no row is there
    (a problem is recorded)."""
    cell = cells[i]
    for width, keys, more in (
        (15, layout.order_of_row(), False),
        (5, layout.order_of_sub_table(), True),
    ):
        got = row_cells(cells, i, width, cell)
        if got is None:
            continue
        bare_sub_table = layout.group is not None and layout.under_group == 0  # its headers lost
        if width == 5 and ((keys is None and not bare_sub_table) or more_numbers_follow(cells, got[1], cell)):
            continue  # a sub-table is its label, its 5 headers and 5 cells: anything else is none
        value_cells = spread(got[0])
        if keys is None:
            keys = list(review_keys()) if width == 15 else [f"{layout.group}.{m}" for m in review_measures()]
            numbers = [c.number if c.kind == "number" else Decimal(0) for c in value_cells]
            headed = layout.unreadable or layout.measures or width == 5
            if headed and not confirmed_by_identities(keys, numbers):
                reading.problems.append(
                    f"table 四: headers at {cell.where()} name no order of its {width} cells, and the "
                    "format's order does not add up; left out"
                )
                return got[1], more
        for key, value_cell in zip(keys, value_cells, strict=True):
            add_value(reading, key, value_cell, *review_labels(key))
        layout.group = None
        return got[1], more
    if cell.kind == "number" and (split := review_run_together(reading, cells, i, layout)) is not None:
        return split
    reading.problems.append(f"table 四: the data row at {cell.where()} does not have 15 cells")
    return None


def review_run_together(reading: TableReading, cells: list[Cell], i: int, layout: ReviewLayout) -> tuple[int, bool] | None:
    """Table 四's 15 cells run together into one digit run (`102141130500000`): split where
    exactly one cut gives every group results that add up to its 总计, under the order its
    headers name (the format's order when they name none). None when cells[i] is no such run."""
    cell = cells[i]
    digits = cell.raw.replace(" ", "")
    width = len(review_keys())
    if not digits.isdigit() or not width <= len(digits) <= MAX_DIGITS or more_numbers_follow(cells, i + 1, cell):
        return None
    if reading.run_together_rows >= MAX_RUN_TOGETHER_ROWS:
        return None
    reading.run_together_rows += 1
    keys = layout.order_of_row() or list(review_keys())
    numbers = unique_split(cell.raw, width, lambda parts: confirmed_by_identities(keys, parts))
    if numbers is None:
        reading.problems.append(
            f"table 四: its data row printed with its cells run together ({cell.raw!r}); no split into"
            f" {width} cells adds up in one way only; left out"
        )
        return i + 1, False
    reading.splits.append(("行政复议、行政诉讼", cell.raw, tuple(keys)))
    for key, number in zip(keys, numbers, strict=True):
        add_number(reading, key, number, cell, *review_labels(key))
    layout.group = None
    return i + 1, False


def fewer_digits_than(digits: str, cells: int) -> bool:
    """Too few digits for a row of `cells` cells: some were printed empty."""
    return len(digits.replace(" ", "")) < cells


def before_a_run_together_row(cells: list[Cell], at: int) -> bool:
    """The cell after a row label printed with no number is a row printed with its cells run
    together: the label's row printed every cell empty."""
    return at + 1 < len(cells) and label_and_digits(cells[at + 1].raw) is not None


def run_together(reading: TableReading, cell: Cell) -> tuple[str, str] | None:
    """The label and digits of a row printed with its cells run together, while the page's
    budget of such rows lasts (one `limit:` problem when it runs out)."""
    if reading.run_together_rows > MAX_RUN_TOGETHER_ROWS:
        return None
    run = label_and_digits(cell.raw)
    if run is not None:
        reading.run_together_rows += 1
        if reading.run_together_rows > MAX_RUN_TOGETHER_ROWS:
            note(f"limit: more than MAX_RUN_TOGETHER_ROWS ({MAX_RUN_TOGETHER_ROWS}) rows with their cells run together; the rest not split")
            return None
    return run


def run_together_row(
    reading: TableReading,
    cell: Cell,
    run: tuple[str, str],
    parent: str | None,
    active_columns: list[tuple[str, Cell]],
    app_header: ApplicationHeader,
) -> bool:
    """A row label with its numbers run on (`行政许可2293`): its values where the split is
    unique, else a problem. False when the text before the digits names no row."""
    label, digits = run
    label_core = core(label)
    row = application_row(label_core, parent)
    if row is not None:
        columns = app_header.order()
        if fewer_digits_than(digits, len(application_columns())):
            reading.shows_empty_cells(label)
        adding_up = candidate_splits(digits, len(application_columns()), row_total_holds, MAX_CANDIDATES)
        if columns is None or columns[-1] != "total" or adding_up is None:
            reading.problems.append(no_split(label, digits))
        else:
            reading.run_together.append(RunTogetherRow(row.key, columns, adding_up, cell, label, digits))
        return True
    item = active_row_cores().get(label_core)
    if item is None:
        return False
    if fewer_digits_than(digits.replace(".", ""), len(active_columns)):
        reading.shows_empty_cells(label)
    numbers = unique_split(digits, len(active_columns), lambda _: True) if "." not in digits else None
    if len(active_columns) == 1 and " " not in digits and digits.count(".") <= 1:
        numbers = [Decimal(digits)]
    if numbers is None:
        reading.problems.append(
            f"table 二: row {label!r} printed with its cells run together ({digits!r}); no split"
            f" into {len(active_columns)} cells is certain; left out"
        )
        return True
    for measure, _header in active_columns:
        if measure not in schema()["active"][item]:
            reading.problems.append(f"table 二: row {label!r} ({digits!r}) under a header it has no column of; left out")
            return True
    reading.active_runs.append(ActiveRun(item, active_columns, numbers, cell, label, digits))
    return True


def no_split(label: str, digits: str) -> str:
    return (
        f"table 三: row {label!r} printed with its cells run together ({digits!r}); no split"
        " into 7 cells is certain; left out"
    )


def zero_total_splits(digits: str) -> list[list[Decimal]] | None:
    """Splits of a row whose last cell is a lone 0 that the other six do not add up to (some
    reports print every result row's 总计 as 0); None when there are too many."""
    head = digits[:-1].rstrip()
    if not digits.endswith("0") or not head:
        return []
    found = candidate_splits(head, len(application_columns()) - 1, lambda numbers: sum(numbers) != 0, MAX_CANDIDATES)
    return None if found is None else [[*numbers, Decimal(0)] for numbers in found]


def add_split(reading: TableReading, row: RunTogetherRow, numbers: list[Decimal]) -> None:
    keys = tuple(f"applications.{row.key}.{column}" for column in row.columns)
    reading.splits.append((row.label, row.digits, keys))
    for key, column, number in zip(keys, row.columns, numbers, strict=True):
        add_number(reading, key, number, row.cell, row.label, application_column_labels()[column])


def left_out_run_together_rows(reading: TableReading) -> None:
    """A row printed run together with fewer digits than cells, or a row label with no number
    before such a row, shows that the report prints empty cells (for 0, as many do). Run
    together, an empty cell leaves no trace: the digits of six numbers cut by chance into
    seven that add up (2 27 88 2 _ 58 177 as 2 2 78 82 5 8 177), and 12 under two headers is
    1 and 2 as readily as 12 and nothing. So no row of the report whose cells ran together is
    split."""
    why = (f"the report prints empty cells (row {reading.empty_cells_shown_by!r} has fewer digits than cells, or none),"
           " so no split is certain; left out")
    for table, rows in (("二", reading.active_runs), ("三", reading.run_together)):
        reading.problems.extend(f"table {table}: row {row.label!r} printed with its cells run together ({row.digits!r}); {why}" for row in rows)


def settle_run_together_rows(reading: TableReading) -> None:
    """Run-together rows: a row with one split that adds up keeps it; rows with several are
    kept where one combination of all of them satisfies the table's column identities
    (pipelines.joint_split), else each is left out with a problem. Where a row has no split
    that adds up but ends in a 总计 of 0, the report prints its totals as 0: then every row's
    splits, adding up or ending in 0, are settled together by the six applicant columns'
    identities alone, and only if that fails are the rows read as above."""
    rows = reading.run_together
    if any(zero_total_splits(row.digits) for row in rows if not row.adding_up):
        zero_totals = [zero_total_splits(row.digits) for row in rows]
        every = [row.adding_up + zero_total if zero_total is not None else [] for row, zero_total in zip(rows, zero_totals, strict=True)]
        known = {key: value.value for key, value in reading.values.items()}
        choice = joint_choice(known, [offered(row, splits) for row, splits in zip(rows, every, strict=True)], without_total=True)
        if choice is not None:
            for row, splits, index in zip(rows, every, choice, strict=True):
                add_split(reading, row, splits[index])
            return
        # The report prints a 总计 its row does not add up to, and its columns settle nothing
        # (a 总计 printed 0, or a misprint): a split adding up may be a coincidence, so a row
        # stands only where its digits cut into 7 numbers one way alone.
        for row in rows:
            if candidate_splits(row.digits, len(application_columns()), lambda _: True, 1) is None:
                row.adding_up = []
    for row in rows:
        if len(row.adding_up) == 1:
            add_split(reading, row, row.adding_up[0])
    several = [row for row in rows if len(row.adding_up) > 1]
    known = {key: value.value for key, value in reading.values.items()}
    choice = joint_choice(known, [offered(row, row.adding_up) for row in several]) if several else None
    for n, row in enumerate(several):
        if choice is None:
            reading.problems.append(no_split(row.label, row.digits))
        else:
            add_split(reading, row, row.adding_up[choice[n]])
    reading.problems.extend(no_split(row.label, row.digits) for row in rows if not row.adding_up)


def offered(row: RunTogetherRow, candidates: list[list[Decimal]]) -> list[dict[str, Decimal]]:
    return [{f"applications.{row.key}.{c}": n for c, n in zip(row.columns, numbers, strict=True)} for numbers in candidates]


def one_cell_short(cells: list[Cell], start: int, label: Cell) -> tuple[list[Cell], int] | None:
    """The cells of a table-三 row that ends one cell short of 7, and the index after them."""
    got = row_cells(cells, start, len(application_columns()) - 1, label)
    if got is None or more_numbers_follow(cells, got[1], label) or not any(c.kind == "number" for c in got[0]):
        return None
    return spread(got[0]), got[1]


def keep_certain_cells(reading: TableReading, short: ShortRow) -> None:
    """The cells of a row one cell short whose column is certain (pipelines.short_row)."""
    known = {key: value.value for key, value in reading.values.items()}
    numbers = [c.number if c.kind == "number" else Decimal(0) for c in short.cells]
    certain = certain_cells(known, short.key, short.columns, numbers)
    kept = []
    for column, at in certain.items():
        add_value(reading, f"applications.{short.key}.{column}", short.cells[at], short.label.raw, application_column_labels()[column])
        kept.append(application_column_labels()[column])
    left = [application_column_labels()[c] for c in short.columns if c not in certain]
    reading.problems.append(
        f"table 三: row {short.label.raw!r} has 6 of its 7 cells; kept those whose column is certain"
        f" ({', '.join(kept) or 'none'}); left out {', '.join(left)}"
    )


def fused_words(text: str) -> list[str] | None:
    """Table 二's column headers run together, cut into the cores of its column labels; None
    unless exactly one cut exists."""
    words = active_column_cores()
    cuts: list[list[str]] = []
    stack: list[tuple[int, list[str]]] = [(0, [])]
    while stack and len(cuts) < 2:
        at, taken = stack.pop()
        if at == len(text):
            if taken:
                cuts.append(taken)
            continue
        stack.extend((at + len(word), [*taken, word]) for word in words if text.startswith(word, at))
    return cuts[0] if len(cuts) == 1 else None


def add_number(
    reading: TableReading, key: str, number: Decimal, cell: Cell, row_label: str, col_label: str, unit: str = "件"
) -> None:
    """A value split out of a run-together cell (the cell's text is its raw)."""
    if implausible(number, unit):
        reading.problems.append(f"implausible number: {key} split out of {shown(cell.raw)}; left out")
        return
    reading.add(Value(key, number, source_of(cell), row_label, col_label, cell.raw, cell.where(), unit))


def unlabelled_row(
    reading: TableReading, cells: list[Cell], i: int, previous: str, parent: str | None, header: ApplicationHeader
) -> tuple[int, str] | None:
    """Seven numbers at cells[i] with no label, after table-三 row `previous`: placed in the
    one row the format prints next that was not read, if its own total adds up (the column
    identities are checked once the table is read). None when they are no such row."""
    got = row_cells(cells, i, len(application_columns()), cells[i])
    if got is None or more_numbers_follow(cells, got[1], cells[i]):
        return None
    following = None
    if got[1] < len(cells) and cells[got[1]].kind == "label":
        row = application_row(core(cells[got[1]].raw), parent)
        following = row.key if row is not None else None
    read = {key.split(".", 1)[1].rsplit(".", 1)[0] for key in reading.values if key.startswith("applications.")}
    candidate = missing_row(previous, following, read)
    columns = header.order()
    value_cells = spread(got[0])
    numbers = [c.number if c.kind == "number" else Decimal(0) for c in value_cells]
    if candidate is None or columns is None or not row_total_holds([numbers[columns.index(c)] for c in application_columns()]):
        reading.problems.append(
            f"table 三: 7 numbers without a label at {cells[i].where()} after row {previous!r}; no row"
            " of the format is certain; left out"
        )
        return got[1], previous
    for column, value_cell in zip(columns, value_cells, strict=True):
        add_value(reading, f"applications.{candidate.key}.{column}", value_cell, "", application_column_labels()[column])
    return got[1], candidate.key


def confirm_guessed_rows(reading: TableReading, guessed: list[str]) -> None:
    """Keep rows placed by the format's order only if the column identities then hold."""
    plain = {key: v.value for key, v in reading.values.items()}
    if confirmed(plain):
        return
    for row in guessed:
        for key in [k for k in reading.values if k.startswith(f"applications.{row}.")]:
            del reading.values[key]
        reading.problems.append(
            f"table 三: a row without its label read as {row!r} by the format's order, but the table's"
            " column identities do not confirm it; left out"
        )


def more_numbers_follow(cells: list[Cell], i: int, first: Cell) -> bool:
    """Whether cells[i] continues the numbers that start at `first` (same row, or the next
    cell of a flattened table)."""
    if i >= len(cells) or cells[i].kind == "label":
        return False
    if first.table is not None or first.col is not None:
        return (cells[i].table, cells[i].row, cells[i].line) == (first.table, first.row, first.line)
    return True


def next_has_number(cells: list[Cell], i: int) -> bool:
    """Whether numbers follow before the next label (empty header cells are no row)."""
    for at in range(i, len(cells)):  # not cells[i:]: a copy of the page's rest per row
        cell = cells[at]
        if cell.kind == "label":
            return False
        if cell.kind == "number":
            return True
    return False


def application_row(label: str, parent: str | None) -> ApplicationRow | None:
    """The table-三 row a printed label names; sub-rows such as 3.其他 need their parent."""
    exact = rows_by_core().get(label, [])
    if not exact and len(label) >= 4:
        # either core a prefix of the other, both >= 4 long: they share their first 4 characters
        exact = [
            row
            for row in rows_by_prefix().get(label[:4], ())
            if row.core.startswith(label) or label.startswith(row.core) and len(row.core) >= 4
        ]
    if len(exact) > 1:
        exact = [row for row in exact if row.parent_core == parent] or [
            r for r in exact if r.parent_core is None
        ]
    if len(exact) == 1:
        row = exact[0]
        if row.parent_core and parent and row.parent_core != parent and row.core != label:
            return None
        return row
    return None


@cache
def rows_by_core() -> dict[str, list[ApplicationRow]]:
    """Table-三 rows by their core (a page may hold MAX_PAGE_CELLS labels to look up)."""
    index: dict[str, list[ApplicationRow]] = {}
    for row in application_rows():
        index.setdefault(row.core, []).append(row)
    return index


@cache
def rows_by_prefix() -> dict[str, list[ApplicationRow]]:
    """Rows by the first 4 characters of their core: the fuzzy match looks at a few, not all."""
    index: dict[str, list[ApplicationRow]] = {}
    for row in application_rows():
        index.setdefault(row.core[:4], []).append(row)
    return index


def add_value(
    reading: TableReading,
    key: str,
    cell: Cell,
    row_label: str,
    col_label: str,
    unit: str = "件",
    source: str | None = None,
) -> None:
    value = cell.number if cell.kind == "number" else Decimal(0)
    if unit == "元" and cell.unit == "万元":
        value *= YUAN_PER_10K
    if implausible(value, unit):
        reading.problems.append(f"implausible number: {key} printed as {shown(cell.raw)}; left out")
        return
    reading.add(
        Value(
            key=key,
            value=value,
            source=source or source_of(cell),
            row_label=row_label,
            col_label=col_label,
            raw=cell.raw,
            where=cell.where(),
            unit=unit,
        )
    )


def detect_format(reading: TableReading, report_year: int | None) -> str | None:
    """Labels first (report_formats.md: when year and labels disagree, follow the labels)."""
    for fmt in reversed(FORMATS):
        if fmt in reading.format_labels:
            return fmt
    if report_year is None:
        return None
    return "legacy" if report_year <= 2018 else "2019" if report_year <= 2020 else "2021"
