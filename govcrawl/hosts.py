"""Hosts that do not answer, or ask us to stay away: give up on them after a bounded time.

- Preflight: robots.txt is the first request to each host (RobotsTxtMiddleware holds the
  host's other requests until it is answered). It gets GOVCRAWL_HOST_TIMEOUT instead of
  DOWNLOAD_TIMEOUT and no retries. If it fails with a timeout, a refused connection or an
  unknown name, the host is dropped for the run, and each of its requests, the ones waiting
  for robots.txt and the ones still queued, is dropped with its own fetch row
  (`host not answering: …`) instead of waiting out its own timeout.
- Retry-After on a 429 or 503: up to GOVCRAWL_MAX_RETRY_AFTER seconds, the host's download
  slot is paused that long (its queue waits, other hosts go on) and RetryMiddleware retries
  as usual; a longer wait drops the host for the run (`retry-after: …` on the fetch, its
  queued requests dropped as above).

Pausing uses the downloader slot's `latercall`, the same timer Scrapy uses for
DOWNLOAD_DELAY: Scrapy has no public per-host pause, and sleeping inside a middleware would
hold the request in the downloader and so stall other hosts too.
"""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import call_later
from scrapy.utils.httpobj import urlparse_cached

from govcrawl.failures import HOST_DOWN_CLASSES, classify, describe
from govcrawl.middlewares import DROP

logger = logging.getLogger(__name__)

RETRY_AFTER_STATUSES = (429, 503)


def is_preflight(request: Request) -> bool:
    """The robots.txt request RobotsTxtMiddleware sends before anything else to a host."""
    return bool(request.meta.get("dont_obey_robotstxt")) and urlsplit(request.url).path == "/robots.txt"


def retry_after_seconds(value: bytes | None, now: float | None = None) -> float | None:
    """Retry-After as seconds to wait: delay-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class HostGateMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.host_timeout = crawler.settings.getfloat("GOVCRAWL_HOST_TIMEOUT")
        self.max_retry_after = crawler.settings.getfloat("GOVCRAWL_MAX_RETRY_AFTER")
        self.dropped: dict[str, str] = {}  # host -> what each of its dropped requests records
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGateMiddleware:
        return cls(crawler)

    @classmethod
    def of(cls, crawler: Crawler) -> HostGateMiddleware | None:
        """The crawl's host gate, if its downloader has one."""
        for middleware in crawler.engine.downloader.middleware.middlewares:
            if isinstance(middleware, cls):
                return middleware
        return None

    def process_request(self, request: Request) -> None:
        if is_preflight(request):
            request.meta["download_timeout"] = self.host_timeout
            request.meta["dont_retry"] = True
            return
        reason = self.dropped and self.dropped.get(urlparse_cached(request).hostname or "")
        if reason:
            self.crawler.stats.inc_value("govcrawl/dropped/host")
            raise IgnoreRequest(reason)  # the fetch recorder records it, status NULL

    def process_exception(self, request: Request, exception: Exception) -> None:
        if is_preflight(request) and classify(exception) in HOST_DOWN_CLASSES:
            host = urlsplit(request.url).hostname or ""
            self.drop_host(
                host,
                f"host not answering: {host} gave no answer to robots.txt within {self.host_timeout:g} s"
                f" ({describe(exception, request.url)}); request dropped",
            )

    def response_downloaded(self, response: Response, request: Request, spider=None) -> None:
        """Sent before the host's download slot takes its next request (as for AutoThrottle),
        so a pause or a drop applies to the very next one."""
        if response.status not in RETRY_AFTER_STATUSES:
            return
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            return
        host = urlsplit(request.url).hostname or ""
        if wait > self.max_retry_after:
            message = (
                f"retry-after: {response.status} asked to wait {wait:.0f} s, more than"
                f" GOVCRAWL_MAX_RETRY_AFTER {self.max_retry_after:g} s; host dropped for this run"
            )
            request.meta.setdefault(DROP, message)
            self.drop_host(host, f"retry-after: {host} asked to wait {wait:.0f} s; host dropped, request not sent")
        else:
            self.pause(request, wait)

    def drop_host(self, host: str, reason: str) -> None:
        if host in self.dropped:
            return
        self.dropped[host] = reason
        self.crawler.stats.inc_value("govcrawl/dropped_hosts")
        logger.warning("dropping host %s for this run: %s", host, reason)
        # Requests of the host already waiting in its download slot fail now, each with the
        # reason (the fetch recorder records them), instead of being sent.
        for slot in self.crawler.engine.downloader.slots.values():
            waiting = [entry for entry in slot.queue if urlsplit(entry[0].url).hostname == host]
            for entry in waiting:
                slot.queue.remove(entry)
                self.crawler.stats.inc_value("govcrawl/dropped/host")
                entry[1].errback(IgnoreRequest(reason))

    def pause(self, request: Request, wait: float) -> None:
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(request.meta.get(downloader.DOWNLOAD_SLOT))
        if slot is None:
            return
        if slot.latercall is not None:
            slot.latercall.cancel()
        slot.latercall = call_later(wait, downloader._latercall, slot)
        self.crawler.stats.inc_value("govcrawl/retry_after_pauses")
        logger.info("%s asked to wait %.0f s (Retry-After); its queue is paused", slot, wait)
