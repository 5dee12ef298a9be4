"""Metadata and kind on real pages: title, agency, report_year, published date and doc_kind.

The corpus is the facts of real page starts from many portals (tests/golden/pages/, rendered
by tests/golden_pages.py as text and as HTML) and the real pages of tests/data, each field
read off the page by hand. A field a case leaves out of `expected` is not scored (the agency
and year of a news item or a template essay). Run with -s to see the per-field figures.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

from govcrawl.cli import main as govcrawl_main
from pipelines.process import process_page
from tests.golden_pages import FORMS, cases, render

DATA = Path(__file__).parent / "data"
FIELDS = ("title", "agency", "report_year", "published", "doc_kind")
TARGET = 0.98

# The real pages of tests/data (whole pages, as fetched), read by hand.
LOCAL = {
    "examples/2011.html": ("平潭综合实验区2011年政府信息公开工作年度报告", "平潭综合实验区", 2011, "2012-04-11", "annual_report"),
    "examples/2012-pingtanxian.html": ("平潭县人民政府2012年政府信息公开工作年度报告", "平潭县人民政府", 2012, "2013-01-17", "annual_report"),
    "examples/2013-dishui.html": ("平潭综合实验区地方税务局2013年信息公开年度报告", "平潭综合实验区地方税务局", 2013, "2014-02-25", "annual_report"),
    "examples/2015.html": ("平潭综合实验区2015年度政府信息公开工作年度报告", "平潭综合实验区", 2015, "2016-01-12", "annual_report"),
    "examples/2017.html": ("平潭综合实验区2017年度政府信息公开工作年度报告", "平潭综合实验区", 2017, "2018-01-23", "annual_report"),
    "examples/2018.html": ("平潭综合实验区2018年度政府信息公开工作年度报告", "平潭综合实验区", 2018, "2019-01-10", "annual_report"),
    "examples/2021.html": ("平潭综合实验区2021年度政府信息公开工作年度报告", "平潭综合实验区", 2021, "2022-02-08", "annual_report"),
    "examples/2022.html": ("平潭综合实验区2022年度政府信息公开工作年度报告", "平潭综合实验区", 2022, "2023-02-20", "annual_report"),
    "examples/2023.html": ("平潭综合实验区2023年度政府信息公开工作年度报告", "平潭综合实验区", 2023, "2024-03-08", "annual_report"),
    "examples/2025.html": ("平潭综合实验区2025年度政府信息公开工作年度报告", "平潭综合实验区", 2025, "2026-03-10", "annual_report"),
    # a 函 about 政府信息公开 work (M6): a notice
    "examples/notice-2014.html": ("关于2014年政府信息公开工作要点落实情况的函", None, 2014, "2014-12-10", "notice"),
    "examples/list-index.html": ("政府信息公开年报", None, None, None, "other"),
    "seeds/000_7f92e3a88d6a6801.txt": ("攀枝花钒钛高新区管委会关于2018年度政务公开工作总结", "攀枝花钒钛高新区管委会", 2018, "2019-01-28", "work_summary"),
    "seeds/001_2e247731aada4717.txt": ("攀枝花市东区2019年政府信息公开工作年度报告", "攀枝花市东区", 2019, "2020-01-19", "annual_report"),
    "seeds/002_51c7c4d5e8807803.txt": ("临海市投资促进中心2019年度政府信息公开工作报告", "临海市投资促进中心", 2019, None, "annual_report"),
    "seeds/003_2b1681b562146677.txt": ("攀枝花市水利局2018年政府信息公开工作年度报告", "攀枝花市水利局", 2018, "2019-03-15", "annual_report"),
    "seeds/004_bf204d996bc629bc.txt": ("政务公开工作要点范文", None, None, "2023-04-09", "template_essay"),
}  # fmt: skip
UNSCORED_KINDS = ("other", "template_essay")  # their agency and year are not scored


def local_expected(relative: str) -> dict:
    title, agency, year, published, kind = LOCAL[relative]
    expected = {"title": title, "published": published, "doc_kind": kind}
    if kind not in UNSCORED_KINDS:
        expected |= {"agency": agency, "report_year": year}
    return expected


def got_fields(parsed) -> dict:
    meta = parsed.metadata
    return {
        "title": meta.title,
        "agency": meta.agency,
        "report_year": meta.report_year,
        "published": meta.published_date,
        "doc_kind": parsed.doc_kind,
    }


@cache
def results() -> list[tuple[str, dict, dict]]:
    """(case name, expected, got) for every case in every form."""
    out = []
    for name, case in cases().items():
        for form in FORMS:
            body, content_type = render(case, form)
            parsed = process_page(body, content_type, url=case["url"]).parsed
            out.append((f"{name} [{form}]", case["expected"], got_fields(parsed)))
    for relative in LOCAL:
        content_type = "text/html" if relative.endswith(".html") else None
        parsed = process_page((DATA / relative).read_bytes(), content_type).parsed
        out.append((relative, local_expected(relative), got_fields(parsed)))
    return out


def figures() -> dict[str, tuple[int, int]]:
    right, scored = Counter(), Counter()
    for _, expected, got in results():
        for field in FIELDS:
            if field in expected:
                scored[field] += 1
                right[field] += got[field] == expected[field]
    return {field: (right[field], scored[field]) for field in FIELDS}


def test_the_corpus_is_wide():
    corpus = cases()
    assert len(corpus) + len(LOCAL) >= 80
    assert len({case["portal"] for case in corpus.values()}) >= 25
    kinds = Counter(case["expected"]["doc_kind"] for case in corpus.values())
    assert {"annual_report", "work_summary", "notice", "template_essay", "other"} <= set(kinds)


def test_each_field_is_right_on_at_least_98_percent_of_real_pages():
    shown = figures()
    for field, (right, scored) in shown.items():
        print(f"{field:12} {right}/{scored} = {right / scored:.1%}")
    wrong = [
        (name, field, expected[field], got[field])
        for name, expected, got in results()
        for field in FIELDS
        if field in expected and got[field] != expected[field]
    ]
    for line in wrong:
        print("wrong:", *line)
    assert all(right / scored >= TARGET for right, scored in shown.values()), wrong


def test_no_sentence_breadcrumb_or_chrome_is_ever_a_title():
    for name, case in cases().items():
        chrome = {text for role, text in case["shape"]["head"] if role in ("chrome", "crumb", "date", "source", "meta")}
        chrome.discard(case["expected"].get("title"))  # a header field that holds the title itself
        for form in FORMS:
            body, content_type = render(case, form)
            title = process_page(body, content_type, url=case["url"]).parsed.metadata.title
            assert title not in chrome, (name, form, title)
            assert title is None or not title.endswith(("。", "：", ":")), (name, form, title)


def parse_json(path: Path, capsys, *url: str) -> dict:
    assert govcrawl_main(["parse", str(path), "--json", *url]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_url_is_evidence_of_kind_and_year(tmp_path, capsys):
    corpus = cases()
    farm = corpus["m.zjtcn.com_baike-2019njslhyljzfxxgkgzndbg7141240"]
    page = tmp_path / "farm.txt"
    page.write_bytes(render(farm, "text")[0])
    assert parse_json(page, capsys)["doc_kind"] != "template_essay"
    assert parse_json(page, capsys, "--url", farm["url"])["doc_kind"] == "template_essay"
    column = corpus["www.gongxian.gov.cn_ndgb-xjbm-202107-t20210715-1487582-html"]
    page.write_bytes(render(column, "text")[0])
    assert parse_json(page, capsys)["report_year"] is None  # nothing in the page says the year
    with_url = parse_json(page, capsys, "--url", column["url"])
    assert (with_url["report_year"], with_url["doc_kind"]) == (2020, "annual_report")


def kind_of(text: str) -> str:
    return process_page(text.encode("utf-8"), None).parsed.doc_kind


def test_blank_authors_and_news_of_a_report_leave_notices_and_reports_alone():
    # a notice may hand out a form with blanks (XX局…年度报告) and stays a notice
    notice = "关于做好2019年政府信息公开工作年度报告编制工作的通知\n各单位:\n附件:XX局2019年政府信息公开工作年度报告(模板)\n"
    assert kind_of(notice) == "notice"
    # an agency putting up its own report (关于公布…) is not news of it
    own = "某县统计局关于公布2019年政府信息公开工作年度报告\n本报告依照有关规定编制。\n一、总体情况\n二、主动公开政府信息情况\n"
    assert kind_of(own) == "annual_report"
    news = "某省发布2016年政府信息公开工作年度报告\n2017-03-28 10:18 来源: 某日报\n"
    assert kind_of(news) == "other"


def test_a_report_filed_when_reports_are_due_covers_the_year_before():
    """A report column's page filed in January to March (/201803/, t20180309_…) covers the year
    before; filed later, or outside a report column, the month says nothing of the year."""
    from pipelines.years import url_year

    assert url_year("http://portal.example.gov.cn/pub/gzbm/ndbg/201803/t20180309_406390.html") == 2017
    assert url_year("http://portal.example.gov.cn/xxgk/zfxxgknb/t20200121_1.html") == 2019
    assert url_year("http://portal.example.gov.cn/pub/gzbm/ndbg/201806/t20180611_406391.html") is None
    assert url_year("http://portal.example.gov.cn/pub/news/201803/t20180309_406392.html") is None
    assert url_year("http://portal.example.gov.cn/pub/gzbm/ndbg/2019n/t20200310_1.html") == 2019  # its own year first
