"""The process stage (`govcrawl process`): pending versions get exactly the rows processing
their bytes inline gives, in a pool of workers; a page over a limit, or whose worker dies,
is stored unparsed with the reason and the stage goes on."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from govcrawl.cli import main as govcrawl_main
from govcrawl.stage import StageSettings, pending_counts, run_stage
from pipelines.encoding import content_type_of
from pipelines.process import PROCESSOR_VERSION, process_body
from pipelines.store import TABLES, FetchRecord, PageRecord, Store, read_body
from tests import limit_pages

REPORT = Path(__file__).parent / "data" / "examples" / "2023.html"
TEXT_COLUMNS = [name for name in TABLES["document_texts"][0] if name != "version_id"]
VALUE_COLUMNS = [name for name in TABLES["report_values"][0] if name not in ("id", "version_id")]
CHECK_COLUMNS = [name for name in TABLES["validations"][0] if name not in ("id", "version_id")]


def stored_rows(db, version_id: int) -> tuple:
    """A version's rows as stored: its text row, its values and its checks (as multisets)."""
    text = db.execute(f"SELECT {', '.join(TEXT_COLUMNS)} FROM document_texts WHERE version_id = ?", [version_id])
    values = db.execute(f"SELECT {', '.join(VALUE_COLUMNS)} FROM report_values WHERE version_id = ?", [version_id])
    checks = db.execute(f"SELECT {', '.join(CHECK_COLUMNS)} FROM validations WHERE version_id = ?", [version_id])
    return tuple(text.fetchone() or ()), Counter(values.fetchall()), Counter(checks.fetchall())


def inline_rows(body: bytes, content_type: str | None, url: str | None = None) -> tuple:
    """The same, computed here from the bytes (and the document's URL) by the one processing entry point."""
    rows = process_body(body, content_type, url)
    text = tuple(rows.text.get(name) for name in TEXT_COLUMNS)
    values = Counter(tuple(row.get(name) for name in VALUE_COLUMNS) for row in rows.values)
    checks = Counter(tuple(row.get(name) for name in CHECK_COLUMNS) for row in rows.validations)
    return text, values, checks


def test_crawl_and_process_store_what_processing_each_page_inline_gives(crawled):
    """The default replica, crawled with the stage beside it: every version's rows equal
    process_body over its stored bytes (documents and versions checked by the crawl tests)."""
    db = sqlite3.connect(crawled.path)
    versions = db.execute(
        "SELECT v.id, v.body_sha256, f.headers, d.url FROM document_versions v JOIN fetches f ON f.id = v.fetch_id"
        " JOIN documents d ON d.id = v.document_id"
    ).fetchall()
    assert len(versions) > 100 and pending_counts(db) == (0, 0)
    for version_id, sha, headers, url in versions:
        expected = inline_rows(read_body(db, sha), content_type_of(json.loads(headers)), url)
        assert stored_rows(db, version_id) == expected, version_id
    assert sum(len(stored_rows(db, v)[1]) for v, _, _, _ in versions) > 1000  # values, not only empty rows
    indexed = db.execute("SELECT count(*) FROM document_texts_fts").fetchone()[0]
    assert indexed == len(versions)  # the full-text index has every processed version


def pending_database(path: Path, pages: dict[str, bytes]) -> dict[str, int]:
    """Pages stored as a crawl stores them (pending versions); their version ids by URL."""
    store = Store(path)
    run = store.start_run("test", "v", {})
    for url, body in pages.items():
        headers = {"Content-Type": ["text/html; charset=utf-8"]}
        fetch_id = store.record_fetch(FetchRecord(run_id=run, url=url, status=200, headers=headers, body=body))
        store.store_page(PageRecord(run, fetch_id, url, url, 200, body, "http://a/index.shtml", "t"))
    store.finish_run(run, "finished", {})
    ids = dict(store.db.execute("SELECT final_url, id FROM document_versions").fetchall())
    store.close()
    return ids


def problems(db, version_id: int) -> list[str]:
    return json.loads(db.execute("SELECT problems FROM document_texts WHERE version_id = ?", [version_id]).fetchone()[0])


def test_pending_versions_are_processed_once_and_counted_in_stats(tmp_path, capsys):
    path = tmp_path / "g.db"
    pages = {f"http://a/{i}.shtml": REPORT.read_bytes().replace(b"</body>", f"<p>{i}</p></body>".encode()) for i in range(6)}
    ids = pending_database(path, pages)
    assert govcrawl_main(["stats", "--db", str(path)]) == 0
    assert "pending: 6 versions" in capsys.readouterr().out
    summary = run_stage(path, settings=StageSettings(workers=2, batch_versions=4))
    assert (summary["processed"], summary["unparsed"], summary["pending"]) == (6, 0, 0)
    db = sqlite3.connect(path)
    for url, version_id in ids.items():
        assert stored_rows(db, version_id) == inline_rows(pages[url], "text/html; charset=utf-8", url)
    again = run_stage(path, settings=StageSettings(workers=2))
    assert again["versions"] == 0  # nothing pending: nothing done twice
    kinds = db.execute("SELECT kind, status FROM crawl_runs ORDER BY id").fetchall()
    assert kinds == [("crawl", "finished"), ("process", "finished"), ("process", "finished")]


