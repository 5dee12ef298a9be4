"""How fast `govcrawl export-warc` writes a crawl, and in how much memory: a replica crawl of
--size pages (attachments on: PDF, DOCX and XLSX files among the pages), then the export (WARC
and WACZ) as a user runs it, in a process of its own whose peak resident set (VmHWM) is read
while it runs.

    python -m bench.export_warc [--size 200] [--source CRAWL.db] [--no-wacz]

Memory should not grow with the crawl: rows are streamed and one body is held at a time, so
the peak is the interpreter and libraries plus the largest body (printed beside it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.replica.process import CRAWL_ENV, ROOT, Replica, high_water_rss, run_crawl

# The export in a process of its own, timed from its first row (the interpreter and the imports,
# seconds paid once per export whatever its size, are left out of the rate).
EXPORT = """
import json, sys, time
import wacz.main  # its validation library takes seconds to import: start-up, not export
from govcrawl.warc_export import export_warc, report_pages, write_wacz
db, warc, wacz = sys.argv[1:]
started = time.perf_counter()
figures = export_warc(db, warc)
warc_seconds = time.perf_counter() - started
if wacz:
    pages = report_pages(db)
    figures.pages_unmatched = write_wacz(warc, wacz, pages)
    figures.pages = len(pages)
print(json.dumps({"warc_seconds": warc_seconds, "seconds": time.perf_counter() - started,
                  "records": figures.records, "pages": figures.pages, "unmatched": len(figures.pages_unmatched)}))
"""


def measured_export(db: Path, warc: Path, wacz: Path | None) -> tuple[dict, int]:
    """The export's figures and seconds, and its process's peak RSS in bytes (VmHWM)."""
    command = [sys.executable, "-c", EXPORT, str(db), str(warc), str(wacz or "")]
    process = subprocess.Popen(command, cwd=ROOT, env=CRAWL_ENV, stdout=subprocess.PIPE, text=True)
    peak = 0
    while process.poll() is None:
        peak = max(peak, high_water_rss(process.pid))
        time.sleep(0.02)
    output = process.stdout.read()
    if process.returncode:
        raise SystemExit(f"export failed ({process.returncode}): {output}")
    return json.loads(output.strip().splitlines()[-1]), peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200, help="replica pages to crawl (without --source)")
    parser.add_argument("--source", help="export this crawl's database instead (read-only)")
    parser.add_argument("--no-wacz", action="store_true", help="the WARC only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="export-warc-bench-") as tmp:
        db = Path(tmp) / "govcrawl.db"
        if args.source:
            shutil.copy(args.source, db)
        else:
            with Replica(size=args.size, attachments=True) as replica:
                result = run_crawl(db, replica.proxy, timeout=3600)
                if result.returncode:
                    raise SystemExit(result.stderr[-3000:])
        conn = sqlite3.connect(db)
        fetches, bodies_mb, largest = conn.execute(
            "SELECT count(*), coalesce(sum(body_length), 0) / 1e6, coalesce(max(body_length), 0) FROM fetches"
        ).fetchone()
        reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
        conn.close()
        warc, wacz = Path(tmp) / "crawl.warc.gz", None if args.no_wacz else Path(tmp) / "crawl.wacz"
        figures, peak = measured_export(db, warc, wacz)
        seconds, warc_seconds = figures["seconds"], figures["warc_seconds"]
        print(f"records: {figures['records']}; report pages in the WACZ: {figures['pages']} ({figures['unmatched']} unmatched)")
        print(
            f"{fetches} fetches ({bodies_mb:.1f} MB of bodies, {reports} reports): the WARC in {warc_seconds:.2f} s"
            f" ({fetches / warc_seconds:.0f} fetches/s, {bodies_mb / warc_seconds:.1f} MB/s), with the WACZ"
            f" {seconds:.2f} s ({fetches / seconds:.0f} fetches/s);"
            f" peak RSS {peak / 2**20:.0f} MiB (largest body {largest / 2**20:.1f} MiB);"
            f" WARC {warc.stat().st_size / 1e6:.1f} MB" + (f", WACZ {wacz.stat().st_size / 1e6:.1f} MB" if wacz else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
