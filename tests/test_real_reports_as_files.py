"""Real reports published as files: the portal's own report pages (tests/data/examples) made
into the files agencies publish by the programs that make them, Chromium's print to PDF and
LibreOffice's conversion to DOCX, then read as attachments are. Expected values and metadata
are the golden facts read off the real page by hand (tests/golden/reports, and the metadata
table of tests/test_golden_metadata), never the parser's.

What these files bring that the replica's do not: the real tables' spans and widths (a header
whose 自然人 spans two columns, labels wrapped by the column width), the page's header lines
printed into the PDF's text (来源：平潭县人民政府时间：2022-02-08, fields run together), and
HTML tables turned into Word tables by LibreOffice."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pipelines.process import process_page
from tests.browser import printed_pdf
from tests.outside_programs import needs_chromium, needs_office
from tests.test_golden_metadata import LOCAL

DATA = Path(__file__).parent / "data" / "examples"
GOLDEN = Path(__file__).parent / "golden" / "reports"
YEARS = ("2021", "2025")


def as_docx(html: Path, work: Path) -> bytes:
    return converted(html, work, "docx:MS Word 2007 XML", "docx")


def converted(source: Path, work: Path, target: str, suffix: str) -> bytes:
    """`source` converted by LibreOffice, as an office suite saves it."""
    copy = work / f"report{source.suffix}"
    shutil.copy(source, copy)
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{work}/profile", "--headless", "--convert-to",
         target, "--outdir", str(work), str(copy)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return (work / f"report.{suffix}").read_bytes()


def assert_read_as_printed(body: bytes, year: str, reader: str) -> None:
    page = process_page(body)
    assert_page_as_printed(page, year, reader)


def assert_page_as_printed(page, year: str, reader: str) -> None:
    assert page.decoded.method == reader
    expected = json.loads((GOLDEN / f"www.pingtan.gov.cn_{year}_annual.json").read_text(encoding="utf-8"))["values"]
    got = {key: float(value.value) for key, value in page.parsed.values.items()}
    assert {key: got.get(key) for key in expected} == {key: float(value) for key, value in expected.items()}
    title, agency, report_year, published, kind = LOCAL[f"examples/{year}.html"]
    metadata = page.parsed.metadata
    assert (metadata.title, metadata.agency, metadata.report_year, page.parsed.doc_kind) == (
        title, agency, report_year, kind
    )
    if reader == "pdfplumber":  # the print keeps the page's header line; Word keeps no such line
        assert str(metadata.published_date) == published


@needs_chromium
@pytest.mark.parametrize("year", YEARS)
def test_a_real_report_printed_to_pdf_by_chromium_is_read_whole(year):
    assert_read_as_printed(printed_pdf((DATA / f"{year}.html").read_text(encoding="utf-8")), year, "pdfplumber")


@needs_office
def test_a_real_report_converted_to_docx_by_libreoffice_is_read_whole(tmp_path):
    assert_read_as_printed(as_docx(DATA / "2021.html", tmp_path), "2021", "python-docx")


@needs_office
def test_a_real_report_saved_as_opendocument_is_read_whole(tmp_path):
    """An ODT (OpenDocument, the format of LibreOffice and of China's office standards' kin):
    read as Word files are, through LibreOffice's conversion. Before, its ZIP bytes were
    decoded as a text page: nothing read and no problem said."""
    odt = converted(DATA / "2025.html", tmp_path, "odt", "odt")
    assert_read_as_printed(odt, "2025", "libreoffice+python-docx")


@needs_office
def test_a_real_report_offered_zipped_with_its_annex_is_read_from_the_archive(tmp_path):
    """附件.zip holding the report (a DOCX named by the Chinese Windows archiver in GBK) and an
    annex: the report is read; with two reports in it, which one was meant cannot be told."""
    import io
    import zipfile

    docx = as_docx(DATA / "2021.html", tmp_path)
    name = "平潭综合实验区2021年度政府信息公开工作年度报告.docx"
    placeholder = b"x" * len(name.encode("gbk"))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(placeholder.decode(), docx)
        z.writestr("附件2：政府信息公开申请表.docx", as_docx(DATA / "notice-2014.html", tmp_path))
        z.writestr("说明.txt", "本压缩包包含年度报告及附件。")
    # zipfile writes names in ASCII or UTF-8 only; the archiver of Chinese Windows writes GBK
    # bytes without the UTF-8 flag: the name put in the local header and the central directory
    gbk_named = archive.getvalue().replace(placeholder, name.encode("gbk"))
    page = process_page(gbk_named)
    assert_page_as_printed(page, "2021", "zip+python-docx")
    assert any(p.startswith(f"read {name} (DOCX) from the ZIP archive of 3 files") for p in page.parsed.problems)
    two = io.BytesIO()
    with zipfile.ZipFile(two, "w") as z:
        z.writestr("2021年度报告.docx", docx)
        z.writestr("2022年度报告.docx", docx)
    page = process_page(two.getvalue())
    assert page.parsed.values == {}
    assert any("2 documents, none alone named a report" in p and "2022年度报告.docx" in p for p in page.parsed.problems)
