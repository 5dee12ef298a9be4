"""Reports published as files: each format read to the same values as the replica printed.

The files are built for real by the replica's generator (tests.replica.attachments: reportlab,
python-docx, openpyxl, LibreOffice); the expected values are the generator's facts, never the
readers' output. Bad files (encrypted, corrupt, a zip bomb, 500 pages) are recorded problems.
"""

from __future__ import annotations

import io
import random
import zipfile
from types import SimpleNamespace

import pytest

from govcrawl.cli import main
from pipelines.file_reading import normalise, readable_text
from pipelines.filetype import file_kind
from pipelines.limits import MAX_FILE_PAGES
from pipelines.process import process_body, process_page
from tests.outside_programs import needs_ocr, needs_office
from tests.replica import tables
from tests.replica.attachments import render_attachment


def make_report(seed: int = 3, fmt: str = "2021", year: int = 2022, plant: bool = False):
    values = tables.make_values(random.Random(seed), fmt, busy=20)
    if plant:  # a printed total off by one: its identity check must fail
        values["applications.new_received.total"] += 1
    agency = "某某市人民政府办公室"
    return SimpleNamespace(title=f"{agency}{year}年政府信息公开工作年度报告", agency=agency, year=year,
                           published=None, format=fmt, values=values)  # fmt: skip


@pytest.fixture(scope="module")
def report():
    return make_report()


# The reports of the 2019 table-four tests: 2: "结果维" / "持" cut inside a row; 0: the lower header row cut
CUT_HEADER_SEEDS = (2, 0)


def cut_header_report(seed: int):
    return make_report(seed=seed, fmt="2019", year=2020)


@pytest.fixture(scope="session")
def office_pdf(tmp_path_factory):
    """render_attachment's pdf_office of `report` ("pdf_office") and of the cut-header reports
    ("pdf_office_SEED"): made by one LibreOffice start, once per run whichever xdist worker asks
    first (tests.conftest.shared_files)."""
    from tests.conftest import shared_files
    from tests.replica.attachments import converted_many, docx_file

    def make() -> dict[str, bytes]:
        reports = {"pdf_office": make_report(), **{f"pdf_office_{seed}": cut_header_report(seed) for seed in CUT_HEADER_SEEDS}}
        return dict(zip(reports, converted_many([docx_file(r) for r in reports.values()], "docx", "pdf"), strict=True))

    return lambda name: shared_files(tmp_path_factory, "office-pdfs", make)[name]


def wrong_and_missing(page, expected: dict) -> tuple[list, list]:
    got = {key: float(v.value) for key, v in page.parsed.values.items()}
    wrong = [(key, value, got[key]) for key, value in expected.items() if key in got and got[key] != float(value)]
    missing = [key for key in expected if key not in got]
    return wrong, missing


@pytest.mark.parametrize(("kind", "reader"), [("pdf", "pdfplumber"), ("pdf_text", "pdfplumber"), ("docx", "python-docx"),
                                              ("xlsx", "openpyxl")])  # fmt: skip
def test_every_value_of_a_file_report_is_read(report, kind, reader):
    page = process_page(render_attachment(kind, report))
    wrong, missing = wrong_and_missing(page, report.values)
    assert (wrong, missing) == ([], [])
    assert page.parsed.doc_kind == "annual_report" and page.parsed.metadata.report_year == 2022
    assert page.parsed.format == "2021" and page.parsed.validation_status == "ok"
    assert page.decoded.method == reader


@needs_office
def test_a_pdf_exported_by_an_office_suite_with_rows_cut_by_page_breaks_is_read_whole(report, office_pdf):
    body = office_pdf("pdf_office")
    page = process_page(body)
    assert wrong_and_missing(page, report.values) == ([], [])
    pages = {v.where["page"] for key, v in page.parsed.values.items() if key.startswith("applications.")}
    assert len(pages) >= 3  # table 三 over three pages or more, its cut rows joined


@needs_office
def test_word_97_files_are_read_through_libreoffice(report):
    body = render_attachment("doc", report)  # the replica's .wps is the same Word 97 file
    assert file_kind(body) == "DOC"
    page = process_page(body)
    assert wrong_and_missing(page, report.values) == ([], [])
    assert page.decoded.method == "libreoffice+python-docx"


