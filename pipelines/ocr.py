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
import os
import re
import subprocess
import time
from collections.abc import Iterable
from difflib import SequenceMatcher
from functools import cache

import numpy as np

from pipelines.file_reading import FileReading
from pipelines.limits import MAX_OCR_PAGES, MAX_OCR_SECONDS, SUBPROCESS_TIMEOUT, dies_with_its_parent
from pipelines.pdf_reader import EDGE_BAND, assemble, lines_of
from pipelines.printed import header_word_cores
from pipelines.schema import (
    active_column_cores,
    active_row_cores,
    application_column_labels,
    application_rows,
    core,
    review_label_cores,
)

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
    images = (document[n].render(scale=OCR_DPI / 72).to_pil().convert("L") for n in range(count))
    read_pages(reading, images, count, 72 / OCR_DPI)
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
    read_pages(reading, frames, len(frames), 1.0)
    return reading


def read_pages(reading: FileReading, images: Iterable, count: int, to_points: float) -> None:
    """OCR page by page, no page started after MAX_OCR_SECONDS; then assembled as a PDF's pages."""
    layout = []
    started = time.monotonic()
    for n, image in enumerate(images):
        if time.monotonic() - started > MAX_OCR_SECONDS:
            reading.problems.append(f"limit: OCR stopped after MAX_OCR_SECONDS ({MAX_OCR_SECONDS} s); read {n} of {count} pages")
            break
        layout.append(ocr_page(reading, image, n + 1, to_points))
    assemble(reading, layout)


def ocr_page(reading: FileReading, image, page: int, to_points: float) -> list[tuple[str, object, float]]:
    """One page image's layout as pipelines.pdf_reader.page_layout gives it (tables, lines,
    header and footer lines), boxes in PDF points (pixels for a plain image); `assemble` then
    drops running headers and joins tables over page breaks as for a drawn PDF.

    Table cells are read apart from the page: their insides (inside the rules, which OCR
    would read as strokes) are stacked on strips, one cell to a band, and read at once; a
    cell with ink but no text is read again as figures. The page less its tables is read
    for the text around them."""
    from PIL import ImageDraw

    image = despeckled(image)
    image, turned = straightened(image)
    if turned:
        reading.problems.append(f"ocr: page {page} scanned askew; turned {turned:+.1f}° before it was read")
    pixels = np.asarray(image)
    tables = ruled_tables(pixels)
    rest = image.copy()
    for table in tables:
        ImageDraw.Draw(rest).rectangle(table.bbox, fill=255)
    words = tesseract_words(rest)
    if words is None:
        reading.problems.append(f"ocr: tesseract could not read page {page} (not installed, or over SUBPROCESS_TIMEOUT)")
        return []
    items: list[tuple[str, object, float]] = []
    repaired: list[tuple[str, str]] = []
    for table in tables:
        boxes = [box for row in table.rows for box in row.cells if box is not None]
        read = dict(zip(boxes, strip_texts(image, boxes), strict=True))
        columns = figure_columns(table.rows, read)
        figures = [box for row in table.rows for box in figure_cells(row.cells, read, columns) if inked(pixels, box)]
        readings_at = [strip_texts(image, figures, FIGURES, glyph_height=height) for height in FIGURE_HEIGHTS]
        lone: dict[tuple, str] = {}  # cells only one reading took for a figure: that figure
        for box, *readings in zip(figures, *readings_at, strict=True):
            votes = figure_votes(read[box], readings)
            read[box] = agreed(votes)
            if read[box] == UNREAD and len(votes) == 1:
                lone[box] = votes[0]
        for box, third in zip(lone, strip_texts(image, list(lone), FIGURES, glyph_height=TIE_BREAK_HEIGHT), strict=True):
            if third == lone[box]:
                read[box] = third
        for box in (box for row in table.rows for box in label_cells(row.cells, read)):
            as_read = read[box]
            read[box] = known_label(as_read)
            if read[box] != as_read:
                repaired.append((as_read, read[box]))
        for row in table.rows:
            repaired += known_headers(row.cells, read)
        for box in boxes:
            read[box] = label_numbering(read[box])
        rows = [([None if box is None else read[box] for box in row.cells],
                 [None if box is None else {"page": page, "bbox": [round(v * to_points, 1) for v in box]}
                  for box in row.cells]) for row in table.rows]  # fmt: skip
        items.append(("table", rows, table.bbox[1] * to_points))
    if repaired:
        reading.problems.append(f"ocr: page {page}: {len(repaired)} row labels or headers read as the printed one nearest them"
                                f" (e.g. {repaired[0][0]!r} as {repaired[0][1]!r})")  # fmt: skip
    in_points = [{**w, **{k: w[k] * to_points for k in ("x0", "top", "x1", "bottom")}} for w in words]
    height = image.height * to_points
    for line in lines_of(in_points):
        entries = [(w["text"], {"page": page, "bbox": [round(w[k], 1) for k in ("x0", "top", "x1", "bottom")]})
                   for w in line]  # fmt: skip
        edge = line[0]["top"] < EDGE_BAND * height or line[0]["bottom"] > (1 - EDGE_BAND) * height
        items.append(("edge" if edge else "words", entries, line[0]["top"]))
    return sorted(items, key=lambda item: item[2])


