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
from tests.replica.families import PROFILES, REPLICA_PROFILES
from tests.replica.process import Replica, run_crawl

pytestmark = pytest.mark.e2e
SITES = REPLICA_PROFILES  # as `make demo` crawls them (示例市, shili, through the browser)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    path = tmp_path_factory.mktemp("families") / "govcrawl.db"
    with Replica(size=40, families=True) as replica:
        for site in SITES:
            result = run_crawl(path, replica.proxy, f"site={site}")
            assert result.returncode == 0, result.stderr[-3000:]
        manifest, log = replica.manifest(), replica.request_log()
        for site in PROFILES:  # the next scheduled run of each family city
            result = run_crawl(path, replica.proxy, f"site={site}")
            assert result.returncode == 0, result.stderr[-3000:]
        again = replica.request_log()[len(log) :]
    db = sqlite3.connect(path)
    yield manifest, log, db, again
    db.close()


PROFILE_OF_HOST = {host: site for site in SITES for host in load_profile(site).allowed_hosts}


def profile_of_host(host: str) -> str | None:
    return PROFILE_OF_HOST.get(host)


def test_every_report_of_every_city_is_stored_under_its_profile(crawl):
    manifest, _, db, _ = crawl
    found_by = dict(
        db.execute("SELECT d.url, r.site FROM documents d JOIN crawl_runs r ON r.id = d.first_seen_run").fetchall()
    )
    reports = [p for p in manifest["pages"] if p["kind"] == "annual_report"]
    for site in (*PROFILES, "shili"):
        wanted = {p["url"] for p in reports if profile_of_host(urlsplit(p["url"]).hostname) == site}
        assert len(wanted) >= (30 if site in PROFILES else 10)  # several list pages' worth
        assert all(p.get("profile") == site for p in reports if p["url"] in wanted and site in PROFILES)
        stored = {url for url, by in found_by.items() if by == site}
        assert wanted - stored == set(), site  # recall 100%
    # the panzhihua crawl stored its own reports too (its recall, with its faults and
    # redirects, is tests/test_crawl.py's)
    assert sum(by == "panzhihua" for by in found_by.values()) >= 30


def test_no_document_is_stored_under_another_profile(crawl):
    manifest, _, db, _ = crawl
    rows = db.execute("SELECT d.url, r.site FROM documents d JOIN crawl_runs r ON r.id = d.first_seen_run").fetchall()
    assert rows
    owners = {p["url"]: p.get("profile") for p in manifest["pages"]}
    for url, site in rows:
        assert profile_of_host(urlsplit(url).hostname) == site, url
        if owners.get(url):
            assert owners[url] == site, url


def test_one_run_per_profile_and_no_page_guessed(crawl):
    _, log, db, _ = crawl
    sites = [site for (site,) in db.execute("SELECT site FROM crawl_runs WHERE kind = 'crawl' ORDER BY id")]
    assert sites == [*SITES, *PROFILES]
    family_hosts = {host for site in PROFILES for host in load_profile(site).allowed_hosts}
    family_requests = [e for e in log if urlsplit(e["url"]).hostname in family_hosts]
    # every page asked of a family city (or of 示例市, whose pager a browser writes) exists:
    # pagers read, not guessed
    shili_hosts = set(load_profile("shili").allowed_hosts)
    asked = [e for e in log if urlsplit(e["url"]).hostname in family_hosts | shili_hosts]
    assert [e for e in asked if e["status"] != 200] == []
    posts = [e["url"] for e in family_requests if e["method"] == "POST"]
    assert posts and all(urlsplit(u).path == "/module/web/jpage/dataproxy.jsp" for u in posts)
    api = [e["url"] for e in family_requests if "/gkmlpt/api/all/" in e["url"]]
    assert len(api) == len(set(api)) >= 4  # both categories, several pages, each once


def test_the_family_cities_reports_are_read_right(crawl):
    """Their own addresses and article chrome change nothing of what a report says."""
    manifest, _, db, _ = crawl
    reports = {row[0]: row[1:] for row in db.execute("SELECT url, agency, report_year, published_date, format FROM reports")}
    values: dict[str, dict[str, float]] = {}
    for url, key, value in db.execute(
        "SELECT d.url, v.key, v.value FROM documents d JOIN report_values v ON v.version_id = d.current_version_id"
    ):
        values.setdefault(url, {})[key] = value
    family_reports = [p for p in manifest["pages"] if p.get("profile") and p["kind"] == "annual_report"]
    for page in family_reports:
        assert reports[page["url"]] == (page["agency"], page["year"], page["published"], page["format"]), page["url"]
        expected = {**page.get("values", {}), **page.get("prose_values", {})}
        assert {k: values.get(page["url"], {}).get(k) for k in expected} == expected, page["url"]


def test_a_recrawl_asks_only_for_lists_and_list_apis(crawl):
    """Lists (and the API pages behind them) are asked again, where new years appear; the
    reports stored by the first run are not."""
    manifest, _, db, again = crawl
    reports = {p["url"] for p in manifest["pages"] if p.get("profile") and p["kind"] == "annual_report"}
    asked = [e["url"] for e in again]
    assert asked and not reports & set(asked)
    assert sum("/gkmlpt/api/all/" in url for url in asked) >= 4
    assert sum(e["method"] == "POST" for e in again) == 2  # one per Hanweb column
    new = db.execute(
        "SELECT count(*) FROM documents d JOIN crawl_runs r ON r.id = d.first_seen_run WHERE r.id > ?",
        [len(SITES) * 2],  # each crawl run is followed by its process run
    ).fetchone()[0]
    assert new == 0
