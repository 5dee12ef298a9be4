"""Export the stored crawl as WARC 1.1 (warcio) and, optionally, WACZ (the `wacz` package).

Archivists replay WARC and WACZ files (pywb, ReplayWeb.page) and keep them for the long term;
this module writes the `fetches` table as such a file, one fetch row at a time (rows are read
from a cursor and each body is read, written and dropped before the next: memory stays at one
body, whatever the size of the crawl).

What each fetch becomes:

- an answer (a status): a `request` record (the stored request headers, plus the Host line the
  HTTP client adds; for a browser page, the request as the crawl handed it to Chromium) and a `response` record (status line, stored headers, stored body), tied by
  WARC-Concurrent-To. A redirect is a 3xx response like any other, its Location kept.
- an error: a `metadata` record (application/warc-fields: the error, how it was fetched, the
  referer). A fetch that failed without an answer has only that record; one with an answer
  (HTTP 404, a body dropped as too large) has it beside its response (WARC-Concurrent-To).
- a browser render (via='browser', with the server's bytes kept): the response record holds
  the server's bytes, and the rendered DOM is a `resource` record at `urn:dom:<url>` (the
  naming of Browsertrix's urn:text:/urn:view: records, so replay never serves it for the
  page) tied to the response by WARC-Concurrent-To and WARC-Refers-To.

Bodies: the crawl stores the decoded entity, never the compressed bytes (Scrapy's compression
middleware decodes before the fetch recorder sees the body; Chromium hands over decoded bodies),
while the stored headers keep the server's Content-Encoding. A WARC reader decodes a payload
by its Content-Encoding header (warcio's content_stream, pywb), so writing the decoded body
under `Content-Encoding: gzip` would break replay, and re-compressing it would invent bytes the
server never sent. So the payload is the stored body, byte for byte, and its headers are
adjusted the way browser-based archivers do: Content-Encoding and Transfer-Encoding are taken
out and Content-Length is the payload's length, the server's values kept as
X-Archive-Orig-<name> (pywb's prefix for original headers). A body the crawl did not keep (too
large, undecodable, not kept by the browser) leaves an empty payload marked WARC-Truncated.
A body the database cannot give back (a damaged file) is exported the same way, and the
fetch's metadata record says so (`export-problem`); the export goes on.

Every record of a fetch carries `Govcrawl-Fetch-Id` (a WARC extension field): its `fetches.id`.

Hand-written record assembly: warcio writes records, but nothing maps our `fetches` rows to
them; the WACZ is made by the `wacz` package from the WARC and our own pages list.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import sqlite_utils
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import GzippingWrapper, WARCWriter

from govcrawl import __version__
from pipelines.store import read_body

# Headers that describe the wire form of a body we store decoded: replaced by the payload's own.
WIRE_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
ORIGINAL_PREFIX = "X-Archive-Orig-"
DOM_URI_PREFIX = "urn:dom:"
# A WARC extension field on every record of a fetch: its `fetches.id`, the way back to the database.
FETCH_ID_FIELD = "Govcrawl-Fetch-Id"
# Errors whose answer's body the crawl did not keep (govcrawl.compression emptied it).
BODY_DROPPED = {"too large": "length", "bad encoding": "unspecified"}
# Doc kinds listed in the WACZ's pages.jsonl: the annual reports.
PAGE_KINDS = ("annual_report",)

FETCH_QUERY = (
    "SELECT id, run_id, url, method, status, headers, request_headers, referer, via, fetched_at,"
    " body_sha256, body_length, error, raw_body_sha256, browser_reason FROM fetches ORDER BY id"
)
PAGES_QUERY = (
    "SELECT f.url, f.fetched_at, t.title FROM documents d"
    " JOIN document_versions v ON v.id = d.current_version_id"
    " JOIN document_texts t ON t.version_id = v.id"
    " JOIN fetches f ON f.id = v.fetch_id"
    f" WHERE t.doc_kind IN ({', '.join('?' * len(PAGE_KINDS))}) AND f.status IS NOT NULL ORDER BY d.id"
)


# warcio gzips each record at level 9; 6 halves the export's time for a file 1% larger.
GZIP_LEVEL = 6


class GzipMember(GzippingWrapper):
    """One record's gzip member (a WARC.gz is one member per record), at GZIP_LEVEL."""

    def __init__(self, out):
        self.compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.out = out


class GzipWARCWriter(WARCWriter):
    """warcio's WARC 1.1 writer, each record its own gzip member at GZIP_LEVEL."""

    def __init__(self, out):
        super().__init__(out, gzip=False, warc_version="1.1")

    def write_record(self, record, params=None) -> None:
        self._write_warc_record(GzipMember(self.out), record)  # its last flush() ends the member


@dataclass
class ExportFigures:
    """What an export wrote: fetch rows read and records written by WARC-Type."""

    fetches: int = 0
    records: Counter = field(default_factory=Counter)
    unreadable_bodies: int = 0  # stored bodies that could not be read: empty payloads, said in metadata
    pages: int = 0  # report pages listed in the WACZ
    pages_unmatched: list[str] = field(default_factory=list)  # listed pages wacz found no record for


