"""The bytes of the replica's attachments: real files of real formats, the same every build.

`attachment_bytes(kind, page)` is the one place the replica gets them. The report kinds
(`pdf`, `docx`, `xlsx`, `ofd`) are built here by small stand-ins (reportlab with its built-in CJK
font, python-docx, openpyxl: a title and the report's values as a table) until the full
renderer of report files, tests.replica.attachments.render_attachment, takes them over; the
other kinds are the crawl's own cases:

big_pdf   a PDF holding a noise image (incompressible): larger than a small attachment limit
png       the report as a picture (图片版)
html_doc  a ".doc" that is really an HTML page, as Word's "save as web page" writes it (GBK)
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from datetime import datetime

FIXED_TIME = datetime(2024, 1, 1)
REPORT_KINDS = ("pdf", "docx", "xlsx", "ofd")
# openpyxl stamps the time of saving into the file's properties whatever it was told
SAVED_AT = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
# What pipelines.filetype names each kind's bytes (None: text); the truth the tests check.
TRUE_TYPES = {"pdf": "PDF", "big_pdf": "PDF", "docx": "ZIP", "xlsx": "ZIP", "ofd": "ZIP", "png": "PNG", "html_doc": None}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "big_pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ofd": "application/ofd",
    "png": "image/png",
    "html_doc": "application/msword",
}
EXTENSIONS = {"pdf": "pdf", "big_pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "ofd": "ofd", "png": "png", "html_doc": "doc"}


def attachment_bytes(kind: str, page, html: str | None = None) -> bytes:
    """The file of `page` (a tests.replica.generator.Page with title and values) as `kind`;
    html: the report's HTML body, for `html_doc`."""
    if kind in REPORT_KINDS:
        return report_file(kind, page)
    if kind == "big_pdf":
        return pdf_file(page, noise_bytes=300_000)
    if kind == "png":
        return png_file(page)
    if kind == "html_doc":
        return word_html(page, html or "")
    raise ValueError(f"unknown attachment kind {kind!r}")


def report_file(kind: str, page) -> bytes:
    """The report as a real file of `kind`, its tables printed as reports print them
    (tests.replica.attachments)."""
    from tests.replica.attachments import render_attachment

    body = render_attachment(kind, page)
    return fixed_zip(body) if body.startswith(b"PK") else body  # the same bytes on every build


def value_rows(page) -> list[tuple[str, str]]:
    return [(key, f"{value:g}") for key, value in sorted(page.values.items())]


def pdf_file(page, noise_bytes: int = 0) -> bytes:
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, invariant=1)  # invariant: no date or random id, the same bytes each build
    pdf.setFont("STSong-Light", 14)
    pdf.drawString(60, 790, page.title)
    pdf.setFont("STSong-Light", 9)
    y = 760
    for key, value in value_rows(page):
        if y < 60:
            pdf.showPage()
            pdf.setFont("STSong-Light", 9)
            y = 790
        pdf.drawString(60, y, key)
        pdf.drawString(420, y, value)
        y -= 13
    if noise_bytes:
        from PIL import Image

        side = int((noise_bytes / 3) ** 0.5) + 1
        noise = random.Random(page.url).randbytes(side * side * 3)
        pdf.showPage()
        pdf.drawImage(ImageReader(Image.frombytes("RGB", (side, side), noise)), 60, 200, 400, 400)
    pdf.save()
    return out.getvalue()


def docx_file(page) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.created = document.core_properties.modified = FIXED_TIME
    document.add_heading(page.title, level=1)
    rows = value_rows(page)
    table = document.add_table(rows=len(rows), cols=2)
    for cells, (key, value) in zip(table.rows, rows, strict=True):
        cells.cells[0].text, cells.cells[1].text = key, value
    out = io.BytesIO()
    document.save(out)
    return fixed_zip(out.getvalue())


def xlsx_file(page) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.properties.created = book.properties.modified = FIXED_TIME
    sheet = book.active
    sheet.append([page.title])
    for row in value_rows(page):
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return fixed_zip(out.getvalue())


def png_file(page) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("L", (400, 40 + 12 * len(page.values)), 255)
    draw = ImageDraw.Draw(image)
    for n, (key, value) in enumerate(value_rows(page)):
        draw.text((10, 30 + 12 * n), f"{key} {value}", fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def word_html(page, html: str) -> bytes:
    return (
        "<html xmlns:o='urn:schemas-microsoft-com:office:office' xmlns:w='urn:schemas-microsoft-com:office:word'>"
        '<head><meta http-equiv=Content-Type content="text/html; charset=gb2312">'
        '<meta name=ProgId content=Word.Document><meta name=Generator content="Microsoft Word 15">'
        f"<title>{page.title}</title></head><body lang=ZH-CN><div class=WordSection1>"
        f"<p class=MsoTitle align=center>{page.title}</p>{html}</div></body></html>"
    ).encode("gbk")


def fixed_zip(data: bytes) -> bytes:
    """The same archive with every member's time fixed: the same bytes each build."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = SAVED_AT.sub(rb"\g<1>2024-01-01T00:00:00Z\g<2>", content)
            target.writestr(fixed, content)
    return out.getvalue()
