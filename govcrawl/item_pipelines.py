"""Scrapy item pipeline: the crawl stores each article page as a pending document version.

Processing (decoding, de-garbling, parsing) is not the crawl's work: `govcrawl process`
(govcrawl/stage.py) does it in a pool of worker processes beside or after the crawl, so the
reactor thread only queues rows for the store's writer thread.
"""

from __future__ import annotations

from scrapy.crawler import Crawler

from govcrawl.items import PageItem
from govcrawl.recorder import CrawlRecorder
from pipelines.store import PageRecord


class StorePipeline:
    """Store each page's raw body as a document version (pipelines.store), pending processing."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: PageItem) -> PageItem:
        CrawlRecorder.of(self.crawler).store.store_page(
            PageRecord(
                run_id=item["run_id"],
                fetch_id=item["fetch_id"],
                url=item["url"],
                final_url=item["final_url"],
                status=item["status"],
                body=item["body"],
                referer=item["referer"],
                fetched_at=item["fetched_at"],
                offered_as=item.get("offered_as"),
                link_text=item.get("link_title"),
            )
        )
        return item
