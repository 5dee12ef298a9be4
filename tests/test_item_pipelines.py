"""The crawl's item pipeline stores each page as a pending version: no processing on the
crawl's reactor thread (`govcrawl process` does it, tests/test_stage.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from govcrawl.item_pipelines import StorePipeline
from govcrawl.items import PageItem
from govcrawl.recorder import CrawlRecorder
from govcrawl.spiders.reports import ReportsSpider
from govcrawl.stage import pending_counts
from pipelines.store import FetchRecord, body_hash

REPORT = Path(__file__).parent / "data" / "examples" / "2023.html"
URL = "http://www.panzhihua.gov.cn/zfxxgk1/zfxxgknb/12345.shtml"


@pytest.fixture
def recorder(tmp_path):
    crawler = get_crawler(
        ReportsSpider, {"GOVCRAWL_DB": str(tmp_path / "g.db"), "EXTENSIONS": {"govcrawl.recorder.CrawlRecorder": 0}}
    )
    recorder = CrawlRecorder.of(crawler)
    recorder.run_id = recorder.store.start_run("panzhihua", "test", {})
    yield recorder
    recorder.store.close()
    recorder.lock.close()


def test_a_page_is_stored_as_a_pending_version(recorder):
    store, body = recorder.store, REPORT.read_bytes()
    fetch_id = store.record_fetch(FetchRecord(run_id=recorder.run_id, url=URL, status=200, body=body))
    item = PageItem(
        url=URL, final_url=URL, status=200, body=body,
        referer="http://www.panzhihua.gov.cn/zfxxgk1/zfxxgknb/index.shtml", link_title="2023年年度报告",
        fetched_at="2026-01-01T00:00:00", fetch_id=fetch_id, run_id=recorder.run_id, via="http",
    )  # fmt: skip
    assert StorePipeline(recorder.crawler).process_item(item) is item
    store.flush()
    rows = store.db.execute(
        "SELECT f.error, v.body_sha256, f.body_sha256, t.version_id FROM documents d"
        " JOIN document_versions v ON v.id = d.current_version_id JOIN fetches f ON f.id = v.fetch_id"
        " LEFT JOIN document_texts t ON t.version_id = v.id"
    ).fetchall()
    assert rows == [(None, body_hash(body), body_hash(body), None)]  # stored, not processed
    assert pending_counts(store.db) == (1, 0)
    assert store.db.execute("SELECT count(*) FROM bodies").fetchone()[0] == 1  # one body for fetch and version
    assert URL in store.known_links()
    assert (store.counts["errors"], store.counts["new_versions"]) == (0, 1)
