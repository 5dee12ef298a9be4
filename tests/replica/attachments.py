"""A report as the file an agency attaches: real bytes of a real format, built from its facts.

`render_attachment(kind, report)` gives the bytes of one report (anything with `title`,
`agency`, `year`, `published`, `format` and `values`, e.g. tests.replica.generator.Page)
published as a file, each kind a layout seen on real portals:

pdf          ruled tables (reportlab, a CJK TrueType font) long enough to run over page breaks,
             a merged cell split by a break, a running header and a page-number footer
pdf_office   the DOCX exported to PDF by LibreOffice, as agencies export from their word
             processor: narrow label columns, rows cut in two by page breaks
pdf_text     no rules: every row printed as one line of text, cells apart by gaps
pdf_cid      the ruled PDF with its fonts' ToUnicode maps removed: the glyphs print, the text
             layer reads as garbage (as PDFs from some typesetters do)
pdf_scanned  the ruled PDF's pages as images (a scan, 图片版): only OCR reads it
docx         python-docx, tables with merged cells
doc / wps    the DOCX converted by LibreOffice to Word 97 (LibreOffice cannot write WPS; a
             .wps served by a portal is most often a Word 97 file, and so is ours)
xlsx         openpyxl, one sheet per table, merged cells
xls          the XLSX converted by LibreOffice to Excel 97
ofd          the ruled PDF as an OFD file (tests.replica.ofd_file): words as TextObjects, rules
             as PathObjects, pages as printed
doc_password the DOC saved under a password (LibreOffice over UNO): no reader can open it

The tables are the replica's own grids (tests.replica.tables), so labels and values are the
schema's; the prose is our own filler.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from tests.replica import tables

KINDS = ("pdf", "pdf_office", "pdf_text", "pdf_cid", "pdf_scanned", "docx", "doc", "wps", "xlsx", "xls", "ofd", "doc_password")
FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
FONT = "CJK"
HEADING = ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况")
FILLER = (
    "本年度，我单位认真贯彻落实《中华人民共和国政府信息公开条例》，持续推进政务公开工作，"
    "不断完善公开制度，拓展公开渠道，提升公开质量。"
)


def render_attachment(kind: str, report) -> bytes:
    """The bytes of `report` published as a file of `kind` (one of KINDS)."""
    if kind == "pdf":
        return ruled_pdf(report)
    if kind == "pdf_office":
        return converted(docx_file(report), "docx", "pdf")
    if kind == "pdf_text":
        return text_pdf(report)
    if kind == "pdf_cid":
        return without_unicode_maps(ruled_pdf(report, compress=False))
    if kind == "pdf_scanned":
        return scanned_pdf(ruled_pdf(report))
    if kind == "docx":
        return docx_file(report)
    if kind in ("doc", "wps"):
        return converted(docx_file(report), "docx", "doc")
    if kind == "xlsx":
        return xlsx_file(report)
    if kind == "xls":
        return converted(xlsx_file(report), "xlsx", "xls")
    if kind == "ofd":
        from tests.replica.ofd_file import ofd_from_pdf

        return ofd_from_pdf(ruled_pdf(report))
    if kind == "doc_password":
        return password_doc(docx_file(report), "replica")
    raise ValueError(f"unknown attachment kind {kind!r}; one of {KINDS}")


def grids(report) -> list[tuple[str, tables.Grid]]:
    """(heading, grid) of each statistics table, in printed order; none for legacy reports."""
    if report.format == "legacy" or not report.values:
        return []
    active = tables.active_grids(report.values, report.format)
    return [
        (HEADING[0], [row for grid in active for row in grid]),
        (HEADING[1], tables.applications_grid(report.values, report.format)),
        (HEADING[2], tables.reviews_grid(report.values)),
    ]


def cell_text(cell: tables.GridCell) -> str:
    return cell.text if cell.number is None else tables.number_text(cell, blank_zeros=False)


def matrix(grid: tables.Grid) -> tuple[list[list[str]], list[tuple[int, int, int, int]]]:
    """The grid as a full rectangle of texts, and its spans as (row, col, last row, last col)."""
    width = sum(cell.colspan for cell in grid[0])
    texts = [[""] * width for _ in grid]
    taken: set[tuple[int, int]] = set()
    spans = []
    for r, row in enumerate(grid):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            texts[r][c] = cell_text(cell)
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            if cell.rowspan > 1 or cell.colspan > 1:
                spans.append((r, c, r + cell.rowspan - 1, c + cell.colspan - 1))
            c += cell.colspan
    return texts, spans


# -- PDF -------------------------------------------------------------------------------------
@cache
def cjk_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = next((p for p in FONT_PATHS if Path(p).exists()), None)
    if path is None:
        raise RuntimeError("no CJK font: `make fonts` installs fonts-wqy-zenhei")
    pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0) if path.endswith(".ttc") else TTFont(FONT, path))
    return FONT


def ruled_pdf(report, compress: bool = True) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=1)
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=10, alignment=1)
    story = [Paragraph(report.title, title), Spacer(1, 8), Paragraph("一、总体情况", body)]
    story += [Paragraph(FILLER, body) for _ in range(6)]  # pushes table 三 over a page break
    for heading, grid in grids(report):
        texts, spans = matrix(grid)
        story += [Paragraph(heading, body), Spacer(1, 4)]
        rows = [[Paragraph(text.replace("\n", "<br/>"), cell) for text in row] for row in texts]
        table = Table(rows, colWidths=column_widths(grid, A4[0] - 80), repeatRows=0, splitInRow=1)
        style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        style += [("SPAN", (c0, r0), (c1, r1)) for r0, c0, r1, c1 in spans]
        table.setStyle(TableStyle(style))
        story += [table, Spacer(1, 10)]
    story += [Paragraph("五、存在的主要问题及改进情况", body), Paragraph(FILLER, body)]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=40, rightMargin=40, topMargin=60, bottomMargin=60, invariant=1, pageCompression=int(compress))

    def chrome(canvas, doc):  # running header and page-number footer on every page
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 35, f"{report.agency}政务公开")
        canvas.drawCentredString(A4[0] / 2, 30, f"— {doc.page} —")
        canvas.restoreState()

    doc.build(story, onFirstPage=chrome, onLaterPages=chrome)
    return out.getvalue()


def column_widths(grid: tables.Grid, width: float) -> list[float]:
    """Label columns (those left of the last row's first number) share 40% of the width."""
    columns = sum(cell.colspan for cell in grid[0])
    last = matrix(grid)[0][-1]
    labels = next((c for c, cell in enumerate(last) if re.fullmatch(r"[\d.]+", cell or "-")), 0)
    if not labels:
        return [width / columns] * columns
    return [0.4 * width / labels] * labels + [0.6 * width / (columns - labels)] * (columns - labels)


def text_pdf(report) -> bytes:
    """No table rules: each row one line, its non-empty cells apart by wide gaps."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas as pdfcanvas

    font = cjk_font()
    out = io.BytesIO()
    canvas = pdfcanvas.Canvas(out, pagesize=A4, invariant=1)
    lines: list[list[str]] = [[report.title], ["一、总体情况"], [FILLER[:40]], [FILLER[40:]]]
    for heading, grid in grids(report):
        lines.append([heading])
        for row in matrix(grid)[0]:
            lines.append(dedup_spans(row))
    y = A4[1] - 60
    for cells in lines:
        if y < 60:
            canvas.showPage()
            y = A4[1] - 60
        canvas.setFont(font, 8)
        x = 40
        for text in cells:
            canvas.drawString(x, y, text)
            x += canvas.stringWidth(text, font, 8) + 18
        y -= 14
    canvas.save()
    return out.getvalue()


def dedup_spans(row: list[str]) -> list[str]:
    """A row as printed without rules: its non-empty texts, each once (spans repeat none)."""
    return [text.replace("\n", "") for text in row if text]


UNICODE_MAP = re.compile(rb"/ToUnicode \d+ 0 R")


def without_unicode_maps(pdf: bytes) -> bytes:
    """Drop each font's ToUnicode reference, keeping every byte offset (the xref stays right)."""
    return UNICODE_MAP.sub(lambda m: b" " * len(m.group()), pdf)


def scanned_pdf(pdf: bytes, dpi: int = 200) -> bytes:
    """Each page of `pdf` as a grey image on a page of its own: the text layer is gone."""
    import pypdfium2
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas as pdfcanvas

    document = pypdfium2.PdfDocument(pdf)
    out = io.BytesIO()
    canvas = None
    for page in document:
        width, height = page.get_size()
        image = page.render(scale=dpi / 72).to_pil().convert("L")
        if canvas is None:
            canvas = pdfcanvas.Canvas(out, pagesize=(width, height), invariant=1)
        canvas.drawImage(ImageReader(image), 0, 0, width, height)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


# -- Office ----------------------------------------------------------------------------------
def docx_file(report) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(report.title, level=1)
    document.add_paragraph("一、总体情况")
    document.add_paragraph(FILLER)
    for heading, grid in grids(report):
        document.add_paragraph(heading)
        texts, spans = matrix(grid)
        table = document.add_table(rows=len(texts), cols=len(texts[0]))
        table.style = "Table Grid"
        # a row's cells read once: python-docx's table.cell() walks the whole table each call
        for row, row_cells in zip(texts, (row.cells for row in table.rows), strict=True):
            for text, cell in zip(row, row_cells, strict=True):
                if text:
                    cell.text = text.replace("\n", "")
        for r0, c0, r1, c1 in spans:
            table.cell(r0, c0).merge(table.cell(r1, c1))
    document.add_paragraph("五、存在的主要问题及改进情况")
    document.add_paragraph(FILLER)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_file(report) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    workbook.active["A1"] = report.title
    for n, (heading, grid) in enumerate(grids(report), start=1):
        sheet = workbook.create_sheet(f"表{n}")
        sheet["A1"] = heading
        texts, spans = matrix(grid)
        for r, row in enumerate(texts, start=2):
            for c, text in enumerate(row, start=1):
                if text:
                    sheet.cell(r, c, value=as_number(text))
        for r0, c0, r1, c1 in spans:
            sheet.merge_cells(start_row=r0 + 2, start_column=c0 + 1, end_row=r1 + 2, end_column=c1 + 1)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def as_number(text: str):
    """Numbers as spreadsheet numbers (as agencies type them), the rest as text."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text.replace("\n", "")


def converted(body: bytes, suffix: str, to: str) -> bytes:
    """LibreOffice headless: `body` (a .suffix file) converted to format `to`."""
    return converted_many([body], suffix, to)[0]


def converted_many(bodies: list[bytes], suffix: str, to: str) -> list[bytes]:
    """Each of `bodies` (.suffix files) converted to format `to` by one start of LibreOffice
    headless: a start costs seconds, each file more a fraction of one."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("no LibreOffice: `make office-tools` installs it")
    with tempfile.TemporaryDirectory() as work:
        sources = [Path(work) / f"report{n}.{suffix}" for n in range(len(bodies))]
        for source, body in zip(sources, bodies, strict=True):
            source.write_bytes(body)
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{work}/profile", "--headless", "--convert-to", to,
             "--outdir", work, *map(str, sources)],
            check=True, capture_output=True, timeout=120 * len(bodies),
        )  # fmt: skip
        return [source.with_suffix(f".{to}").read_bytes() for source in sources]


def password_doc(docx: bytes, password: str) -> bytes:
    """`docx` saved as a Word 97 file under `password`, by Debian's python3 with python3-uno."""
    with tempfile.TemporaryDirectory() as work:
        source, target = Path(work) / "report.docx", Path(work) / "locked.doc"
        source.write_bytes(docx)
        subprocess.run(
            ["/usr/bin/python3", str(Path(__file__).with_name("office_password.py")), str(source), str(target), password],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        return target.read_bytes()