WAITS = b"<html><body>waits</body></html>"


def page_that_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """In the stage's workers (forked from this process), processing the page WAITS waits until
    the stage's time limit kills its worker: a page that outlasts any limit, whatever the
    machine's speed."""

    def waits(body: bytes, *args):
        if body == WAITS:
            time.sleep(600)
        return process_body(body, *args)

    monkeypatch.setattr("govcrawl.stage.process_body", waits)


def test_pages_over_the_time_or_memory_limit_are_stored_unparsed_and_the_stage_goes_on(tmp_path, monkeypatch):
    page_that_waits(monkeypatch)  # not a page that parses slowly: on a fast machine it beat the limit
    path = tmp_path / "g.db"
    ids = pending_database(path, {"http://a/waits.shtml": WAITS, "http://a/report.shtml": REPORT.read_bytes()})
    summary = run_stage(path, settings=StageSettings(workers=1, timeout=0.3))
    db = sqlite3.connect(path)
    assert problems(db, ids["http://a/waits.shtml"]) == [
        "limit: processing took more than GOVCRAWL_PROCESS_TIMEOUT (0.3 s)"
    ]
    assert db.execute("SELECT doc_kind FROM document_texts WHERE version_id = ?", [ids["http://a/report.shtml"]]).fetchone() == ("annual_report",)
    assert summary["unparsed"] == 1
    error = db.execute("SELECT f.error FROM fetches f JOIN document_versions v ON v.fetch_id = f.id WHERE v.id = ?",
                       [ids["http://a/waits.shtml"]]).fetchone()[0]  # fmt: skip
    assert error.startswith("limit: processing took")  # on the fetch row too, as every processing failure

    path = tmp_path / "m.db"
    big = limit_pages.huge_table(100_000)  # its text, tree and cells take well over 8 MB even within the limits
    ids = pending_database(path, {"http://a/huge.shtml": big, "http://a/report.shtml": REPORT.read_bytes()})
    # in a fresh interpreter: workers forked from this test process would inherit its heap, whose
    # free space can hold the page without the address space growing (RLIMIT_AS never met)
    stage = "from govcrawl.stage import StageSettings, run_stage; import sys; run_stage(sys.argv[1], settings=StageSettings(workers=1, memory_mb=8))"
    subprocess.run([sys.executable, "-c", stage, str(path)], check=True, cwd=Path(__file__).parents[1], timeout=300)
    db = sqlite3.connect(path)
    assert problems(db, ids["http://a/huge.shtml"]) == [
        "limit: processing needed more than GOVCRAWL_PROCESS_MEMORY_MB (8 MB) of memory"
    ]
    assert db.execute("SELECT doc_kind FROM document_texts WHERE version_id = ?", [ids["http://a/report.shtml"]]).fetchone() == ("annual_report",)


KILLS = b"<html><body>kills</body></html>"


def page_that_kills_its_worker(monkeypatch: pytest.MonkeyPatch, pid_file: Path | None = None) -> None:
    """In the stage's workers, processing the page KILLS kills its worker (as a crash in a C
    library would), every time; with pid_file, only the first time, after writing the
    worker's pid there (a worker killed from outside once: the page itself is sound)."""

    def kills(body: bytes, *args):
        if body == KILLS and (pid_file is None or not pid_file.exists()):
            if pid_file is not None:
                pid_file.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return process_body(body, *args)

    monkeypatch.setattr("govcrawl.stage.process_body", kills)


def test_a_page_that_kills_its_worker_costs_only_that_page(tmp_path, monkeypatch):
    """A page whose processing kills its worker: that page is stored unparsed with why, and
    new workers take the rest, the pages that shared its task included."""
    page_that_kills_its_worker(monkeypatch)
    path = tmp_path / "g.db"
    report = REPORT.read_bytes()
    pages = {"http://a/x.shtml": report, "http://a/y.shtml": report, "http://a/kills.shtml": KILLS, "http://a/z.shtml": report}
    ids = pending_database(path, pages)
    summary = run_stage(path, settings=StageSettings(workers=1))
    db = sqlite3.connect(path)
    assert problems(db, ids["http://a/kills.shtml"]) == ["processing failed: its worker died (exit code -9)"]
    others = [ids[f"http://a/{i}.shtml"] for i in "xyz"]
    kinds = db.execute("SELECT doc_kind FROM document_texts WHERE version_id IN (?, ?, ?)", others)
    assert kinds.fetchall() == [("annual_report",)] * 3
    assert summary["unparsed"] == 1 and summary["pending"] == 0


