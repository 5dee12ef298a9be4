"""An OFD document's text and table cells (GB/T 33190, China's fixed-layout format), with page
number and box of each, read the way a PDF is (pipelines.pdf_reader).

ofdkit reads the package: the page list, templates, composite objects and each TextCode's
place (its XML parsing refuses DTDs and bounds each part's size). It gives no graphics, so the
table rules are read here from the pages' PathObjects (straight segments of AbbreviatedData,
placed by their Boundary): hand-written because no package on our lists gives an OFD's paths.
The rules become pdfplumber's edges and go through pdfplumber's own table finder functions
(merge, intersections, cells, tables); each text run falls into the cell that holds its
centre. The pages then meet the PDF reader's `assemble`: running headers and page numbers
dropped, a table over a page break joined.

Coordinates are turned from millimetres into points, so that the PDF reader's gaps and
tolerances apply unchanged. A zip bomb, a damaged package, too many pages: recorded problems.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile

from pipelines.file_reading import FileReading
from pipelines.limits import MAX_FILE_PAGES
from pipelines.office_zip import too_big
from pipelines.pdf_reader import assemble, line_items, lines_of

POINTS = 72 / 25.4  # points per millimetre
SNAP = 3.0  # points: rules this close are one rule (pdfplumber's default tolerance)
# A page's XML beyond this is not searched for rules (ofdkit's own bound on a part is 64 MB).
MAX_PAGE_XML_BYTES = 16 * 1024 * 1024
MAX_PATH_CHARS = 100_000
DECLARED_ENCODING = re.compile(rb"\s{0,8}<\?xml[^>]{0,100}?encoding\s?=\s?[\"']([A-Za-z0-9_-]{1,40})[\"']")
DECLARATION = re.compile(r"^\s{0,8}<\?xml[^>]{0,200}\?>")
PATH_STEP = re.compile(r"([MLSQBACZ])\s*((?:[-+]?[\d.]+(?:[eE][-+]?\d+)?\s*)*)")


def read_ofd(body: bytes) -> FileReading:
    import ofdkit

    reading = FileReading("ofdkit")
    problem = too_big(body)
    if problem:
        reading.problems.append(problem)
        return reading
    try:
        document = ofdkit.open(body)
    except ofdkit.OFDError as error:
        reading.problems.append(f"unreadable file: the OFD is damaged ({str(error)[:200]})")
        return reading
    with document, zipfile.ZipFile(io.BytesIO(body)) as package:
        pages = document.pages
        if len(pages) > MAX_FILE_PAGES:
            reading.problems.append(f"limit: the OFD has {len(pages)} pages; read the first MAX_FILE_PAGES ({MAX_FILE_PAGES})")
            pages = pages[:MAX_FILE_PAGES]
        layout = []
        for number, page in enumerate(pages, start=1):
            try:
                layout.append(page_layout(page, number, rules(package, page.location)))
            except ofdkit.OFDError as error:
                reading.problems.append(f"unreadable page: OFD page {number} ({str(error)[:200]})")
        reading.problems += [f"ofd: {warning}" for warning in document.warnings[:5]]
    assemble(reading, layout)
    if not reading.text.strip():
        reading.problems.append("ofd: no text on any page (an OFD of images is not read)")
    return reading


def page_layout(page, number: int, edges: list[dict]) -> list[tuple[str, object, float]]:
    """The page as pdf_reader.page_layout gives a PDF page: tables, lines, headers and footers."""
    from pdfplumber.table import (
        Table,
        cells_to_tables,
        edges_to_intersections,
        intersections_to_cells,
        merge_edges,
    )

    x0, y0, _, height = (v * POINTS for v in page.box)
    words = [
        {"text": run.text, "x0": run.x * POINTS - x0, "x1": (run.x + run.width) * POINTS - x0,
         "top": (run.y - run.size) * POINTS - y0, "bottom": run.y * POINTS - y0}
        for run in page.runs if run.text.strip()
    ]  # fmt: skip
    vertical = [e for e in edges if e["orientation"] == "v"]
    if vertical:  # a table cut by a page break often lacks its closing rule: the rules' ends stand in
        left, right = min(e["x0"] for e in vertical), max(e["x0"] for e in vertical)
        for y in (min(e["top"] for e in vertical), max(e["bottom"] for e in vertical)):
            edges = [*edges, {"x0": left, "x1": right, "top": y, "bottom": y, "width": right - left, "height": 0,
                              "orientation": "h"}]  # fmt: skip
    edges = merge_edges(edges, SNAP, SNAP, SNAP, SNAP)
    cells = intersections_to_cells(edges_to_intersections(edges, SNAP, SNAP))
    tables = [Table(None, group) for group in cells_to_tables(cells)]
    items: list[tuple[str, object, float]] = []
    taken: set[int] = set()
    for table in tables:
        rows = []
        for row in table.rows:
            texts, places = [], []
            for box in row.cells:
                if box is None:
                    texts.append(None)
                    places.append(None)
                    continue
                inside = [i for i, w in enumerate(words) if i not in taken and holds(box, w)]
                taken.update(inside)
                texts.append("\n".join("".join(w["text"] for w in line) for line in lines_of([words[i] for i in inside])))
                places.append({"page": number, "bbox": [round(v, 1) for v in box]})
            rows.append((texts, places))
        if rows:
            items.append(("table", rows, table.bbox[1]))
    items += line_items([w for i, w in enumerate(words) if i not in taken], number, height)
    items.sort(key=lambda item: item[2])
    return items


def holds(box, word: dict) -> bool:
    middle_x, middle_y = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
    return box[0] <= middle_x <= box[2] and box[1] <= middle_y <= box[3]


def rules(package: zipfile.ZipFile, location: str | None) -> list[dict]:
    """The page's horizontal and vertical straight segments as pdfplumber edges (points).
    Diagonals and curves draw no table rule and are skipped."""
    if not location or location not in package.namelist():
        return []
    try:  # the rules are an aid: a page ofdkit reads (or records unreadable) never fails here
        if package.getinfo(location).file_size > MAX_PAGE_XML_BYTES:
            return []
        raw = package.read(location)
        if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw or b"\x00" in raw:
            return []  # an OFD needs no DTD (entity expansion refused), nor UTF-16 page XML
        text: bytes | str = raw
        declared = DECLARED_ENCODING.match(raw)
        if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
            # expat takes no multi-byte declaration (GB2312, GBK): decoded here instead
            text = DECLARATION.sub("", raw.decode(declared.group(1).decode("ascii")), count=1)
        root = ET.fromstring(text)
    except Exception:  # a damaged member, an unknown encoding, malformed XML
        return []
    edges = []
    for element in root.iter():
        if not element.tag.endswith("PathObject"):
            continue
        box = numbers(element.get("Boundary"))
        data = next((child.text for child in element if child.tag.endswith("AbbreviatedData")), None)
        if len(box) != 4 or not data or len(data) > MAX_PATH_CHARS:
            continue  # no rule, or a path longer than any table's (its steps would all be held)
        matrix = numbers(element.get("CTM")) or [1, 0, 0, 1, 0, 0]
        if len(matrix) != 6 or matrix[1] or matrix[2]:
            continue  # rotated or skewed: no table rule
        edges += segments(data, box[0], box[1], matrix)
    return edges


def segments(data: str, left: float, top: float, matrix: list[float]) -> list[dict]:
    a, _, _, d, e, f = matrix
    points: list[tuple[float, float]] = []
    start = None
    out = []
    for op, args in PATH_STEP.findall(data):
        values = numbers(args)
        if op in ("M", "S") and len(values) >= 2:
            points = [(values[0], values[1])]
            start = points[0]
        elif op == "L" and len(values) >= 2 and points:
            points.append((values[0], values[1]))
            out.append((points[-2], points[-1]))
        elif op == "C" and start is not None and points:
            out.append((points[-1], start))
            points.append(start)
        elif op not in ("M", "S", "L", "C") and len(values) >= 2:
            points.append((values[-2], values[-1]))  # a curve's end point: no rule drawn to it
    edges = []
    for (x0, y0), (x1, y1) in out:
        x0, x1 = sorted(((a * x0 + e + left) * POINTS, (a * x1 + e + left) * POINTS))
        y0, y1 = sorted(((d * y0 + f + top) * POINTS, (d * y1 + f + top) * POINTS))
        if abs(y1 - y0) < 0.5 and x1 - x0 > 1:
            edges.append({"x0": x0, "x1": x1, "top": y0, "bottom": y0, "width": x1 - x0, "height": 0, "orientation": "h"})
        elif abs(x1 - x0) < 0.5 and y1 - y0 > 1:
            edges.append({"x0": x0, "x1": x0, "top": y0, "bottom": y1, "width": 0, "height": y1 - y0, "orientation": "v"})
    return edges


def numbers(text: str | None) -> list[float]:
    try:
        return [float(v) for v in (text or "").split()]
    except ValueError:
        return []