@cache
def row_label_cores() -> tuple[str, ...]:
    """The cores of every row label of tables 二 and 三, and of table 三's row groups."""
    rows = application_rows()
    return tuple(sorted({row.core for row in rows} | {row.parent_core for row in rows if row.parent_core}
                        | set(active_row_cores())))  # fmt: skip


def label_cells(cells: list, read: dict) -> list:
    """The cells of a row of figures before its first figure: where its labels are. A header
    row has no figures, and a header is never taken for a row label (行政复议 misread as
    行政复许 is nearer 行政许可 than anything)."""
    boxes = [box for box in cells if box is not None]
    first = next((n for n, box in enumerate(boxes) if FIGURE.fullmatch(read[box])), None)
    return [] if first is None else [box for box in boxes[:first] if read[box]]


def known_label(text: str) -> str:
    """A row label as the formats print it when OCR misread a character or two of it
    (不巴公开 for 不予公开, 茜止 for 禁止, 工 for "1."), else the text as read. Only a label of
    four characters or more, close to one label (LABEL_LIKENESS) and clearly closer to it
    than to any other (LABEL_MARGIN): the table reader then reads the row as printed."""
    return nearest(text, row_label_cores(), LABEL_MARGIN)


def nearest(text: str, known: tuple[str, ...], margin: float) -> str:
    label = core(text)
    if len(label) < 4 or label in known or figure_like(text):
        return text
    likeness = sorted(((SequenceMatcher(None, label, k).ratio(), k) for k in known), reverse=True)
    (best, closest), (second, _) = likeness[0], likeness[1]
    return closest if best >= LABEL_LIKENESS and best - second >= margin else text


LABEL_LIKENESS = 0.75  # one character in four misread
LABEL_MARGIN = 0.2
# A column header is short (6 characters: 本年废止件数 and 本年制发件数 differ in two), so one
# character clearer than the next header will do; and a header is taken only where its row
# does not print it already (a row of headers names each column once).
HEADER_MARGIN = 0.15


@cache
def header_cores() -> tuple[str, ...]:
    """The cores of the column headers tables 二, 三 and 四 print."""
    columns = {core(label) for label in application_column_labels().values()}
    return tuple(sorted(set(active_column_cores()) | header_word_cores() | review_label_cores() | columns))


def known_headers(cells: list, read: dict) -> list[tuple[str, str]]:
    """In a row of headers (no figure in it), each header OCR misread a character of
    (本年刻止件数) taken as the printed header nearest it; returns (as read, taken as)."""
    boxes = [box for box in cells if box is not None and read[box]]
    if any(FIGURE.fullmatch(read[box]) for box in boxes):
        return []
    changed = []
    for box in boxes:
        taken = nearest(read[box], header_cores(), HEADER_MARGIN)
        if taken != read[box] and taken not in {core(read[other]) for other in boxes}:
            changed.append((read[box], taken))
            read[box] = taken
    return changed


SPECKLE_SHARE = 0.01  # of the page's ink in dots with no inked neighbour: a scan's salt noise


