"""The fleet's scheduler and duplicate filter: scrapy-redis's, with five changes.

Subclassed (not used as they are) because scrapy-redis pops a request with nothing to show
that a worker holds it, so a worker killed mid-request loses it; it takes as many requests
as the engine asks for, so one worker can empty the shared frontier; it pushes every
worker's start requests, so each seed would be queued once per worker; it marks a request
seen and pushes it in two steps; and its duplicate filter does not report a redirect loop,
which govcrawl records as a fetch error (govcrawl.offsite).

- `next_request` takes a request and files it in the worker's in-flight list in one step
  (FleetState.take); govcrawl.fleet.worker clears it once the request's rows are committed.
- A worker takes no more than it can start soon. Scrapy's engine asks its scheduler for
  requests until the downloader holds CONCURRENT_REQUESTS of them, but the fleet-wide
  per-host limit (govcrawl.fleet.politeness) lets a worker download only a few at a time per
  host: a worker taking all the engine asks for would hold most of a small frontier (all of
  it, on a loaded machine, as soon as it is pushed) while the others find it empty. So
  `next_request` takes nothing while the requests waiting in the worker's downloader (taken,
  not yet started: in the downloader middlewares, among them those waiting for a fleet host
  slot, or queued in a downloader slot) are as many as the hosts it is downloading from
  (at least one): each host the worker works on may have its next request ready, so a worker
  spread over many hosts keeps its downloads going, while on a few hosts it holds little
  more than its downloads. Each request reaching a downloader slot wakes the engine to take
  again (the engine asks its scheduler only when something happens).
- A start request (`is_start_request`, `dont_filter`: the profile's list roots) is pushed by
  the first worker only: its URL goes into the run's `seeds` set, and a worker that finds it
  there drops its own copy. Its URL is compared with its fragment (gkmlpt's categories are
  fragments of one list page).
- A request is marked seen (and a seed marked pushed) and pushed in one step, a Lua script
  (FleetState.enqueue): scrapy-redis marks, then pushes, and a worker killed in between left
  the request seen and never queued, lost to the whole fleet run.
- The duplicate filter is scrapy-redis's shared set, reporting a redirect hop back into a
  chain of this run like RedirectAwareDupeFilter does.
"""

from __future__ import annotations

from scrapy import Request, signals
from scrapy.core.downloader import Downloader
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

    def dropped(self, request: Request) -> None:
        """A request seen before is dropped: a redirect hop back into a chain is recorded."""
        if request.meta.get("redirect_urls") and self.crawler is not None:
            RedirectAwareDupeFilter.hop_dropped(self, request)


class FleetScheduler(Scheduler):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FleetScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.worker = crawler.settings.get("GOVCRAWL_WORKER_ID")
        scheduler.state = FleetState(scheduler.server, crawler.settings.get("GOVCRAWL_FLEET_NAME"))
        scheduler.held = {}  # lease -> the request taken under it, until its rows are committed
        scheduler.crawler = crawler
        crawler.signals.connect(scheduler.request_reached_downloader, signal=signals.request_reached_downloader)
        return scheduler

    def downloader(self) -> Downloader | None:
        """The engine's downloader; none before a crawl starts (a scheduler driven by hand)."""
        try:
            engine = self.crawler.engine
        except RuntimeError:  # Crawler.engine is set when the crawl starts
            return None
        return engine.downloader if engine is not None else None

    def downloads(self) -> tuple[int, int]:
        """(waiting, hosts): the requests in this worker's downloader not started yet, and the
        hosts (downloader slots) it is downloading from. A request is started once its
        downloader slot let it out of its queue; before that it is waiting, in the downloader
        middlewares (the robots.txt preflight, a fleet host slot) or in its slot's queue. One
        whose answer is on its way back through the middlewares counts as waiting for that
        moment, which only holds the next take back."""
        downloader = self.downloader()
        if downloader is None:
            return 0, 0
        started = hosts = 0
        for slot in downloader.slots.values():
            own = len(slot.active) - len(slot.queue)
            if own > 0:
                started += own
                hosts += 1
        return max(0, len(downloader.active) - started), hosts

    def can_take(self) -> bool:
        """Fewer requests waiting in the downloader than hosts it downloads from (at least one)."""
        waiting, hosts = self.downloads()
        return waiting < max(1, hosts)

    def request_reached_downloader(self, request: Request) -> None:
        """A request got past the downloader middlewares: one fewer waits, take again."""
        engine = self.crawler.engine
        if engine is not None and engine._slot is not None:
            engine._slot.nextcall.schedule()

    def enqueue_request(self, request: Request) -> bool:
        """Mark and push in one step (FleetState.enqueue): scrapy-redis marks the request seen,
        then pushes it, and a worker killed between the two lost it for the whole fleet run."""
        # The mark goes with the push: a request taken back from Redis and sent again (a retry,
        # a page re-sent to the browser) copies its meta, and must not be taken for the seed.
        seed = ""
        if request.meta.pop("is_start_request", False) and request.dont_filter:
            seed = canonicalize_url(request.url, keep_fragments=True)
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        queued = self.state.enqueue(seed, fingerprint, -request.priority, self.queue._encode_request(request))
        if queued == 0:
            self.df.dropped(request)
            self.df.log(request, self.spider)
        if queued != 1:
            return False  # seen before, or another worker of this run pushed this seed
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if not self.can_take():
            return None  # the engine asks again when a waiting request gets to its download
        serialized = self.state.take(self.worker)
        if serialized is None:
            return None
        request = self.queue._decode_request(serialized)
        self.held[lease_of(serialized)] = request
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request
