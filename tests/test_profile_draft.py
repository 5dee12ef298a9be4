"""`govcrawl profile draft`: the family recogniser on saved pages, the draft writer, and a draft of
every replica city (the command run as a new user would, against the replica) compared with the
city's own site profile."""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import yaml
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from govcrawl import families
from govcrawl.profile_draft import (
    DEFAULT_MAX_PAGES,
    Column,
    DraftSpider,
    Findings,
    draft_yaml,
    is_column,
    is_entry,
)
from govcrawl.profiles import load_profile
from tests.replica.families import OTHER_COLUMNS
from tests.replica.process import CRAWL_ENV, REPLICA_SETTINGS, ROOT, Replica


def page(body: str) -> str:
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>列表</title></head><body>{body}</body></html>'


# -- the recogniser, on saved pages ---------------------------------------------------------------
def test_trs_pagers_in_both_call_forms_and_their_page_two():
    four = page('<ul><li><a href="./202301/t20230115_1.html">x</a></li></ul>'
                '<script>createPageHTML(5, 0, "index", "html");</script>')  # fmt: skip
    signs = families.page_signs(four, "http://a.test/zwgk/ndbg/index.html")
    assert (signs.family, signs.pager, signs.pages, signs.second_page) == ("trs", "createPageHTML", 5, 1)
    six = page("<script>createPageHTML('page_div', 4, 1, 'list', 'shtml', 31);</script>")
    signs = families.page_signs(six, "http://a.test/zwgk/bm/list.shtml")
    assert (signs.family, signs.pages, signs.second_page) == ("trs", 4, 2)


def test_trs_articles_without_a_script_pager_still_tell_the_family():
    html = page('<ul><li><a href="/xxgk/202401/t20240118_3539346.html">2023年报告</a></li></ul>')
    assert families.page_signs(html, "http://a.test/xxgk/index.html").family == "trs"


def test_hanweb_datastore_column_and_its_jpage_settings():
    html = page(
        '<div id="4101"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/'
        'dataproxy.jsp?page=1&amp;appid=1&amp;webid=7&amp;path=/&amp;columnid=4101&amp;unitid=88&amp;'
        'webname=某市&amp;permissiontype=0"></a>]]></nextgroup><totalrecord>42</totalrecord><recordset>'
        '<record><![CDATA[<li><a href="/art/2024/1/5/art_4101_9.html">2023年度报告</a></li>]]></record>'
        "</recordset></datastore></script></div>"
        "<script>$('#4101').jpage({proxyUrl: '/module/web/jpage/dataproxy.jsp', perPage: 15, groupSize: 3});</script>"
    )
    url = "http://a.test/col/col4101/index.html"
    signs = families.page_signs(html, url)
    assert (signs.family, signs.pager, signs.pages) == ("hanweb", "datastore", 42)
    assert families.hanweb_api(html) == {
        "path": "/module/web/jpage/dataproxy.jsp", "perpage": 15, "group_pages": 3,
        "form": {"appid": "1", "webid": "7", "path": "/", "unitid": "88", "webname": "某市", "permissiontype": "0"},
    }  # fmt: skip
    assert [link.url for link in families.list_records(html, url)][-1] == "http://a.test/art/2024/1/5/art_4101_9.html"


def test_gkmlpt_shell_count_only_pager_and_plain_links():
    shell = page("<div id=app></div><script>window._CONFIG = { SID: '7001', API: '/gkmlpt/api/' };</script>")
    assert families.page_signs(shell, "http://a.test/gkmlpt/index#2031").family == "gkmlpt"
    counted = page('<ul><li><a href="./202401/c12.html">2023年报告</a></li></ul><span>共6页 当前第1页</span>')
    signs = families.page_signs(counted, "http://a.test/xxgk/ndbg/list.html")
    assert (signs.family, signs.pager, signs.pages, signs.second_page) == (None, "stated_count", 6, None)
    plain = page('<ul><li><a href="123.shtml">2023年报告</a></li></ul>'
                 '<div><a href="index_1.shtml">下一页</a> 共3页</div>')  # fmt: skip
    signs = families.page_signs(plain, "http://a.test/zfxxgk/nb/index.shtml")
    assert (signs.family, signs.pager) == ("panzhihua", "links")
    assert families.page_signs(page("<p>无</p>"), "http://a.test/x/index.html").family is None


