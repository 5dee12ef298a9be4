"""pipelines.store on a real SQLite file, without Scrapy."""

from __future__ import annotations

import sqlite3
import zlib

import pytest

from pipelines.store import FetchRecord, PageMark, PageRecord, Revalidation, Store, read_body


def page(store: Store, run: int, url: str, body: bytes) -> None:
    fetch_id = store.record_fetch(FetchRecord(run_id=run, url=url, status=200, body=body))
    store.store_page(PageRecord(run, fetch_id, url, url, 200, body, "http://x/index.shtml", "t"))


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "g.db", batch_size=1000, flush_seconds=3600)
    yield store
    store.close()


def count(store: Store, table: str) -> int:
    return store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_changed_body_adds_a_version_and_keeps_the_old(store):
    run = store.start_run("test", "v", {})
    page(store, run, "http://a/1.shtml", b"first")
    page(store, run, "http://a/1.shtml", b"first")
    page(store, run, "http://a/1.shtml", b"second")
    store.flush()
    versions = store.db.execute("SELECT body_sha256 FROM document_versions ORDER BY id").fetchall()
    assert len(versions) == 2
    assert [read_body(store.db, sha) for (sha,) in versions] == [b"first", b"second"]
    current = store.db.execute(
        "SELECT v.body_sha256 FROM documents d JOIN document_versions v ON v.id = d.current_version_id"
    ).fetchone()[0]
    assert read_body(store.db, current) == b"second"
    assert store.counts["unchanged"] == 1


def test_bodies_are_stored_once_and_compressed(store):
    run = store.start_run("test", "v", {})
    body = "政府信息公开工作年度报告".encode() * 200
    for i in range(3):
        page(store, run, f"http://a/{i}.shtml", body)
    store.flush()
    assert count(store, "bodies") == 1
    length, stored = store.db.execute("SELECT length, length(content) FROM bodies").fetchone()
    assert length == len(body) and stored < len(body) / 10
    assert count(store, "fetches") == 3 and count(store, "documents") == 3


