"""Cells, numbers and labels as pages print them; the table reader and the identity checks on
small hand-made inputs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipelines.cells import Cell, parse_number, text_cells
from pipelines.cells import html_cells as tree_cells
from pipelines.schema import application_rows, core
from pipelines.text import parse_html
from pipelines.validate import validate
from pipelines.values import read_tables


def html_cells(html: str) -> list[Cell]:
    return tree_cells(parse_html(html))


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [("12", 12, ""), ("１２", 12, ""), (" 7 ", 7, ""), ("-43", -43, ""), ("−18", -18, ""), ("+4", 4, ""),
     ("251000元", 251000, "元"), ("1316.84万元", Decimal("1316.84"), "万元"), ("4068.208", Decimal("4068.208"), ""),
     ("3件", 3, "件"), ("1,234", 1234, "")],
)  # fmt: skip
def test_numbers(text, value, unit):
    assert parse_number(text) == (Decimal(value), unit)


@pytest.mark.parametrize("text", ["1.属于国家秘密", "2019年", "第二十条第（一）项", "3米", ""])
def test_not_numbers(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("printed", "spec_label"),
    [("(二) 部分公开(区分处理的,只计这一情形,不计其他情形)", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
     ('3. 危及"三安全一稳定"', "3.危及“三安全一稳定”"), ("3.危及三安全一稳定", "3.危及“三安全一稳定”"),
     ("（七）合计", "（七）总计"), ("四、结转下一年度继续办理", "四、结转下年度继续办理"),
     ("本年新\n制作数量", "本年新制作数量")],
)  # fmt: skip
def test_label_variants_reduce_to_the_spec_label(printed, spec_label):
    assert core(printed) == core(spec_label)


def test_application_row_cores_are_unique_within_a_parent():
    seen = {(row.parent_core, row.core) for row in application_rows()}
    assert len(seen) == len(application_rows())


def test_flattened_lines_count_nbsp_runs_as_empty_cells():
    cells = text_cells("规章\n  \n\u00a0 \u00a0 \u00a0\n行政规范性文件\n2\n\u00a0\n5\n")
    assert [(c.kind, c.blanks) for c in cells] == [("label", 0), ("blank", 3), ("label", 0), ("number", 0),
                                                   ("blank", 1), ("number", 0)]  # fmt: skip


def test_pipe_and_tab_rows_keep_their_empty_cells():
    pipe = text_cells("| 行政许可 | 5 |  | 7 |")
    tab = text_cells("行政许可\t5\t\t7")
    for cells in (pipe, tab):
        assert [c.kind for c in cells] == ["label", "number", "blank", "number"]
        assert cells[-1].row_end


def test_html_grid_columns_follow_rowspan_and_colspan():
    cells = html_cells(
        "<table><tr><td rowspan=2>A</td><td colspan=2>B</td></tr><tr><td>1</td><td>&nbsp;</td></tr></table>"
    )
    assert [(c.raw, c.kind, c.row, c.col) for c in cells] == [
        ("A", "label", 0, 0), ("B", "label", 0, 1), ("1", "number", 1, 1), ("", "blank", 1, 2)
    ]  # fmt: skip


def test_digits_split_across_spans_are_one_number():
    (cell,) = [c for c in html_cells("<table><tr><td><span>2</span><span>0</span></td></tr></table>")]
    assert cell.number == 20


def reviews_html(row: list[str]) -> str:
    head = "".join(f"<td>{x}</td>" for x in ["行政复议", "行政诉讼"])
    measures = "".join(f"<td>{x}</td>" for x in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3)
    data = "".join(f"<td>{x}</td>" for x in row)
    return f"<table><tr>{head}</tr><tr>{measures}</tr><tr>{data}</tr></table>"


def test_a_short_row_is_a_problem_not_a_guess():
    reading = read_tables(html_cells(reviews_html(["1"] * 14)))
    assert reading.values == {}
    assert reading.problems and "15 cells" in reading.problems[0]


def test_identity_failures_keep_both_sides():
    reading = read_tables(html_cells(reviews_html(["1", "0", "0", "0", "2"] + ["0"] * 10)))
    values = {key: v.value for key, v in reading.values.items()}
    checks = {c.rule: c for c in validate(values, "2021")}
    failed = checks["reviews_total"]
    assert (failed.ok, failed.expected, failed.actual) == (False, 2.0, 1.0)
    assert checks["litigation_direct_total"].ok
    assert "app_balance" not in checks  # table 三 not read: skipped, not failed


def test_negative_counts_fail_the_non_negative_rule():
    values = {"applications.new_received.total": Decimal(-1), "applications.granted.total": Decimal(3)}
    (check,) = [c for c in validate(values, "2019") if c.rule == "non_negative"]
    assert not check.ok and check.subject == "applications.new_received.total"


# -- rows as text extracted from PDFs, and rows run together ------------------------------------
def test_a_pdf_row_on_one_line_gives_its_cells():
    from pipelines.cells import text_cells

    cells = text_cells("行政许可 97\n（一）予以公开 27 0 0 2 0 1 30\n— 4 —\n信息内容 本年制发件数 本年废止件数")
    assert [(c.raw, c.kind) for c in cells[:2]] == [("行政许可", "label"), ("97", "number")]
    assert [c.raw for c in cells[2:10]] == ["（一）予以公开", "27", "0", "0", "2", "0", "1", "30"]
    assert [c.raw for c in cells[10:]] == ["信息内容", "本年制发件数", "本年废止件数"]  # no footer cell
    prose = text_cells("截至 2020 年底 共有 3 人")
    assert len(prose) == 1


def test_run_together_cells_split_only_where_unique():
    from pipelines.run_together import row_total_holds, unique_split

    # 120 000012: first six add up to the seventh only as 12,0,0,0,0,0,12
    assert unique_split("120 000012", 7, row_total_holds) == [Decimal(n) for n in (12, 0, 0, 0, 0, 0, 12)]
    assert unique_split("1124", 3, lambda parts: True) is None  # three splits, no identity: none
    assert unique_split("1111", 3, row_total_holds) is None  # no split adds up


def test_table_two_run_together_is_split_only_where_unique():
    from pipelines.cells import text_cells

    page = "\n".join([
        "信息内容本年新制作数量本年新公开数量对外公开总数量", "规章005", "规范性文件7745",
        "信息内容上一年项目数量本年增/减处理决定数量", "行政许可315201187",
    ])  # fmt: skip
    reading = read_tables(text_cells(page))
    values = {key: float(v.value) for key, v in reading.values.items()}
    # 005 into 3 cells: only 0, 0, 5; 7745 and 315201187: several cuts, no identity to choose
    assert values == {"active.regulations.new_made": 0, "active.regulations.new_published": 0,
                      "active.regulations.total_published": 5}  # fmt: skip
    assert any("规范性文件" in p and "no split" in p for p in reading.problems)
    assert any("行政许可" in p and "no split" in p for p in reading.problems)
