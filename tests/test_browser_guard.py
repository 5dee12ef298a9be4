"""The browser's network guard and sandbox: which requests a page may make, how Chromium is
started, and that Chromium really runs sandboxed and never keeps what a redirect fetched from a
host it may not talk to (real Chromium, a loopback server standing in for the portal)."""

from __future__ import annotations

import asyncio
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
from playwright.async_api import async_playwright
from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from govcrawl.browser import (
    UNPRIVILEGED_WRAPPER,
    BrowserBlocked,
    BrowserRoutingMiddleware,
    blocked_reason,
    chromium_binary,
    default_chromium,
    launch_options,
    watch_page,
)
from govcrawl.profiles import load_profile

pytestmark = pytest.mark.e2e  # crawls or browses in real subprocesses

ALLOWED = ("www.shili.test", "xian.shili.test")


@pytest.mark.parametrize(
    "url",
    [
        "http://www.shili.test/xxgk/ndbg/list_1.json",
        "https://xian.shili.test/a.shtml?x=1",
        "http://WWW.SHILI.TEST./x",
        "data:text/html,<p>x</p>",
        "blob:http://www.shili.test/1234",
        "about:blank",
    ],
)
def test_the_profiles_hosts_and_local_schemes_pass(url):
    assert blocked_reason(url, ALLOWED) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8001/secret.json", "local address"),
        ("http://[::1]/", "local address"),
        ("http://[::ffff:127.0.0.1]/", "local address"),
        ("http://10.1.2.3/", "local address"),
        ("http://192.168.0.1/admin", "local address"),
        ("http://169.254.169.254/latest/meta-data/", "local address"),
        ("http://0.0.0.0:6379/", "local address"),
        ("http://localhost:8001/", "local host"),
        ("http://db.localhost/", "local host"),
        ("http://8.8.8.8/", "host"),
        ("http://tracker.elsewhere.test/frame.html", "host"),
        ("http://sub.www.shili.test/", "host"),  # exact hosts, not their subdomains
        ("ws://127.0.0.1:9222/devtools", "local address"),
        ("file:///etc/passwd", "scheme"),
        ("ftp://www.shili.test/x", "scheme"),
    ],
)
def test_other_hosts_local_addresses_and_schemes_are_blocked(url, reason):
    assert (blocked_reason(url, ALLOWED) or "").startswith(reason)


def test_a_local_address_is_blocked_even_when_a_profile_lists_it():
    assert blocked_reason("http://127.0.0.1:8001/", ("127.0.0.1",)).startswith("local address")
    assert blocked_reason("http://localhost/", ("localhost",)).startswith("local host")


def test_as_root_chromium_is_started_sandboxed_as_an_unprivileged_user():
    options = launch_options("/usr/lib/chromium/chromium", "http://127.0.0.1:3128", as_root=True)
    assert options["chromium_sandbox"] is True
    assert options["executable_path"] == str(UNPRIVILEGED_WRAPPER) and os.access(UNPRIVILEGED_WRAPPER, os.X_OK)
    assert chromium_binary(options) == "/usr/lib/chromium/chromium"
    assert options["proxy"] == {"server": "http://127.0.0.1:3128"}
    plain = launch_options("/usr/bin/chromium", None, as_root=False)
    assert (plain["executable_path"], plain["chromium_sandbox"]) == ("/usr/bin/chromium", True)
    unsandboxed = launch_options("/usr/bin/chromium", None, sandbox=False, as_root=True)
    assert (unsandboxed["executable_path"], unsandboxed["chromium_sandbox"]) == ("/usr/bin/chromium", False)


def routing(url_hosts=ALLOWED) -> BrowserRoutingMiddleware:
    crawler = get_crawler(Spider)
    crawler.spider = Spider("reports")
    crawler.spider.profile = load_profile("shili")
    return BrowserRoutingMiddleware(crawler)


SCRIPT_BUILT = (
    b'<html><body><ul class="list" id="list"></ul><script>fetch("d.json").then(r => r.json())'
    b'.then(d => { document.getElementById("list").innerHTML = d.html; });</script></body></html>'
)


def test_detection_sends_only_pages_of_the_profiles_hosts_to_the_browser():
    middleware = routing()
    for url, to_browser in [
        ("http://www.shili.test/xxgk/ndbg/gsgg/index.shtml", True),
        ("http://elsewhere.test/list.html", False),
        ("http://127.0.0.1:8001/list.html", False),
    ]:
        request = Request(url)
        response = HtmlResponse(url, body=SCRIPT_BUILT, headers={"Content-Type": "text/html"}, request=request)
        result = middleware.process_response(request, response)
        assert (isinstance(result, Request) and result.meta.get("playwright") is True) == to_browser, url


