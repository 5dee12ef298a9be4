"""A fleet of crawl workers on one Redis against the replica portal: 1, 2 and 4 workers.

Run from the repository root: `python -m bench.distributed_crawl [--size 20000] [--workers 1,2,4]`.

One replica server (tests/replica/server.py, loopback only) serves every fleet; each fleet
gets a fresh private redis-server (govcrawl/fleet/private_redis.py) and fresh shards, its
workers all started at once (`scrapy crawl reports` with REDIS_URL, tests/replica/demo.py),
with the replica settings (no delays, CONCURRENT_REQUESTS_PER_DOMAIN 16, here fleet-wide)
and no processing beside the crawl (a fleet's shards are processed after the merge). Then
the shards are merged with `govcrawl merge` into a fresh file (timed; with 3 workers that is
the merge of 3 shards of the crawl).

For each fleet: wall time from the start of the first worker to the exit of the last,
requests served (the replica's request log during the fleet), pages/s over the wall time,
documents stored over all shards, each worker's peak RSS (its own VmHWM, sampled from /proc
every 0.1 s) and share of the documents, and the merge's time. On 2 cores the workers and
the replica server share the CPUs: more workers than cores add processes competing for them,
so expect the figure to flatten there. Prints a markdown table and writes
bench/results/distributed_crawl.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from govcrawl.cli import main as govcrawl_main
from govcrawl.fleet.private_redis import PrivateRedis
from tests.replica.demo import shard_paths, start_worker
from tests.replica.process import ROOT, Replica, high_water_rss

RESULTS = ROOT / "bench" / "results" / "distributed_crawl.json"
FLEET_SETTINGS = {"LOG_LEVEL": "INFO"}


def documents_in(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    finally:
        conn.close()


def watch_peaks(pids: list[int], peaks: dict[int, int], done: threading.Event) -> None:
    while not done.is_set():
        for pid in pids:
            peaks[pid] = max(peaks.get(pid, 0), high_water_rss(pid))
        done.wait(0.1)


def run_fleet_measured(replica: Replica, workers: int, workdir: Path) -> dict:
    shards = shard_paths(workdir / f"fleet-{workers}.db", workers)
    first = len(replica.request_log())
    with PrivateRedis() as redis_url:
        started = time.monotonic()
        processes = [start_worker(s, replica.proxy, redis_url, k, FLEET_SETTINGS) for k, s in enumerate(shards, 1)]
        peaks: dict[int, int] = {}
        done = threading.Event()
        watcher = threading.Thread(target=watch_peaks, args=([p.pid for p in processes], peaks, done), daemon=True)
        watcher.start()
        statuses = [process.wait(timeout=7200) for process in processes]
        seconds = time.monotonic() - started
        done.set()
        watcher.join()
    served = len(replica.request_log()) - first
    merged = workdir / f"merged-{workers}.db"
    merge_started = time.monotonic()
    merge_status = govcrawl_main(["merge", *map(str, shards), "-o", str(merged)])
    merge_seconds = time.monotonic() - merge_started
    return {
        "workers": workers,
        "exit_statuses": statuses,
        "seconds": round(seconds, 2),
        "requests_served": served,
        "pages_per_second": round(served / seconds, 1),
        "documents_per_shard": [documents_in(s) for s in shards],
        "documents_merged": documents_in(merged) if merge_status == 0 else None,
        "peak_rss_mib_per_worker": [round(peaks.get(p.pid, 0) / 2**20, 1) for p in processes],
        "merge_seconds": round(merge_seconds, 2),
        "merge_status": merge_status,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| workers | wall s | requests | pages/s | documents (per shard) | peak RSS MiB per worker | merge s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['workers']} | {r['seconds']} | {r['requests_served']} | {r['pages_per_second']} "
            f"| {r['documents_merged']} ({', '.join(map(str, r['documents_per_shard']))}) "
            f"| {', '.join(map(str, r['peak_rss_mib_per_worker']))} | {r['merge_seconds']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="approximate pages in the replica")
    parser.add_argument("--workers", default="1,2,4", help="fleet sizes, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.workers.split(",")]
    rows = []
    with Replica(size=args.size, seed=args.seed, slow_seconds=0.2) as replica, tempfile.TemporaryDirectory(
        prefix="bench-fleet-"
    ) as workdir:
        for workers in sizes:
            rows.append(run_fleet_measured(replica, workers, Path(workdir)))
            print(f"{workers} worker(s): {rows[-1]}", flush=True)
    print(table(rows))
    results = {
        "benchmark": "distributed_crawl",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": args.size,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "fleets": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.output}")


if __name__ == "__main__":
    main()
