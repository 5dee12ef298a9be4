"""One worker's part in the fleet: heartbeat, in-flight bookkeeping, and when to stop.

- Heartbeat: `alive:<worker>` is set with an expiry of GOVCRAWL_FLEET_LEASE_SECONDS and
  renewed every third of it. A worker whose heartbeat has expired (SIGKILL, a lost machine)
  is dead: any live worker puts its in-flight requests back into the frontier, and the next
  fleet run does if none is left.
- In flight until stored: a request taken from the frontier stays in the worker's in-flight
  list until the engine is done with it (it left the engine's in-progress set: its callback
  and its items have run, so its rows are queued in the Store) AND the Store has committed
  them. At each tick the worker notes the finished requests, flushes the Store (waits for
  the writer thread), then clears their leases. A request interrupted anywhere before that
  comes back to the frontier; one stored and taken again adds no version (same body).
- Stopping: an idle worker does not close while the frontier holds requests or another live
  worker holds requests in flight (those may still yield more); it asks again at the
  engine's next idle check (every 5 s), and is woken sooner (every GOVCRAWL_FLEET_WAKE_SECONDS
  it looks) when requests reach the frontier or the workers it waits for hold nothing any
  more. It closes when the frontier is empty and nobody holds anything; a dead worker holds
  nothing once its lease is past, so nobody waits forever.
- At its close a worker leaves the run; the last one out of a finished run clears the run's
  duplicate filter and seeds, so the next fleet run crawls afresh.

Reads the engine's in-progress set (`engine._slot.inprogress`): Scrapy has no signal for
"this request's callback output has been fully processed".
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.asyncio import create_looping_call

from govcrawl.recorder import CrawlRecorder

logger = logging.getLogger(__name__)


class FleetWorker:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.worker = crawler.settings.get("GOVCRAWL_WORKER_ID")
        self.lease_seconds = crawler.settings.getfloat("GOVCRAWL_FLEET_LEASE_SECONDS")
        self.timer = self.waker = None
        self.list_pages_told = 0  # this worker's list pages already added to the fleet's count
        self.waiting_for_others = False  # idle, kept open by other workers' requests in flight
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FleetWorker:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        return cls(crawler)

    @property
    def scheduler(self):
        return self.crawler.engine._slot.scheduler

    @property
    def state(self):
        return self.scheduler.state

    def spider_opened(self, spider) -> None:
        self.heartbeat()
        self.state.server.sadd(self.state.keys.workers, self.worker)
        back = self.state.reclaim_dead()  # a killed worker of an earlier run, if nobody took its work back
        if any(back.values()):
            logger.warning("fleet: took back the in-flight requests of dead workers: %s", back)
        logger.info("fleet worker %s joined %s", self.worker, self.state.keys.name)
        self.timer = create_looping_call(self.tick)
        self.timer.start(self.lease_seconds / 3, now=False)
        self.waker = create_looping_call(self.wake)
        self.waker.start(self.crawler.settings.getfloat("GOVCRAWL_FLEET_WAKE_SECONDS"), now=False)

    def wake(self) -> None:
        """An idle engine looks at its scheduler, and asks whether it may close, only every 5 s:
        it is woken when work reaches the frontier, or when the workers it waited for are done
        (without this, each fleet run ended up to 5 s after its last request)."""
        slot = self.crawler.engine._slot
        if slot is None or slot.inprogress:
            return
        if self.state.frontier_size() or (self.waiting_for_others and not self.state.busy_elsewhere(self.worker)):
            slot.nextcall.schedule()

    def heartbeat(self) -> None:
        self.state.server.set(self.state.keys.alive(self.worker), "1", px=int(self.lease_seconds * 1000))

    def tick(self) -> None:
        self.heartbeat()
        self.release_stored()
        back = self.state.reclaim_dead()
        if any(back.values()):
            logger.warning("fleet: took back the in-flight requests of dead workers: %s", back)

    def release_stored(self) -> None:
        """Clear the leases of the requests whose rows are committed."""
        held = self.scheduler.held
        if not held:
            return
        in_progress = self.crawler.engine._slot.inprogress
        finished = [lease for lease, request in held.items() if request not in in_progress]
        if not finished:
            return
        store = CrawlRecorder.of(self.crawler).store
        store.flush()
        if store.write_error:  # not stored: they stay in flight and come back if this worker dies
            return
        self.tell_list_pages()  # before the leases go: a worker that sees none in flight sees the count
        self.state.server.hdel(self.state.keys.inflight(self.worker), *finished)
        for lease in finished:
            del held[lease]

    def tell_list_pages(self) -> None:
        """Add this worker's new list pages to the fleet's count (a run with no list page
        reachable failed; in a fleet, that is judged on the whole fleet)."""
        own = self.crawler.stats.get_value("govcrawl/list_pages", 0)
        if own > self.list_pages_told:
            self.state.server.incrby(self.state.keys.list_pages, own - self.list_pages_told)
            self.list_pages_told = own

    def spider_idle(self, spider) -> None:
        self.tick()
        self.tell_list_pages()
        # Others first: a worker pushes what a request yields before it clears that request's
        # lease, so once nobody holds anything, the frontier already shows all there is.
        self.waiting_for_others = self.state.busy_elsewhere(self.worker)
        if self.waiting_for_others:
            logger.info("fleet: other workers still busy; waiting")
            raise DontCloseSpider
        if self.state.frontier_size():
            raise DontCloseSpider  # the engine takes them at its next turn
        fleet_list_pages = int(self.state.server.get(self.state.keys.list_pages) or 0)
        self.crawler.stats.set_value("govcrawl/fleet/list_pages", fleet_list_pages)

    def spider_closed(self, spider, reason: str) -> None:
        for timer in (self.timer, self.waker):
            if timer is not None and timer.running:
                timer.stop()
        state = self.state
        state.server.delete(state.keys.alive(self.worker))
        if state.in_flight(self.worker):
            return  # interrupted: a live worker or the next run takes back what it held
        state.server.srem(state.keys.workers, self.worker)
        if reason == "finished" and not state.workers() and not state.frontier_size():
            state.end_run()
            logger.info("fleet run %s finished; its duplicate filter and seeds cleared", state.keys.name)
