"""The 政府信息公开平台 metadata table (索引号 / 发布机构 / 成文日期 / 文号 …): agency and dates.

Labels and layouts are those of real pages (tests/golden/pages/: a grid of th/td cells, `label：value`
pairs several to a line, a label on one line and its value on the next, cells joined by `|`); the
agency names and dates filled in are our own unless a case says it is a real page's.
"""

from __future__ import annotations

import pytest

from pipelines.agency import agency_in_table
from pipelines.dates import published_date
from pipelines.process import process_page
from tests.golden_pages import cases, page_lines

REPORT_BODY = "<p>一、总体情况</p><p>本单位按照要求推进政府信息公开工作。</p>"


def page(table: str, title: str, body: str = REPORT_BODY) -> bytes:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        f'<div class="crumb">首页 &gt; 政府信息公开 &gt; 年报</div>{table}<h1>{title}</h1>'
        f'<div class="content">{body}</div></body></html>'
    ).encode()


GRID = (
    '<table><tr><th>索引号</th><td>11430000MB0123X/2022-00037</td><th>分类</th><td>政府信息公开年报</td></tr>'
    "<tr><th>发布机构</th><td>{agency}</td><th>成文日期</th><td>2022-01-20</td></tr>"
    "<tr><th>文号</th><td></td><th>发布日期</th><td>2022-01-25</td></tr></table>"
)
SPANS = (
    '<ul class="xxgk"><li><span>索 引 号：</span><span>0142581323/2022-00001</span></li>'
    "<li><span>发布机构：</span><span>{agency}</span></li><li><span>成文日期：</span><span>2022-01-20</span></li>"
    "<li><span>发布日期：</span><span>2022-01-25</span></li></ul>"
)
LINES = (
    "<div>索引号: 003129766/202201-00336 组配分类: 年度报告</div>"
    "<div>信息分类: 年报 发布机构: {agency}</div><div>成文日期: 2022-01-20 文号:</div>"
    "<div>发布日期: 2022-01-25 有效性:</div>"
)


@pytest.mark.parametrize("layout", [GRID, SPANS, LINES], ids=["grid", "spans", "lines"])
def test_the_tables_agency_and_publish_date_are_read_in_every_layout(layout):
    body = page(layout.format(agency="东湖市生态环境局"), "2021年政府信息公开工作年度报告")
    meta = process_page(body, "text/html; charset=utf-8").parsed.metadata
    # the title names no agency: the table's 发布机构 gives it; 发布日期, not 成文日期, is the date
    assert (meta.agency, meta.published_date, meta.report_year) == ("东湖市生态环境局", "2022-01-25", 2021)


def test_the_title_is_stronger_than_the_table_and_the_table_than_the_opening():
    table = GRID.format(agency="东湖市人民政府办公室")
    titled = page(table, "东湖市审计局2021年政府信息公开工作年度报告")
    assert process_page(titled, "text/html").parsed.metadata.agency == "东湖市审计局"
    opening = REPORT_BODY + "<p>现公布东湖市统计局2021年政府信息公开工作年度报告。</p>"
    untitled = page(table, "2021年政府信息公开工作年度报告", opening)
    assert process_page(untitled, "text/html").parsed.metadata.agency == "东湖市人民政府办公室"


# 发布机构 values as real tables print them that are not the report's agency: a portal office
# (gsgz.gov.cn), abbreviations (zwinkt.com, lianyun.gov.cn, hangzhou.gov.cn, gswuwei.gov.cn,
# guanxian.gov.cn): never taken for the agency.
@pytest.mark.parametrize("printed", ["政务服务管理局", "市政府办", "教育局", "市人力社保局", "信息公开办", "冠县政府"])
def test_an_abbreviated_or_office_publisher_is_left_out(printed):
    assert agency_in_table(f"索引号 620702074/2024-00047\n发布机构 {printed} 成文日期 2024-01-26") is None
    body = page(GRID.format(agency=printed), "2023年政府信息公开工作年度报告")
    assert process_page(body, "text/html").parsed.metadata.agency is None


def test_an_empty_publisher_cell_does_not_take_the_next_label():
    # baiyinqu.gov.cn: 所属机构: | 白银区 | 发布机构: | then the 信息来源 line
    text = "所属机构: | 白银区 | 发布机构: |\n信息来源:白银区人民路街道办事处\n发布时间:2024-01-05 11:19"
    assert agency_in_table(text) is None
    assert agency_in_table("公开形式 责任部门\n发布机构 成文日期 2024-01-26") is None
    # an empty cell, then the title on the next line: its first words are not the agency
    assert agency_in_table("所属机构: | 白银区 | 发布机构: |\n白银区人民路街道2023年政府信息公开工作年度报告 |") is None


def test_label_variants_and_a_value_on_the_next_line_or_run_together():
    assert agency_in_table("发布机关\n东湖市自然资源局\n主题分类\n综合政务") == "东湖市自然资源局"
    assert agency_in_table("发布单位: | 东湖市审计局 | 主题分类: | 其他 |") == "东湖市审计局"
    assert agency_in_table("发文机关：东湖市人民政府办公室成文日期：2022-01-20") == "东湖市人民政府办公室"
    assert agency_in_table("发 布 机 构 汤浦镇 发文日期 2015-08-03") == "汤浦镇"


def test_the_written_date_is_never_the_publish_date():
    # 成文日期 (the date a document was signed) stays out; 发布日期 later in the table is the date
    assert str(published_date("文号: | 成文日期: | 2024-01-19 | |\n发布日期: | 2024-01-23 |")) == "2024-01-23"
    assert published_date("索引号: 580267448/2024-276400\n文号: | 成文日期: | 2024-01-19 | |") is None
    # a catalogue entry's 发文日期 stands in only when no publish date is printed
    assert str(published_date("• 发文日期:\n2024年04月06日 16:40\n• 发布日期:\n2024年04月08日 16:34")) == "2024-04-08"


def test_on_real_tables_the_table_never_gives_a_wrong_agency():
    """Every golden page whose header carries a metadata table: the table's agency is the one read
    off the page by hand, or none."""
    seen = 0
    for name, case in cases().items():
        has_table = any("索引号" in text.replace(" ", "") for _, text in case["shape"]["head"])
        if not has_table or "agency" not in case["expected"]:  # a news item's agency is not scored
            continue
        seen += 1
        got = agency_in_table("\n".join(page_lines(case)))
        assert got is None or got == case["expected"].get("agency"), (name, got)
    assert seen >= 8