@needs_office
def test_excel_97_files_are_read_by_xlrd(report):
    body = render_attachment("xls", report)
    assert file_kind(body) == "XLS"
    page = process_page(body)
    assert wrong_and_missing(page, report.values) == ([], [])
    assert page.decoded.method == "xlrd" and page.parsed.values["reviews.total"].where["sheet"] == "表3"


def test_the_second_pdf_reader_reads_words_and_boxes_as_poppler_gives_them(report):
    from pipelines.file_dispatch import parse_file
    from pipelines.pdf_reader import pdftotext_reading

    reading = pdftotext_reading(render_attachment("pdf_text", report), 2)
    assert reading is not None and reading.reader == "pdftotext"
    parsed = parse_file(reading)
    got = {key: float(v.value) for key, v in parsed.values.items()}
    assert got == {key: float(v) for key, v in report.values.items()}
    assert {v.where["page"] for v in parsed.values.values()} <= {1, 2, 3}


def test_pdf_values_carry_their_page_and_box_and_the_table_runs_over_the_break(report):
    page = process_page(render_attachment("pdf", report))
    values = page.parsed.values
    pages = {values[key].where["page"] for key in values if key.startswith("applications.")}
    assert pages == {1, 2}  # table 三 printed over a page break: one table, read whole
    assert len({values[key].where["table"] for key in values if key.startswith("applications.")}) == 1
    x0, top, x1, bottom = values["reviews.total"].where["bbox"]
    assert 0 < x0 < x1 <= 595.3 and 0 < top < bottom <= 841.9


def test_running_headers_and_page_numbers_are_dropped(report):
    text = process_page(render_attachment("pdf", report)).text
    assert f"{report.agency}政务公开" not in text and "— 1 —" not in text and "— 2 —" not in text
    assert report.title in text


def test_kangxi_radicals_and_compatibility_characters_are_folded():
    assert normalise("⽂件⼆〇⼆⼀年") == ("文件二〇二一年", 4)
    assert normalise("１２件，（一）")[0] == "１２件，（一）"  # full-width forms stay as printed
    assert normalise("⻔户⺠生") == ("门户民生", 2)


def test_a_text_layer_without_unicode_map_is_not_read_as_text():
    assert not readable_text("(cid:12)(cid:13)(cid:14)" * 20)
    assert not readable_text("€•‚ƒ„…†‡ˆ" * 10)
    assert readable_text("某某市2022年政府信息公开工作年度报告，本年新收申请12件。")


def test_types_come_from_the_bytes_not_the_name(report):
    assert file_kind(render_attachment("pdf", report)) == "PDF"
    assert file_kind(render_attachment("docx", report)) == "DOCX"
    assert file_kind(render_attachment("xlsx", report)) == "XLSX"
    html_as_doc = '<html><head><meta charset="utf-8"></head><body><p>年度报告</p></body></html>'.encode()
    assert file_kind(html_as_doc) is None  # a ".doc" that is a web page is read as a page
    mht = b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"x\"\r\n\r\n--x\r\n"
    assert file_kind(mht) is None
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "hello")
    assert file_kind(archive.getvalue()) == "ZIP"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000
    assert file_kind(ole + "Workbook".encode("utf-16-le")) == "XLS"
    assert file_kind(ole + "WordDocument".encode("utf-16-le") + "WpsCustomData".encode("utf-16-le")) == "WPS"
    assert file_kind(ole + "EncryptedPackage".encode("utf-16-le")) == "ENCRYPTED_OFFICE"


# -- bad files -------------------------------------------------------------------------------
def problems_of(body: bytes) -> list[str]:
    rows = process_body(body)  # what the process stage stores: never raises
    import json

    assert rows.failure is None, rows.failure  # a bad file is a problem of a stored version, not a failure
    return json.loads(rows.text["problems"])


def test_an_encrypted_pdf_is_a_recorded_problem():
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, encrypt=pdfencrypt.StandardEncryption("secret", ownerPassword="owner"))
    pdf.drawString(100, 700, "report")
    pdf.save()
    assert any("encrypted" in p for p in problems_of(out.getvalue()))


def test_a_corrupt_pdf_is_a_recorded_problem(report):
    body = render_attachment("pdf", report)
    problems = problems_of(body[:2000])
    assert any(p.startswith(("unreadable file", "ocr:")) for p in problems), problems
    assert problems_of(b"%PDF-1.4\n" + random.Random(1).randbytes(5000))


