"""A table-三 row whose label was lost (PDF extraction), placed by the format's fixed row order.

Seven numbers with no label between two rows that were read belong to the one row the format
prints between them, if exactly one such row is missing; they are kept only if the table's
column identities (本年新收 + 上年结转 = 办理结果总计 + 结转下年度; the results add up to 总计)
then hold in every column. Otherwise they are left out with a problem.
"""

from __future__ import annotations

from decimal import Decimal

from pipelines.schema import ApplicationRow, application_rows
from pipelines.validate import checked

ONLY_2021 = ("other.no_correction", "other.unpaid_fee", "other.other")
COLUMN_RULES = ("app_balance", "app_results_sum_2019", "app_results_sum_2021")


def missing_row(previous: str, following: str | None, read: set[str]) -> ApplicationRow | None:
    """The one row between `previous` and `following` (None: the table's end) not yet read."""
    rows = list(application_rows())
    keys = [row.key for row in rows]
    if previous not in keys or (following is not None and following not in keys):
        return None
    end = keys.index(following) if following is not None else len(keys)
    fmt = "2021" if any(key in read or key in (previous, following) for key in ONLY_2021) else None
    between = [
        row for row in rows[keys.index(previous) + 1 : end]
        if row.key not in read and (fmt is None or fmt in row.formats)
    ]  # fmt: skip
    return between[0] if len(between) == 1 else None


def confirmed(values: dict[str, Decimal]) -> bool:
    """Every column identity of table 三 computable and holding."""
    fmt = "2021" if any(key.startswith(tuple(f"applications.{k}." for k in ONLY_2021)) for key in values) else "2019"
    checks, lacking = checked(values, fmt)
    column_checks = [check for check in checks if check.rule in COLUMN_RULES]
    if any(line.split(" ")[0] in COLUMN_RULES for line in lacking):
        return False
    return bool(column_checks) and all(check.ok for check in column_checks)
