"""Attachments on saved responses (no network): the spider finds report files every way real
portals link them, fetches them under the attachment size limit, stores them as documents
linked to the page that offered them, and tells a file from a suspect answer by its bytes."""

from __future__ import annotations

import io
import sqlite3
from urllib.parse import quote

import docx
import pytest
from reportlab.pdfgen import canvas
from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from govcrawl.attachments import content_disposition
from govcrawl.item_pipelines import StorePipeline
from govcrawl.items import PageItem
from govcrawl.recorder import CrawlRecorder
from govcrawl.spiders.reports import ReportsSpider
from pipelines.store import SCHEMA_VERSION, Store
from pipelines.suspect import suspect_reason

HOST = "http://www.panzhihua.gov.cn"
COLUMN = f"{HOST}/zfxxgk1/zfxxgknb/xxgknb/"
ARTICLE = f"{COLUMN}4100322.shtml"
TITLE = "攀枝花市2023年政府信息公开工作年度报告"


def pdf_bytes() -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(60, 760, "2023 annual report")
    pdf.save()
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("2023")
    document.save(out)
    return out.getvalue()


@pytest.fixture
def spider(tmp_path):
    crawler = get_crawler(
        ReportsSpider,
        {
            "GOVCRAWL_DB": str(tmp_path / "g.db"),
            "GOVCRAWL_SITE": "panzhihua",
            "GOVCRAWL_MAX_ATTACHMENT_BYTES": 123456,
            "GOVCRAWL_MAX_ATTACHMENTS_PER_PAGE": 3,
            "EXTENSIONS": {"govcrawl.recorder.CrawlRecorder": 0},
        },
    )
    spider = ReportsSpider.from_crawler(crawler)
    crawler.spider = spider
    spider.known = set()
    recorder = CrawlRecorder.of(crawler)
    recorder.run_id = spider.run_id = recorder.store.start_run("panzhihua", "test", {})
    yield spider
    recorder.store.close()
    recorder.lock.close()


def page(url: str, content: str) -> HtmlResponse:
    body = f"<html><head><meta charset='utf-8'></head><body>{content}</body></html>".encode()
    request = Request(url, meta={"govcrawl_fetch_id": None, "govcrawl_fetched_at": "t"})
    return HtmlResponse(url, body=body, encoding="utf-8", request=request, headers={"Content-Type": "text/html"})


def file_answer(request: Request, body: bytes, headers: dict | None = None, status: int = 200) -> Response:
    request.meta.update(govcrawl_fetch_id=None, govcrawl_fetched_at="t2")
    return Response(request.url, status=status, body=body, headers=headers or {}, request=request)


def requests_of(results) -> list[Request]:
    return [r for r in results if isinstance(r, Request)]


ARTICLE_LINKS = (
    '<p>详见附件。</p><p>附件：<a href="./P020240205100291.pdf">攀枝花市2023年政府信息公开工作年度报告.pdf</a></p>'
    '<p><a href="/module/download/downfile.jsp?classid=0&filename=2402051523.docx">附件2</a></p>'
    '<p><a href="/attach/0/1b7874">附件3</a></p>'
    '<p><a href="./W020240205.jpg"><img src="./W020240205.jpg">查看大图</a></p>'
    '<p><a href="/images/logo.png">首页</a> <a href="http://www.gov.cn/files/notice.pdf">中国政府网</a></p>'
)


def test_an_article_offers_its_files_and_downloads_endpoints_but_no_pictures(spider):
    results = list(spider.parse_article(page(ARTICLE, ARTICLE_LINKS), TITLE, f"{COLUMN}index.shtml"))
    assert isinstance(results[0], PageItem) and results[0]["url"] == ARTICLE and results[0]["offered_as"] is None
    requests = requests_of(results)
    assert [r.url for r in requests] == [
        f"{COLUMN}P020240205100291.pdf",
        f"{HOST}/module/download/downfile.jsp?classid=0&filename=2402051523.docx",
        f"{HOST}/attach/0/1b7874",
    ]  # the picture is no report, the logo neither, the gov.cn file is off-site
    first = requests[0]
    assert first.callback == spider.parse_attachment
    assert first.cb_kwargs == {
        "offered_by": ARTICLE,
        "link_text": "攀枝花市2023年政府信息公开工作年度报告.pdf",
        "offered_as": "document",
    }
    assert all(r.meta["download_maxsize"] == 123456 for r in requests)


