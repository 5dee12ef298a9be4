"""Cells printing a character the page's last encoder could not write: copies of reports print
"? 0" where the report had "&nbsp;0" (seen on a content-farm copy of a 2021 district bureau
report, cells one per line ending " |", tables 二 and 三). Only a zero is read through the mark:
a lost character is never a digit, but it may have been a sign."""

from __future__ import annotations

import pytest

from pipelines.cells import text_cells
from pipelines.process import process_page

OPENING = ["某区某局2021年政府信息公开工作年度报告", "一、总体情况", "本机关按照年度工作安排推进公开工作。", "二、主动公开政府信息情况"]


def parsed(lines: list[str]):
    text = "\n".join([*OPENING, *lines, "五、存在的主要问题及改进情况", "无。"])
    return process_page(text.encode("utf-8"), "text/plain; charset=utf-8").parsed


def active_2021(repealed: str) -> list[str]:
    """Table 二 as the copy prints it: one cell per line ending " |", 本年废止件数 with a lost mark."""
    cells = ["第二十条第(一)项", "信息内容", "本年制发件数", "本年废止件数", "现行有效件数",
             "规章", "0", repealed, "0", "行政规范性文件", "0", repealed, "0",
             "第二十条第(五)项", "信息内容", "本年处理决定数量", "行政许可", "0",
             "第二十条第(六)项", "信息内容", "本年处理决定数量", "行政处罚", "0", "行政强制", "0",
             "第二十条第(八)项", "信息内容", "本年收费金额(单位:万元)", "行政事业性收费", "0"]  # fmt: skip
    return [f"{cell} |" for cell in cells]


@pytest.mark.parametrize("printed", ["? 0", "?0", "\ufffd0", "？ 0", "?? 0"])
def test_a_lost_mark_before_a_zero_reads_as_zero(printed):
    cells = text_cells(f"规章 |\n0 |\n{printed} |\n0 |")
    assert [(c.kind, c.number) for c in cells[1:]] == [("number", 0)] * 3


@pytest.mark.parametrize("printed", ["? 5", "?-0.5", "? 0件", "?", "?abc"])
def test_a_lost_mark_before_anything_else_is_no_number(printed):
    assert text_cells(f"{printed} |")[0].kind != "number"


def test_table_two_with_lost_marks_is_read_whole():
    page = parsed(active_2021("? 0"))
    assert {k: int(v.value) for k, v in page.values.items() if k.startswith("active.")} == {
        **{f"active.{item}.{m}": 0 for item in ("regulations", "normative_documents")
           for m in ("issued", "repealed", "in_force")},
        "active.licensing.decisions": 0, "active.penalty.decisions": 0, "active.coercion.decisions": 0,
        "active.fees.fee_amount_10k_yuan": 0,
    }  # fmt: skip
    assert not [p for p in page.problems if "table 二" in p]


def test_a_lost_mark_before_a_nonzero_number_leaves_the_row_out_with_a_problem():
    """A "? 5" may have been "−5": its row is not read, never as 5."""
    page = parsed(active_2021("? 5"))
    assert not [k for k in page.values if k.startswith(("active.regulations", "active.normative"))]
    assert any("table 二" in p and "规章" in p for p in page.problems)
    assert page.values["active.licensing.decisions"].value == 0
