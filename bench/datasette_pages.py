"""How long Datasette's pages take at 10,000 reports: a replica crawl (make demo's) multiplied
into a large file (each copy its own documents, versions, texts, values and checks, under
agency names of its own), then each page a researcher opens first, timed over HTTP.

    python -m bench.datasette_pages [--reports 10000] [--source data/demo.db]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from pipelines.store import Store
from tests.browser import datasette_server
from tests.replica.process import Replica, run_crawl

PAGES = [
    "/{db}",
    "/{db}/reports",
    "/{db}/applications",
    "/{db}/reviews_litigation",
    "/{db}/coverage",
    "/{db}/denial_rates",
    "/{db}/agency_year_grid",
    "/{db}/carry_chain",
    "/{db}/coverage_grid",
    "/{db}/outcome_shares",
    "/{db}/requests_received",
    "/{db}/codebook",
    "/{db}/search?q=%E5%A4%8D%E8%AE%AE",  # 复议
]


def columns(conn: sqlite3.Connection, table: str, leave_out: str | None = None) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != leave_out]


def multiply(path: Path, copies: int) -> None:
    """Copies 1..copies-1 of every document with its current version, text, values and checks."""
    conn = sqlite3.connect(path)
    step_d = conn.execute("SELECT max(id) FROM documents").fetchone()[0]
    step_v = conn.execute("SELECT max(id) FROM document_versions").fetchone()[0]
    doc, ver = columns(conn, "documents"), columns(conn, "document_versions")
    text, values, checks = columns(conn, "document_texts"), columns(conn, "report_values", "id"), columns(conn, "validations", "id")
    figures = columns(conn, "report_figures")
    for k in range(1, copies):
        shifted = {"id": f"id + {k * step_d}", "url": f"url || '#copy{k}'", "current_version_id": f"current_version_id + {k * step_v}"}
        conn.execute(f"INSERT INTO documents ({','.join(doc)}) SELECT {','.join(shifted.get(c, c) for c in doc)} FROM documents WHERE id <= {step_d}")
        shifted = {"id": f"id + {k * step_v}", "document_id": f"document_id + {k * step_d}", "reprocessed_from": "NULL"}
        conn.execute(f"INSERT INTO document_versions ({','.join(ver)}) SELECT {','.join(shifted.get(c, c) for c in ver)} FROM document_versions WHERE id <= {step_v}")
        shifted = {"version_id": f"version_id + {k * step_v}", "agency": f"agency || '{k % 100:02d}'", "title": f"title || ' ({k})'"}
        conn.execute(f"INSERT INTO document_texts ({','.join(text)}) SELECT {','.join(shifted.get(c, c) for c in text)} FROM document_texts WHERE version_id <= {step_v}")
        shifted = {"version_id": f"version_id + {k * step_v}"}
        conn.execute(f"INSERT INTO report_values ({','.join(values)}) SELECT {','.join(shifted.get(c, c) for c in values)} FROM report_values WHERE version_id <= {step_v}")
        conn.execute(f"INSERT INTO validations ({','.join(checks)}) SELECT {','.join(shifted.get(c, c) for c in checks)} FROM validations WHERE version_id <= {step_v}")
        conn.execute(f"INSERT INTO report_figures ({','.join(figures)}) SELECT {','.join(shifted.get(c, c) for c in figures)} FROM report_figures WHERE version_id <= {step_v}")
    conn.commit()
    conn.close()


def timed(url: str) -> tuple[float, int]:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return time.perf_counter() - start, status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10000)
    parser.add_argument("--source", help="a processed replica crawl (default: crawl one of 200 pages)")
    parser.add_argument("--keep", help="build the large file here and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="datasette-bench-") as tmp:
        path = Path(args.keep or Path(tmp) / "large.db")
        if args.source:
            shutil.copy(args.source, path)
        else:
            with Replica(size=200) as replica:
                assert run_crawl(path, replica.proxy).returncode == 0
        Store(path).close()  # views and tables of this version of the code
        base_reports = sqlite3.connect(path).execute("SELECT count(*) FROM reports").fetchone()[0]
        multiply(path, max(1, round(args.reports / base_reports)))
        Store(path).close()
        reports = sqlite3.connect(path).execute("SELECT count(*) FROM reports").fetchone()[0]
        print(f"{reports} reports in {path.stat().st_size / 1e6:.0f} MB")
        with datasette_server(path, Path(tmp) / "datasette.log") as base:
            for page in PAGES:
                url = base + page.format(db="large")
                timed(url)  # warm: the page cache, Datasette's schema
                seconds, status = min(timed(url) for _ in range(2))
                print(f"{seconds:6.2f} s  HTTP {status}  {page.format(db='large')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
