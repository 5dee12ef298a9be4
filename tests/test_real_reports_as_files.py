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
from tests.test_golden_metadata import LOCAL

DATA = Path(__file__).parent / "data" / "examples"
GOLDEN = Path(__file__).parent / "golden" / "reports"
YEARS = ("2021", "2025")


def as_docx(html: Path, work: Path) -> bytes:
    source = work / "report.html"
    shutil.copy(html, source)
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{work}/profile", "--headless", "--convert-to",
         "docx:MS Word 2007 XML", "--outdir", str(work), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return (work / "report.docx").read_bytes()


def assert_read_as_printed(body: bytes, year: str, reader: str) -> None:
    page = process_page(body)
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


@pytest.mark.parametrize("year", YEARS)
def test_a_real_report_printed_to_pdf_by_chromium_is_read_whole(year):
    assert_read_as_printed(printed_pdf((DATA / f"{year}.html").read_text(encoding="utf-8")), year, "pdfplumber")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed (make office-tools)")
def test_a_real_report_converted_to_docx_by_libreoffice_is_read_whole(tmp_path):
    assert_read_as_printed(as_docx(DATA / "2021.html", tmp_path), "2021", "python-docx")
