"""What the report page shows of one version: its identity, its values laid out as the
report's own tables, its checks, its clean text with line numbers and its provenance."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

IDENTITY = """
SELECT v.id AS version_id, v.document_id, d.url, v.fetched_at, v.status, v.body_sha256, v.fetch_id, v.run_id,
       v.referer, v.requested_url, v.final_url, t.doc_kind, t.title, t.agency, t.report_year, t.published_date,
       t.source, t.format, t.validation_status, t.encoding, t.encoding_method, t.processor_version, t.problems, t.text
FROM document_versions v JOIN documents d ON d.id = v.document_id
LEFT JOIN document_texts t ON t.version_id = v.id WHERE v.id = :id
"""
VALUES = """
SELECT id, key, value, unit, source, table_index, row_index, col_index, line, text_offset, row_label, col_label, raw
FROM report_values WHERE version_id = :id ORDER BY table_index, row_index, line, col_index, id
"""
CHECKS = """
SELECT rule, subject, ok, expected, actual, expression, strict FROM validations WHERE version_id = :id
ORDER BY strict DESC, ok, rule, subject
"""
PROVENANCE = """
SELECT f.id AS fetch_id, f.url, f.status, f.fetched_at, f.duration_ms, f.body_length, f.body_sha256, f.referer,
       f.headers, r.id AS run_id, r.kind AS run_kind, r.code_version, r.started_at AS run_started_at
FROM document_versions v JOIN fetches f ON f.id = v.fetch_id JOIN crawl_runs r ON r.id = f.run_id WHERE v.id = :id
"""


def number(value: Any) -> Any:
    """Counts print as counts: 16, not 16.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def value_tables(values: list[dict]) -> tuple[list[dict], list[dict]]:
    """Values grouped as printed: per table (HTML table or flattened table), a grid of rows
    (row label, then a cell per grid column) and column labels; prose figures apart."""
    tables: dict[tuple, dict] = {}
    prose = []
    for v in values:
        v["value"] = number(v["value"])
        if v["source"] == "prose" or (v["table_index"] is None and v["line"] is None):
            prose.append(v)
            continue
        name = (v["source"], v["table_index"])
        table = tables.setdefault(name, {"source": v["source"], "index": v["table_index"],
                                         "rows": defaultdict(dict), "labels": {}, "columns": {}})
        row = v["row_index"] if v["row_index"] is not None else v["line"]
        col = v["col_index"] if v["col_index"] is not None else 0
        table["rows"][row][col] = v
        table["labels"].setdefault(row, v["row_label"])
        table["columns"].setdefault(col, v["col_label"])
    laid_out = []
    for table in tables.values():
        columns = sorted(table["columns"])
        laid_out.append({
            "source": table["source"],
            "index": table["index"],
            "columns": [(c, table["columns"][c]) for c in columns],
            "rows": [(r, table["labels"][r], [table["rows"][r].get(c) for c in columns])
                     for r in sorted(table["rows"])],
        })
    return laid_out, prose


def text_lines(text: str | None) -> list[tuple[int, str]]:
    """The clean text, numbered from 0 as `line` counts (pipelines.cells.text_cells)."""
    return list(enumerate((text or "").splitlines()))
