"""Datasette plugin: every connection of the server is bounded and keeps raw bodies in.

Hand-written because Datasette has no setting for either: SQLite's length limit makes a query
that touches a cell bigger than max_cell_bytes fail at once (instead of pulling hundreds of MB
into the server past the time limit), and an authorizer reads `bodies.content` as NULL unless
the server was started with raw bodies allowed (`govcrawl serve --raw-bodies`).
"""

from __future__ import annotations

import sqlite3

from datasette import hookimpl


def plugin_config(datasette) -> dict:
    return datasette.plugin_config("govcrawl") or {}


def hide_raw_bodies(action: int, table: str | None, column: str | None, *_) -> int:
    if action == sqlite3.SQLITE_READ and table == "bodies" and column == "content":
        return sqlite3.SQLITE_IGNORE  # the column reads as NULL
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn, database, datasette):
    config = plugin_config(datasette)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, int(config.get("max_cell_bytes") or 8 * 1024 * 1024))
    if not config.get("raw_bodies"):
        conn.set_authorizer(hide_raw_bodies)
