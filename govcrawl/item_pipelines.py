"""Scrapy item pipelines: thin adapters over the pure modules in pipelines/.

Order (settings.ITEM_PIPELINES): encoding -> de-garbling -> parsing -> store.

Nothing is lost to an exception after the fetch: a processing step that raises marks the
item (`failure`), the later steps let it through untouched, and the store keeps the page's
version unparsed with `processing failed: …` in `document_texts.problems` and on its fetch
row (counted as an error). Scrapy would otherwise log the exception and drop the page, and
every later run would fetch and drop it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from scrapy.crawler import Crawler

from govcrawl.items import PageItem
from govcrawl.recorder import CrawlRecorder
from pipelines.encoding import content_type_of, decode_page
from pipelines.process import PROCESSOR_VERSION, clean_document, parse_clean, stored_rows
from pipelines.store import PageRecord, ProcessedRows, processing_failure

logger = logging.getLogger(__name__)


def guarded(step: Callable[[PageItem], None]) -> Callable[[object, PageItem], PageItem]:
    """Run one processing step unless an earlier one failed; an exception marks the item."""

    def process_item(self, item: PageItem) -> PageItem:
        if item.get("failure") is None:
            try:
                step(item)
            except Exception as error:  # any bug or limit on one page must not cost the page
                item["failure"] = processing_failure(error)
                logger.error("%s at %s (stored unparsed)", item["failure"], item.get("final_url"))
        return item

    return process_item


class EncodingPipeline:
    """Raw bytes -> text, with the evidence for the chosen encoding (pipelines.encoding)."""

    @guarded
    def process_item(item: PageItem) -> None:
        item["decoded"] = decode_page(item["body"], content_type_of(item["headers"]))


class DegarblePipeline:
    """Decoded text -> clean Simplified text, with each transform's count (pipelines.degarble)."""

    @guarded
    def process_item(item: PageItem) -> None:
        item["clean"] = clean_document(item["decoded"].text)


class ParsePipeline:
    """Clean document -> kind, metadata, sections, values and their checks (pipelines.parse)."""

    @guarded
    def process_item(item: PageItem) -> None:
        item["parsed"] = parse_clean(item["clean"])


class StorePipeline:
    """Store each page's raw body as a document version, with its clean text (pipelines.store)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: PageItem) -> PageItem:
        failure, processed = item.get("failure"), None
        if failure is None and "parsed" in item:
            try:
                processed = stored_rows(item["decoded"], item["clean"], item["parsed"])
            except Exception as error:  # e.g. a figure too large for a float
                failure = processing_failure(error)
                logger.error("%s at %s (stored unparsed)", failure, item.get("final_url"))
        if failure is not None:
            processed = ProcessedRows.failed(failure, PROCESSOR_VERSION)
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
                processed=processed,
            )
        )
        return item
