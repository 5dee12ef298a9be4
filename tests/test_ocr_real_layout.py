"""OCR of a real report's tables as a scan shows them: the real page (tests/data/examples,
the portal's own HTML) printed by Debian's Chromium, its table pages rasterised at 200 dpi
into an image-only PDF, then read like any scanned report. The expected values are the
golden facts read off the real page by hand (tests/golden/reports), not the parser's.

What a browser's print brings that the replica's scans lack: thick and double rules that
reach into the cells, 12-point figures (twice the replica's), left-aligned figures against
the rule, headers printed one character per line, and labels chi_sim misreads (不巴公开)."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from pipelines.process import process_page
from tests.browser import printed_pdf
from tests.outside_programs import needs_ocr

DATA = Path(__file__).parent / "data" / "examples"
GOLDEN = Path(__file__).parent / "golden" / "reports"
TABLE_MARKS = ("第二十条", "收到和处理政府信息公开申请", "本年新收", "行政复议", "结转下年度")


@pytest.fixture(autouse=True)
def no_ocr_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """What OCR reads is these tests' subject, not its time budget (MAX_OCR_SECONDS, 40 s of
    wall time; tests/test_file_readers.py holds OCR to it): on a loaded CI machine a whole
    scanned report took longer, and its last page went unread."""
    monkeypatch.setattr("pipelines.ocr.MAX_OCR_SECONDS", 600)


def scanned_table_pages(html: str, askew: float = 0.0, specks: int = 0) -> bytes:
    """The page printed to PDF by Chromium, and its pages that hold the tables, as images in a
    PDF, as a scanner gives them: fed `askew` degrees off straight, one pixel in `specks`
    (when given) a black speck."""
    import pdfplumber
    import pypdfium2
    from PIL import Image

    printed = printed_pdf(html)
    with pdfplumber.open(io.BytesIO(printed)) as pdf:
        marked = [n for n, p in enumerate(pdf.pages) if any(m in (p.extract_text() or "") for m in TABLE_MARKS)]
    wanted = range(marked[0], marked[-1] + 1)  # and the pages a table runs over between them
    document = pypdfium2.PdfDocument(printed)
    images = [document[n].render(scale=200 / 72).to_pil().convert("L") for n in wanted]
    images = [image.rotate(askew, resample=Image.BICUBIC, fillcolor=255) for image in images]
    if specks:
        dots = random.Random(1)
        for image in images:
            pixels = image.load()
            for _ in range(image.width * image.height // specks):
                pixels[dots.randrange(image.width), dots.randrange(image.height)] = 0
    scan = io.BytesIO()
    images[0].save(scan, format="PDF", save_all=True, append_images=images[1:], resolution=200)
    return scan.getvalue()


@needs_ocr
def test_a_scanned_print_of_a_real_report_is_read_by_ocr_without_a_wrong_number():
    """Scanned 1.2° askew, as a sheet fed by hand, and specked (one pixel in 400): turned
    upright and the specks filtered out first (a table's rules are found as straight runs of
    ink; unturned, this scan gave 1 value in 200, and specks alone cost 40% of them)."""
    expected = json.loads((GOLDEN / "www.pingtan.gov.cn_2025_annual.json").read_text(encoding="utf-8"))["values"]
    page = process_page(scanned_table_pages((DATA / "2025.html").read_text(encoding="utf-8"), askew=1.2, specks=400))
    assert page.decoded.method == "ocr"
    assert any("scanned askew; turned -1.2°" in problem for problem in page.parsed.problems)
    got = {key: float(value.value) for key, value in page.parsed.values.items()}
    wrong = {key: (got[key], value) for key, value in expected.items() if key in got and got[key] != pytest.approx(value)}
    assert wrong == {}
    right = sum(key in got for key in expected)
    assert right >= 0.95 * len(expected), f"{right} of {len(expected)} read"
    assert all(value.source == "ocr" for value in page.parsed.values.values())


@needs_ocr
def test_a_lone_figure_one_reading_misses_is_read_once_more_not_guessed():
    """The 2023 report scanned straight: the English model reads several lone 1s at one size
    and nothing at the other, and chi_sim reads them as 下 or 册; a third reading at another
    size settles them (178 of 200 values before, none wrong either way)."""
    expected = json.loads((GOLDEN / "www.pingtan.gov.cn_2023_annual.json").read_text(encoding="utf-8"))["values"]
    page = process_page(scanned_table_pages((DATA / "2023.html").read_text(encoding="utf-8")))
    got = {key: float(value.value) for key, value in page.parsed.values.items()}
    wrong = {key: (got[key], value) for key, value in expected.items() if key in got and got[key] != pytest.approx(value)}
    assert wrong == {}
    right = sum(key in got for key in expected)
    assert right >= 0.99 * len(expected), f"{right} of {len(expected)} read"


def test_only_a_row_of_figures_labels_are_taken_for_the_printed_label_nearest_them():
    """Labels as chi_sim misread them on the scans above (不巴公开, 工属于国家秘密); a header
    misread one character off (行政复许 for 行政复议) lies nearer 行政许可 than anything, and
    stays as read: it heads no row of figures."""
    from pipelines.ocr import known_label, label_cells

    row = [(0, 0), (1, 0), (2, 0), (3, 0)]
    read = dict(zip(row, ["(三)不巴公开", "工属于国家秘密", "0", "0"], strict=True))
    assert [known_label(read[box]) for box in label_cells(row, read)] == ["不予公开", "属于国家秘密"]
    header = [(0, 1), (1, 1)]
    read = dict(zip(header, ["行政复许", "行政诉讼"], strict=True))
    assert label_cells(header, read) == []
    assert known_label("行政复许") == "行政许可"  # why headers are kept out


def test_a_figure_misread_in_a_column_of_figures_is_read_again_and_no_header_is():
    """chi_sim's readings of table 三's first columns in the 2022 report scanned at 150 dpi:
    21 as 2六, 1 as 出. The column holds figures, its headers (申请人情况, 自然人) and those
    misreadings; only the short cells with a figure in them are read again as figures (出 is
    read again as a lone character in a row of figures), never a header or a label."""
    from types import SimpleNamespace

    from pipelines.ocr import figure_cells, figure_columns

    printed = [
        ["(本列数据的勾稽关系为:…)", None, None, "申请人情况", None, None],
        [None, None, None, "自然大", "法人或其他组织", "总计"],
        ["一、本年新收政府信息公开申请数量", None, None, "71", "3", "74"],
        ["二、上年结转政府信息公开申请数量", None, None, "出", "0", "1"],
        ["三、本年度办理结果", "(一)予以公开", None, "2六", "0", "21"],
        [None, "(二)部分公开", None, "8", "1", "9"],
        [None, "kE", "1.属于国家秘密", "0", "0", "0"],
    ]
    rows, read = [], {}
    for r, texts in enumerate(printed):
        cells = [None if text is None else (r, c) for c, text in enumerate(texts)]
        read.update({cell: text for cell, text in zip(cells, texts, strict=True) if cell is not None})
        rows.append(SimpleNamespace(cells=cells))
    columns = figure_columns(rows, read)
    assert columns == {3, 4, 5}
    again = [read[cell] for row in rows for cell in figure_cells(row.cells, read, columns)]
    assert "2六" in again and "出" in again
    assert not {"申请人情况", "自然大", "法人或其他组织", "总计", "三、本年度办理结果", "(一)予以公开", "kE"} & set(again)


def test_a_label_numbered_without_its_dot_is_read_with_it():
    from pipelines.ocr import label_numbering

    assert label_numbering("3其他") == "3.其他"  # the 300 dpi scan's reading of 3.其他
    assert label_numbering("1申请人逾期未按收费通知要求缴纳费用") == "1.申请人逾期未按收费通知要求缴纳费用"
    assert label_numbering("2六") == "2六"  # a misread figure is no label


def test_a_header_misread_by_a_character_is_the_printed_header_unless_its_row_prints_that_one():
    """The 2023 report scanned askew: chi_sim read 本年废止件数 as 本年刻止件数, and its
    table-二 rows were left out for a header that names no column. A row that prints the
    nearest header already keeps the misreading (a header names one column)."""
    from pipelines.ocr import known_headers

    cells = [(0, 0), (1, 0), (2, 0), (3, 0)]
    read = dict(zip(cells, ["信息内容", "本年制发件数", "本年刻止件数", "现行有效件数"], strict=True))
    assert known_headers(cells, read) == [("本年刻止件数", "本年废止件数")]
    assert read[(2, 0)] == "本年废止件数"
    read = dict(zip(cells, ["信息内容", "本年刻止件数", "本年废止件数", "现行有效件数"], strict=True))
    assert known_headers(cells, read) == []
    row_of_figures = [(0, 1), (1, 1)]
    read = dict(zip(row_of_figures, ["本年刻止件数", "3"], strict=True))
    assert known_headers(row_of_figures, read) == []
