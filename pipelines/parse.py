"""A clean page -> kind, metadata, sections, every table value under its canonical key, and
the identity checks of those values.

Pure: the input is the de-garbled document (pipelines.process.CleanDocument), so the crawl,
`govcrawl parse` and `govcrawl reparse` give the same result for the same bytes. An HTML
page comes with its one element tree, from which metadata and then cells are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from pipelines.cells import Cell, html_cells, text_cells
from pipelines.joint_split import COLUMN_RULES
from pipelines.metadata import Metadata, classify, read_metadata
from pipelines.prose import prose_values
from pipelines.sections import split_sections
from pipelines.text import tags_stripped
from pipelines.validate import Check, checked, keys_checked
from pipelines.values import TableReading, Value, detect_format, number_json, read_tables

REPORT_KINDS = ("annual_report", "work_summary")


@dataclass
class ParsedDocument:
    doc_kind: str
    metadata: Metadata
    format: str | None
    sections: list[dict] = field(default_factory=list)
    values: dict[str, Value] = field(default_factory=dict)
    validation: list[Check] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)  # strict checks lacking terms

    @classmethod
    def unparsed(cls, problem: str) -> ParsedDocument:
        return cls("other", Metadata(None, None, None, None, None), None, problems=[problem])

    @property
    def validation_status(self) -> str:
        """failed (a strict identity does not hold) | incomplete (none fails, but some could
        not be checked: their terms were not read) | ok | unchecked (nothing to check)."""
        strict = [check for check in self.validation if check.strict]
        if not all(check.ok for check in strict):
            return "failed"
        if self.unverified:
            return "incomplete"
        return "ok" if strict else "unchecked"

    def as_json(self) -> dict:
        return {
            "doc_kind": self.doc_kind,
            "title": self.metadata.title,
            "agency": self.metadata.agency,
            "report_year": self.metadata.report_year,
            "published_date": self.metadata.published_date,
            "source": self.metadata.source,
            "format": self.format,
            "sections": self.sections,
            "values": {key: number_json(v.value) for key, v in self.values.items()},
            "value_sources": {key: v.as_json() for key, v in self.values.items()},
            "validation_status": self.validation_status,
            "validation": [check.as_json() for check in self.validation],
            "problems": self.problems,
        }


def parse_document(
    document: str, is_html: bool, text: str, tree: etree._Element | None, url: str | None = None
) -> ParsedDocument:
    """`document`: the clean page (HTML or plain text); `text`: its plain text; `tree`: the
    page's element tree (None for plain text, or HTML libxml2 could not build); `url`: where
    it was fetched, evidence of its kind and year. The cell reader marks line breaks in the
    tree, so metadata is read first."""
    metadata = read_metadata(tree, text, url)
    if tree is not None:
        cells = html_cells(tree, text)
    else:
        cells = text_cells(tags_stripped(document) if is_html else document)
    return parse_cells(metadata, text, cells, url)


def unconfirmed_splits(reading: TableReading, checks: list[Check], values: dict[str, Value]) -> list[str]:
    """Rows whose run-together cells were split by their own row's identities are taken out
    again (one problem each) when an identity of the report fails over their values: the
    report then misprints a figure, and a split can absorb the slip (1202991749, printed
    12 0 29 9 1 7 with a 总计 of 49 that they do not add up to, also splits as 12 0 2 9 9 17 49,
    which does); which cells were printed cannot be told. A split is kept where every cell of
    it outside the 总计 column is confirmed by its column's identities: then the cells are
    certain, and its 总计 is the digits left after them (a report that prints its result
    rows' 总计 as 0 fails its row identities, not the split)."""
    failed = [check for check in checks if check.strict and not check.ok]
    if not failed or not reading.splits:
        return []
    over = [(check, keys_checked(check, values)) for check in failed]
    withdrawn = []
    for label, digits, keys in reading.splits:
        check = next((check for check, checked_keys in over if checked_keys.intersection(keys)), None)
        if check is not None and not confirmed_by_columns(keys, checks, values):
            for key in keys:
                values.pop(key, None)
            withdrawn.append(
                f"split withdrawn: row {label!r} printed with its cells run together ({digits!r}) adds up as split,"
                f" but the report's identity {check.rule} {check.subject} fails over it; left out"
            )
    return withdrawn


def confirmed_by_columns(keys: tuple[str, ...], checks: list[Check], values: dict[str, Value]) -> bool:
    """Each key outside the 总计 column is added up by a column identity of the report, and
    every column identity over it holds."""
    column_checks = [check for check in checks if check.rule in COLUMN_RULES]
    for key in keys:
        column = key.rsplit(".", 1)[1]
        if column == "total":
            continue
        over = [check for check in column_checks if check.subject == column and key in keys_checked(check, values)]
        if not over or not all(check.ok for check in over):
            return False
    return True


def parse_cells(metadata: Metadata, text: str, cells: list[Cell], url: str | None = None) -> ParsedDocument:
    """The part shared by pages and files (pipelines.file_dispatch): a document's metadata,
    plain text and cells -> kind, format, values and checks."""
    reading = read_tables(cells)
    kind = classify(metadata.title, text, len(reading.values), url)
    if kind not in REPORT_KINDS:
        return ParsedDocument(kind, metadata, None, split_sections(text))
    fmt = detect_format(reading, metadata.report_year)
    values = dict(reading.values)
    if fmt == "legacy":
        for key, value in prose_values(text).items():
            values.setdefault(key, value)
    plain: dict[str, Decimal] = {key: v.value for key, v in values.items()}
    checks, lacking = checked(plain, fmt)
    problems = list(reading.problems)
    if withdrawn := unconfirmed_splits(reading, checks, values):
        plain = {key: v.value for key, v in values.items()}
        checks, lacking = checked(plain, fmt)
        problems += withdrawn
    if lacking:
        problems.append(
            f"incomplete: {len(lacking)} checks lack values, e.g. {lacking[0][:200]}"
        )
    return ParsedDocument(
        kind, metadata, fmt, split_sections(text), values, checks, problems, lacking
    )
