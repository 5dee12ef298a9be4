"""Scrapy item pipelines: thin adapters over the pure modules in pipelines/."""

from __future__ import annotations

from scrapy.crawler import Crawler

from govcrawl.items import PageItem
from govcrawl.recorder import CrawlRecorder
from pipelines.store import PageRecord


class StorePipeline:
    """Store each page's raw body as a document version (pipelines.store)."""

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
            )
        )
        return item
