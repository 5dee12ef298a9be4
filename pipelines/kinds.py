"""The kind of a page (one of DOC_KINDS), from its title, its URL and its body.

Precision matters as much as recall: a 通知 or 函 about 政务公开 / 政府信息公开 work is a notice
even when it names a 年度报告; a 范文, a 汇编, an (N篇) compilation or any page of a content farm
(pipelines/chrome.py) is a template essay, not a report; a title must end as a report does
(a meeting about 年报 is news). A page printed without a title is a report when its opening
or its URL says so and it has the report's numbered sections, or when it holds the tables.
"""

from __future__ import annotations

import re

from pipelines.chrome import essay_page, on_content_farm, report_url
from pipelines.titles import HEADING, QUALIFIER, TITLE_END, YEAR

DOC_KINDS = ("annual_report", "work_summary", "notice", "template_essay", "other")
ESSAY = re.compile(r"范文|范本|汇编|精选\d*篇|(?<!\d)\d+篇|篇[1-9一二三四五六七八九十]\b")
# A name left blank for the reader to fill in: XX镇人民政府编制, xx镇人民政府2023年…方案, ××局.
# A real document names its author; a writing sample leaves it to whoever copies it.
PLACEHOLDER = re.compile(r"(?:XX|xx|Xx|ＸＸ|××|xxx|XXX)(?:省|市|县|区|镇|乡|街道|局|委|办|单位|公司)")
ESSAY_LINE = re.compile(r"^篇[1-9一二三四五六七八九十][ \t]*$", re.M)
NOTICE_END = re.compile(r"(?:通知|通报|函|意见|公告|批复|方案)$")
REPORT_END = re.compile(r"(?:年度报告|年报|工作报告|信息公开报告|年度工作报告|[0-9]年度报告)$")
REPORT = re.compile(r"年度报告|年报|工作报告")
DISCLOSURE = re.compile(r"信息公开|政务公开|公开政府信息|政府信息")
# A news headline about a report: 贵州省发布2016年政府信息公开工作年度报告 (a report's own title
# never says it is being published; <机关>关于公布…年度报告 is the report put up by its agency).
NEWS_OF_REPORT = re.compile(r"(?:发布|公布|晒出)了?\s*(?:19|20)\d{2}\s*年")
SUMMARY_END = re.compile(r"(?:工作总结|工作情况总结|工作小结|工作情况的报告|工作情况报告)$")
OPENING_CHARS = 3000
PLACEHOLDER_CHARS = 1000  # where a writing sample names its blank author
# The opening of a report: its statement about itself.
REPORT_OPENING = re.compile(
    r"本(?:年度)?报告|本年报|编制本报告|报告如下|年度报告[。(（]|统计期限|统计期为|统计时限|数据统计时间|统计数据时限"
)
# An untitled report that says what it is: 现将2020年政府信息公开工作报告如下.
REPORT_STATEMENT = re.compile(r"现将[^。；]{0,30}?(?:政府信息公开|政务公开|信息公开)[^。；]{0,20}?报告如下")
# An untitled page that names itself a dated disclosure report it publishes: 编制了《…2020年度信息
# 公开年度报告》, 现公布…2020年政府信息公开工作年度报告 (with REPORT_OPENING: its headings may be run
# into one line, where no numbered heading starts a line).
REPORT_NAMED = re.compile(
    r"(?:编制了|现公布|现发布|特向社会公布|特公布|向社会公布)《?[^。；《]{0,40}?(?:19|20)\d{2}\s*年度?[^。；]{0,20}?信息公开[^。；]{0,10}?(?:年度报告|年报)"
)
# An untitled notice: it hands a document out or gives notice (现印发给你们, 现将有关事项通知如下).
NOTICE_OPENING = re.compile(r"现印发给你们|现予印发|有关事项通知如下")
SUMMARY_OPENING = re.compile(r"(?:政务公开|信息公开)[^。；]{0,20}?(?:工作)?(?:情况)?总结如下")
# Numbered section headings of the national formats (2008 legacy, 2019, 2021).
SECTION_WORDS = re.compile(
    r"总体情况|概述|概况|主动公开|依申请公开|收到和处理|行政复议|行政诉讼|收费及减免|存在的主要问题|其他需要报告"
)


def classify(title: str | None, text: str, value_count: int, url: str | None = None) -> str:
    title = QUALIFIER.sub("", (title or "").rstrip(" \t|"))
    if (ESSAY.search(title) or PLACEHOLDER.search(title) or on_content_farm(url) or essay_page(text)
            or len(ESSAY_LINE.findall(text)) >= 2):  # fmt: skip
        return "template_essay"
    if NOTICE_END.search(title):
        return "notice" if REPORT.search(title) or DISCLOSURE.search(title) else "other"
    opening = text[:OPENING_CHARS]
    if not REPORT_END.search(title) and NOTICE_OPENING.search(opening) and DISCLOSURE.search(opening):
        return "notice"  # its title not printed: the document it hands out is (…工作要点)
    if PLACEHOLDER.search(text[:PLACEHOLDER_CHARS]):  # a notice may hand out a form with blanks
        return "template_essay"
    dated = YEAR.search(title) is not None  # a column or list page is titled 年报 without a year
    if REPORT_END.search(title) and NEWS_OF_REPORT.search(title) and "关于" not in title:
        return "other"
    if REPORT_END.search(title) and DISCLOSURE.search(title) and (dated or value_count or sections(text) >= 2):
        return "annual_report"
    if dated and SUMMARY_END.search(title) and DISCLOSURE.search(title):
        return "work_summary"
    if value_count >= 20:  # the standard tables under a title that does not say so
        return "annual_report"
    if not TITLE_END.search(title):  # untitled, or a title that names no kind of document
        return untitled_kind(text, url)
    return "other"


def untitled_kind(text: str, url: str | None) -> str:
    opening = text[:OPENING_CHARS]
    if SUMMARY_OPENING.search(opening):
        return "work_summary"
    if NOTICE_OPENING.search(opening) and DISCLOSURE.search(opening):
        return "notice"
    if REPORT_STATEMENT.search(opening) or (REPORT_NAMED.search(opening) and REPORT_OPENING.search(opening)):
        return "annual_report"
    count = sections(text)
    if count >= 2 or (count and (REPORT_OPENING.search(opening) or report_url(url))):
        return "annual_report"
    return "other"


def sections(text: str) -> int:
    """How many numbered headings of the report formats the page prints, run-in ones too:
    (一)主动公开情况。按照…: the heading is the line up to its first full stop."""
    seen = set()
    for line in text.splitlines():
        line = line.strip().split("。", 1)[0]
        if len(line) <= 40 and HEADING.match(line):
            words = SECTION_WORDS.search(line.replace(" ", ""))
            if words:
                seen.add(words.group())
    return len(seen)
