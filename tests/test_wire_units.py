"""Saved-response and in-process tests of the downloader-side pieces: failure messages,
decoding verdicts, redirect verdicts, Retry-After, log lines, and what the settings enable."""

from __future__ import annotations

import gzip
import logging
import sys
from email.utils import formatdate

import pytest
from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from govcrawl.browser import BrowserUnavailable
from govcrawl.compression import DecodingMiddleware
from govcrawl.failures import describe
from govcrawl.hosts import is_preflight, retry_after_seconds
from govcrawl.logformatter import NetworkFailureFilter, OneLineLogFormatter
from govcrawl.middlewares import DROP, ORIGINAL_ENCODING
from govcrawl.offsite import redirect_problem

URL = "http://www.panzhihua.gov.cn/zfxxgk1/zfxxgknb/1.shtml"
HOSTS = ("www.panzhihua.gov.cn", "wap.panzhihua.gov.cn")


def failed_response() -> DownloadFailedError:
    error = DownloadFailedError("[<twisted.python.failure.Failure ...>]\n  more")
    error.__cause__ = ResponseFailed([Failure(ConnectionLost("Connection to the other side was lost."))])
    return error


@pytest.mark.parametrize(
    ("exception", "expected"),
    [
        (DownloadTimeoutError(f"Getting {URL} took longer than 60.0 seconds."), "timeout"),
        (DownloadConnectionRefusedError("Connection was refused by other side: 111"), "connection refused"),
        (DownloadConnectionRefusedError(""), "connection refused"),
        (CannotResolveHostError("DNS lookup failed: no results for hostname lookup: x."), "dns"),
        (CannotResolveHostError(""), "dns"),
        (ResponseDataLossError(), "truncated"),
        (DownloadCancelledError(""), "cancelled"),
        (DownloadCancelledError(f"Expected to receive 41943040 bytes which is larger than download max size (33554432) in request <GET {URL}>."), "too large"),
        (failed_response(), "connection lost"),
        (IgnoreRequest("host not answering: x gave no answer"), "host not answering"),
        (ValueError("odd\nthing"), "download failed"),
        (BrowserUnavailable("no usable browser: Chromium at /x could not be started (gone)"), "no usable browser"),
    ],
)
def test_every_failure_has_a_one_line_class_prefixed_message(exception, expected):
    message = describe(exception, URL)
    head, _, details = message.partition(": ")
    assert head == expected
    assert details.strip() and "\n" not in message
    assert f"<GET {URL}>" not in message  # Scrapy's request repr is not repeated


def test_connection_lost_names_the_twisted_reason():
    assert describe(failed_response()).startswith("connection lost: ConnectionLost: Connection to the other side")


def crawler(**settings):
    return get_crawler(settings_dict={"COMPRESSION_ENABLED": True, **settings})


def encoded(body: bytes, encoding: str = "gzip") -> Response:
    return Response(URL, body=body, headers={"Content-Encoding": encoding, "Content-Type": "text/html"})


def test_decoding_keeps_the_original_encoding_for_the_recorder():
    middleware = DecodingMiddleware.from_crawler(crawler())
    request = Request(URL)
    response = middleware.process_response(request, encoded(gzip.compress(b"<html>ok</html>")))
    assert response.body == b"<html>ok</html>" and b"Content-Encoding" not in response.headers
    assert request.meta[ORIGINAL_ENCODING] == ["gzip"] and DROP not in request.meta


def test_a_body_that_inflates_past_the_limit_is_too_large():
    middleware = DecodingMiddleware.from_crawler(crawler(DOWNLOAD_MAXSIZE=1_000_000))
    request = Request(URL)
    bomb = gzip.compress(b"\0" * 50_000_000)
    response = middleware.process_response(request, encoded(bomb))
    assert request.meta[DROP].startswith("too large: body over DOWNLOAD_MAXSIZE (1000000 bytes)")
    assert response.body == b""


def test_a_corrupt_stream_is_a_bad_encoding():
    middleware = DecodingMiddleware.from_crawler(crawler())
    request = Request(URL)
    middleware.process_response(request, encoded(b"\x1f\x8bnot really gzip at all"))
    assert request.meta[DROP].startswith("bad encoding: ")


def test_a_plain_response_clears_an_encoding_left_by_an_earlier_hop():
    middleware = DecodingMiddleware.from_crawler(crawler())
    request = Request(URL, meta={ORIGINAL_ENCODING: ["gzip"]})
    middleware.process_response(request, Response(URL, body=b"plain"))
    assert ORIGINAL_ENCODING not in request.meta


def hop(location: str, chain: tuple[str, ...] = (), url: str = URL) -> tuple[Request, Response]:
    request = Request(url, meta={"redirect_urls": list(chain)})
    return request, Response(url, status=302, headers={"Location": location})


