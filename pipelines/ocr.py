"""Scans (image-only PDF pages, PNG/JPEG/TIFF): OCR with Debian's tesseract and its chi_sim
data, tables rebuilt from the page's ruled lines and the words' boxes.

Each page is rendered (pypdfium2, which pdfplumber brings) at OCR_DPI and read once by
tesseract (`tsv`: every word with its box). The table rules are found in the image itself:
runs of dark pixels longer than a stroke of any character, horizontal and vertical. They are
handed to pdfplumber's own table geometry (edges -> intersections -> cells -> tables), so a
scanned table is cut into cells as a drawn one is, merged cells included; each word goes to
the cell holding its centre. Words outside tables are lines of text, cells of a row where far
apart (pipelines.pdf_reader.lines_of).

Values read here are `source = ocr` (pipelines.file_dispatch): never silently trusted.
Bounded: MAX_OCR_PAGES pages, SUBPROCESS_TIMEOUT seconds per page.
"""

from __future__ import annotations

import io
import subprocess

import numpy as np

from pipelines.file_reading import FileReading
from pipelines.limits import MAX_OCR_PAGES, SUBPROCESS_TIMEOUT

OCR_DPI = 200
DARK = 140  # grey level below which a pixel is ink
MIN_RULE = 0.03  # a rule is a dark run at least this share of the page width (longer than any stroke)
LANGUAGES = "chi_sim"
UNREAD = "\ufffd"  # the text of a cell with ink OCR read nothing from: its row is left out, never 0


def ocr_pdf(body: bytes, pages: int) -> FileReading:
    import pypdfium2

    reading = FileReading("ocr")
    try:
        document = pypdfium2.PdfDocument(body)
    except Exception as error:
        reading.problems.append(f"unreadable file: the PDF cannot be rendered ({type(error).__name__})")
        return reading
    count = min(len(document), pages or len(document))
    if count > MAX_OCR_PAGES:
        reading.problems.append(f"limit: {count} pages need OCR; read the first MAX_OCR_PAGES ({MAX_OCR_PAGES})")
        count = MAX_OCR_PAGES
    for n in range(count):
        image = document[n].render(scale=OCR_DPI / 72).to_pil().convert("L")
        ocr_page(reading, image, n + 1, 72 / OCR_DPI)
    return reading


def ocr_image(body: bytes) -> FileReading:
    from PIL import Image, ImageSequence

    reading = FileReading("ocr")
    try:
        image = Image.open(io.BytesIO(body))
        frames = [frame.convert("L") for _, frame in zip(range(MAX_OCR_PAGES), ImageSequence.Iterator(image), strict=False)]
    except Exception as error:  # damaged image, or over Pillow's decompression-bomb limit
        reading.problems.append(f"unreadable file: the image cannot be decoded ({type(error).__name__}: {str(error)[:200]})")
        return reading
    for n, frame in enumerate(frames):
        ocr_page(reading, frame, n + 1, 1.0)
    return reading


def ocr_page(reading: FileReading, image, page: int, to_points: float) -> None:
    """One page image into the reading; boxes in PDF points (pixels for a plain image)."""
    words = tesseract_words(image)
    if words is None:
        reading.problems.append(f"ocr: tesseract could not read page {page} (not installed, or over SUBPROCESS_TIMEOUT)")
        return
    from pipelines.pdf_reader import lines_of

    pixels = np.asarray(image)
    tables = ruled_tables(pixels)
    items = []
    used: set[int] = set()
    for table in tables:
        rows: list[tuple[list, list]] = []
        missed: list[tuple[int, int, tuple]] = []  # (row, column, box) of cells with unread ink
        for row in table.rows:
            texts, places = [], []
            for box in row.cells:
                if box is None:
                    texts.append(None)
                    places.append(None)
                    continue
                inside = [i for i, w in enumerate(words) if i not in used and centre_in(w, box)]
                used.update(inside)
                text = "".join(words[i]["text"] for i in sorted(inside, key=lambda i: (words[i]["line"], words[i]["x0"])))
                if not text and inked(pixels, box):
                    missed.append((len(rows), len(texts), box))
                    text = UNREAD
                texts.append(text)
                places.append({"page": page, "bbox": [round(v * to_points, 1) for v in box]})
            rows.append((texts, places))
        for (r, c, _), text in zip(missed, figures(image, [box for _, _, box in missed]), strict=True):
            if text:
                rows[r][0][c] = text
        items.append((table.bbox[1], "table", rows))
    rest = [w for i, w in enumerate(words) if i not in used]
    for line in lines_of(rest):
        entries = [(w["text"], {"page": page, "bbox": [round(w[k] * to_points, 1) for k in ("x0", "top", "x1", "bottom")]})
                   for w in line]  # fmt: skip
        items.append((line[0]["top"], "words", entries))
    for _, kind, item in sorted(items, key=lambda item: item[0]):
        if kind == "table":
            reading.new_table()
            for texts, places in item:
                reading.row(texts, places)
        else:
            reading.words_row(item)
    reading.pages += 1


