"""Hostile single pages cost bounded time, keep what was safely read, and say which limit
they hit (issue 12). The pages are built by tests.limit_pages; `python -m tests.limit_pages`
measures time and memory of the full-sized ones."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time

import pytest

from govcrawl.cli import main
from pipelines import process
from pipelines.filetype import binary_kind
from pipelines.limits import MAX_TEXT_CHARS
from pipelines.process import process_page, stored_rows
from tests import limit_pages
from tests.outside_programs import needs_ocr

BUDGET_S = 10  # per hostile page; each takes about 2 s or less on one core


def processed(body: bytes, content_type: str | None = None):
    start = time.perf_counter()
    page = process_page(body, content_type)
    rows = stored_rows(page.decoded, page.clean, page.parsed)  # what the store writes must serialise
    json.dumps(page.as_json(), ensure_ascii=False)
    took = time.perf_counter() - start
    assert took < BUDGET_S
    return page, rows


def limits_hit(page) -> list[str]:
    return [p for p in page.parsed.problems if p.startswith("limit: ")]


def test_span_bomb_is_capped_and_recorded():
    page, _ = processed(limit_pages.span_bomb())
    assert any("MAX_SPAN" in p for p in limits_hit(page))
    assert any("MAX_TABLE_CELLS" in p for p in limits_hit(page))


def test_spans_below_the_caps_still_place_cells_on_the_grid():
    html = (
        "<table><tr><td rowspan=2>合计</td><td colspan=2>申请</td><td>3</td></tr>"
        "<tr><td>5</td><td>6</td><td>7</td></tr></table>"
    )
    from pipelines.cells import html_cells
    from pipelines.text import parse_html

    cells = html_cells(parse_html(f"<html><body>{html}</body></html>"))
    assert [(c.raw, c.row, c.col) for c in cells] == [
        ("合计", 0, 0), ("申请", 0, 1), ("3", 0, 3), ("5", 1, 1), ("6", 1, 2), ("7", 1, 3),
    ]  # fmt: skip


def test_huge_table_is_read_up_to_the_cell_limit():
    page, _ = processed(limit_pages.huge_table(20_000))
    assert any("MAX_TABLE_CELLS" in p for p in limits_hit(page))
    assert "其他19999" in page.text  # the text is kept whole; only its cells are not all read


def test_rows_run_together_are_tried_up_to_a_budget_per_page():
    # a huge table read as text (its markup lost): 20,000 label-and-digits lines
    text = "某某区2021年政府信息公开工作年度报告\n" + "".join(f"其他{i % 10}1111111\n" for i in range(20_000))
    started = time.process_time()
    page, _ = processed(text.encode())
    assert time.process_time() - started < 5  # some 30 s without the budget
    assert any("MAX_RUN_TOGETHER_ROWS" in p for p in limits_hit(page))


def test_problem_lines_are_bounded():
    def row(n: int) -> str:  # every figure implausible and printed differently: a line each
        return "<tr><td>本年新收政府信息公开申请数量</td>" + f"<td>{10**13 + n}</td>" * 7 + "</tr>"

    rows = "".join(row(n) for n in range(2000))
    page, _ = processed(limit_pages.page(f"<h1>某区2021年政府信息公开工作年度报告</h1><table>{rows}</table>"))
    assert len(page.parsed.problems) == 101
    assert page.parsed.problems[-1].startswith("limit: ") and "MAX_PROBLEMS" in page.parsed.problems[-1]


def test_text_beyond_the_limit_is_cut_and_recorded():
    body = limit_pages.page("<p>开头</p>" + "<p>政府信息公开。</p>" * (MAX_TEXT_CHARS // 14) + "<p>结尾</p>")
    page, _ = processed(body)
    assert any("MAX_TEXT_CHARS" in p for p in limits_hit(page))
    assert "开头" in page.text and "结尾" not in page.text


def test_mojibake_holes_with_too_many_candidates_stay_unknown_and_the_rest_is_repaired():
    page, _ = processed(limit_pages.mojibake_holes(40))
    assert any("MAX_HOLE_CANDIDATES" in p for p in limits_hit(page))
    assert page.text.count("本机关收到政府信息公开申请") == 40  # the mojibake around the holes undone


def test_mojibake_repair_work_per_page_is_bounded():
    page, _ = processed(limit_pages.mojibake_holes(2000, lost=2))  # 4,096 candidates per hole
    assert any("MAX_PAGE_CANDIDATES" in p for p in limits_hit(page))
    # lost bytes beyond it stay U+FFFD; the characters their bytes fix for certain are kept
    assert page.text.count("机关收到政府信息") == 2000
    assert page.text.count("本机关收到政府信息公开申请") > 100


@pytest.mark.parametrize("case", ["adversarial_title", "adversarial_scripts"])
def test_crafted_titles_and_scripts_take_no_time(case):
    page, _ = processed(getattr(limit_pages, case)())
    assert "正文" in page.text


def test_title_keeps_its_words_and_loses_the_site_name():
    body = limit_pages.page(
        "<p>正文</p>", head="<title>某区2021年政府信息公开工作年度报告 - 某区人民政府</title>"
    )
    assert process_page(body).parsed.metadata.title == "某区2021年政府信息公开工作年度报告"


@pytest.mark.parametrize("depth", [300, 1000])
def test_pages_nested_deeper_than_libxml2s_default_keep_their_text(depth):
    page, _ = processed(limit_pages.deep_nesting(depth))
    assert "深处的正文" in page.text
    assert limits_hit(page) == []


def test_pages_nested_beyond_any_parser_are_read_as_text_and_say_so():
    page, _ = processed(limit_pages.deep_nesting(5000))
    assert "深处的正文" in page.text
    assert any("MAX_NESTING" in p for p in limits_hit(page))


def test_a_5000_digit_figure_is_left_out_and_recorded_not_a_crash():
    page, rows = processed(limit_pages.long_figure())
    key = "applications.new_received.natural_person"
    assert key not in page.parsed.values
    assert any(p.startswith(f"implausible number: {key}") for p in page.parsed.problems)
    assert all(abs(row["value"]) < 1e12 for row in rows.values)
    assert page.parsed.validation_status == "incomplete"  # its checks could not be made
    assert len(page.parsed.values) == 199  # every other figure of the report kept


def test_implausible_figures_in_prose_are_left_out():
    text = "某局2012年政府信息公开工作年度报告\n本年度共受理政府信息公开申请" + "9" * 40 + "件。\n"
    page, _ = processed(text.encode())
    assert "applications.new_received.total" not in page.parsed.values
    assert any(p.startswith("implausible number:") for p in page.parsed.problems)


def test_a_report_whose_table_stops_part_way_is_incomplete_not_ok():
    page, _ = processed(limit_pages.cut_short())
    assert page.parsed.doc_kind == "annual_report"
    assert page.parsed.validation_status == "incomplete"
    assert page.parsed.unverified
    assert any(p.startswith("incomplete:") for p in page.parsed.problems)


def test_a_failing_check_still_makes_the_report_failed():
    from tests.test_parse import parse_file

    whole = parse_file("examples/2021.html")
    assert whole.validation_status == "ok" and whole.unverified == []


def test_an_error_while_cleaning_is_recorded_and_the_page_kept(monkeypatch):
    def broken(text):
        raise RuntimeError("transform bug")

    monkeypatch.setattr(process, "degarble", broken)
    monkeypatch.setattr(process, "untouched", lambda html: None)  # the clean-page gate lets it on
    page, rows = processed(limit_pages.page("<p>某区2021年报告正文</p>"))
    assert "processing failed: RuntimeError: transform bug" in page.parsed.problems
    assert "某区2021年报告正文" in page.text
    assert "processing failed" in rows.text["problems"]


def test_an_error_while_parsing_is_recorded_and_the_page_kept(monkeypatch):
    def broken(*args):
        raise OverflowError("parser bug")

    monkeypatch.setattr(process, "parse_document", broken)
    page, _ = processed(limit_pages.page("<p>正文</p>"))
    assert page.parsed.problems == ["processing failed: OverflowError: parser bug"]
    assert page.text == "正文"


@pytest.mark.parametrize("seed", range(3))
def test_random_bytes_never_raise(seed):
    rng = random.Random(seed)
    body = bytes(rng.randrange(256) for _ in range(200_000))
    processed(body)
    processed(b"<html><body><table><tr><td>" + body + b"</td></tr></table></body></html>")


# -- non-text input --------------------------------------------------------------------------
SIGNED = {
    "PNG": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "JPEG": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    "GIF": b"GIF89a\x01\x00\x01\x00",
    "PDF": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    "ZIP": b"PK\x03\x04\x14\x00\x06\x00",
    "OLE2": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",
}


@pytest.mark.parametrize("kind", sorted(SIGNED))
def test_binary_types_are_named_by_their_signature(kind):
    assert binary_kind(SIGNED[kind] + bytes(range(256)) * 10) == kind


def test_random_and_nul_bytes_are_binary_and_text_in_any_encoding_is_not():
    rng = random.Random(7)
    assert binary_kind(bytes(rng.randrange(256) for _ in range(100_000))) == "binary"
    assert binary_kind(b"<html>\x00</html>") == "binary"
    no_nul = bytes(rng.randrange(1, 256) for _ in range(100_000))
    assert binary_kind(no_nul) == "binary"
    text = "某区2021年政府信息公开工作年度报告\n收到申请12件。\t合计\n" * 200
    for codec in ("utf-8", "gb18030", "big5", "utf-16"):  # utf-16 writes a BOM
        assert binary_kind(text.encode(codec, "replace")) is None, codec
    assert binary_kind(b"plain ascii\r\n") is None
    assert binary_kind(b"") is None


def test_parse_command_names_non_text_input_and_exits_2(tmp_path, capsys):
    image = tmp_path / "page.html"  # GIF: no reader (PNG, JPEG and TIFF are scans OCR reads)
    image.write_bytes(SIGNED["GIF"] + b"\x00" * 5000)
    assert main(["parse", str(image)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "GIF image" in err
    noise = tmp_path / "noise.bin"
    noise.write_bytes(random.Random(3).randbytes(5_000_000))
    assert main(["parse", str(noise)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "binary data" in err


def test_parse_command_says_a_file_is_empty(tmp_path, capsys):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    assert main(["parse", str(empty)]) == 2
    assert "empty file" in capsys.readouterr().err


def test_parse_command_still_parses_a_page(tmp_path, capsys):
    report = tmp_path / "report.html"
    report.write_bytes((limit_pages.EXAMPLES / "2021.html").read_bytes())
    assert main(["parse", str(report)]) == 0
    assert "kind: annual_report" in capsys.readouterr().out


def parse_under(limit: dict, path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "govcrawl.cli", "parse", str(path)],
        env={**os.environ, **limit}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def over_a_limit(done: subprocess.CompletedProcess, message: str) -> bool:
    return done.returncode == 3 and done.stdout == "" and message in done.stderr and "not parsed" in done.stderr


@needs_ocr
def test_parse_command_stops_a_file_over_the_stages_time_limit(tmp_path):
    """`govcrawl parse` is bounded as the process stage is: a file over the time limit ends
    with it and exit status 3, not a hung shell. A scanned page takes seconds of OCR."""
    import pypdfium2

    from tests.replica.attachments import render_attachment
    from tests.test_file_readers import make_report

    scan = tmp_path / "scan.png"
    pdf = pypdfium2.PdfDocument(render_attachment("pdf", make_report()))
    pdf[1].render(scale=200 / 72).to_pil().convert("L").save(scan, format="PNG")
    done = parse_under({"GOVCRAWL_PROCESS_TIMEOUT": "1"}, scan)
    assert over_a_limit(done, "limit: processing took more than GOVCRAWL_PROCESS_TIMEOUT (1 s)"), done.stdout[:2000]


def test_parse_command_stops_a_page_over_the_stages_memory_limit(tmp_path):
    report = tmp_path / "report.html"
    report.write_bytes((limit_pages.EXAMPLES / "2021.html").read_bytes())
    done = parse_under({"GOVCRAWL_PROCESS_MEMORY_MB": "1"}, report)
    assert over_a_limit(done, "limit: processing needed more than GOVCRAWL_PROCESS_MEMORY_MB (1 MB)"), done.stdout[:2000]
    assert parse_under({}, report).returncode == 0
