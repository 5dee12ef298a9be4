"""Every replica city crawled with its own profile into one database, as `make demo` does: a real
`scrapy crawl reports -a site=…` per profile against the replica with its CMS-family cities
(tests/replica/families.py). Recall is 100% per city against the manifest, every stored
document belongs to the profile whose run found it, and the script pagers and list APIs are
read without one guessed page."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

import pytest

from govcrawl.profiles import load_profile
from tests.replica.families import PROFILES
from tests.replica.process import Replica, run_crawl

pytestmark = pytest.mark.e2e
SITES = ("panzhihua", *PROFILES)  # 示例市 (shili) needs Chromium: tests/test_browser.py crawls it


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    path = tmp_path_factory.mktemp("families") / "govcrawl.db"
    with Replica(size=40, families=True) as replica:
        for site in SITES:
            result = run_crawl(path, replica.proxy, f"site={site}")
            assert result.returncode == 0, result.stderr[-3000:]
        manifest, log = replica.manifest(), replica.request_log()
    db = sqlite3.connect(path)
    yield manifest, log, db
    db.close()


def profile_of_host(host: str) -> str | None:
    return next((site for site in SITES if host in load_profile(site).allowed_hosts), None)


def test_every_report_of_every_city_is_stored_under_its_profile(crawl):
    manifest, _, db = crawl
    found_by = dict(
        db.execute("SELECT d.url, r.site FROM documents d JOIN crawl_runs r ON r.id = d.first_seen_run").fetchall()
    )
    for site in PROFILES:
        wanted = {p["url"] for p in manifest["pages"] if p.get("profile") == site and p["kind"] == "annual_report"}
        assert len(wanted) >= 30  # several list pages' worth
        stored = {url for url, by in found_by.items() if by == site}
        assert wanted - stored == set(), site  # recall 100%
    # the panzhihua crawl stored its own reports too (its recall is tests/test_crawl.py's)
    assert any(by == "panzhihua" for by in found_by.values())


def test_no_document_is_stored_under_another_profile(crawl):
    manifest, _, db = crawl
    rows = db.execute("SELECT d.url, r.site FROM documents d JOIN crawl_runs r ON r.id = d.first_seen_run").fetchall()
    assert rows
    owners = {p["url"]: p.get("profile") for p in manifest["pages"]}
    for url, site in rows:
        assert profile_of_host(urlsplit(url).hostname) == site, url
        if owners.get(url):
            assert owners[url] == site, url


def test_one_run_per_profile_and_no_page_guessed(crawl):
    _, log, db = crawl
    sites = [site for (site,) in db.execute("SELECT site FROM crawl_runs WHERE kind = 'crawl' ORDER BY id")]
    assert sites == list(SITES)
    family_hosts = {host for site in PROFILES for host in load_profile(site).allowed_hosts}
    family_requests = [e for e in log if urlsplit(e["url"]).hostname in family_hosts]
    # every page asked of a family city exists: pagers read, not guessed
    assert [e for e in family_requests if e["status"] != 200] == []
    posts = [e["url"] for e in family_requests if e["method"] == "POST"]
    assert posts and all(urlsplit(u).path == "/module/web/jpage/dataproxy.jsp" for u in posts)
    api = [e["url"] for e in family_requests if "/gkmlpt/api/all/" in e["url"]]
    assert len(api) == len(set(api)) >= 4  # both categories, several pages, each once
