"""The crawl's cycle collector, run rarer (pipelines.collector): a Scrapy extension that
settles it once the engine has started, everything the crawl loads at start-up loaded."""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import Crawler

from pipelines.collector import collect_less


class FewerCollections:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FewerCollections:
        extension = cls()
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    def engine_started(self) -> None:
        collect_less()
