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
  browser binary), GOVCRAWL_PROXY (the same proxy as plain requests) and
  GOVCRAWL_CHROMIUM_SANDBOX: Chromium runs with its sandbox, and when the crawl runs as root
  (where Chromium refuses its sandbox) it is started as `nobody` by bin/chromium-unprivileged.
- The network guard: a page's scripts, frames and redirects must not turn the browser on our
  own network. `watch_page` routes every request of the page through `blocked_reason`: only
  the profile's allowed hosts (exact names, never an IP literal of loopback, private,
  link-local or unspecified space, nor `localhost`) are let through, the rest aborted, counted
  (`govcrawl/browser/blocked`) and logged once per page. A redirect Chromium follows without
  asking the route that lands on such a host fails the page (`BrowserBlocked`), and only the
  allowed exchanges are kept; without a proxy, Chromium's resolver also refuses local
  addresses (so such a redirect is not even sent). Service workers (which no page route sees) are blocked; a popup's
  requests meet the same guard through the context's route. This is hand-written because
  Playwright offers the hook (routes) but no host policy.
- `watch_page` collects what the browser exchanged for a page (the documents it loaded,
  including a JS check it passed, and the data its scripts fetched) so the fetch recorder can
  keep the raw bytes next to the rendered HTML.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Page, Route, WebSocketRoute
from playwright.async_api import Request as PlaywrightRequest
from playwright.async_api import Response as PlaywrightResponse
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy_playwright.page import PageMethod
from scrapy_playwright.provider import PlaywrightBrowserProvider

from pipelines.browser_signs import browser_reason

logger = logging.getLogger(__name__)

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


# Started instead of Chromium when the crawl runs as root: runs it as an unprivileged user.
UNPRIVILEGED_WRAPPER = Path(__file__).with_name("bin") / "chromium-unprivileged"
# Schemes that never reach the network; anything else but http(s) is refused.
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})
# Browser contexts get these options (per request meta, so no context starts at crawl start).
CONTEXT_OPTIONS = {"service_workers": "block"}  # a service worker's requests bypass page routes
BLOCKED_STAT = "govcrawl/browser/blocked"
# Without a proxy, the network layer's own refusal of local addresses (IP literals included):
# it also covers a redirect hop, which Playwright continues without asking any route.
LOCAL_PATTERNS = (
    ["localhost", "*.localhost", "0.*", "127.*", "10.*", "192.168.*", "169.254.*"]
    + [f"172.{n}.*" for n in range(16, 32)]
    + ["[::]", "[::1]", "[fe80:*]", "[fc*]", "[fd*]", "[::ffff:*]"]
)
LOCAL_RESOLVER_RULES = "--host-resolver-rules=" + ", ".join(f"MAP {p} ~NOTFOUND" for p in LOCAL_PATTERNS)


def default_chromium() -> str:
    return next((path for path in CHROMIUM_CANDIDATES if Path(path).exists()), CHROMIUM_CANDIDATES[-1])


def launch_options(chromium: str, proxy: str | None, sandbox: bool = True, as_root: bool | None = None) -> dict:
    """Playwright's launch options. With `sandbox`, Chromium's own sandbox is on; as root,
    where Chromium refuses it, the wrapper starts the binary as `nobody`."""
    args = list(CHROMIUM_ARGS)
    executable = chromium
    if sandbox and (os.geteuid() == 0 if as_root is None else as_root):
        executable = str(UNPRIVILEGED_WRAPPER)
        args.append(f"--govcrawl-chromium={chromium}")
    options: dict = {"executable_path": executable, "headless": True, "args": args, "chromium_sandbox": sandbox}
    if proxy:  # Playwright adds `<-loopback>`: loopback URLs too go to the proxy, not around it
        options["proxy"] = {"server": proxy}
    else:  # Chromium resolves names itself: local addresses resolve to nothing, redirects included
        args.append(LOCAL_RESOLVER_RULES)
    return options