def test_a_500_page_pdf_is_read_up_to_the_page_limit():
    from reportlab.pdfgen import canvas

    from tests.replica.attachments import cjk_font

    out = io.BytesIO()
    pdf = canvas.Canvas(out, invariant=1)
    for n in range(500):
        pdf.setFont(cjk_font(), 12)
        pdf.drawString(100, 700, f"第{n + 1}页 政府信息公开工作年度报告正文")
        pdf.showPage()
    pdf.save()
    problems = problems_of(out.getvalue())
    assert any(f"500 pages; read the first MAX_FILE_PAGES ({MAX_FILE_PAGES})" in p for p in problems)


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w") as member:
            chunk = b"\0" * 2**20
            for _ in range(300):  # 300 MB of zeros, a few hundred KB packed
                member.write(chunk)
    body = archive.getvalue()
    assert len(body) < 2_000_000 and file_kind(body) == "DOCX"
    assert any("zip bomb" in p for p in problems_of(body))


def test_an_encrypted_office_document_is_a_recorded_problem():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000 + "EncryptedPackage".encode("utf-16-le")
    assert any("encrypted" in p for p in problems_of(ole))


@needs_office
def test_a_password_protected_doc_is_a_recorded_problem(report):
    body = render_attachment("doc_password", report)
    assert file_kind(body) == "DOC"
    problems = problems_of(body)
    assert any("password-protected" in p for p in problems), problems


@needs_office
def test_a_damaged_doc_is_a_recorded_problem():
    body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + "WordDocument".encode("utf-16-le") + b"\xff" * 3000
    assert any("LibreOffice could not open it" in p for p in problems_of(body))


# -- OCR -------------------------------------------------------------------------------------
def test_ocr_values_in_identities_their_reading_fails_are_left_out():
    """The OCR verdict is parse_file's: a reading marked as OCR whose values break an identity
    keeps none of the values that identity adds up (one of them is misread, and which is not
    known); the rest are kept and checked again (the reading here comes from a DOCX, with one
    printed total off by one, so its values are known)."""
    from pipelines.docx_reader import read_docx
    from pipelines.file_dispatch import parse_file

    planted = make_report(plant=True)
    reading = read_docx(render_attachment("docx", planted))
    reading.reader = "ocr"
    parsed = parse_file(reading)
    assert {v.source for v in parsed.values.values()} == {"ocr"}
    assert "applications.new_received.total" not in parsed.values
    assert "applications.new_received.natural_person" not in parsed.values  # beside it in the row
    assert parsed.validation_status != "failed"
    kept = {key: float(value.value) for key, value in parsed.values.items()}
    assert kept == {key: float(planted.values[key]) for key in kept}
    assert "active.licensing.decisions" in kept and "reviews.total" in kept
    assert any(p.startswith("ocr:") and "values left out" in p and "identity checks" in p for p in parsed.problems)


@needs_ocr
def test_a_scanned_report_is_read_by_ocr_and_never_gives_a_wrong_number(report):
    page = process_page(render_attachment("pdf_scanned", report))
    wrong, missing = wrong_and_missing(page, report.values)
    assert page.decoded.method == "ocr" and page.parsed.doc_kind == "annual_report"
    assert wrong == []
    right = len(report.values) - len(missing)
    assert right >= 0.8 * len(report.values), f"OCR read {right} of {len(report.values)} values"
    assert {v.source for v in page.parsed.values.values()} == {"ocr"}
    assert any(p.startswith("ocr: no text layer") for p in page.parsed.problems)


@needs_ocr
def test_a_pdf_whose_fonts_have_no_unicode_map_goes_to_ocr(report):
    page = process_page(render_attachment("pdf_cid", report))
    assert page.decoded.method == "ocr"
    assert any("does not read as text" in p for p in page.parsed.problems)
    assert wrong_and_missing(page, report.values)[0] == []


@pytest.mark.parametrize(("kind", "reader"), [("pdf", "PDF read by pdfplumber"), ("ofd", "OFD read by ofdkit")])
def test_parse_command_reads_a_file(tmp_path, capsys, report, kind, reader):
    path = tmp_path / f"report.{kind}"
    path.write_bytes(render_attachment(kind, report))
    assert main(["parse", str(path)]) == 0
    out = capsys.readouterr().out
    assert "kind: annual_report" in out and f"file: {reader}" in out
    assert f"values: {len(report.values)}" in out


