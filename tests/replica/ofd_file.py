"""An OFD file (GB/T 33190, China's fixed-layout format) made from one of our own PDFs.

Agencies publish OFD files that their document systems convert from a printed layout, so the
replica does the same: each PDF page becomes an OFD page of the same size, each word a
TextObject (its box as Boundary, its glyph advances as DeltaX, millimetres as OFD counts) and
each table rule a PathObject. The package is the standard's minimum: OFD.xml -> Doc_0/
Document.xml (page list, page size, the public resources with the font) -> Doc_0/Pages/
Page_N/Content.xml.

Hand-written: no package on our lists writes OFD from a layout (easyofd draws OFD from a PDF
through PyMuPDF and its own font handling, a heavy dependency for a test fixture).
"""

from __future__ import annotations

import io
import itertools
import zipfile
from xml.sax.saxutils import escape, quoteattr

NS = "http://www.ofdspec.org/2016"
MM = 25.4 / 72  # millimetres per PDF point


def mm(value: float) -> str:
    return f"{value * MM:.3f}".rstrip("0").rstrip(".")


def ofd_from_pdf(pdf: bytes) -> bytes:
    import pdfplumber

    pages: list[str] = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        width, height = document.pages[0].width, document.pages[0].height
        for page in document.pages:
            pages.append(page_content(page))
            page.close()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("OFD.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.1" DocType="OFD">'
            '<ofd:DocBody><ofd:DocInfo><ofd:DocID>replica</ofd:DocID><ofd:Creator>replica</ofd:Creator></ofd:DocInfo>'
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ))  # fmt: skip
        page_list = "".join(f'<ofd:Page ID="{n + 2}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(len(pages)))
        package.writestr("Doc_0/Document.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
            f"<ofd:MaxUnitID>{len(pages) * 10000}</ofd:MaxUnitID>"
            f"<ofd:PageArea><ofd:PhysicalBox>0 0 {mm(width)} {mm(height)}</ofd:PhysicalBox></ofd:PageArea>"
            "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
            f"<ofd:Pages>{page_list}</ofd:Pages></ofd:Document>"
        ))  # fmt: skip
        package.writestr("Doc_0/PublicRes.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="1" FontName="SimSun" FamilyName="SimSun"/></ofd:Fonts></ofd:Res>'
        ))  # fmt: skip
        for n, content in enumerate(pages):
            package.writestr(f"Doc_0/Pages/Page_{n}/Content.xml", content)
    return out.getvalue()


def page_content(page) -> str:
    objects: list[str] = []
    for word in page.extract_words(return_chars=True, extra_attrs=["size"]):
        chars = word["chars"]
        size = word["size"]
        deltas = " ".join(mm(b["x0"] - a["x0"]) for a, b in itertools.pairwise(chars))
        baseline = chars[0]["bottom"] - word["top"] - 0.12 * size  # the glyphs' descent sits below it
        objects.append(
            f'<ofd:TextObject ID="{len(objects) + 1}" Font="1" Size={quoteattr(mm(size))} '
            f'Boundary="{mm(word["x0"])} {mm(word["top"])} {mm(word["x1"] - word["x0"])} {mm(word["bottom"] - word["top"])}">'
            f'<ofd:TextCode X="0" Y={quoteattr(mm(baseline))}'
            + (f" DeltaX={quoteattr(deltas)}" if deltas else "")
            + f">{escape(word['text'])}</ofd:TextCode></ofd:TextObject>"
        )  # fmt: skip
    for edge in page.edges:  # reportlab's grid: one line per rule
        x0, top, x1, bottom = edge["x0"], edge["top"], edge["x1"], edge["bottom"]
        objects.append(
            f'<ofd:PathObject ID="{len(objects) + 1}" LineWidth="0.18" '
            f'Boundary="{mm(x0)} {mm(top)} {mm(x1 - x0)} {mm(bottom - top)}">'
            f"<ofd:AbbreviatedData>M 0 0 L {mm(x1 - x0)} {mm(bottom - top)}</ofd:AbbreviatedData></ofd:PathObject>"
        )  # fmt: skip
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
        f'<ofd:Layer ID="{len(objects) + 1}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'
    )
