"""Downloader middlewares: route through the configured proxy, record every exchange."""

from __future__ import annotations

import time

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from govcrawl.browser import raw_document
from govcrawl.recorder import CrawlRecorder
from pipelines.store import FetchRecord, utc_now


def header_dict(headers) -> dict[str, list[str]]:
    return {
        key.decode("latin-1"): [value.decode("latin-1") for value in values]
        for key, values in headers.items()
    }


class ProxyMiddleware:
    """Send every request (robots.txt included) through GOVCRAWL_PROXY when it is set.

    This is how the replica portal is reached: it answers as an HTTP proxy for the real
    hostnames, so the site profile is the same in production and in tests.
    """

    def __init__(self, proxy: str | None):
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProxyMiddleware:
        return cls(crawler.settings.get("GOVCRAWL_PROXY") or None)

    def process_request(self, request: Request) -> None:
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy


class FetchRecorderMiddleware:
    """Record each HTTP exchange in `fetches`, success or not.

    Placed next to the downloader (order 950), so it sees every response before retry and
    redirect handling (a 500 that is retried and each hop of a redirect chain are their own
    rows) and every download exception before it is retried.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchRecorderMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        request.meta["govcrawl_fetch_started"] = (time.monotonic(), utc_now())

    def process_response(self, request: Request, response: Response) -> Response:
        redirect_to = response.headers.get("Location") if 300 <= response.status < 400 else None
        exchanges = request.meta.pop("govcrawl_browser_exchanges", None) or []
        document = raw_document(exchanges)
        self._record(
            request,
            status=response.status,
            headers=header_dict(response.headers),
            body=response.body,
            redirect_to=response.urljoin(redirect_to.decode("latin-1")) if redirect_to else None,
            error=f"HTTP {response.status}" if response.status >= 400 else None,
            raw_body=document["body"] if document else None,
        )
        # The browser's other exchanges for this page (a JS check it passed, the data its
        # scripts fetched) are rows of their own, so nothing the server sent goes unrecorded.
        for other in exchanges:
            if other is not document:
                self._record_browser_exchange(request, other)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        # Only exchanges that were attempted: an earlier middleware may have refused the
        # request (robots.txt) before it reached the downloader.
        if "govcrawl_fetch_started" in request.meta:
            self._record(request, error=f"{type(exception).__name__}: {exception}")

    def _record_browser_exchange(self, request: Request, exchange: dict) -> None:
        recorder = CrawlRecorder.of(self.crawler)
        recorder.store.record_fetch(
            FetchRecord(
                run_id=recorder.run_id,
                url=exchange["url"],
                status=exchange["status"],
                headers=exchange["headers"],
                body=exchange["body"],
                referer=request.url,
                via="browser",
                fetched_at=request.meta["govcrawl_fetched_at"],
                error=f"HTTP {exchange['status']}" if exchange["status"] >= 400 else None,
                browser_reason=f"{exchange['resource_type']} of the page"
                + (f" ({exchange['missing']})" if exchange["missing"] else ""),
            )
        )

    def _record(self, request: Request, **fields) -> None:
        recorder = CrawlRecorder.of(self.crawler)
        started, fetched_at = request.meta.pop("govcrawl_fetch_started")
        browser = bool(request.meta.get("playwright"))
        referer = request.headers.get("Referer")
        request.meta["govcrawl_fetch_id"] = recorder.store.record_fetch(
            FetchRecord(
                run_id=recorder.run_id,
                url=request.url,
                method=request.method,
                request_headers=header_dict(request.headers),
                referer=referer.decode("latin-1") if referer else None,
                via="browser" if browser else "http",
                browser_reason=request.meta.get("govcrawl_browser_reason") if browser else None,
                fetched_at=fetched_at,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
                **fields,
            )
        )
        request.meta["govcrawl_fetched_at"] = fetched_at
        request.meta["govcrawl_fetch_error"] = fields.get("error")
