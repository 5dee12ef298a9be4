"""`make demo`: the main crawl against the replica portal, offline, into data/demo.db.

Its own file: the replica's invented reports never sit beside real ones (a crawl refuses a
database holding runs of the other kind, govcrawl.run_origin); `make serve DB=data/demo.db`.

Every replica city is crawled, one crawl per site profile into the same database (each run's
`crawl_runs.site` names the profile its documents were found with): panzhihua's family, the
script-built 示例市, the four cities of other CMS families (tests/replica/families.py), and
last the mirror and content-farm hosts that serve copies of panzhihua's reports (profile
`copies`: linked to their originals by the process stage, pipelines.copies).
Each crawl runs the process stage beside itself and waits for it, so the database it leaves
is fully processed. The database is kept between runs, so running the demo again is a re-crawl.
`--hostile` crawls the replica with every hostile case (with the hostile test's settings).

`--workers N` (`make demo WORKERS=3`): a fleet of N workers (govcrawl/fleet) sharing one
frontier in a private redis-server on loopback, each writing its own shard
(<db stem>-shards/worker-K.db beside the database); then `govcrawl merge` of the shards into
the database and `govcrawl process` of it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from govcrawl.cli import main as govcrawl_main
from govcrawl.fleet.private_redis import PrivateRedis
from tests.replica.families import REPLICA_PROFILES
from tests.replica.process import CRAWL_ENV, HOSTILE_SETTINGS, ROOT, Replica, crawl_command, run_crawl


def shard_paths(db: Path | str, workers: int) -> list[Path]:
    db = Path(db)
    return [db.parent / f"{db.stem}-shards" / f"worker-{k}.db" for k in range(1, workers + 1)]


def start_worker(
    shard: Path,
    proxy: str,
    redis_url: str,
    number: int,
    settings: dict[str, str] | None = None,
    spider_args: tuple[str, ...] = (),
) -> subprocess.Popen:
    """One fleet worker (`scrapy crawl reports` with REDIS_URL) writing `shard`; its log
    goes to <shard>.log."""
    shard.parent.mkdir(parents=True, exist_ok=True)
    fleet = {
        "REDIS_URL": redis_url,
        "GOVCRAWL_WORKER_ID": f"worker-{number}",
        "GOVCRAWL_LOG_DIR": str(shard.parent / f"{shard.stem}-logs"),  # each shard numbers its runs from 1
        **(settings or {}),
    }
    log = open(shard.with_suffix(".log"), "a")
    with log:
        return subprocess.Popen(
            crawl_command(shard, proxy, *spider_args, settings=fleet),
            cwd=ROOT,
            env=CRAWL_ENV,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def run_fleet(
    shards: list[Path],
    proxy: str,
    redis_url: str,
    settings: dict[str, str] | None = None,
    spider_args: tuple[str, ...] = (),
    timeout: float = 900,
) -> list[int]:
    """A worker per shard, all started at once; their exit statuses once all have ended."""
    workers = [start_worker(shard, proxy, redis_url, k, settings, spider_args) for k, shard in enumerate(shards, 1)]
    return [worker.wait(timeout=timeout) for worker in workers]


def fleet_demo(db: str, workers: int, proxy: str, settings: dict[str, str] | None) -> int:
    """Every demo site crawled by a fleet of `workers` (a fleet per site, each under its own
    name in one private redis-server; each worker keeps one shard over all of them), then the
    shards merged into `db` and processed."""
    shards = shard_paths(db, workers)
    with PrivateRedis() as redis_url:
        for site in DEMO_SITES:
            print(f"replica portal on {proxy}; {workers} workers on {redis_url} crawling {site} ...", flush=True)
            fleet = {**(settings or {}), "GOVCRAWL_FLEET_NAME": f"demo-{site}"}
            statuses = run_fleet(shards, proxy, redis_url, fleet, (f"site={site}",))
            for shard, status in zip(shards, statuses, strict=True):
                print(f"{shard}: exit {status} (log {shard.with_suffix('.log')})", flush=True)
            if any(statuses):
                return max(statuses)
    status = merge_and_process(shards, db)
    return status or govcrawl_main(["stats", "--db", db])


def merge_and_process(shards: list[Path], db: Path | str) -> int:
    status = govcrawl_main(["merge", *map(str, shards), "-o", str(db)])
    return status or govcrawl_main(["process", "--db", str(db)])

DEMO_SITES = (*REPLICA_PROFILES, "copies")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="data/demo.db")
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--hostile", action="store_true", help="add every hostile page (issue 12)")
    parser.add_argument("--workers", type=int, default=0, help="a fleet of this many workers (0: one process)")
    args = parser.parse_args(argv)
    settings = HOSTILE_SETTINGS if args.hostile else None
    with Replica(size=args.size, hostile=args.hostile, families=True) as replica:
        if args.workers:
            return fleet_demo(args.db, args.workers, replica.proxy, settings)
        for site in DEMO_SITES:
            print(f"replica portal on {replica.proxy}; crawling {site} into {args.db} ...", flush=True)
            result = run_crawl(args.db, replica.proxy, f"site={site}", settings=settings)
            sys.stderr.write(result.stderr[-4000:])
            sys.stdout.write(result.stdout[-2000:])  # the process stage's summary line
            if result.returncode != 0:
                print(f"crawl of {site} failed (exit {result.returncode})", file=sys.stderr)
                return result.returncode
    return govcrawl_main(["stats", "--db", args.db])


if __name__ == "__main__":
    sys.exit(main())
