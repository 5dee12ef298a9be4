"""govcrawl.pagers on list markup written as the CMS families write it (our own markup)."""

from __future__ import annotations

import json

import pytest

from govcrawl import pagers
from tests.test_regex_linear import LIMIT_S

TRS = "http://www.example.test/zwgk/ndbg/"


def script(call: str) -> str:
    return f'<ul class="list"><li><a href="./202401/t20240101_1.html">x</a></li></ul><script>{call}</script>'


@pytest.mark.parametrize(
    ("page", "call", "expected"),
    [
        # four arguments, current counted from 0: page 2 is index_1
        ("index.html", 'createPageHTML(4, 0, "index", "html");', ["index_1.html", "index_2.html", "index_3.html"]),
        ("index_2.html", 'createPageHTML(4, 2, "index", "html");', ["index_1.html", "index_2.html", "index_3.html"]),
        # six arguments, current counted from 1: page 2 is list_2
        ("list.shtml", "createPageHTML('page_div', 3, 1, 'list', 'shtml', 25);", ["list_2.shtml", "list_3.shtml"]),
        ("list_3.shtml", "createPageHTML('page_div', 3, 3, 'list', 'shtml', 25);", ["list_2.shtml", "list_3.shtml"]),
        # counted from 1 but named from _1: page _2 says current 3
        ("index_2.html", 'createPageHTML(3, 3, "index", "html");', ["index_1.html", "index_2.html"]),
        # arguments in variables, spaces anywhere
        (
            "index.html",
            'var countPage = 3; var currentPage = 0; createPageHTML( countPage , currentPage , "index" , "html" );',
            ["index_1.html", "index_2.html"],
        ),
        # one page: nothing else
        ("index.html", 'createPageHTML(1, 0, "index", "html");', []),
    ],
)
def test_createpagehtml_gives_every_other_page(page, call, expected):
    assert pagers.list_page_urls(script(call), TRS + page) == [TRS + name for name in expected]


def test_the_profile_decides_the_numbering_when_it_says_it():
    html = script("createPageHTML('page_div', 3, 1, 'list', 'shtml', 25);")
    assert pagers.list_page_urls(html, TRS + "list.shtml", second_page=1) == [TRS + "list_1.shtml", TRS + "list_2.shtml"]


def test_a_call_that_cannot_be_read_is_no_pager():
    assert pagers.page_call(script("createPageHTML(count(), 0);")) is None
    assert pagers.list_page_urls(script("createPageHTML(undefinedName, 0, 'index', 'html');"), TRS + "index.html") == []


def test_a_stated_count_names_the_pages_like_this_one():
    html = '<ul class="list"></ul><div class="page"><span>共4页 当前第1页</span><span id="pager"></span></div>'
    assert pagers.list_page_urls(html, TRS + "list.html", second_page=2) == [
        TRS + "list_2.html", TRS + "list_3.html", TRS + "list_4.html"
    ]  # fmt: skip
    # default: page 2 is _1 (panzhihua's index_1.shtml)
    assert pagers.list_page_urls(html, TRS + "index_2.shtml") == [
        TRS + "index_1.shtml", TRS + "index_2.shtml", TRS + "index_3.shtml"
    ]  # fmt: skip
    assert pagers.list_page_urls("<script>var pageCount = 2, pageNo = 1;</script>", TRS + "list.html") == [
        TRS + "list_1.html"
    ]


def test_a_count_beside_plain_page_links_is_left_to_the_links():
    # a script pager already run (a browser's page): its links lead on, the count adds nothing
    rendered = '<div id="pager"><a href="index.shtml?page=2">下一页</a> 共3页</div>'
    assert pagers.list_page_urls(rendered, TRS + "index.shtml") == []
    plain = '<div class="page"><a href="index_1.shtml">下一页</a> <a href="index_4.shtml">尾页</a> 共5页</div>'
    assert pagers.list_page_urls(plain, TRS + "index.shtml") == []
    # links to articles, other columns or back to the first page (首页) are no pager
    other = '<a href="./202401/t20240101_1.html">x</a><a href="../other/index_1.html">y</a> 共2页'
    assert pagers.list_page_urls(other, TRS + "index.html") == [TRS + "index_1.html"]
    home = '<a href="index.html">首页</a> <span>第2/3页</span>'
    assert pagers.list_page_urls(home, TRS + "index_1.html") == [TRS + "index_1.html", TRS + "index_2.html"]


