"""Runs killed (SIGKILL), interrupted (SIGINT, resumed with JOBDIR) or sharing the database
with other writers and readers: nothing committed is lost, nothing is half-written, and the
database ends up as an uninterrupted crawl's."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from tests.replica.process import ROOT, Replica, run_crawl, start_crawl

# Small batches and fewer concurrent requests, so that a crawl of the small replica has many
# commits to be killed between.
SLOW = {"GOVCRAWL_BATCH_SIZE": "5", "CONCURRENT_REQUESTS": "4", "CONCURRENT_REQUESTS_PER_DOMAIN": "2"}


def snapshot(path: Path) -> tuple:
    """What a crawl stored: documents, their versions (by body) and their current values."""
    db = sqlite3.connect(path)
    documents = {url for (url,) in db.execute("SELECT url FROM documents")}
    versions = set(
        db.execute(
            "SELECT d.url, v.body_sha256 FROM document_versions v JOIN documents d ON d.id = v.document_id"
        )
    )
    values = Counter(
        db.execute(
            "SELECT d.url, rv.key, rv.value FROM documents d JOIN report_values rv ON rv.version_id = d.current_version_id"
        )
    )
    db.close()
    return documents, versions, values


def count(path: Path, sql: str) -> int:
    if not path.exists():
        return 0
    db = sqlite3.connect(path, timeout=30)
    try:
        return db.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        db.close()


def wait_for_documents(process: subprocess.Popen, path: Path, documents: int) -> None:
    while count(path, "SELECT count(*) FROM documents") < documents:
        assert process.poll() is None, f"the crawl ended before storing {documents} documents"
        time.sleep(0.02)


def integrity(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def test_killed_runs_then_a_normal_run_equal_an_uninterrupted_crawl(crawled, tmp_path):
    path = tmp_path / "govcrawl.db"
    with Replica(size=200, slow_seconds=0.5) as replica:
        for kill_at in (5, 45, 90):  # documents stored when the SIGKILL comes
            process = start_crawl(path, replica.proxy, settings=SLOW)
            wait_for_documents(process, path, kill_at)
            process.kill()
            process.wait(timeout=30)
            assert integrity(path) == "ok"
        stored = {url for (url,) in sqlite3.connect(path).execute("SELECT url FROM documents")}
        result = run_crawl(path, replica.proxy)
    assert result.returncode == 0, result.stderr[-3000:]
    assert integrity(path) == "ok"
    assert snapshot(path) == snapshot(crawled.path)
    db = sqlite3.connect(path)
    assert [s for (s,) in db.execute("SELECT status FROM crawl_runs ORDER BY id")] == ["abandoned"] * 3 + [
        "finished"
    ]
    last_run = db.execute("SELECT max(id) FROM crawl_runs").fetchone()[0]
    fetched = {url for (url,) in db.execute("SELECT url FROM fetches WHERE run_id = ?", [last_run])}
    assert stored and not fetched & stored  # the last run fetched only what the dead ones had not stored


def test_interrupted_run_resumes_from_its_jobdir(crawled, tmp_path):
    path, jobdir = tmp_path / "govcrawl.db", tmp_path / "job"
    settings = {**SLOW, "JOBDIR": str(jobdir)}
    with Replica(size=200, slow_seconds=0.5) as replica:
        process = start_crawl(path, replica.proxy, settings=settings)
        wait_for_documents(process, path, 30)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 1  # a scheduler sees the run did not complete
        assert (jobdir / "requests.queue").exists()
        result = run_crawl(path, replica.proxy, settings=settings)
        served = replica.request_log()
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(path)
    runs = db.execute("SELECT id, status, resumed_from FROM crawl_runs ORDER BY id").fetchall()
    assert runs == [(1, "interrupted", None), (2, "finished", 1)]
    assert snapshot(path) == snapshot(crawled.path)
    stored = {url for (url,) in db.execute("SELECT requested_url FROM document_versions")}
    bodies = Counter(entry["url"] for entry in served if entry["status"] == 200 and entry["url"] in stored)
    assert bodies and max(bodies.values()) == 1  # no report fetched twice across the pause


def test_readers_and_a_reparse_never_see_half_written_rows(tmp_path):
    path = tmp_path / "govcrawl.db"
    half_written = [
        # a version without its processing, a document without its current version
        "SELECT count(*) FROM document_versions v LEFT JOIN document_texts t ON t.version_id = v.id"
        " WHERE t.version_id IS NULL",
        "SELECT count(*) FROM documents d LEFT JOIN document_versions v ON v.id = d.current_version_id"
        " WHERE v.id IS NULL",
        "SELECT count(*) FROM document_versions v LEFT JOIN fetches f ON f.id = v.fetch_id WHERE f.id IS NULL",
    ]
    seen: list[tuple[int, ...]] = []

    def read_while(process: subprocess.Popen) -> None:
        while process.poll() is None:
            with sqlite3.connect(path, timeout=30) as db:  # one read transaction per sample
                db.execute("BEGIN")
                seen.append(tuple(db.execute(sql).fetchone()[0] for sql in half_written))
                db.execute("COMMIT")

    with Replica(size=200, slow_seconds=0.5) as replica:
        process = start_crawl(path, replica.proxy, settings=SLOW)
        wait_for_documents(process, path, 20)
        reader = threading.Thread(target=read_while, args=(process,))
        reader.start()
        # as after a parser change: every stored version's result differs, so reparse writes
        with sqlite3.connect(path, timeout=30) as db:
            db.execute("UPDATE document_texts SET result_sha256 = 'old parser'")
        reparse = subprocess.run(
            [sys.executable, "-m", "govcrawl.cli", "reparse", "--db", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        crawl_status = process.wait(timeout=300)
        reader.join()
    assert reparse.returncode == 0, reparse.stderr[-3000:]
    assert "changed (new versions)" in reparse.stdout and " 0 changed" not in reparse.stdout
    assert crawl_status == 0, process.stderr.read()[-3000:]
    assert len(seen) > 10 and set(seen) == {(0, 0, 0)}
    assert integrity(path) == "ok"
    assert count(path, "SELECT count(*) FROM document_versions WHERE reprocessed_from IS NOT NULL") >= 20
