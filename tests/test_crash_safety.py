"""Runs killed (SIGKILL), interrupted (SIGINT, resumed with JOBDIR) or sharing the database
with other writers and readers: crawls, the process stage beside them and `govcrawl process`
on its own. Nothing committed is lost, nothing is half-written (a version's rows land in one
transaction), and the database ends up as an uninterrupted crawl's."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from tests.replica.process import CRAWL_ENV, ROOT, Replica, run_crawl, start_crawl

pytestmark = pytest.mark.e2e  # crawls or browses in real subprocesses

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


def stage_beside(crawl: subprocess.Popen) -> psutil.Process:
    """The process stage the crawl started as its child (govcrawl.recorder)."""
    deadline = time.monotonic() + 60
    while True:
        for child in psutil.Process(crawl.pid).children():
            try:
                command = child.cmdline()
            except (psutil.ZombieProcess, psutil.NoSuchProcess):  # a short-lived child, gone already
                continue
            if "process" in command and "--follow" in command:
                return child
        assert time.monotonic() < deadline, "no process stage beside the crawl"
        time.sleep(0.05)


def test_killed_runs_then_a_normal_run_equal_an_uninterrupted_crawl(crawled, tmp_path):
    """Each crawl is killed while the process stage runs beside it: the stage, left alone,
    takes what the crawl had committed and exits; the next crawl (and its stage) finish."""
    path = tmp_path / "govcrawl.db"
    with Replica(size=200, slow_seconds=0.5) as replica:
        for kill_at in (5, 45, 90):  # documents stored when the SIGKILL comes
            process = start_crawl(path, replica.proxy, settings=SLOW)
            stage = stage_beside(process)
            wait_for_documents(process, path, kill_at)
            process.kill()
            process.wait(timeout=30)
            stage.wait(timeout=120)  # the crawl's lock went with it: the stage drains and exits
            assert integrity(path) == "ok"
            assert count(path, PENDING) == 0  # it processed everything the dead crawl stored
        stored = {url for (url,) in sqlite3.connect(path).execute("SELECT url FROM documents")}
        result = run_crawl(path, replica.proxy)
    assert result.returncode == 0, result.stderr[-3000:]
    assert integrity(path) == "ok"
    assert snapshot(path) == snapshot(crawled.path)
    db = sqlite3.connect(path)
    crawls = [s for (s,) in db.execute("SELECT status FROM crawl_runs WHERE kind = 'crawl' ORDER BY id")]
    assert crawls == ["abandoned"] * 3 + ["finished"]
    last_run = db.execute("SELECT max(id) FROM crawl_runs WHERE kind = 'crawl'").fetchone()[0]
    fetched = {url for (url,) in db.execute("SELECT url FROM fetches WHERE run_id = ?", [last_run])}
    assert stored and not fetched & stored  # the last run fetched only what the dead ones had not stored


PENDING = (
    "SELECT count(*) FROM document_versions v LEFT JOIN document_texts t ON t.version_id = v.id"
    " WHERE t.version_id IS NULL"
)


def process_command(path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "govcrawl.cli", "process", "--db", str(path), *args]


def rows_per_version(path: Path) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(document URL, body) -> (text rows, values, checks) of every version, in one read."""
    with sqlite3.connect(path, timeout=30) as db:
        db.execute("BEGIN")  # one snapshot
        rows = db.execute(
            "SELECT d.url, v.body_sha256, v.id, (SELECT count(*) FROM document_texts t WHERE t.version_id = v.id),"
            " (SELECT count(*) FROM report_values r WHERE r.version_id = v.id),"
            " (SELECT count(*) FROM validations c WHERE c.version_id = v.id)"
            " FROM document_versions v JOIN documents d ON d.id = v.document_id"
        ).fetchall()
        db.execute("COMMIT")
    return {(url, sha, version): tuple(counts) for url, sha, version, *counts in rows}