def test_a_count_on_a_page_not_named_by_number_gives_nothing():
    html = "<div>共3页</div>"
    assert pagers.list_page_urls(html, TRS + "index.shtml?page=2") == []  # ?page=N lists
    assert pagers.list_page_urls(html, "http://www.example.test/col/") == []
    assert pagers.list_page_urls("<p>第3页</p>", TRS + "index.html") == []


HANWEB_PAGE = (
    '<div id="3101"><script type="text/xml"><datastore>'
    '<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&amp;appid=1&amp;webid=7'
    '&amp;path=/&amp;columnid=4101&amp;unitid=88&amp;webname=%E7%A4%BA%E4%BE%8B&amp;permissiontype=0"></a>]]></nextgroup>'
    "<totalrecord>23</totalrecord><recordset>"
    '<record><![CDATA[<li><a href="/art/2024/1/5/art_4101_10.html" title="甲2023年年报">甲</a></li>]]></record>'
    '<record><![CDATA[<li><a href="/art/2024/1/6/art_4101_11.html" title="乙2023年年报">乙</a></li>]]></record>'
    "</recordset></datastore></script></div>"
)


def test_a_hanweb_datastore_gives_its_records_total_and_column():
    store = pagers.datastore(HANWEB_PAGE)
    assert store is not None
    assert store.total == 23
    assert [r.split('"')[1] for r in store.records] == ["/art/2024/1/5/art_4101_10.html", "/art/2024/1/6/art_4101_11.html"]
    assert store.params["columnid"] == "4101" and store.params["webid"] == "7" and store.params["unitid"] == "88"
    assert store.params["webname"] == "示例"
    assert pagers.hanweb_column_id("http://x.test/col/col9/index.html", store) == "4101"
    bare = pagers.datastore("<datastore><recordset></recordset></datastore>")
    assert bare.records == [] and bare.total is None
    assert pagers.hanweb_column_id("http://x.test/col/col9/index.html", bare) == "9"
    assert pagers.datastore("<html><body>no store</body></html>") is None


def test_record_ranges_follow_until_the_total():
    assert pagers.next_records(15, 23, 15) == (16, 23)
    assert pagers.next_records(23, 23, 15) is None
    assert pagers.next_records(15, None, 15) is None  # no total stated: nothing to ask for
    assert pagers.next_records(0, 40, 15) == (1, 15)


def test_gkmlpt_shell_and_api():
    shell = "<div id=app></div><script>window._CONFIG = { SID: '755031', ROOT: '/gkmlpt/' };</script>"
    assert pagers.gkmlpt_sid(shell) == "755031"
    assert pagers.gkmlpt_sid("<script>var sid = 1;</script>") is None
    assert pagers.gkmlpt_category("http://x.test/gkmlpt/index#2031") == "2031"
    assert pagers.gkmlpt_category("http://x.test/gkmlpt/index") == "0"
    url = pagers.gkmlpt_api_url("http://x.test/gkmlpt/index#5", "/gkmlpt/api/all/{category}?page={page}&sid={sid}", "5", 3, "2")
    assert url == "http://x.test/gkmlpt/api/all/5?page=3&sid=2"
    answer = json.dumps(
        {"total": 25, "articles": [{"id": 1, "title": "丙2022年报", "url": "http://x.test/gkmlpt/content/0/1/post_1.html",
                                    "display_publish_time": 1700000000}, {"id": 2, "title": "no url"}]}
    )  # fmt: skip
    page = pagers.gkmlpt_page(answer)
    assert page.total == 25 and page.articles == [("http://x.test/gkmlpt/content/0/1/post_1.html", "丙2022年报")]
    assert pagers.api_page_count(25, 10) == 3 and pagers.api_page_count(20, 10) == 2
    assert pagers.gkmlpt_page("<html>error</html>") is None
    assert pagers.gkmlpt_page('{"total": 3}') is None
    assert pagers.gkmlpt_page('{"total": -1, "articles": []}').total == 0


def test_an_unclosed_datastore_repeated_is_read_in_linear_time():
    import time

    start = time.perf_counter()
    assert pagers.datastore("<datastore><record><![CDATA[" * 20_000).records == []
    assert time.perf_counter() - start < LIMIT_S