def test_the_write_lock_is_free_while_a_batchs_bodies_are_compressed(store, monkeypatch):
    """The process stage writes beside the crawl: compressing a batch's bodies (most of a
    write's time) must not hold the write lock, or the stage waits out whole batches."""
    import pipelines.store

    free_while_compressing = []
    compressed = zlib.compress

    def compress(body: bytes, level: int) -> bytes:
        other = sqlite3.connect(store.path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another writer gets the lock at once, or raises
            other.execute("ROLLBACK")
            free_while_compressing.append(True)
        except sqlite3.OperationalError:
            free_while_compressing.append(False)
        finally:
            other.close()
        return compressed(body, level)

    monkeypatch.setattr(pipelines.store.zlib, "compress", compress)
    run = store.start_run("test", "v", {})
    page(store, run, "http://a/1.shtml", "年度报告".encode() * 50)
    page(store, run, "http://a/2.shtml", "工作总结".encode() * 50)
    store.flush()
    assert free_while_compressing == [True, True]
    assert count(store, "bodies") == 2


def test_nothing_is_written_until_a_batch_commits(tmp_path):
    store = Store(tmp_path / "g.db", batch_size=1000, flush_seconds=3600)
    run = store.start_run("test", "v", {})
    page(store, run, "http://a/1.shtml", b"x")
    other = sqlite3.connect(tmp_path / "g.db")
    assert other.execute("SELECT count(*) FROM fetches").fetchone()[0] == 0
    store.flush()
    assert other.execute("SELECT count(*) FROM fetches").fetchone()[0] == 1
    assert other.execute("SELECT count(*) FROM document_versions").fetchone()[0] == 1
    store.close()


def test_a_batch_that_fails_leaves_no_rows(tmp_path):
    told: list[str] = []
    store = Store(tmp_path / "g.db", batch_size=1000, flush_seconds=3600, on_write_error=told.append)
    run = store.start_run("test", "v", {})
    page(store, run, "http://a/1.shtml", b"x")
    store._batch.fetches.append((1, FetchRecord(run_id=run, url="duplicate id")))  # violates the primary key
    store.flush()
    assert store.write_error.startswith("IntegrityError") and told == [store.write_error]
    assert count(store, "fetches") == 0 and count(store, "bodies") == 0 and count(store, "documents") == 0
    assert store.counts["new_documents"] == 0  # figures count committed rows only
    store._writer.unwritten[0].fetches.pop()  # the cause goes away: the batch kept by the writer is written
    store.flush()
    assert store.write_error is None and count(store, "fetches") == 1 and count(store, "documents") == 1
    assert store.counts["new_documents"] == 1


def test_fetch_ids_continue_across_stores(tmp_path):
    first = Store(tmp_path / "g.db")
    run = first.start_run("test", "v", {})
    ids = [first.record_fetch(FetchRecord(run_id=run, url=f"http://a/{i}")) for i in range(3)]
    first.close()
    second = Store(tmp_path / "g.db")
    assert second.record_fetch(FetchRecord(run_id=run, url="http://a/next")) == ids[-1] + 1
    second.close()


def test_late_errors_are_attached_to_the_fetch(store):
    run = store.start_run("test", "v", {})
    fetch_id = store.record_fetch(FetchRecord(run_id=run, url="http://a/loop", status=302))
    store.flush()
    store.mark_fetch_error(fetch_id, "IgnoreRequest: max redirections")
    store.flush()
    assert store.db.execute("SELECT error FROM fetches").fetchone()[0] == "IgnoreRequest: max redirections"


def test_finish_run_records_stats(store):
    run = store.start_run("test", "v1", {"ROBOTSTXT_OBEY": True})
    page(store, run, "http://a/1.shtml", b"x")
    store.record_fetch(FetchRecord(run_id=run, url="http://a/2.shtml", status=500, error="HTTP 500"))
    store.finish_run(run, "finished", {"pages": 3})
    row = store.db.execute(
        "SELECT status, finish_reason, stats, code_version, requests, errors, new_documents, new_versions"
        " FROM crawl_runs"
    ).fetchone()
    assert row == ("finished", "finished", '{"pages": 3}', "v1", 2, 1, 1, 1)


def test_conditional_answers_mark_documents_unchanged_or_gone(store):
    run = store.start_run("test", "v", {})
    page(store, run, "http://a/1.shtml", b"x")
    page(store, run, "http://a/2.shtml", b"y")
    store.flush()
    later = store.start_run("test", "v", {})
    store.mark_page(PageMark(later, "http://a/1.shtml", 304, "2027-01-01T00:00:00"))
    store.mark_page(PageMark(later, "http://a/2.shtml", 410, "2027-01-01T00:00:00"))
    store.mark_page(PageMark(later, "http://a/dead-link.shtml", 404, "2027-01-01T00:00:00"))
    store.flush()
    rows = store.db.execute("SELECT url, last_seen_run, gone_run, gone_status FROM documents ORDER BY url")
    assert rows.fetchall() == [("http://a/1.shtml", later, None, None), ("http://a/2.shtml", run, later, 410)]
    assert (store.counts["unchanged"], store.counts["gone"]) == (1, 1)
    assert count(store, "document_versions") == 2  # a gone document keeps its versions
    page(store, later, "http://a/2.shtml", b"y")  # it came back
    store.flush()
    assert store.db.execute("SELECT gone_at FROM documents WHERE url = 'http://a/2.shtml'").fetchone() == (None,)


def test_known_links_and_revalidation_targets(store):
    run = store.start_run("test", "v", {})
    fetch_id = store.record_fetch(
        FetchRecord(run_id=run, url="http://a/1.shtml", status=200, headers={"Etag": ['"abc"']}, body=b"x")
    )
    store.store_page(
        PageRecord(run, fetch_id, "http://a/old.shtml", "http://a/1.shtml", 200, b"x", "http://a/index.shtml", "t")
    )
    store.record_fetch(FetchRecord(run_id=run, url="http://a/dead.shtml", status=404, error="HTTP 404"))
    store.record_fetch(FetchRecord(run_id=run, url="http://a/flaky.shtml", status=500, error="HTTP 500"))
    store.flush()
    assert store.known_links() == {"http://a/old.shtml", "http://a/1.shtml", "http://a/dead.shtml"}
    assert store.revalidation_targets() == [
        Revalidation("http://a/1.shtml", '"abc"', None, "http://a/index.shtml"),
        Revalidation("http://a/dead.shtml", None, None, None),
    ]


def test_a_schema_3_file_loses_its_full_text_triggers_when_opened(tmp_path):
    """Schema 4 indexes each batch of processed versions at once; the per-row triggers of
    schema 3 would index them twice."""
    path = tmp_path / "g.db"
    Store(path).close()
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TRIGGER document_texts_ai AFTER INSERT ON document_texts BEGIN"
        " INSERT INTO document_texts_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text); END"
    )
    old.execute("PRAGMA user_version = 3")
    old.commit()
    old.close()
    store = Store(path)
    triggers = store.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    assert triggers == [] and store.db.execute("PRAGMA user_version").fetchone()[0] == 6
    store.close()
