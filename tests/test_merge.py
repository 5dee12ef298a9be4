"""`govcrawl merge`: shards of real replica crawls merged by natural keys.

The shards are one real crawl of the replica (processed beside it, as `make demo` does) split
by host into three files (tests/replica/shards.py: each keeps the rows of its hosts, as a
worker owning those hosts writes them); merged, they must give back that crawl on every
natural key. Overlapping shards are two real crawls of the same replica, before and after
its reports are edited, compared with one process crawling twice.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
import sqlite_utils

from govcrawl.cli import crawl_summary
from govcrawl.cli import main as govcrawl_main
from pipelines.merge import merge
from pipelines.store import TABLES
from tests.replica.process import Replica, run_crawl
from tests.replica.shards import split_by_host

pytestmark = pytest.mark.e2e  # crawls in real subprocesses

TEXT_COLUMNS = [name for name in TABLES["document_texts"][0] if name != "version_id"]
VALUE_COLUMNS = [name for name in TABLES["report_values"][0] if name not in ("id", "version_id")]
CHECK_COLUMNS = [name for name in TABLES["validations"][0] if name not in ("id", "version_id")]
FETCH_COLUMNS = [name for name in TABLES["fetches"][0] if name not in ("id", "run_id")]
RUN_COLUMNS = [name for name in TABLES["crawl_runs"][0] if name not in ("id", "resumed_from")]


def natural(path: Path) -> dict:
    """Everything a database holds, keyed by natural keys only (no row id)."""
    db = sqlite3.connect(path)
    rows = lambda sql: db.execute(sql).fetchall()  # noqa: E731
    run = dict(rows("SELECT id, run_uuid FROM crawl_runs"))
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
        "runs": {r[0]: r[1:] for r in rows(f"SELECT {', '.join(RUN_COLUMNS)} FROM crawl_runs")},
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
    """One real crawl of the default replica, processed beside the crawl."""
    path = tmp_path_factory.mktemp("crawl") / "one.db"
    with Replica(size=200, slow_seconds=1.0) as replica:
        result = run_crawl(path, replica.proxy)
    assert result.returncode == 0, result.stderr[-3000:]
    return path


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
