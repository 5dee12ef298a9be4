"""One real crawl through a loopback proxy that serves the downloader-side hard cases, each
on its own URL: gzip and deflate pages, oversize bodies (with a length, without one, a gzip
bomb), a truncated body, a silent page, redirects off-site / to file: / in a loop, a start
URL redirected off-site, a host whose robots.txt never answers, 429 with a short and with a
long Retry-After. Each is checked in the database the crawl wrote."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
import subprocess
import time

import pytest
import sqlite_utils

from pipelines.store import read_body
from tests.replica.process import CRAWL_ENV, ROOT, crawl_command, high_water_rss
from tests.wire_proxy import Proxy, page, redirect, stream_without_length, truncated

pytestmark = pytest.mark.e2e  # crawls or browses in real subprocesses

CITY = "http://www.panzhihua.gov.cn"
LIST = f"{CITY}/zfxxgk1/zfxxgknb/index.shtml"
OFFSITE_START = f"{CITY}/zwgk/xxgkml/xxgknb/index.shtml"
DEAD = "http://www.scdongqu.gov.cn"
SHY = "http://www.pzhsxq.gov.cn"  # 429 with Retry-After: 3600
PATIENT = "http://www.screnhe.gov.cn"  # 429 with Retry-After: 3, then the page
BIG = 40 * 1024 * 1024  # over the default DOWNLOAD_MAXSIZE of 32 MiB
TITLE = "攀枝花市2023年政府信息公开工作年度报告"


def article(n: int) -> str:
    return f"{CITY}/zfxxgk1/zfxxgknb/{n}.shtml"


def report(n: int) -> bytes:
    text = f"<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1>"
    text += "<p>本报告依据《中华人民共和国政府信息公开条例》编制。</p>" * 20 + f"<p>编号 {n}</p></body></html>"
    return text.encode("utf-8")


def listing(urls: list[str]) -> bytes:
    links = "".join(f'<li><a href="{u}" title="{TITLE}">{TITLE}</a></li>' for u in urls)
    return f"<html><body><ul>{links}</ul></body></html>".encode()


class Patient:
    """429 with Retry-After: 3 the first time, the report afterwards."""

    def __init__(self):
        self.calls = 0

    def __call__(self, handler) -> None:
        self.calls += 1
        if self.calls == 1:
            page(b"slow down", status=429, headers={"Retry-After": "3"})(handler)
        else:
            page(report(3001))(handler)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024))  # ~200 KB that inflates to 200 MB
    routes = {
        # 1007 is reached only as a redirect hop (a link to it would be fetched on its own)
        LIST: page(listing([article(n) for n in range(1001, 1015) if n != 1007]), encoding="gzip"),
        article(1001): page(report(1001), encoding="gzip"),
        article(1002): page(report(1002), encoding="deflate"),
        article(1003): redirect("http://evil.example.net/zfxxgk1/zfxxgknb/1003.shtml"),
        article(1004): redirect("http://sub.www.panzhihua.gov.cn/zfxxgk1/zfxxgknb/1004.shtml"),
        article(1005): redirect("file:///etc/passwd"),
        article(1006): redirect(article(1007)),
        article(1007): redirect(article(1006)),
        article(1013): redirect(article(1014)),  # both linked: the loop spans two chains
        article(1014): redirect(article(1013)),
        article(1008): page(b"x" * BIG),
        article(1009): stream_without_length(BIG),
        article(1010): lambda handler: _raw_gzip(handler, bomb),
        article(1011): truncated(100_000, b"<html><body>cut"),
        OFFSITE_START: redirect("http://evil.example.net/zwgk/xxgkml/xxgknb/index.shtml"),
        f"{SHY}/zfxxgk/zfxxgknb/xq/index.shtml": page(
            listing([f"{SHY}/zfxxgk/zfxxgknb/xq/{n}.shtml" for n in (2001, 2002, 2003)])
        ),
        f"{PATIENT}/zfxxgk/zfxxgknb/rhq/index.shtml": page(listing([f"{PATIENT}/zfxxgk/zfxxgknb/rhq/3001.shtml"])),
        f"{PATIENT}/zfxxgk/zfxxgknb/rhq/3001.shtml": Patient(),
    }
    for n in (2001, 2002, 2003):
        routes[f"{SHY}/zfxxgk/zfxxgknb/xq/{n}.shtml"] = page(b"busy", status=429, headers={"Retry-After": "3600"})
    path = tmp_path_factory.mktemp("wire") / "govcrawl.db"
    with Proxy(routes) as proxy:
        routes[f"{DEAD}/robots.txt"] = proxy.silent()
        routes[article(1012)] = proxy.silent()
        settings = {
            "CONCURRENT_REQUESTS_PER_DOMAIN": "1",
            # With no delay Scrapy 2.19 starts every queued request of a slot at once
            # (its tasks mark themselves transferring only once they run); a delay, as
            # on real portals, makes requests of one host wait their turn in its slot.
            "DOWNLOAD_DELAY": "0.2",
            "DOWNLOAD_TIMEOUT": "4",
            "RETRY_TIMES": "1",
            "GOVCRAWL_HOST_TIMEOUT": "3",
            "GOVCRAWL_MAX_RETRY_AFTER": "10",
            "LOG_LEVEL": "INFO",
        }
        log = path.parent / "crawl.log"
        started = time.monotonic()
        with log.open("w") as stderr:
            process = subprocess.Popen(
                crawl_command(path, proxy.url, settings=settings),
                cwd=ROOT, env=CRAWL_ENV, stdout=subprocess.DEVNULL, stderr=stderr,
            )
            peak_rss_mb = 0.0
            while process.poll() is None:
                peak_rss_mb = max(peak_rss_mb, peak_rss(process.pid))
                time.sleep(0.2)
        elapsed = time.monotonic() - started
    db = sqlite3.connect(path)
    return {"db": db, "path": path, "proxy": proxy, "stderr": log.read_text(), "elapsed": elapsed, "rss": peak_rss_mb}


def peak_rss(pid: int) -> float:
    """The process's own peak RSS in MB."""
    return high_water_rss(pid) / 2**20


