"""At most CONCURRENT_REQUESTS_PER_DOMAIN downloads at once per host over the whole fleet.

Scrapy's own limit counts one process; here each download first takes one of the host's
slots in Redis (`host:<host>`, a sorted set of tokens with their expiry) and gives it back
when its answer or error comes. A slot taken by a worker that died expires after
DOWNLOAD_TIMEOUT plus GOVCRAWL_FLEET_LEASE_SECONDS (no download lasts longer), so a killed
worker cannot block a host for long. The robots.txt preflight takes a slot like any request.

The middleware sits next to the download handler (after every other middleware's
process_request, before every process_response), so the slot covers the exchange itself
and nothing else. A request waiting for a slot polls every GOVCRAWL_FLEET_POLL_SECONDS;
while it waits it counts against the worker's CONCURRENT_REQUESTS like a download, and it
holds the worker's scheduler back from taking more (govcrawl.fleet.scheduler).

robots.txt is fetched once per host for the whole fleet and shared through Redis
(govcrawl.robots).
"""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy_redis.connection import get_redis_from_settings

from govcrawl.fleet.state import FleetState

SLOT = "govcrawl_fleet_host_slot"


class FleetHostLimitMiddleware:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.state = FleetState(get_redis_from_settings(settings), settings.get("GOVCRAWL_FLEET_NAME"))
        self.limit = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.lease_seconds = settings.getfloat("DOWNLOAD_TIMEOUT") + settings.getfloat("GOVCRAWL_FLEET_LEASE_SECONDS")
        self.poll_seconds = settings.getfloat("GOVCRAWL_FLEET_POLL_SECONDS")
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FleetHostLimitMiddleware:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).hostname or ""
        token = uuid.uuid4().hex
        waited = False
        while not self.state.acquire_host(host, self.limit, self.lease_seconds, token):
            waited = True
            await asyncio.sleep(self.poll_seconds)
        if waited:
            self.crawler.stats.inc_value("govcrawl/fleet/host_waits")
        request.meta[SLOT] = (host, token)

    def release(self, request: Request) -> None:
        slot = request.meta.pop(SLOT, None)
        if slot is not None:
            self.state.release_host(*slot)

    def process_response(self, request: Request, response: Response) -> Response:
        self.release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self.release(request)
