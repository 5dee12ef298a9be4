"""Scrapy item pipelines: thin adapters over the pure modules in pipelines/.

Order (settings.ITEM_PIPELINES): encoding -> de-garbling -> parsing -> store.
"""

from __future__ import annotations

from scrapy.crawler import Crawler

from govcrawl.items import PageItem
from govcrawl.recorder import CrawlRecorder
from pipelines.encoding import content_type_of, decode_page
from pipelines.process import clean_document, parse_clean, stored_rows
from pipelines.store import PageRecord


class EncodingPipeline:
    """Raw bytes -> text, with the evidence for the chosen encoding (pipelines.encoding)."""

    def process_item(self, item: PageItem) -> PageItem:
        item["decoded"] = decode_page(item["body"], content_type_of(item["headers"]))
        return item


class DegarblePipeline:
    """Decoded text -> clean Simplified text, with each transform's count (pipelines.degarble)."""

    def process_item(self, item: PageItem) -> PageItem:
        item["clean"] = clean_document(item["decoded"].text)
        return item


class ParsePipeline:
    """Clean document -> kind, metadata, sections, values and their checks (pipelines.parse)."""

    def process_item(self, item: PageItem) -> PageItem:
        item["parsed"] = parse_clean(item["clean"])
        return item


class StorePipeline:
    """Store each page's raw body as a document version, with its clean text (pipelines.store)."""

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
                processed=stored_rows(item["decoded"], item["clean"], item["parsed"])
                if "parsed" in item
                else None,
            )
        )
        return item