class BrowserAddon:
    """Scrapy add-on: scrapy-playwright's launch options from govcrawl's own settings."""

    def update_settings(self, settings: BaseSettings) -> None:
        chromium = settings.get("GOVCRAWL_CHROMIUM") or default_chromium()
        options = launch_options(
            chromium,
            settings.get("GOVCRAWL_PROXY") or None,
            sandbox=settings.getbool("GOVCRAWL_CHROMIUM_SANDBOX", True),
        )
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
        path = chromium_binary(self.config.launch_options)
        try:
            if not os.access(path, os.X_OK):  # said plainly, not as the wrapper's early exit
                raise FileNotFoundError("no executable file there")
            if self.playwright is None:
                await super().start()
            return await super().launch_browser()
        except Exception as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            self.failure = f"no usable browser: Chromium at {path} could not be started ({first_line})"
            raise BrowserUnavailable(self.failure) from error


def chromium_binary(options: dict) -> str:
    """The Chromium binary the launch options start (through the wrapper or not)."""
    prefix = "--govcrawl-chromium="
    named = [arg.removeprefix(prefix) for arg in options.get("args", ()) if arg.startswith(prefix)]
    return named[-1] if named else options.get("executable_path", "")


def abort_heavy_resources(request: PlaywrightRequest) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: skip images, media and fonts."""
    return request.resource_type in ABORTED_RESOURCE_TYPES


def blocked_reason(url: str, allowed_hosts: tuple[str, ...] | frozenset[str]) -> str | None:
    """Why the browser must not request `url` (None: it may). Only http(s) to one of the
    exact allowed hosts passes, and never to `localhost` or an IP literal of loopback, private,
    link-local, unspecified or other reserved space, whatever the profile lists."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in LOCAL_SCHEMES:
        return None
    if scheme not in ("http", "https", "ws", "wss"):
        return f"scheme {scheme or '(none)'}"
    host = (parts.hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return f"local host {host}"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        mapped = getattr(address, "ipv4_mapped", None) or address
        if not mapped.is_global or mapped.is_multicast:
            return f"local address {host}"
    if host not in allowed_hosts:
        return f"host {host or '(none)'} not allowed"
    return None


def request_guard(allowed_hosts: tuple[str, ...], blocked: list[str]):
    """A Playwright route handler: abort what `blocked_reason` refuses (noted in `blocked`),
    hand the rest on to the next route (scrapy-playwright's own)."""

    async def guard(route: Route) -> None:
        url = route.request.url
        if blocked_reason(url, allowed_hosts) is None:
            await route.fallback()
        else:
            blocked.append(url)
            await route.abort("blockedbyclient")

    return guard


def websocket_guard(allowed_hosts: tuple[str, ...], blocked: list[str]):
    """WebSockets are not seen by page routes: connect only those an allowed host serves."""

    async def guard(ws: WebSocketRoute) -> None:
        if blocked_reason(ws.url, allowed_hosts) is None:
            ws.connect_to_server()
        else:  # never connected to any server: the page's socket just closes
            blocked.append(ws.url)
            await ws.close(code=1008, reason="blocked")

    return guard


class BrowserBlocked(RuntimeError):
    """A page reached a host the browser may not talk to by a redirect no route could stop."""


async def watch_page(page: Page, request: Request) -> None:
    """playwright_page_init_callback: guard the page's network, note each response of the
    page, and add a last page method that waits for the scripts to settle and reads the
    bodies of the allowed exchanges while the page is open."""
    hosts = tuple(request.meta.get("govcrawl_browser_hosts") or (urlsplit(request.url).hostname,))
    blocked: list[str] = request.meta.setdefault("govcrawl_browser_blocked", [])
    # Registered after scrapy-playwright's route, so it runs first (Playwright runs the last
    # registered route first) and hands allowed requests on with fallback().
    await page.route("**", request_guard(hosts, blocked))
    await page.route_web_socket("**", websocket_guard(hosts, blocked))
    await guard_context(page, hosts)
    responses: list[PlaywrightResponse] = []
    slipped: list[str] = []

    def note(response: PlaywrightResponse) -> None:  # Playwright wants a function, not a bound builtin
        responses.append(response)

    def note_redirect(pw_request: PlaywrightRequest) -> None:
        # Playwright continues redirects without asking the route: see where they went.
        if pw_request.redirected_from is not None and blocked_reason(pw_request.url, hosts):
            slipped.append(pw_request.url)

    page.on("response", note)
    page.on("request", note_redirect)
    page.on("popup", close_popup)  # reading a page never needs one; the context guard covers it

    async def settle_and_collect(page: Page) -> None:
        await page.wait_for_load_state("networkidle")
        if slipped:
            blocked.extend(slipped)
            raise BrowserBlocked(
                f"blocked: the page was redirected to {slipped[0]}, a host the browser may not"
                " talk to; page not kept"
            )
        allowed = [r for r in responses if blocked_reason(r.url, hosts) is None]
        request.meta["govcrawl_browser_exchanges"] = await asyncio.gather(
            *(exchange(page, response) for response in allowed)
        )

    request.meta["playwright_page_methods"] = [PageMethod(settle_and_collect)]


def close_popup(popup: Page) -> None:
    asyncio.ensure_future(popup.close())


async def guard_context(page: Page, hosts: tuple[str, ...]) -> None:
    """Once per browser context: the same guard for requests no page route sees (those of a
    popup a script opened before it is closed)."""
    context = page.context
    if getattr(context, "_govcrawl_guarded", False):
        return
    context._govcrawl_guarded = True

    async def guard(route: Route) -> None:
        if blocked_reason(route.request.url, hosts) is None:
            await route.fallback()
        else:
            logger.warning("browser: blocked a request outside any page to %s", route.request.url)
            await route.abort("blockedbyclient")

    await context.route("**", guard)


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

    def allowed_hosts(self) -> tuple[str, ...]:
        profile = getattr(self.crawler.spider, "profile", None)
        return tuple(profile.allowed_hosts) if profile is not None else ()

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
        request.meta["govcrawl_browser_hosts"] = self.allowed_hosts()
        request.meta["govcrawl_browser_blocked"] = []
        request.meta.setdefault("playwright_context_kwargs", dict(CONTEXT_OPTIONS))
        self.crawler.stats.inc_value(
            f"govcrawl/browser/requests/{request.meta.get('govcrawl_browser_reason', 'other')}"
        )

    def process_exception(self, request: Request, exception: Exception) -> None:
        self.count_blocked(request)

    def count_blocked(self, request: Request) -> None:
        """Blocked browser requests of a page: counted, and one log line for the page."""
        blocked = request.meta.pop("govcrawl_browser_blocked", None)
        if not blocked:
            return
        self.crawler.stats.inc_value(BLOCKED_STAT, len(blocked))
        hosts = sorted({urlsplit(url).netloc or url[:40] for url in blocked})
        logger.warning(
            "browser: blocked %d request(s) of %s to hosts it may not talk to: %s",
            len(blocked),
            request.url,
            ", ".join(hosts[:5]) + (f" and {len(hosts) - 5} more" if len(hosts) > 5 else ""),
        )

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("playwright"):
            self.count_blocked(request)
            return response
        if response.status != 200 or not is_html(response):
            return response
        reason = browser_reason(response.body)
        # Only pages of the profile's own hosts may go to the browser by detection (asked
        # second: nearly every page has no reason, and nearly every page is on those hosts).
        if reason is None or blocked_reason(request.url, self.allowed_hosts()) is not None:
            return response
        meta = {k: v for k, v in request.meta.items() if not k.startswith("govcrawl_fetch")}
        meta.update(playwright=True, govcrawl_browser_reason=reason)
        return request.replace(meta=meta, dont_filter=True)


def is_html(response: Response) -> bool:
    content_type = (response.headers.get("Content-Type") or b"").lower()
    return b"html" in content_type or (not content_type and b"<html" in response.body[:1024].lower())
