"""The crawl's item pipelines keep every page: an exception after the fetch leaves the page's
version stored unparsed, the error on its fetch row and in its problems, counted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from govcrawl import item_pipelines
from govcrawl.items import PageItem
from govcrawl.recorder import CrawlRecorder
from govcrawl.spiders.reports import ReportsSpider
from pipelines.store import FetchRecord

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


def run_pipelines(recorder: CrawlRecorder, body: bytes) -> int:
    store = recorder.store
    fetch_id = store.record_fetch(FetchRecord(run_id=recorder.run_id, url=URL, status=200, body=body))
    item = PageItem(
        url=URL, final_url=URL, status=200, headers={"Content-Type": ["text/html"]}, body=body,
        referer="http://www.panzhihua.gov.cn/zfxxgk1/zfxxgknb/index.shtml", link_title="2023年年度报告",
        fetched_at="2026-01-01T00:00:00", fetch_id=fetch_id, run_id=recorder.run_id, via="http",
    )  # fmt: skip
    for pipeline in (
        item_pipelines.EncodingPipeline(),
        item_pipelines.DegarblePipeline(),
        item_pipelines.ParsePipeline(),
        item_pipelines.StorePipeline(recorder.crawler),
    ):
        item = pipeline.process_item(item)
    store.flush()
    return fetch_id


def stored(recorder: CrawlRecorder, fetch_id: int) -> tuple:
    return recorder.store.db.execute(
        "SELECT f.error, t.doc_kind, t.problems FROM documents d JOIN document_versions v ON v.id = d.current_version_id"
        " JOIN fetches f ON f.id = v.fetch_id LEFT JOIN document_texts t ON t.version_id = v.id WHERE f.id = ?",
        [fetch_id],
    ).fetchone()


def test_a_report_is_stored_parsed(recorder):
    error, kind, problems = stored(recorder, run_pipelines(recorder, REPORT.read_bytes()))
    assert (error, kind) == (None, "annual_report")
    assert recorder.store.counts["errors"] == 0


def test_a_5000_digit_figure_never_costs_the_page(recorder):
    page = REPORT.read_text(encoding="utf-8")
    cell = re.search(r">(\d{2,4})<", page)
    body = (page[: cell.start(1)] + "9" * 5000 + page[cell.end(1) :]).encode()
    fetch_id = run_pipelines(recorder, body)
    row = stored(recorder, fetch_id)
    assert row is not None  # the version is stored
    error, kind, problems = row
    failed = [p for p in json.loads(problems) if p.startswith("processing failed:")]
    if failed:  # stored unparsed, the error recorded twice and counted
        assert (error, kind) == (failed[0], None)
        assert recorder.store.counts["errors"] == 1
    else:  # processing itself left the number out, with a problem saying so
        assert kind == "annual_report" and problems != "[]"
    assert URL in recorder.store.known_links()  # later runs do not fetch it to drop it again


def test_an_exception_in_any_step_stores_the_page_unparsed(recorder, monkeypatch):
    def deep(_text):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(item_pipelines, "clean_document", deep)  # the de-garbling step fails
    fetch_id = run_pipelines(recorder, REPORT.read_bytes())
    failure = "processing failed: RecursionError: maximum recursion depth exceeded"
    assert stored(recorder, fetch_id) == (failure, None, json.dumps([failure]))
    assert recorder.store.counts["errors"] == 1
    assert recorder.store.db.execute("SELECT count(*) FROM report_values").fetchone()[0] == 0
