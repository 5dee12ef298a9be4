"""Coverage: which (agency, year) reports a database holds, which are new, which look missing.

Agencies publish their report on year Y by 31 January of Y+1 under the 2019 regulations, and
by 31 March under the 2008 ones; a report counts as missing only once the later deadline has
passed, so that no agency is flagged while it may still publish in time.
"""

from __future__ import annotations

from datetime import date

import sqlite_utils

DEADLINE_MONTH_DAY = "03-31"  # of the year after the one the report covers

# The latest year whose reports are due, in SQL, for the view: as of today.
DUE_YEAR_NOW = (
    "CAST(strftime('%Y', 'now') AS INTEGER)"
    f" - CASE WHEN strftime('%m-%d', 'now') > '{DEADLINE_MONTH_DAY}' THEN 1 ELSE 2 END"
)


def latest_due_year(as_of: date) -> int:
    """The latest year whose reports are due on `as_of`."""
    return as_of.year - (1 if as_of.strftime("%m-%d") > DEADLINE_MONTH_DAY else 2)


def coverage_sql(due_year: str) -> str:
    """Agencies × years of annual reports, from each agency's first report to the later of its last report and
    the due year: status present, copy only (found only on mirrors or content farms,
    or its original is gone), failed (a strict identity fails), gone (every copy taken down) or
    missing (no report)."""
    return f"""
WITH present AS (
  SELECT agency, report_year AS year, count(*) AS reports,
         sum(validation_status = 'failed') AS failing, sum(gone_at IS NULL) AS online,
         sum(copy_only = 0) AS originals,
         min(document_id) AS document_id
  FROM reports WHERE doc_kind = 'annual_report' AND agency IS NOT NULL AND report_year IS NOT NULL
  GROUP BY agency, report_year
), span AS (
  SELECT agency, min(year) AS first, max(max(year), {due_year}) AS last FROM present GROUP BY agency
), years(agency, year, last) AS (
  SELECT agency, first, last FROM span
  UNION ALL SELECT agency, year + 1, last FROM years WHERE year < last
)
SELECT y.agency, y.year,
  CASE WHEN p.agency IS NULL THEN 'missing' WHEN p.online = 0 THEN 'gone'
       WHEN p.originals = 0 THEN 'copy only' WHEN p.failing > 0 THEN 'failed' ELSE 'present' END AS status,
  coalesce(p.reports, 0) AS reports, p.document_id,
  y.year = ({due_year}) AS latest_due
FROM years y LEFT JOIN present p ON p.agency = y.agency AND p.year = y.year
ORDER BY y.agency, y.year
"""


def missing_reports(db: sqlite_utils.Database, as_of: date) -> list[tuple[str, int]]:
    """(agency, year) pairs that look missing: the agency has earlier reports and none for
    the latest year whose deadline has passed on `as_of`."""
    due = latest_due_year(as_of)
    rows = db.execute(
        f"SELECT agency, year FROM ({coverage_sql(':due')}) WHERE status = 'missing' AND year = :due",
        {"due": due},
    )
    return [tuple(row) for row in rows]


def new_reports(db: sqlite_utils.Database, run_id: int) -> list[tuple[str, int]]:
    """(agency, year) pairs that had no report before run `run_id` and have one now."""
    rows = db.execute(
        "SELECT r.agency, r.report_year FROM reports r JOIN documents d ON d.id = r.document_id"
        " WHERE r.doc_kind = 'annual_report' AND r.agency IS NOT NULL AND r.report_year IS NOT NULL"
        " GROUP BY r.agency, r.report_year HAVING min(d.first_seen_run) = ? ORDER BY 1, 2",
        [run_id],
    )
    return [tuple(row) for row in rows]
