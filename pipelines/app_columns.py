"""Table 三's columns read by its printed headers, not by position.

The header prints 自然人, the group 法人或其他组织 over its five columns (商业企业 … 其他), and 总计,
over one or two rows; read in document order (HTML rows, or a flattened table's lines) the
group's children come after the group label, so the group label stands for them. A header
whose labels are all there gives the column order; a header with some labels lost gives the
spec's order if the rest agree with it; no header at all gives the spec's order (the format
fixes it). Any other header names no order, and the table's rows are left out with a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, lru_cache

from pipelines.schema import application_columns, core, schema

GROUP = "<group>"


@cache
def header_cores() -> dict[str, str]:
    """core of a printed header label -> column key, or GROUP for the column group."""
    out = {core(spec["label"]): key for key, spec in schema()["applications"]["columns"].items()}
    for spec in schema()["applications"]["columns"].values():
        if spec.get("group"):
            out[core(spec["group"])] = GROUP
    return out


@cache
def grouped() -> frozenset[str]:
    return frozenset(key for key, spec in schema()["applications"]["columns"].items() if spec.get("group"))


@dataclass
class ApplicationHeader:
    seen: list[str] = field(default_factory=list)
    closed: bool = False  # a row has been read under this header
    reported: bool = False  # the problem of an unreadable header is recorded once

    def reset(self) -> None:
        self.seen, self.closed, self.reported = [], False, False

    def see(self, label: str) -> bool:
        """Take a label (its core) that may be a column header; False when it is none."""
        column = header_cores().get(label)
        if column is None:
            return False
        if self.closed:
            self.reset()
        self.seen.append(column)
        return True

    def order(self) -> tuple[str, ...] | None:
        """The columns of the next row, left to right; None when the header names no order."""
        self.closed = True
        return column_order(tuple(self.seen))


@lru_cache(maxsize=256)
def column_order(seen_labels: tuple[str, ...]) -> tuple[str, ...] | None:
    """The column order a header's labels (in document order) give; see ApplicationHeader."""
    spec = application_columns()
    seen = list(dict.fromkeys(seen_labels))
    if not seen:
        return spec
    if GROUP in seen:
        children = [c for c in seen if c in grouped()]
        seen = [c for t in seen if t not in grouped() for c in (children if t == GROUP else [t])]
    if sorted(seen) == sorted(spec):
        return tuple(seen)
    if seen == [c for c in spec if c in seen]:
        return spec  # some header labels lost (a flattened page): the rest agree with the spec
    return None
