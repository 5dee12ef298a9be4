"""A fleet worker killed mid-crawl (SIGKILL), tried as a new user would: the other workers
take back its in-flight requests and the merged fleet holds what one process holds. Its own
file (apart from test_distributed's fleet run), so pytest-xdist can run it beside that one.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from redis import Redis

from govcrawl.fleet.private_redis import PrivateRedis
from govcrawl.fleet.state import FleetState
from tests.conftest import holdings
from tests.replica.demo import merge_and_process, shard_paths, start_worker
from tests.test_distributed import POLITE, QUICK_LEASE

pytestmark = [pytest.mark.timeout(900), pytest.mark.e2e]


def shard_fetches(shard: Path) -> int:
    if not shard.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{shard}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT count(*) FROM fetches").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_a_worker_killed_mid_crawl_loses_nothing(fleet_replica, one_process_holdings, tmp_path):
    expected = one_process_holdings
    db = tmp_path / "killed.db"
    shards = shard_paths(db, 3)
    settings = {**POLITE, **QUICK_LEASE}
    with PrivateRedis() as redis_url:
        state = FleetState(Redis.from_url(redis_url), "govcrawl")
        victim = start_worker(shards[0], fleet_replica.proxy, redis_url, 1, settings)
        deadline = time.monotonic() + 120
        # killed once it has stored rows and holds requests it has not stored
        while not (shard_fetches(shards[0]) and state.in_flight("worker-1")):
            assert victim.poll() is None and time.monotonic() < deadline, "worker 1 ended before it could be killed"
            time.sleep(0.02)
        held = state.in_flight("worker-1")
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        statuses = [
            worker.wait(timeout=600)
            for worker in [start_worker(s, fleet_replica.proxy, redis_url, k, settings) for k, s in enumerate(shards[1:], 2)]
        ]
        assert state.in_flight("worker-1") == 0  # its requests were taken back
    assert held > 0
    assert statuses == [0, 0], [s.with_suffix(".log").read_text()[-2000:] for s in shards[1:]]
    logs = "".join(s.with_suffix(".log").read_text() for s in shards[1:])
    assert "took back the in-flight requests of dead workers" in logs
    assert merge_and_process(shards, db) == 0
    merged = holdings(db)
    assert merged["documents"] == expected["documents"]
    assert merged["versions"] == expected["versions"]
    assert merged["values"] == expected["values"]