def warc_date(fetched_at: str) -> str:
    """WARC 1.1 date (UTC, milliseconds kept) from the stored ISO time."""
    moment = datetime.fromisoformat(fetched_at).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def header_pairs(stored: str | None) -> list[tuple[str, str]]:
    """The stored `{name: [values]}` JSON as (name, value) lines, in stored order."""
    return [(name, value) for name, values in json.loads(stored or "{}").items() for value in values]


def payload_headers(stored: str | None, payload_length: int) -> list[tuple[str, str]]:
    """Stored response headers for a decoded payload: wire-form headers renamed X-Archive-Orig-*,
    Content-Length set to the payload's length."""
    headers = []
    for name, value in header_pairs(stored):
        if name.lower() in WIRE_HEADERS:
            headers.append((ORIGINAL_PREFIX + name, value))
        else:
            headers.append((name, value))
    headers.append(("Content-Length", str(payload_length)))
    return headers


def request_line(method: str, url: str) -> str:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{method or 'GET'} {target} HTTP/1.1"


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def warc_fields(fields: dict[str, object]) -> bytes:
    """application/warc-fields: one `name: value` line each, values on one line."""
    lines = [f"{name}: {' '.join(str(value).split())}\r\n" for name, value in fields.items() if value not in (None, "")]
    return "".join(lines).encode("utf-8")


def truncation(row: sqlite3.Row) -> str | None:
    """WARC-Truncated of an answer whose body the crawl did not keep, else None."""
    if row["body_length"] is None:
        return "unspecified"  # the browser no longer had it
    kind = (row["error"] or "").split(":", 1)[0]
    if kind in BODY_DROPPED and not row["body_length"]:
        return BODY_DROPPED[kind]
    return None


def is_browser_page(row: sqlite3.Row) -> bool:
    """A page the crawl asked the browser for (not one of the exchanges inside it, whose
    browser_reason is `<resource type> of the page`): its body is the rendered DOM."""
    return row["via"] == "browser" and " of the page" not in (row["browser_reason"] or "")


class WarcExporter:
    """Writes the records of one fetch row after another to a WARC writer."""

    def __init__(self, db: sqlite_utils.Database, writer: GzipWARCWriter):
        self.db = db
        self.writer = writer
        self.figures = ExportFigures()
        self.problems: list[str] = []  # of the fetch being written

    def write(self, record) -> None:
        self.writer.write_record(record)
        self.figures.records[record.rec_type] += 1

    def body(self, sha256: str | None) -> bytes | None:
        """The stored bytes (b"" for none); None when they cannot be read (a body row missing or
        damaged): the record gets an empty payload and the fetch's metadata record says why."""
        if not sha256:
            return b""
        try:
            return read_body(self.db, sha256)
        except (KeyError, zlib.error) as error:
            self.problems.append(f"stored body {sha256} unreadable ({type(error).__name__})")
            self.figures.unreadable_bodies += 1
            return None

    def warcinfo(self, filename: str) -> None:
        info = {
            "software": f"govcrawl {__version__} (warcio)",
            "format": "WARC File Format 1.1",
            "description": "government information disclosure annual reports crawled by govcrawl",
            "isPartOf": "govcrawl",
        }
        self.write(self.writer.create_warcinfo_record(filename, info))

    def export_fetch(self, row: sqlite3.Row) -> None:
        self.figures.fetches += 1
        self.problems = []
        date = warc_date(row["fetched_at"])
        response_id = None
        if row["status"] is not None:
            response_id = self.answer(row, date)
        if row["error"] or self.problems:
            self.error(row, date, response_id)

    def answer(self, row: sqlite3.Row, date: str) -> str:
        """The request and response records of an answered fetch (and the DOM of a browser page)."""
        url = row["url"]
        browser_page = is_browser_page(row)
        if browser_page:
            payload = self.body(row["raw_body_sha256"])  # the server's bytes, not the render
            truncated = None if row["raw_body_sha256"] else "unspecified"
        else:
            payload = self.body(row["body_sha256"])
            truncated = truncation(row)
        if payload is None:
            payload, truncated = b"", "unspecified"
        fields = {"WARC-Date": date, FETCH_ID_FIELD: str(row["id"])}
        if truncated:
            fields["WARC-Truncated"] = truncated
        response = self.writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(payload),
            length=len(payload),
            warc_headers_dict=fields,
            http_headers=StatusAndHeaders(
                status_line(row["status"]), payload_headers(row["headers"], len(payload)), protocol="HTTP/1.1"
            ),
        )
        del payload
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        request_headers = header_pairs(row["request_headers"])
        if not any(name.lower() == "host" for name, _ in request_headers):
            request_headers.insert(0, ("Host", urlsplit(url).netloc))
        request = self.writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            warc_headers_dict={"WARC-Date": date, FETCH_ID_FIELD: str(row["id"])},
            http_headers=StatusAndHeaders(request_line(row["method"], url), request_headers, is_http_request=True),
        )
        request.rec_headers.add_header("WARC-Concurrent-To", response_id)
        self.write(response)
        self.write(request)
        if browser_page and row["body_sha256"]:
            self.rendered_dom(row, date, response_id)
        return response_id

    def rendered_dom(self, row: sqlite3.Row, date: str, response_id: str) -> None:
        dom = self.body(row["body_sha256"])
        if dom is None:
            return
        content_type = next(
            (value for name, value in header_pairs(row["headers"]) if name.lower() == "content-type"), "text/html"
        )
        record = self.writer.create_warc_record(
            DOM_URI_PREFIX + row["url"],
            "resource",
            payload=io.BytesIO(dom),
            length=len(dom),
            warc_content_type=content_type,
            warc_headers_dict={
                "WARC-Date": date,
                FETCH_ID_FIELD: str(row["id"]),
                "WARC-Concurrent-To": response_id,
                "WARC-Refers-To": response_id,
                "WARC-Refers-To-Target-URI": row["url"],
                "WARC-Refers-To-Date": date,
            },
        )
        self.write(record)

    def error(self, row: sqlite3.Row, date: str, response_id: str | None) -> None:
        fields = {
            "error": row["error"],
            "status": row["status"],
            "method": row["method"],
            "via": row["via"],
            "browser-reason": row["browser_reason"],
            "referer": row["referer"],
            "govcrawl-run-id": row["run_id"],
            "export-problem": "; ".join(self.problems),
        }
        content = warc_fields(fields)
        headers = {"WARC-Date": date, FETCH_ID_FIELD: str(row["id"])}
        if response_id:
            headers["WARC-Concurrent-To"] = response_id
        record = self.writer.create_warc_record(
            row["url"], "metadata", payload=io.BytesIO(content), length=len(content), warc_headers_dict=headers
        )
        self.write(record)


