"""The archived page of a version, as the parser read it, for the report page's frame.

The stored bytes are decoded and cleaned by the process stage's own functions
(pipelines.process: decode, strip scripts, de-garble, build the tree), so table/row/column
positions of report_values index exactly the tables shown. The cell a value came from is
marked server-side (no script runs in the archived page: it is served with a sandboxing
Content-Security-Policy that also stops every request to the portal). A plain-text page is
shown as numbered lines with the value's line marked; a file (PDF, image) as its bytes.
Hand-written: the grid walk mirrors pipelines.cells.table_cells (spans expanded), which yields
cells, not elements.
"""

from __future__ import annotations

import html
import json
import sqlite3
import zlib

import lxml.html
from lxml import etree

from pipelines.cells import LINE_BREAK, element_showing_line
from pipelines.encoding import decode_page
from pipelines.process import clean_document

# the archived page may show itself and inline styles; it may run, fetch and submit nothing
ARCHIVE_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
MARK_STYLE = "outline: 3px solid #d00; background: #ffeb3b;"
FILE_TYPES = ("application/pdf", "image/")  # shown by the browser as they are
PAGE_TYPES = ("text/", "application/xhtml+xml", "application/xml")  # decoded and cleaned


def read_version(path: str, version_id: int) -> tuple[bytes, str | None] | None:
    """The stored bytes of a version and the Content-Type they were served with (a connection
    of its own: the server's connections read bodies.content as NULL)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT b.compression, b.content, f.headers FROM document_versions v"
            " JOIN bodies b ON b.sha256 = v.body_sha256 LEFT JOIN fetches f ON f.id = v.fetch_id WHERE v.id = ?",
            [version_id],
        ).fetchone()
    finally:
        conn.close()
    if row is None:
        return None
    compression, content, headers = row
    body = zlib.decompress(content) if compression == "zlib" else content
    served = {name.lower(): values[-1] for name, values in json.loads(headers or "{}").items() if values}
    return body, served.get("content-type")


def grid_element(table: etree._Element, row: int, col: int) -> etree._Element | None:
    taken: dict[int, set[int]] = {}
    for r, tr in enumerate(table.iter("tr")):
        row_taken = taken.pop(r, set())
        c = 0
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while c in row_taken:
                c += 1
            rowspan, colspan = int_attr(td.get("rowspan")), int_attr(td.get("colspan"))
            if r == row and c <= col < c + colspan:
                return td
            for dr in range(1, rowspan):
                taken.setdefault(r + dr, set()).update(range(c, c + colspan))
            c += colspan
        if r >= row:
            return None
    return None


def int_attr(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def numbered_lines(text: str, line: int | None) -> bytes:
    items = "".join(
        (f'<li id="govcrawl-cell" style="{MARK_STYLE}">' if n == line else f'<li id="L{n}">') + html.escape(t) + "</li>"
        for n, t in enumerate(text.splitlines())
    )
    return f'<!doctype html><meta charset="utf-8"><ol start="0" style="white-space:pre-wrap">{items}</ol>'.encode()


def archived_page(body: bytes, content_type: str | None, table: int | None, row: int | None, col: int | None,
                  line: int | None, stored_text: str | None = None) -> tuple[bytes, str]:
    """(bytes, content type) of the page to show, the cell at table/row/col (or the line) marked."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media.startswith(FILE_TYPES):
        return body, content_type
    if media and not media.startswith(PAGE_TYPES):
        # a document file (DOC, DOCX, XLS…): its extracted text, numbered as `line` counts
        return numbered_lines(stored_text or "", line), "text/html; charset=utf-8"
    clean = clean_document(decode_page(body, content_type).text)
    tree = clean.tree
    if tree is None:
        return numbered_lines(clean.text, line), "text/html; charset=utf-8"
    cell = None
    if table is not None and row is not None and col is not None:
        tables = list(tree.iter("table"))
        cell = grid_element(tables[table], row, col) if 0 <= table < len(tables) else None
    elif line is not None:
        cell = element_showing_line(tree, clean.text, line)
    if cell is not None:
        cell.set("id", "govcrawl-cell")
        cell.set("data-govcrawl-cell", f"{table},{row},{col},{line}")
        cell.set("style", MARK_STYLE + (cell.get("style") or ""))
    for meta in tree.iter("meta"):  # the bytes are decoded now: no other charset applies
        if meta.get("charset") or (meta.get("http-equiv") or "").lower() == "content-type":
            meta.getparent().remove(meta)
    page = lxml.html.tostring(tree, encoding="unicode", method="html").replace(LINE_BREAK, "")
    return ('<!doctype html><meta charset="utf-8">' + page).encode("utf-8"), "text/html; charset=utf-8"