def test_a_killed_process_stage_leaves_versions_pending_and_the_next_run_finishes_them(crawled, tmp_path):
    path = tmp_path / "govcrawl.db"
    with Replica(size=200, slow_seconds=0.5) as replica:
        result = run_crawl(path, replica.proxy, settings={"GOVCRAWL_PROCESS_BESIDE": "0"})
    assert result.returncode == 0, result.stderr[-3000:]
    versions = count(path, "SELECT count(*) FROM document_versions")
    assert count(path, PENDING) == versions > 100  # the crawl alone leaves every version pending
    stage = subprocess.Popen(process_command(path, "--workers", "2"), cwd=ROOT, env=CRAWL_ENV,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    workers = []
    while count(path, "SELECT count(*) FROM document_texts") < 10:
        assert stage.poll() is None, "the stage ended before it could be killed"
        workers = psutil.Process(stage.pid).children() or workers
        time.sleep(0.01)
    stage.kill()
    stage.wait(timeout=30)
    psutil.wait_procs(workers, timeout=30)  # its workers do not outlive it
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    assert integrity(path) == "ok"
    left = count(path, PENDING)
    assert 0 < left < versions  # killed half-way: some done, the rest pending
    final = rows_per_version(crawled.path)
    by_url = {(url, sha): rows for (url, sha, _), rows in final.items()}
    for (url, sha, _), rows in rows_per_version(path).items():
        assert rows in ((0, 0, 0), by_url[(url, sha)])  # each version whole or not at all
    finished = subprocess.run(process_command(path), cwd=ROOT, env=CRAWL_ENV, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert f"{left} pending ones" in finished.stdout and count(path, PENDING) == 0
    assert snapshot(path) == snapshot(crawled.path)
    statuses = sqlite3.connect(path).execute("SELECT status FROM crawl_runs WHERE kind = 'process' ORDER BY id")
    assert [s for (s,) in statuses] == ["abandoned", "finished"]


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
    runs = db.execute("SELECT id, status, resumed_from FROM crawl_runs WHERE kind = 'crawl' ORDER BY id").fetchall()
    assert [(status, resumed) for _, status, resumed in runs] == [("interrupted", None), ("finished", runs[0][0])]
    stages = [s for (s,) in db.execute("SELECT status FROM crawl_runs WHERE kind = 'process' ORDER BY id")]
    assert stages[-1] == "finished" and set(stages) <= {"interrupted", "finished"}  # stopped with the crawl
    assert snapshot(path) == snapshot(crawled.path)
    stored = {url for (url,) in db.execute("SELECT requested_url FROM document_versions")}
    bodies = Counter(entry["url"] for entry in served if entry["status"] == 200 and entry["url"] in stored)
    assert bodies and max(bodies.values()) == 1  # no report fetched twice across the pause


def test_readers_never_see_half_a_version_while_a_crawl_its_stage_and_a_reparse_write(crawled, tmp_path):
    path = tmp_path / "govcrawl.db"
    half_written = [
        # a document without its current version, a version without its fetch
        "SELECT count(*) FROM documents d LEFT JOIN document_versions v ON v.id = d.current_version_id"
        " WHERE v.id IS NULL",
        "SELECT count(*) FROM document_versions v LEFT JOIN fetches f ON f.id = v.fetch_id WHERE f.id IS NULL",
    ]
    seen: list[tuple[int, ...]] = []
    samples: list[dict] = []

    def read_while(writers: list[subprocess.Popen]) -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and (len(writers) < 2 or any(p.poll() is None for p in writers)):
            with sqlite3.connect(path, timeout=30) as db:  # one read transaction per sample
                db.execute("BEGIN")
                seen.append(tuple(db.execute(sql).fetchone()[0] for sql in half_written))
                db.execute("COMMIT")
            samples.append(rows_per_version(path))

    with Replica(size=200, slow_seconds=0.5) as replica:
        process = start_crawl(path, replica.proxy, settings=SLOW)
        wait_for_documents(process, path, 1)
        # Read from the crawl's first versions on, while they are still pending, until the
        # crawl (with its stage) and the reparse have both ended.
        writers = [process]
        reader = threading.Thread(target=read_while, args=(writers,), daemon=True)
        reader.start()
        wait_for_documents(process, path, 20)
        while count(path, "SELECT count(*) FROM document_texts") < 10:  # the stage beside it at work
            time.sleep(0.02)
        # as after a parser change: the results stored so far differ, so a reparse writes
        with sqlite3.connect(path, timeout=30) as db:
            db.execute("UPDATE document_texts SET result_sha256 = 'old parser'")
        reparse = subprocess.Popen(
            [sys.executable, "-m", "govcrawl.cli", "reparse", "--db", str(path)],
            cwd=ROOT, env=CRAWL_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        writers.append(reparse)
        crawl_status = process.wait(timeout=300)
        out, err = reparse.communicate(timeout=300)
        reader.join()
    assert reparse.returncode == 0, err[-3000:]
    assert "changed (new versions)" in out and " 0 changed" not in out
    assert crawl_status == 0, process.stderr.read()[-3000:]
    assert len(seen) > 10 and set(seen) == {(0, 0)}
    final = rows_per_version(path)
    assert count(path, PENDING) == 0
    for sample in samples:  # every version pending (no rows) or whole, as it ends up
        assert all(rows in ((0, 0, 0), final[key]) for key, rows in sample.items())
    assert any(rows == (0, 0, 0) for sample in samples for rows in sample.values())  # pending ones were seen
    assert integrity(path) == "ok"
    assert count(path, "SELECT count(*) FROM document_versions WHERE reprocessed_from IS NOT NULL") >= 1
