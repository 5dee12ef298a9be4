"""`govcrawl merge`: shards of real replica crawls merged by natural keys.

The shards are one real crawl of the replica (processed beside it, as `make demo` does) split
by host into three files (tests/replica/shards.py: each keeps the rows of its hosts, as a
worker owning those hosts writes them); merged, they must give back that crawl on every
natural key. Overlapping shards (two crawls before and after the replica changes) are in
test_merge_history.py.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import sqlite_utils

from govcrawl.cli import crawl_summary
from govcrawl.cli import main as govcrawl_main
from govcrawl.recorder import lock_database
from govcrawl.stage import StageSettings, pending_counts, run_stage
from pipelines import merge as merging
from pipelines.merge import MergeRefused, merge
from pipelines.store import RUN_FIGURES, TABLES, Store
from tests.conftest import attachments_crawl, default_crawl
from tests.replica.process import CRAWL_ENV, ROOT
from tests.replica.shards import split_by_host

pytestmark = pytest.mark.e2e  # crawls in real subprocesses

TEXT_COLUMNS = [name for name in TABLES["document_texts"][0] if name != "version_id"]
VALUE_COLUMNS = [name for name in TABLES["report_values"][0] if name not in ("id", "version_id")]
CHECK_COLUMNS = [name for name in TABLES["validations"][0] if name not in ("id", "version_id")]
FETCH_COLUMNS = [name for name in TABLES["fetches"][0] if name not in ("id", "run_id")]
RUN_COLUMNS = [name for name in TABLES["crawl_runs"][0] if name not in ("id", "resumed_from")]


def natural(path: Path, run_key: str = "run_uuid") -> dict:
    """Everything a database holds, keyed by natural keys only (no row id); runs by
    `run_key` (an SQL expression over crawl_runs)."""
    db = sqlite3.connect(path)
    rows = lambda sql: db.execute(sql).fetchall()  # noqa: E731
    run = dict(rows(f"SELECT id, {run_key} FROM crawl_runs"))
    run_columns = [name for name in RUN_COLUMNS if name != "run_uuid" or run_key == "run_uuid"]
    fetch = {r[0]: (run[r[1]], *r[2:]) for r in rows("SELECT id, run_id, url, method, fetched_at, status FROM fetches")}
    version = {
        r[0]: (r[1], r[2], fetch.get(r[3]), run.get(r[4]), r[5])
        for r in rows(
            "SELECT v.id, d.url, v.body_sha256, v.fetch_id, v.run_id, v.fetched_at FROM document_versions v"
            " JOIN documents d ON d.id = v.document_id"
        )
    }

    def by_version(table: str, columns: list[str]) -> Counter:
        return Counter((version[r[0]], *r[1:]) for r in rows(f"SELECT version_id, {', '.join(columns)} FROM {table}"))

    figures = [c for c in sqlite_utils.Database(db).table("report_figures").columns_dict if c != "version_id"]
    return {
        "runs": {r[0]: r[1:] for r in rows(f"SELECT {run_key}, {', '.join(run_columns)} FROM crawl_runs")},
        "bodies": dict(rows("SELECT sha256, content FROM bodies")),
        "fetches": Counter((run[r[0]], *r[1:]) for r in rows(f"SELECT run_id, {', '.join(FETCH_COLUMNS)} FROM fetches")),
        "documents": {
            r[0]: (r[1], run.get(r[2]), r[3], run.get(r[4]), version.get(r[5]), r[6], run.get(r[7]), r[8])
            for r in rows(
                "SELECT url, first_seen_at, first_seen_run, last_seen_at, last_seen_run, current_version_id,"
                " gone_at, gone_run, gone_status FROM documents"
            )
        },
        "versions": Counter(
            (*version[r[0]], r[1], r[2], r[3], r[4], version.get(r[5]))
            for r in rows("SELECT id, requested_url, final_url, status, referer, reprocessed_from FROM document_versions")
        ),
        "links": Counter(
            (r[0], r[1], r[2], r[3], r[4], run.get(r[5]), r[6])
            for r in rows(
                "SELECT d.url, l.offered_by, o.url, l.offered_as, l.link_text, l.run_id, l.found_at FROM document_links l"
                " JOIN documents d ON d.id = l.document_id LEFT JOIN documents o ON o.id = l.offered_by_document_id"
            )
        ),
        "texts": by_version("document_texts", TEXT_COLUMNS),
        "values": by_version("report_values", VALUE_COLUMNS),
        "checks": by_version("validations", CHECK_COLUMNS),
        "figures": by_version("report_figures", figures),
        "indexed": Counter(version[r[0]] for r in rows("SELECT rowid FROM document_texts_fts")),
    }


def checked(path: Path) -> None:
    """What a single-process crawl's file passes: integrity, foreign keys, every current
    version its document's own, every version's fetch the exchange that brought it."""
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute(
        "SELECT count(*) FROM documents d LEFT JOIN document_versions v ON v.id = d.current_version_id"
        " WHERE v.document_id IS NOT d.id"
    ).fetchone() == (0,)
    assert db.execute(
        "SELECT count(*) FROM document_versions v JOIN fetches f ON f.id = v.fetch_id"
        " WHERE (f.url, f.body_sha256, f.run_id) IS NOT (v.final_url, v.body_sha256, v.run_id)"
    ).fetchone() == (0,)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> Path:
    """One real crawl of the default replica, processed beside the crawl (the suite's shared
    crawl, tests/conftest.py, copied for this module)."""
    result = default_crawl(tmp_path_factory, tmp_path_factory.mktemp("crawl") / "one.db")
    result.db.close()
    return result.path


@pytest.fixture
def shards(crawl, tmp_path) -> list[Path]:
    paths = [tmp_path / f"shard{i}.db" for i in range(3)]
    groups = split_by_host(crawl, paths)
    assert all(groups) and len({h for g in groups for h in g}) >= 6  # every shard has hosts of its own
    return paths


def test_merged_shards_are_the_crawl_on_every_natural_key(crawl, shards, tmp_path):
    out = tmp_path / "merged.db"
    assert govcrawl_main(["merge", *map(str, shards), "-o", str(out)]) == 0
    expected = natural(crawl)
    assert len(expected["documents"]) > 100 and sum(expected["values"].values()) > 1000
    assert natural(out) == expected
    checked(out)
    merged, single = crawl_summary(sqlite_utils.Database(out)), crawl_summary(sqlite_utils.Database(crawl))
    assert merged == single and merged["pending_versions"] == 0
    whole = tmp_path / "whole.db"
    merge([crawl], whole)  # a worker's file as its crawl left it (WAL mode), read-only
    assert natural(whole) == expected


def test_attachments_and_their_links_across_shards(tmp_path_factory, tmp_path):
    """A crawl of the replica that publishes reports as files (PDF, DOCX, XLSX, scans) beside
    their pages (the suite's shared one, tests/conftest.py): split by host, merged, every
    attachment linked to the page that offered it."""
    crawl, _ = attachments_crawl(tmp_path_factory, tmp_path / "attachments.db")
    shards = [tmp_path / f"shard{i}.db" for i in range(3)]
    split_by_host(crawl, shards)
    out = tmp_path / "merged.db"
    merge(shards, out)
    expected = natural(crawl)
    assert sum(expected["links"].values()) >= 5
    assert natural(out) == expected
    checked(out)


def test_merging_twice_or_in_another_order_adds_nothing(crawl, shards, tmp_path):
    out = tmp_path / "merged.db"
    merge(shards, out)
    again = merge([shards[1], *shards], out)
    assert all(not (s.added - Counter({"versions_same": s.added["versions_same"]})) for s in again)
    assert natural(out) == natural(crawl)
    reversed_order = tmp_path / "reversed.db"
    merge(shards[::-1], reversed_order)
    assert natural(reversed_order) == natural(crawl)


def test_merging_into_an_existing_database(crawl, shards, tmp_path):
    out = tmp_path / "existing.db"
    shutil.copy(shards[0], out)  # a worker's own file, then the others merged into it
    merge(shards[1:], out)
    assert natural(out) == natural(crawl)
    checked(out)


def test_runs_keep_their_figures_and_a_growing_shard_is_merged_again(crawl, shards, tmp_path):
    """A shard merged while its worker still crawls (its run `running`, later pages not yet
    stored or processed), then merged again once the worker has finished: the result is the
    finished shard's, the run's row its final one."""
    early = tmp_path / "early.db"
    shutil.copy(shards[1], early)
    db = sqlite3.connect(early)
    cut = db.execute("SELECT id FROM fetches ORDER BY id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM fetches)").fetchone()[0]
    for statement in (
        f"DELETE FROM fetches WHERE id > {cut}",
        "DELETE FROM document_versions WHERE fetch_id NOT IN (SELECT id FROM fetches)",
        "DELETE FROM documents WHERE id NOT IN (SELECT document_id FROM document_versions)",
        # the processing of the last ten stored versions had not landed yet
        "DELETE FROM document_texts WHERE version_id NOT IN (SELECT id FROM document_versions)"
        " OR version_id > (SELECT max(id) - 10 FROM document_versions)",
        *(f"DELETE FROM {table} WHERE version_id NOT IN (SELECT version_id FROM document_texts)"
          for table in ("report_values", "validations", "report_figures")),
        "UPDATE crawl_runs SET status = 'running', finished_at = NULL, finish_reason = NULL, requests = 10",
    ):  # fmt: skip
        db.execute(statement)
    db.commit()
    db.close()
    out = tmp_path / "merged.db"
    merge([early], out)
    statuses = sqlite3.connect(out).execute("SELECT kind, status, requests FROM crawl_runs ORDER BY id").fetchall()
    assert statuses == [("crawl", "running", 10), ("process", "running", 10)]
    assert 0 < len(natural(out)["documents"]) < len(natural(shards[1])["documents"])
    summaries = merge(shards, out)
    assert summaries[0].added["runs_updated"] == 2 and summaries[1].added["processed"] >= 10
    assert natural(out) == natural(crawl)
    shard_runs = sqlite3.connect(shards[1]).execute(f"SELECT run_uuid, {', '.join(RUN_FIGURES)} FROM crawl_runs")
    merged_runs = sqlite3.connect(out).execute(f"SELECT run_uuid, {', '.join(RUN_FIGURES)} FROM crawl_runs")
    assert sorted(merged_runs) == sorted(shard_runs)


def test_a_shard_of_an_older_schema(crawl, shards, tmp_path):
    """A shard written before runs had a `run_uuid`, attachments had links and fetches a
    browser reason: merged (twice) with what it holds, its runs given a derived identity."""
    old = tmp_path / "old.db"
    shutil.copy(shards[0], old)
    db = sqlite3.connect(old)
    for statement in (
        "DROP INDEX idx_crawl_runs_run_uuid",
        "ALTER TABLE crawl_runs DROP COLUMN run_uuid",
        "DROP TABLE document_links",
        "ALTER TABLE fetches DROP COLUMN browser_reason",
        "DROP TABLE report_figures",
    ):
        db.execute(statement)
    db.commit()
    db.close()
    out, expected = tmp_path / "from-old.db", tmp_path / "from-new.db"
    merge([old], out)
    merge([old], out)
    merge([shards[0]], expected)
    by_start = "kind || ' ' || started_at"
    assert natural(out, by_start) == natural(expected, by_start)
    checked(out)
    uuids = [u for (u,) in sqlite3.connect(out).execute("SELECT run_uuid FROM crawl_runs")]
    assert len(uuids) == 2 and all(uuids)  # derived, once per run


def test_replica_and_real_runs_are_never_merged(shards, tmp_path):
    real = tmp_path / "real.db"
    shutil.copy(shards[1], real)
    db = sqlite3.connect(real)
    db.execute(
        "UPDATE crawl_runs SET settings = json_set(settings, '$.GOVCRAWL_REPLICA', 'False', '$.GOVCRAWL_PROXY', '')"
        " WHERE kind = 'crawl'"
    )
    db.commit()
    db.close()
    out = tmp_path / "out.db"
    with pytest.raises(MergeRefused, match="replica"):
        merge([shards[0], real], out)
    assert not out.exists()  # refused before anything was written
    merge([shards[0]], out)
    before = natural(out)
    result = subprocess.run(
        [sys.executable, "-m", "govcrawl.cli", "merge", str(real), "-o", str(out)],
        cwd=ROOT, env=CRAWL_ENV, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1 and "not merging" in result.stderr and "real portals" in result.stderr
    assert natural(out) == before


def test_what_is_no_shard_is_refused_before_anything_is_written(tmp_path, capsys):
    garbage, missing, out = tmp_path / "garbage.db", tmp_path / "missing.db", tmp_path / "out.db"
    garbage.write_bytes(b"not a database, a page of text " * 200)
    for shard, reason in ((missing, "no database at"), (garbage, "cannot be read as a database")):
        assert govcrawl_main(["merge", str(shard), "-o", str(out)]) == 1
        assert reason in capsys.readouterr().err
        assert not out.exists()
    Store(out).close()  # an empty govcrawl database
    with pytest.raises(MergeRefused, match="is the output itself"):
        merge([out], out)


def test_a_merge_that_fails_midway_leaves_whole_shards_only(crawl, shards, tmp_path, monkeypatch):
    out, first = tmp_path / "out.db", tmp_path / "first.db"
    merge(shards[:1], first)
    calls = []
    real_merge_links = merging.merge_links

    def failing_on_the_second_shard(*args):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")  # as a write failing halfway through the shard
        return real_merge_links(*args)

    monkeypatch.setattr(merging, "merge_links", failing_on_the_second_shard)
    with pytest.raises(OSError, match="disk full"):
        merge(shards, out)
    assert natural(out) == natural(first)  # the first shard whole, nothing of the second
    monkeypatch.undo()
    merge(shards, out)
    assert natural(out) == natural(crawl)


def test_a_merge_killed_midway_leaves_whole_shards_only(crawl, shards, tmp_path):
    """`govcrawl merge` killed with SIGKILL as soon as it says its first shard is merged (the
    second one under way): the output is intact and holds whole shards only; merging again
    finishes it."""
    prefixes = []
    for k in range(len(shards) + 1):
        prefix = tmp_path / f"prefix{k}.db"
        merge(shards[:k], prefix)
        prefixes.append(natural(prefix))
    for attempt in range(2):
        out = tmp_path / f"out{attempt}.db"
        command = [sys.executable, "-m", "govcrawl.cli", "merge", *map(str, shards), "-o", str(out)]
        process = subprocess.Popen(command, cwd=ROOT, env=CRAWL_ENV, stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().startswith("merged ")
        process.send_signal(signal.SIGKILL)
        process.wait()
        checked(out)
        assert natural(out) in prefixes[1:]
    merge(shards, out)
    assert natural(out) == natural(crawl)


def test_no_merge_into_a_database_a_crawl_is_writing(shards, tmp_path, capsys):
    out = tmp_path / "out.db"
    with lock_database(out):
        assert govcrawl_main(["merge", str(shards[0]), "-o", str(out)]) == 1
    assert "a crawl is writing" in capsys.readouterr().err
    assert not out.exists()


def test_merged_pending_versions_are_then_processed_as_usual(crawl, shards, tmp_path):
    """Shards whose workers stored pages but processed none: after the merge, `govcrawl
    process` gives every version the rows the crawl processed beside it has."""
    for shard in shards:
        db = sqlite3.connect(shard)
        for table in ("document_texts", "report_values", "validations", "report_figures"):
            db.execute(f"DELETE FROM {table}")
        db.execute("INSERT INTO document_texts_fts (document_texts_fts) VALUES ('rebuild')")
        db.commit()
        db.close()
    out = tmp_path / "out.db"
    merge(shards, out)
    expected = natural(crawl)
    assert pending_counts(sqlite3.connect(out)) == (len(expected["documents"]), 0)
    summary = run_stage(out, settings=StageSettings(workers=2))
    assert summary["processed"] == len(expected["documents"]) and summary["pending"] == 0
    merged = natural(out)
    for part in ("documents", "versions", "texts", "values", "checks", "figures", "indexed"):
        assert merged[part] == expected[part], part
    checked(out)
