"""The reports spider on the list machinery of each CMS family, on saved responses (no network):
script pagers read, Hanweb's datastore and dataproxy.jsp POSTs, gkmlpt's JSON API, all within
GOVCRAWL_MAX_LIST_PAGES; and the family profiles load as data."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

import pytest
from scrapy import FormRequest, Request
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from govcrawl.profiles import available_profiles, load_profile
from govcrawl.recorder import CrawlRecorder
from govcrawl.spiders.reports import ReportsSpider


def make_spider(tmp_path, site: str, max_list_pages: int = 50) -> ReportsSpider:
    crawler = get_crawler(
        ReportsSpider,
        {
            "GOVCRAWL_DB": str(tmp_path / f"{site}.db"),
            "GOVCRAWL_SITE": site,
            "GOVCRAWL_MAX_LIST_PAGES": max_list_pages,
            "EXTENSIONS": {"govcrawl.recorder.CrawlRecorder": 0},
        },
    )
    spider = ReportsSpider.from_crawler(crawler)
    crawler.spider = spider
    recorder = CrawlRecorder.of(crawler)
    recorder.run_id = spider.run_id = recorder.store.start_run(site, "test", {})
    spider.known = set()  # as start() makes it, for an empty database
    return spider


@pytest.fixture
def spiders(tmp_path):
    made = []

    def make(site: str, max_list_pages: int = 50) -> ReportsSpider:
        made.append(make_spider(tmp_path, site, max_list_pages))
        return made[-1]

    yield make
    for spider in made:
        recorder = CrawlRecorder.of(spider.crawler)
        recorder.store.close()
        recorder.lock.close()


def html(url: str, body: str, request_url: str | None = None) -> HtmlResponse:
    page = f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode()
    return HtmlResponse(url, body=page, encoding="utf-8", request=Request(request_url or url))


def by_callback(requests, name: str) -> list:
    return [r for r in requests if r.callback.__name__ == name]


def test_every_family_profile_loads_with_its_family():
    families = {name: load_profile(name).family for name in available_profiles()}
    assert families["qinghe"] == "trs" and families["yunchuan"] == "hanweb"
    assert families["nanling"] == "gkmlpt" and families["donghu"] == "xxgk_platform"
    assert families["panzhihua"] == "plain"
    assert load_profile("donghu").second_page == 2 and load_profile("qinghe").second_page is None


TRS_COLUMN = "http://www.qinghe.test/zwgk/zfxxgkndbg/"


def test_trs_script_pager_gives_every_list_page(spiders):
    spider = spiders("qinghe")
    body = (
        '<ul class="list"><li><a href="./202401/t20240115_1800001.html" title="青禾市2023年政府信息公开工作年度报告">x</a></li>'
        '<li><a href="./202401/t20240116_1800002.html" title="青禾市2023年政务服务工作要点">y</a></li></ul>'
        '<div class="page"><script>createPageHTML(3, 0, "index", "html");</script></div>'
    )
    requests = list(spider.parse_list(html(TRS_COLUMN + "index.html", body)))
    assert [r.url for r in by_callback(requests, "parse_list")] == [TRS_COLUMN + "index_1.html", TRS_COLUMN + "index_2.html"]
    assert [r.url for r in by_callback(requests, "parse_article")] == [TRS_COLUMN + "202401/t20240115_1800001.html"]


def test_a_script_pager_is_bounded_by_max_list_pages(spiders):
    spider = spiders("qinghe", max_list_pages=3)
    spider.list_pages[TRS_COLUMN + "index.html"].add(TRS_COLUMN + "index.html")  # the start URL
    body = '<script>createPageHTML(400, 0, "index", "html");</script>'
    requests = list(spider.parse_list(html(TRS_COLUMN + "index.html", body)))
    assert [r.url for r in requests] == [TRS_COLUMN + "index_1.html", TRS_COLUMN + "index_2.html"]
    store = CrawlRecorder.of(spider.crawler).store
    store.flush()
    (error,) = [e for (e,) in store.db.execute("SELECT error FROM fetches")]
    assert error.startswith("pagination limit") and "GOVCRAWL_MAX_LIST_PAGES (3)" in error


def test_a_count_only_pager_uses_the_profiles_numbering(spiders):
    spider = spiders("donghu")
    column = "http://xxgk.donghu.test/xxgk/ndbg/"
    body = '<ul class="list"></ul><span class="count">共3页 当前第1页</span><span id="pager"></span>'
    requests = list(spider.parse_list(html(column + "list.html", body)))
    assert [r.url for r in requests] == [column + "list_2.html", column + "list_3.html"]


YUNCHUAN = "http://www.yunchuan.test"


def hanweb_record(n: int) -> str:
    return (
        f'<record><![CDATA[<li><a href="/art/2024/2/{n}/art_4102_{900 + n}.html" '
        f'title="云川市某局2023年政府信息公开工作年度报告{n}">x</a></li>]]></record>'
    )


def test_hanweb_datastore_records_then_a_post_for_the_rest(spiders):
    spider = spiders("yunchuan")
    store = (
        '<script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1'
        '&amp;appid=1&amp;webid=77&amp;path=/&amp;columnid=4102&amp;unitid=5555&amp;permissiontype=0"></a>]]></nextgroup>'
        f"<totalrecord>20</totalrecord><recordset>{''.join(hanweb_record(n) for n in range(1, 16))}</recordset>"
        "</datastore></script>"
    )
    column = f"{YUNCHUAN}/col/col4102/index.html"
    requests = list(spider.parse_list(html(column, store)))
    articles = by_callback(requests, "parse_article")
    assert len(articles) == 15 and articles[0].url == f"{YUNCHUAN}/art/2024/2/1/art_4102_901.html"
    (post,) = by_callback(requests, "parse_dataproxy")
    assert isinstance(post, FormRequest) and post.method == "POST"
    assert post.url == f"{YUNCHUAN}/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=20&perpage=5"
    form = {k: v[0] for k, v in parse_qs(post.body.decode()).items()}
    # the column's own values from its page, the rest from the profile
    assert form["columnid"] == "4102" and form["webid"] == "77" and form["unitid"] == "5555"
    assert form["col"] == "1" and form["appid"] == "1" and form["path"] == "/" and form["permissiontype"] == "0"
    assert form["sourceContentType"] == "1" and form["webname"] == "云川市人民政府"

    answer = (
        '<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>20</totalrecord><recordset>'
        f"{''.join(hanweb_record(n) for n in range(16, 21))}</recordset></datastore>"
    )
    response = XmlResponse(post.url, body=answer.encode(), request=post)
    more = list(spider.parse_dataproxy(response, **post.cb_kwargs))
    assert [r.url for r in more] == [f"{YUNCHUAN}/art/2024/2/{n}/art_4102_{900 + n}.html" for n in range(16, 21)]


def test_hanweb_answer_short_of_its_range_asks_for_the_remainder(spiders):
    spider = spiders("yunchuan")
    answer = f"<datastore><totalrecord>40</totalrecord><recordset>{hanweb_record(16)}{hanweb_record(17)}</recordset></datastore>"
    url = f"{YUNCHUAN}/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=30&perpage=5"
    column = f"{YUNCHUAN}/col/col4102/index.html"
    requests = list(spider.parse_dataproxy(XmlResponse(url, body=answer.encode()), column_page=column, had=15))
    (post,) = by_callback(requests, "parse_dataproxy")
    assert "startrecord=18&endrecord=32" in post.url
    # an answer that is no datastore ends the column, without an error
    assert list(spider.parse_dataproxy(TextResponse(url, body=b"<html>busy</html>"), column_page=column, had=15)) == []


NANLING = "http://www.nanling.test"


def test_gkmlpt_shell_then_plain_api_pages(spiders):
    spider = spiders("nanling")
    shell = "<div id='app'></div><script>window._CONFIG = { SID: '763001' };</script>"
    requests = list(spider.parse_list(html(f"{NANLING}/gkmlpt/index", shell, f"{NANLING}/gkmlpt/index#2032")))
    (first,) = requests
    assert first.url == f"{NANLING}/gkmlpt/api/all/2032?page=1&sid=763001" and first.method == "GET"
    articles = [
        {"id": n, "title": f"南岭市某局{2014 + n}年政府信息公开工作年度报告", "url": f"{NANLING}/gkmlpt/content/0/{n}/post_{n}.html"}
        for n in range(1, 11)
    ]
    articles[3]["title"] = "南岭市某局关于印发工作要点的通知"  # not a report: not followed
    answer = TextResponse(first.url, body=json.dumps({"total": 23, "articles": articles}).encode(), request=first)
    more = list(spider.parse_gkmlpt(answer, **first.cb_kwargs))
    assert [r.url for r in by_callback(more, "parse_article")] == [a["url"] for a in articles if "年度报告" in a["title"]]
    assert [r.url for r in by_callback(more, "parse_gkmlpt")] == [
        f"{NANLING}/gkmlpt/api/all/2032?page={n}&sid=763001" for n in (2, 3)
    ]
    # later pages ask for nothing more
    page3 = by_callback(more, "parse_gkmlpt")[-1]
    last = TextResponse(page3.url, body=json.dumps({"total": 23, "articles": articles[:3]}).encode())
    assert by_callback(spider.parse_gkmlpt(last, **page3.cb_kwargs), "parse_gkmlpt") == []


def test_gkmlpt_api_pages_count_against_max_list_pages(spiders):
    spider = spiders("nanling", max_list_pages=2)
    first = next(iter(spider.gkmlpt_request(f"{NANLING}/gkmlpt/index#2031", "2031", 1, "763001")))
    body = json.dumps({"total": 100, "articles": [{"title": "x年度报告", "url": f"{NANLING}/gkmlpt/content/0/1/post_1.html"}]})
    more = by_callback(spider.parse_gkmlpt(TextResponse(first.url, body=body.encode()), **first.cb_kwargs), "parse_gkmlpt")
    assert [r.url for r in more] == [f"{NANLING}/gkmlpt/api/all/2031?page=2&sid=763001"]
    store = CrawlRecorder.of(spider.crawler).store
    store.flush()
    (error,) = [e for (e,) in store.db.execute("SELECT error FROM fetches")]
    assert "GOVCRAWL_MAX_LIST_PAGES (2)" in error and "page=3" in error


def test_no_api_is_asked_of_a_profile_of_another_family(spiders):
    spider = spiders("panzhihua")
    shell = "<script>window._CONFIG = { SID: '763001' };</script><script type='text/xml'><datastore><totalrecord>99</totalrecord></datastore></script>"
    assert list(spider.parse_list(html("http://www.panzhihua.gov.cn/zfxxgk1/zfxxgknb/index.shtml", shell))) == []


PANZHIHUA = "http://www.panzhihua.gov.cn/zfxxgk1/zfxxgknb/xxgknb/"


@pytest.mark.parametrize(
    "pager",
    [
        '<script>createPageHTML(4, 0, "index", "shtml");</script>',  # TRS's script
        '<div class="page"><a href="index.shtml">首页</a> 共4页</div><script>writePager(4);</script>',  # a count only
    ],
)
def test_panzhihua_lists_with_a_script_pager_give_every_page(spiders, pager):
    """Nobody has seen a real panzhihua list page: a script pager of either kind is read."""
    spider = spiders("panzhihua")
    links = '<ul class="list"><li><a href="./10150012.shtml" title="攀枝花市2024年政府信息公开工作年度报告">x</a></li></ul>'
    requests = list(spider.parse_list(html(PANZHIHUA + "index.shtml", links + pager)))
    lists = [r.url for r in by_callback(requests, "parse_list") if r.url != PANZHIHUA + "index.shtml"]  # 首页: itself
    assert lists == [PANZHIHUA + f"index_{n}.shtml" for n in (1, 2, 3)]
    assert [r.url for r in by_callback(requests, "parse_article")] == [PANZHIHUA + "10150012.shtml"]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("family: wordpress\n", "family 'wordpress'"),
        ("family: hanweb\napi: {path: /module/web/jpage/dataproxy.jsp, perpage: 5, group_pages: 3}\n", "needs api.form"),
        ("family: gkmlpt\n", "needs api.path"),
        ("pager: {second_page: 3}\n", "pager.second_page 3"),
    ],
)
def test_a_family_profile_missing_what_its_family_needs_is_refused(tmp_path, monkeypatch, extra, problem):
    import govcrawl.profiles as profiles

    base = (
        "name: broken\nallowed_hosts: [www.x.test]\nstart_urls: [http://www.x.test/]\nlist_paths: ['^/$']\n"
        "article_paths: ['^/a$']\ntitle_keywords: [年报]\ntitle_year: (20\\d{2})\n"
    )
    (tmp_path / "broken.yaml").write_text(base + extra, encoding="utf-8")
    monkeypatch.setattr(profiles, "PROFILE_DIR", tmp_path)
    with pytest.raises(ValueError, match=re.escape(problem)):
        profiles.load_profile("broken")
