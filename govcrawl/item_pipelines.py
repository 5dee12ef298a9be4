"""Scrapy item pipelines: thin adapters over the pure modules in pipelines/.

Order (settings.ITEM_PIPELINES): encoding -> de-garbling -> store.
"""

from __future__ import annotations

import json

from scrapy.crawler import Crawler

from govcrawl.items import PageItem
from govcrawl.recorder import CrawlRecorder
from pipelines.encoding import decode_page
from pipelines.process import PROCESSOR_VERSION, clean_document
from pipelines.store import PageRecord


def content_type(item: PageItem) -> str | None:
    values = item["headers"].get("Content-Type") or item["headers"].get("content-type")
    return values[0] if values else None


class EncodingPipeline:
    """Raw bytes -> text, with the evidence for the chosen encoding (pipelines.encoding)."""

    def process_item(self, item: PageItem) -> PageItem:
        item["decoded"] = decode_page(item["body"], content_type(item))
        return item


class DegarblePipeline:
    """Decoded text -> clean Simplified text, with each transform's count (pipelines.degarble)."""

    def process_item(self, item: PageItem) -> PageItem:
        item["clean"] = clean_document(item["decoded"].text)
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
                processed=processed_row(item) if "clean" in item else None,
            )
        )
        return item


def processed_row(item: PageItem) -> dict:
    decoded, clean = item["decoded"], item["clean"]
    return {
        "processor_version": PROCESSOR_VERSION,
        "encoding": decoded.encoding,
        "declared_header": decoded.declared_header,
        "declared_meta": decoded.declared_meta,
        "detected": decoded.detected,
        "confidence": decoded.confidence,
        "encoding_method": decoded.method,
        "undecodable": decoded.undecodable,
        "transforms": json.dumps(clean.degarbled.transforms),
        "text": clean.text,
    }
