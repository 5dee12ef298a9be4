"""The fleet's scheduler and duplicate filter: scrapy-redis's, with three changes.

Subclassed (not used as they are) because scrapy-redis pops a request with nothing to show
that a worker holds it, so a worker killed mid-request loses it; it pushes every worker's
start requests, so each seed would be queued once per worker; and its duplicate filter does
not report a redirect loop, which govcrawl records as a fetch error (govcrawl.offsite).

- `next_request` takes a request and files it in the worker's in-flight list in one step
  (FleetState.take); govcrawl.fleet.worker clears it once the request's rows are committed.
- A start request (`is_start_request`, `dont_filter`: the profile's list roots) is pushed by
  the first worker only: its URL goes into the run's `seeds` set, and a worker that finds it
  there drops its own copy. Its URL is compared with its fragment (gkmlpt's categories are
  fragments of one list page).
- The duplicate filter is scrapy-redis's shared set, reporting a redirect hop back into a
  chain of this run like RedirectAwareDupeFilter does.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from w3lib.url import canonicalize_url

from govcrawl.fleet.state import FleetState, lease_of
from govcrawl.offsite import RedirectAwareDupeFilter


class FleetDupeFilter(RFPDupeFilter):
    crawler: Crawler | None = None

    @classmethod
    def from_spider(cls, spider) -> FleetDupeFilter:
        dupefilter = super().from_spider(spider)
        dupefilter.crawler = spider.crawler
        return dupefilter

    def request_seen(self, request: Request) -> bool:
        seen = super().request_seen(request)
        if seen and request.meta.get("redirect_urls") and self.crawler is not None:
            RedirectAwareDupeFilter.hop_dropped(self, request)
        return seen


class FleetScheduler(Scheduler):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FleetScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.worker = crawler.settings.get("GOVCRAWL_WORKER_ID")
        scheduler.state = FleetState(scheduler.server, crawler.settings.get("GOVCRAWL_FLEET_NAME"))
        scheduler.held = {}  # lease -> the request taken under it, until its rows are committed
        return scheduler

    def enqueue_request(self, request: Request) -> bool:
        # The mark goes with the push: a request taken back from Redis and sent again (a retry,
        # a page re-sent to the browser) copies its meta, and must not be taken for the seed.
        if request.meta.pop("is_start_request", False) and request.dont_filter:
            if not self.server.sadd(self.state.keys.seeds, canonicalize_url(request.url, keep_fragments=True)):
                return False  # another worker of this run pushed this seed
        # scrapy-redis's enqueue_request, without its stats call's deprecated spider argument
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        serialized = self.state.take(self.worker)
        if serialized is None:
            return None
        request = self.queue._decode_request(serialized)
        self.held[lease_of(serialized)] = request
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request
