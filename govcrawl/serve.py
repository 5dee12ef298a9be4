"""How govcrawl serves its database with Datasette: one place for the flags, used by
`govcrawl serve` (and so `make serve`) and by the browser tests.

The file is served read-only but NOT immutable: crawls and the process stage write it while
it is served (SQLite WAL: readers see the last commit, never a torn page). The metadata in
data/metadata.yml is written for the database name `govcrawl`; `metadata_for` renames it to
the name Datasette gives the served file (its stem), so descriptions, facets, canned queries
and the front page's links hold for data/demo.db as for data/govcrawl.db.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from datetime import date
from pathlib import Path

import yaml

from pipelines.coverage import latest_due_year

# data/metadata.yml: descriptions, facets, canned queries (kept true by the tests)
METADATA = Path(__file__).resolve().parents[1] / "data" / "metadata.yml"
PLUGIN_DIR = Path(__file__).resolve().parent / "datasette_plugin"
METADATA_DATABASE = "govcrawl"
# the first year reports were due for (the regulations took effect in May 2008)
FIRST_REPORT_YEAR = 2008
DEFAULT_PORT = 8001
SQL_TIME_LIMIT_MS = 5000
# facets run one query each over a view; Datasette's 200 ms default drops them on a big crawl
FACET_TIME_LIMIT_MS = 1000
# the largest cell a query may read (SQLite's length limit on the server's connections): a
# query touching a bigger value fails with "string or blob too big" instead of pulling it in
MAX_CELL_BYTES = 8 * 1024 * 1024


def database_name(db: str | Path) -> str:
    """The name Datasette gives a database file: its stem (data/demo.db -> demo)."""
    return Path(db).stem


def coverage_grid(db: str | Path, today: date | None = None) -> dict:
    """The coverage view as a grid, agencies down and years across: a canned query written
    when the server starts (SQL names no column it has not been given). Its years run from
    the database's first report (or FIRST_REPORT_YEAR) to the latest whose reports are due
    today, or its last report if later: the years a crawl running beside the server adds
    are there too."""
    due = latest_due_year(today or date.today())
    first, last = FIRST_REPORT_YEAR, due
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            held = conn.execute("SELECT min(year), max(year) FROM coverage").fetchone()
    except sqlite3.Error:  # no file, or no coverage view yet
        held = (None, None)
    if held[0] is not None:
        first, last = min(int(held[0]), due), max(int(held[1]), due)
    columns = ",\n  ".join(f"max(CASE WHEN year = {y} THEN status END) AS \"{y}\"" for y in range(first, last + 1))
    return {
        "title": "Coverage as an agency × year grid",
        "hide_sql": True,
        "description": f"Each agency's annual reports {first}-{last}: present, failed (a strict identity "
        "fails), gone (taken down) or missing; empty before the agency's first report.",
        "sql": f"SELECT agency,\n  {columns},\n  sum(status = 'missing') AS missing\nFROM coverage GROUP BY agency "
        "ORDER BY agency",
    }


def metadata_for(db: str | Path, metadata: str | Path = METADATA, raw_bodies: bool = False) -> dict:
    """data/metadata.yml for the database served from `db`: its database block and every
    /govcrawl/ link renamed to the file's name, and the plugin's settings."""
    text = Path(metadata).read_text(encoding="utf-8")
    name = database_name(db)
    if name != METADATA_DATABASE:
        text = text.replace(f"/{METADATA_DATABASE}/", f"/{name}/")
    data = yaml.safe_load(text)
    data["databases"] = {name: data["databases"].pop(METADATA_DATABASE)}
    data["databases"][name]["queries"]["coverage_grid"] = coverage_grid(db)
    data.setdefault("plugins", {})["govcrawl"] = {"raw_bodies": raw_bodies, "max_cell_bytes": MAX_CELL_BYTES}
    return data


def write_metadata(db: str | Path, metadata: str | Path = METADATA, raw_bodies: bool = False) -> Path:
    """The metadata for `db` in a file of its own (Datasette reads metadata from a file)."""
    handle = tempfile.NamedTemporaryFile(
        "w", prefix=f"govcrawl-metadata-{database_name(db)}-", suffix=".json", delete=False, encoding="utf-8"
    )
    with handle:
        json.dump(metadata_for(db, metadata, raw_bodies), handle, ensure_ascii=False)
    return Path(handle.name)


def datasette_command(
    db: str | Path,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    metadata: str | Path = METADATA,
    sql_time_limit_ms: int = SQL_TIME_LIMIT_MS,
    raw_bodies: bool = False,
) -> list[str]:
    """`datasette serve` over `db` opened read-only (mode=ro: crawls may write it meanwhile),
    on loopback, with the metadata, a SQL time limit, bounded rows and the project's plugin
    (report pages, archived pages, cell links). Raw bodies (the `bodies.content` column) read as
    empty unless `raw_bodies`: the server is for the data, not for re-publishing pages.
    Installed plugins (datasette-vega for charts) load by themselves."""
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(db),
        "--metadata",
        str(write_metadata(db, metadata, raw_bodies)),
        "--plugins-dir",
        str(PLUGIN_DIR / "hooks"),
        "--template-dir",
        str(PLUGIN_DIR / "templates"),
        "--host",
        host,
        "--port",
        str(port),
        "--setting",
        "sql_time_limit_ms",
        str(sql_time_limit_ms),
        "--setting",
        "facet_time_limit_ms",
        str(FACET_TIME_LIMIT_MS),
        # suggested facets try every column of a view, one query each: most of a wide view's time
        "--setting",
        "suggest_facets",
        "off",
        "--setting",
        "max_returned_rows",
        "1000",
        "--setting",
        "allow_download",
        "off",
    ]
