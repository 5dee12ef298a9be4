"""Pages that need a browser: when a request goes to Chromium, and how Chromium is run.

- `BrowserRoutingMiddleware` (downloader middleware) sends a request to the browser when the
  site profile marks its URL `render: browser`, or re-requests a page in the browser when its
  plain response shows the signs of a script-built page (pipelines.browser_signs). The reason
  goes with the request (meta `govcrawl_browser_reason`) into `fetches.browser_reason`.
- scrapy-playwright's download handler does the rendering; it handles only requests with
  meta `playwright=True`, every other request takes Scrapy's plain HTTP path. The
  `LazyChromiumProvider` starts Playwright and Chromium on the first browser request only, so
  a crawl that needs no browser never starts one, and remembers a failed start so each later
  page fails at once with the same clear error.
- `BrowserAddon` fills in scrapy-playwright's launch options from GOVCRAWL_CHROMIUM (the
  browser binary) and GOVCRAWL_PROXY (the same proxy as plain requests).
- `watch_page` collects what the browser exchanged for a page (the documents it loaded,
  including a JS check it passed, and the data its scripts fetched) so the fetch recorder can
  keep the raw bytes next to the rendered HTML.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import Page
from playwright.async_api import Request as PlaywrightRequest
from playwright.async_api import Response as PlaywrightResponse
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy_playwright.page import PageMethod
from scrapy_playwright.provider import PlaywrightBrowserProvider

from pipelines.browser_signs import browser_reason

# Debian's chromium: /usr/bin/chromium is a shell wrapper that prints noise and adds flags;
# the binary it runs launches cleanly under Playwright, so it is preferred when present.
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
# Keep Chromium from talking to anything but the pages it is sent to (background services).
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-gpu",
    "--disable-quic",
    "--no-pings",
    "--disable-features=NetworkTimeServiceQuerying",
]
# A browser request must not be conditional: a 304 leaves Chromium an empty page (see the
# dependency notes), so a revalidated browser page is rendered again and compared by body.
CONDITIONAL_HEADERS = (b"If-None-Match", b"If-Modified-Since")
# Nothing here is needed to read a page's text or links.
ABORTED_RESOURCE_TYPES = frozenset({"image", "media", "font"})
PROFILE_REASON = "profile"


def default_chromium() -> str:
    return next((path for path in CHROMIUM_CANDIDATES if Path(path).exists()), CHROMIUM_CANDIDATES[-1])


def launch_options(chromium: str, proxy: str | None) -> dict:
    options: dict = {"executable_path": chromium, "headless": True, "args": list(CHROMIUM_ARGS)}
    if proxy:
        options["proxy"] = {"server": proxy}
    return options


class BrowserAddon:
    """Scrapy add-on: scrapy-playwright's launch options from govcrawl's own settings."""

    def update_settings(self, settings: BaseSettings) -> None:
        chromium = settings.get("GOVCRAWL_CHROMIUM") or default_chromium()
        options = launch_options(chromium, settings.get("GOVCRAWL_PROXY") or None)
        options.update(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))  # explicit settings win
        settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", options, priority="addon")


class BrowserUnavailable(RuntimeError):
    """No browser could be started: the page that needed one is recorded with this error."""


class LazyChromiumProvider(PlaywrightBrowserProvider):
    """Starts Playwright and Chromium at the first browser request, never at crawl start."""

    def __init__(self, config) -> None:
        super().__init__(config)
        self.failure: str | None = None

    async def start(self) -> None:  # called at engine start: deliberately nothing
        return None

    async def launch_browser(self):
        if self.failure:
            raise BrowserUnavailable(self.failure)
        try:
            if self.playwright is None:
                await super().start()
            return await super().launch_browser()
        except Exception as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            path = self.config.launch_options.get("executable_path")
            self.failure = f"no usable browser: Chromium at {path} could not be started ({first_line})"
            raise BrowserUnavailable(self.failure) from error


def abort_heavy_resources(request: PlaywrightRequest) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: skip images, media and fonts."""
    return request.resource_type in ABORTED_RESOURCE_TYPES


async def watch_page(page: Page, request: Request) -> None:
    """playwright_page_init_callback: note each response of the page, and add a last page
    method that waits for the scripts to settle and reads the bodies while the page is open."""
    responses: list[PlaywrightResponse] = []

    def note(response: PlaywrightResponse) -> None:  # Playwright wants a function, not a bound builtin
        responses.append(response)

    page.on("response", note)

    async def settle_and_collect(page: Page) -> None:
        await page.wait_for_load_state("networkidle")
        request.meta["govcrawl_browser_exchanges"] = await asyncio.gather(
            *(exchange(page, response) for response in responses)
        )

    request.meta["playwright_page_methods"] = [PageMethod(settle_and_collect)]


async def exchange(page: Page, response: PlaywrightResponse) -> dict:
    """One HTTP exchange of the browser: url, status, headers, body (None when Chromium no
    longer has it, e.g. a JS check page it navigated away from: `missing` says so; that is
    not a failed request), and whether it was a document of the page itself."""
    try:
        body, missing = await response.body(), None
    except Exception:  # Playwright's Error: the body is gone once the page navigated away
        body, missing = None, "body not kept by the browser: the page navigated away"
    return {
        "url": response.url,
        "status": response.status,
        "headers": {k: [v] for k, v in (await response.all_headers()).items()},
        "body": body,
        "missing": missing,
        "document": response.request.is_navigation_request() and response.frame == page.main_frame,
        "resource_type": response.request.resource_type,
    }


def raw_document(exchanges: list[dict]) -> dict | None:
    """The last document the page loaded: the server's bytes behind the rendered HTML."""
    return next((e for e in reversed(exchanges) if e["document"] and e["body"] is not None), None)


class BrowserRoutingMiddleware:
    """Decide which requests go to the browser, and say why.

    Placed just before the fetch recorder (which is nearer the downloader), so a plain
    response that turns out to need the browser has been recorded before it is fetched again.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserRoutingMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("playwright"):
            profile = getattr(self.crawler.spider, "profile", None)
            if profile is None or not profile.needs_browser(request.url):
                return
            request.meta["playwright"] = True
            request.meta["govcrawl_browser_reason"] = PROFILE_REASON
        for name in CONDITIONAL_HEADERS:
            request.headers.pop(name, None)
        request.meta.setdefault("playwright_page_init_callback", "govcrawl.browser.watch_page")
        self.crawler.stats.inc_value(
            f"govcrawl/browser/requests/{request.meta.get('govcrawl_browser_reason', 'other')}"
        )

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("playwright") or response.status != 200 or not is_html(response):
            return response
        reason = browser_reason(response.body)
        if reason is None:
            return response
        meta = {k: v for k, v in request.meta.items() if not k.startswith("govcrawl_fetch")}
        meta.update(playwright=True, govcrawl_browser_reason=reason)
        return request.replace(meta=meta, dont_filter=True)


def is_html(response: Response) -> bool:
    content_type = (response.headers.get("Content-Type") or b"").lower()
    return b"html" in content_type or (not content_type and b"<html" in response.body[:1024].lower())