def despeckled(image):
    """The page without the specks a scanner or a fax leaves (PIL's 3x3 median filter), when
    more than SPECKLE_SHARE of its ink is lone dots. Each speck breaks a run of a table rule's
    ink or joins a figure's strokes: a page specked 1 in 400 lost 40% of its table values. A
    clean page has no lone dots and is left as it is (the filter thins a hanzi's strokes)."""
    from PIL import ImageFilter

    ink = np.asarray(image) < DARK
    inner = ink[1:-1, 1:-1]
    neighbours = np.zeros(inner.shape, dtype=np.uint8)  # a byte a pixel: a page is 4 MB, not 31
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if (dy, dx) != (0, 0):
                neighbours += ink[1 + dy : ink.shape[0] - 1 + dy, 1 + dx : ink.shape[1] - 1 + dx]
    lone = int((inner & (neighbours == 0)).sum())
    if lone <= SPECKLE_SHARE * max(1, int(inner.sum())):
        return image
    return image.filter(ImageFilter.MedianFilter(3))


MAX_SKEW = 5.0  # degrees: a page fed askew; more is a page turned on purpose, left as it is
SKEW_STEP = 0.1  # degrees: a table's rules a third of a degree off are already broken runs
# The page is looked at this many times smaller: the Hough transform's votes over 1,800 angles
# took 190 MB at half size, 110 MB at a third, and a quarter misjudged 0.3° as 0.4°.
SKEW_SHRINK = 3


