"""A DOCX's paragraphs and tables in document order, each table cell at its grid column.

python-docx opens the package; the body is walked at the XML level because merged cells need
what its table API hides: `w:gridSpan` (a cell over several grid columns) and `w:vMerge`
continuation cells (a merged cell's later rows: no cell of their own, as in HTML). A zip bomb
is refused before python-docx inflates anything (pipelines.office_zip).
"""

from __future__ import annotations

from pipelines.file_reading import FileReading
from pipelines.office_zip import open_package

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(body: bytes, reader: str = "python-docx") -> FileReading:
    import docx

    reading = FileReading(reader)
    document = open_package(body, docx.Document, "DOCX", reading.problems)
    if document is None:
        return reading
    reading.pages = 1
    for block in document.element.body.iterchildren():
        if block.tag == W + "p":
            reading.line(paragraph_text(block))
        elif block.tag == W + "tbl":
            read_table(reading, block)
    return reading


def paragraph_text(element) -> str:
    return "".join(node.text or "" for node in element.iter(W + "t", W + "tab") if node.tag == W + "t")


def read_table(reading: FileReading, table) -> None:
    reading.new_table()
    for tr in table.iter(W + "tr"):
        if tr.getparent() is not table and tr.getparent().getparent() is not table:
            continue  # a row of a table nested in a cell: read as that cell's text
        texts: list[str | None] = []
        for tc in tr.iterchildren(W + "tc"):
            props = tc.find(W + "tcPr")
            span = props.find(W + "gridSpan") if props is not None else None
            merge = props.find(W + "vMerge") if props is not None else None
            width = int(span.get(W + "val", "1")) if span is not None else 1
            continued = merge is not None and merge.get(W + "val", "continue") == "continue"
            text = "".join(paragraph_text(p) for p in tc.iter(W + "p"))
            texts.append(None if continued else text)
            texts.extend([None] * (width - 1))
        reading.row(texts, [None] * len(texts))
