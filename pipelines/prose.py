"""Figures a legacy (pre-2019) report states plainly in its prose, under the closest key.

The sentences and keys are the spec's `legacy_prose` patterns; a value found here is marked
as taken from prose, and never replaces one read from a table.
"""

from __future__ import annotations

from decimal import Decimal

from pipelines.limits import implausible, note, shown
from pipelines.schema import legacy_prose_patterns
from pipelines.values import Value


def prose_values(text: str) -> dict[str, Value]:
    found: dict[str, Value] = {}
    for key, pattern in legacy_prose_patterns():
        if key in found:
            continue
        match = pattern.search(text)
        if match is None:
            continue
        number = match.groupdict().get("n")
        value = Decimal(number) if number is not None else Decimal(0)
        if implausible(value, "件"):
            note(f"implausible number: {key} stated as {shown(number)}; left out")
            continue
        found[key] = Value(
            key=key,
            value=value,
            source="prose",
            row_label=sentence_around(text, match.start(), match.end()),
            col_label="",
            raw=match.group(),
            where={"offset": match.start()},
        )
    return found


def sentence_around(text: str, start: int, end: int, limit: int = 120) -> str:
    left = max(text.rfind(stop, 0, start) for stop in "。；\n") + 1
    right = min((i for i in (text.find(stop, end) for stop in "。；\n") if i >= 0), default=len(text))
    return text[left:right][:limit]
