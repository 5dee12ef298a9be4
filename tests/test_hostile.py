"""One crawl of the replica with every hostile case of issue 12 (`Replica(hostile=True)`).

Each case must end as a clear recorded error (or, for what the processing stage bounds, a stored
page with a `limit:` problem) while the rest of the crawl completes in bounded time and memory:
every reachable good report stored, the database intact, nothing lost without a trace.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

import pytest
import sqlite_utils

from pipelines.store import read_body
from tests.conftest import CrawlResult
from tests.replica.browser_pages import OTHER_HOST, SECRET
from tests.replica.hostile import NESTED_MARKER, OFFSITE_HOST, SILENT_HOST, TRAP_COLUMN
from tests.replica.process import HOSTILE_SETTINGS, MeasuredCrawl, Replica, measured_crawl, run_crawl

WALL_LIMIT = 180  # seconds
RSS_LIMIT = 300 * 1024 * 1024

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # its crawls run in the first test's setup

# The class word (before the colon) each fetch-level case must leave on a fetch row.
FETCH_ERRORS = {
    "oversize_body": "too large",
    "gzip_bomb": "too large",
    "no_length": "too large",
    "slow_drip": "timeout",
    "truncated_body": "truncated",
    "retry_after": "retry-after",
    "forbidden": "HTTP 403",
    "redirect_loop": "redirect loop",
    "offsite_redirect": "off-site redirect",
    "bad_scheme_redirect": "bad redirect scheme",
    "offsite_start_redirect": "off-site redirect",
    "empty_200_then_report": "suspect 200",
    "silent_host": "host not answering",
    "pagination_trap": "pagination limit",
}
# Cases the processing stage must bound: the page is stored, and its problems say what was cut.
PROCESSING_PROBLEMS = {
    "span_bomb": "limit:",
    "huge_table": "limit:",
    "mojibake_holes": "limit:",
    "huge_number": "implausible number:",
}


@dataclass
class HostileCrawl:
    first: CrawlResult
    measured: MeasuredCrawl
    second_db: sqlite_utils.Database

    def case_urls(self, case: str) -> list[str]:
        return [p["url"] for p in self.first.manifest["pages"] if p.get("hostile") == case]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> HostileCrawl:
    path = tmp_path_factory.mktemp("hostile") / "govcrawl.db"
    with Replica(size=200, slow_seconds=1.0, hostile=True) as replica:
        measured = measured_crawl(path, replica.proxy, settings=HOSTILE_SETTINGS, timeout=900)
        first_path = path.with_name("first-run.db")  # as the first run left it
        with sqlite3.connect(path) as source, sqlite3.connect(first_path) as copy:
            source.backup(copy)
        first = CrawlResult(
            sqlite_utils.Database(first_path), first_path, replica.manifest(), replica.request_log(), measured.stderr
        )
        second = run_crawl(path, replica.proxy, settings=HOSTILE_SETTINGS, timeout=900)
        assert second.returncode == 0, second.stderr[-3000:]
    return HostileCrawl(first, measured, sqlite_utils.Database(path))


def first_run_errors(crawl: CrawlResult, where: str, params=()) -> list[str]:
    return [error or "" for (error,) in crawl.rows(f"SELECT error FROM fetches WHERE {where}", params)]


def test_the_crawl_finishes_in_bounded_time_and_memory(hostile):
    measured = hostile.measured
    assert measured.returncode == 0, measured.stderr[-3000:]
    assert measured.seconds < WALL_LIMIT
    assert measured.peak_rss < RSS_LIMIT, f"{measured.peak_rss / 2**20:.0f} MB"


def test_every_reachable_good_report_is_stored(hostile):
    crawl = hostile.first
    dropped = {  # a host the crawl gave up on for Retry-After loses this run's remaining pages
        url.split("/")[2]
        for url, error in crawl.rows("SELECT url, error FROM fetches WHERE error LIKE 'retry-after:%'")
        if "host dropped" in error
    }
    good = {
        p["url"]
        for p in crawl.pages("annual_report")
        if p.get("reachable") is not False
        and p.get("fault") != "robots_disallowed"
        and p["url"].split("/")[2] not in dropped
    }
    stored = {url for (url,) in crawl.rows("SELECT url FROM documents")}
    assert len(good) > 60
    assert good - stored == set()


@pytest.mark.parametrize("case", sorted(FETCH_ERRORS))
def test_each_fetch_level_case_is_recorded_with_its_error(hostile, case):
    crawl, word = hostile.first, FETCH_ERRORS[case]
    if case == "silent_host":
        errors = first_run_errors(crawl, "url LIKE ?", [f"http://{SILENT_HOST}/%"])
    elif case == "pagination_trap":
        errors = first_run_errors(crawl, "url LIKE ?", [f"http://%{TRAP_COLUMN}%"])
    else:
        urls = hostile.case_urls(case)
        errors = first_run_errors(crawl, f"url IN ({','.join('?' * len(urls))})", urls)
    assert any(error.startswith(word) for error in errors), (case, errors)


@pytest.mark.parametrize("case", sorted(PROCESSING_PROBLEMS))
def test_each_processing_case_is_stored_with_its_problem(hostile, case):
    (url,) = hostile.case_urls(case)
    rows = hostile.first.rows(
        "SELECT t.problems FROM documents d JOIN document_texts t ON t.version_id = d.current_version_id"
        " WHERE d.url = ?",
        [url],
    )
    assert rows, f"{case}: not stored"
    problems = json.loads(rows[0][0] or "[]")
    assert any(str(p).startswith(PROCESSING_PROBLEMS[case]) for p in problems), problems


def test_the_deeply_nested_report_keeps_its_text_or_says_it_was_cut(hostile):
    (url,) = hostile.case_urls("deep_nesting")
    rows = hostile.first.rows(
        "SELECT t.text, t.problems FROM documents d JOIN document_texts t ON t.version_id = d.current_version_id"
        " WHERE d.url = ?",
        [url],
    )
    assert rows, "not stored"
    text, problems = rows[0]
    assert NESTED_MARKER in text or any(str(p).startswith("limit:") for p in json.loads(problems or "[]"))


@pytest.mark.parametrize("case", ["adversarial_title", "adversarial_script"])
def test_adversarial_pages_are_fetched_and_kept(hostile, case):
    (url,) = hostile.case_urls(case)
    rows = hostile.first.rows("SELECT status, body_sha256, error FROM fetches WHERE url = ?", [url])
    assert any(status == 200 and sha is not None for status, sha, _ in rows), rows
    assert all(error is None or ": " in error for _, _, error in rows), rows


def test_no_error_is_empty_and_every_failure_has_one(hostile):
    rows = hostile.first.rows("SELECT url, status, error FROM fetches")
    for url, status, error in rows:
        assert error is None or (error.strip() and "\n" not in error), (url, error)
        if status is None or status >= 400:
            assert error, (url, status)
    # the crawl counts its own failures, the process stage those of processing (also on the fetch row)
    ((counted,),) = hostile.first.rows("SELECT sum(errors) FROM crawl_runs")
    assert counted == len(first_run_errors(hostile.first, "error IS NOT NULL"))


def test_nothing_off_site_or_unreachable_was_fetched(hostile):
    requested = {entry["url"].split("/")[2] for entry in hostile.first.server_log}
    assert OFFSITE_HOST not in requested
    stored = {url for (url,) in hostile.first.rows("SELECT url FROM documents")}
    unreachable = {p["url"] for p in hostile.first.manifest["pages"] if p.get("reachable") is False}
    assert not stored & unreachable
    referers = {ref for (ref,) in hostile.first.rows("SELECT DISTINCT referer FROM document_versions")}
    assert not any(OFFSITE_HOST in (ref or "") for ref in referers)


def test_the_database_is_intact(hostile):
    db = hostile.second_db
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    orphans = db.execute(
        "SELECT count(*) FROM document_versions v LEFT JOIN fetches f ON f.id = v.fetch_id WHERE f.id IS NULL"
    ).fetchone()[0]
    assert orphans == 0


def test_a_second_run_stores_the_report_behind_the_empty_200(hostile):
    (url,) = hostile.case_urls("empty_200_then_report")
    assert hostile.first.rows("SELECT count(*) FROM documents WHERE url = ?", [url]) == [(0,)]
    stored = hostile.second_db.execute(
        "SELECT f.body_length FROM documents d JOIN document_versions v ON v.id = d.current_version_id"
        " JOIN fetches f ON f.id = v.fetch_id WHERE d.url = ?",
        [url],
    ).fetchall()
    expected = next(p["length"] for p in hostile.first.manifest["pages"] if p["url"] == url)
    assert stored == [(expected,)]


def test_a_page_whose_script_calls_a_loopback_service_is_kept_without_the_secret(hostile):
    (url,) = hostile.case_urls("loopback_script")
    crawl = hostile.first
    rows = crawl.rows("SELECT via, error FROM fetches WHERE url = ? ORDER BY id", [url])
    assert ("browser", None) in rows, rows  # rendered by Chromium (it looks script-built), no error
    assert crawl.rows("SELECT count(*) FROM documents WHERE url = ?", [url]) == [(1,)]
    requested = [entry["url"] for entry in crawl.server_log]
    assert not [u for u in requested if "secret" in u or OTHER_HOST in u], "the browser left the profile"
    assert not [u for (u,) in crawl.rows("SELECT url FROM fetches") if "127.0.0.1" in u or OTHER_HOST in u]
    secret = SECRET.encode()
    assert not [sha for sha, in crawl.rows("SELECT sha256 FROM bodies") if secret in read_body(crawl.db, sha)]
