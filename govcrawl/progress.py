"""What a running crawl is doing, per host: one progress line per host every LOGSTATS_INTERVAL.

In place of Scrapy's LogStats ("Crawled N pages"), which cannot tell a slow host from a dead
one: `progress www.x.gov.cn: 120 requests, 14 reports, 2 errors, 35 queued`. Requests and
errors are the host's `fetches` rows this run (pipelines.store counts them as it queues them),
reports its pages handed to the store, queued its requests waiting in the scheduler (counted
by HostCountingScheduler) and in the downloader.
"""

from __future__ import annotations

import logging
from collections import Counter

from scrapy import Request, signals
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.httpobj import urlparse_cached

from govcrawl.recorder import CrawlRecorder

logger = logging.getLogger(__name__)


def host_of(request: Request) -> str:
    return urlparse_cached(request).hostname or ""


class HostCountingScheduler(Scheduler):
    """Scrapy's scheduler, also counting the requests it holds per host. (Requests restored
    from a JOBDIR queue were never counted in; the figures never go below zero.)"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending: Counter[str] = Counter()

    def enqueue_request(self, request: Request) -> bool:
        queued = super().enqueue_request(request)
        if queued:
            self.pending[host_of(request)] += 1
        return queued

    def next_request(self) -> Request | None:
        request = super().next_request()
        if request is not None:
            host = host_of(request)
            self.pending[host] = max(0, self.pending[host] - 1)
        return request


class HostProgress:
    def __init__(self, crawler: Crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.reports: Counter[str] = Counter()
        self.task = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostProgress:
        interval = crawler.settings.getfloat("LOGSTATS_INTERVAL")
        if not interval:
            raise NotConfigured
        return cls(crawler, interval)

    def spider_opened(self, spider) -> None:
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def item_scraped(self, item, response, spider) -> None:
        self.reports[urlparse_cached(response).hostname or ""] += 1

    def queued(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        engine = self.crawler.engine
        scheduler = getattr(getattr(engine, "_slot", None), "scheduler", None)
        counts.update(getattr(scheduler, "pending", {}))
        downloader = getattr(engine, "downloader", None)
        for key, slot in getattr(downloader, "slots", {}).items():
            counts[key] += len(slot.queue)  # slots are keyed by host unless a request says otherwise
        return counts

    def lines(self) -> list[str]:
        fetched = CrawlRecorder.of(self.crawler).store.by_host
        queued = self.queued()
        hosts = sorted(set(fetched) | set(self.reports) | {h for h, n in queued.items() if n})
        return [
            f"progress {host or '?'}: {fetched.get(host, Counter())['requests']} requests, "
            f"{self.reports[host]} reports, {fetched.get(host, Counter())['errors']} errors, {queued[host]} queued"
            for host in hosts
        ]

    def log(self) -> None:
        for line in self.lines():
            logger.info(line)
