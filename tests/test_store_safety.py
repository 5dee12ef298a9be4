"""pipelines.store keeps what processing could not handle, and its figures and batches are live."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from pipelines.store import FetchRecord, PageRecord, ProcessedResult, ProcessedRows, Store, processing_failure


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "g.db", batch_size=1000, flush_seconds=3600)
    yield store
    store.close()


def store_page(store: Store, run: int, url: str, body: bytes, processed: ProcessedRows | None) -> int:
    """A crawled page stored pending, then (unless processed is None) its processing written."""
    fetch_id = store.record_fetch(FetchRecord(run_id=run, url=url, status=200, body=body))
    store.store_page(PageRecord(run, fetch_id, url, url, 200, body, "http://a/index.shtml", "t"))
    if processed is not None:
        store.flush()
        version = store.db.execute("SELECT id FROM document_versions WHERE fetch_id = ?", [fetch_id]).fetchone()[0]
        store.counts.update(store.write_processed([ProcessedResult(version, processed)]))
    return fetch_id


def eventually(read, expected, seconds: float = 5.0) -> bool:
    """Whether read() gives expected within a few seconds (the writer thread writes on its own)."""
    deadline = time.monotonic() + seconds
    while read() != expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_value_sqlite_cannot_hold_leaves_the_version_unparsed(store):
    run = store.start_run("test", "v", {})
    huge = {"key": "x", "value": 10**30, "unit": "件"}  # beyond SQLite's 64-bit integers
    good = ProcessedRows({"processor_version": "2", "doc_kind": "annual_report", "problems": "[]"}, [{**huge, "value": 5}])
    bad = ProcessedRows({"processor_version": "2", "doc_kind": "annual_report", "problems": "[]"}, [huge])
    store_page(store, run, "http://a/1.shtml", b"one", good)
    bad_fetch = store_page(store, run, "http://a/2.shtml", b"two", bad)
    store.flush()
    assert store.write_error is None
    rows = store.db.execute(
        "SELECT d.url, t.doc_kind, t.problems FROM documents d JOIN document_texts t ON t.version_id = d.current_version_id"
        " ORDER BY d.url"
    ).fetchall()
    assert rows[0] == ("http://a/1.shtml", "annual_report", "[]")
    url, kind, problems = rows[1]
    assert (url, kind) == ("http://a/2.shtml", None)
    [problem] = json.loads(problems)
    assert problem.startswith("processing failed: OverflowError")
    assert store.db.execute("SELECT count(*) FROM report_values").fetchone()[0] == 1  # only the good page's
    error = store.db.execute("SELECT error FROM fetches WHERE id = ?", [bad_fetch]).fetchone()[0]
    assert error == problem
    assert store.counts["unparsed"] == 1 and store.counts["new_documents"] == 2
    assert "http://a/2.shtml" in store.known_links()  # settled: later runs do not fetch it to drop it again


def test_a_failure_found_before_the_store_is_recorded_the_same_way(store):
    run = store.start_run("test", "v", {})
    try:
        float(10**5000)
    except OverflowError as error:
        failure = processing_failure(error)
    fetch_id = store_page(store, run, "http://a/3.shtml", b"three", ProcessedRows.failed(failure, "2"))
    store.flush()
    assert failure == "processing failed: OverflowError: int too large to convert to float"
    assert store.db.execute("SELECT error FROM fetches WHERE id = ?", [fetch_id]).fetchone()[0] == failure
    assert store.db.execute("SELECT problems FROM document_texts").fetchone()[0] == json.dumps([failure], ensure_ascii=False)


def test_failure_messages_are_one_bounded_line():
    message = processing_failure(ValueError("line one\nline two " + "x" * 5000))
    assert "\n" not in message and len(message) < 400
    assert message.startswith("processing failed: ValueError: line one line two x")
    assert processing_failure(KeyError()) == "processing failed: KeyError"


def test_the_running_run_shows_its_figures_as_batches_are_written(tmp_path):
    path = tmp_path / "g.db"
    store = Store(path, batch_size=2, flush_seconds=3600)
    run = store.start_run("test", "v", {})
    reader = sqlite3.connect(path)
    figures = lambda: reader.execute("SELECT status, requests, errors, new_documents FROM crawl_runs").fetchone()  # noqa: E731
    assert figures() == ("running", None, None, None)
    store_page(store, run, "http://a/1.shtml", b"one", None)  # a fetch and a page: one batch of 2
    assert eventually(figures, ("running", 1, 0, 1))  # written by the writer thread, unasked
    store.record_fetch(FetchRecord(run_id=run, url="http://a/x.shtml", status=500, error="HTTP 500"))
    store.record_fetch(FetchRecord(run_id=run, url="http://a/y.shtml", status=200))
    assert eventually(figures, ("running", 3, 1, 1))
    store.close()


def test_a_timer_writes_a_batch_that_no_row_follows(tmp_path):
    path = tmp_path / "g.db"
    store = Store(path, batch_size=1000, flush_seconds=0.2)
    run = store.start_run("test", "v", {})
    store.record_fetch(FetchRecord(run_id=run, url="http://a/1.shtml", status=200))
    reader = sqlite3.connect(path)
    store.flush_if_due()
    assert reader.execute("SELECT count(*) FROM fetches").fetchone()[0] == 0  # not due yet
    time.sleep(0.25)
    store.flush_if_due()
    assert eventually(lambda: reader.execute("SELECT count(*) FROM fetches").fetchone()[0], 1)
    store.close()
