"""Datasette plugin: a page per report version (values as the report's tables, checks, clean
text with line numbers, the archived page with the value's cell marked, provenance), the
archived page itself, links from every version_id cell, and counts printed as integers."""

from __future__ import annotations

import asyncio

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from govcrawl.datasette_plugin.archive import ARCHIVE_POLICY, archived_page, read_version
from govcrawl.datasette_plugin.report import (
    CHECKS,
    IDENTITY,
    PROVENANCE,
    VALUES,
    number,
    text_lines,
    value_tables,
)


def report_path(database: str, version_id) -> str:
    return f"/-/report/{database}/{version_id}"


async def rows(db, sql: str, version_id: int) -> list[dict]:
    return [dict(r) for r in (await db.execute(sql, {"id": version_id})).rows]


def requested(datasette, request):
    """The database and version a report or archive page's URL names (NotFound for no database)."""
    name, version_id = request.url_vars["database"], int(request.url_vars["version_id"])
    try:
        return name, version_id, datasette.get_database(name)
    except KeyError:
        raise NotFound(f"no database {name}") from None


async def report_page(datasette, request):
    name, version_id, db = requested(datasette, request)
    identity = await rows(db, IDENTITY, version_id)
    if not identity:
        raise NotFound(f"no version {version_id}")
    report = identity[0]
    values = await rows(db, VALUES, version_id)
    tables, prose = value_tables(values)
    first = next((v for v in values if v["source"] != "prose"), None)
    context = {
        "database": name,
        "report": report,
        "tables": tables,
        "prose": prose,
        "checks": await rows(db, CHECKS, version_id),
        "lines": text_lines(report["text"]),
        "provenance": await rows(db, PROVENANCE, version_id),
        "archive": f"/-/archive/{name}/{version_id}",
        "first": first,
    }
    return Response.html(await datasette.render_template("govcrawl_report.html", context, request=request))


async def archive_page(datasette, request):
    name, version_id, db = requested(datasette, request)
    stored = await asyncio.to_thread(read_version, db.path, version_id)
    if stored is None:
        raise NotFound(f"no version {version_id}")
    args = request.args

    def position(name: str) -> int | None:
        value = args.get(name)
        return int(value) if value and value.lstrip("-").isdigit() else None

    text = (await db.execute("SELECT text FROM document_texts WHERE version_id = ?", [version_id])).first()
    body, content_type = await asyncio.to_thread(
        archived_page, *stored, position("table"), position("row"), position("col"), position("line"),
        text[0] if text else None,
    )
    return Response(body, content_type=content_type, headers={
        "Content-Security-Policy": ARCHIVE_POLICY, "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline", "Cache-Control": "no-store",
    })


@hookimpl
def register_routes():
    return [
        (r"^/-/report/(?P<database>[^/]+)/(?P<version_id>\d+)$", report_page),
        (r"^/-/archive/(?P<database>[^/]+)/(?P<version_id>\d+)$", archive_page),
    ]


@hookimpl
def render_cell(value, column, table, database, datasette):
    if column == "version_id" and isinstance(value, int):
        return Markup(f'<a href="{escape(report_path(database, value))}">{value} · report</a>')
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(number(value))  # counts of 件/项 print as 16, not 16.0
    return None
