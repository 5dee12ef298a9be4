"""Table 三 rows as copies of real reports print them when most cells are empty: a number or
two then a run of empty cells (a township report copied with traditional characters; a 2019
district bureau report printed one cell per line), or empty cells before a printed total (a
2021 county bureau report). A row whose numbers cannot be placed in their columns is left out
with a problem; a row whose printed cells fill its columns is read, its empty cells as 0."""

from __future__ import annotations

from pipelines.process import process_page

OPENING = ["某镇2021年政府信息公开工作年度报告", "一、总体情况", "本机关按照年度工作安排推进公开工作。"]
HEADER = [
    "三、收到和处理政府信息公开申请情况",
    "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) | 申请人情况 | ||||||||",
    "自然人 | 法人或其他组织 | 总计 | |||||||",
    "商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | |||||",
]


def parsed(lines: list[str]):
    text = "\n".join([*OPENING, *HEADER, *lines, "五、存在的主要问题及改进情况", "无。"])
    return process_page(text.encode("utf-8"), "text/plain; charset=utf-8").parsed


def applications(page) -> dict[str, int]:
    return {k: int(v.value) for k, v in page.values.items() if k.startswith("applications.")}


def test_one_number_then_empty_cells_is_left_out_with_a_problem():
    page = parsed(["一、本年新收政府信息公开申请数量 | 0 | ||||||||",
                   "二、上年结转政府信息公开申请数量 | 0 | ||||||||",
                   "三、本年度办理结果 | (一)予以公开 | 0 | |||||||"])  # fmt: skip
    assert applications(page) == {}
    assert any("table 三" in p and "本年新收" in p for p in page.problems)


def test_two_numbers_then_empty_cells_are_left_out_with_a_problem():
    """3 | 3 may be 自然人 and 总计, or 自然人 and 商业企业: not guessed."""
    cells = ["一、本年新收政府信息公开申请数量", "3", "3", "|||||||", "二、上年结转政府信息公开申请数量", "0", "0", "|||||||"]
    page = parsed([c if c.startswith("|") else f"{c} |" for c in cells])
    assert applications(page) == {}
    assert any("table 三" in p for p in page.problems)


def test_empty_cells_before_a_printed_total_are_read_as_zero():
    page = parsed(["一、本年新收政府信息公开申请数量 | 0 | | | | | | 0 |",
                   "二、上年结转政府信息公开申请数量 | | | | | | | 0 |"])  # fmt: skip
    columns = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total")
    assert applications(page) == {f"applications.{row}.{c}": 0 for row in ("new_received", "carried_over") for c in columns}
