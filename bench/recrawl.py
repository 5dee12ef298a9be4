"""What a scheduled re-crawl costs: an unchanged re-crawl and a revalidating one of the
replica portal, as fractions of the first crawl, in one run.

Run from the repository root: `python -m bench.recrawl [--size 20000]`.

One replica server is started; three `scrapy crawl reports` subprocesses crawl it into the
same SQLite file, one after the other:

- `first`: an empty database, so every report is fetched, processed and stored;
- `unchanged`: the same portal again: list pages are fetched, stored reports are not;
- `revalidate`: `-a revalidate=1`: every stored report is re-requested with If-None-Match /
  If-Modified-Since and answers 304 without a body.

For each: requests served (the replica's request log), their statuses, wall time, peak RSS,
and the fractions of the first crawl's requests and wall time. Prints a markdown table and
writes bench/results/recrawl.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.crawl_throughput import machine, run_crawl
from tests.replica.process import ROOT, Replica

RESULTS = ROOT / "bench" / "results" / "recrawl.json"


def table(crawls: list[dict]) -> str:
    first = crawls[0]
    lines = [
        "| crawl | requests | statuses | new versions | wall s | requests / first | wall / first | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for crawl in crawls:
        statuses = ", ".join(f"{status}: {n}" for status, n in crawl["statuses"].items())
        lines.append(
            f"| {crawl['crawl']} | {crawl['pages_served']} | {statuses} | {crawl['new_versions']} | "
            f"{crawl['wall_seconds']} | {crawl['pages_served'] / first['pages_served']:.2%} | "
            f"{crawl['wall_seconds'] / first['wall_seconds']:.2%} | {crawl['peak_rss_mib']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="approximate pages in the replica")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    with Replica(size=args.size, seed=args.seed, slow_seconds=0.2) as replica, tempfile.TemporaryDirectory(
        prefix="bench-recrawl-"
    ) as tmp:
        startup = time.perf_counter() - started
        db = Path(tmp) / "govcrawl.db"
        crawls = []
        for label, spider_args in (("first", ()), ("unchanged", ()), ("revalidate", ("revalidate=1",))):
            crawl = run_crawl(replica, label, {}, Path(tmp), *spider_args, db=db)
            before = crawls[-1]["db"]["document_versions"] if crawls else 0
            crawl["new_versions"] = crawl["db"]["document_versions"] - before
            crawls.append(crawl)
        portal_pages = len(replica.manifest()["pages"])

    results = {
        "benchmark": "recrawl",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "replica": {"size": args.size, "seed": args.seed, "portal_pages": portal_pages, "startup_seconds": startup},
        "crawls": crawls,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"replica: size {args.size}, {portal_pages} pages; one database, three crawls in a row\n")
    print(table(crawls))
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
