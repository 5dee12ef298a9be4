"""What `govcrawl merge` costs: three shards of the 20,000-page replica crawl merged into one file.

Run from the repository root: `python -m bench.merge_shards [--size 20000] [--shards 3]`.

The shards are made the cheapest faithful way: one real crawl of the replica (processed
beside it, as each worker's is), split by host into `--shards` files
(tests/replica/shards.py: each keeps the fetches, documents, versions, processing rows and
bodies of its hosts, as a worker owning those hosts writes them). Then, each a
`govcrawl merge` subprocess as an operator runs it:

- `merge`: the shards into a new file;
- `again`: the same shards into that file once more (idempotent: adds nothing, but reads all);

wall and CPU seconds, the merge process's peak RSS (VmHWM, sampled), shard and merged file sizes,
and whether the merged file holds the crawl's documents, versions and values (counts).
Prints a markdown table and writes bench/results/merge_shards.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.crawl_throughput import machine
from tests.replica.process import CRAWL_ENV, ROOT, Replica, high_water_rss, run_crawl
from tests.replica.shards import split_by_host

RESULTS = ROOT / "bench" / "results" / "merge_shards.json"
COUNTS = {
    "documents": "SELECT count(*) FROM documents",
    "versions": "SELECT count(*) FROM document_versions",
    "values": "SELECT count(*) FROM report_values",
    "fetches": "SELECT count(*) FROM fetches",
}


def counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        return {name: db.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}
    finally:
        db.close()


def mib(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20, 1)


def timed_merge(shards: list[Path], out: Path) -> dict:
    """One `govcrawl merge` subprocess: wall and CPU seconds, sampled peak RSS."""
    command = [sys.executable, "-m", "govcrawl.cli", "merge", *(str(s.resolve()) for s in shards), "-o", str(out.resolve())]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=CRAWL_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while process.poll() is None:
        peak = max(peak, high_water_rss(process.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    stdout, stderr = process.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # CPU: meaningful on a busy machine too
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if process.returncode != 0:
        raise RuntimeError(f"govcrawl merge failed: {stderr[-2000:]}")
    return {"wall_seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mib": round(peak / 2**20, 1), "output": stdout.strip()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="approximate pages in the replica")
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-merge-") as tmp:
        crawl = Path(tmp) / "crawl.db"
        started = time.perf_counter()
        with Replica(size=args.size, seed=args.seed, slow_seconds=0.2) as replica:
            result = run_crawl(crawl, replica.proxy, settings={"LOG_LEVEL": "WARNING"}, timeout=4 * 3600)
        if result.returncode != 0:
            raise RuntimeError(f"the crawl failed: {result.stderr[-2000:]}")
        crawl_seconds = time.perf_counter() - started
        shards = [Path(tmp) / f"shard{i}.db" for i in range(args.shards)]
        started = time.perf_counter()
        hosts = split_by_host(crawl, shards)
        split_seconds = time.perf_counter() - started
        merged = Path(tmp) / "merged.db"
        passes = {"merge": timed_merge(shards, merged), "again": timed_merge(shards, merged)}
        expected, got = counts(crawl), counts(merged)
        results = {
            "benchmark": "merge_shards",
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "replica": {"size": args.size, "seed": args.seed},
            "crawl_seconds": round(crawl_seconds, 1),
            "split_seconds": round(split_seconds, 1),
            "shards": [{"hosts": group, "mib": mib(shard), **counts(shard)} for group, shard in zip(hosts, shards, strict=True)],
            "crawl": {"mib": mib(crawl), **expected},
            "merged": {"mib": mib(merged), **got, "equal_to_crawl": got == expected},
            "passes": passes,
        }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"replica: size {args.size}; crawl {results['crawl_seconds']} s, split into {args.shards} shards by host"
          f" in {results['split_seconds']} s\n")  # fmt: skip
    print("| shard | hosts | documents | versions | values | MiB |\n|---|---|---|---|---|---|")
    for i, shard in enumerate(results["shards"]):
        print(f"| {i} | {len(shard['hosts'])} | {shard['documents']} | {shard['versions']} | {shard['values']} | {shard['mib']} |")
    print("\n| pass | wall s | CPU s | peak RSS MiB | documents | versions | values | equal to the crawl |\n"
          "|---|---|---|---|---|---|---|---|")  # fmt: skip
    for name, run in passes.items():
        print(f"| {name} | {run['wall_seconds']} | {run['cpu_seconds']} | {run['peak_rss_mib']} | {got['documents']} | {got['versions']} |"
              f" {got['values']} | {results['merged']['equal_to_crawl']} |")  # fmt: skip
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
