"""Rows whose cells a copy ran together (`行政许可2293`, `规章005`, `本年新收…数量120 000012`).

The digits after a row label are split into the row's cells only where the split is certain:
a row of one cell takes all its digits; a table-三 row's candidates are its splits into 7
numbers whose first six add up to the seventh (its 总计), and a row with several is settled
by the table's column identities together with the other rows (pipelines.joint_split), as
are the rows of a report that prints its result rows' 总计 as 0 (pipelines.values). Any
other run is left out with a problem that says so. Hand-written: no library splits digit
runs under a sum constraint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal

from pipelines.schema import squeeze

RUN = re.compile(r"^(?P<label>.*[^\d\s,.])(?P<digits>\d[\d ]*(?:\.\d+)?)$")
MAX_DIGITS = 40  # a table-三 row of 7 numbers; longer runs are not tried
MAX_SPLITS = 20000  # cuts tried per row (finished splits and dead ends)
MAX_RUN_LINE = 200  # characters: a longer text is prose, not a row


def label_and_digits(raw: str) -> tuple[str, str] | None:
    tail = raw[-1:]  # a cell's text is trimmed
    if not ("0" <= tail <= "9" or "０" <= tail <= "９") or len(raw) > MAX_RUN_LINE:
        return None
    match = RUN.match(squeeze(raw).replace("\u00a0", "") if " " not in raw else raw.strip())
    if match is None or len(match.group("digits")) > MAX_DIGITS:
        return None
    return match.group("label").strip(), match.group("digits").strip()


def unique_split(digits: str, count: int, holds: Callable[[list[Decimal]], bool]) -> list[Decimal] | None:
    """The one way to cut `digits` (spaces are cuts already) into `count` numbers for which
    `holds` is true; None when there is none or more than one."""
    found = candidate_splits(digits, count, holds, 1)
    return found[0] if found is not None and len(found) == 1 else None


def candidate_splits(
    digits: str, count: int, holds: Callable[[list[Decimal]], bool], most: int
) -> list[list[Decimal]] | None:
    """Every way to cut `digits` into `count` numbers for which `holds` is true; None when
    there are more than `most` of them or more than MAX_SPLITS cuts to try."""
    found: list[list[Decimal]] = []
    steps = [MAX_SPLITS]  # every cut tried counts, the dead ends too (a 15-cell row explodes)
    try:
        for parts in splits(digits.split(), count, steps):
            numbers = [Decimal(p) for p in parts]
            if holds(numbers):
                found.append(numbers)
                if len(found) > most:
                    return None
    except BudgetSpent:
        return None
    return found


class BudgetSpent(Exception):
    pass


def spend(steps: list[int]) -> None:
    steps[0] -= 1
    if steps[0] < 0:
        raise BudgetSpent


def splits(tokens: list[str], count: int, steps: list[int]) -> Iterator[list[str]]:
    if not tokens:
        if count == 0:
            yield []
        return
    first, rest = tokens[0], tokens[1:]
    for pieces in cuts(first, count - len(rest), steps):
        for tail in splits(rest, count - len(pieces), steps):
            yield pieces + tail


def cuts(token: str, most: int, steps: list[int]) -> Iterator[list[str]]:
    """Ways to cut one digit token into 1..most numbers (no leading zeros but a lone 0)."""
    spend(steps)
    if most < 1:
        return
    if len(token) == 1 or token[0] != "0":
        yield [token]
    if most == 1:
        return
    for i in range(1, len(token)):
        head = token[:i]
        if len(head) > 1 and head[0] == "0":
            break
        for tail in cuts(token[i:], most - 1, steps):
            yield [head, *tail]


def row_total_holds(numbers: list[Decimal]) -> bool:
    return sum(numbers[:-1]) == numbers[-1]
