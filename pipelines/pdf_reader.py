"""A PDF's text and table cells, with page number and bounding box of each, via pdfplumber.

Ruled tables are read from their rules (pdfplumber's lines strategy); a table that runs over a
page break is one table: the part at the top of the next page continues its rows when the
previous page ended in a table of as many columns, and a row or merged cell cut in two by the
break is joined, header rows too: a header cell merged down to the break (结果维 over two rows)
takes the rest the next page prints under it (持). The closing rule of a table cut by a break is often not drawn: the vertical
rules' ends stand in for it. Running headers and footers (the same line at the top or bottom
of most pages, page numbers such as "— 3 —" or "第3页") are dropped. Text outside tables is
read line by line from the words' positions; words far apart on one line are cells of a row
printed without rules.

A text layer that does not read as Chinese (fonts without a Unicode map: `(cid:NN)`, U+FFFD,
glyph codes) is read again by poppler's pdftotext, and failing that, or for pages with no
text at all (scans), by OCR (pipelines.ocr). Encrypted, corrupt and over-long PDFs are
recorded problems (pipelines.limits.MAX_FILE_PAGES).
"""

from __future__ import annotations

import io
import logging
import re
import subprocess
from collections import Counter

from pipelines.cells import make_cell
from pipelines.file_reading import FileReading, readable_text
from pipelines.limits import MAX_FILE_PAGES, SUBPROCESS_TIMEOUT, dies_with_its_parent

# pdfminer warns once per glyph of a font whose descriptor lacks a FontBBox, as Chromium's
# printed PDFs have: thousands of log lines per file, with nothing wrong in the reading.
logging.getLogger("pdfminer").setLevel(logging.ERROR)

EDGE_BAND = 0.09  # share of the page height at top and bottom where headers and footers print
PAGE_NUMBER = re.compile(r"^[-—–－\s]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*/\s*(?:共\s*)?\d{1,4}\s*页?)?[-—–－\s]*$")
WORD_GAP = 9.0  # points between two words of one line that make them two cells
LINE_TOLERANCE = 3.0  # points: words whose tops differ by less are on one line


def read_pdf(body: bytes) -> FileReading:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    reading = FileReading("pdfplumber")
    try:
        pdf = pdfplumber.open(io.BytesIO(body))
    except Exception as error:  # pdfplumber wraps pdfminer's errors: the cause tells
        causes = [error, error.__cause__, *error.args]
        if any(isinstance(cause, PDFPasswordIncorrect) for cause in causes):
            reading.problems.append("unreadable file: the PDF is encrypted (a password is needed to open it)")
        else:
            reading.problems.append(f"unreadable file: the PDF is damaged ({type(error).__name__}: {str(error)[:200]})")
        return reading
    with pdf:
        pages = pdf.pages
        if len(pages) > MAX_FILE_PAGES:
            reading.problems.append(
                f"limit: the PDF has {len(pages)} pages; read the first MAX_FILE_PAGES ({MAX_FILE_PAGES})"
            )
            pages = pages[:MAX_FILE_PAGES]
        try:
            layout = []
            for page in pages:
                layout.append(page_layout(page))
                page.close()  # its parsed objects freed: memory stays one page deep
        except Exception as error:
            reading.problems.append(f"unreadable file: the PDF is damaged ({type(error).__name__}: {str(error)[:200]})")
            return reading
    text = " ".join(word for page in layout for kind, item, _ in page if kind == "words" for word, _ in item)
    text += " ".join(t or "" for page in layout for kind, item, _ in page if kind == "table" for row in item for t in row[0])
    if not text.strip():
        return ocr_reading(body, len(layout), "no text layer (a scanned or image-only PDF)")
    if not readable_text(text):
        second = pdftotext_reading(body, len(layout))
        if second is not None:
            return second
        return ocr_reading(body, len(layout), "the text layer does not read as text (fonts without a Unicode map)"
                           " and neither does pdftotext's")  # fmt: skip
    assemble(reading, layout)
    return reading


def page_layout(page) -> list[tuple[str, object, float]]:
    """A page's content in reading order: ("table", rows, top) and ("words", words, top) items,
    headers and footers marked ("edge", text, top) for `assemble` to judge across pages."""
    page = page.dedupe_chars()  # bold made by printing each glyph twice reads once
    height = page.height
    tops = [e["top"] for e in page.edges if e["orientation"] == "v"]
    bottoms = [e["bottom"] for e in page.edges if e["orientation"] == "v"]
    settings = {"explicit_horizontal_lines": [min(tops), max(bottoms)] if tops else []}
    tables = page.find_tables(settings)
    items: list[tuple[str, object, float]] = []
    for table in tables:
        rows = []
        texts = table.extract()
        for row, cells in zip(table.rows, texts, strict=True):
            places = [None if box is None else {"page": page.page_number, "bbox": [round(v, 1) for v in box]}
                      for box in row.cells]  # fmt: skip
            rows.append((cells, places))
        if rows:
            items.append(("table", rows, table.bbox[1]))
    boxes = [table.bbox for table in tables]
    words = [
        w for w in page.extract_words(use_text_flow=False, keep_blank_chars=False)
        if not any(x0 - 1 <= w["x0"] and w["x1"] <= x1 + 1 and top - 1 <= w["top"] and w["bottom"] <= bottom + 1
                   for x0, top, x1, bottom in boxes)
    ]  # fmt: skip
    items += line_items(words, page.page_number, height)
    items.sort(key=lambda item: item[2])
    return items