def test_a_picture_offered_as_the_report_is_followed(spider):
    links = '<a href="./W020240205.png">攀枝花市2023年政府信息公开工作年度报告（图片版）</a>'
    requests = requests_of(spider.parse_article(page(ARTICLE, links), TITLE, None))
    assert [(r.url, r.cb_kwargs["offered_as"]) for r in requests] == [(f"{COLUMN}W020240205.png", "image")]


def test_a_list_linking_straight_to_the_file(spider):
    links = (
        f'<a href="./P020240131.pdf" title="{TITLE}">{TITLE}</a>'
        '<a href="./P020240132.doc" title="攀枝花市2023年政务公开工作要点">要点</a>'  # not a report
        '<a href="./P020190131.pdf" title="攀枝花市2018年政府信息公开工作年度报告">2018</a>'  # not a year asked
    )
    spider.years = range(2023, 2024)
    requests = requests_of(spider.parse_list(page(f"{COLUMN}index.shtml", links)))
    assert [(r.url, r.cb_kwargs["offered_by"], r.cb_kwargs["link_text"]) for r in requests] == [
        (f"{COLUMN}P020240131.pdf", f"{COLUMN}index.shtml", TITLE)
    ]


def test_a_stored_file_is_not_fetched_again_and_a_page_offers_at_most_the_limit(spider):
    spider.known = {f"{COLUMN}P1.pdf"}
    links = "".join(f'<a href="./P{n}.pdf">附件{n}</a>' for n in range(1, 7))
    requests = requests_of(spider.parse_article(page(ARTICLE, links), TITLE, None))
    assert [r.url.rsplit("/", 1)[1] for r in requests] == ["P2.pdf", "P3.pdf", "P4.pdf"]
    store = CrawlRecorder.of(spider.crawler).store
    store.flush()
    rows = store.db.execute("SELECT url, status, error FROM fetches").fetchall()
    assert len(rows) == 1 and rows[0][:2] == (f"{COLUMN}P5.pdf", None)
    assert rows[0][2].startswith("attachment limit: ") and "GOVCRAWL_MAX_ATTACHMENTS_PER_PAGE (3)" in rows[0][2]


@pytest.mark.parametrize(
    "body, headers, offered_as",
    [
        (pdf_bytes(), {"Content-Type": "application/pdf"}, "document"),
        (docx_bytes(), {"Content-Type": "application/octet-stream"}, "document"),
        # a ".doc" that is really HTML: text, stored as it is
        ("<html><body><p>攀枝花市2023年政府信息公开工作年度报告</p></body></html>".encode("gbk"),
         {"Content-Type": "application/msword"}, "document"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), {"Content-Type": "image/png"}, "image"),
    ],
)  # fmt: skip
def test_a_file_answer_is_stored_as_a_document_linked_to_its_page(spider, body, headers, offered_as):
    request = Request(f"{COLUMN}P020240205100291.pdf")
    response = file_answer(request, body, headers)
    items = list(spider.parse_attachment(response, ARTICLE, "附件.pdf", offered_as))
    assert len(items) == 1
    item = items[0]
    assert (item["url"], item["body"], item["referer"], item["offered_as"]) == (request.url, body, ARTICLE, offered_as)


@pytest.mark.parametrize(
    "body, offered_as, reason",
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "document", "suspect 200: binary body (PNG)"),  # a picture, not the file
        (bytes(range(256)) * 4, "document", "suspect 200: binary body (binary)"),  # no known type
        ("<html><head><title>页面不存在</title></head><body><h1>页面不存在</h1></body></html>".encode(), "document",
         "suspect 200: error page (页面不存在)"),
        (b"", "image", "suspect 200: empty body"),
    ],
)  # fmt: skip
def test_a_file_link_answered_with_something_else_is_suspect(spider, body, offered_as, reason):
    store = CrawlRecorder.of(spider.crawler).store
    from pipelines.store import FetchRecord

    fetch_id = store.record_fetch(FetchRecord(run_id=spider.run_id, url=f"{COLUMN}P1.pdf", status=200, body=body))
    request = Request(f"{COLUMN}P1.pdf", meta={"govcrawl_fetch_id": fetch_id, "govcrawl_fetched_at": "t"})
    response = Response(request.url, body=body, request=request)
    assert list(spider.parse_attachment(response, ARTICLE, None, offered_as)) == []
    store.flush()
    assert store.db.execute("SELECT error FROM fetches WHERE id = ?", [fetch_id]).fetchone()[0] == reason


