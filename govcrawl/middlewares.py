"""Downloader middlewares: route through the configured proxy, record every exchange."""

from __future__ import annotations

import time

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response

from govcrawl.browser import raw_document
from govcrawl.failures import describe
from govcrawl.recorder import CrawlRecorder
from pipelines.store import FetchRecord, utc_now


def header_dict(headers: Headers) -> dict[str, list[str]]:
    """Scrapy's Headers as {name: [values]}. Read through dict's own items(): Headers stores
    names and values already normalised (bytes, lists), and its items() would normalise each
    name again in getlist(), on every exchange."""
    return {key.decode("latin-1"): [value.decode("latin-1") for value in values] for key, values in dict.items(headers)}


# Set by middlewares nearer the downloader (compression, redirect guard, host gate): this
# response is not to be used; the recorder stores the exchange with this error and drops it.
DROP = "govcrawl_drop"
ORIGINAL_ENCODING = "govcrawl_content_encoding"
# Set by govcrawl.shutdown once it has aborted the downloads still open after the grace period.
FORCED_SHUTDOWN_STAT = "govcrawl/shutdown/forced"
STOPPED_BEFORE_DONE = "cancelled: the crawl was stopped (SIGTERM) before this download finished"


def record_unsent(crawler: Crawler, request: Request, error: str) -> int:
    """A request we decided not to send still gets its own `fetches` row (status NULL)."""
    recorder = CrawlRecorder.of(crawler)
    referer = request.headers.get("Referer")
    return recorder.store.record_fetch(
        FetchRecord(
            run_id=recorder.run_id,
            url=request.url,
            method=request.method,
            referer=referer.decode("latin-1") if referer else None,
            via="browser" if request.meta.get("playwright") else "http",
            error=error,
        )
    )


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

    Placed near the downloader (order 950), so it sees every response before retry and
    redirect handling (a 500 that is retried and each hop of a redirect chain are their own
    rows) and every download exception before it is retried; only the decoding of
    compressed bodies and the verdicts that need the raw exchange (meta `govcrawl_drop`)
    sit nearer. A response with a verdict is recorded with it as its error, then dropped.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchRecorderMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        request.meta["govcrawl_fetch_started"] = (time.monotonic(), utc_now())
        request.meta["govcrawl_bytes_received"] = 0

    def bytes_received(self, data: bytes, request: Request, spider=None) -> None:
        # Scrapy cancels a body without Content-Length past DOWNLOAD_MAXSIZE with an empty
        # message; the count tells that cancellation from others.
        request.meta["govcrawl_bytes_received"] = request.meta.get("govcrawl_bytes_received", 0) + len(data)

    def process_response(self, request: Request, response: Response) -> Response:
        drop = request.meta.pop(DROP, None)
        redirect_to = response.headers.get("Location") if 300 <= response.status < 400 else None
        exchanges = request.meta.pop("govcrawl_browser_exchanges", None) or []
        document = raw_document(exchanges)
        headers = header_dict(response.headers)
        original_encoding = request.meta.pop(ORIGINAL_ENCODING, None)
        if document and "content-encoding" in document["headers"]:
            # scrapy-playwright drops it too (Chromium has decoded the page): the server's word
            original_encoding = document["headers"]["content-encoding"]
        if original_encoding and not any(key.lower() == "content-encoding" for key in headers):
            headers["Content-Encoding"] = original_encoding  # Scrapy drops it once decoded
        self._record(
            request,
            status=response.status,
            headers=headers,
            body=response.body,
            redirect_to=response.urljoin(redirect_to.decode("latin-1")) if redirect_to else None,
            error=drop or (f"HTTP {response.status}" if response.status >= 400 else None),
            raw_body=document["body"] if document else None,
        )
        # The browser's other exchanges for this page (a JS check it passed, the data its
        # scripts fetched) are rows of their own, so nothing the server sent goes unrecorded.
        for other in exchanges:
            if other is not document:
                self._record_browser_exchange(request, other)
        if drop:
            raise IgnoreRequest(drop)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        # Only exchanges that were attempted: an earlier middleware may have refused the
        # request (robots.txt) before it reached the downloader.
        if "govcrawl_fetch_started" in request.meta:
            self._record(request, error=self.failure_message(request, exception))

    def failure_message(self, request: Request, exception: Exception) -> str:
        message = describe(exception, request.url)
        kind = message.split(":", 1)[0]
        limit = request.meta.get("download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        if kind == "cancelled" and limit and request.meta.get("govcrawl_bytes_received", 0) > limit:
            return f"too large: body over DOWNLOAD_MAXSIZE ({limit} bytes), no Content-Length; download stopped"
        if kind in ("cancelled", "connection lost") and self.crawler.stats.get_value(FORCED_SHUTDOWN_STAT):
            return STOPPED_BEFORE_DONE
        return message

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