def open_database(path: str | Path) -> sqlite_utils.Database:
    """Read-only: an export never writes the database (a crawl may be writing it)."""
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return sqlite_utils.Database(conn)


def fetch_rows(db: sqlite_utils.Database) -> Iterator[sqlite3.Row]:
    cursor = db.conn.cursor()  # its own cursor: bodies are read on the connection meanwhile
    cursor.execute(FETCH_QUERY)
    yield from cursor


def export_warc(db_path: str | Path, warc_path: str | Path) -> ExportFigures:
    """Write every fetch of the database to a gzipped WARC 1.1 file, row by row."""
    db = open_database(db_path)
    try:
        with open(warc_path, "wb") as out:
            exporter = WarcExporter(db, GzipWARCWriter(out))
            exporter.warcinfo(Path(warc_path).name)
            for row in fetch_rows(db):
                exporter.export_fetch(row)
        return exporter.figures
    finally:
        db.conn.close()


def report_pages(db_path: str | Path) -> list[dict]:
    """pages.jsonl entries: each document whose current text is an annual report, at the time of
    the fetch of that version (the `ts` matches its response record's WARC-Date)."""
    db = open_database(db_path)
    try:
        return [
            {"url": url, "ts": warc_date(fetched_at), "title": title or url}
            for url, fetched_at, title in db.execute(PAGES_QUERY, PAGE_KINDS)
        ]
    finally:
        db.conn.close()


def write_wacz(warc_path: str | Path, wacz_path: str | Path, pages: list[dict]) -> list[str]:
    """Package the WARC with its index and our pages list (`wacz create`); returns the listed
    pages wacz found no record for."""
    from wacz.main import main as wacz_main

    with tempfile.TemporaryDirectory(prefix="wacz-pages-") as directory:
        pages_path = Path(directory) / "pages.jsonl"
        header = {"format": "json-pages-1.0", "id": "pages", "title": "Annual reports"}
        pages_path.write_text(
            "\n".join(json.dumps(line, ensure_ascii=False) for line in (header, *pages)) + "\n", encoding="utf-8"
        )
        arguments = ["create", "-o", str(wacz_path), "--hash-type", "sha256", "--title", "govcrawl export"]
        # no report page: the header alone, copied (wacz writes no list when nothing matched)
        arguments += ["-p", str(pages_path)] + ([] if pages else ["--copy-pages"])
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            status = wacz_main([*arguments, str(warc_path)])
        if status:
            raise RuntimeError(f"wacz create failed ({status}): {log.getvalue()[-2000:]}")
    listed = set()
    with zipfile.ZipFile(wacz_path) as archive:
        if "pages/pages.jsonl" in archive.namelist():
            with archive.open("pages/pages.jsonl") as lines:
                listed = {json.loads(line).get("url") for line in lines if line.strip()}
    return [page["url"] for page in pages if page["url"] not in listed]


def export(db_path: str | Path, warc_path: str | Path, wacz_path: str | Path | None = None) -> ExportFigures:
    """`govcrawl export-warc`: the WARC, then (with wacz_path) the WACZ made from it."""
    figures = export_warc(db_path, warc_path)
    if wacz_path is not None:
        pages = report_pages(db_path)
        figures.pages = len(pages)
        figures.pages_unmatched = write_wacz(warc_path, wacz_path, pages)
    return figures
