"""A table-三 row printed one cell short (a multi-line cell pulled out of the row by a copy or a
PDF reader): which of its cells are certain.

The missing cell may have been any of the 7. Each place it could have been gives the six
printed cells other columns, and the lost cell the one number that lets the row add up (总计
minus the parts, or the parts' sum when 总计 is the one lost; never negative). A place is
kept only when, with that number in the gap, every column identity of the whole table holds.
Without those identities (a partial table, a report whose rows break their 总计) nothing is
certain: a row can also be one cell short because two of its cells ran together, which no
count of cells tells apart. A column is certain when every place kept gives it a cell, and the
same number. The missing cell itself is never filled in. Hand-written: no library places a lost table cell.
"""

from __future__ import annotations

from decimal import Decimal

from pipelines.joint_split import column_equations, rows_add_up, table_format, whole


def certain_cells(known: dict[str, Decimal], row: str, columns: list[str], numbers: list[Decimal]) -> dict[str, int]:
    """{column: index of its printed cell} of the cells of table-三 row `row` whose column is
    certain; `columns` is the printed order of the 7 columns and `numbers` the 6 cells printed."""
    keys = set(known) | {f"applications.{row}.{column}" for column in columns}
    fmt = table_format(keys)
    if not (rows_add_up(known) and whole(keys, fmt)):
        return {}  # no identities to tell where the cell was lost, or that one was lost at all
    equations = column_equations(keys, fmt)
    places: list[dict[str, int]] = []  # column -> printed index, for each place the gap may be
    for gap, missing in enumerate(columns):
        place = {column: n if n < gap else n - 1 for n, column in enumerate(columns) if n != gap}
        parts = sum(numbers[at] for column, at in place.items() if column != "total")
        lost_value = parts if missing == "total" else numbers[place["total"]] - parts
        if lost_value < 0:
            continue
        values = {**known, **{f"applications.{row}.{c}": numbers[at] for c, at in place.items()}}
        values[f"applications.{row}.{missing}"] = lost_value
        if all(sum(coef * values[k] for k, coef in eq.items()) == 0 for eq in equations):
            places.append(place)
    certain: dict[str, int] = {}
    for column in columns:
        seen = {numbers[place[column]] if column in place else None for place in places}
        if len(seen) == 1 and None not in seen:
            certain[column] = places[0][column]
    return certain