def test_file_reports_go_through_the_process_stage_into_reports_and_applications(tmp_path):
    """Stored as a crawl stores them (served as text/html: the bytes decide), processed by the
    stage's pool of workers: each file is a report like any other."""
    import sqlite3

    from govcrawl.stage import StageSettings, run_stage
    from pipelines.store import Store
    from tests.test_stage import pending_database

    reports = {kind: make_report(seed=n, year=2021 + n) for n, kind in enumerate(["pdf", "docx", "xlsx"])}
    for kind, one in reports.items():
        one.agency = f"某某县{kind}局"
        one.title = f"{one.agency}{one.year}年政府信息公开工作年度报告"
    pages = {f"http://a/{kind}/report.{kind}": render_attachment(kind, one) for kind, one in reports.items()}
    path = tmp_path / "g.db"
    pending_database(path, pages)
    summary = run_stage(path, settings=StageSettings(workers=2))
    assert (summary["processed"], summary["unparsed"], summary["pending"]) == (3, 0, 0)
    Store(path).close()  # the views
    db = sqlite3.connect(path)
    rows = db.execute("SELECT agency, report_year, validation_status, value_count, failed_checks FROM reports").fetchall()
    assert sorted(rows) == sorted((one.agency, one.year, "ok", len(one.values), 0) for one in reports.values())
    received = dict(db.execute("SELECT agency, received FROM applications").fetchall())
    assert received == {one.agency: one.values["applications.new_received.total"] for one in reports.values()}


def test_a_pdf_text_layer_of_kangxi_radicals_reads_as_the_hanzi_printed():
    """Some PDF producers map 文, 二, 一 … to Kangxi radicals (⽂ ⼆ ⼀): the title and labels
    must read as the unified ideographs, or no label matches."""
    plain = make_report()
    printed = make_report()
    printed.title = plain.title.replace("工", "\u2f2f").replace("人", "\u2f08")  # ⼯ ⼈: Kangxi radicals
    assert printed.title != plain.title
    page = process_page(render_attachment("pdf", printed))
    assert page.parsed.metadata.title == plain.title
    assert "\u2f2f" not in page.text and "\u2f08" not in page.text
    assert any("compatibility characters normalised" in p for p in page.parsed.problems)
    assert wrong_and_missing(page, plain.values) == ([], [])


@needs_ocr
def test_a_scanned_page_image_is_read_by_ocr(report):
    """A PNG of the report's second page (table 四 whole on it): OCR reads its figures."""
    import pypdfium2

    document = pypdfium2.PdfDocument(render_attachment("pdf", report))
    png = io.BytesIO()
    document[1].render(scale=200 / 72).to_pil().convert("L").save(png, format="PNG")
    assert file_kind(png.getvalue()) == "PNG"
    page = process_page(png.getvalue())
    reviews = {key: value for key, value in report.values.items() if key.startswith("reviews.")}
    assert page.decoded.method == "ocr"
    assert {key: float(page.parsed.values[key].value) for key in reviews if key in page.parsed.values} == {
        key: float(value) for key, value in reviews.items()
    }
    assert all(v.source == "ocr" for v in page.parsed.values.values())


def test_ocr_stops_starting_pages_after_its_time_bound(report, monkeypatch):
    import pipelines.ocr

    monkeypatch.setattr(pipelines.ocr, "MAX_OCR_SECONDS", -1)  # every page is past the bound
    problems = process_page(render_attachment("pdf_scanned", report)).parsed.problems
    assert any("limit: OCR stopped after MAX_OCR_SECONDS" in p and "read 0 of 2 pages" in p for p in problems)


@needs_office
@pytest.mark.parametrize("seed", CUT_HEADER_SEEDS)
def test_a_2019_table_four_whose_header_is_cut_by_a_page_break_is_read_whole(seed, office_pdf):
    import pdfplumber

    report = cut_header_report(seed)
    body = office_pdf(f"pdf_office_{seed}")
    page = process_page(body)
    assert wrong_and_missing(page, report.values) == ([], [])
    data_page = page.parsed.values["reviews.total"].where["page"]
    with pdfplumber.open(io.BytesIO(body)) as pdf:  # the case is real: the header starts a page before its figures
        assert "行政复议" in (pdf.pages[data_page - 2].extract_text() or "")
        assert "行政复议" not in (pdf.pages[data_page - 1].extract_text() or "")


