"""The report schema (pipelines/spec/report_schema.yaml) as Python lookups.

Every label, canonical key and identity the parser, the validator and the replica use comes
from that file; this module only indexes it and says how printed labels are normalised
before they are compared.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import yaml

SPEC = Path(__file__).parent / "spec" / "report_schema.yaml"
FORMATS = ("2019", "2021")


@cache
def schema() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


# -- label normalisation -------------------------------------------------------------------
NUMBERING = re.compile(
    r"^(?:其中[:：]?)?(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.、．])"
)
PARENTHESES = re.compile(r"[(（][^()（）]*[)）]")
NOT_WORD = re.compile(r"[\W_]+")
WHITESPACE = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """NFKC (full-width digits and brackets become ASCII), no whitespace at all."""
    return WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def core(label: str) -> str:
    """A printed label reduced to what identifies it: no numbering, no parenthetical,
    no punctuation or quotes, synonyms replaced (（六）其他处理 and (六) 其他处理 agree)."""
    return short_label_core(label) if len(label) <= SHORT_LABEL else label_core(label)


def label_core(label: str) -> str:
    """`core` of a label, computed."""
    text = NUMBERING.sub("", squeeze(label))
    text = PARENTHESES.sub("", text) or text
    text = NOT_WORD.sub("", text)
    for variant, canonical in schema()["label_synonyms"].items():
        text = text.replace(variant, canonical)
    return text


# Labels repeat from page to page: the core of each short one is computed once. Long ones
# (a paragraph read as a cell) are not kept, so the cache stays small.
SHORT_LABEL = 64
short_label_core = lru_cache(maxsize=1 << 14)(label_core)


# -- table 三: applications ----------------------------------------------------------------
@dataclass(frozen=True)
class ApplicationRow:
    key: str  # e.g. "denied.state_secret"
    label: str
    core: str
    parent_core: str | None
    formats: tuple[str, ...]


@cache
def application_columns() -> tuple[str, ...]:
    return tuple(schema()["applications"]["columns"])


@cache
def application_column_labels() -> dict[str, str]:
    return {key: spec["label"] for key, spec in schema()["applications"]["columns"].items()}


@cache
def application_rows() -> tuple[ApplicationRow, ...]:
    return tuple(
        ApplicationRow(
            key,
            spec["label"],
            core(spec["label"]),
            core(spec["parent"]) if spec.get("parent") else None,
            tuple(spec["formats"]),
        )
        for key, spec in schema()["applications"]["rows"].items()
    )


@cache
def application_parent_cores() -> frozenset[str]:
    return frozenset(row.parent_core for row in application_rows() if row.parent_core)


def application_row_keys(fmt: str) -> list[str]:
    return [row.key for row in application_rows() if fmt in row.formats]


# -- table 四: reviews and litigation ------------------------------------------------------
@cache
def review_groups() -> tuple[str, ...]:
    return tuple(schema()["reviews_litigation"]["groups"])


@cache
def review_measures() -> tuple[str, ...]:
    return tuple(schema()["reviews_litigation"]["measures"])


@cache
def review_keys() -> tuple[str, ...]:
    """The 15 numbers of the table's data row, in printed order."""
    return tuple(f"{group}.{measure}" for group in review_groups() for measure in review_measures())


def review_labels(key: str) -> tuple[str, str]:
    """(group label, measure label) of a table-四 key, e.g. ('复议后起诉', '尚未审结')."""
    spec = schema()["reviews_litigation"]
    group, measure = key.split(".")
    return spec["groups"][group]["label"], spec["measures"][measure]["label"]


@cache
def review_label_cores() -> frozenset[str]:
    spec = schema()["reviews_litigation"]
    labels = [g["label"] for g in spec["groups"].values()] + [m["label"] for m in spec["measures"].values()]
    return frozenset(core(label) for label in [*labels, "行政诉讼"])


# -- table 二: active disclosure -----------------------------------------------------------
@dataclass(frozen=True)
class ActiveMeasure:
    item: str
    measure: str
    label: str  # column label as printed in this format
    fmt: str
    unit: str


def _format_label(label: str, fmt: str) -> str:
    """'处理决定数量 (2019) / 本年处理决定数量 (2021)' -> the label of one format."""
    if " / " not in label:
        return label
    return next(p for p in label.split(" / ") if f"({fmt})" in p).replace(f" ({fmt})", "")


@cache
def active_measures(item: str, fmt: str) -> tuple[ActiveMeasure, ...]:
    out = []
    for measure, spec in schema()["active"][item].items():
        if fmt in spec["formats"]:
            out.append(ActiveMeasure(item, measure, _format_label(spec["col"], fmt), fmt, spec["unit"]))
    return tuple(out)


@cache
def active_items() -> tuple[str, ...]:
    return tuple(schema()["active_rows"])


def active_row_label(item: str, fmt: str) -> str | None:
    return schema()["active_rows"][item]["labels"].get(fmt)


def active_article(item: str) -> str:
    return schema()["active_rows"][item]["article"]


@cache
def active_row_cores() -> dict[str, str]:
    """core label -> item, over both formats (规范性文件 is printed in 2021 reports too) and the
    misprinted variants real reports use (pipelines/data/printed_labels.yaml)."""
    from pipelines.printed import catalogue  # printed reads the spec through this module

    out = {}
    for item, spec in schema()["active_rows"].items():
        for label in [*spec["labels"].values(), *catalogue()["active_row_label_variants"].get(item, [])]:
            out[core(label)] = item
    return out


@cache
def active_column_cores() -> dict[str, tuple[str, str]]:
    """core column label -> (measure, format)."""
    out = {}
    for item in active_items():
        for fmt in FORMATS:
            for m in active_measures(item, fmt):
                out.setdefault(core(m.label), (m.measure, fmt))
    return out


@cache
def measure_unit(item: str, measure: str) -> str:
    return schema()["active"][item][measure]["unit"]


# -- format detection, sections, numbers ---------------------------------------------------
@cache
def format_markers() -> dict[str, frozenset[str]]:
    """Column labels that only one format prints."""
    by_format: dict[str, set[str]] = {fmt: set() for fmt in FORMATS}
    for item in active_items():
        for fmt in FORMATS:
            by_format[fmt].update(core(m.label) for m in active_measures(item, fmt))
    return {
        fmt: frozenset(labels - set().union(*(by_format[f] for f in FORMATS if f != fmt)))
        for fmt, labels in by_format.items()
    }


@cache
def sections() -> tuple[tuple[int, str], ...]:
    return tuple((s["n"], s["label"]) for s in schema()["sections"])


@cache
def no_data_cells() -> frozenset[str]:
    return frozenset(squeeze(cell) for cell in schema()["no_data_cells"])


@cache
def units() -> tuple[str, ...]:
    return tuple(sorted(schema()["number_rules"]["strip_units"], key=len, reverse=True))


# -- legacy --------------------------------------------------------------------------------
@cache
def legacy_table_map() -> dict[str, str]:
    return {core(label): key for label, key in schema()["legacy_statistics_table"]["loose_map"].items()}


@cache
def legacy_prose_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    return tuple(
        (key, re.compile(pattern))
        for key, patterns in schema()["legacy_prose"].items()
        for pattern in patterns
    )


# -- identities ----------------------------------------------------------------------------
@cache
def identities() -> tuple[dict, ...]:
    spec = schema()["identities"]
    return tuple({**rule, "strict": kind == "strict"} for kind in ("strict", "soft") for rule in spec[kind])
