"""Check a report's numbers against the identities of the spec, recording both sides.

The identities are the `expr` strings of report_schema.yaml, evaluated as written: terms are
canonical keys (with {c} over the table-三 columns and {r} over its rows of the report's
format) or sum(pattern.*) over keys, joined by + and compared with == or <=. A check whose
terms were not all read (a table cut short, a row left out) cannot pass: `checked` names
it, and the report is `incomplete`, never `ok`. Cross-year rules need other reports and are
left to the database. A report that fails is stored as printed, never corrected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from pipelines.schema import application_columns, application_row_keys, identities, review_keys

TERM = re.compile(r"^(?:sum\((?P<pattern>[\w.*]+)\)|(?P<key>[\w.]+))$")
SUM_PATTERN = re.compile(r"sum\(([\w.*{}]+)\)")
COMPARISON = re.compile(r"^(?P<left>[^=<>]+)(?P<op>==|<=)(?P<right>[^=<>]+)$")  # sides stripped by the reader


@dataclass
class Check:
    rule: str
    subject: str  # the column or row it was checked for, "" when the rule has no placeholder
    ok: bool
    expected: float  # the printed total (or the left side when both sides are sums)
    actual: float  # what the parts add up to
    expression: str  # the rule with its placeholders filled in
    strict: bool

    def as_json(self) -> dict:
        return {
            "rule": self.rule, "subject": self.subject, "ok": self.ok, "expected": self.expected,
            "actual": self.actual, "expression": self.expression, "strict": self.strict,
        }  # fmt: skip


def validate(values: dict[str, Decimal], fmt: str | None) -> list[Check]:
    return checked(values, fmt)[0]


def checked(values: dict[str, Decimal], fmt: str | None) -> tuple[list[Check], list[str]]:
    """The checks that could be computed, and 'rule subject: key, …' for each strict check
    that lacks some of its terms."""
    if fmt not in ("2019", "2021") or not values:
        return [], []
    sums = complete_sums(values, fmt)
    checks: list[Check] = []
    lacking: list[str] = []
    for rule in identities():
        if rule.get("format", fmt) != fmt:
            continue
        if rule["id"] == "non_negative":
            checks += non_negative(values, rule)
            continue
        for subject, expr in expansions(rule["expr"], fmt):
            sides = comparison(expr)
            if sides is None:
                continue  # a cross-year or prose rule: not computable from one report
            check = evaluate(rule, subject, expr, sides, values, sums)
            if check is not None:
                checks.append(check)
            elif rule["strict"]:
                missing = [t.text for side in sides[1:] for t in side if term_value(t, values, sums) is None]
                lacking.append(f"{rule['id']} {subject}".strip() + ": " + ", ".join(missing))
    return checks, lacking


@cache
def expansions(expr: str, fmt: str) -> tuple[tuple[str, str], ...]:
    if "{c}" in expr:
        return tuple((c, expr.replace("{c}", c)) for c in application_columns())
    if "{r}" in expr:
        return tuple((r, expr.replace("{r}", r)) for r in application_row_keys(fmt))
    return (("", expr),)


@cache
def comparison(expr: str) -> tuple[str, tuple[Term, ...], tuple[Term, ...]] | None:
    """(operator, terms of the left side, terms of the right side); None when the rule is
    no comparison of terms."""
    match = COMPARISON.match(expr.strip())
    if match is None:
        return None
    left, right = (
        tuple(term(t.strip()) for t in match.group(side).strip().split(" + ")) for side in ("left", "right")
    )
    return match.group("op"), left, right


@dataclass(frozen=True)
class Term:
    text: str  # as written in the rule
    key: str | None = None  # a canonical key
    glob: str | None = None  # or the pattern of sum(pattern)


def term(text: str) -> Term:
    match = TERM.match(text)
    if match is None:
        return Term(text)  # never has a value
    return Term(text, match.group("key"), match.group("pattern"))


def evaluate(
    rule: dict,
    subject: str,
    expr: str,
    sides: tuple[str, tuple[Term, ...], tuple[Term, ...]],
    values: dict[str, Decimal],
    sums: dict[str, Decimal],
) -> Check | None:
    op, *terms_of_sides = sides
    totals = []
    for terms in terms_of_sides:
        total = Decimal(0)
        for part in terms:
            value = term_value(part, values, sums)
            if value is None:
                return None
            total += value
        totals.append((total, len(terms) == 1 and "sum(" not in terms[0].text))
    (left, left_single), (right, right_single) = totals
    ok = left == right if op == "==" else left <= right
    printed, parts = (right, left) if right_single and not left_single else (left, right)
    return Check(rule["id"], subject, ok, float(printed), float(parts), expr, rule["strict"])


def keys_checked(check: Check, keys: Iterable[str]) -> set[str]:
    """The keys among `keys` a check adds up or compares (the one key of non_negative)."""
    sides = comparison(check.expression)
    if sides is None:
        return {check.subject} & set(keys)
    found: set[str] = set()
    for part in (*sides[1], *sides[2]):
        if part.key is not None:
            found.add(part.key)
        elif part.glob is not None:
            found |= {key for key in keys if key_pattern(part.glob).match(key)}
    return found & set(keys)


def complete_sums(values: dict[str, Decimal], fmt: str) -> dict[str, Decimal]:
    """one_part_sums, less every sum some of whose rows of the format were not read: a sum
    over the rows that were is no figure the report prints, and checked against its total it
    fails a report that printed nothing wrong (its check lacks a term instead)."""
    sums = one_part_sums(values)
    return {glob: total for glob, total in sums.items() if all(key in values for key in glob_members(glob, fmt))}


@cache
def glob_members(glob: str, fmt: str) -> tuple[str, ...]:
    """The canonical keys of the format a sum(pattern) adds up."""
    keys = [f"applications.{row}.{column}" for row in application_row_keys(fmt) for column in application_columns()]
    pattern = key_pattern(glob)
    return tuple(key for key in (*keys, *review_keys()) if pattern.match(key))


def one_part_sums(values: dict[str, Decimal]) -> dict[str, Decimal]:
    """What each sum(pattern) with one * adds up to, for every such pattern the keys match:
    one pass over the values instead of one per term."""
    sums: dict[str, Decimal] = {}
    for key, value in values.items():
        parts = key.split(".")
        for star in star_places().get(len(parts), ()):
            glob = ".".join([*parts[:star], "*", *parts[star + 1 :]])
            sums[glob] = sums.get(glob, Decimal(0)) + value
    return sums


@cache
def star_places() -> dict[int, tuple[int, ...]]:
    """Where the * of the identities' one-star patterns is, by their number of key parts."""
    places: dict[int, set[int]] = {}
    for rule in identities():
        for glob in SUM_PATTERN.findall(rule["expr"]):
            parts = glob.split(".")
            if parts.count("*") == 1:
                places.setdefault(len(parts), set()).add(parts.index("*"))
    return {size: tuple(sorted(stars)) for size, stars in places.items()}


def term_value(term: Term, values: dict[str, Decimal], sums: dict[str, Decimal]) -> Decimal | None:
    if term.key is not None:
        return values.get(term.key)
    if term.glob is None:
        return None
    if term.glob.count("*") == 1:
        return sums.get(term.glob)
    pattern = key_pattern(term.glob)
    found = [value for key, value in values.items() if pattern.match(key)]
    return sum(found, Decimal(0)) if found else None


@cache
def key_pattern(glob: str) -> re.Pattern:
    """'applications.denied.*.total' -> a regex over canonical keys (* is one key part)."""
    return re.compile(re.escape(glob).replace(r"\*", r"[^.]+") + "$")


def non_negative(values: dict[str, Decimal], rule: dict) -> list[Check]:
    counted = [key for key in values if key.startswith("applications.") or key in review_keys()]
    if not counted:
        return []
    smallest = min(counted, key=lambda key: values[key])
    return [
        Check(
            rule["id"],
            smallest,
            values[smallest] >= 0,
            0.0,
            float(values[smallest]),
            f"min over {len(counted)} counts ({smallest}) >= 0",
            rule["strict"],
        )
    ]
