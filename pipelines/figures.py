"""report_figures: each processed version's headline figures as one wide row, written in the
same transaction as its values (Store.write_processed calls `write_figures`), so that the
wide views (applications, reviews_litigation) and their facets read one row per report
instead of pivoting report_values on every page (13 s a page at 10,000 reports).

Also a covering index of document_texts for the reports view: its columns without the text,
so that listing 10,000 reports does not read the pages of their texts.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

from pipelines.schema import application_columns, review_keys

TABLE = "report_figures"
TOTALS = [
    ("received", "key = 'applications.new_received.total'", "max"),
    ("carried_over", "key = 'applications.carried_over.total'", "max"),
    ("granted", "key = 'applications.granted.total'", "max"),
    ("partially_granted", "key = 'applications.partially_granted.total'", "max"),
    ("denied", "key GLOB 'applications.denied.*.total'", "sum"),
    ("unable", "key GLOB 'applications.unable.*.total'", "sum"),
    ("not_processed", "key GLOB 'applications.not_processed.*.total'", "sum"),
    ("other", "key GLOB 'applications.other.*.total'", "sum"),
    ("total_handled", "key = 'applications.total.total'", "max"),
    ("carried_forward", "key = 'applications.carried_forward.total'", "max"),
]


def application_figure_columns() -> list[str]:
    return [name for name, _, _ in TOTALS] + [f"received_{c}" for c in application_columns() if c != "total"]


def review_figure_columns() -> list[str]:
    return [key.replace(".", "_") for key in review_keys()]


def figure_expressions() -> list[tuple[str, str]]:
    conditions = TOTALS + [(f"received_{c}", f"key = 'applications.new_received.{c}'", "max")
                           for c in application_columns() if c != "total"]
    conditions += [(key.replace(".", "_"), f"key = '{key}'", "max") for key in review_keys()]
    return [(name, whole(f"{aggregate}(CASE WHEN {condition} THEN value END)")) for name, condition, aggregate in conditions]


def whole(expression: str) -> str:
    """A count as an integer (16, not 16.0: values are REAL for the few decimal ones)."""
    return f"iif({expression} = CAST({expression} AS INTEGER), CAST({expression} AS INTEGER), {expression})"


def figures_select(where: str) -> str:
    expressions = figure_expressions()
    return (
        f"INSERT OR REPLACE INTO {TABLE} (version_id, value_count, failed_checks, "
        + ", ".join(name for name, _ in expressions) + ")\n"
        + "SELECT version_id, count(*), (SELECT count(*) FROM validations va WHERE va.version_id = rv.version_id"
        + " AND va.strict AND NOT va.ok), " + ", ".join(e for _, e in expressions)
        + f"\nFROM report_values rv WHERE {where} GROUP BY version_id"
    )


def create_figures(db: sqlite_utils.Database) -> None:
    """The table (filled from report_values the first time, for a database processed before
    it existed) and the covering index of the reports view."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_document_texts_reports ON document_texts"
        " (doc_kind, version_id, agency, report_year, title, published_date, source, format, validation_status)"
    )
    if TABLE in db.table_names():
        return
    columns = ", ".join(f"{name} NUMERIC" for name, _ in figure_expressions())
    db.execute(f"CREATE TABLE {TABLE} (version_id INTEGER PRIMARY KEY REFERENCES document_versions(id),"
               f" value_count INTEGER, failed_checks INTEGER, {columns})")
    db.execute(figures_select("1"))


def write_figures(conn: sqlite3.Connection, version_ids: list[int]) -> None:
    """The figures of versions whose values were just written (inside their transaction)."""
    for start in range(0, len(version_ids), 500):
        chunk = version_ids[start:start + 500]
        conn.execute(figures_select(f"version_id IN ({','.join('?' * len(chunk))})"), chunk)