def two_page_table(first_rows: list, second_rows: list):
    """assemble()'s input for one 15-column table printed over a break: rows of texts, boxes made
    from the row and column (a cell's box reaches down as far as its `rowspan` says)."""
    def part(rows, page):
        out = []
        for r, row in enumerate(rows):
            texts = [None if t is None else t[0] for t in row]
            places = [None if t is None else {"page": page, "bbox": [20.0 * c, 10.0 * r, 20.0 * c + 20, 10.0 * (r + t[1])]}
                      for c, t in enumerate(row)]  # fmt: skip
            out.append((texts, places))
        return [("table", out, 0.0)]
    return [part(first_rows, 1), part(second_rows, 2)]


def test_a_cut_header_cell_merged_down_to_the_break_takes_its_rest_from_the_next_page():
    from pipelines.file_reading import FileReading
    from pipelines.pdf_reader import assemble

    upper = [[("行政复议", 1)] + [None] * 4 + [("行政诉讼", 1)] + [None] * 9,
             [("结果维", 2), ("结果纠", 2), ("其他结", 2), ("尚未审", 2), ("总计", 2), ("未经复议直接起诉", 1)]
             + [None] * 4 + [("复议后起诉", 1)] + [None] * 4,
             [None] * 5 + [(t, 1) for t in ("结果", "结果", "其他", "尚未", "总计") * 2]]  # fmt: skip
    lower = [[(t, 1) for t in ("持", "正", "果", "结", "")] + [(t, 1) for t in ("维持", "纠正", "结果", "审结", "")] * 2,
             [(str(n), 1) for n in range(15)]]  # fmt: skip
    reading = FileReading("pdfplumber")
    assemble(reading, two_page_table(upper, lower))
    text = {(c.row, c.col): c.raw for c in reading.cells}
    assert reading.tables == 1
    assert [text[(1, col)] for col in range(5)] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert [text[(2, col)] for col in (5, 9, 10)] == ["结果维持", "总计", "结果维持"]
    assert [text[(3, col)] for col in range(15)] == [str(n) for n in range(15)]


def test_a_sub_header_row_after_the_break_is_not_joined_to_the_wider_cells_above():
    from pipelines.file_reading import FileReading
    from pipelines.pdf_reader import assemble

    upper = [[("行政复议", 1)] + [None] * 4 + [("行政诉讼", 1)] + [None] * 9,
             [("结果维持", 1), ("结果纠正", 1), ("其他结果", 1), ("尚未审结", 1), ("总计", 1), ("未经复议直接起诉", 1)]
             + [None] * 4 + [("复议后起诉", 1)] + [None] * 4]  # fmt: skip
    lower = [[("", 1)] * 5 + [(t, 1) for t in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")] * 2,
             [(str(n), 1) for n in range(15)]]  # fmt: skip
    reading = FileReading("pdfplumber")
    assemble(reading, two_page_table(upper, lower))
    text = {(c.row, c.col): c.raw for c in reading.cells}
    assert text[(1, 5)] == "未经复议直接起诉" and text[(2, 5)] == "结果维持" and text[(2, 14)] == "总计"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"\x1f\x8b\x08\x00" + bytes(range(256)) * 40, "gzip-compressed data"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000 + "PowerPoint Document".encode("utf-16-le"), "OLE2"),
    ],
)
def test_a_file_of_no_reader_is_a_recorded_problem_not_a_garbled_page(body, named):
    """A gzip file or a PowerPoint offered as the report used to be decoded as a text page:
    garbage text, no values and nothing said."""
    page = process_page(body)
    assert page.decoded.method == "none" and page.decoded.detected in ("GZIP", "OLE2")
    assert any(p.startswith("unreadable file:") and named in p for p in page.parsed.problems)
    assert page.parsed.values == {}


def test_a_zip_archive_with_no_document_in_it_says_what_it_holds():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "hello")
        z.writestr("photo.gif", b"GIF89a" + bytes(100))
    problems = problems_of(archive.getvalue())
    assert any("holds no document we read (readme.txt, photo.gif); not read" in p for p in problems)
