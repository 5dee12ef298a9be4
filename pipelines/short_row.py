"""A table-三 row printed one cell short (a multi-line cell pulled out of the row by a copy or a
PDF reader): which of its cells are certain.

The missing cell may have been any of the 7. Each place it could have been gives the six
printed cells other columns. When the table's other rows add up to their 总计, a place is kept
only if this row can still add up (the cell missing from a part leaves 总计 minus the other
parts, which must not be negative) and, on a whole table, every column identity not touching
the missing column holds; a report whose rows break their 总计 keeps every place. A column is certain when every place kept gives it a cell, and the same number.
The missing cell itself is never filled in. Hand-written: no library places a lost table cell.
"""

from __future__ import annotations

from decimal import Decimal

from pipelines.joint_split import column_equations, rows_add_up, table_format, whole


def certain_cells(known: dict[str, Decimal], row: str, columns: list[str], numbers: list[Decimal]) -> dict[str, int]:
    """{column: index of its printed cell} of the cells of table-三 row `row` whose column is
    certain; `columns` is the printed order of the 7 columns and `numbers` the 6 cells printed."""
    keys = set(known) | {f"applications.{row}.{column}" for column in columns}
    fmt = table_format(keys)
    adds_up = rows_add_up(known)  # a report whose rows break their 总计 gives its identities no weight
    equations = column_equations(keys, fmt) if adds_up and whole(keys, fmt) else []
    places: list[dict[str, int]] = []  # column -> printed index, for each place the gap may be
    for gap, missing in enumerate(columns):
        place = {column: n if n < gap else n - 1 for n, column in enumerate(columns) if n != gap}
        parts = sum(numbers[at] for column, at in place.items() if column != "total")
        if adds_up and missing != "total" and numbers[place["total"]] < parts:
            continue
        values = {**known, **{f"applications.{row}.{c}": numbers[at] for c, at in place.items()}}
        lost = f"applications.{row}.{missing}"
        if all(sum(coef * values[k] for k, coef in eq.items()) == 0 for eq in equations if lost not in eq):
            places.append(place)
    certain: dict[str, int] = {}
    for column in columns:
        seen = {numbers[place[column]] if column in place else None for place in places}
        if len(seen) == 1 and None not in seen:
            certain[column] = places[0][column]
    return certain
