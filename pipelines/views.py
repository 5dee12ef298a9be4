"""SQL views for people: what researchers query in Datasette.

reports            current annual reports (and 工作总结), one row per report: a report
                   served at several URLs (its portal, mobile twin, mirrors, content farms:
                   pipelines.copies) is one row, the original's; a copy fills in when the
                   original is gone or was never found (copy_only)
copies             every copy linked to its original: host, how it matched, the damage undone
applications       one wide row per report (from report_figures, pipelines.figures): table 三's totals and the new requests by applicant
reviews_litigation one row per report: table 四's 15 numbers
last_run_changes   what the latest crawl changed: new documents, new versions, documents gone
coverage           agencies × years: each report present, copy only, failed, gone or missing
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
         t.report_year, t.published_date, t.source, t.format, t.validation_status,
         -- the report a document is (pipelines.copies): its original's id; itself until linked
         coalesce(l.report_id, d.id) AS report_id, coalesce(l.rank, 0) AS copy_rank, l.official
  FROM documents d
  JOIN document_versions v ON v.id = d.current_version_id
  JOIN document_texts t ON t.version_id = v.id
  LEFT JOIN copy_links l ON l.document_id = d.id
  WHERE t.doc_kind IN ('annual_report', 'work_summary')
), ranked AS (
  SELECT *,
    -- the original stands for the report; a copy fills in when the original is gone
    row_number() OVER (PARTITION BY report_id ORDER BY gone_at IS NOT NULL, copy_rank) AS pick,
    count(*) OVER (PARTITION BY report_id) AS copies
  FROM current
)
SELECT document_id, version_id, doc_kind, agency, report_year, published_date, format, title, url,
       source, validation_status,
       coalesce((SELECT value_count FROM report_figures f WHERE f.version_id = ranked.version_id), 0) AS value_count,
       coalesce((SELECT failed_checks FROM report_figures f WHERE f.version_id = ranked.version_id), 0)
         AS failed_checks,
       copies, coalesce(official = 0, 0) AS copy_only, fetched_at, gone_at
FROM ranked WHERE pick = 1
"""

# The host of a URL column, in SQL: between "://" and the next "/".
def host_of(column: str) -> str:
    rest = f"substr({column}, instr({column}, '://') + 3)"
    return f"CASE WHEN instr({rest}, '/') THEN substr({rest}, 1, instr({rest}, '/') - 1) ELSE {rest} END"


COPIES = f"""
SELECT c.document_id, {host_of("d.url")} AS host, d.url, o.document_id AS original_document_id,
       {host_of("od.url")} AS original_host, od.url AS original_url, t.agency, t.report_year, t.title,
       t.encoding_method,
       -- what de-garbling undid on the copy (document_texts.transforms that changed something)
       (SELECT group_concat(json_extract(x.value, '$.name') || ' ' || json_extract(x.value, '$.count'), ', ')
        FROM json_each(t.transforms) x WHERE json_extract(x.value, '$.count') > 0) AS damage_undone,
       c.reason, c.shared_numbers, c.text_similarity,
       c.official, od.gone_at AS original_gone_at, d.first_seen_at
FROM copy_links c JOIN copy_links o ON o.document_id = c.report_id
JOIN documents d ON d.id = c.document_id JOIN documents od ON od.id = o.document_id
JOIN document_texts t ON t.version_id = d.current_version_id
WHERE c.rank > 0
ORDER BY t.agency, t.report_year, c.rank
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
        "copies": COPIES,
    }
    db.execute("DROP VIEW IF EXISTS new_in_last_run")  # replaced by last_run_changes
    create_figures(db)
    for name, sql in views.items():
        db.create_view(name, sql.strip(), replace=True)
