"""`govcrawl merge` of overlapping shards: two real crawls of the same replica, before and
after its reports are edited, one taken down and a year published, merged; compared with one
process crawling twice. Its own file (apart from test_merge), so pytest-xdist can run it
beside the other merge tests.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pipelines.merge import Sighting, combine, merge
from pipelines.store import RUN_FIGURES
from tests.conftest import default_crawl
from tests.replica.process import Replica, run_crawl
from tests.test_merge import checked

pytestmark = pytest.mark.e2e  # crawls in real subprocesses


@pytest.fixture(scope="module")
def overlapping(tmp_path_factory) -> dict[str, Path]:
    """Two workers' shards of the same replica, crawled before (`before`) and after (`after`)
    a report was edited, another taken down and a year published; and one process crawling
    it at the same two times into one file (`single`, the second crawl revalidating)."""
    tmp = tmp_path_factory.mktemp("overlap")
    paths = {name: tmp / f"{name}.db" for name in ("before", "after", "single")}
    # `before` is the suite's shared crawl of the default replica: the same pages as this
    # replica serves before it changes (same size and seed), crawled in a run of its own
    default_crawl(tmp_path_factory, paths["before"]).db.close()
    with Replica(size=200, slow_seconds=1.0) as replica:
        assert run_crawl(paths["single"], replica.proxy).returncode == 0
        changed = {change: replica.travel(change) for change in ("edit", "delete", "publish")}
        assert run_crawl(paths["after"], replica.proxy).returncode == 0
        assert run_crawl(paths["single"], replica.proxy, "revalidate=1").returncode == 0
    return {**paths, "changed": changed}


def histories(path: Path) -> dict[str, tuple]:
    """Per document URL: its bodies in version order, its current body, whether it is gone."""
    db = sqlite3.connect(path)
    bodies: dict[str, list[str]] = {}
    for url, sha in db.execute(
        "SELECT d.url, v.body_sha256 FROM document_versions v JOIN documents d ON d.id = v.document_id"
        " WHERE v.reprocessed_from IS NULL ORDER BY v.fetched_at, v.id"
    ):
        bodies.setdefault(url, []).append(sha)
    current = dict(db.execute(
        "SELECT d.url, v.body_sha256 FROM documents d JOIN document_versions v ON v.id = d.current_version_id"
    ))  # fmt: skip
    return {url: (tuple(shas), current[url]) for url, shas in bodies.items()}


@pytest.mark.parametrize("order", ["before-after", "after-before"])
def test_overlapping_shards_give_the_history_one_process_keeps(overlapping, tmp_path, order):
    shards = [overlapping[name] for name in order.split("-")]
    out = tmp_path / "out.db"
    merge(shards, out)
    merged, single = histories(out), histories(overlapping["single"])
    edited = overlapping["changed"]["edit"]
    assert len(single) > 100 and all(len(single[url][0]) == 2 for url in edited)
    assert merged == single  # one version per unchanged body, two for the edited report
    db = sqlite3.connect(out)
    dates = lambda path: dict(sqlite3.connect(path).execute("SELECT url, first_seen_at FROM documents"))  # noqa: E731
    before, after = dates(overlapping["before"]), dates(overlapping["after"])
    first_seen = dict(db.execute("SELECT url, first_seen_at FROM documents"))
    assert first_seen == {url: min(d for d in (before.get(url), after.get(url)) if d) for url in first_seen}
    last_seen = dict(db.execute("SELECT url, last_seen_at FROM documents"))
    seen_after = dict(sqlite3.connect(overlapping["after"]).execute("SELECT url, last_seen_at FROM documents"))
    assert all(last_seen[url] == seen_after.get(url, last_seen[url]) for url in last_seen)
    # the report taken down was only not linked any more: nothing in either shard says gone
    [deleted] = overlapping["changed"]["delete"]
    assert db.execute("SELECT gone_at FROM documents WHERE url = ?", [deleted]).fetchone() == (None,)
    for shard in shards:  # every run with the figures its worker recorded
        expected = sqlite3.connect(shard).execute(f"SELECT run_uuid, status, {', '.join(RUN_FIGURES)} FROM crawl_runs")
        for row in expected:
            assert db.execute(
                f"SELECT run_uuid, status, {', '.join(RUN_FIGURES)} FROM crawl_runs WHERE run_uuid = ?", [row[0]]
            ).fetchone() == row
    checked(out)


def test_a_document_gone_in_one_shard_stays_gone_unless_seen_later(overlapping, tmp_path):
    [deleted] = overlapping["changed"]["delete"]
    gone = sqlite3.connect(overlapping["single"]).execute(
        "SELECT gone_at, gone_status FROM documents WHERE url = ?", [deleted]
    ).fetchone()
    assert gone[1] == 404  # the one process's revalidation found it taken down
    out = tmp_path / "out.db"
    merge([overlapping["before"], overlapping["single"], overlapping["after"]], out)
    db = sqlite3.connect(out)
    assert db.execute("SELECT gone_at, gone_status FROM documents WHERE url = ?", [deleted]).fetchone() == gone
    assert db.execute("SELECT count(*) FROM documents WHERE gone_at IS NOT NULL").fetchone() == (1,)
    checked(out)


def test_dates_of_a_document_in_two_files():
    """First seen the earlier, last seen the later; gone only by a 404 after every sighting."""
    a = Sighting(("2024-01-01", 1), ("2024-03-01", 2), (None, None, None))
    b = Sighting(("2024-02-01", 3), ("2024-02-01", 3), ("2024-04-01", 4, 404))
    assert combine(a, b) == ["2024-01-01", 1, "2024-03-01", 2, "2024-04-01", 4, 404]
    assert combine(b, a) == ["2024-01-01", 1, "2024-03-01", 2, "2024-04-01", 4, 404]
    seen_again = Sighting(("2024-05-01", 5), ("2024-05-01", 5), (None, None, None))
    assert combine(b, seen_again) == ["2024-02-01", 3, "2024-05-01", 5, None, None, None]
    gone_later = Sighting(("2024-01-01", 1), ("2024-01-01", 1), ("2024-06-01", 6, 410))
    assert combine(b, gone_later)[4:] == ["2024-04-01", 4, 404]  # the first 404/410 after the last sighting