def _raw_gzip(handler, data: bytes) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def rows(crawl, url: str) -> list[dict]:
    crawl["db"].row_factory = sqlite3.Row
    return [dict(r) for r in crawl["db"].execute("SELECT * FROM fetches WHERE url = ? ORDER BY id", [url])]


def error_class(row: dict) -> str | None:
    return row["error"].split(":", 1)[0] if row["error"] else None


@pytest.mark.parametrize(("n", "encoding"), [(1001, "gzip"), (1002, "deflate")])
def test_compressed_pages_are_recorded_decoded(crawl, n, encoding):
    (fetch,) = rows(crawl, article(n))
    assert fetch["status"] == 200 and fetch["error"] is None
    db = crawl["db"]
    assert read_body(sqlite_utils.Database(crawl["path"]), fetch["body_sha256"]) == report(n)
    headers = {k.lower(): v for k, v in json.loads(fetch["headers"]).items()}
    assert headers["content-encoding"] == [encoding]
    (version_sha,) = db.execute("SELECT body_sha256 FROM document_versions WHERE fetch_id = ?", [fetch["id"]]).fetchone()
    assert version_sha == fetch["body_sha256"]


def test_compressed_list_page_is_followed(crawl):
    (fetch,) = rows(crawl, LIST)
    assert fetch["status"] == 200
    assert json.loads(fetch["headers"]).get("Content-Encoding") == ["gzip"]


@pytest.mark.parametrize("n", [1008, 1009, 1010])
def test_oversize_bodies_are_too_large(crawl, n):
    fetches = rows(crawl, article(n))
    assert fetches and all(error_class(f) == "too large" for f in fetches), fetches
    assert all(f["body_sha256"] is None for f in fetches)


