"""Scheduled re-crawls against the replica's time travel: what a run fetches and adds when
nothing changed, when a new year is published, when a report is edited or taken down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import sqlite_utils

from govcrawl.profiles import load_profile
from pipelines.coverage import missing_reports, new_reports
from tests.replica.process import Replica, run_crawl

pytestmark = pytest.mark.e2e  # crawls or browses in real subprocesses


@dataclass
class Run:
    """One crawl of the sequence: its exit status and the requests the replica served it."""

    returncode: int
    stderr: str
    served: list[dict]
    run_id: int


@dataclass
class Timeline:
    db: sqlite_utils.Database
    first: Run
    unchanged: Run
    published: Run
    revalidated: Run
    new_urls: list[str]
    edited: str
    deleted: str
    manifest: dict

    def rows(self, sql: str, params=()) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def timeline(tmp_path_factory) -> Timeline:
    path = tmp_path_factory.mktemp("recrawl") / "govcrawl.db"
    with Replica(size=200, slow_seconds=0.5) as replica:

        def crawl(*args: str) -> Run:
            before = len(replica.request_log())
            result = run_crawl(path, replica.proxy, *args)
            run_id = sqlite_utils.Database(path).execute("SELECT max(id) FROM crawl_runs WHERE kind = 'crawl'").fetchone()[0]
            return Run(result.returncode, result.stderr, replica.request_log()[before:], run_id)

        first = crawl()
        unchanged = crawl()
        new_urls = replica.travel("publish")
        published = crawl()
        (edited,) = replica.travel("edit")
        (deleted,) = replica.travel("delete")
        revalidated = crawl("revalidate=1")
        return Timeline(
            sqlite_utils.Database(path), first, unchanged, published, revalidated, new_urls, edited, deleted,
            replica.manifest(),
        )  # fmt: skip


def articles(run: Run) -> dict[str, int]:
    """The pages a run fetched other than list pages and robots.txt, with their status."""
    profile = load_profile("panzhihua")
    return {
        e["url"]: e["status"]
        for e in run.served
        if not profile.is_list_page(e["url"]) and not e["url"].endswith("/robots.txt")
    }


def test_every_run_succeeds(timeline):
    for run in (timeline.first, timeline.unchanged, timeline.published, timeline.revalidated):
        assert run.returncode == 0, run.stderr[-3000:]
    statuses = timeline.rows("SELECT status, failure FROM crawl_runs WHERE kind = 'crawl' ORDER BY id")
    assert statuses == [("finished", None)] * 4


def test_unchanged_recrawl_fetches_list_pages_only(timeline):
    profile = load_profile("panzhihua")
    urls = [entry["url"] for entry in timeline.unchanged.served]
    lists = [url for url in urls if profile.is_list_page(url)]
    robots = [url for url in urls if url.endswith("/robots.txt")]
    assert lists and len(robots) == len({url.split("/")[2] for url in lists})
    assert len(urls) == len(lists) + len(robots)  # not one article body
    assert len(set(lists)) == len(lists)
    first_lists = {entry["url"] for entry in timeline.first.served if profile.is_list_page(entry["url"])}
    assert set(lists) == first_lists  # every list page is revisited
    figures = timeline.rows(
        "SELECT requests, new_documents, new_versions, gone FROM crawl_runs WHERE id = ?",
        [timeline.unchanged.run_id],
    )
    assert figures == [(len(urls), 0, 0, 0)]


def test_new_year_is_picked_up_and_nothing_else(timeline):
    run = timeline.published.run_id
    new = {url for (url,) in timeline.rows("SELECT url FROM documents WHERE first_seen_run = ?", [run])}
    assert len(timeline.new_urls) > 5
    assert new == set(timeline.new_urls)  # recall 100%, nothing else new
    assert set(articles(timeline.published)) == set(timeline.new_urls)  # and nothing else fetched
    years = timeline.rows(
        "SELECT DISTINCT t.report_year, t.doc_kind FROM documents d"
        " JOIN document_texts t ON t.version_id = d.current_version_id WHERE d.first_seen_run = ?",
        [run],
    )
    assert years == [(2026, "annual_report")]
    assert timeline.rows("SELECT count(*) FROM document_versions WHERE run_id = ?", [run]) == [(len(new),)]


def test_coverage_names_new_and_missing_agency_years(timeline):
    published = {
        (p["agency"], p["year"]) for p in timeline.manifest["pages"] if p["url"] in set(timeline.new_urls)
    }
    assert set(new_reports(timeline.db, timeline.published.run_id)) == published
    assert new_reports(timeline.db, timeline.unchanged.run_id) == []
    # Up to the 2026 reports' deadline nothing is missing; once the 2027 reports are due, every
    # agency lacks one (the replica's old city column is the same agency as its new one).
    assert missing_reports(timeline.db, date(2027, 3, 31)) == []
    assert missing_reports(timeline.db, date(2028, 4, 1)) == sorted((agency, 2027) for agency, _ in published)


def test_revalidation_adds_a_version_for_the_edit_and_marks_the_deletion_gone(timeline):
    run = timeline.revalidated.run_id
    versions = timeline.rows(
        "SELECT v.id, v.run_id, count(rv.id) FROM document_versions v JOIN documents d ON d.id = v.document_id"
        " LEFT JOIN report_values rv ON rv.version_id = v.id WHERE d.url = ? GROUP BY v.id ORDER BY v.id",
        [timeline.edited],
    )
    assert [(r[1] == run) for r in versions] == [False, True]
    assert versions[0][2] == versions[1][2] > 100  # the old version keeps its values
    current = timeline.rows("SELECT current_version_id FROM documents WHERE url = ?", [timeline.edited])
    assert current == [(versions[1][0],)]
    text = timeline.rows("SELECT text FROM document_texts WHERE version_id = ?", [versions[1][0]])[0][0]
    assert "更正" in text
    gone = timeline.rows(
        "SELECT gone_run, gone_status, (SELECT count(*) FROM document_versions WHERE document_id = d.id)"
        " FROM documents d WHERE gone_run IS NOT NULL"
    )
    assert gone == [(run, 404, 1)]
    assert timeline.rows("SELECT url FROM documents WHERE gone_run = ?", [run]) == [(timeline.deleted,)]
    changes = timeline.rows("SELECT change, url FROM last_run_changes")
    assert changes == [("gone", timeline.deleted), ("new version", timeline.edited)]
    (status,) = timeline.rows(
        "SELECT c.status FROM coverage c JOIN reports r ON r.document_id = c.document_id WHERE r.url = ?",
        [timeline.deleted],
    )[0]
    assert status == "gone"


def test_revalidation_is_conditional(timeline):
    documents = timeline.rows("SELECT count(*) FROM documents")[0][0]
    statuses = list(articles(timeline.revalidated).values())
    # every stored document once: unchanged ones answer 304 without a body
    assert statuses.count(304) == documents - 2
    assert statuses.count(200) == 1  # the edit
    assert statuses.count(404) == 2  # the deletion, and the dead link an earlier run recorded
    figures = timeline.rows(
        "SELECT new_documents, new_versions, unchanged, gone FROM crawl_runs WHERE id = ?",
        [timeline.revalidated.run_id],
    )
    assert figures == [(0, 1, documents - 2, 1)]
