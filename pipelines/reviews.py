"""Table 四 (行政复议、行政诉讼) read by its printed headers, in the layouts real reports use.

Reports print the table as one 15-cell data row under two header rows, as three 5-cell
sub-tables each under its group label (行政复议 / 行政诉讼（未经复议直接起诉） / 行政诉讼（复议后起诉）),
with a fused header (行政复议行政诉讼, `维持 | 纠正 | 结果 | 审结`), or with no header left at all.
The measure headers seen decide which number is which; where they cannot be read, the spec's
fixed order is used only when the table's own identities (each group's four results add up to
its 总计) confirm it, and otherwise the row is left out with a problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache

from pipelines.printed import catalogue, review_sub_table_plain
from pipelines.schema import core, review_groups, review_labels, review_measures, squeeze

NOT_WORD = re.compile(r"[\W_]+")


@cache
def measure_cores() -> dict[str, str]:
    return {core(review_labels(f"{review_groups()[0]}.{m}")[1]): m for m in review_measures()}


@cache
def group_cores() -> dict[str, str]:
    return {core(review_labels(f"{g}.{review_measures()[0]}")[0]): g for g in review_groups()}


@cache
def fused_header() -> re.Pattern:
    """A label made of two or more table-四 header words run together."""
    words = sorted(
        {*measure_cores(), *group_cores(), *(core(w) for w in catalogue()["header_words"]), core("行政诉讼")},
        key=len,
        reverse=True,
    )
    alternation = "|".join(re.escape(w) for w in words if w)
    return re.compile(f"^(?:{alternation})(?:{alternation})+$")


@lru_cache(maxsize=1 << 12)
def plain(text: str) -> str:
    """Word characters only, parentheticals kept (they name the sub-table's group)."""
    return NOT_WORD.sub("", squeeze(text))


@dataclass
class ReviewLayout:
    measures: list[str] = field(default_factory=list)  # measure headers in printed order
    groups: list[str] = field(default_factory=list)  # group headers in printed order
    group: str | None = None  # the group of the sub-table being read
    under_group: int = 0  # measure headers seen since that group's label
    unreadable: bool = False  # header words seen that name no single measure (fused headers)

    def see(self, raw: str) -> bool:
        """Take a label of the table's header; False when it is none."""
        label = core(raw)
        sub_table = review_sub_table_plain().get(plain(raw))
        if label in measure_cores():
            self.measures.append(measure_cores()[label])
            self.under_group += 1
        elif sub_table is not None and (raw.strip() != "行政复议" or not self.groups):
            self.groups.append(sub_table)
            self.group, self.under_group = sub_table, 0
        elif label in group_cores():
            self.groups.append(group_cores()[label])
        elif label == core("行政诉讼"):
            self.group = None  # the one-row layout: 行政复议 | 行政诉讼 are column groups
        elif fused_header().match(label) or label in {core(w) for w in catalogue()["header_words"]}:
            self.unreadable = True
        else:
            return False
        return True

    def order_of_row(self) -> list[str] | None:
        """Keys of a 15-cell data row by the headers seen; None when they do not say."""
        if self.unreadable or not self.measures:
            return None
        groups = list(dict.fromkeys(self.groups))
        if sorted(groups) != sorted(review_groups()):
            # some group headers lost (flattened): the spec's order, if the rest agree with it
            in_spec_order = [g for g in review_groups() if g in groups] == groups
            groups = list(review_groups()) if in_spec_order else []
        chunks = [self.measures[i : i + 5] for i in range(0, len(self.measures), 5)]
        if len(chunks) == 1:
            chunks *= 3
        if not groups or len(chunks) != 3 or any(sorted(c) != sorted(review_measures()) for c in chunks):
            return None
        return [f"{g}.{m}" for g, chunk in zip(groups, chunks, strict=True) for m in chunk]

    def order_of_sub_table(self) -> list[str] | None:
        """Keys of a 5-cell sub-table: its group label, its 5 measure headers, its numbers."""
        if self.group is None or self.under_group != len(review_measures()):
            return None
        measures = self.measures[-5:]
        if self.unreadable or sorted(measures) != sorted(review_measures()):
            return None
        return [f"{self.group}.{m}" for m in measures]


def confirmed_by_identities(keys: list[str], numbers: list[Decimal]) -> bool:
    """Each group among `keys` that has all five measures: its four results add up to 总计."""
    by_key = dict(zip(keys, numbers, strict=True))
    groups = {key.split(".")[0] for key in keys}
    for group in groups:
        parts = [by_key.get(f"{group}.{m}") for m in review_measures()]
        if any(p is None for p in parts) or sum(parts[:-1]) != parts[-1]:
            return False
    return True