def straightened(image) -> tuple[object, float]:
    """The page turned upright when it was scanned askew, and by how many degrees. The rules
    of a table are found as long runs of ink along a row of pixels: a page scanned 0.3° askew
    lost 40% of its table values, 0.7° nine tenths. The angle is deskew's (a Hough transform
    of the page's edges)."""
    from deskew import determine_skew
    from PIL import Image

    small = image.resize((max(1, image.width // SKEW_SHRINK), max(1, image.height // SKEW_SHRINK)))
    angle = determine_skew(np.asarray(small), min_deviation=SKEW_STEP, max_angle=MAX_SKEW)
    if angle is None or abs(angle) < SKEW_STEP or abs(angle) > MAX_SKEW:
        return image, 0.0
    return image.rotate(float(angle), resample=Image.BICUBIC, fillcolor=255), round(float(angle), 1)


def label_numbering(text: str) -> str:
    """A label's numbering as OCR misreads it: "工." for "1.", "1申请人…" and "3其他" for
    "1.申请人…" and "3.其他" (a figure run into hanzi: a long label, or a row's own)."""
    text = re.sub(r"^[工丨|lI]([.、．])", r"1\1", text)
    numbered = re.match(r"^(\d)([\u4e00-\u9fff]+)$", text)
    if numbered and numbered.group(2) in row_label_cores():
        return f"{numbered.group(1)}.{numbered.group(2)}"
    return re.sub(r"^(\d)(?=[\u4e00-\u9fff]{5})", r"\1.", text)


# Cells chi_sim read as figures, or as a character a lone figure is misread as, or as nothing
# though inked, are read again by the English model limited to figures, at twice the size
# (chi_sim reads "1" as 工 and "11" as 1 in common fonts; eng at that size reads them right).
DIGIT_LOOKALIKES = "工丨|lI一口〇OoDQ业"
AS_FIGURES = str.maketrans({**dict.fromkeys("工丨|lI", "1"), **dict.fromkeys("口〇OoDQ", "0"),
                            **dict.fromkeys("−－—–", "-")})  # fmt: skip
FIGURE_LIKE = re.compile(rf"[\d.,\-−－—–{DIGIT_LOOKALIKES}]{{0,12}}")
FIGURE = re.compile(r"-?\d+(?:\.\d+)?")
LEADING_ZERO = re.compile(r"-?0\d")
FIGURES = ("eng", ("-c", "tessedit_char_whitelist=0123456789.-"))
# The two heights in pixels eng reads the figures at, each cell's print scaled up to them: a
# 8-point figure scanned at 200 dpi (16 px) is read at twice and three times its size, a
# 12-point one (27 px) at its own and twice; eng misses figures drawn much taller or smaller.
FIGURE_HEIGHTS = (30, 45)
# A cell only one of those readings took for a figure (a lone "1" eng reads at one size and
# misses at the other) is read once more at this height: kept when that reading is the same
# figure, two readings then agreeing and none against them.
TIE_BREAK_HEIGHT = 80


def figure_votes(first: str, figures: list[str]) -> list[str]:
    """The readings of a cell that are figures: chi_sim's (its look-alikes taken as the figures
    they stand for) and eng's. A reading with a leading zero ("08") is no reading: no report
    prints a count so, and eng at both sizes has read a "58" that way."""
    first = re.sub(r"^一(?=\d)", "-", first).translate(AS_FIGURES)  # chi_sim reads a minus as 一
    signed = [("-" + text) if first.startswith("-") and not text.startswith("-") and len(text) == len(first) - 1
              else text for text in figures]  # fmt: skip  # a short minus sign eng did not see
    return [text for text in (first, *signed) if FIGURE.fullmatch(text) and not LEADING_ZERO.match(text)]


def agreed(votes: list[str]) -> str:
    """A figure at least two of a cell's three readings (figure_votes) agree on; else UNREAD:
    a figure the readings dispute is left out, never guessed. Where only one reading is a
    figure, ocr_page asks eng once more (TIE_BREAK_HEIGHT)."""
    return next((text for text in votes if votes.count(text) >= 2), UNREAD)


def figure_like(text: str) -> bool:
    return FIGURE_LIKE.fullmatch(text) is not None


def read_as_figure(text: str) -> bool:
    return FIGURE.fullmatch(text.translate(AS_FIGURES)) is not None


def figure_columns(rows: list, read: dict) -> set[int]:
    """The grid columns of a table that hold figures: at least MIN_FIGURE_COLUMN of their cells,
    and a third, read as figures (a column of labels never does; one of figures also holds its
    headers and the figures chi_sim misread)."""
    columns = set()
    for n in range(max((len(row.cells) for row in rows), default=0)):
        texts = [read[row.cells[n]] for row in rows if n < len(row.cells) and row.cells[n] is not None]
        texts = [text for text in texts if text]
        figures = sum(map(read_as_figure, texts))
        if figures >= MIN_FIGURE_COLUMN and 3 * figures >= len(texts):
            columns.add(n)
    return columns


MIN_FIGURE_COLUMN = 3
MAX_MISREAD_FIGURE = 3  # characters of a figure chi_sim misread in a figure column ("2六" for 21)


def figure_cells(cells: list, read: dict, columns: set[int]) -> list:
    """The cells of a row to read again as figures: those chi_sim read as figures or their
    look-alikes; in a row of figures, a cell it read as one other character (a "2" read as
    又, a "1" as 册 in a narrow cell: no label of the formats is one character); and in a
    column of figures, a short cell it read as a figure and something else ("2六" for 21; not
    总计 or 其他, the headers above such a column)."""
    figures_read = sum(read_as_figure(read[box]) for box in cells if box is not None)
    return [
        box for n, box in enumerate(cells) if box is not None and (
            figure_like(read[box]) or (figures_read >= 2 and len(read[box]) == 1)
            or (n in columns and len(read[box]) <= MAX_MISREAD_FIGURE and any(map(str.isdigit, read[box])))
        )
    ]  # fmt: skip


STRIP_HEIGHT = 8000  # pixels of one strip of cells handed to tesseract


def ink_height(crop) -> int:
    """Pixels from the top to the bottom of the ink in a cell's inside (0 when blank)."""
    inked_rows = np.flatnonzero((np.asarray(crop) < DARK).any(axis=1))
    return int(inked_rows[-1] - inked_rows[0] + 1) if inked_rows.size else 0


def strip_texts(
    image, boxes: list[tuple], how: tuple[str, tuple] = (LANGUAGES, ()), glyph_height: int | None = None
) -> list[str]:
    """The text of each box, its inside (within the rules) read on a strip of cells, one cell
    to a band with a blank gap around it; "" where nothing was read. With glyph_height, each
    cell is first scaled up by the whole factor that brings its ink nearest that height."""
    from PIL import Image

    texts: list[str] = []
    gap = 30
    batch: list = []
    pixels = np.asarray(image)
    for n, box in enumerate(boxes):
        inner = inside(pixels, box)
        crop = Image.fromarray(inner) if inner.size else Image.new("L", (1, 1), 255)
        scale = min(4, max(1, round(glyph_height / max(1, ink_height(crop))))) if glyph_height else 1
        batch.append(crop if scale == 1 else crop.resize((crop.width * scale, crop.height * scale), Image.LANCZOS))
        if n + 1 < len(boxes) and sum(c.height + gap for c in batch) < STRIP_HEIGHT:
            continue
        strip = Image.new("L", (max(c.width for c in batch) + 2 * gap, sum(c.height + gap for c in batch) + gap), 255)
        slots, y = [], gap
        for crop in batch:
            strip.paste(crop, (gap, y))
            slots.append((y, y + crop.height))
            y += crop.height + gap
        found = [""] * len(batch)
        words = tesseract_words(strip, languages=how[0], extra=how[1]) or []
        for word in sorted(words, key=lambda w: (w["line"], w["x0"])):
            middle = (word["top"] + word["bottom"]) / 2
            for k, (top_, bottom_) in enumerate(slots):
                if top_ - gap / 2 <= middle <= bottom_ + gap / 2:
                    found[k] += word["text"]
        texts += found
        batch = []
    return texts


RULE_BAND = 12  # pixels along each edge of a cell's inside where a rule's remnant may lie
RULE_SHARE = 0.8  # a line of pixels this much ink, along an edge, is a rule, not print


def inside(pixels: np.ndarray, box: tuple) -> np.ndarray:
    """A cell's inside: within its rules, and without what is left of them along its edges (a
    rule drawn thick or double, as a browser prints an HTML table, reaches past the cut and
    reads as a 1 or a stroke beside the figure)."""
    x0, top, x1, bottom = (int(v) for v in box)
    inner = pixels[top + 4 : bottom - 3, x0 + 4 : x1 - 3].copy()
    if inner.size == 0:
        return inner
    dark = inner < DARK
    band = min(RULE_BAND, inner.shape[1] // 4)
    for column in [*range(band), *range(inner.shape[1] - band, inner.shape[1])]:
        if dark[:, column].mean() >= RULE_SHARE:
            inner[:, column] = 255
    band = min(RULE_BAND, inner.shape[0] // 4)
    for row in [*range(band), *range(inner.shape[0] - band, inner.shape[0])]:
        if dark[row, :].mean() >= RULE_SHARE:
            inner[row, :] = 255
    return inner


def inked(pixels: np.ndarray, box: tuple) -> bool:
    """Whether a cell OCR found no word in holds ink inside its rules: something printed there
    was not read, and the cell must not count as an empty one (which reads as 0)."""
    inner = inside(pixels, box)
    return inner.size > 0 and int((inner < DARK).sum()) > 12


def centre_in(word: dict, box: tuple) -> bool:
    x, y = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def single_threaded() -> dict[str, str]:
    """tesseract's environment: one OpenMP thread unless the operator says otherwise. Its
    threads spin while they wait for one another, and the process stage already runs a worker
    per core: on 2 cores a scanned report took about 40% longer with them, in CPU and in wall
    time (tesseract's own documentation advises the same for parallel runs)."""
    return {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")}


def tesseract_words(image, languages: str = LANGUAGES, psm: str = "6", extra: tuple[str, ...] = ()) -> list[dict] | None:
    """Words with boxes (pixels) and their tesseract line, or None when tesseract fails."""
    png = io.BytesIO()
    image.save(png, format="PNG")
    try:
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", languages, "--psm", psm, *extra, "tsv"],
            input=png.getvalue(), capture_output=True, timeout=SUBPROCESS_TIMEOUT, preexec_fn=dies_with_its_parent,
            env=single_threaded(),
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
    vertical = [e for e in edges if e["orientation"] == "v"]
    if vertical:  # a table cut by a page break often lacks its closing rule: the verticals' ends stand in
        left, right = min(e["x0"] for e in vertical), max(e["x0"] for e in vertical)
        for y in (min(e["top"] for e in vertical), max(e["bottom"] for e in vertical)):
            edges.append({"orientation": "h", "x0": left, "x1": right, "top": y, "bottom": y, "width": right - left, "height": 0})
    edges = merge_edges(edges, snap_x_tolerance=4, snap_y_tolerance=4, join_x_tolerance=4, join_y_tolerance=4)
    cells = intersections_to_cells(edges_to_intersections(edges, 3, 3))
    return [Table(None, group) for group in cells_to_tables(cells) if len(group) > 1]