def test_an_article_link_answered_with_a_file_is_taken_as_an_attachment(spider):
    """A download endpoint the profile does not know: the answer says it is a file."""
    name = quote("攀枝花市2023年政府信息公开工作年度报告.pdf")
    request = Request(f"{COLUMN}4100323.shtml")
    response = file_answer(request, pdf_bytes(), {"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})
    items = list(spider.parse_article(response, TITLE, f"{COLUMN}index.shtml"))
    assert [(i["url"], i["offered_as"], i["referer"]) for i in items] == [
        (request.url, "document", f"{COLUMN}index.shtml")
    ]
    assert content_disposition(response) == ("attachment", "攀枝花市2023年政府信息公开工作年度报告.pdf")


def test_raw_utf8_file_names_in_content_disposition():
    raw = 'attachment; filename="年度报告.pdf"'.encode()
    response = Response("http://a/x", headers={"Content-Disposition": raw})
    assert content_disposition(response) == ("attachment", "年度报告.pdf")
    assert content_disposition(Response("http://a/x")) == (None, None)


def test_suspect_verdict_depends_on_what_was_asked_for():
    pdf = pdf_bytes()
    assert suspect_reason(pdf) == "binary body (PDF)"  # a page was asked for
    assert suspect_reason(pdf, "application/pdf", "document") is None
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    assert suspect_reason(png, None, "document") == "binary body (PNG)"
    assert suspect_reason(png, None, "image") is None
    assert suspect_reason(b"\x1f\x8b" + bytes(50), None, "document") == "binary body (GZIP)"


def store_items(spider, *items: PageItem) -> Store:
    pipeline = StorePipeline(spider.crawler)
    for item in items:
        pipeline.process_item(item)
    store = CrawlRecorder.of(spider.crawler).store
    store.flush()
    return store


def stored_item(spider, url: str, body: bytes, referer: str, link_title: str | None, offered_as: str | None):
    store = CrawlRecorder.of(spider.crawler).store
    from pipelines.store import FetchRecord

    fetch_id = store.record_fetch(FetchRecord(run_id=spider.run_id, url=url, status=200, body=body))
    return PageItem(url=url, final_url=url, status=200, body=body, referer=referer,
                    link_title=link_title, fetched_at="t", fetch_id=fetch_id, run_id=spider.run_id,
                    via="http", offered_as=offered_as)  # fmt: skip


def test_an_attachment_is_a_document_linked_to_the_page_that_offered_it(spider):
    pdf = pdf_bytes()
    listed = f"{COLUMN}P020240131.pdf"
    store = store_items(
        spider,
        stored_item(spider, ARTICLE, b"<html>article</html>", f"{COLUMN}index.shtml", TITLE, None),
        stored_item(spider, f"{COLUMN}P1.pdf", pdf, ARTICLE, "附件：年度报告.pdf", "document"),
        stored_item(spider, listed, docx_bytes(), f"{COLUMN}index.shtml", TITLE, "document"),
    )
    rows = store.db.execute(
        "SELECT d.url, l.offered_by, o.url, l.offered_as, l.link_text FROM document_links l"
        " JOIN documents d ON d.id = l.document_id LEFT JOIN documents o ON o.id = l.offered_by_document_id"
        " ORDER BY l.id"
    ).fetchall()
    assert rows == [
        (f"{COLUMN}P1.pdf", ARTICLE, ARTICLE, "document", "附件：年度报告.pdf"),
        (listed, f"{COLUMN}index.shtml", None, "document", TITLE),  # a list page is no document
    ]
    assert store.db.execute("SELECT count(*) FROM documents").fetchone()[0] == 3
    # fetched again by the same link, unchanged: still one link, one version
    store = store_items(spider, stored_item(spider, f"{COLUMN}P1.pdf", pdf, ARTICLE, "附件", "document"))
    assert store.db.execute("SELECT count(*) FROM document_links").fetchone()[0] == 2
    assert store.db.execute("SELECT count(*) FROM document_versions").fetchone()[0] == 3
    # re-crawls: known like any document, revalidated as an attachment
    assert {ARTICLE, f"{COLUMN}P1.pdf", listed} <= store.known_links()
    targets = {t.url: t for t in store.revalidation_targets()}
    assert targets[f"{COLUMN}P1.pdf"].offered_as == "document" and targets[ARTICLE].offered_as is None
    request = spider.revalidation(targets[f"{COLUMN}P1.pdf"])
    assert request.callback == spider.parse_attachment and request.meta["download_maxsize"] == 123456
    assert request.cb_kwargs["offered_by"] == ARTICLE
    assert spider.revalidation(targets[ARTICLE]).callback == spider.parse_article


def test_a_revalidated_attachment_answering_304_is_marked_unchanged(spider):
    url = f"{COLUMN}P1.pdf"
    store = store_items(spider, stored_item(spider, url, pdf_bytes(), ARTICLE, "附件", "document"))
    target = next(t for t in store.revalidation_targets() if t.url == url)
    request = spider.revalidation(target)
    assert 304 in request.meta["handle_httpstatus_list"]
    assert list(spider.parse_attachment(file_answer(request, b"", status=304), **request.cb_kwargs)) == []
    store.flush()
    assert store.db.execute("SELECT last_seen_at FROM documents WHERE url = ?", [url]).fetchone()[0] == "t2"


def test_a_schema_4_file_gets_the_links_table_and_keeps_its_rows(tmp_path):
    path = tmp_path / "g.db"
    Store(path).close()
    old = sqlite3.connect(path)
    old.execute("DROP TABLE document_links")
    old.execute("INSERT INTO documents (url) VALUES ('http://a/1.shtml')")
    old.execute("PRAGMA user_version = 4")
    old.commit()
    old.close()
    store = Store(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    assert "document_links" in store.db.table_names()
    assert store.db.execute("SELECT url FROM documents").fetchall() == [("http://a/1.shtml",)]
    store.close()


def test_a_file_that_failed_is_asked_for_again_by_the_next_run(spider):
    """Its page, stored, is not fetched again: the run asks for the file itself."""
    import asyncio

    from pipelines.store import FetchRecord

    store = CrawlRecorder.of(spider.crawler).store
    big, flaky, done, dead = (f"{COLUMN}P{n}.pdf" for n in range(1, 5))
    store.record_fetch(FetchRecord(run_id=spider.run_id, url=big, referer=ARTICLE, error="too large: Expected …"))
    store.record_fetch(FetchRecord(run_id=spider.run_id, url=flaky, referer=ARTICLE, status=500, error="HTTP 500"))
    store.record_fetch(FetchRecord(run_id=spider.run_id, url=dead, referer=ARTICLE, status=404, error="HTTP 404"))
    store.record_fetch(FetchRecord(run_id=spider.run_id, url=done, status=500, error="HTTP 500"))
    store_items(spider, stored_item(spider, done, pdf_bytes(), ARTICLE, None, "document"))
    failed_article = f"{COLUMN}4100999.shtml"  # an article that failed is found again on its list
    store.record_fetch(FetchRecord(run_id=spider.run_id, url=failed_article, status=500, error="HTTP 500"))
    store.flush()

    async def collect():
        return [request async for request in spider.start()]

    retried = [r for r in asyncio.run(collect()) if r.callback == spider.parse_attachment]
    assert [(r.url, r.cb_kwargs["offered_by"]) for r in retried] == [(big, ARTICLE), (flaky, ARTICLE)]
    assert all(r.meta["download_maxsize"] == 123456 for r in retried)


def test_the_profile_tells_the_replicas_files_from_its_pages():
    from govcrawl.attachments import offered_as
    from govcrawl.profiles import load_profile
    from tests.replica.generator import build_portal

    profile = load_profile("panzhihua")
    portal = build_portal(60, attachments=True)
    attachments = [p for p in portal.pages.values() if p.kind == "attachment"]
    assert len(attachments) == 10  # tests.replica.attachment_pages.CASES
    for page in attachments:
        assert not profile.is_list_page(page.url) and not profile.is_article_page(page.url), page.url
        text = page.title if page.link_style == "image" else ""
        assert offered_as(page.url, text, profile) == ("image" if page.link_style == "image" else "document")
    for page in portal.pages.values():
        if page.kind in ("list", "annual_report", "attachment_article", "notice", "robots", "home"):
            assert offered_as(page.url, page.title or "", profile) is None, page.url


@pytest.mark.parametrize(
    "html, offers",
    [
        ('<a href="./P0202401.pdf">附件</a>', True),
        ("<A HREF='../files/Report.PDF?dl=1'>附件</A>", True),
        ('<a href=" ../../module/download/downfile.jsp?classid=0&filename=ab.docx">附件</a>', True),
        ('<a href="/attach/0/1b7874">附件</a>', True),
        ('<a href="/images/x.png">查看大图</a>', True),  # parsed; the link text then rules it out
        ('<img src="/images/logo.png"><a href="./1234.shtml">2023年报告.pdf说明</a>', False),
        ('<a href="./report.pdfa">x</a><p>见附件.pdf</p>', False),
    ],
)
def test_only_pages_whose_bytes_link_a_file_are_parsed_for_links(html, offers):
    from govcrawl.attachments import may_offer_files
    from govcrawl.profiles import load_profile

    body = f"<html><body>{html}</body></html>".encode("gbk")
    assert may_offer_files(body, load_profile("panzhihua")) is offers
