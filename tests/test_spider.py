"""The reports spider's callbacks on saved responses (no network): pagination limit, link
normalisation, suspect answers; and its arguments checked before a crawl starts."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from govcrawl.recorder import CrawlRecorder
from govcrawl.spiders.reports import ReportsSpider, check_arguments, link_key, list_column
from pipelines.store import FetchRecord, PageRecord
from tests.replica.process import ROOT

HOST = "http://www.panzhihua.gov.cn"
COLUMN = f"{HOST}/zfxxgk1/zfxxgknb/index.shtml"


@pytest.fixture
def spider(tmp_path):
    crawler = get_crawler(
        ReportsSpider,
        {
            "GOVCRAWL_DB": str(tmp_path / "g.db"),
            "GOVCRAWL_SITE": "panzhihua",
            "GOVCRAWL_MAX_LIST_PAGES": 5,
            "EXTENSIONS": {"govcrawl.recorder.CrawlRecorder": 0},
        },
    )
    spider = ReportsSpider.from_crawler(crawler)
    crawler.spider = spider
    recorder = CrawlRecorder.of(crawler)
    # what the recorder's spider_opened does, without its timer (no event loop runs here)
    recorder.run_id = spider.run_id = recorder.store.start_run("panzhihua", "test", {})
    yield spider
    recorder.store.close()
    recorder.lock.close()


def list_page(url: str, links: str, encoding: str = "utf-8") -> HtmlResponse:
    body = f"<html><head><meta charset='{encoding}'></head><body>{links}</body></html>".encode(encoding)
    return HtmlResponse(url, body=body, encoding=encoding, request=Request(url))


def page_url(n: int) -> str:
    return COLUMN if n == 0 else f"{HOST}/zfxxgk1/zfxxgknb/index_{n}.shtml"


def test_list_column_drops_the_page_part():
    assert list_column(page_url(0)) == list_column(page_url(37)) == COLUMN
    assert list_column(f"{HOST}/zwgk/xxgkml/xxgknb/index_2.shtml") != COLUMN


def test_a_pagination_trap_stops_at_the_limit(spider):
    requested = [page_url(0)]  # the start URL counts as the column's first page
    spider.list_pages[COLUMN].add(page_url(0))
    for n in range(12):  # every list page links to one more page
        response = list_page(page_url(n), f'<a href="{page_url(n + 1)}">下一页</a>')
        followed = [r.url for r in spider.parse_list(response)]
        requested += followed
        if not followed:
            break
    assert requested == [page_url(n) for n in range(5)]
    store = CrawlRecorder.of(spider.crawler).store
    store.flush()
    rows = store.db.execute("SELECT url, status, error FROM fetches").fetchall()
    assert len(rows) == 1
    url, status, error = rows[0]
    assert (url, status) == (page_url(5), None)
    assert error.split(":")[0] == "pagination limit"
    assert "GOVCRAWL_MAX_LIST_PAGES (5)" in error and COLUMN in error
    assert store.counts["errors"] == 1


def test_another_column_has_its_own_count(spider):
    other = f"{HOST}/zwgk/xxgkml/xxgknb/index_3.shtml"
    spider.list_pages[COLUMN].update(page_url(n) for n in range(5))
    links = f'<a href="{page_url(9)}">9</a><a href="{other}">3</a><a href="{page_url(2)}">2</a>'
    followed = [r.url for r in spider.parse_list(list_page(page_url(4), links))]
    assert followed == [other, page_url(2)]  # page 2 was counted already; the dupefilter drops it


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_a_stored_link_with_non_ascii_characters_is_not_fetched_again(spider, encoding):
    store = CrawlRecorder.of(spider.crawler).store
    link = "/zfxxgk1/zfxxgknb/12345.shtml?栏目=年报"
    stored = Request(HOST + link, encoding=encoding).url  # as Scrapy requested it, and so stored: escaped
    assert "%" in stored and "年" not in stored
    fetch_id = store.record_fetch(FetchRecord(run_id=spider.run_id, url=stored, status=200, body=b"x"))
    store.store_page(PageRecord(spider.run_id, fetch_id, stored, stored, 200, b"x", COLUMN, "t"))
    store.flush()
    spider.known = {link_key(url) for url in store.known_links()}  # as start() makes it
    title = "攀枝花市2024年政府信息公开工作年度报告"
    links = (
        f'<a href="{link}">{title}</a><a href="{link}#top">{title}</a>'
        f'<a href="/zfxxgk1/zfxxgknb/12346.shtml?栏目=年报">{title}</a>'
    )
    followed = [r.url for r in spider.parse_list(list_page(COLUMN, links, encoding))]
    assert followed == [Request(HOST + "/zfxxgk1/zfxxgknb/12346.shtml?栏目=年报", encoding=encoding).url]
    assert spider.crawler.stats.get_value("govcrawl/article_links_known") == 2


def article(url: str, body: bytes, status: int = 200) -> HtmlResponse:
    request = Request(url, meta={"govcrawl_fetch_id": None, "govcrawl_fetched_at": "t"})
    return HtmlResponse(url, status=status, body=body, request=request, headers={"Content-Type": "text/html"})


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"", "suspect 200: empty body"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "suspect 200: binary body (PNG)"),
        ("<html><head><title>页面不存在</title></head><body><h1>页面不存在</h1></body></html>".encode(),
         "suspect 200: error page (页面不存在)"),
    ],
)  # fmt: skip
def test_a_suspect_200_makes_no_document_and_is_fetched_again(spider, body, reason):
    store = CrawlRecorder.of(spider.crawler).store
    url = f"{HOST}/zfxxgk1/zfxxgknb/12345.shtml"
    fetch_id = store.record_fetch(FetchRecord(run_id=spider.run_id, url=url, status=200, body=body))
    response = article(url, body)
    response.meta["govcrawl_fetch_id"] = fetch_id
    assert list(spider.parse_article(response, link_title="2024年年度报告", list_page=COLUMN)) == []
    store.flush()
    assert store.db.execute("SELECT error, body_sha256 IS NOT NULL FROM fetches").fetchall() == [
        (reason, int(bool(body)))
    ]
    assert store.db.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    assert url not in store.known_links()  # not settled: the next run asks again


def test_a_real_report_is_handed_on(spider):
    url = f"{HOST}/zfxxgk1/zfxxgknb/12345.shtml"
    body = (ROOT / "tests" / "data" / "examples" / "2023.html").read_bytes()
    [item] = spider.parse_article(article(url, body), link_title="2023年年度报告", list_page=COLUMN)
    assert item["body"] == body and item["final_url"] == url


@pytest.mark.parametrize(
    "arguments, problem",
    [
        ({"site": "nonexistent"}, "unknown site profile 'nonexistent'"),
        ({"years": "abc"}, "years='abc': expected a year"),
        ({"years": "2025-2019"}, "the first year is after the last"),
        ({"year": "2024"}, "unknown spider argument 'year'"),
        ({"revalidate": "maybe"}, "revalidate='maybe'"),
    ],
)
def test_unusable_arguments_are_named(arguments, problem):
    assert problem in check_arguments(arguments, "panzhihua")


def test_usable_arguments_pass():
    assert check_arguments({"site": "shili", "years": "2019-2025", "revalidate": "1", "_job": "x"}, "panzhihua") is None
    assert check_arguments({"years": "2021"}, "panzhihua") is None


@pytest.mark.e2e  # a real replica server / scrapy subprocess
def test_bad_arguments_end_the_command_with_one_line_and_status_2(tmp_path):
    db = tmp_path / "g.db"
    for argument in ("site=nonexistent", "years=abc", "years=2025-2019"):
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "reports", "-s", f"GOVCRAWL_DB={db}", "-a", argument],
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith("scrapy crawl reports: ")
    assert not db.exists()  # nothing started


def test_the_runs_figures_are_on_disk_while_it_runs(spider):
    store = CrawlRecorder.of(spider.crawler).store
    store.record_fetch(FetchRecord(run_id=spider.run_id, url=f"{HOST}/a", status=500, error="HTTP 500"))
    store.flush()
    row = sqlite3.connect(store.path).execute("SELECT status, requests, errors FROM crawl_runs").fetchone()
    assert row == ("running", 1, 1)
