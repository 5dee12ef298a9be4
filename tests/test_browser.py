"""Pages that need a browser: real crawls of the replica's 示例市 (`shili` profile) in Chromium.

The department column's list is written by a script from JSON (paginated in script), and every
page of the county site sits behind a JS check that sets a cookie and reloads. One shell page's
script reaches for a service on loopback and frames a host no profile lists: the browser must
not request either.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
import sqlite_utils

from govcrawl.profiles import load_profile
from pipelines.store import read_body
from tests.conftest import CrawlResult, crawl_replica
from tests.replica.browser_pages import LOOPBACK_PAGE, OTHER_HOST, SECRET, with_port
from tests.replica.generator import build_portal
from tests.replica.process import Replica, run_crawl

pytestmark = pytest.mark.e2e  # crawls or browses in real subprocesses

SHILI = load_profile("shili")
BROWSER_REASONS = {"profile", "js_list", "js_challenge"}


def on_shili(url: str) -> bool:
    return urlsplit(url).hostname in SHILI.allowed_hosts


def main_browser_rows(result: CrawlResult) -> list[tuple]:
    """The browser fetch of each page the crawl asked for (not the exchanges inside it)."""
    return result.rows(
        "SELECT url, browser_reason, body_sha256, raw_body_sha256, error FROM fetches"
        f" WHERE via = 'browser' AND browser_reason IN ({','.join('?' * len(BROWSER_REASONS))})",
        sorted(BROWSER_REASONS),
    )


@pytest.fixture(scope="module")
def browser_crawl(tmp_path_factory) -> CrawlResult:
    return crawl_replica(tmp_path_factory.mktemp("browser"), "site=shili")


def test_every_report_behind_the_js_list_and_the_js_check_is_stored(browser_crawl):
    reports = {p["url"] for p in browser_crawl.pages("annual_report") if on_shili(p["url"])}
    behind_list = {u for u in reports if "/bmbg/" in u}
    behind_check = {u for u in reports if u.startswith("http://xian.shili.test/")}
    assert len(behind_list) == 9 and len(behind_check) == 7
    stored = {url for (url,) in browser_crawl.rows("SELECT url FROM documents")}
    assert reports - stored == set()
    assert stored <= reports


def test_only_pages_that_need_it_go_to_the_browser_and_say_why(browser_crawl):
    needing = {p["url"]: p["fault"] for p in browser_crawl.pages() if p.get("fault") in ("js_list", "js_check")}
    rows = main_browser_rows(browser_crawl)
    reasons = {url: reason for url, reason, *_ in rows}
    assert Counter(url for url, *_ in rows) == Counter(set(needing))  # each rendered once
    for url, fault in needing.items():
        expected = {"js_list": "js_list", "js_check": "js_challenge" if url.endswith("index.shtml") else "profile"}
        assert reasons[url] == expected[fault], url
    plain = browser_crawl.rows("SELECT url FROM fetches WHERE via = 'http'")
    assert plain and not {url for (url,) in plain} & {u for u, f in needing.items() if f == "js_check" and "index" not in u}
    other_browser = browser_crawl.rows(
        "SELECT url, browser_reason FROM fetches WHERE via = 'browser' AND browser_reason NOT IN ('profile', 'js_list', 'js_challenge')"
    )
    # inside those pages: the JSON the list script read, the JS check before its reload
    assert {reason for _, reason in other_browser} <= {
        "fetch of the page",
        "document of the page (body not kept by the browser: the page navigated away)",
    }
    assert any(url.endswith(".json") for url, _ in other_browser)


def test_browser_fetches_keep_the_rendered_html_and_the_raw_bytes(browser_crawl):
    portal = build_portal(browser_crawl.manifest["size"], browser_crawl.manifest["seed"])
    for url, _, body_sha, raw_sha, error in main_browser_rows(browser_crawl):
        assert error is None
        raw, rendered = read_body(browser_crawl.db, raw_sha), read_body(browser_crawl.db, body_sha)
        port = re.search(rb"127\.0\.0\.1:(\d+)", raw)  # the hostile shell names the replica's port
        served = with_port(portal.pages[url].body, int(port.group(1))) if port else portal.pages[url].body
        assert raw == served, url  # what the server sent, after the JS check
        if "/bmbg/" in url:  # the script wrote the links into the list
            assert rendered != raw
            assert b'id="list"></ul>' in raw and b'id="list"></ul>' not in rendered
            assert rendered.count(b"<li>") >= 1
    assert browser_crawl.rows("SELECT count(*) FROM fetches WHERE via = 'http' AND raw_body_sha256 IS NOT NULL") == [(0,)]


def test_reports_read_in_the_browser_are_parsed_like_any_other(browser_crawl):
    values = {p["url"]: p["values"] for p in browser_crawl.pages("annual_report") if p["url"].startswith("http://xian.")}
    for url, expected in values.items():
        stored = dict(
            browser_crawl.rows(
                "SELECT key, value FROM report_values r JOIN documents d ON d.current_version_id = r.version_id"
                " WHERE d.url = ?",
                [url],
            )
        )
        assert {k: stored.get(k) for k in expected} == expected, url


def test_every_exchange_with_the_site_is_recorded(browser_crawl):
    served = Counter(e["url"] for e in browser_crawl.server_log if on_shili(e["url"]) and not e["url"].endswith("/favicon.ico"))
    recorded = Counter(url for (url,) in browser_crawl.rows("SELECT url FROM fetches"))
    assert served == recorded


def test_a_page_cannot_turn_the_browser_on_a_local_service_or_another_host(browser_crawl):
    requested = [e["url"] for e in browser_crawl.server_log]
    assert not [u for u in requested if "secret" in u or OTHER_HOST in u or "127.0.0.1" in u]
    bodies = [read_body(browser_crawl.db, sha) for (sha,) in browser_crawl.rows("SELECT sha256 FROM bodies")]
    assert bodies and not [b for b in bodies if SECRET.encode() in b]
    fetched = {url for (url,) in browser_crawl.rows("SELECT url FROM fetches")}
    assert not {u for u in fetched if not on_shili(u)}  # only the profile's hosts are recorded
    # the page itself is kept, rendered, with its (empty) list and no error
    ((reason, error, body_sha),) = browser_crawl.rows(
        "SELECT browser_reason, error, body_sha256 FROM fetches WHERE url = ? AND via = 'browser'", [LOOPBACK_PAGE]
    )
    assert (reason, error) == ("js_list", None)
    assert b"<title>" in read_body(browser_crawl.db, body_sha)
    # the loopback fetch and the frame: counted, and one line for the page
    stats = json.loads(browser_crawl.rows("SELECT stats FROM crawl_runs")[0][0])
    assert stats["govcrawl/browser/blocked"] == 2
    lines = [line for line in browser_crawl.stderr.splitlines() if "browser: blocked" in line]
    assert len(lines) == 1 and f"blocked 2 request(s) of {LOOPBACK_PAGE}" in lines[0]
    assert "127.0.0.1:" in lines[0] and OTHER_HOST in lines[0]


def test_browser_pages_are_capped_and_closed(browser_crawl):
    (stats,) = browser_crawl.rows("SELECT stats FROM crawl_runs")[0]
    stats = json.loads(stats)
    assert stats["playwright/browser_count"] == 1
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"] == len(main_browser_rows(browser_crawl))
    assert stats["playwright/page_count/max_concurrent"] <= 4
    assert stats["govcrawl/browser/requests/profile"] == 7  # the county's articles


def test_a_plain_crawl_never_starts_the_browser(crawled):
    (stats,) = crawled.rows("SELECT stats FROM crawl_runs")[0]
    assert not any(key.startswith("playwright/") for key in json.loads(stats))
    assert crawled.rows("SELECT count(*) FROM fetches WHERE via = 'browser'") == [(0,)]


def test_without_a_browser_the_rest_of_the_crawl_completes(tmp_path):
    path = tmp_path / "govcrawl.db"
    with Replica(size=200) as replica:
        result = run_crawl(
            path,
            replica.proxy,
            "site=shili",
            # 3 of its 12 requests need the browser: more failures than a run may have by default
            settings={"GOVCRAWL_CHROMIUM": "/nonexistent/chromium", "GOVCRAWL_MAX_ERROR_RATE": "0.5"},
        )
        manifest = replica.manifest()
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite_utils.Database(path)
    needing = {p["url"] for p in manifest["pages"] if p.get("fault") in ("js_list", "js_check")}
    failed = db.execute("SELECT url, error FROM fetches WHERE via = 'browser'").fetchall()
    # Only the first page of each: the rest are linked from what the browser would have shown.
    assert {url for url, _ in failed} == {
        "http://www.shili.test/xxgk/ndbg/bmbg/index.shtml",
        "http://xian.shili.test/xxgk/ndbg/index.shtml",
        LOOPBACK_PAGE,
    } < needing
    for _, error in failed:
        assert error.startswith("no usable browser: Chromium at /nonexistent/chromium")
    plain_reports = {p["url"] for p in manifest["pages"] if p["kind"] == "annual_report" and p["url"].startswith("http://www.shili.test/xxgk/ndbg/1")}
    stored = {url for (url,) in db.execute("SELECT url FROM documents")}
    assert len(plain_reports) == 3 and stored == plain_reports
    ((status, reason),) = db.execute("SELECT status, finish_reason FROM crawl_runs WHERE kind = 'crawl'").fetchall()
    assert (status, reason) == ("finished", "finished")


def test_revalidating_browser_pages_renders_them_again_unconditionally(browser_crawl, tmp_path):
    path = tmp_path / "govcrawl.db"
    path.write_bytes(browser_crawl.path.read_bytes())
    with Replica(size=200) as replica:
        result = run_crawl(path, replica.proxy, "site=shili", "revalidate=1")
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite_utils.Database(path)
    run = db.execute("SELECT max(id) FROM crawl_runs WHERE kind = 'crawl'").fetchone()[0]
    rendered = db.execute(
        "SELECT url, status, request_headers, error FROM fetches WHERE run_id = ? AND via = 'browser'"
        " AND browser_reason = 'profile'",
        [run],
    ).fetchall()
    assert len(rendered) == 7  # the county's reports, behind the JS check, rendered again
    for url, status, request_headers, error in rendered:
        assert (status, error) == (200, None), url
        assert not {"if-none-match", "if-modified-since"} & {h.lower() for h in json.loads(request_headers)}
    (errors,) = db.execute("SELECT errors FROM crawl_runs WHERE id = ?", [run]).fetchone()
    assert errors == 0
