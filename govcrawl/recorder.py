"""The crawl's link to the store: one Store and one `crawl_runs` row per crawl.

A Scrapy extension, so the fetch-recording middleware and the item pipeline share the same
Store; it opens the run when the spider opens and closes it with the crawl's stats.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler

from govcrawl import __version__
from pipelines.store import Store

# Settings copied into crawl_runs.settings: what shapes a crawl's result and politeness.
RECORDED_SETTINGS = (
    "GOVCRAWL_DB",
    "GOVCRAWL_PROXY",
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "AUTOTHROTTLE_ENABLED",
    "DOWNLOAD_DELAY",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "RETRY_TIMES",
    "DOWNLOAD_TIMEOUT",
)


def code_version() -> str:
    """Package version plus the git commit when run from a checkout."""
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


class CrawlRecorder:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.store = Store(crawler.settings.get("GOVCRAWL_DB"))
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRecorder:
        return cls(crawler)

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlRecorder:
        for extension in crawler.extensions.middlewares:
            if isinstance(extension, cls):
                return extension
        raise RuntimeError("govcrawl.recorder.CrawlRecorder is not enabled in EXTENSIONS")

    def spider_opened(self, spider) -> None:
        settings = {name: self.crawler.settings.get(name) for name in RECORDED_SETTINGS}
        settings["spider_arguments"] = getattr(spider, "arguments", {})
        self.run_id = self.store.start_run(getattr(spider, "site", spider.name), code_version(), settings)
        spider.run_id = self.run_id

    def spider_closed(self, spider, reason: str) -> None:
        self.store.flush()  # so the counts below include the last batch
        stats = dict(self.crawler.stats.get_stats())
        stats.update({f"govcrawl/{k}": v for k, v in self.store.counts.items()})
        self.store.finish_run(self.run_id, reason, stats)
        self.store.close()
