"""How real reports print table headers and chrome (pipelines/data/printed_labels.yaml).

The spec (report_schema.yaml) holds canonical keys, identities and one label each; the
printed variants real reports use are facts harvested from real reports and live apart from
it, so the parser and the replica's printer read the same catalogue.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from pipelines.schema import (
    active_column_cores,
    application_column_labels,
    core,
    review_label_cores,
    schema,
    squeeze,
)

CATALOGUE = Path(__file__).parent / "data" / "printed_labels.yaml"


@cache
def catalogue() -> dict:
    return yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))


@cache
def header_word_cores() -> frozenset[str]:
    """Cores of every word printed in a header row of tables 二, 三 and 四."""
    words = [*catalogue()["header_words"], *application_column_labels().values()]
    return frozenset(
        [core(word) for word in words] + list(active_column_cores()) + list(review_label_cores())
        + [core(schema()["applications"]["header_note"])]
    )  # fmt: skip


@cache
def page_footer() -> re.Pattern:
    return re.compile(catalogue()["page_footer"])


@cache
def review_sub_table_plain() -> dict[str, str]:
    """A sub-table label of table 四 with only its word characters (the parenthetical names
    the group, so it is kept) -> its group."""
    return {
        re.sub(r"[\W_]+", "", squeeze(label)): group
        for group, labels in catalogue()["review_sub_table_labels"].items()
        for label in labels
    }


@cache
def header_openings() -> frozenset[str]:
    """Cores of the labels printed above table 三's column headers (申请人情况)."""
    return frozenset(core(label) for label in catalogue()["applications_header_openings"])
