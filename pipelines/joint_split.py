"""Table-三 rows whose run-together cells split in several ways that each add up to the row's
总计, settled together by the table's column identities.

Each such row has a few candidate splits (pipelines.run_together). The format's column
identities (app_balance: 本年新收 + 上年结转 = 办理结果总计 + 结转下年度; app_results_sum: the
results add up to 总计, per column) are linear in the rows, so every combination of candidates
is scored by what it leaves over in each identity, row after row, keeping only the distinct
remainders (a dynamic programme over remainders, not over combinations; a remainder the rows
still to come cannot bring back to nothing is dropped). A split is kept only when exactly one
combination leaves nothing over in every identity. Where a report prints its result rows'
总计 as 0, the 总计 column's identities are left out and the applicant columns' decide.

It runs only on a whole table that keeps its own row identities: every row of the format
present (read, or a candidate), and every row read whole adds up to its 总计. A report that
breaks its identities gives no ground for a choice, and its ambiguous rows are left out.
Hand-written: no library solves digit runs under linear identities with a uniqueness test.
"""

from __future__ import annotations

from decimal import Decimal

from pipelines.limits import note
from pipelines.schema import application_columns, application_row_keys, identities
from pipelines.validate import comparison, expansions, key_pattern

COLUMN_RULES = ("app_balance", "app_results_sum_2019", "app_results_sum_2021")
ONLY_2021 = ("other.no_correction", "other.unpaid_fee", "other.other")
MAX_STEPS = 50_000  # remainders times candidates tried on one page (some 0.3 s); more and no split is chosen

Candidate = dict[str, Decimal]  # canonical key -> number, one split of one row


def joint_choice(known: dict[str, Decimal], rows: list[list[Candidate]], without_total: bool = False) -> list[int] | None:
    """The index of each row's candidate in the one combination that satisfies every column
    identity together with the `known` values; None when there is none, more than one, the
    table is not whole or keeps not its row identities, or the search would cost too much.
    `without_total`: some rows add up to no 总计 they print, so the 总计 column's identities
    are no ground; the six applicant columns' identities decide alone."""
    offered = [{key for candidate in candidates for key in candidate} for candidates in rows]
    keys = set(known).union(*offered)
    if len(keys) != len(known) + sum(len(row) for row in offered):
        return None  # a row printed twice, or read whole elsewhere: no single table to solve
    fmt = table_format(keys)
    if not whole(keys, fmt) or not rows_add_up(known):
        return None
    equations = column_equations(keys, fmt)
    if without_total:
        equations = [eq for eq in equations if not any(key.endswith(".total") for key in eq)]
    if not equations or any(known[k] != int(known[k]) for eq in equations for k in eq if k in known):
        return None
    start = [sum(coef * int(known[k]) for k, coef in eq.items() if k in known) for eq in equations]
    touched = [n for n, eq in enumerate(equations) if not set(eq) <= set(known)]
    if any(start[n] for n in range(len(equations)) if n not in touched):
        return None  # an identity of the rows read whole fails: the table breaks its identities
    shifts = [
        [tuple(sum(equations[n][k] * int(v) for k, v in c.items() if k in equations[n]) for n in touched) for c in candidates]
        for candidates in rows
    ]
    # what the rows after each one can still add to each identity, at least and at most: a
    # remainder they cannot bring back to 0 is dropped at once (it would only multiply)
    lowest, highest = [(0,) * len(touched)], [(0,) * len(touched)]
    for row_shifts in reversed(shifts):
        lowest.insert(0, tuple(a + min(s[n] for s in row_shifts) for n, a in enumerate(lowest[0])))
        highest.insert(0, tuple(a + max(s[n] for s in row_shifts) for n, a in enumerate(highest[0])))
    # remainder of each touched identity -> (combinations reaching it, capped at 2; the first one's choices)
    reach: dict[tuple[int, ...], tuple[int, tuple[int, ...]]] = {tuple(start[n] for n in touched): (1, ())}
    steps = 0
    for at, row_shifts in enumerate(shifts):
        steps += len(reach) * len(row_shifts)
        if steps > MAX_STEPS:
            note(f"limit: more than MAX_STEPS ({MAX_STEPS}) tries to settle rows run together; left out")
            return None
        low, high = lowest[at + 1], highest[at + 1]
        following: dict[tuple[int, ...], tuple[int, tuple[int, ...]]] = {}
        for remainder, (count, choices) in reach.items():
            for index, shift in enumerate(row_shifts):
                after = tuple(a + b for a, b in zip(remainder, shift, strict=True))
                if any(a + lo > 0 or a + hi < 0 for a, lo, hi in zip(after, low, high, strict=True)):
                    continue
                seen = following.get(after)
                following[after] = (min(2, count + (seen[0] if seen else 0)), seen[1] if seen else (*choices, index))
        reach = following
    count, choices = reach.get(tuple(0 for _ in touched), (0, ()))
    return list(choices) if count == 1 else None


def table_format(keys: set[str]) -> str:
    return "2021" if any(key.startswith(tuple(f"applications.{k}." for k in ONLY_2021)) for key in keys) else "2019"


def whole(keys: set[str], fmt: str) -> bool:
    return all(f"applications.{row}.{column}" in keys for row in application_row_keys(fmt) for column in application_columns())


def rows_add_up(known: dict[str, Decimal]) -> bool:
    rows = {key.rsplit(".", 1)[0] for key in known if key.startswith("applications.")}
    columns = [column for column in application_columns() if column != "total"]
    for row in rows:
        parts = [known.get(f"{row}.{column}") for column in columns]
        total = known.get(f"{row}.total")
        if total is not None and None not in parts and sum(parts) != total:
            return False
    return True


def column_equations(keys: set[str], fmt: str) -> list[dict[str, int]]:
    """Each column identity of the format as {key: +1 | -1}, left side minus right side."""
    equations = []
    for rule in identities():
        if rule["id"] not in COLUMN_RULES or rule.get("format", fmt) != fmt:
            continue
        for _column, expr in expansions(rule["expr"], fmt):
            sides = comparison(expr)
            if sides is None or sides[0] != "==":
                continue
            equation: dict[str, int] = {}
            for sign, terms in ((1, sides[1]), (-1, sides[2])):
                for term in terms:
                    matched = [term.key] if term.key in keys else [k for k in keys if term.glob and key_pattern(term.glob).match(k)]
                    for key in matched:
                        equation[key] = equation.get(key, 0) + sign
            equations.append(equation)
    return equations
