"""Stop within a bounded time after SIGTERM/SIGINT, even with downloads hanging.

Scrapy's graceful shutdown closes the spider only once every download in flight has ended,
which on a host that accepts connections and never answers takes DOWNLOAD_TIMEOUT (and the
requests that were waiting for robots.txt start new downloads after it). This extension
watches for the engine stopping or the spider closing; GOVCRAWL_SHUTDOWN_GRACE seconds later
it aborts every outgoing connection still open, once a second, until the spider has closed.
The aborted downloads fail like any other (each recorded as `cancelled: …`), the spider
closes with reason `shutdown`, and the run is stored as interrupted.

Hand-written because Scrapy keeps no handle on the downloads in flight: the open TCP client
connections of the reactor are what can be closed.
"""

from __future__ import annotations

import logging
import time

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import reactor, tcp
from twisted.internet.task import LoopingCall

from govcrawl.middlewares import FORCED_SHUTDOWN_STAT

logger = logging.getLogger(__name__)


def abort_client_connections() -> int:
    """Abort every outgoing TCP connection of the reactor (connecting or connected)."""
    aborted = 0
    for selectable in {*reactor.getReaders(), *reactor.getWriters()}:
        if not isinstance(selectable, tcp.Client):
            continue
        try:
            if selectable.connected:
                selectable.abortConnection()
            else:
                selectable.stopConnecting()
        except Exception:  # already closing: nothing left to abort
            continue
        aborted += 1
    return aborted


class ForcedShutdown:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.grace = crawler.settings.getfloat("GOVCRAWL_SHUTDOWN_GRACE")
        self.deadline: float | None = None
        self.watch = LoopingCall(self.check)
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ForcedShutdown:
        return cls(crawler)

    def engine_started(self) -> None:
        self.watch.start(1.0, now=False)

    def stopping(self) -> bool:
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        return not engine.running or (slot is not None and slot.closing is not None)

    def check(self) -> None:
        if not self.stopping():
            return
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + self.grace
            return
        if now >= self.deadline:
            self.crawler.stats.set_value(FORCED_SHUTDOWN_STAT, True)
            aborted = abort_client_connections()
            if aborted:
                logger.warning(
                    "shutdown: aborted %d download(s) still open %g s after the stop began", aborted, self.grace
                )

    def spider_closed(self, spider, reason: str) -> None:
        if self.watch.running:
            self.watch.stop()
