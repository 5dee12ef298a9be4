"""A real crawl of the replica portal over loopback, checked against its manifest and log."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlsplit

import pytest

from govcrawl.profiles import load_profile
from pipelines.store import read_body
from tests.conftest import crawl_replica
from tests.replica.generator import build_portal

pytestmark = pytest.mark.e2e  # crawls or browses in real subprocesses


def test_every_annual_report_is_stored(crawled):
    reports = {p["url"] for p in crawled.pages("annual_report") if p.get("fault") != "robots_disallowed"}
    stored = {url for (url,) in crawled.rows("SELECT url FROM documents")}
    assert len(reports) > 100
    assert reports - stored == set()


def test_only_candidate_pages_become_documents(crawled):
    kinds = {p["url"]: p["kind"] for p in crawled.pages()}
    stored = Counter(kinds[url] for (url,) in crawled.rows("SELECT url FROM documents"))
    # Notices about reports and 工作总结 are fetched for the parser to classify; nothing else is.
    assert set(stored) == {"annual_report", "notice", "work_summary"}


def test_every_exchange_is_recorded_once(crawled):
    served = Counter(entry["url"] for entry in crawled.server_log)
    recorded = Counter(url for (url,) in crawled.rows("SELECT url FROM fetches"))
    assert sum(served.values()) == sum(recorded.values())
    assert served == recorded


def test_stored_bodies_are_the_bytes_served(crawled):
    portal = build_portal(crawled.manifest["size"], crawled.manifest["seed"])
    rows = crawled.rows("SELECT url, body_sha256, body_length FROM fetches WHERE body_sha256 IS NOT NULL")
    assert len(rows) > 150
    for url, sha, length in rows:
        body = read_body(crawled.db, sha)
        page = portal.pages.get(url)
        if page is not None and page.fault != "flaky_500":
            assert body == page.body, url
        assert len(body) == length


def test_versions_point_at_their_fetch_and_list_page(crawled):
    profile = load_profile("panzhihua")
    rows = crawled.rows(
        "SELECT v.final_url, v.body_sha256, v.referer, f.url, f.body_sha256, f.status, f.run_id, v.run_id"
        " FROM document_versions v JOIN fetches f ON f.id = v.fetch_id"
    )
    assert len(rows) == crawled.rows("SELECT count(*) FROM document_versions")[0][0]
    for final_url, sha, referer, fetch_url, fetch_sha, status, fetch_run, version_run in rows:
        assert (fetch_url, fetch_sha, status, fetch_run) == (final_url, sha, 200, version_run)
        assert profile.is_list_page(referer), referer


def test_faults_are_recorded_and_the_crawl_goes_on(crawled):
    faults = {p["fault"]: p for p in crawled.pages() if p.get("fault")}
    by_url = lambda url: crawled.rows(  # noqa: E731
        "SELECT status, error, redirect_to FROM fetches WHERE url = ? ORDER BY id", [url]
    )
    assert by_url(faults["not_found"]["url"]) == [(404, "HTTP 404", None)]
    flaky = faults["flaky_500"]["url"]
    assert by_url(flaky) == [(500, "HTTP 500", None), (200, None, None)]
    chain = [p for p in crawled.pages("redirect")]
    first = next(p for p in chain if p["status"] == 301)
    second = next(p for p in chain if p["status"] == 302)
    assert by_url(first["url"]) == [(301, None, second["url"])]
    assert by_url(second["url"]) == [(302, None, second["location"])]
    stored = {url for (url,) in crawled.rows("SELECT url FROM documents")}
    assert {flaky, faults["slow"]["url"], faults["redirect_target"]["url"]} <= stored
    requested = crawled.rows(
        "SELECT requested_url FROM document_versions v JOIN documents d"
        " ON d.id = v.document_id WHERE d.url = ?",
        [second["location"]],
    )
    assert requested == [(first["url"],)]


def test_robots_txt_is_obeyed(crawled):
    fetched = {url for (url,) in crawled.rows("SELECT url FROM fetches")}
    hosts = {urlsplit(url).hostname for url in fetched}
    assert {f"http://{host}/robots.txt" for host in hosts} <= fetched
    forbidden = [p["url"] for p in crawled.pages() if p.get("fault") == "robots_disallowed"]
    assert forbidden and not set(forbidden) & fetched


def test_the_crawl_stays_in_the_report_columns(crawled):
    profile = load_profile("panzhihua")
    for (url,) in crawled.rows("SELECT url FROM fetches"):
        assert (
            profile.is_list_page(url)
            or profile.is_article_page(url)
            or url.endswith("/robots.txt")
            or "/art/" in url
        ), url  # /art/ is a redirect hop
    reports = len(crawled.pages("annual_report"))
    requests = len(crawled.server_log)
    assert requests / reports < 1.6  # list pages and robots.txt are the only overhead


def test_run_row_carries_settings_and_figures(crawled):
    ((site, status, reason, failure, settings, *figures),) = crawled.rows(
        "SELECT site, status, finish_reason, failure, settings, requests, errors, new_documents, new_versions,"
        " unchanged, gone FROM crawl_runs WHERE kind = 'crawl'"
    )
    assert (site, status, reason, failure) == ("panzhihua", "finished", "finished", None)
    assert json.loads(settings)["ROBOTSTXT_OBEY"] is True
    count = lambda sql: crawled.rows(sql)[0][0]  # noqa: E731
    assert figures == [
        len(crawled.server_log),
        count("SELECT count(*) FROM fetches WHERE error IS NOT NULL"),
        count("SELECT count(*) FROM documents"),
        count("SELECT count(*) FROM document_versions"),
        0,
        0,
    ]


def test_years_argument_restricts_what_is_fetched(tmp_path):
    result = crawl_replica(tmp_path, "years=2021-2025")
    years = {p["url"]: p.get("year") for p in result.pages()}
    stored = {url for (url,) in result.rows("SELECT url FROM documents")}
    assert stored and all(years[url] is None or 2021 <= years[url] <= 2025 for url in stored)
    wanted = {
        p["url"]
        for p in result.pages("annual_report")
        if 2021 <= p["year"] <= 2025 and p.get("fault") != "robots_disallowed"
    }
    assert wanted <= stored
    assert any(p["year"] < 2021 for p in result.pages("annual_report"))


def test_each_version_has_its_encoding_evidence_and_clean_text(crawled):
    pages = {p["url"]: p for p in crawled.pages()}
    rows = crawled.rows(
        "SELECT d.url, t.encoding, t.declared_header, t.declared_meta, t.undecodable, t.transforms, t.text"
        " FROM documents d JOIN document_texts t ON t.version_id = d.current_version_id"
    )
    assert len(rows) == crawled.rows("SELECT count(*) FROM documents")[0][0]
    lying = 0
    for url, encoding, header, meta, undecodable, transforms, text in rows:
        page = pages[url]
        assert encoding == {"utf-8": "utf-8", "gbk": "gb18030"}[page["encoding"]], url
        assert (header, meta) == (page.get("header_charset"), page.get("meta_charset")), url
        lying += page["encoding"] == "gbk" and header == "utf-8"
        assert undecodable == 0
        assert page["title"] in text
        assert [t["name"] for t in json.loads(transforms)][0] == "mojibake"
    assert lying >= 1  # GBK bodies served with a charset=utf-8 header were read right