def test_the_metadata_table_is_told_from_a_plain_header():
    assert families.has_metadata_table("索 引 号 0142/2026-00001\n发布机构 东湖市审计局 成文日期 2026-01-15")
    assert not families.has_metadata_table("发布时间:2024-01-12 来源:本网\n一、总体情况")


def test_column_and_entry_links_are_told_from_reports_and_news():
    link = families.Link
    assert is_column(link("u", "政府信息公开年报")) and is_column(link("u", "部门政府信息公开年度报告"))
    assert not is_column(link("u", "某市2023年政府信息公开工作年度报告"))  # a report, not a column
    assert is_entry(link("u", "政府信息公开")) and is_entry(link("u", "政务公开"))
    assert not is_entry(link("u", "我市召开政务公开工作推进会"))  # a news title


def test_path_patterns_keep_the_column_and_generalise_ids():
    assert families.path_pattern("/zwgk/nb/202301/t20230115_9.html") == r"^/zwgk/nb/\d+/t\d+_\d+\.html$"
    assert families.path_pattern("/col/col4101/index.html", keep="/col/col4101/") == r"^/col/col4101/index\.html$"


# -- the spider's callbacks, on saved responses ----------------------------------------------------
def spider(max_pages: int = 60) -> DraftSpider:
    crawler = get_crawler(DraftSpider, {"GOVCRAWL_DRAFT_MAX_PAGES": max_pages})
    return DraftSpider.from_crawler(crawler, home="http://www.a.test/", findings=Findings("http://www.a.test/"))


def response(url: str, body: str, **meta) -> HtmlResponse:
    return HtmlResponse(url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url, meta=meta))


def test_the_home_page_leads_to_report_columns_and_entry_pages_only():
    home = page(
        '<a href="/xxgk/index.html">政府信息公开</a><a href="/xwzx/index.html">新闻中心</a>'
        '<a href="http://xxgk.a.test/ndbg/index.html">政府信息公开年报</a>'
        '<a href="http://www.elsewhere.test/nb/index.html">信息公开年报</a>'
        '<a href="/xwzx/1.html">我市召开政务公开工作推进会</a>'
        '<a href="/nb/2024/1.html">某市2023年政府信息公开工作年度报告</a>'
    )
    draft = spider()
    asked = {r.url: r.callback.__name__ for r in draft.parse_page(response("http://www.a.test/", home, depth=0))}
    # the 政府信息公开 site on a sibling host is the portal's; another domain is not
    assert asked == {"http://www.a.test/xxgk/index.html": "parse_page", "http://xxgk.a.test/ndbg/index.html": "parse_column"}


def test_a_column_page_gives_its_family_pager_and_one_report_to_read():
    column = page(
        '<div class="crumb">当前位置：首页 &gt; 政府信息公开 &gt; 年报</div>'
        '<ul><li><a href="./202401/t20240115_7.html">某市2023年政府信息公开工作年度报告</a></li>'
        '<li><a href="./202301/t20230110_5.html">某市2022年政府信息公开工作年度报告</a></li></ul>'
        '<script>createPageHTML(3, 0, "index", "html");</script>'
    )
    draft = spider()
    url = "http://www.a.test/xxgk/nb/index.html"
    draft.findings.columns[url] = Column(url, "年报")
    asked = [r.url for r in draft.parse_column(response(url, column, column=url))]
    found = draft.findings.columns[url]
    assert (found.signs.family, found.signs.second_page, len(found.articles)) == ("trs", 1, 2)
    assert found.crumb == "当前位置：首页 > 政府信息公开 > 年报"
    assert asked == ["http://www.a.test/xxgk/nb/202401/t20240115_7.html"]


def test_the_draft_asks_no_more_than_its_page_budget():
    draft = spider(max_pages=1)
    assert draft.follow("http://www.a.test/", draft.parse_page, depth=0) is not None
    assert draft.follow("http://www.a.test/xxgk/index.html", draft.parse_page, depth=1) is None
    assert "GOVCRAWL_DRAFT_MAX_PAGES (1) reached" in draft_yaml(draft.findings)