def test_a_browser_request_carries_the_hosts_its_page_may_talk_to():
    middleware = routing()
    request = Request("http://xian.shili.test/xxgk/ndbg/1.shtml")
    middleware.process_request(request)
    assert request.meta["playwright"] is True
    assert request.meta["govcrawl_browser_hosts"] == ALLOWED
    assert request.meta["playwright_context_kwargs"] == {"service_workers": "block"}


class Portal(BaseHTTPRequestHandler):
    """A proxy on loopback for `www.shili.test`: its page redirects to a service on loopback."""

    secret_requests = 0

    def do_GET(self):
        if self.path.endswith("/secret"):
            type(self).secret_requests += 1
            self.reply(200, b'{"secret": "local-7a1"}', "application/json")
        elif self.path.endswith("/jump"):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/secret")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.reply(200, b"<html><body><p>report</p></body></html>", "text/html")

    def reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def portal():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Portal.secret_requests = 0
    yield server
    server.shutdown()


async def render(proxy: str | None, url: str, mapped_port: int | None = None) -> tuple[dict, object]:
    """`url` in Chromium as a crawl renders it: the guard, then the page methods. Without a
    proxy, `mapped_port` makes www.shili.test resolve to the loopback server."""
    options = launch_options(default_chromium(), proxy)
    if mapped_port:
        rules = next(a for a in options["args"] if a.startswith("--host-resolver-rules="))
        options["args"].remove(rules)
        options["args"].append(rules.replace("=", f"=MAP www.shili.test 127.0.0.1:{mapped_port}, ", 1))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**options)
        try:
            page = await browser.new_page(service_workers="block")
            request = Request(url, meta={"govcrawl_browser_hosts": ALLOWED})
            await watch_page(page, request)
            try:
                await page.goto(url)
                for method in request.meta["playwright_page_methods"]:
                    await method.method(page)
            except Exception as error:
                return request.meta, error
            return request.meta, None
        finally:
            await browser.close()


@pytest.mark.skipif(not Path(default_chromium()).exists(), reason="no Chromium")
def test_a_redirect_to_a_local_service_fails_the_page_and_keeps_nothing(portal):
    meta, error = asyncio.run(render(f"http://127.0.0.1:{portal.server_port}", "http://www.shili.test/jump"))
    # Whether or not Chromium asked the route about the redirect, nothing of it is kept.
    assert error is not None, "the redirected page was kept"
    assert isinstance(error, BrowserBlocked) or "ERR_BLOCKED_BY_CLIENT" in str(error), error
    assert "govcrawl_browser_exchanges" not in meta
    assert [u for u in meta["govcrawl_browser_blocked"] if "127.0.0.1" in u]


@pytest.mark.skipif(not Path(default_chromium()).exists(), reason="no Chromium")
def test_without_a_proxy_a_redirect_to_a_local_service_is_not_even_sent(portal):
    meta, error = asyncio.run(render(None, "http://www.shili.test/jump", mapped_port=portal.server_port))
    assert error is not None and "ERR_NAME_NOT_RESOLVED" in str(error)
    assert "govcrawl_browser_exchanges" not in meta
    assert Portal.secret_requests == 0


@pytest.mark.skipif(not Path(default_chromium()).exists(), reason="no Chromium")
def test_an_allowed_page_renders_and_its_exchanges_are_kept(portal):
    meta, error = asyncio.run(render(f"http://127.0.0.1:{portal.server_port}", "http://www.shili.test/a.shtml"))
    assert error is None
    assert [e["url"] for e in meta["govcrawl_browser_exchanges"]] == ["http://www.shili.test/a.shtml"]
    assert meta["govcrawl_browser_blocked"] == [] and Portal.secret_requests == 0


@pytest.mark.skipif(not Path(default_chromium()).exists(), reason="no Chromium")
def test_chromium_runs_sandboxed_and_never_as_root():
    async def renderer_status() -> list[dict[str, str]]:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**launch_options(default_chromium(), None))
            try:
                page = await browser.new_page()
                await page.goto("data:text/html,<p>x</p>")
                return [status for status in chromium_processes() if "--type=renderer" in status["cmdline"]]
            finally:
                await browser.close()

    renderers = asyncio.run(renderer_status())
    assert renderers
    for status in renderers:
        assert status["Seccomp"] == "2"  # seccomp-bpf filter mode: Chromium's sandbox is on
        assert os.geteuid() != 0 or status["Uid"].split()[0] != "0"


def chromium_processes() -> list[dict[str, str]]:
    """The Chromium processes this test process started (other tests, running beside it in
    other workers, start browsers of their own)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        proc = Path("/proc") / str(child.pid)
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            lines = (proc / "status").read_text().splitlines()
        except OSError:
            continue
        if "chromium" in cmdline:
            status = dict(line.split(":\t", 1) for line in lines if ":\t" in line)
            found.append({"cmdline": cmdline, **{k: v.strip() for k, v in status.items()}})
    return found
