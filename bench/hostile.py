"""What the hostile pages cost: the panzhihua crawl of the replica with and without `--hostile`.

Run from the repository root: `python -m bench.hostile [--size 20000]`.

Two replica servers of the same size and seed (one plain, one with every hostile case of
issue 12: oversize and chunked bodies, a gzip bomb, span bombs, a 100,000-row table, mojibake
holes, adversarial titles and scripts, a pagination trap, a silent host, a slow drip, cut and
refused answers, redirect traps) are each crawled once by `scrapy crawl reports` in a
subprocess, with the replica settings and the hostile test's limits (DOWNLOAD_TIMEOUT 10 s).
For each crawl: wall seconds, the crawl process's own peak RSS as the kernel counts it (VmHWM), the largest sampled RSS of the crawl and its children (psutil), requests served,
documents stored and fetch errors; then the ratios. Issue 12 is done when the hostile crawl's
peak RSS is <= 300 MiB and its wall time within 2x the plain one. Prints a markdown table and
writes bench/results/hostile.json.

The default size is the other benchmarks' 20,000 pages: the hostile pages cost a fixed time
(a slow drip and a silent host each take DOWNLOAD_TIMEOUT or the host timeout, with retries),
so a 200-page crawl of a few seconds could never be within 2x; a real portal family is large.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.crawl_throughput import machine
from tests.replica.process import HOSTILE_SETTINGS, ROOT, Replica, measured_crawl

RESULTS = ROOT / "bench" / "results" / "hostile.json"
RSS_LIMIT_MIB = 300
WALL_RATIO_LIMIT = 2.0


def crawl(size: int, seed: int, hostile: bool, tmp: Path) -> dict:
    db = tmp / ("hostile.db" if hostile else "plain.db")
    with Replica(size=size, seed=seed, slow_seconds=1.0, hostile=hostile) as replica:
        measured = measured_crawl(db, replica.proxy, settings=HOSTILE_SETTINGS, timeout=1800)
        served = len(replica.request_log())
    with sqlite3.connect(db) as connection:
        documents = connection.execute("SELECT count(*) FROM documents").fetchone()[0]
        errors = connection.execute("SELECT count(*) FROM fetches WHERE error IS NOT NULL").fetchone()[0]
    return {
        "crawl": "hostile" if hostile else "plain",
        "exit_code": measured.returncode,
        "wall_seconds": round(measured.seconds, 1),
        "peak_rss_mib": round(measured.peak_rss / 2**20, 1),
        "peak_tree_rss_mib": round(measured.peak_tree_rss / 2**20, 1),
        "requests_served": served,
        "documents": documents,
        "fetch_errors": errors,
        "stderr_tail": measured.stderr[-2000:] if measured.returncode else "",
    }


def table(crawls: list[dict], ratios: dict) -> str:
    lines = [
        "| crawl | exit | wall s | peak RSS MiB (kernel) | peak RSS MiB (with children) | requests | documents | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in crawls:
        lines.append(
            f"| {c['crawl']} | {c['exit_code']} | {c['wall_seconds']} | {c['peak_rss_mib']} | "
            f"{c['peak_tree_rss_mib']} | {c['requests_served']} | {c['documents']} | {c['fetch_errors']} |"
        )
    lines.append(
        f"\nhostile / plain: wall {ratios['wall']:.2f}x (limit {WALL_RATIO_LIMIT}x), "
        f"peak RSS {ratios['peak_rss']:.2f}x; hostile peak RSS {crawls[1]['peak_rss_mib']} MiB "
        f"(limit {RSS_LIMIT_MIB} MiB): {'met' if ratios['met'] else 'NOT met'}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="approximate pages in the replica")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        crawls = [crawl(args.size, args.seed, hostile, Path(tmp)) for hostile in (False, True)]
    plain, hostile = crawls
    ratios = {
        "wall": hostile["wall_seconds"] / plain["wall_seconds"],
        "peak_rss": hostile["peak_rss_mib"] / plain["peak_rss_mib"],
    }
    ratios["met"] = (
        hostile["exit_code"] == 0
        and hostile["peak_rss_mib"] <= RSS_LIMIT_MIB
        and ratios["wall"] <= WALL_RATIO_LIMIT
    )
    print(table(crawls, ratios))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "benchmark": "hostile",
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "size": args.size,
                "seed": args.seed,
                "settings": HOSTILE_SETTINGS,
                "machine": machine(),
                "crawls": crawls,
                "ratios": ratios,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
