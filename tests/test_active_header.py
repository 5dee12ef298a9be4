"""Table 二's column headers as real reports print them (pipelines.active_header): wrapped over
two cells, cut short, or naming no column. Pages are flattened tables, one cell per line, with
our own filler prose; the header forms are the ones real township and bureau reports print."""

from __future__ import annotations

from pipelines.process import process_page

OPENING = ["某镇2021年政府信息公开工作年度报告", "一、总体情况", "本机关按照年度工作安排推进公开工作。", "二、主动公开政府信息情况"]


def parsed(lines: list[str]):
    text = "\n".join([*OPENING, *lines, "三、收到和处理政府信息公开申请情况", "五、存在的主要问题及改进情况", "无。"])
    return process_page(text.encode("utf-8"), "text/plain; charset=utf-8").parsed


def first_sub_table(headers: list[str]) -> list[str]:
    return ["第二十条第(一)项", "信息内容", *headers, "规章", "0", "1", "2", "行政规范性文件", "3", "4", "25"]


def test_a_header_wrapped_over_two_cells_names_its_column():
    page = parsed(["第二十条第(一)项", "信息内容", "本年新", "制作数量", "本年新", "公开数量", "对外公开总数量",
                   "规章", "0", "0", "0", "规范性文件", "5", "6", "7"])
    assert {k: int(v.value) for k, v in page.values.items() if k.startswith("active.normative")} == {
        "active.normative_documents.new_made": 5,
        "active.normative_documents.new_published": 6,
        "active.normative_documents.total_published": 7,
    }


def test_a_header_cut_short_names_the_one_column_it_starts():
    page = parsed(first_sub_table(["本年制发件数", "本年废止件数", "现行有效件"]))
    assert page.values["active.normative_documents.in_force"].value == 25
    assert page.values["active.regulations.in_force"].value == 2


def test_a_header_naming_no_column_leaves_its_rows_out_with_a_problem():
    """A column nobody knows in the middle: reading by position would shift 现行有效件数 by one."""
    page = parsed(first_sub_table(["本年制发件数", "本年修订件数", "现行有效件数"]))
    assert not [k for k in page.values if k.startswith(("active.regulations", "active.normative"))]
    assert any("本年修订件数" in problem and "table 二" in problem for problem in page.problems)
    assert any("规章" in problem and "left out" in problem for problem in page.problems)


def test_a_fragment_that_starts_two_headers_names_neither():
    """本年新 starts both 本年新制作数量 and 本年新公开数量: alone it names no column."""
    page = parsed(["第二十条第(一)项", "信息内容", "本年新", "规章", "0", "规范性文件", "5"])
    assert not [k for k in page.values if k.startswith(("active.regulations", "active.normative"))]
    assert any("本年新" in problem for problem in page.problems)


def test_the_next_sub_table_is_read_again_after_an_unreadable_header():
    lines = first_sub_table(["本年制发件数", "本年修订件数", "现行有效件数"])
    lines += ["第二十条第(五)项", "信息内容", "本年处理决定数量", "行政许可", "97"]
    page = parsed(lines)
    assert page.values["active.licensing.decisions"].value == 97


def test_a_unit_note_in_a_header_cell_of_its_own_is_no_column():
    page = parsed(first_sub_table(["本年制发件数", "本年废止件数", "现行有效件数", "单位：件"]))
    assert page.values["active.normative_documents.in_force"].value == 25
    assert not [p for p in page.problems if "table 二" in p]


def test_a_header_with_its_last_character_lost_names_its_column_and_the_header_goes_on():
    """A county bureau's 2020 report prints 本年增/ (减 lost) between two whole headers."""
    page = parsed(["第二十条第(一)项", "信息内容", "本年新", "制作数量", "本年新", "公开数量", "对外公开总数量",
                   "规章", "6", "2", "10", "第二十条第(五)项", "信息内容", "上一年项目数量", "本年增/", "处理决定数量",
                   "行政许可", "18", "0", "1625", "第二十条第(六)项", "信息内容", "上一年项目数量", "本年增/",
                   "处理决定数量", "行政处罚", "137", "0", " 112", "行政强制", "12", "0", " 21"])
    values = {k: int(v.value) for k, v in page.values.items() if k.startswith("active.")}
    assert values["active.licensing.decisions"] == 1625
    assert (values["active.penalty.items_last_year"], values["active.penalty.change"]) == (137, 0)
    assert values["active.coercion.decisions"] == 21
    assert not [p for p in page.problems if "table 二" in p]


def test_one_cut_fragment_printed_once_per_column_it_starts_names_them_in_printed_order():
    """A copy that lost each wrapped header's second line: 本年新 / 本年新 / 对外公开总数量."""
    page = parsed(["第二十条第(一)项", "信息内容", "本年新", "本年新", "对外公开总数量",
                   "规章", "6", "2", "10", "规范性文件", "198", "7", "21"])
    assert {k: int(v.value) for k, v in page.values.items() if k.startswith("active.normative")} == {
        "active.normative_documents.new_made": 198,
        "active.normative_documents.new_published": 7,
        "active.normative_documents.total_published": 21,
    }


def test_a_run_of_one_cut_fragment_of_another_length_names_no_column():
    """Three 本年新 over two columns it starts, or one joined to the rest of a wrapped header:
    which cell is which is not known, so the rows stay out with a problem."""
    for headers in (["本年新", "本年新", "本年新"], ["本年新", "本年新", "制作数量"]):
        page = parsed(["第二十条第(一)项", "信息内容", *headers, "规章", "6", "2", "10"])
        assert not [k for k in page.values if k.startswith("active.regulations")]
        assert any("table 二" in problem and "names no column" in problem for problem in page.problems)


def test_a_misprinted_row_label_is_read_as_its_row():
    """A township's 2021 report prints 行政事业型收费 for 行政事业性收费."""
    page = parsed(["第二十条第(八)项", "信息内容", "本年收费金额(单位:万元)", "行政事业型收费", "0"])
    assert page.values["active.fees.fee_amount_10k_yuan"].value == 0


def test_a_copy_localised_for_taiwan_keeps_its_normative_documents_row():
    """A municipal bureau's 2020 report, copied in Taiwan's localisation, prints the row as
    規範性檔案（行政機關制定發布的決定…）with its long note, cells 2, 2, 19 (pipe rows)."""
    page = parsed([
        "第二十條第(一)項 | |||||",
        "信息內容 | 本年新 製作數量 | 本年新 公開數量 | 對外公開總數量 | ||",
        "規章(設區的市、自治州人民政府應提供相關數據) | 0 | 0 | 0 | ||",
        "規範性檔案(行政機關制定發布的決定、公告、通告、意見、通知,一般情況下屬於規範性檔案) | 2 | 2 | 19 | ||",
    ])
    assert {k: int(v.value) for k, v in page.values.items() if k.startswith("active.normative")} == {
        "active.normative_documents.new_made": 2,
        "active.normative_documents.new_published": 2,
        "active.normative_documents.total_published": 19,
    }