def line_items(words: list[dict], number: int, height: float) -> list[tuple[str, object, float]]:
    """The words outside a page's tables as ("words", words, top) lines, or ("edge", …) lines
    in the page's top and bottom bands (a running header or footer, judged by `assemble`)."""
    items: list[tuple[str, object, float]] = []
    for line in lines_of(words):
        top = line[0]["top"]
        entries = [(w["text"], {"page": number, "bbox": [round(w[k], 1) for k in ("x0", "top", "x1", "bottom")]})
                   for w in line]  # fmt: skip
        edge = top < EDGE_BAND * height or line[0]["bottom"] > (1 - EDGE_BAND) * height
        items.append(("edge" if edge else "words", entries, top))
    return items


def lines_of(words: list[dict]) -> list[list[dict]]:
    """Words grouped into lines (tops within LINE_TOLERANCE, or OCR's own line of each word)
    and joined where they nearly touch (OCR and some PDFs place each hanzi apart), never
    where a figure meets the gap: "3 0" is two cells, not 30."""
    lines: list[list[dict]] = []
    if words and "line" in words[0]:  # OCR: the characters of a line differ in height
        by_line: dict = {}
        for word in words:
            by_line.setdefault(word["line"], []).append(word)
        lines = sorted(by_line.values(), key=lambda line: min(w["top"] for w in line))
    for word in [] if lines else sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) < LINE_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    out = []
    for line in lines:
        line.sort(key=lambda w: w["x0"])
        merged = [dict(line[0])]
        for word in line[1:]:
            digit_junction = merged[-1]["text"][-1:].isdigit() and word["text"][:1].isdigit()
            if word["x0"] - merged[-1]["x1"] < WORD_GAP and not digit_junction:  # "3 0" stays two figures
                merged[-1]["text"] += word["text"]
                merged[-1]["x1"] = word["x1"]
            else:
                merged.append(dict(word))
        out.append(merged)
    return out