def test_oversize_pages_keep_memory_bounded(crawl):
    print(f"peak RSS {crawl['rss']:.0f} MB, crawl {crawl['elapsed']:.1f} s")
    assert crawl["rss"] < 300, crawl["rss"]


def test_truncated_and_timed_out_bodies_say_so(crawl):
    assert {error_class(f) for f in rows(crawl, article(1011))} == {"truncated"}
    assert {error_class(f) for f in rows(crawl, article(1012))} == {"timeout"}


def test_no_error_message_is_empty_or_multiline(crawl):
    errors = [e for (e,) in crawl["db"].execute("SELECT error FROM fetches WHERE error IS NOT NULL")]
    assert errors
    for error in errors:
        if re.fullmatch(r"HTTP \d{3}", error):  # an HTTP error status says all there is
            continue
        head, _, details = error.partition(": ")
        assert head and details.strip() and "\n" not in error, error


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (article(1003), "off-site redirect"),
        (article(1004), "off-site redirect"),
        (article(1005), "bad redirect scheme"),
        (OFFSITE_START, "off-site redirect"),
    ],
)
def test_dropped_redirects_are_errors_on_their_hop(crawl, url, expected):
    (fetch,) = rows(crawl, url)
    assert fetch["status"] == 302 and error_class(fetch) == expected


def test_redirect_loop_is_an_error_on_the_hop_back(crawl):
    first, second = rows(crawl, article(1006)), rows(crawl, article(1007))
    assert [f["error"] for f in first] == [None]
    assert [error_class(f) for f in second] == ["redirect loop"]


def test_redirect_loop_across_two_linked_pages_is_recorded(crawl):
    fetches = rows(crawl, article(1013)) + rows(crawl, article(1014))
    assert sorted(map(str, (error_class(f) for f in fetches))) == ["None", "redirect loop"]


def test_nothing_off_site_is_requested(crawl):
    asked = [u for _, u in crawl["proxy"].log]
    assert not [u for u in asked if "evil.example.net" in u or "sub.www." in u]
    assert crawl["db"].execute("SELECT count(*) FROM fetches WHERE url LIKE '%evil.example.net%'").fetchone()[0] == 0


def test_dead_host_is_given_up_after_its_preflight(crawl):
    (robots,) = rows(crawl, f"{DEAD}/robots.txt")
    assert error_class(robots) == "timeout"
    (start,) = rows(crawl, f"{DEAD}/zfxxgk/zfxxgknb/xxgkgzndbg/index.shtml")
    assert start["status"] is None and error_class(start) == "host not answering"
    assert crawl["proxy"].asked(f"{DEAD}/zfxxgk/zfxxgknb/xxgkgzndbg/index.shtml") == []


def test_short_retry_after_is_honoured(crawl):
    url = f"{PATIENT}/zfxxgk/zfxxgknb/rhq/3001.shtml"
    first, second = crawl["proxy"].asked(url)
    assert second - first >= 3
    assert [f["status"] for f in rows(crawl, url)] == [429, 200]


def test_long_retry_after_drops_the_host(crawl):
    fetches = [f for n in (2001, 2002, 2003) for f in rows(crawl, f"{SHY}/zfxxgk/zfxxgknb/xq/{n}.shtml")]
    assert len(fetches) == 3 and {error_class(f) for f in fetches} == {"retry-after"}
    assert sorted(f["status"] for f in fetches if f["status"]) == [429]  # the others never sent


def test_the_crawl_finishes_promptly_and_counts_the_errors(crawl):
    assert crawl["elapsed"] < 90
    errors, requests = crawl["db"].execute("SELECT errors, requests FROM crawl_runs").fetchone()
    assert errors == crawl["db"].execute("SELECT count(*) FROM fetches WHERE error IS NOT NULL").fetchone()[0]


def test_network_failures_are_logged_without_tracebacks(crawl):
    assert "Traceback" not in crawl["stderr"], crawl["stderr"][-3000:]