def test_a_worker_killed_once_from_outside_costs_no_page(tmp_path, monkeypatch):
    """A worker killed (by the operator, the OOM killer) while it processes a task of several
    pages: each page of the task is processed again on its own, and every one is stored."""
    page_that_kills_its_worker(monkeypatch, tmp_path / "killed-worker.pid")
    path = tmp_path / "g.db"
    pages = {"http://a/kills.shtml": KILLS, **{f"http://a/{i}.shtml": REPORT.read_bytes() for i in "xy"}}
    ids = pending_database(path, pages)
    summary = run_stage(path, settings=StageSettings(workers=1))
    assert (tmp_path / "killed-worker.pid").exists()  # a worker was killed
    db = sqlite3.connect(path)
    assert problems(db, ids["http://a/kills.shtml"]) == []
    assert summary["unparsed"] == 0 and summary["processed"] == 3 and summary["pending"] == 0


def test_process_all_adds_versions_only_where_the_result_changed(tmp_path):
    path = tmp_path / "g.db"
    ids = pending_database(path, {f"http://a/{i}.shtml": REPORT.read_bytes().replace(b"</body>", f"<p>{i}</p></body>".encode()) for i in range(3)})
    run_stage(path, settings=StageSettings(workers=2))
    db = sqlite3.connect(path)
    with db:  # as after a parser change: one result differs, one was made by an older processor
        db.execute("UPDATE document_texts SET result_sha256 = 'old parser' WHERE version_id = ?", [ids["http://a/0.shtml"]])
        db.execute("UPDATE document_texts SET processor_version = 'old' WHERE version_id = ?", [ids["http://a/1.shtml"]])
    assert pending_counts(db) == (0, 1)  # the older processor's result counts as pending
    summary = run_stage(path, settings=StageSettings(workers=2))
    assert (summary["changed"], summary["unchanged"], summary["processed"]) == (0, 1, 0)  # same result: relabelled
    assert pending_counts(db) == (0, 0)
    summary = run_stage(path, all_versions=True, settings=StageSettings(workers=2))
    assert (summary["changed"], summary["unchanged"]) == (1, 2)
    new = db.execute("SELECT id, reprocessed_from FROM document_versions WHERE reprocessed_from IS NOT NULL").fetchall()
    assert [old for _, old in new] == [ids["http://a/0.shtml"]]
    assert db.execute("SELECT count(*) FROM document_texts").fetchone()[0] == 4  # the old version's rows kept
    current = db.execute("SELECT current_version_id FROM documents WHERE url = 'http://a/0.shtml'").fetchone()[0]
    assert current == new[0][0] and stored_rows(db, current)[0][0] == PROCESSOR_VERSION
    found = db.execute("SELECT count(*) FROM document_texts_fts WHERE document_texts_fts MATCH '年度报告'").fetchone()[0]
    assert found == 4  # each batch's rows are in the full-text index


@pytest.mark.parametrize("name", ["reparse", "process"])
def test_the_command_line(tmp_path, capsys, name):
    path = tmp_path / "g.db"
    pending_database(path, {"http://a/1.shtml": REPORT.read_bytes()})
    assert govcrawl_main([name, "--db", str(path), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 versions processed: 1 pending ones" in out and "0 still pending" in out


def test_an_exception_in_a_worker_stores_the_page_unparsed_and_counts_it(tmp_path, monkeypatch):
    def deep(body, content_type, url=None):  # a bug in processing, in the worker (forked with this patch)
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("govcrawl.stage.process_body", deep)
    path = tmp_path / "g.db"
    ids = pending_database(path, {"http://a/1.shtml": REPORT.read_bytes()})
    summary = run_stage(path, settings=StageSettings(workers=1))
    failure = "processing failed: RecursionError: maximum recursion depth exceeded"
    db = sqlite3.connect(path)
    assert problems(db, ids["http://a/1.shtml"]) == [failure]
    assert db.execute("SELECT error FROM fetches").fetchone()[0] == failure
    assert db.execute("SELECT count(*) FROM report_values").fetchone()[0] == 0
    assert summary["unparsed"] == 1 and summary["pending"] == 0
    errors = db.execute("SELECT errors FROM crawl_runs WHERE kind = 'process'").fetchone()[0]
    assert errors == 1  # counted in the stage's run
