"""One database holds one kind of crawl: the offline replica's invented reports never sit
beside real ones. A crawl with GOVCRAWL_REPLICA (set by the replica's crawls: tests,
`make demo`) refuses a database that holds crawls of real portals, and a real crawl refuses a
database that holds replica crawls: `stats` would add them together and a re-crawl's skip
rule would trust invented pages under real URLs.

A run's origin is its recorded GOVCRAWL_REPLICA setting; runs recorded before that setting
existed count as replica runs when they went through a proxy on loopback (the replica's way).
"""

from __future__ import annotations

import json
import sqlite3

REPLICA_SETTING = "GOVCRAWL_REPLICA"
LOOPBACK_PROXIES = ("http://127.0.0.1:", "http://localhost:")


def is_replica_run(settings: dict) -> bool:
    if REPLICA_SETTING in settings:
        return str(settings[REPLICA_SETTING]).lower() in ("1", "true", "yes", "on")
    return str(settings.get("GOVCRAWL_PROXY") or "").startswith(LOOPBACK_PROXIES)


def mixed_origin(conn: sqlite3.Connection, replica: bool) -> str | None:
    """Why a crawl (of the replica when `replica`) may not write this database, or None."""
    try:
        rows = conn.execute("SELECT id, settings FROM crawl_runs WHERE kind = 'crawl'").fetchall()
    except sqlite3.OperationalError:  # a new database: no runs yet
        return None
    others = [run_id for run_id, settings in rows if is_replica_run(json.loads(settings or "{}")) != replica]
    if not others:
        return None
    if replica:
        return (f"this database holds {len(others)} crawl(s) of real portals (first run {others[0]}); "
                "the replica's invented reports go into a database of their own (make demo: data/demo.db)")
    return (f"this database holds {len(others)} crawl(s) of the offline replica (first run {others[0]}); "
            "crawl real portals into a database of their own (make crawl: data/govcrawl.db)")
