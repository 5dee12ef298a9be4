"""How govcrawl serves its database with Datasette: one place for the flags, used by
`govcrawl serve` (and so `make serve`) and by the browser tests."""

from __future__ import annotations

import sys
from pathlib import Path

# data/metadata.yml: descriptions, facets, canned queries (kept true by the tests)
METADATA = Path(__file__).resolve().parents[1] / "data" / "metadata.yml"
DEFAULT_PORT = 8001
SQL_TIME_LIMIT_MS = 5000
# facets run one query each over a view; Datasette's 200 ms default drops them on a big crawl
FACET_TIME_LIMIT_MS = 1000


def datasette_command(
    db: str | Path,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    metadata: str | Path = METADATA,
    sql_time_limit_ms: int = SQL_TIME_LIMIT_MS,
) -> list[str]:
    """`datasette serve` over `db` opened immutable (read-only, no locking: the crawl's file is
    never written by the server), on loopback, with the metadata and a SQL time limit.
    Installed plugins (datasette-vega for charts) load by themselves."""
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        "--immutable",
        str(db),
        "--metadata",
        str(metadata),
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
    ]