@pytest.mark.parametrize(
    ("location", "chain", "expected"),
    [
        ("/zfxxgk1/zfxxgknb/2.shtml", (), None),
        ("http://wap.panzhihua.gov.cn/a.shtml", (), None),
        ("http://evil.example.net/a.shtml", (), "off-site redirect"),
        ("http://sub.www.panzhihua.gov.cn/a.shtml", (), "off-site redirect"),
        ("http://panzhihua.gov.cn/a.shtml", (), "off-site redirect"),
        ("file:///etc/passwd", (), "bad redirect scheme"),
        ("data:text/html,hi", (), "bad redirect scheme"),
        ("ftp://www.panzhihua.gov.cn/a", (), "bad redirect scheme"),
        (URL, (), "redirect loop"),
        ("http://www.panzhihua.gov.cn/zfxxgk1/zfxxgknb/0.shtml", ("http://www.panzhihua.gov.cn/zfxxgk1/zfxxgknb/0.shtml",), "redirect loop"),
    ],
)
def test_redirect_verdicts(location, chain, expected):
    request, response = hop(location, chain)
    problem = redirect_problem(request, response, HOSTS)
    assert (problem.split(":", 1)[0] if problem else None) == expected


def test_without_a_profile_only_scheme_and_loops_are_judged():
    request, response = hop("http://anywhere.example.net/")
    assert redirect_problem(request, response, None) is None


def test_retry_after_forms():
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds(None) is None and retry_after_seconds(b"soon") is None
    now = 1_800_000_000
    assert retry_after_seconds(formatdate(now + 3600, usegmt=True).encode(), now=now) == pytest.approx(3600)
    assert retry_after_seconds(formatdate(now - 60, usegmt=True).encode(), now=now) == 0


def test_only_the_robots_request_is_a_preflight():
    assert is_preflight(Request("http://x.gov.cn/robots.txt", meta={"dont_obey_robotstxt": True}))
    assert not is_preflight(Request("http://x.gov.cn/robots.txt"))
    assert not is_preflight(Request("http://x.gov.cn/a", meta={"dont_obey_robotstxt": True}))


def test_download_errors_are_one_warning_line():
    formatter = OneLineLogFormatter()
    failure = Failure(DownloadTimeoutError(f"Getting {URL} took longer than 60.0 seconds."))
    entry = formatter.download_error(failure, Request(URL), None)
    assert entry["level"] == logging.WARNING
    assert (entry["msg"] % entry["args"]).endswith(f"timeout: Getting {URL} took longer than 60.0 seconds.")
    other = formatter.download_error(Failure(KeyError("x")), Request(URL), None)
    assert other["level"] == logging.ERROR  # not a network failure: Scrapy's own wording


def log_record(exception: BaseException) -> logging.LogRecord:
    try:
        raise exception
    except BaseException:
        exc_info = sys.exc_info()
    return logging.LogRecord("scrapy.x", logging.ERROR, __file__, 1, "Error downloading %s", ("<GET x>",), exc_info)


def test_the_log_filter_drops_tracebacks_of_network_failures_only():
    network = log_record(CannotResolveHostError("no such host"))
    NetworkFailureFilter().filter(network)
    assert network.exc_info is None and network.levelname == "WARNING"
    assert network.getMessage() == "Error downloading <GET x> [dns: no such host]"
    bug = log_record(KeyError("x"))
    NetworkFailureFilter().filter(bug)
    assert bug.exc_info is not None and bug.levelname == "ERROR"


def test_remote_control_and_telnet_are_off():
    # RemoteControl raises NotConfigured (is not loaded) when its setting is False.
    settings = Settings()
    settings.setmodule("govcrawl.settings", priority="project")
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False


def test_limits_have_sane_defaults():
    settings = Settings()
    settings.setmodule("govcrawl.settings", priority="project")
    assert settings.getint("DOWNLOAD_MAXSIZE") == 32 * 1024 * 1024
    assert 0 < settings.getint("DOWNLOAD_WARNSIZE") < settings.getint("DOWNLOAD_MAXSIZE")
    assert 0 < settings.getfloat("GOVCRAWL_HOST_TIMEOUT") < settings.getfloat("DOWNLOAD_TIMEOUT")
    assert settings.getfloat("GOVCRAWL_SHUTDOWN_GRACE") < 30


def test_decoding_is_nearer_the_downloader_than_recorder_and_browser_routing():
    settings = Settings()
    settings.setmodule("govcrawl.settings", priority="project")
    order = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert order["scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware"] is None
    decoding = order["govcrawl.compression.DecodingMiddleware"]
    recorder = order["govcrawl.middlewares.FetchRecorderMiddleware"]
    assert decoding > recorder > order["govcrawl.browser.BrowserRoutingMiddleware"]
    assert recorder > 600  # nearer than RetryMiddleware (550) and RedirectMiddleware (600)
