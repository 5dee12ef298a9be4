"""SQL views for people: what researchers query in Datasette.

reports            current annual reports (and 工作总结), one row per report: a report
                   served at several URLs (the city portal and its mobile twin) is one row
applications       one wide row per report (from report_figures, pipelines.figures): table 三's totals and the new requests by applicant
reviews_litigation one row per report: table 四's 15 numbers
last_run_changes   what the latest crawl changed: new documents, new versions, documents gone
coverage           agencies × years: each report present, failed, gone or missing
codebook           every canonical key: Chinese labels as each format prints them, English, unit
"""

from __future__ import annotations

import sqlite_utils

from pipelines.codebook import codebook_sql
from pipelines.coverage import DUE_YEAR_NOW, coverage_sql
from pipelines.figures import application_figure_columns, create_figures, review_figure_columns

REPORTS = """
WITH current AS (
  SELECT d.id AS document_id, d.url, d.gone_at, v.id AS version_id, v.fetched_at, t.doc_kind, t.title, t.agency,
         t.report_year, t.published_date, t.source, t.format, t.validation_status
  FROM documents d
  JOIN document_versions v ON v.id = d.current_version_id
  JOIN document_texts t ON t.version_id = v.id
  WHERE t.doc_kind IN ('annual_report', 'work_summary')
), ranked AS (
  SELECT *,
    -- the desktop page stands for the report; a mobile twin (wap., m.) only when it is the sole copy
    row_number() OVER (PARTITION BY agency, report_year, title
                       ORDER BY url GLOB '*://wap.*' OR url GLOB '*://m.*', document_id) AS copy_rank,
    count(*) OVER (PARTITION BY agency, report_year, title) AS copies
  FROM current
)
SELECT document_id, version_id, doc_kind, agency, report_year, published_date, format, title, url,
       source, validation_status,
       coalesce((SELECT value_count FROM report_figures f WHERE f.version_id = ranked.version_id), 0) AS value_count,
       coalesce((SELECT failed_checks FROM report_figures f WHERE f.version_id = ranked.version_id), 0)
         AS failed_checks,
       copies, fetched_at, gone_at
FROM ranked WHERE copy_rank = 1
"""


def applications_sql() -> str:
    return report_figures_view(application_figure_columns())


def reviews_sql() -> str:
    return report_figures_view(review_figure_columns())


def report_figures_view(columns: list[str]) -> str:
    """A wide view of the reports: their figures from report_figures, materialised when each
    version is processed (pivoting report_values here took 13 s a page at 10,000 reports)."""
    return (
        "SELECT r.document_id, r.version_id, r.agency, r.report_year, r.format, r.validation_status, r.url,\n  "
        + ",\n  ".join(f"f.{c}" for c in columns)
        + "\nFROM reports r LEFT JOIN report_figures f ON f.version_id = r.version_id"
        + "\nORDER BY r.agency, r.report_year"
    )


LAST_RUN_CHANGES = """
WITH last AS (SELECT max(id) AS run_id FROM crawl_runs WHERE kind = 'crawl'),
changes AS (
  SELECT 'new document' AS change, d.id AS document_id, d.first_seen_at AS at FROM documents d, last
  WHERE d.first_seen_run = last.run_id
  UNION ALL
  SELECT 'new version', v.document_id, v.fetched_at FROM document_versions v JOIN documents d ON d.id = v.document_id, last
  WHERE v.run_id = last.run_id AND d.first_seen_run != last.run_id
  UNION ALL
  SELECT 'gone', d.id, d.gone_at FROM documents d, last WHERE d.gone_run = last.run_id
)
SELECT c.change, c.at, d.url, t.doc_kind, t.title, t.agency, t.report_year, c.document_id
FROM changes c JOIN documents d ON d.id = c.document_id
LEFT JOIN document_texts t ON t.version_id = d.current_version_id
ORDER BY c.change, d.url
"""


def create_views(db: sqlite_utils.Database) -> None:
    """(Re)create the views, so that a newer govcrawl's definitions replace older ones."""
    views = {
        "reports": REPORTS,
        "applications": applications_sql(),
        "reviews_litigation": reviews_sql(),
        "last_run_changes": LAST_RUN_CHANGES,
        "coverage": coverage_sql(DUE_YEAR_NOW),
        "codebook": codebook_sql(),
    }
    db.execute("DROP VIEW IF EXISTS new_in_last_run")  # replaced by last_run_changes
    create_figures(db)
    for name, sql in views.items():
        db.create_view(name, sql.strip(), replace=True)
