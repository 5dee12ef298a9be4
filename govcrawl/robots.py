"""robots.txt read as RFC 9309 says, and in a fleet fetched once per host for every worker.

Scrapy's RobotsTxtMiddleware parses whatever body answers /robots.txt and, when the fetch
fails for any reason, obeys nothing for that host: an error page, a 503 or a request a
middleware refused all become "everything allowed", without a word. RFC 9309 (2.3.1) reads
the answer by its status instead:

- 2xx: the rules in the body;
- 4xx, and a redirect chain given up (3xx): "unavailable", no rules, everything allowed;
- 5xx, 429, any other status, and a fetch that failed: "unreachable", the crawler must assume
  complete disallow. An answer whose status is one RETRY_HTTP_CODES names (a 503, a 429) is
  asked again first, RETRY_TIMES times, as a page would be; the host gate pauses the host for
  its Retry-After, or drops it when that is longer than GOVCRAWL_MAX_RETRY_AFTER (a busy
  portal answering one burst with 429 is not lost for the run). Still unreachable after
  that, the host is dropped for the run through the host gate
  (govcrawl.hosts), so each of its requests is refused with its own fetch row
  (`robots unreachable: …`) instead of being sent unchecked.

In a fleet (REDIS_URL), the first worker to need a host's rules takes the fleet's lease to
fetch them and leaves the rules in Redis (`<fleet>:robots`, by host) for the run; the other
workers wait for them instead of fetching robots.txt again. A lease whose worker died
expires, and a fetch that failed leaves nothing behind, so the next worker tries itself.

Subclassed rather than rewritten: Scrapy's middleware keeps doing the fetching, caching per
host and matching (Protego); only the reading of the answer and the fleet's sharing are ours.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from govcrawl.failures import HOST_DOWN_CLASSES, classify, describe
from govcrawl.hosts import HostGateMiddleware
from govcrawl.middlewares import FORCED_SHUTDOWN_STAT, STOPPED_BEFORE_DONE

logger = logging.getLogger(__name__)

# How the redirect guard (govcrawl.offsite) and Scrapy's RedirectMiddleware refuse a hop.
GIVEN_UP_REDIRECTS = ("off-site redirect:", "redirect loop:", "bad redirect scheme:", "max redirections")


def rules_body(status: int, body: bytes) -> bytes | None:
    """The robots.txt rules an answer gives (RFC 9309 2.3.1): the body of a 2xx; no rules
    (b"") for a 4xx or a redirect chain given up; None when the host is unreachable for robots:
    a 5xx, a 429 (a host asking us to slow down has not said we may go anywhere), a 304 (we
    never send a conditional robots.txt request, so there is nothing to read) or any other."""
    if 200 <= status < 300:
        return body
    if status in (304, 429):
        return None
    if 300 <= status < 500:
        return b""
    return None


class RobotsRulesMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.asked_again: dict[str, int] = {}  # host -> robots.txt asked again after a 503 or 429
        self.fleet = None
        if crawler.settings.get("REDIS_URL") and crawler.settings.get("GOVCRAWL_WORKER_ID"):
            from scrapy_redis.connection import get_redis_from_settings

            from govcrawl.fleet.state import FleetState

            self.fleet = FleetState(get_redis_from_settings(crawler.settings), crawler.settings.get("GOVCRAWL_FLEET_NAME"))
            self.worker = crawler.settings.get("GOVCRAWL_WORKER_ID")
            # no robots.txt fetch lasts longer than its timeout; the lease outlives it a little
            self.lease_seconds = crawler.settings.getfloat("GOVCRAWL_HOST_TIMEOUT") + crawler.settings.getfloat(
                "GOVCRAWL_FLEET_LEASE_SECONDS"
            )
            self.poll_seconds = crawler.settings.getfloat("GOVCRAWL_FLEET_POLL_SECONDS")

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        if self.fleet is None or netloc in self._parsers:
            return await super().robot_parser(request)
        # Other requests to the host wait on this while the fleet's rules are looked up.
        waiting = self._parsers[netloc] = Deferred()
        try:
            shared = await self.fleet_rules(netloc)
        except Exception as error:  # Redis gone: the requests waiting fail with it, the next one asks again
            del self._parsers[netloc]
            waiting.errback(error)
            waiting.addErrback(lambda _: None)  # delivered to those waiting; nothing left unhandled
            raise
        if shared is not None:
            self.crawler.stats.inc_value("robotstxt/shared_by_fleet")
            parser = self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, shared)
        else:  # this worker holds the fleet's lease: fetch as Scrapy does
            del self._parsers[netloc]
            parser = await super().robot_parser(request)
        waiting.callback(parser)
        return parser

    async def fleet_rules(self, netloc: str) -> bytes | None:
        """The rules another worker of the fleet fetched, waiting while one is fetching them;
        None once this worker holds the lease to fetch them itself."""
        while True:
            shared = self.fleet.robots_rules(netloc)
            if shared is not None:
                return shared
            if self.fleet.take_robots_fetch(netloc, self.worker, self.lease_seconds):
                # another worker may have shared the rules and given the lease back since we looked
                shared = self.fleet.robots_rules(netloc)
                if shared is None:
                    return None
                self.fleet.release_robots_fetch(netloc, self.worker)
                return shared
            await asyncio.sleep(self.poll_seconds)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        rules = rules_body(response.status, response.body)
        if rules is None and self.asks_again(response, netloc):
            self._stats.inc_value("robotstxt/asked_again")
            self.asked_again[netloc] = self.asked_again.get(netloc, 0) + 1
            again = Request(response.url, priority=self.DOWNLOAD_PRIORITY, meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
            await self._parse_robots(await self.crawler.engine.download_async(again), netloc, request)
            return
        if rules is None:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            self.settle(netloc, self.unreachable(netloc, f"HTTP {response.status}"))
            return
        if self.fleet is not None:
            self.fleet.share_robots_rules(netloc, rules, self.worker)
        await super()._parse_robots(response.replace(body=rules), netloc, request)

    def asks_again(self, response: Response, netloc: str) -> bool:
        """An answer to retry, as RetryMiddleware would a page's, unless the host gate has
        dropped the host meanwhile (a Retry-After longer than it waits)."""
        settings = self.crawler.settings
        host = urlsplit(f"//{netloc}").hostname or netloc
        gate = HostGateMiddleware.of(self.crawler)
        return (
            response.status in {int(code) for code in settings.getlist("RETRY_HTTP_CODES")}
            and self.asked_again.get(netloc, 0) < settings.getint("RETRY_TIMES")
            and (gate is None or host not in gate.dropped)
        )

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if not isinstance(exc, IgnoreRequest):
            self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        elif str(exc).startswith(GIVEN_UP_REDIRECTS):
            # RFC 9309 2.3.1.2: a redirect chain not followed to its end is "unavailable", no rules
            self._stats.inc_value("robotstxt/redirect_given_up")
            if self.fleet is not None:
                self.fleet.share_robots_rules(netloc, b"", self.worker)
            self.settle(netloc, build_from_crawler(self._parserimpl, self.crawler, b""))
            return
        if self._stats.get_value(FORCED_SHUTDOWN_STAT) or classify(exc) in HOST_DOWN_CLASSES:
            # our own shutdown cancelled the fetch (the host said nothing), or the host gate
            # has dropped the host as not answering
            parser = None
        else:
            parser = self.unreachable(netloc, describe(exc, f"http://{netloc}/robots.txt"))
        self.settle(netloc, parser)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        if rp is None and self._stats.get_value(FORCED_SHUTDOWN_STAT):
            raise IgnoreRequest(STOPPED_BEFORE_DONE)  # rules never known: nothing is sent unchecked
        super().process_request_2(rp, request)

    def settle(self, netloc: str, parser: RobotParser | None) -> None:
        """The host's rules are known (or known to be unknowable): the requests waiting go on."""
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        try:
            if self.fleet is not None:  # nothing to share: the next worker tries itself
                self.fleet.release_robots_fetch(netloc, self.worker)
        finally:  # the requests waiting go on even when Redis does not answer
            if isinstance(waiting, Deferred):
                waiting.callback(parser)

    def unreachable(self, netloc: str, why: str) -> RobotParser | None:
        """No rules can be known, so no request to the host may be sent (RFC 9309: complete
        disallow). The host gate drops the host, recording each refused request; without the
        gate (a crawl configured otherwise) the host's rules become "disallow everything"."""
        self._stats.inc_value("robotstxt/unreachable")
        host = urlsplit(f"//{netloc}").hostname or netloc
        reason = f"robots unreachable: robots.txt of {host} could not be read ({why}); request dropped"
        gate = HostGateMiddleware.of(self.crawler)
        if gate is None:
            logger.warning("no request to host %s for this run: %s", host, reason)
            return build_from_crawler(self._parserimpl, self.crawler, b"User-agent: *\nDisallow: /\n")
        gate.drop_host(host, reason)
        return None
