"""`scrapy crawl reports` exits non-zero when the run failed, so that a scheduler knows, and
says why in its log and in `crawl_runs.failure`."""

from __future__ import annotations

import sqlite3

import pytest

from govcrawl.recorder import lock_database
from pipelines.store import Store
from tests.replica.process import Replica, free_port, run_crawl

pytestmark = pytest.mark.e2e  # crawls or browses in real subprocesses


def run_row(path) -> tuple:
    return sqlite3.connect(path).execute("SELECT status, failure, requests, errors FROM crawl_runs ORDER BY id").fetchone()


def test_no_list_page_reachable(tmp_path):
    path = tmp_path / "govcrawl.db"
    result = run_crawl(path, f"http://127.0.0.1:{free_port()}", settings={"RETRY_TIMES": "0"})
    assert result.returncode == 1
    assert "no list page was reachable" in result.stderr
    status, failure, requests, errors = run_row(path)
    assert (status, failure) == ("failed", "no list page was reachable")
    assert requests == errors > 0  # every failed attempt is recorded


def test_error_rate_over_the_threshold(tmp_path):
    path = tmp_path / "govcrawl.db"
    with Replica(size=200) as replica:
        result = run_crawl(path, replica.proxy, settings={"GOVCRAWL_MAX_ERROR_RATE": "0.001"})
    assert result.returncode == 1
    status, failure, requests, errors = run_row(path)
    assert status == "failed" and failure == f"{errors} of {requests} requests failed, more than 0.1%"
    assert sqlite3.connect(path).execute("SELECT count(*) FROM documents").fetchone()[0] > 100  # all kept


def test_unwritable_database(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run_crawl(blocker / "govcrawl.db", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert "cannot write the database" in result.stderr


def test_a_second_crawl_on_the_same_database_is_refused(tmp_path):
    path = tmp_path / "govcrawl.db"
    lock = lock_database(path)  # as a crawl still running would hold it
    try:
        result = run_crawl(path, "http://127.0.0.1:9")
    finally:
        lock.close()
    assert result.returncode == 1
    assert "another crawl is writing" in result.stderr
    assert not path.exists()  # refused before touching the database


def test_database_that_stops_taking_writes(crawled, tmp_path):
    path = tmp_path / "govcrawl.db"
    Store(path).close()
    db = sqlite3.connect(path)
    # what a full disk does to the crawl's write transactions, injected in the database itself
    db.execute("CREATE TRIGGER full BEFORE INSERT ON document_versions BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    db.commit()
    with Replica(size=200) as replica:
        failed = run_crawl(path, replica.proxy)
        status, failure, *_ = run_row(path)
        assert (failed.returncode, status) == (1, "failed")
        assert failure.startswith("the database could not be written") and "disk full" in failure
        reason = db.execute("SELECT finish_reason FROM crawl_runs").fetchone()[0]
        assert reason == "database_unwritable"  # it stopped fetching what it could not store
        assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 0  # no half-written batch
        db.execute("DROP TRIGGER full")
        db.commit()
        again = run_crawl(path, replica.proxy)
    assert again.returncode == 0, again.stderr[-3000:]
    stored = lambda p: set(sqlite3.connect(p).execute("SELECT url FROM documents"))  # noqa: E731
    assert stored(path) == stored(crawled.path)