def figures(image, boxes: list[tuple]) -> list[str]:
    """Second look at cells whose ink the page's OCR read nothing from (a lone "0" in a ruled
    cell is often dropped): the cells' insides stacked on one strip, read at once as figures.
    "" for a cell still unread."""
    from PIL import Image

    if not boxes:
        return []
    crops = [image.crop((int(x0) + 4, int(top) + 4, int(x1) - 3, int(bottom) - 3)) for x0, top, x1, bottom in boxes]
    gap = 30
    strip = Image.new("L", (max(c.width for c in crops) + 2 * gap, sum(c.height + gap for c in crops) + gap), 255)
    slots, y = [], gap
    for crop in crops:
        strip.paste(crop, (gap, y))
        slots.append((y, y + crop.height))
        y += crop.height + gap
    words = tesseract_words(strip, languages="eng", psm="6", extra=("-c", "tessedit_char_whitelist=0123456789.-"))
    texts = [""] * len(boxes)
    for word in words or []:
        middle = (word["top"] + word["bottom"]) / 2
        for n, (top, bottom) in enumerate(slots):
            if top - gap / 2 <= middle <= bottom + gap / 2:
                texts[n] += word["text"]
    return texts


def inked(pixels: np.ndarray, box: tuple) -> bool:
    """Whether a cell OCR found no word in holds ink inside its rules: something printed there
    was not read, and the cell must not count as an empty one (which reads as 0)."""
    x0, top, x1, bottom = (int(v) for v in box)
    inner = pixels[top + 4 : bottom - 3, x0 + 4 : x1 - 3]
    return inner.size > 0 and int((inner < DARK).sum()) > 12


def centre_in(word: dict, box: tuple) -> bool:
    x, y = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def tesseract_words(image, languages: str = LANGUAGES, psm: str = "6", extra: tuple[str, ...] = ()) -> list[dict] | None:
    """Words with boxes (pixels) and their tesseract line, or None when tesseract fails."""
    png = io.BytesIO()
    image.save(png, format="PNG")
    try:
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", languages, "--psm", psm, *extra, "tsv"],
            input=png.getvalue(), capture_output=True, timeout=SUBPROCESS_TIMEOUT,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    words = []
    for line in done.stdout.decode("utf-8", "replace").splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) < 12 or fields[0] != "5" or not fields[11].strip():
            continue
        left, top, width, height = (int(v) for v in fields[6:10])
        words.append({"text": fields[11].strip(), "x0": left, "top": top, "x1": left + width, "bottom": top + height,
                      "line": (int(fields[2]), int(fields[3]), int(fields[4]))})  # fmt: skip
    return words


def dark_runs(ink: np.ndarray, min_length: int) -> list[tuple[int, int, int]]:
    """(line index, start, end) of each run of ink at least min_length long along each row."""
    padded = np.zeros((ink.shape[0], ink.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = ink
    change = np.diff(padded, axis=1)
    starts, ends = np.nonzero(change == 1), np.nonzero(change == -1)
    runs = []
    for row, start, end in zip(starts[0], starts[1], ends[1], strict=True):
        if end - start >= min_length:
            runs.append((int(row), int(start), int(end)))
    return runs


def ruled_tables(pixels: np.ndarray) -> list:
    """The ruled tables of a page image, as pdfplumber Table objects (cells in pixels)."""
    from pdfplumber.table import (
        Table,
        cells_to_tables,
        edges_to_intersections,
        intersections_to_cells,
        merge_edges,
    )

    ink = pixels < DARK
    length = max(20, int(MIN_RULE * pixels.shape[1]))
    edges = [{"orientation": "h", "x0": s, "x1": e, "top": r, "bottom": r, "width": e - s, "height": 0}
             for r, s, e in dark_runs(ink, length)]  # fmt: skip
    edges += [{"orientation": "v", "x0": c, "x1": c, "top": s, "bottom": e, "width": 0, "height": e - s}
              for c, s, e in dark_runs(ink.T, length)]  # fmt: skip
    if len(edges) > 20_000:  # a photo or a dark page, not rules
        return []
    edges = merge_edges(edges, snap_x_tolerance=4, snap_y_tolerance=4, join_x_tolerance=4, join_y_tolerance=4)
    cells = intersections_to_cells(edges_to_intersections(edges, 3, 3))
    return [Table(None, group) for group in cells_to_tables(cells) if len(group) > 1]