def assemble(reading: FileReading, layout: list[list[tuple[str, object, float]]]) -> None:
    """The pages' items into the reading, headers and footers dropped, tables joined over breaks."""
    edge_texts = Counter(
        re.sub(r"\d+", "#", "".join(w for w, _ in item)) for page in layout for kind, item, _ in page if kind == "edge"
    )
    running = {text for text, count in edge_texts.items() if count >= max(2, len(layout) // 2)}
    last_columns = None  # columns of the table the previous page ended with
    for page in layout:
        content = [
            (kind, item) for kind, item, _ in page
            if not (kind == "edge" and (re.sub(r"\d+", "#", "".join(w for w, _ in item)) in running
                                        or PAGE_NUMBER.match("".join(w for w, _ in item))))
        ]  # fmt: skip
        for n, (kind, item) in enumerate(content):
            if kind == "table":
                columns = len(item[0][0])
                continued = n == 0 and last_columns == columns
                if not continued:
                    reading.new_table()
                rows = join_break(reading, item) if continued else item
                for texts, places in rows:
                    reading.row(texts, places)
                last_columns = columns
            else:
                reading.words_row(item)
                last_columns = None
        reading.pages += 1


def join_break(reading: FileReading, rows: list) -> list:
    """The first row of a table's part after a page break, joined to the table's last row when
    it is the rest of that row cut by the break: either it fills only what that row left empty,
    or one of the two holds no figure, the other's figure cells are empty (not merged away) in
    it, and its text continues label cells (a label wrapped over the break: "2.其他法" /
    "律行政法规禁止公开"). Cells of a merged cell cut by the break that hold nothing are no
    cells of their own."""
    texts, places = rows[0]
    previous = {c.col: c for c in reading.cells if c.table == reading.tables - 1 and c.row == reading.next_row - 1}
    above = open_cells(reading, previous) if previous else {}
    if previous and cut_row(previous, texts, set(above)):
        for cell in previous.values():
            reading.cells.remove(cell)
        reading.next_row -= 1
        texts = list(texts)
        for col, cell in above.items():
            if texts[col] is not None and col not in previous:  # the rest of a cell merged down to the break
                continue_cell(reading, cell, texts[col])
                texts[col] = None
        texts = [((previous[col].raw if col in previous else "") + (t or "")) if (t is not None or col in previous) else None
                 for col, t in enumerate(texts)]  # fmt: skip
        return [(texts, places), *rows[1:]]
    leading = [None if (t is not None and not t.strip() and all(not (x or "").strip() for x in texts[:col])) else t
               for col, t in enumerate(texts)]  # fmt: skip
    return [(leading, places), *rows[1:]]


def open_cells(reading: FileReading, last_row: dict) -> dict:
    """The cells of rows above the table's last row that are merged down to the page break,
    by column: a header cell printed over two rows ("结果" above, none below) whose lower half
    is cut by the break continues at the top of the next page in its own column. A cell is
    open when its box reaches the bottom of the last row."""
    table = reading.tables - 1
    bottoms = [reading.places.get(("table", table, c.row, c.col), {}).get("bbox", [0, 0, 0, 0])[3]
               for c in last_row.values()]  # fmt: skip
    if not bottoms or not max(bottoms):
        return {}
    bottom = max(bottoms)
    found: dict = {}
    for cell in reversed(reading.cells):
        if cell.table != table or cell.col in found or cell.col in last_row:
            continue
        box = reading.places.get(("table", table, cell.row, cell.col), {}).get("bbox")
        if box and abs(box[3] - bottom) < 1.0:
            found[cell.col] = cell
        elif box:
            found[cell.col] = None  # the nearest cell above ends before the break: nothing is open there
    return {col: cell for col, cell in found.items() if cell is not None}


def continue_cell(reading: FileReading, cell, rest: str) -> None:
    """`cell` with the text the next page printed in its lower half added, in place."""
    text = cell.raw + reading.clean(rest.replace("\n", ""))
    joined = make_cell(text, table=cell.table, row=cell.row, col=cell.col) or cell
    joined.row_end = cell.row_end
    reading.cells[reading.cells.index(cell)] = joined


def cut_row(previous: dict, texts: list[str | None], open_above: set = frozenset()) -> bool:
    """Whether `texts` (a part's first row) is the rest of the row whose cells are `previous`
    (both by column; a column a merged cell covers is absent; `open_above`: columns where a
    cell of a row above is merged down to the break)."""
    before = {col: cell_kind(cell.raw) for col, cell in previous.items()}
    after = {col: cell_kind(text) for col, text in enumerate(texts) if text is not None}
    if all(not after[col] or not before.get(col) for col in after):  # it fills only what was empty
        return "number" not in before.values()
    if "number" not in before.values() and "number" not in after.values():
        # header rows cut by the break ("结果维" / "持"): every label below continues a label
        # or a cell merged down to the break; a header cell may end above the break (总计
        # over ""). A row of sub-headers under a wider cell lies under no label of its own.
        return all(kind != "label" or before.get(col) == "label" or col in open_above for col, kind in after.items())
    if "number" in before.values() and "number" in after.values():
        return False  # two rows of figures
    figures, words = (before, after) if "number" in before.values() else (after, before)
    return all(words.get(col) == "" for col, kind in figures.items() if kind == "number") and all(
        figures.get(col) == "label" for col, kind in words.items() if kind == "label"
    )


def cell_kind(text: str) -> str:
    """"" (empty), "number" or "label", as the cell reader reads the text."""
    cell = make_cell(text) if text.strip() else None
    return "" if cell is None or cell.kind == "blank" else cell.kind


# -- second reader: poppler's pdftotext ------------------------------------------------------
def pdftotext_reading(body: bytes, pages: int) -> FileReading | None:
    """The words and their boxes as poppler reads them (`pdftotext -tsv`); None when its text
    does not read as Chinese either, or poppler is not installed."""
    try:
        done = subprocess.run(
            ["pdftotext", "-tsv", "-l", str(MAX_FILE_PAGES), "-", "-"],
            input=body, capture_output=True, timeout=SUBPROCESS_TIMEOUT, preexec_fn=dies_with_its_parent,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    words_by_page: dict[int, list[dict]] = {}
    for line in done.stdout.decode("utf-8", "replace").splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) < 12 or fields[0] != "5" or fields[11].startswith("###"):
            continue
        left, top, width, height = (float(v) for v in fields[6:10])
        words_by_page.setdefault(int(fields[1]), []).append(
            {"text": fields[11], "x0": left, "top": top, "x1": left + width, "bottom": top + height}
        )
    text = " ".join(w["text"] for words in words_by_page.values() for w in words)
    if not text.strip() or not readable_text(text):
        return None
    reading = FileReading("pdftotext")
    for page, words in sorted(words_by_page.items()):
        for line in lines_of(words):
            reading.words_row([(w["text"], {"page": page, "bbox": [round(w[k], 1) for k in ("x0", "top", "x1", "bottom")]})
                               for w in line])  # fmt: skip
        reading.pages += 1
    reading.problems.append("pdf: the text layer does not read as text; read by pdftotext instead")
    return reading


def ocr_reading(body: bytes, pages: int, why: str) -> FileReading:
    from pipelines.ocr import ocr_pdf

    reading = ocr_pdf(body, pages)
    reading.problems.insert(0, f"ocr: {why}; read by OCR")
    return reading