# -- the writer -----------------------------------------------------------------------------------
def test_a_draft_says_what_it_could_not_decide():
    empty = draft_yaml(Findings("http://a.test/"))
    assert "no report column found" in empty
    assert yaml.safe_load(empty)["family"] == "plain"
    counted = Column("http://a.test/xxgk/ndbg/list.html", "年度报告")
    counted.signs = families.PageSigns(None, pager="stated_count", pages=5)
    text = draft_yaml(Findings("http://a.test/", columns={counted.url: counted}))
    assert "page 2 (_1 or _2) could not be told" in text
    assert "pager" not in yaml.safe_load(text)


# -- every replica city ---------------------------------------------------------------------------
CITIES = {  # home page -> the city's own profile
    "http://www.panzhihua.gov.cn/": "panzhihua",
    "http://www.shili.test/": "shili",
    "http://www.qinghe.test/": "qinghe",
    "http://www.yunchuan.test/": "yunchuan",
    "http://www.nanling.test/": "nanling",
    "http://xxgk.donghu.test/": "donghu",
}


@pytest.fixture(scope="module")
def drafts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drafts")
    out = {}
    with Replica(size=40, families=True) as replica:
        env = {**CRAWL_ENV, "GOVCRAWL_PROXY": replica.proxy}
        for home, site in CITIES.items():
            target = folder / f"{site}.yaml"
            command = [sys.executable, "-m", "govcrawl.cli", "profile", "draft", home, "-o", str(target)]
            for name, value in REPLICA_SETTINGS.items():
                command += ["-s", f"{name}={value}"]
            result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stderr[-3000:]
            out[site] = (home, target.read_text(encoding="utf-8"))
        manifest, log = replica.manifest(), replica.request_log()
    return out, manifest, log


def matches(patterns: list[str], url: str) -> bool:
    return any(re.search(p, urlsplit(url).path) for p in patterns)


@pytest.mark.e2e
@pytest.mark.parametrize("site", list(CITIES.values()))
def test_the_draft_of_each_replica_city_finds_its_report_columns_and_family(drafts, site):
    found, manifest, _ = drafts
    home, text = found[site]
    draft, own = yaml.safe_load(text), load_profile(site)
    host = urlsplit(home).hostname
    assert draft["family"] == own.family
    assert draft["allowed_hosts"] == [host]
    assert {u for u in own.start_urls if urlsplit(u).hostname == host} <= set(draft["start_urls"])
    assert not any(name in text for _, name in OTHER_COLUMNS if name != "政府信息公开指南")  # not a report column
    on_host = [p for p in manifest["pages"] if urlsplit(p["url"]).hostname == host]
    reports = [p["url"] for p in on_host if own.is_article_page(p["url"])]
    lists = [p["url"] for p in on_host if own.is_list_page(p["url"])]
    assert len(reports) >= 10 and lists
    assert [u for u in reports if not matches(draft["article_paths"], u)] == []
    assert [u for u in lists if not matches(draft["list_paths"], u)] == []
    # the pages that are not reports (the 政府信息公开 page, 政策文件, 人事信息 … columns) stay out
    # as the city's own profile keeps them out
    others = [p["url"] for p in on_host if p["kind"] in ("other", "home")]
    assert [u for u in others if matches(draft["list_paths"], u) and not own.is_list_page(u)] == []
    assert [u for u in others if matches(draft["article_paths"], u) and not own.is_article_page(u)] == []
    assert (draft.get("pager") or {}).get("second_page") == own.second_page
    if own.api:
        assert draft["api"] == own.api


@pytest.mark.e2e
def test_each_draft_asks_robots_txt_first_and_keeps_to_its_budget(drafts):
    found, _, log = drafts
    for home, _text in found.values():
        host = urlsplit(home).hostname
        asked = [entry["url"] for entry in log if urlsplit(entry["url"]).hostname == host]
        assert asked[0] == f"http://{host}/robots.txt", asked[:3]
        assert 1 < len(asked) <= 1 + DEFAULT_MAX_PAGES
